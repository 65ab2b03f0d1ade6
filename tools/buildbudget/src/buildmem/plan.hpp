// Job pools from the memory limit (doc/lowmem.md, "The rule"; doc/design.md,
// "Build memory"): how many compiles and links may run at once so that the
// build stays inside its memory.
//
// The rule, in the manner of Chromium's build/get_concurrent_links.py (links =
// max(1, (memory - reserve_mem_gb) / mem_per_link_gb), capped at the CPU
// count) and of LLVM's HandleLLVMOptions.cmake (LLVM_PARALLEL_COMPILE_JOBS /
// LLVM_PARALLEL_LINK_JOBS computed as available memory / LLVM_RAM_PER_COMPILE_JOB
// or LLVM_RAM_PER_LINK_JOB, at least 1):
//
//   reserve       = max(512 MiB, limit / 10), never above limit / 2 (default)
//   compile_jobs  = clamp(floor((limit - reserve) / compile_memory), 1, cpus)
//   link_jobs     = clamp(floor((limit - reserve) / link_memory), 1, cpus)
//   linker_threads = max(1, floor(cpus / link_jobs))
//
// where compile_memory and link_memory are, in order of precedence: the
// value given (--compile-memory / --link-memory), what the launcher's job log
// of earlier builds recorded (--log, "Learning" below), else the estimate
// below. Each pool is sized as if all its jobs ran at their peak at once, and
// the two pools are sized separately: Ninja runs compiles and links at once
// only at the edges of a target, and the launcher's admission (doc/lowmem.md,
// "Admission") covers that overlap at run time.
//
// Learning from the job log (--log; lowmem_profile() passes its build tree's
// own log, so each configure after a build learns from that build):
//   peaks    the latest record of each job (its output, else its source, else
//            its command) that finished; a job whose latest run was killed
//            by a signal or failed while the OOM killer struck is left out
//            (its peak is where it was stopped).
//   margin r from the jobs recorded in two builds with the same command: the
//            relative change d = (last - previous) / previous of each. With at
//            least 3 of them, r = max(5 %, 3 * sqrt(mean(d^2))): three standard
//            deviations of the build-to-build change, the limits of a
//            Shewhart control chart (NIST/SEMATECH e-Handbook of Statistical
//            Methods, section 6.3.2); the 5 % floor covers a rise the
//            launcher's sampling (every 10-50 ms) can miss. With fewer, r =
//            15 %, the default safety margin of the Kubernetes Vertical Pod
//            Autoscaler's recommender, which sizes memory from recorded peaks
//            the same way (--recommendation-margin-fraction 0.15).
//   per job  each job's peak times (1 + r), rounded up; compile_memory /
//            link_memory is the heaviest of its kind, which is also what the
//            launcher's admission predicts for a job not recorded yet.
//   reserve  once compiles were learned (and no --reserve): max(64 MiB, 5 % of
//            the limit), at most half of it: the build tool and the launchers;
//            the jobs' own figures already carry the margin.
//   pools    with admission (--admission on): floor((limit - reserve) /
//            the median job), 1..CPUs; admission holds a heavier job back
//            until its own recorded peak is free. Without admission: the
//            largest k (1..CPUs) for which the k heaviest jobs fit limit -
//            reserve together, so any k jobs fit at once.
//   archives static archive steps (`ar`, JobRecord::archive()) are the link
//            jobs of static libraries and count as links: a project that only
//            archives plans its link pool on their peaks (a few MiB), not on
//            the link estimate.
//
// All sizes are bytes.
#pragma once

#include "buildmem/probe.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace buildbudget::buildmem {

/// Debug information of the build (lowmem_profile DEBUG_INFO): none (-g0),
/// line tables only (GCC -g1, clang -gline-tables-only), split DWARF
/// (-gsplit-dwarf: the compiler writes .dwo files, the linker never sees the
/// bulk of the DWARF), or full (-g).
enum class DebugInfo { off, line_tables, split, full };

/// Link-time optimisation: none, ThinLTO (clang; GCC's partitioned LTO), full
/// (monolithic) LTO.
enum class Lto { off, thin, full };

/// The linker in use (lowmem_profile detects it); it decides the flags, not
/// the estimate (see link_memory_estimate()).
enum class Linker { bfd, gold, lld, mold, other };

// --- Estimates (bytes) and their reasoning ----------------------------------
//
// The base figures are what one job of a large C++ code base takes at -O2
// without debug info. They are deliberately on the heavy side of ordinary
// translation units (a typical TU takes 100-500 MiB; template-heavy ones such
// as LLVM's or Chromium's biggest take 1-2 GiB, which is why LLVM's
// LLVM_RAM_PER_COMPILE_JOB examples and ClickHouse's cmake/limit_jobs.cmake use
// 2-2.5 GB per compile), because a pool sized on the average runs out of memory
// on the heaviest file. Real figures replace them as soon as the launcher has
// recorded a build (--log).

/// One compile job without debug info: 1 GiB.
inline constexpr std::uint64_t base_compile_memory = 1ULL << 30;
/// One link job without debug info or LTO: 2 GiB. Links read every object
/// and hold the symbol table and relocations of the whole program; Chromium
/// budgets several GiB per link (get_concurrent_links.py --mem_per_link_gb)
/// and ClickHouse 3.5-4 GB (MAX_LINKER_MEMORY).
inline constexpr std::uint64_t base_link_memory = 2ULL << 30;
/// The default reserve's floor: 512 MiB for the shell, the build tool
/// (ninja, cmake) and the page cache of headers (Chromium reserves whole
/// GiB on workstations; a container has little else running).
inline constexpr std::uint64_t min_reserve = 512ULL << 20;
/// The default reserve as a share of the limit: 10 %.
inline constexpr unsigned reserve_percent = 10;

/// A multiplier as a fraction in hundredths (110 = x1.1), so the arithmetic
/// is exact and reproducible: estimate = floor(base * percent / 100).
struct Factor {
    unsigned compile_percent;
    unsigned link_percent;
};

/// Debug-info multipliers (compile / link). Debug info makes the compiler
/// build and emit the DWARF of every declaration it uses (full: x1.5; GCC's
/// and clang's -g roughly doubles object sizes and adds a third to half to a
/// compile's peak), and makes the linker read, relocate and write all of it
/// (full: x2.0 link). Line tables are a small part of that (x1.1 / x1.25).
/// Split DWARF costs the compiler almost what full debug info does (x1.4)
/// but keeps the DWARF out of the link (x1.25, the skeleton units and line
/// tables), which is why it is the medium class's default.
[[nodiscard]] Factor debug_info_factor(DebugInfo d);

/// LTO multipliers on the link (percent): ThinLTO x2 (the link runs the
/// backend for every module, in parallel, holding the summaries and the
/// modules being optimised), full LTO x4 (the whole program as one IR module
/// in one process). The compile only emits bitcode and is not raised.
[[nodiscard]] unsigned lto_link_percent(Lto l);

/// floor(base_compile_memory * debug factor / 100).
[[nodiscard]] std::uint64_t compile_memory_estimate(DebugInfo d);

/// floor(floor(base_link_memory * debug factor / 100) * LTO factor / 100).
/// The linker does not change it: lld and mold are faster than GNU ld, not
/// leaner (both map every input whole), and GNU ld's lower-memory flags
/// (--no-keep-memory, --reduce-memory-overheads) are the margin that makes
/// the estimate safe for it.
[[nodiscard]] std::uint64_t link_memory_estimate(DebugInfo d, Lto l);

/// Memory classes (doc/lowmem.md, "Estimates and memory classes"): "small"
/// below 8 GiB, "medium" from 8 GiB to 16 GiB (both included), "large" above
/// 16 GiB.
[[nodiscard]] const char* memory_class(std::uint64_t limit);

/// max(min_reserve, limit * reserve_percent / 100), at most limit / 2.
[[nodiscard]] std::uint64_t default_reserve(std::uint64_t limit);

/// Names used on the command line and in JSON: "off", "line-tables",
/// "split", "full"; "off", "thin", "full"; "bfd", "gold", "lld", "mold", "other".
[[nodiscard]] const char* to_string(DebugInfo d);
[[nodiscard]] const char* to_string(Lto l);
[[nodiscard]] const char* to_string(Linker l);
[[nodiscard]] std::optional<DebugInfo> parse_debug_info(const std::string& text);
[[nodiscard]] std::optional<Lto> parse_lto(const std::string& text);
[[nodiscard]] std::optional<Linker> parse_linker(const std::string& text);

/// One finished job of a job log (its latest record).
struct RecordedPeak {
    std::uint64_t peak_rss = 0;  ///< bytes
    std::string job;             ///< its source (compiles) or output (links), as logged
    std::size_t line = 0;        ///< 1-based line of the record in the log
    bool archive = false;        ///< a static archive step (JobRecord::archive())
};

/// What a job log says about the jobs of the build tree.
struct LogPeaks {
    std::optional<RecordedPeak> compile, link;  ///< the heaviest of each kind
    std::vector<RecordedPeak> compiles, links;  ///< every job's latest finished record, heaviest first
    std::size_t archives = 0;                   ///< how many of `links` are archive steps
    std::size_t left_out = 0;                   ///< jobs whose latest record was killed (not counted)
    /// (last - previous) / previous of the last two finished peaks of each job recorded in two
    /// builds with the same command, in log order of the jobs' latest records.
    std::vector<double> changes;
    std::size_t records = 0;  ///< records read
};

/// The margin added to recorded peaks ("Learning" above): percent, and what it came from.
struct LearnedMargin {
    unsigned percent = 15;
    std::size_t samples = 0;  ///< changes it was computed from; below 3 the prior was used
    double rms = 0;           ///< sqrt(mean(d^2)) of the changes (0 without samples)
};
inline constexpr unsigned margin_prior_percent = 15;
inline constexpr unsigned margin_floor_percent = 5;
inline constexpr unsigned margin_sigmas = 3;
inline constexpr std::size_t margin_min_samples = 3;
/// The reserve once compiles were learned: max(64 MiB, 5 % of the limit), at most half.
inline constexpr std::uint64_t learned_min_reserve = 64ULL << 20;
inline constexpr unsigned learned_reserve_percent = 5;

/// r = max(5 %, ceil(300 * sqrt(mean(d^2)))) % with at least 3 changes, else 15 %.
[[nodiscard]] LearnedMargin learned_margin(const std::vector<double>& changes);

/// bytes + ceil(bytes * percent / 100).
[[nodiscard]] std::uint64_t with_margin(std::uint64_t bytes, unsigned percent);

/// Reads a launcher job log (JSON lines, doc/lowmem.md "The job log": "kind" compile|link,
/// "source", "output", "peak_rss" bytes, "signal" null or a number, ...).
/// Only the latest record of each job (kind and JobRecord::key()) counts,
/// so a file that was fixed is not held against the build forever; jobs
/// killed by a signal, or failed while the OOM killer struck (JobRecord::killed(),
/// buildmem/job_log.hpp), do not count: their peak is where they were stopped,
/// not what they needed. The log is read by read_records(); its errors become
/// ProbeError: "<file>: cannot read: ...", "<file>:<line>: <what was expected>".
[[nodiscard]] LogPeaks read_log_peaks(const std::string& file);

/// What `buildmem plan` is asked; empty optionals mean "auto"/"estimate".
struct PlanRequest {
    std::optional<std::uint64_t> memory_limit;  ///< empty: the probe's limit
    std::string memory_limit_text;              ///< as given, for the reason ("4GiB")
    std::string root = "/";                     ///< probe root
    std::optional<unsigned> cpus;               ///< empty: the probe's count
    std::optional<std::uint64_t> compile_memory, link_memory, reserve;
    /// Empty: the build type's own flags, estimated with no debug-info factor
    /// (lowmem_profile leaves DEBUG_INFO to the build type in the large class).
    std::optional<DebugInfo> debug_info;
    Lto lto = Lto::off;
    Linker linker = Linker::other;
    std::string log;                            ///< job log to read, or empty
    /// The launcher's admission is on: learned pools may be sized on the median job ("Learning").
    bool admission = false;
};

/// The plan: pool sizes and one reason per decision (doc/helper-buildmem.md, "buildbudget buildmem plan": its JSON).
struct Plan {
    std::uint64_t memory_limit = 0;
    std::string memory_limit_source;
    std::string memory_class;
    std::uint64_t reserve = 0;
    unsigned cpus = 1;
    std::string cpus_source;
    std::uint64_t compile_memory = 0, link_memory = 0;
    unsigned compile_jobs = 1, link_jobs = 1, linker_threads = 1;
    /// The job log the plan learned from (empty: nothing was learned), and from what.
    std::string learned_from;
    bool compile_learned = false, link_learned = false;
    unsigned margin_percent = 0;  ///< the learned margin (0 when nothing was learned)
    std::vector<std::string> reasons;
};

/// Sizes the pools. Probes `request.root` only when the limit or the CPUs
/// are "auto". Errors: std::invalid_argument, what() "<option>: <problem>"
/// ("--reserve: 5 GiB (...) is not below the memory limit ...") for a limit
/// of 0, a reserve not below the limit, a compile or link memory of 0 or 0
/// CPUs; ProbeError from the probe or the log (naming the file).
[[nodiscard]] Plan make_plan(const PlanRequest& request);

}  // namespace buildbudget::buildmem
