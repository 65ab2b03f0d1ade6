#include "buildmem/launch.hpp"

#include "budget/size.hpp"
#include "buildmem/admission.hpp"
#include "buildmem/job_log.hpp"
#include "buildmem/probe.hpp"
#include "buildmem/process_tree.hpp"
#include "common/json_error.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

namespace buildbudget::buildmem {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const char* const plan_schema = "buildbudget-lowmem-plan/1";

std::uint64_t size_field(const json& j, const char* name, const std::string& file) {
    const auto it = j.find(name);
    if (it == j.end()) throw PlanFileError(file + ": missing \"" + name + "\" (expected a number of bytes)");
    if (!it->is_number_unsigned()) {
        throw PlanFileError(file + ": \"" + name + "\" must be a number of bytes (a non-negative integer), got " + it->dump());
    }
    return it->get<std::uint64_t>();
}

unsigned count_field(const json& j, const char* name, const std::string& file) {
    const auto it = j.find(name);
    if (it == j.end()) throw PlanFileError(file + ": missing \"" + name + "\" (expected a job count of 1 or more)");
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() < 1 || it->get<std::uint64_t>() > 100000) {
        throw PlanFileError(file + ": \"" + name + "\" must be a job count of 1 or more, got " + it->dump());
    }
    return it->get<unsigned>();
}

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string human(std::uint64_t bytes) { return format_size(bytes) + " (" + std::to_string(bytes) + " bytes)"; }

std::string seconds_text(std::int64_t ms) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000.0);
    return text;
}

// --- the running job's signals -------------------------------------------------

/// The job's pid while it runs, for the forwarding handler (pid_t is int on Linux).
volatile std::sig_atomic_t g_child = 0;

extern "C" void forward_signal(int sig) {
    const pid_t child = g_child;
    if (child > 0) ::kill(child, sig);
}

constexpr int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
constexpr std::size_t forwarded_count = sizeof forwarded_signals / sizeof forwarded_signals[0];

/// Installs forward_signal() for the forwarded signals; restores the old handlers when destroyed.
class SignalForwarding {
public:
    SignalForwarding() {
        struct sigaction action {};
        action.sa_handler = forward_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        for (std::size_t i = 0; i < forwarded_count; ++i) ::sigaction(forwarded_signals[i], &action, &old_[i]);
    }
    SignalForwarding(const SignalForwarding&) = delete;
    SignalForwarding& operator=(const SignalForwarding&) = delete;
    ~SignalForwarding() {
        g_child = 0;
        for (std::size_t i = 0; i < forwarded_count; ++i) ::sigaction(forwarded_signals[i], &old_[i], nullptr);
    }
    /// For the child between fork and exec: the dispositions the launcher had (async-signal-safe).
    void restore_in_child() const {
        for (std::size_t i = 0; i < forwarded_count; ++i) ::sigaction(forwarded_signals[i], &old_[i], nullptr);
    }

private:
    struct sigaction old_[forwarded_count] {};
};

/// Blocks the forwarded signals until destroyed (around fork, so a signal
/// cannot arrive before g_child is set).
class BlockedSignals {
public:
    BlockedSignals() {
        sigset_t set;
        sigemptyset(&set);
        for (int s : forwarded_signals) sigaddset(&set, s);
        ::sigprocmask(SIG_BLOCK, &set, &old_);
    }
    BlockedSignals(const BlockedSignals&) = delete;
    BlockedSignals& operator=(const BlockedSignals&) = delete;
    ~BlockedSignals() { unblock(); }
    void unblock() {
        if (done_) return;
        done_ = true;
        ::sigprocmask(SIG_SETMASK, &old_, nullptr);
    }
    [[nodiscard]] const sigset_t& old() const { return old_; }

private:
    sigset_t old_{};
    bool done_ = false;
};

/// Removes the admission registration when the job is over, on every path.
class Registration {
public:
    Registration(const AdmissionRegistry* registry, pid_t pid) : registry_(registry), pid_(pid) {}
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration() {
        if (registry_ != nullptr) registry_->remove(pid_);
    }

private:
    const AdmissionRegistry* registry_;
    pid_t pid_;
};

/// How the job ended, and what it used.
struct JobEnd {
    int status = 0;
    std::uint64_t sampled_peak = 0;
    RssSamples samples;  ///< every poll that saw the tree (a zombie reads as 0 and is left out)
};

/// Waits for `pid`, sampling its tree's RSS on `schedule`; `start` is the
/// steady_ms() of the job's start, which the samples' times count from.
JobEnd sample_until_exit(pid_t pid, const SamplingSchedule& schedule, std::int64_t start) {
    JobEnd end;
    // A pidfd (Linux 5.3) wakes the wait as soon as the job exits; without one, plain sleeps.
    int pidfd = -1;
#ifdef SYS_pidfd_open
    pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#endif
    for (;;) {
        const std::uint64_t rss = process_tree_rss(pid);
        if (rss > 0) end.samples.add(steady_ms() - start, rss);
        end.sampled_peak = std::max(end.sampled_peak, rss);
        const pid_t done = ::waitpid(pid, &end.status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) {
            end.status = 0;
            break;
        }
        const int interval = steady_ms() - start < schedule.fast_period_ms ? schedule.fast_interval_ms : schedule.slow_interval_ms;
        if (pidfd >= 0) {
            pollfd p{pidfd, POLLIN, 0};
            ::poll(&p, 1, interval);  // EINTR (a forwarded signal): just sample again
        } else {
            timespec ts{interval / 1000, static_cast<long>(interval % 1000) * 1000000L};
            ::nanosleep(&ts, nullptr);
        }
    }
    if (pidfd >= 0) ::close(pidfd);
    return end;
}

std::string describe_job(const std::string& kind, const std::optional<std::string>& source,
                         const std::optional<std::string>& output, const std::vector<std::string>& command) {
    if (source && output) return kind + " of " + *source + " (output " + *output + ")";
    if (source) return kind + " of " + *source;
    if (output) return kind + " of " + *output;
    return kind + " job " + (command.empty() ? std::string() : command.front());
}

}  // namespace

std::uint64_t LowmemPlan::estimate(const std::string& kind) const { return kind == "link" ? link_memory : compile_memory; }

unsigned LowmemPlan::pool(const std::string& kind) const { return kind == "link" ? link_jobs : compile_jobs; }

LowmemPlan read_lowmem_plan(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw PlanFileError(path + ": cannot read: " + std::strerror(errno));
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error& e) {
        throw PlanFileError(path + ": byte " + std::to_string(e.byte) +
                            ": not valid JSON (expected the plan lowmem_profile() writes): " + json_parse_error_detail(e));
    }
    if (!j.is_object()) throw PlanFileError(path + ": expected a JSON object (the plan lowmem_profile() writes), got " + std::string(j.type_name()));
    const auto schema = j.find("schema");
    if (schema == j.end() || !schema->is_string() || *schema != plan_schema) {
        throw PlanFileError(path + ": schema is " + (schema == j.end() ? std::string("missing") : schema->dump()) +
                            ", expected \"" + plan_schema + "\"");
    }
    LowmemPlan plan;
    plan.file = path;
    const auto log = j.find("log");
    if (log == j.end() || !log->is_string() || log->get<std::string>().empty()) {
        throw PlanFileError(path + ": \"log\" must be the path of the job log, got " +
                            (log == j.end() ? std::string("nothing") : log->dump()));
    }
    fs::path log_path(log->get<std::string>());
    if (log_path.is_relative()) log_path = fs::path(path).parent_path() / log_path;
    plan.log = log_path.string();
    plan.memory_limit = size_field(j, "memory_limit", path);
    plan.reserve = size_field(j, "reserve", path);
    plan.compile_memory = size_field(j, "compile_memory", path);
    plan.link_memory = size_field(j, "link_memory", path);
    if (plan.memory_limit == 0) throw PlanFileError(path + ": \"memory_limit\" must be above 0");
    if (plan.reserve >= plan.memory_limit) {
        throw PlanFileError(path + ": \"reserve\" " + std::to_string(plan.reserve) + " must be below \"memory_limit\" " +
                            std::to_string(plan.memory_limit));
    }
    if (plan.compile_memory == 0) throw PlanFileError(path + ": \"compile_memory\" must be above 0");
    if (plan.link_memory == 0) throw PlanFileError(path + ": \"link_memory\" must be above 0");
    plan.compile_jobs = count_field(j, "compile_jobs", path);
    plan.link_jobs = count_field(j, "link_jobs", path);
    plan.cpus = count_field(j, "cpus", path);
    const auto admission = j.find("admission");
    if (admission == j.end() || !admission->is_object()) {
        throw PlanFileError(path + ": \"admission\" must be an object {\"enabled\", \"timeout_seconds\", \"probe_root\"}, got " +
                            (admission == j.end() ? std::string("nothing") : admission->dump()));
    }
    const auto enabled = admission->find("enabled");
    if (enabled == admission->end() || !enabled->is_boolean()) {
        throw PlanFileError(path + ": \"admission\".\"enabled\" must be true or false");
    }
    plan.admission.enabled = enabled->get<bool>();
    const auto timeout = admission->find("timeout_seconds");
    if (timeout == admission->end() || !timeout->is_number() || timeout->get<double>() < 0 ||
        timeout->get<double>() > 1e7) {
        throw PlanFileError(path + ": \"admission\".\"timeout_seconds\" must be a number of seconds (0 or more), got " +
                            (timeout == admission->end() ? std::string("nothing") : timeout->dump()));
    }
    plan.admission.timeout_seconds = timeout->get<double>();
    const auto root = admission->find("probe_root");
    if (root == admission->end() || !root->is_string() || root->get<std::string>().empty()) {
        throw PlanFileError(path + ": \"admission\".\"probe_root\" must be a directory (\"/\" for this machine)");
    }
    plan.admission.probe_root = root->get<std::string>();
    const auto probed = j.find("memory_limit_probed");
    if (probed != j.end()) {
        if (!probed->is_boolean()) {
            throw PlanFileError(path + ": \"memory_limit_probed\" must be true or false, got " + probed->dump());
        }
        plan.memory_limit_probed = probed->get<bool>();
    }
    return plan;
}

namespace {

/// `value` in the layout of lowmem_plan_text(), at nesting depth `indent`.
void append_styled(std::string& out, const json& value, const std::string& indent) {
    if (!value.is_object() || value.empty()) {
        out += value.dump();
        return;
    }
    const std::string inner = indent + "  ";
    out += "{\n";
    std::size_t left = value.size();
    for (const auto& [key, item] : value.items()) {
        out += inner + json(key).dump() + " : ";
        if (item.is_object() && !item.empty()) out += "\n" + inner;
        append_styled(out, item, inner);
        out += --left > 0 ? ",\n" : "\n";
    }
    out += indent + "}";
}

}  // namespace

std::string lowmem_plan_text(const LowmemPlan& plan) {
    json j;  // std::map: keys sorted
    j["schema"] = plan_schema;
    j["log"] = plan.log;
    j["memory_limit"] = plan.memory_limit;
    j["reserve"] = plan.reserve;
    j["compile_memory"] = plan.compile_memory;
    j["link_memory"] = plan.link_memory;
    j["compile_jobs"] = plan.compile_jobs;
    j["link_jobs"] = plan.link_jobs;
    j["cpus"] = plan.cpus;
    j["memory_limit_probed"] = plan.memory_limit_probed;
    const double timeout = plan.admission.timeout_seconds;
    j["admission"] = {{"enabled", plan.admission.enabled},
                      {"timeout_seconds", timeout == static_cast<double>(static_cast<std::uint64_t>(timeout))
                                              ? json(static_cast<std::uint64_t>(timeout))
                                              : json(timeout)},
                      {"probe_root", plan.admission.probe_root}};
    std::string text;
    append_styled(text, j, "");
    return text + "\n";
}

// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): limit - reserve, the order of the formula
unsigned fitting_pool(std::uint64_t memory_limit, std::uint64_t reserve, std::uint64_t peak) {
    const std::uint64_t usable = memory_limit > reserve ? memory_limit - reserve : 0;
    const std::uint64_t pool = usable / std::max<std::uint64_t>(peak, 1);
    return static_cast<unsigned>(std::min<std::uint64_t>(pool, UINT_MAX));
}

std::optional<std::uint64_t> read_oom_kill_count(const OomKillCounter& counter) {
    std::ifstream in(counter.file);
    std::string name;
    std::uint64_t value = 0;
    while (in >> name >> value) {
        if (name == "oom_kill") return value;
    }
    return std::nullopt;
}

std::optional<OomKillCounter> find_oom_kill_counter(const std::string& root) {
    std::optional<MemoryCgroup> cgroup;
    try {
        cgroup = memory_cgroup(root);
    } catch (const ProbeError&) {
        // A garbled /proc/self/cgroup: the host-wide count is all there is.
    }
    if (cgroup) {
        OomKillCounter own{cgroup->dir + (cgroup->version == "v2" ? "/memory.events" : "/memory.oom_control"), false};
        if (read_oom_kill_count(own)) return own;
    }
    OomKillCounter host{(fs::path(root) / "proc/vmstat").string(), true};
    if (read_oom_kill_count(host)) return host;
    return std::nullopt;
}

std::string killed_job_message(const JobRecord& job, const LowmemPlan& plan, const std::optional<OomKillCounter>& counter,
                               const LowmemPlan* configured) {
    const std::string& kind = job.kind;
    const std::uint64_t peak = job.peak_rss;
    const unsigned fit = fitting_pool(plan.memory_limit, plan.reserve, peak);
    const unsigned planned = plan.pool(kind);
    std::string text = describe_job(kind, job.source, job.output, job.command);
    if (job.signal && *job.signal == SIGKILL) {
        text += " was killed by SIGKILL, most likely by the kernel's OOM killer (the memory ran out)";
    } else {
        const std::string kills = std::to_string(job.oom_kills) + " process" + (job.oom_kills == 1 ? "" : "es");
        const std::string file = counter ? counter->file : "its cgroup's OOM counter";
        if (counter && counter->host_wide) {
            text += " failed (exit " + std::to_string(job.exit_code) + ") while the kernel's OOM killer killed " + kills +
                    " on the host (oom_kill in " + file +
                    ": there is no memory cgroup OOM counter for this build, so the host-wide count may be another "
                    "program's kill), possibly one of its own (the compiler proper or the linker: the driver survives it)";
        } else {
            text += " failed (exit " + std::to_string(job.exit_code) + ") while the kernel's OOM killer killed " + kills +
                    " in its cgroup (oom_kill in " + file +
                    "), most likely one of its own (the compiler proper or the linker: the driver survives it)";
        }
    }
    text += ": its recorded peak RSS was " + human(peak);
    const std::string limits =
        "(" + format_size(plan.memory_limit) + " memory limit - " + format_size(plan.reserve) + " reserve)";
    std::string configured_text;  // "; the plan was made for 4 GiB, where a compile pool of 25 jobs would fit"
    if (configured != nullptr && configured->memory_limit != plan.memory_limit) {
        const unsigned then = fitting_pool(configured->memory_limit, configured->reserve, peak);
        configured_text = "; the plan was made for " + format_size(configured->memory_limit) + ", where a " + kind +
                          " pool of " + std::to_string(then) + " job" + (then == 1 ? "" : "s") + " would fit";
    }
    if (fit == 0) {
        // One job alone exceeds the memory for jobs: no pool size, reserve or admission helps.
        const std::uint64_t usable = plan.memory_limit > plan.reserve ? plan.memory_limit - plan.reserve : 0;
        text += ", more than the " + format_size(usable) + " the plan " + plan.file + " leaves for jobs " +
                limits.substr(0, limits.size() - 1) + configured_text +
                "): this one job alone does not fit in the memory, whatever the pool; ";
        if (kind == "link") {
            text += "lower the debug info or LTO of what it links (lowmem_profile() DEBUG_INFO line-tables or off, "
                    "LTO off)";
        } else {
            // The debug level the command asked for last (GCC and clang: the last -g option wins).
            std::string debug;
            for (const auto& arg : job.command) {
                if (arg.rfind("-g", 0) == 0 && arg.rfind("-gsplit", 0) != 0 && arg.rfind("-gz", 0) != 0) debug = arg;
            }
            const std::string unit = job.source ? *job.source : std::string("<source>");
            if (debug == "-g0") {
                text += "its debug info is already off (-g0), so split the unit into smaller ones";
            } else {
                const char* lower = debug == "-g1" || debug == "-gline-tables-only" ? "-g0" : "-g1";
                text += std::string("lower its debug info (set_source_files_properties(\"") + unit +
                        "\" PROPERTIES COMPILE_OPTIONS " + lower +
                        (std::string(lower) == "-g1" ? "), or -g0" : ")") +
                        "; lowmem_profile() DEBUG_INFO line-tables or off for every unit)";
            }
        }
        text += " or build with a memory limit of at least " + format_size(peak + plan.reserve) +
                " (its peak, a lower bound since it did not finish, + the reserve)";
        return text;
    }
    text += "; a " + kind + " pool of " + std::to_string(fit) + " job" + (fit == 1 ? "" : "s") + " would fit (" + limits +
            " / " + format_size(peak) + configured_text + "), the plan " + plan.file + " has " +
            std::to_string(planned) + "; ";
    if (fit < planned) {
        text += std::string("give lowmem_profile() ") + (kind == "link" ? "LINK_MEMORY" : "COMPILE_MEMORY") +
                " of at least " + format_size(peak) + " or build with -j" + std::to_string(fit);
    } else if (!plan.admission.enabled) {
        text += "that pool already fits this peak, so memory was taken outside it (other processes, the other pool): "
                "give lowmem_profile() ADMISSION ON (jobs wait for free memory) or a larger RESERVE";
    } else {
        text += "that pool already fits this peak and admission was on, so the memory was taken after the job started "
                "(other processes, jobs above their recorded peaks): give the build more memory or run less beside it";
        if (planned > 1) text += ", or build with -j" + std::to_string(planned - 1);
    }
    return text;
}

LimitCheck check_memory_limit(const LowmemPlan& plan, std::uint64_t actual, const std::string& actual_source) {
    LimitCheck check;
    check.actual = actual;
    check.actual_source = actual_source;
    check.effective = plan;
    check.compile_jobs = plan.compile_jobs;
    check.link_jobs = plan.link_jobs;
    if (actual == 0 || actual == plan.memory_limit) return check;
    if (actual > plan.memory_limit) {
        // Over 10 % more than a probed limit: the plan is stale (configure ran
        // in a smaller cgroup, or the limit grew since); the pools stay.
        if (!plan.memory_limit_probed || actual - plan.memory_limit <= plan.memory_limit / 10) return check;
        check.above_plan = true;
    } else {
        check.below_plan = true;
        check.effective.reserve = std::min(plan.reserve, actual / 2);
        check.effective.admission.enabled = true;
    }
    LowmemPlan& e = check.effective;
    e.memory_limit = actual;
    const auto pool = [&](std::uint64_t estimate) {
        return std::clamp(fitting_pool(e.memory_limit, e.reserve, estimate), 1U, std::max(plan.cpus, 1U));
    };
    check.compile_jobs = pool(plan.compile_memory);
    check.link_jobs = pool(plan.link_memory);
    return check;
}

std::string limit_warning(const LowmemPlan& plan, const LimitCheck& check) {
    const LowmemPlan& e = check.effective;
    std::string text = "the memory limit is " + human(check.actual) + " now (" + check.actual_source + "), below the " +
                       format_size(plan.memory_limit) + " the plan " + plan.file +
                       " was made for (configure ran outside this memory cgroup, or its limit changed since): for " +
                       format_size(check.actual) + " the pools would be compile " + std::to_string(check.compile_jobs) +
                       " and link " + std::to_string(check.link_jobs) + " ((" + format_size(e.memory_limit) +
                       " limit - " + format_size(e.reserve) + " reserve) / " + format_size(plan.compile_memory) +
                       " per compile, " + format_size(plan.link_memory) + " per link, at most " +
                       std::to_string(plan.cpus) + " CPUs), the plan has compile " + std::to_string(plan.compile_jobs) +
                       " and link " + std::to_string(plan.link_jobs) +
                       "; the build's job pools stay as configured until cmake runs again inside this limit, so "
                       "until then each job waits until the memory it is predicted to need is free (admission" +
                       (plan.admission.enabled ? "" : ", off in the plan") + ") and OOM kills are judged against " +
                       format_size(check.actual) + " (said once per build)";
    return text;
}

std::string limit_note(const LowmemPlan& plan, const LimitCheck& check) {
    return "the memory limit is " + human(check.actual) + " now (" + check.actual_source + "), above the " +
           format_size(plan.memory_limit) + " the plan " + plan.file +
           " was made for (configure ran in a smaller memory cgroup, or its limit grew since): for " +
           format_size(check.actual) + " the pools would be compile " + std::to_string(check.compile_jobs) +
           " and link " + std::to_string(check.link_jobs) + ", the plan has compile " +
           std::to_string(plan.compile_jobs) + " and link " + std::to_string(plan.link_jobs) +
           "; run cmake again inside this limit to use them (said once per build)";
}

namespace {

/// The build a launcher belongs to: its nearest ancestor that is not a shell
/// (Ninja and make run a job through /bin/sh -c), as "<pid>-<start ticks>".
std::string build_identity() {
    pid_t pid = ::getppid();
    for (int depth = 0; depth < 16 && pid > 1; ++depth) {
        const std::string dir = "/proc/" + std::to_string(pid);
        std::ifstream stat_in(dir + "/stat");
        const std::string stat_text{std::istreambuf_iterator<char>(stat_in), std::istreambuf_iterator<char>()};
        const auto stat = parse_proc_stat(stat_text);
        if (!stat) break;
        std::ifstream comm_in(dir + "/comm");
        std::string comm;
        std::getline(comm_in, comm);
        static const char* const shells[] = {"sh", "bash", "dash", "zsh", "ksh", "mksh", "busybox", "env"};
        if (std::find(std::begin(shells), std::end(shells), comm) == std::end(shells)) {
            return std::to_string(pid) + "-" + std::to_string(stat->start_ticks);
        }
        pid = stat->ppid;
    }
    return std::to_string(::getppid());
}

}  // namespace

bool first_in_build(const LowmemPlan& plan, const std::string& what) {
    const fs::path dir = fs::path(plan.log).parent_path();
    std::error_code ec;
    fs::create_directories(dir, ec);
    const std::string name = what + "-" + build_identity();
    const int fd = ::open((dir / name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    ::close(fd);
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string other = entry.path().filename().string();
        if (other != name && other.rfind(what + "-", 0) == 0) fs::remove(entry.path(), ec);
    }
    return true;
}

int launch_job(const LowmemPlan& planned, const std::string& kind, const std::vector<std::string>& command,
               std::ostream& err, const SamplingSchedule& schedule) {
    // The memory limit the build really has, against the plan's.
    LowmemPlan plan = planned;
    try {
        const MemoryProbe now = probe_memory(planned.admission.probe_root);
        const LimitCheck check = check_memory_limit(planned, now.limit, now.limit_source);
        if (check.below_plan) {
            plan = check.effective;
            if (first_in_build(planned, "limit-warned")) {
                err << "buildbudget: warning: " << limit_warning(planned, check) << '\n' << std::flush;
            }
        }
        if (check.above_plan && first_in_build(planned, "limit-noted")) {
            err << "buildbudget: note: " << limit_note(planned, check) << '\n' << std::flush;
        }
    } catch (const ProbeError&) {
        // Without a readable limit the plan is all there is; admission reports its own probe errors.
    }
    const CommandFiles files = command_files(command, kind == "link");
    JobRecord record;
    record.kind = kind;
    record.source = files.source;
    record.output = files.output;
    record.command = command;
    const pid_t self = ::getpid();

    // Admission: hold the job until its predicted memory is free.
    std::optional<AdmissionRegistry> registry;
    if (plan.admission.enabled) {
        const std::string key = record.key();
        const std::uint64_t predicted = last_finished_peak(plan.log, kind, key).value_or(plan.estimate(kind));
        const std::string name = record.output ? *record.output : record.name();
        registry.emplace((fs::path(plan.log).parent_path() / "running").string());
        AdmissionRequest request;
        request.pid = self;
        request.name = name;
        request.predicted = predicted;
        request.timeout_ms = static_cast<std::int64_t>(plan.admission.timeout_seconds * 1000.0);
        SteadyAdmissionClock clock;
        const std::string root = plan.admission.probe_root;
        try {
            const AdmissionOutcome outcome = wait_for_admission(
                *registry, request, [&root]() { return available_memory(root); }, clock,
                [&](const AdmissionDecision& d) {
                    err << "buildbudget: note: " << name << " waits for memory: " << d.reason.substr(d.reason.find(": ") + 2)
                        << " (admission, probe root " << root << ")\n"
                        << std::flush;
                });
            record.waited_ms = outcome.waited_ms;
            if (outcome.timed_out) {
                err << "buildbudget: note: " << name << " admitted after waiting " << seconds_text(outcome.waited_ms)
                    << " (the plan's admission timeout_seconds " << plan.admission.timeout_seconds
                    << ") although the memory it is predicted to need is not free: "
                    << outcome.last.reason.substr(outcome.last.reason.find(": ") + 2) << '\n'
                    << std::flush;
            }
        } catch (const std::runtime_error& e) {  // ProbeError, AdmissionError
            err << "buildbudget: warning: " << e.what() << " (" << name << " runs without admission)\n" << std::flush;
            registry.reset();
        }
    }
    const Registration registration(registry ? &*registry : nullptr, self);

    // Everything exec needs is made before fork: the child only calls async-signal-safe functions.
    std::vector<std::string> args_storage(command);
    std::vector<char*> args;
    for (auto& a : args_storage) args.push_back(a.data());
    args.push_back(nullptr);
    int exec_pipe[2] = {-1, -1};
    if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
        err << "buildbudget: error: cannot create a pipe: " << std::strerror(errno) << '\n';
        return 1;
    }
    std::cout.flush();
    err.flush();

    const std::optional<OomKillCounter> oom_counter = find_oom_kill_counter(plan.admission.probe_root);
    const std::uint64_t oom_kills_before = oom_counter ? read_oom_kill_count(*oom_counter).value_or(0) : 0;
    BlockedSignals blocked;
    SignalForwarding forwarding;
    record.start_ms = wall_ms();
    const std::int64_t steady_start = steady_ms();
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int e = errno;
        ::close(exec_pipe[0]);
        ::close(exec_pipe[1]);
        err << "buildbudget: error: " << command.front() << ": cannot start the " << kind << " job: " << std::strerror(e) << '\n';
        return 1;
    }
    if (pid == 0) {
        forwarding.restore_in_child();
        ::sigprocmask(SIG_SETMASK, &blocked.old(), nullptr);
        ::close(exec_pipe[0]);
        ::execvp(args[0], args.data());
        const int e = errno;
        [[maybe_unused]] const ssize_t w = ::write(exec_pipe[1], &e, sizeof e);
        ::_exit(127);
    }
    g_child = pid;
    blocked.unblock();
    ::close(exec_pipe[1]);
    int exec_errno = 0;
    ssize_t got = 0;
    do {
        got = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
    } while (got < 0 && errno == EINTR);
    ::close(exec_pipe[0]);
    if (got == static_cast<ssize_t>(sizeof exec_errno)) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        // As a shell reports it: 127 when the program does not exist, 126 when it cannot run.
        err << "buildbudget: error: " << command.front() << ": " << std::strerror(exec_errno) << '\n';
        return exec_errno == ENOENT || exec_errno == ENOTDIR ? 127 : 126;
    }

    const JobEnd end = sample_until_exit(pid, schedule, steady_start);
    record.end_ms = wall_ms();
    rusage usage{};
    std::uint64_t maxrss = 0;
    if (::getrusage(RUSAGE_CHILDREN, &usage) == 0 && usage.ru_maxrss > 0) {
        maxrss = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024U;  // KiB on Linux (getrusage(2))
    }
    record.peak_rss = std::max(end.sampled_peak, maxrss);
    // The samples' steady times, within the wall-clock span the record gives (the clocks may differ by a ms).
    for (auto [ms, rss] : end.samples.samples()) {
        ms = std::min(ms, record.end_ms - record.start_ms);
        if (!record.samples.empty() && record.samples.back().first == ms) {
            record.samples.back().second = std::max(record.samples.back().second, rss);
        } else {
            record.samples.emplace_back(ms, rss);
        }
    }
    if (record.samples.empty() && record.peak_rss > 0) {
        // A job over before the first poll saw it: its peak (getrusage) stands for the whole job.
        record.samples.emplace_back(0, record.peak_rss);
    }
    if (WIFSIGNALED(end.status)) {
        record.signal = WTERMSIG(end.status);
        record.exit_code = 128 + *record.signal;
    } else {
        record.exit_code = WIFEXITED(end.status) ? WEXITSTATUS(end.status) : 1;
    }
    if (record.exit_code != 0 && !record.signal && oom_counter) {
        // GCC's driver survives the OOM kill of cc1plus or ld and exits 1: a failed
        // job while its cgroup's kill count rose is most likely such a job.
        const std::optional<std::uint64_t> after = read_oom_kill_count(*oom_counter);
        if (after && *after > oom_kills_before) record.oom_kills = *after - oom_kills_before;
    }
    try {
        append_record(plan.log, record);
    } catch (const JobLogError& e) {
        err << "buildbudget: warning: " << e.what() << " (the job's peak is not recorded)\n";
    }
    if ((record.signal && *record.signal == SIGKILL) || record.oom_kills > 0) {
        err << "buildbudget: error: " << killed_job_message(record, plan, oom_counter, &planned) << '\n';
    }
    return record.exit_code;
}

}  // namespace buildbudget::buildmem
