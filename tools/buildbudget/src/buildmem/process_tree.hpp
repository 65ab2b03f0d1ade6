// The resident memory of a running job: a process and all its descendants
// (the launcher records each job's peak RSS: doc/lowmem.md, "The job
// launcher"). A compile is a tree (ccache -> g++ -> cc1plus, as), so the
// job's memory is the sum over the tree, read from Linux's /proc (proc(5)):
//   /proc/<pid>/stat   field 4 is the parent pid (after the "(comm)" field,
//                      which may itself hold spaces and parentheses), field 22
//                      the start time in clock ticks since boot;
//   /proc/<pid>/statm  field 2 is the resident set in pages (sysconf(_SC_PAGESIZE)).
// Pages shared between processes of the tree (libraries, copy-on-write pages
// after fork) are counted once per process, as `ps` and `top` count them, so
// the sum can exceed the memory really in use; it never undercounts.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace buildbudget::buildmem {

/// One process as /proc shows it.
struct ProcessInfo {
    pid_t pid = 0;
    pid_t ppid = 0;
    std::uint64_t rss_bytes = 0;  ///< statm resident pages x page size
};

/// Parses the text of /proc/<pid>/stat: the parent pid (field 4) and the start
/// time in clock ticks since boot (field 22). Empty when the text is not of
/// that shape (e.g. a process that vanished while it was read).
struct StatFields {
    pid_t ppid = 0;
    std::uint64_t start_ticks = 0;
};
[[nodiscard]] std::optional<StatFields> parse_proc_stat(const std::string& text);

/// Parses the text of /proc/<pid>/statm: the resident pages (field 2) times
/// `page_size` bytes. Empty when malformed.
[[nodiscard]] std::optional<std::uint64_t> parse_proc_statm(const std::string& text, std::uint64_t page_size);

/// Every process under `proc_root` (default "/proc"; a fake tree in tests):
/// the numeric directories with a readable stat and statm. Processes that exit
/// while they are read are left out; never throws.
[[nodiscard]] std::vector<ProcessInfo> scan_processes(const std::string& proc_root = "/proc");

/// Sum of rss_bytes of `root` and all its descendants in `processes` (by ppid
/// links). 0 when `root` is not in the list.
[[nodiscard]] std::uint64_t tree_rss(const std::vector<ProcessInfo>& processes, pid_t root);

/// Resident bytes of the live process `root` and all its descendants, read
/// from `proc_root`. On Linux with /proc/<pid>/task/<tid>/children (kernel
/// CONFIG_PROC_CHILDREN) only the tree itself is visited; otherwise every
/// process is scanned (scan_processes) and the ppid links are followed.
/// 0 when `root` no longer exists.
[[nodiscard]] std::uint64_t process_tree_rss(pid_t root, const std::string& proc_root = "/proc");

/// The start time of `pid` (stat field 22, clock ticks since boot), used to
/// tell a live process from a later one that reuses its pid. Empty when `pid`
/// does not exist.
[[nodiscard]] std::optional<std::uint64_t> process_start_ticks(pid_t pid, const std::string& proc_root = "/proc");

}  // namespace buildbudget::buildmem
