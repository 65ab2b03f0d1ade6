// `buildbudget buildmem launch` (doc/lowmem.md, "The job launcher"): the
// compiler and linker launcher that lowmem_profile() puts in front of every C
// and C++ compile and link (CMAKE_<LANG>_COMPILER_LAUNCHER and
// CMAKE_<LANG>_LINKER_LAUNCHER), chained in front of ccache, sccache or distcc.
// It runs the job with the launcher's own standard streams, samples the
// resident memory of the job's whole process tree (its peak, and a bounded
// series over time), records one line in the job log (job_log.hpp), passes the job's exit status through, and names a job that
// was killed by SIGKILL (on Linux most likely the kernel's OOM killer) with its
// peak and the pool size that would have fit. With admission on, it first
// holds the job back until the memory it is predicted to need is free
// (admission.hpp).
#pragma once

#include "buildmem/icecc_log.hpp"
#include "buildmem/job_log.hpp"

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace buildbudget::buildmem {

/// A plan file that cannot be read or does not hold what the launcher needs.
/// what(): "<file>: <problem>" (with the byte offset for invalid JSON).
struct PlanFileError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The admission settings of the plan ("admission": {...}).
struct AdmissionSettings {
    bool enabled = false;
    double timeout_seconds = 600;  ///< after this long a held job runs anyway (with a note)
    std::string probe_root = "/";  ///< the root buildmem::available_memory() reads under
};

/// The compile farm of a plan made with lowmem_profile(DISTRIBUTED ...)
/// ("distributed": {...}, optional: absent for a local build; doc/lowmem-distributed.md).
/// The launcher chains `client` into compile jobs (never links) and, with
/// distcc, falls back to a local compile through admission when distribution fails.
struct DistributedSettings {
    std::string engine;                    ///< "distcc" or "icecc"
    std::string client;                    ///< the engine's client program (an absolute path)
    unsigned remote_slots = 0;             ///< the farm's slots the compile pool counts on
    unsigned local_compile_jobs = 0;       ///< compiles the pool lets run locally
    std::uint64_t remote_compile_memory = 0;  ///< local cost of one remote compile, bytes
    bool pump = false;                     ///< every remote slot is distcc pump mode (,cpp); never with icecc
    bool fallback = true;                  ///< a failed distribution is compiled locally (through admission)
};

/// The plan file lowmem_profile() writes at configure time
/// (${CMAKE_BINARY_DIR}/buildbudget-lowmem/plan.json, schema
/// "buildbudget-lowmem-plan/1", doc/lowmem.md). Sizes in bytes.
struct LowmemPlan {
    std::string file;  ///< the plan file as given
    std::string log;   ///< the job log (a relative path is taken relative to the plan's directory)
    std::uint64_t memory_limit = 0;
    std::uint64_t reserve = 0;
    std::uint64_t compile_memory = 0;  ///< the estimate of one compile job's peak
    std::uint64_t link_memory = 0;     ///< the estimate of one link job's peak
    unsigned compile_jobs = 1;
    unsigned link_jobs = 1;
    unsigned cpus = 1;
    /// memory_limit was probed at configure (MEMORY_LIMIT auto), not given;
    /// optional in the file (false when absent)
    bool memory_limit_probed = false;
    AdmissionSettings admission;
    /// The compile farm; empty for a local build (the file then has no "distributed" key).
    /// With it, compile_jobs is the farm's compile pool.
    std::optional<DistributedSettings> distributed;

    /// compile_memory or link_memory for "compile" / "link".
    [[nodiscard]] std::uint64_t estimate(const std::string& kind) const;
    /// compile_jobs or link_jobs for "compile" / "link".
    [[nodiscard]] unsigned pool(const std::string& kind) const;
};

/// Reads and checks a plan file. Every field of the schema is required, sizes
/// are non-negative integers, pools at least 1, reserve below memory_limit.
/// Throws PlanFileError: "<file>: cannot read: No such file or directory",
/// "<file>: byte 17: not valid JSON: ...", "<file>: \"memory_limit\" must be a
/// number of bytes, got \"4GiB\"", "<file>: schema is \"x\", expected
/// \"buildbudget-lowmem-plan/1\"", "<file>: \"distributed\".\"engine\" must be
/// \"distcc\" or \"icecc\", got ...". "distributed" and "memory_limit_probed" are optional.
[[nodiscard]] LowmemPlan read_lowmem_plan(const std::string& path);

/// The text of the plan file for `plan` (its `file` is not written), which
/// read_lowmem_plan() reads back: one JSON object, keys sorted, two-space
/// indent, `"key" : value`, a nested object on its own line, and a final
/// newline (the layout CMake's string(JSON) gave the file before
/// `buildmem plan --write-plan` wrote it, so it stays byte for byte the same).
/// timeout_seconds is written as a whole number when it is one.
[[nodiscard]] std::string lowmem_plan_text(const LowmemPlan& plan);

/// The pool size that fits `peak` bytes per job into the memory the plan leaves
/// for jobs: (memory_limit - reserve) / peak, rounded down (the pool rule of
/// doc/lowmem.md, "The rule", before its clamp to at least 1
/// job). 0 when one such job alone needs more than that: no pool fits it.
[[nodiscard]] unsigned fitting_pool(std::uint64_t memory_limit, std::uint64_t reserve, std::uint64_t peak);

/// How often the job's tree is sampled: every `fast_interval_ms` for the
/// first `fast_period_ms` (short jobs are most compiles), then every
/// `slow_interval_ms`. getrusage(RUSAGE_CHILDREN).ru_maxrss covers the largest
/// single process between samples. Each poll is also the job's RSS over time
/// (JobRecord::samples), kept bounded by RssSamples (job_log.hpp): no poll is
/// added for it.
struct SamplingSchedule {
    int fast_interval_ms = 10;
    int fast_period_ms = 500;
    int slow_interval_ms = 50;
};

/// Where the launcher counts the kernel's OOM kills: the memory cgroup the
/// launcher, and so the job it starts, runs in (memory_cgroup() of the plan's
/// probe root, from /proc/self/cgroup), so that a kill in another cgroup (a
/// neighbour on a shared CI runner) is never blamed on the job:
///   cgroup v2  memory.events "oom_kill N": kills in the cgroup and below
///              (cgroup-v2.rst "memory.events"; Linux 4.13)
///   cgroup v1  memory.oom_control "oom_kill N": kills in that cgroup
///              (cgroup-v1/memory.rst; Linux 4.13)
/// Only without either (no memory cgroup, the v2 root cgroup, an older
/// kernel): the host-wide "oom_kill" of ROOT/proc/vmstat (Linux 4.13,
/// mm/vmstat.c), which counts every kill on the machine; `host_wide` says so.
struct OomKillCounter {
    std::string file;        ///< the file read, under the probe root
    bool host_wide = false;  ///< ROOT/proc/vmstat: any process on the host
};

/// The counter for a launcher whose probe root is `root` (see OomKillCounter);
/// empty when not even /proc/vmstat has an "oom_kill" line.
[[nodiscard]] std::optional<OomKillCounter> find_oom_kill_counter(const std::string& root);

/// The "oom_kill" value of `counter`'s file; empty when the file or the line is missing.
[[nodiscard]] std::optional<std::uint64_t> read_oom_kill_count(const OomKillCounter& counter);

/// The one-line message for a job the OOM killer most likely ended
/// (job.killed() with SIGKILL or oom_kills > 0): names the job (kind, source,
/// output; the command's first word when it has neither), how it ended
/// ("was killed by SIGKILL", or, for GCC whose driver survives the kill of
/// cc1plus or ld, "failed (exit 1) while the kernel's OOM killer killed 1
/// process in its cgroup (oom_kill in <counter file>)"; with a host-wide
/// `counter`, that the count is the whole host's and the kill may be another
/// program's), its recorded peak_rss (human and exact bytes, a lower bound:
/// the job did not finish), and what could work, from fitting_pool() with the
/// plan's limit and reserve:
///  - 0 (the job alone needs more than limit - reserve): says so, with the
///    job, its peak and the limit; advises lower debug info for that unit
///    (set_source_files_properties(... COMPILE_OPTIONS -g1 or -g0, below
///    the last -g option of its command; with -g0 already, a smaller unit;
///    for a link, DEBUG_INFO/LTO of what it links) or a memory limit of at
///    least peak + reserve. No pool size, RESERVE or admission advice.
///  - below the plan's pool: the pool that fits next to the plan's, and the
///    per-job memory or -j that would fit.
///  - the plan's pool fits: memory was taken outside the pool; without
///    admission: ADMISSION ON or a larger RESERVE; with admission (already
///    on): fewer jobs or more memory.
/// Without the trailing newline and the "buildbudget: error: " prefix.
/// `configured`: the plan as configure made it, when `plan` is the effective
/// plan of a lower real limit (check_memory_limit()); the message then also
/// says what that plan's limit would have fitted.
[[nodiscard]] std::string killed_job_message(const JobRecord& job, const LowmemPlan& plan,
                                             const std::optional<OomKillCounter>& counter = std::nullopt,
                                             const LowmemPlan* configured = nullptr);

/// The plan against the memory limit the build really has (doc/lowmem.md, "A limit below the
/// plan's"): configure may have run outside the memory cgroup the build runs in, or
/// the cgroup's limit may have changed since. A limit below the plan's is
/// acted on (effective). A larger one is only noted, and only when the plan
/// probed its limit: a given one (MEMORY_LIMIT, the lowmem presets) may be
/// smaller on purpose, and the fixed pools cannot grow before cmake runs again.
struct LimitCheck {
    bool below_plan = false;     ///< the real limit is below the plan's memory_limit
    bool above_plan = false;     ///< probed plan, and the real limit is over 10 % above it
    std::uint64_t actual = 0;    ///< the limit now, bytes (MemoryProbe::limit)
    std::string actual_source;   ///< where it was read (MemoryProbe::limit_source)
    /// The plan the launcher then works with: memory_limit = actual, reserve
    /// at most half of it (the plan rule's cap), admission on (with the
    /// plan's timeout), so jobs wait for memory the fixed pools cannot give.
    LowmemPlan effective;
    unsigned compile_jobs = 1;   ///< the pools the plan rule gives for the real limit:
    unsigned link_jobs = 1;      ///< clamp((actual - reserve) / estimate, 1, cpus)
};

/// Compares `plan` with `actual` bytes read from `actual_source`.
[[nodiscard]] LimitCheck check_memory_limit(const LowmemPlan& plan, std::uint64_t actual, const std::string& actual_source);

/// The warning for a check that is below_plan, with the numbers: the real
/// limit and where it came from, the plan's limit and pools, the pools the
/// real limit would give, and what the launcher does about it. One line,
/// without the "buildbudget: warning: " prefix.
[[nodiscard]] std::string limit_warning(const LowmemPlan& plan, const LimitCheck& check);

/// The note for a check that is above_plan: the real limit and where it came
/// from, the plan's limit and pools, the pools the real limit would give, and
/// that running cmake again uses them. One line, without the
/// "buildbudget: note: " prefix.
[[nodiscard]] std::string limit_note(const LowmemPlan& plan, const LimitCheck& check);

/// Whether this launcher is the first of its build to claim `what` (a short
/// name): creates <log dir>/<what>-<build> exclusively (O_EXCL), where the
/// build is the nearest ancestor process that is not a shell (Ninja or make,
/// running the job through /bin/sh -c) with its start time, and removes the
/// markers of earlier builds. False when another launcher of the same build
/// got there first (or the directory cannot be written).
[[nodiscard]] bool first_in_build(const LowmemPlan& plan, const std::string& what);

/// Whether a launcher of this build claimed `what` already (first_in_build()), without claiming it.
[[nodiscard]] bool seen_in_build(const LowmemPlan& plan, const std::string& what);

/// What distcc's own log (DISTCC_VERBOSE=1, DISTCC_LOG) says about one compile.
/// Hosts are named without "/LIMIT" and ",options" ("127.0.0.1:3632").
struct DistccOutcome {
    std::optional<std::string> host;          ///< the remote host that compiled it ("compile ... completed ok")
    std::optional<std::string> exec_host;     ///< the last remote host it was sent to ("exec on H:")
    bool local = false;                       ///< distcc compiled it on localhost
    std::optional<std::string> failed_host;   ///< the first host that failed it (an ERROR after "exec on" it:
                                              ///< connect failed, unexpected eof, the remote compile failed)
    std::optional<std::string> skipped_host;  ///< the first host distcc left out, being in its backoff period
    bool gave_up = false;                     ///< "failed to distribute and fallbacks are disabled"
    /// Pump mode (",cpp" hosts) that preprocessed locally all the same ("failed to get includes from
    /// include server, preprocessing locally"): distcc's reason, e.g. "include server gave up analyzing" or
    /// "INCLUDE_SERVER_PORT not set - did you forget to run under 'distcc-pump'?".
    std::optional<std::string> pump_preprocessed_locally;
    /// distcc preprocessed the unit here ("cpp u.cpp on localhost completed ok", or failed): plain mode, or pump
    /// mode without the include server's includes. A unit a ",cpp" host compiled without it was preprocessed there.
    bool preprocessed_locally = false;
};

/// Reads distcc 3.4's messages ("exec on 127.0.0.1:3632/2: ...", "compile u.cpp
/// on 127.0.0.1:3632/2 completed ok", "ERROR: nonblocking connect to H:P
/// failed: ...", "(dcc_readx) ERROR: unexpected eof", "still in backoff period
/// for H/N", "failed to distribute and fallbacks are disabled", "(dcc_talk_to_include_server)
/// Warning: include server gave up analyzing", "failed to get includes from include server, preprocessing
/// locally", "cpp u.cpp on localhost completed ok").
[[nodiscard]] DistccOutcome read_distcc_log(const std::string& text);

/// The job record's "distributed" object for a compile icecc ran (JobRecord::distributed): engine "icecc",
/// ran, host and failed_host as icecc's log says (read_icecc_log()), and preprocessed "local" for a unit a
/// remote host compiled (icecc always preprocesses what it sends here first); null for one compiled here.
[[nodiscard]] DistributedRun icecc_distributed_run(const IceccOutcome& outcome);

/// Runs `command` (argv; argv[0] looked up on PATH like execvp) as a job of
/// `kind` ("compile" or "link") under `plan`: admission when the plan has it
/// on, then fork/exec with the standard streams inherited, SIGINT, SIGTERM,
/// SIGHUP and SIGQUIT forwarded to the job, tree sampling, the log record,
/// and the message of killed_job_message() when the job was killed by
/// SIGKILL, or failed while the OOM kill count of its own cgroup rose
/// (find_oom_kill_counter() under the plan's admission probe_root). First the
/// memory limit under the probe root is checked against the plan's
/// (check_memory_limit()); when it is lower the job runs under the effective
/// plan, and the first launcher of the build prints limit_warning(). Messages go to `err`. Returns the exit code to
/// exit with: the job's own, 128 + signal when a signal ended it, 127 when
/// the program does not exist and 126 when it cannot be executed (as a POSIX
/// shell does; nothing is logged then).
///
/// With a compile farm in the plan (DistributedSettings) a compile runs through
/// the engine's client: ccache first gets it as CCACHE_PREFIX, another command
/// gets it in front, a command that already runs it is left alone; admission
/// counts the remote compile's local cost. With distcc the client runs with
/// DISTCC_FALLBACK=0 and its messages (DISTCC_VERBOSE=1) in a per-job
/// DISTCC_LOG under <log dir>/distcc (read, copied to the user's own
/// DISTCC_LOG if set, and deleted), which names the host (JobRecord::distributed).
/// When distcc exits with one of its own codes (100-127), or with 128 + signal
/// after its log says it failed to distribute (a remote compiler killed), the
/// distribution failed (not a compile error) and the launcher compiles the unit locally (without the
/// client) once admission has the plan's full compile memory free; with the
/// plan's fallback off, or DISTCC_FALLBACK=0 in the launcher's environment, it
/// fails instead, naming the host and how to allow fallback. With icecc the
/// client runs with ICECC_DEBUG=debug and a per-job ICECC_LOGFILE under
/// <log dir>/icecc (read with read_icecc_log(), icecc_log.hpp, appended to the
/// user's own ICECC_LOGFILE if set, and deleted); icecc falls back by itself,
/// through its local daemon, and the launcher notes it. When icecc's local
/// daemon cannot be reached (reach_icecc_local_daemon()), the launcher
/// compiles the unit itself, without the client, once admission has the full
/// compile memory free, and records a fallback naming "local iceccd". Links
/// never go through the client.
int launch_job(const LowmemPlan& plan, const std::string& kind, const std::vector<std::string>& command, std::ostream& err,
               const SamplingSchedule& schedule = {});

}  // namespace buildbudget::buildmem
