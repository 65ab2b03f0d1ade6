// Memory-aware admission (doc/lowmem.md, "Admission"): the
// launcher holds a job back until the memory it is predicted to need is free,
// so a build under a hard memory cap neither dies nor falls back to -j1.
//
// Rule. predicted = the job's last recorded peak (job_log.hpp
// last_finished_peak(), the same output), else the plan's estimate for its
// kind. Every admitted job registers itself under <log dir>/running/ as
// "<launcher pid>.json" {"pid", "start_ticks", "name", "predicted", "since_ms"}
// until it ends. A job is admitted when
//     free - sum over running jobs of max(0, predicted_j - current RSS_j) >= predicted
// where free = buildmem::available_memory(probe root) (probe.hpp) and RSS_j the
// job's process tree now (process_tree.hpp): memory the running jobs will
// still take is counted as taken. It is always admitted when no other job is
// registered (so the build always progresses), and after the timeout it is
// admitted anyway, with a note. Decisions are made one at a time under an
// flock(2) on <log dir>/running/.lock, so two jobs never both take the same
// free memory; registrations of dead launchers (pid gone, or reused: the
// start time in /proc/<pid>/stat differs) are removed under that lock.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace buildbudget::buildmem {

/// The registry directory cannot be used. what(): "<path>: <problem>".
struct AdmissionError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A job that is running now, as its registration and /proc show it.
struct RunningJob {
    pid_t pid = 0;                   ///< the launcher's pid
    std::string name;                ///< the job's output or source, for messages
    std::uint64_t predicted = 0;     ///< bytes
    std::uint64_t current_rss = 0;   ///< bytes, the launcher's process tree now
    /// The memory this job is still expected to take: max(0, predicted - current_rss).
    [[nodiscard]] std::uint64_t remaining() const { return predicted > current_rss ? predicted - current_rss : 0; }
};

/// One admission decision and the figures behind it (bytes).
struct AdmissionDecision {
    bool admit = false;
    std::uint64_t available = 0;  ///< free memory as the probe sees it
    std::uint64_t promised = 0;   ///< sum of remaining() of the running jobs
    std::uint64_t headroom = 0;   ///< available - promised, 0 when negative
    std::string reason;           ///< one line: why admitted or held
};

/// The rule of the file comment, without I/O: admit when `running` is empty or
/// headroom >= `predicted`.
[[nodiscard]] AdmissionDecision decide_admission(std::uint64_t available, const std::vector<RunningJob>& running,
                                                 std::uint64_t predicted);

/// The registrations under a directory (<log dir>/running).
class AdmissionRegistry {
public:
    /// `tree_rss` measures a registered launcher's process tree (default
    /// process_tree_rss); `start_ticks` reads a pid's start time (default
    /// process_start_ticks, empty = no such process). Both injectable for tests.
    explicit AdmissionRegistry(std::string directory,
                               std::function<std::uint64_t(pid_t)> tree_rss = {},
                               std::function<std::optional<std::uint64_t>(pid_t)> start_ticks = {});

    /// Holds the registry's flock until destroyed.
    class Lock {
    public:
        explicit Lock(int fd) : fd_(fd) {}
        Lock(Lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
        Lock(const Lock&) = delete;
        Lock& operator=(const Lock&) = delete;
        Lock& operator=(Lock&&) = delete;
        ~Lock();

    private:
        int fd_;
    };

    /// Creates the directory if needed and takes the lock (blocking). Throws AdmissionError.
    [[nodiscard]] Lock lock() const;
    /// The live registrations (call with the lock held); removes those of dead
    /// launchers and unreadable ones.
    [[nodiscard]] std::vector<RunningJob> running() const;
    /// Registers `pid` (its start time read now) running the job `name` with
    /// `predicted` bytes. Written to a temporary file and renamed, so no reader
    /// sees half of it. Throws AdmissionError.
    void add(pid_t pid, const std::string& name, std::uint64_t predicted, std::int64_t since_ms) const;
    /// Removes `pid`'s registration (no error when it is already gone).
    void remove(pid_t pid) const;

    [[nodiscard]] const std::string& directory() const { return directory_; }

private:
    std::string directory_;
    std::function<std::uint64_t(pid_t)> tree_rss_;
    std::function<std::optional<std::uint64_t>(pid_t)> start_ticks_;
};

/// Time for the waiting loop; the real one is a steady clock and nanosleep,
/// a test's advances by hand.
struct AdmissionClock {
    virtual ~AdmissionClock() = default;
    /// Milliseconds on a monotonic clock.
    [[nodiscard]] virtual std::int64_t now_ms() = 0;
    virtual void sleep_ms(std::int64_t ms) = 0;
};

/// std::chrono::steady_clock and std::this_thread::sleep_for.
struct SteadyAdmissionClock : AdmissionClock {
    [[nodiscard]] std::int64_t now_ms() override;
    void sleep_ms(std::int64_t ms) override;
};

/// What a job asks for.
struct AdmissionRequest {
    pid_t pid = 0;                  ///< the launcher's pid, registered when admitted
    std::string name;               ///< the job's output or source
    std::uint64_t predicted = 0;    ///< bytes
    std::int64_t timeout_ms = 600000;
    std::int64_t poll_ms = 250;     ///< between decisions while held
};

/// How admission went.
struct AdmissionOutcome {
    std::int64_t waited_ms = 0;  ///< how long the job was held: 0 when the first decision admitted it
    bool timed_out = false;
    AdmissionDecision last;  ///< the decision that admitted the job (or the last one before the timeout)
    std::size_t decisions = 0;
};

/// Decides under the lock, again every poll_ms, until the job is admitted or
/// timeout_ms have passed, then registers request.pid (still under the lock).
/// `available` returns the free memory (normally available_memory(probe
/// root)). `on_hold` is called once, with the first decision that held the
/// job (for the launcher's "waits for memory" note). Throws AdmissionError
/// when the registry cannot be used; exceptions of `available` pass through.
AdmissionOutcome wait_for_admission(const AdmissionRegistry& registry, const AdmissionRequest& request,
                                    const std::function<std::uint64_t()>& available, AdmissionClock& clock,
                                    const std::function<void(const AdmissionDecision&)>& on_hold = {});

}  // namespace buildbudget::buildmem
