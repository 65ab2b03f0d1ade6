#include "common/heap.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <cstdlib>

namespace buildbudget {

std::size_t reserve_heap(std::size_t bytes) noexcept {
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
    constexpr std::uintptr_t huge_page = huge_page_bytes;
    if (bytes < 2 * huge_page) return 0;
    // glibc's limit for M_MMAP_THRESHOLD: HEAP_MAX_SIZE / 2, 32 MiB on 64-bit systems.
    constexpr int largest_heap_block = 32 << 20;
    if (mallopt(M_MMAP_THRESHOLD, largest_heap_block) == 0 || mallopt(M_TRIM_THRESHOLD, INT_MAX) == 0) return 0;

    // Grow the heap's top by `bytes` in one step that writes nothing inside the new region: with
    // M_TOP_PAD at `bytes`, one allocation larger than the top makes glibc move the break by its
    // size plus the pad, and write only that allocation's header and the new top's just after it
    // (malloc.c, sysmalloc). Growing it by allocating blocks and freeing them, as this did before,
    // wrote a block header every 8 MiB, and a 2 MiB range with one small page in it already is
    // never made a huge page: a quarter of the region faulted in 4 KiB at a time (2,048 of the
    // 6,000 page faults of `analyze` on duckdb-mvp.wasm; doc/helper-wasm-analyze.md, "Speed").
    constexpr int glibc_default_top_pad = 128 * 1024;  // mallopt(3), M_TOP_PAD
    const int pad = static_cast<int>(std::min<std::size_t>(bytes, INT_MAX / 2));
    auto* const before = static_cast<char*>(sbrk(0));
#if __GLIBC_PREREQ(2, 33)
    const std::size_t past_top = mallinfo2().keepcost + 1;  // the top's free bytes, and one more
#else
    const std::size_t past_top = static_cast<std::size_t>(mallinfo().keepcost) + 1;
#endif
    if (past_top >= static_cast<std::size_t>(largest_heap_block) || mallopt(M_TOP_PAD, pad) == 0) return 0;
    void* const grown = std::malloc(past_top);
    (void)mallopt(M_TOP_PAD, glibc_default_top_pad);
    if (grown == nullptr) return 0;
    const auto at = reinterpret_cast<std::uintptr_t>(grown);
    std::free(grown);
    auto* const after = static_cast<char*>(sbrk(0));
    // The break did not move (sbrk refused: glibc mapped the block instead).
    if (after <= before || at >= reinterpret_cast<std::uintptr_t>(after)) return 0;

    // From the first huge page after the two headers written.
    const auto first = (at + past_top + 64 + huge_page - 1) / huge_page * huge_page;
    const auto last = reinterpret_cast<std::uintptr_t>(after) / huge_page * huge_page;
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
