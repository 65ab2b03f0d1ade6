// Reading the run-time heap reports written by the heap-counting preload
// library (tools/buildbudget/heapcount/heapcount.cpp), which records each
// process's peak of live heap bytes for wrt_memory_budget_add_test()
// (doc/memory-budget.md, "Budget checks"; doc/design.md, "Budget checks").
//
// Each process that ran with the library and BUILDBUDGET_HEAP_REPORT_DIR set
// leaves one file `<dir>/heap.<pid>.json` holding exactly one JSON object:
//
//   {"schema":"buildbudget-heap-report/1","pid":1234,"command":"prog",
//    "peak_bytes":3146000,"final_live_bytes":73000,"allocations":105,"frees":103}
//
// Byte figures are sums of malloc_usable_size() of the live blocks, so they
// are slightly above the requested sizes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace buildbudget::runtime {

/// The schema name a heap report must carry.
inline constexpr const char* heap_report_schema = "buildbudget-heap-report/1";

/// One process's heap figures, as written by the preload library.
struct HeapReport {
    int pid = 0;                          ///< process id (> 0); also the number in the file name
    std::string command;                  ///< /proc/<pid>/comm of the process (at most 15 bytes, UTF-8)
    std::uint64_t peak_bytes = 0;         ///< largest live heap at any time, bytes
    std::uint64_t final_live_bytes = 0;   ///< live heap when the process exited, bytes (<= peak_bytes)
    std::uint64_t allocations = 0;        ///< successful allocations (malloc family, aligned forms, operator new)
    std::uint64_t frees = 0;              ///< frees of non-null blocks (free, realloc to 0, operator delete)
    std::string file;                     ///< the report file it was read from (`<dir>/heap.<pid>.json`)
};

/// Parses the text of one report file. `file` is the path the text came from:
/// it names the file in errors and, when its last component has the form
/// `heap.<pid>.json`, must agree with the report's pid.
///
/// Checks: the text is exactly one JSON object; "schema" is
/// "buildbudget-heap-report/1"; "pid" is an integer in 1..INT_MAX; "command"
/// is a string; "peak_bytes", "final_live_bytes", "allocations" and "frees"
/// are non-negative integers; final_live_bytes <= peak_bytes. Other members
/// are ignored.
///
/// Throws std::runtime_error `<file>: malformed heap report: <what is wrong>`
/// (the JSON parser's own message for text that is not JSON).
[[nodiscard]] HeapReport parse_heap_report(const std::string& text, const std::string& file);

/// Reads every regular file `heap.<digits>.json` directly in `dir` (other names,
/// such as the writer's `.heap.<pid>.json.tmp` files, are ignored), sorted by
/// pid. An existing directory without reports gives an empty vector: a
/// process leaves no report when it ends through _exit(), a signal or
/// abort(), or when it ignored LD_PRELOAD (static or set-user-ID programs).
///
/// Throws std::runtime_error when `dir` cannot be listed
/// (`<dir>: cannot read heap report directory: <reason>`), when a report
/// file cannot be read (`<file>: cannot read heap report: <reason>`), or as
/// parse_heap_report() does for a malformed one.
[[nodiscard]] std::vector<HeapReport> read_heap_reports(const std::string& dir);

}  // namespace buildbudget::runtime
