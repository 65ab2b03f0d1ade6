// `buildbudget buildmem report` (doc/lowmem.md, "The job launcher";
// doc/helper-buildmem.md, "buildbudget buildmem report"): what the launcher's
// job log says about the build's memory: the heaviest compiles and links, the
// peak memory of the jobs that ran at the same time, the jobs killed by a
// signal, and, with the plan, the pool sizes the recorded peaks would allow.
#pragma once

#include "buildmem/job_log.hpp"
#include "buildmem/launch.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace buildbudget::buildmem {

/// The peak of the estimated concurrent memory: a sweep over the jobs' run
/// times summing the peaks of the jobs that ran at the same moment. Each job
/// occupies the half-open interval [start_ms, max(end_ms, start_ms + 1)):
/// Ninja starts a job after another ends, so a job that ends in the
/// millisecond the next one starts is not counted as running beside it, and a
/// job shorter than a millisecond still counts. The sum of peaks is an upper
/// estimate (peaks need not coincide).
struct ConcurrencyPeak {
    std::uint64_t bytes = 0;             ///< the highest sum of peaks
    std::optional<std::int64_t> at_ms;   ///< when it was first reached (ms since the epoch); empty without records
    std::vector<std::size_t> jobs;       ///< indices (into the records) of the jobs running then, in start order
    std::size_t max_jobs = 0;            ///< the most jobs that ran at once (at any moment)
};

/// The sweep of ConcurrencyPeak over `records` (all of them: every run counts).
[[nodiscard]] ConcurrencyPeak concurrency_peak(const std::vector<JobRecord>& records);

/// The pool a kind of job would get from the recorded peaks.
struct PoolFit {
    std::string kind;                       ///< "compile" or "link"
    unsigned planned = 1;                   ///< the plan's pool
    /// The heaviest peak among the latest runs of each output, leaving out
    /// outputs whose latest run was killed (the rule `buildmem plan --log` uses).
    std::optional<std::uint64_t> heaviest;
    std::string heaviest_job;               ///< its JobRecord::name()
    std::optional<unsigned> memory_fit;     ///< fitting_pool(limit, reserve, heaviest): 0 when that job alone does not fit
    std::optional<unsigned> pool;           ///< memory_fit capped at the plan's CPUs, at least 1 (doc/lowmem.md, "The rule")
};

/// Where the compiles of a build with a compile farm ran (JobRecord::distributed),
/// over every record of the log (every run counts, as in ConcurrencyPeak).
struct FarmSummary {
    std::vector<std::string> engines;                          ///< sorted
    std::size_t remote = 0, local = 0, fallback = 0, failed = 0, unknown = 0;  ///< compiles by DistributedRun::ran
    /// Remote compiles by DistributedRun::preprocessed: preprocessed here (icecream, plain distcc, or distcc pump mode
    /// without the include server's includes), or on their hosts (distcc pump mode)
    std::size_t preprocessed_local = 0, preprocessed_remote = 0;
    std::vector<std::pair<std::string, std::size_t>> hosts;    ///< host -> remote compiles, by name
    std::vector<std::pair<std::string, std::size_t>> failed_hosts;  ///< host -> fallbacks and failures it caused
};

/// The records of `records` that have a "distributed" object (doc/lowmem-distributed.md), counted by
/// where they ran and by host; nothing when none has one (a build without a farm).
[[nodiscard]] std::optional<FarmSummary> summarize_farm(const std::vector<JobRecord>& records);

/// The sentence every report gives FarmSummary's preprocessed counts in (lowmem_report, report.md,
/// report.html), without a final stop or newline: "Where the remote compiles were preprocessed: N
/// here (icecream, plain distcc, ...), M on their hosts (distcc pump mode)".
[[nodiscard]] std::string farm_preprocessed_text(std::size_t here, std::size_t on_hosts);

/// The sentence every report gives a compile farm's counts in (lowmem_report, report.md, report.html;
/// doc/lowmem-distributed.md, "When the farm fails"), without a final stop or newline:
///
///   "Compile farm (SCOPE): R remote[ (HOST N, ...)], L local, F fell back to a local compile,
///    X failed to distribute[, U where the engine does not say]
///    [; hosts that failed (the compiles each failed, which went to another host or fell back): HOST N, ...]"
///
/// on one line, from `farm`'s remote, local, fallback, failed and unknown counts (DistributedRun::ran),
/// its hosts (remote compiles per host) and failed_hosts, each list in its given order; a bracketed part
/// only when its count is above 0 or its list is not empty. `farm`'s engines and preprocessed counts are
/// not read: the caller names the engines and the records counted in `scope` (lowmem_report:
/// "distcc, every record of the log"; report.md and report.html: farm_last_build_scope), and
/// farm_preprocessed_text() words the preprocessed counts. Host names are as given: the caller
/// escapes the text for its format.
[[nodiscard]] std::string farm_counts_text(const FarmSummary& farm, const std::string& scope);

/// farm_counts_text()'s scope for report.json's build_memory.distributed, which counts the last
/// build of the log (doc/helper-report.md, "report.json"): report.md and report.html say it.
inline const std::string farm_last_build_scope = "the last build";

/// Everything the report shows.
struct BuildmemReport {
    std::string log;                     ///< the job log read
    std::optional<std::string> plan;     ///< the plan file, when given
    bool log_missing = false;            ///< --plan given and no job recorded yet
    std::size_t records = 0;             ///< lines in the log
    std::vector<JobRecord> all;          ///< every record, in file order
    std::vector<std::size_t> compiles;   ///< the latest record of each compile output, heaviest first
    std::vector<std::size_t> links;      ///< likewise for links
    ConcurrencyPeak concurrency;
    std::vector<std::size_t> killed;     ///< records that are JobRecord::killed(), in file order
    std::optional<LowmemPlan> plan_data;
    std::vector<PoolFit> pools;          ///< compile and link, with a plan
    std::optional<FarmSummary> farm;     ///< when any record ran with a compile farm
};

/// Builds the report from `records` (file order) and, when given, the plan.
/// "Latest" is file order: a launcher appends its record when its job ends.
/// The compile pool's fit leaves out compiles a farm host ran (or that failed
/// to distribute): their peak is the local client's, not a local compile's.
[[nodiscard]] BuildmemReport build_report(std::vector<JobRecord> records, const std::string& log,
                                          const std::optional<LowmemPlan>& plan);

/// The console report: tables (report/table.hpp) of at most `top` rows each
/// (0: all). Times in UTC (ISO 8601), sizes as format_size() with the bytes.
/// When the sources shown are absolute paths under one directory (CMake's
/// way), the title names it and the table shows them relative to it.
[[nodiscard]] std::string report_text(const BuildmemReport& report, std::size_t top);

/// The JSON report, schema "buildbudget-buildmem-report/1":
/// {"schema", "log", "plan": path|null, "records": N,
///  "compiles": [job...], "compile_outputs": N, "links": [job...], "link_outputs": N,
///  "concurrency": {"peak_bytes", "at_ms": N|null, "jobs": [job...], "max_jobs"},
///  "killed": [job...],
///  "pools": null | {"memory_limit", "reserve", "cpus",
///                   "compile"|"link": {"planned", "heaviest": N|null, "heaviest_job": str|null,
///                                      "memory_fit": N|null, "pool": N|null}},
///  "distributed": null | {"engines": [str...], "remote", "local", "fallback", "failed", "unknown",
///                         "preprocessed": {"local", "remote"},
///                         "hosts": {host: N...}, "failed_hosts": {host: N...}}}
/// job = {"kind", "source", "output", "peak_rss", "start_ms", "end_ms", "duration_ms",
///        "exit_code", "signal", "waited_ms", "oom_kills"[, "distributed": the record's, with a farm]}. "compiles"/"links" hold at most `top` (0: all).
[[nodiscard]] std::string report_json(const BuildmemReport& report, std::size_t top);

}  // namespace buildbudget::buildmem
