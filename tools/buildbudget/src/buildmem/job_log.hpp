// The launcher's job log (doc/lowmem.md, "The job log"): one
// JSON object per line ("JSON lines"), one line per compile or link job that
// `buildbudget buildmem launch` ran, appended by many launchers at once:
//   {"kind":"compile"|"link", "source":"a.cpp"|null, "output":"a.o"|null,
//    "command":["g++","-c","a.cpp","-o","a.o"], "start_ms":N, "end_ms":N,
//    "peak_rss":N, "exit_code":N, "signal":N|null, "waited_ms":N, "oom_kills":N,
//    "samples":[[MS,RSS],...]}
// start_ms/end_ms: milliseconds since the Unix epoch (the wall clock, so jobs of
// different launchers line up); peak_rss: bytes; exit_code: what the launcher
// exited with (128 + signal for a job ended by a signal, as a shell reports it);
// signal: the signal that ended the job, else null; waited_ms: how long
// admission held the job back before it started; oom_kills: for a job that
// failed, how many processes the kernel's OOM killer killed while it ran
// (launch.hpp: GCC's driver survives the OOM kill of cc1plus or ld and just
// exits 1, so a failed job and a rising kill count are what is seen), else 0;
// a record without the field reads as 0. `source` and `output` are the
// command's own arguments, as given (relative to the job's working directory).
// samples: the job's RSS over time (the timeline of the budget report's page,
// doc/helper-report.md), pairs of [milliseconds since start_ms, bytes of the whole process
// tree as peak_rss measures it], in increasing time, each within
// 0..end_ms - start_ms and at most peak_rss; a record without the field reads
// as an empty list. They come from the poll that already tracks the peak
// (launch.hpp, SamplingSchedule: every 10 ms for a job's first 0.5 s, then
// every 50 ms), so sampling adds no reads of /proc. The bound (RssSamples
// below) keeps the line short (the samples add about 1.3 KB at most) and the
// log small for the readers that scan it whole (admission's
// last_finished_peak(), `buildmem report`, `buildmem plan`).
// A compile of a build with a compile farm (lowmem_profile(DISTRIBUTED ...),
// doc/lowmem-distributed.md) also has
//   "distributed":{"engine":"distcc"|"icecc", "ran":"remote"|"local"|"fallback"|"failed"|null,
//                  "host":"127.0.0.1:3632"|null, "failed_host":"build2:3632"|null,
//                  "preprocessed":"local"|"remote"|null}
// ran: remote (a farm host compiled it: host names it, as distcc's log
// does, without its /LIMIT and options; failed_host, when set, failed it
// first and distcc sent it to host instead), local (the engine compiled it
// locally, e.g. a localhost slot), fallback (distribution failed, failed_host
// names the host when the engine said which, and the launcher compiled it
// locally through admission; peak_rss and samples are then the local
// compile's), failed (distribution failed and fallback is off), null (the
// engine does not say: icecream). preprocessed, for a unit a farm host compiled
// (ran remote): local (preprocessed here: always with icecream, which preprocesses
// what it sends; with distcc when its log says "cpp u.cpp on localhost", plain
// mode or pump mode without the include server's includes), remote (distcc's
// pump mode: the host preprocessed it); null for a unit not compiled on a host,
// and in records from before the field (doc/lowmem-distributed.md, "Where the
// remote compiles were preprocessed"). Records without "distributed" (local
// builds, older logs) have no farm.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace buildbudget::buildmem {

/// A log that cannot be read or written, or a malformed line. what(): "<file>:<line>: <problem>"
/// for a bad line, "<file>: <problem>" otherwise.
struct JobLogError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Where a compile of a build with a compile farm ran (JobRecord::distributed).
struct DistributedRun {
    std::string engine;                      ///< "distcc" or "icecc"
    std::optional<std::string> ran;          ///< "remote", "local", "fallback", "failed"; empty: not known
    std::optional<std::string> host;         ///< the host that compiled it (ran remote)
    std::optional<std::string> failed_host;  ///< the host whose failure made it fall back or fail
    std::optional<std::string> preprocessed;  ///< "local" or "remote" (distcc's pump mode), for a unit a host compiled; else empty
};

/// The job log's "distributed" object ({"engine", "ran", "host", "failed_host", "preprocessed"}, an absent value as
/// null), as record_to_json() writes it and the `buildmem report --json` jobs repeat it.
void to_json(nlohmann::ordered_json& j, const DistributedRun& run);

/// One job, one line of the log.
struct JobRecord {
    std::string kind;  ///< "compile" or "link"
    std::optional<std::string> source;
    std::optional<std::string> output;
    std::vector<std::string> command;
    std::int64_t start_ms = 0;
    std::int64_t end_ms = 0;
    std::uint64_t peak_rss = 0;  ///< bytes
    int exit_code = 0;
    std::optional<int> signal;
    std::int64_t waited_ms = 0;
    std::uint64_t oom_kills = 0;
    /// [ms since start_ms, RSS bytes] pairs, increasing in time (RssSamples); empty for an old record
    std::vector<std::pair<std::int64_t, std::uint64_t>> samples;
    /// With a compile farm: where the compile ran; empty for local builds and old records
    std::optional<DistributedRun> distributed;
    std::size_t line = 0;  ///< its 1-based line in the log (read_records()); 0 otherwise, never written

    /// The job ran to its own end (exited, with any code) rather than being killed by a
    /// signal or failing while the OOM killer struck: its peak is a whole job's peak.
    [[nodiscard]] bool finished() const { return !signal.has_value() && oom_kills == 0; }
    /// Killed by a signal, or failed while the OOM killer killed processes.
    [[nodiscard]] bool killed() const { return !finished(); }
    /// What identifies the job across builds: the output, else the source, else the command joined by spaces.
    [[nodiscard]] std::string key() const;
    /// A short name for messages: the source, else the output, else the command's first word.
    [[nodiscard]] std::string name() const;
    /// A "link" job that builds a static archive (is_archive_command(): `ar` and its kin) rather than
    /// linking a program or shared library. lowmem_profile() runs a static library's archive step
    /// through the launcher as a link job (Ninja's and Make's static-library rule is the target's
    /// "link" step and runs in the link pool), so the log tells the two apart by the command.
    [[nodiscard]] bool archive() const;
};

/// At most this many RSS samples are kept per job (JobRecord::samples).
inline constexpr std::size_t max_rss_samples = 64;
/// The width of a sample's time slot until the job's samples first fill up:
/// the launcher's fastest poll (SamplingSchedule::fast_interval_ms).
inline constexpr std::int64_t first_rss_slot_ms = 10;

/// A job's RSS samples, bounded: time is cut into slots of slot_ms(), and each
/// slot keeps its highest sample (with the time it was taken). When a new slot
/// would make more than `limit` samples, the slots double in width and each
/// pair of neighbours keeps its higher sample, so a job of any length keeps at
/// most `limit` samples that span it from start to end, each slot's value is
/// the most the job held in it (a stacked timeline never undercounts), and the
/// job's highest sample is always kept. With the launcher's polls, a job of
/// up to about 1.2 s keeps every poll (slots of 10 ms); a longer one of T ms
/// keeps 32 to 64 samples in slots of 10 ms x 2^k between T/64 and T/32
/// (a 10-minute link: one sample per 10.24 s).
class RssSamples {
public:
    using Sample = std::pair<std::int64_t, std::uint64_t>;  ///< [ms since the job's start, bytes]

    explicit RssSamples(std::int64_t slot_ms = first_rss_slot_ms, std::size_t limit = max_rss_samples);
    /// One poll's reading, `ms` since the job's start (not before the previous one's; clamped to it).
    void add(std::int64_t ms, std::uint64_t rss);
    [[nodiscard]] const std::vector<Sample>& samples() const { return samples_; }
    [[nodiscard]] std::int64_t slot_ms() const { return slot_ms_; }

private:
    std::int64_t slot_ms_;
    std::size_t limit_;
    std::vector<Sample> samples_;
};

/// The record as one line of JSON, without the newline.
[[nodiscard]] std::string record_to_json(const JobRecord& record);

/// Parses one line. Throws JobLogError("<file>:<line>: ...") naming what was
/// expected: not JSON (with the byte column), not an object, a missing or
/// mistyped field, an unknown kind, a sample that is not a [ms, bytes] pair of
/// non-negative integers, out of time order, outside the job's duration, or
/// above its peak_rss.
[[nodiscard]] JobRecord record_from_json(const std::string& line, const std::string& file, std::size_t line_number);

/// Appends `record` and a newline to `path` with one write() on a descriptor
/// opened O_APPEND, so lines of concurrent launchers never interleave (POSIX
/// write(2): O_APPEND positions and writes as one step). Creates the parent
/// directories. Throws JobLogError("<path>: cannot ...: <reason>") on failure.
void append_record(const std::string& path, const JobRecord& record);

/// Every record of the log, in file order; blank lines are skipped. A missing
/// file is an error (JobLogError "<path>: cannot read: No such file or
/// directory"); so is any malformed line, named "<path>:<line>: ...".
[[nodiscard]] std::vector<JobRecord> read_records(const std::string& path);

/// The peak_rss of the last record of `kind` whose key() is `key` and that
/// finished(), for predicting a job's memory. Tolerant, because launchers
/// read the log while others append to it: a malformed or half-written line is
/// skipped, a missing file gives no value.
[[nodiscard]] std::optional<std::uint64_t> last_finished_peak(const std::string& path, const std::string& kind,
                                                              const std::string& key);

/// Whether `command` runs an archiver: after any launchers and NAME=VALUE settings in front (as
/// command_files() skips them), a program named `ar` or ending in `-ar`, optionally followed by a
/// version: ar, llvm-ar, gcc-ar, x86_64-linux-gnu-ar, gcc-ar-12, llvm-ar-14 (CMake's
/// CMAKE_<LANG>_COMPILER_AR for LTO archives).
[[nodiscard]] bool is_archive_command(const std::vector<std::string>& command);

/// Whether `command` runs rustc (after any launchers, as is_archive_command() skips them): cargo's
/// rustc jobs, which a C/C++ compile farm's client does not distribute (doc/lowmem.md "Cargo").
[[nodiscard]] bool is_rustc_command(const std::vector<std::string>& command);

/// The source and output files of a compile or link command line.
struct CommandFiles {
    std::optional<std::string> source;  ///< the input file of a compile (the file -c compiles)
    std::optional<std::string> output;  ///< the -o argument (or the archive of `ar`)
};

/// Finds the source and output of `command` as GCC and clang spell them
/// (gcc(1) "Overall Options"): launchers in front (ccache, sccache, distcc,
/// icecc, buildcache, `env [NAME=VALUE...]`, and NAME=VALUE settings that
/// ccache 4.8 takes before the compiler) are skipped; `-o FILE`, `-oFILE`,
/// `--output=FILE` give the output; the source is the first argument that is
/// not an option nor an option's separate value (-I, -D, -include, -MF, -x,
/// -Xclang, ...) and has a source suffix (.c, .cc, .cpp, .cxx, .c++, .C, .m,
/// .mm, .s, .S, .cu, ...), or "-" (stdin). `@file` response files are read
/// when they exist (relative to the current directory), as GCC does.
/// `ar`/`llvm-ar`/`gcc-ar` commands give the archive as output. `rustc` (cargo's
/// rustc jobs, doc/lowmem.md "Cargo") gives its `.rs` source and, without `-o`,
/// `<--out-dir>/<--crate-name><-C extra-filename>` as output. For a link
/// (`is_link`), source stays empty.
[[nodiscard]] CommandFiles command_files(const std::vector<std::string>& command, bool is_link);

}  // namespace buildbudget::buildmem
