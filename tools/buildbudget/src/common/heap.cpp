#include "common/heap.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <climits>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace buildbudget {

std::size_t reserve_heap(std::size_t bytes) noexcept {
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
    constexpr std::uintptr_t huge_page = huge_page_bytes;
    if (bytes < 2 * huge_page) return 0;
    // glibc's limit for M_MMAP_THRESHOLD: HEAP_MAX_SIZE / 2, 32 MiB on 64-bit systems.
    constexpr int largest_heap_block = 32 << 20;
    if (mallopt(M_MMAP_THRESHOLD, largest_heap_block) == 0 || mallopt(M_TRIM_THRESHOLD, INT_MAX) == 0) return 0;

    // Grow the heap's top to `bytes`, in blocks that it can give (below the threshold above), then
    // free them: they join the top again, which stays since trimming is off. Only their headers
    // are written. The first block begins where the top did; the region from there on is what
    // later allocations are carved from. Stops early if the heap cannot grow (sbrk refused: glibc
    // maps blocks instead, and the break stays where it was).
    constexpr std::size_t block = std::size_t{8} << 20;
    std::vector<void*> blocks;
    try {
        blocks.reserve(bytes / block + 2);
    } catch (...) {
        return 0;
    }
    char* top = nullptr;
    auto* brk = static_cast<char*>(sbrk(0));
    for (int stalls = 0; top == nullptr || static_cast<std::size_t>(brk - top) < bytes;) {
        void* p = std::malloc(block);
        if (p == nullptr) break;
        blocks.push_back(p);
        if (top == nullptr) top = static_cast<char*>(p);
        auto* const now = static_cast<char*>(sbrk(0));
        // The first block may fit in the top as it is; two that do not move the break are mapped.
        if (now != brk) {
            stalls = 0;
            brk = now;
        } else if (++stalls == 2) {
            break;
        }
    }
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) std::free(*it);
    if (top == nullptr) return 0;

    const auto first = (reinterpret_cast<std::uintptr_t>(top) + huge_page - 1) / huge_page * huge_page;
    const auto last = reinterpret_cast<std::uintptr_t>(sbrk(0)) / huge_page * huge_page;
    if (last <= first) return 0;
    if (madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE) != 0) return 0;
    return last - first;
#else
    (void)bytes;
    return 0;
#endif
}

bool transparent_huge_pages_on_request() noexcept {
    static const bool on = [] {
        std::FILE* f = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
        if (f == nullptr) return false;
        char mode[128] = {};
        const bool read = std::fgets(mode, sizeof mode, f) != nullptr;
        std::fclose(f);
        return read && (std::strstr(mode, "[always]") != nullptr || std::strstr(mode, "[madvise]") != nullptr);
    }();
    return on;
}

}  // namespace buildbudget
