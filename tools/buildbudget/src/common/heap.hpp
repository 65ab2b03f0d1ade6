// The C library's heap, for a command that builds a large model in memory and
// exits soon after (`wasm analyze`): fewer page faults while it grows.
//
// Each page a process writes for the first time costs a page fault. A model of
// tens of megabytes, built from hundreds of thousands of small allocations,
// touches its pages one 4 KiB page at a time: `wasm analyze` took 16,300 page
// faults on a 39 MB module, and on a virtual machine, where a fault costs several
// microseconds, they were a third of its time (`perf record -e page-faults`:
// malloc's chunk headers, vectors being zeroed and copied). Backed by
// transparent huge pages, the same heap faults in 2 MiB at a time
// (doc/helper-wasm-analyze.md, "Speed").
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

namespace buildbudget {

/// A transparent huge page: the PMD size of x86-64 and AArch64 with 4 KiB pages.
inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;

/// Prepares the heap of this process for about `bytes` of allocations that live
/// until it exits, as glibc's `glibc.malloc.hugetlb=1` tunable would (which can
/// only be set in the environment, before the process starts):
///  - blocks up to 32 MiB come from the heap instead of mappings of their own
///    (M_MMAP_THRESHOLD; 32 MiB is the most glibc accepts on 64-bit systems), and
///    the heap is not given back to the system when its top is freed
///    (M_TRIM_THRESHOLD), so the region below stays in use;
///  - the heap is grown by `bytes` at once, writing nothing in the new region
///    (memory that is not touched costs nothing; a 2 MiB range already written
///    to is never made a huge page), and that region is advised for
///    transparent huge pages (madvise MADV_HUGEPAGE; the kernel's default
///    "madvise" mode honours it, "never" ignores it).
/// Only the main heap (glibc's main arena) is prepared; threads that allocate
/// use heaps of their own. Does nothing below 4 MiB (two huge pages), with a
/// C library other than glibc, or when malloc is not glibc's (AddressSanitizer's
/// refuses mallopt()). Failures leave the heap as it was: this is an
/// optimisation, never an error. (Under strict overcommit, vm.overcommit_memory
/// 2, the region counts against the commit limit from the start; when the
/// kernel refuses it, the heap stays as it was.) Returns the bytes of heap
/// advised (0: none).
std::size_t reserve_heap(std::size_t bytes) noexcept;

/// True when the kernel backs memory advised MADV_HUGEPAGE with transparent huge
/// pages: /sys/kernel/mm/transparent_hugepage/enabled says "[always]" or
/// "[madvise]" (the kernel's admin-guide/mm/transhuge). False when it says
/// "[never]", or cannot be read (another kernel, no THP). Read once.
[[nodiscard]] bool transparent_huge_pages_on_request() noexcept;

/// Moves `value` onto the heap and never destroys it: the process's exit gives all its memory
/// back at once, where destroying a model of tens of thousands of nodes frees them one at a
/// time, on the critical path after the output is written (`wasm analyze` on z3-built.wasm:
/// about 3 % of its CPU in ~Module and ~ModuleAnalysis; clang's cc1 skips the same work with
/// -disable-free, which its driver passes by default). For a command's last step only: the
/// value's destructor never runs, so it must own nothing but memory, mappings and descriptors.
/// The value stays reachable from a list that is never freed either, so LeakSanitizer does not
/// report it. Not thread-safe: call it from one thread.
template <typename T>
void leave_to_process_exit(T&& value) {
    static auto* const kept = new std::vector<const void*>();
    kept->push_back(new std::decay_t<T>(std::forward<T>(value)));
}

}  // namespace buildbudget
