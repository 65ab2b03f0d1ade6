#include "buildmem/launch.hpp"

#include "budget/size.hpp"
#include "buildmem/admission.hpp"
#include "buildmem/distributed.hpp"
#include "buildmem/icecc_log.hpp"
#include "buildmem/job_log.hpp"
#include "buildmem/probe.hpp"
#include "buildmem/process_tree.hpp"
#include "common/diagnostics.hpp"
#include "common/json_error.hpp"
#include "common/process.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <strings.h>
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
#include <sstream>
#include <string_view>

namespace buildbudget::buildmem {
namespace {

namespace fs = std::filesystem;

const char* const plan_schema = "buildbudget-lowmem-plan/1";

std::uint64_t size_field(const nlohmann::json& j, const char* name, const std::string& file) {
    const auto it = j.find(name);
    if (it == j.end()) throw PlanFileError(file + ": missing \"" + name + "\" (expected a number of bytes)");
    if (!it->is_number_unsigned()) {
        throw PlanFileError(file + ": \"" + name + "\" must be a number of bytes (a non-negative integer), got " + it->dump());
    }
    return it->get<std::uint64_t>();
}

unsigned count_field(const nlohmann::json& j, const char* name, const std::string& file) {
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

std::string size_and_bytes(std::uint64_t bytes) { return format_size(bytes) + " (" + std::to_string(bytes) + " bytes)"; }

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
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
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
    const auto farm = j.find("distributed");
    if (farm != j.end()) {
        const std::string where = path + ": \"distributed\"";
        if (!farm->is_object()) throw PlanFileError(where + " must be an object (the compile farm), got " + farm->dump());
        DistributedSettings d;
        const auto engine = farm->find("engine");
        if (engine == farm->end() || !engine->is_string() || (*engine != "distcc" && *engine != "icecc")) {
            throw PlanFileError(where + ".\"engine\" must be \"distcc\" or \"icecc\", got " +
                                (engine == farm->end() ? std::string("nothing") : engine->dump()));
        }
        d.engine = engine->get<std::string>();
        const auto client = farm->find("client");
        if (client == farm->end() || !client->is_string() || client->get<std::string>().empty()) {
            throw PlanFileError(where + ".\"client\" must be the path of the " + d.engine + " client, got " +
                                (client == farm->end() ? std::string("nothing") : client->dump()));
        }
        d.client = client->get<std::string>();
        for (auto [name, slot] : {std::make_pair("remote_slots", &d.remote_slots),
                                  std::make_pair("local_compile_jobs", &d.local_compile_jobs)}) {
            const auto it = farm->find(name);
            if (it == farm->end() || !it->is_number_unsigned() || it->get<std::uint64_t>() > 100000) {
                throw PlanFileError(where + ".\"" + name + "\" must be a job count (0 or more), got " +
                                    (it == farm->end() ? std::string("nothing") : it->dump()));
            }
            *slot = it->get<unsigned>();
        }
        d.remote_compile_memory = size_field(*farm, "remote_compile_memory", where);
        for (auto [name, slot] : {std::make_pair("pump", &d.pump), std::make_pair("fallback", &d.fallback)}) {
            const auto it = farm->find(name);
            if (it == farm->end() || !it->is_boolean()) throw PlanFileError(where + ".\"" + name + "\" must be true or false");
            *slot = it->get<bool>();
        }
        plan.distributed = d;
    }
    return plan;
}

namespace {

/// `value` in the layout of lowmem_plan_text(), at nesting depth `indent`.
void append_styled(std::string& out, const nlohmann::json& value, const std::string& indent) {
    if (!value.is_object() || value.empty()) {
        out += value.dump();
        return;
    }
    const std::string inner = indent + "  ";
    out += "{\n";
    std::size_t left = value.size();
    for (const auto& [key, item] : value.items()) {
        out += inner + nlohmann::json(key).dump() + " : ";
        if (item.is_object() && !item.empty()) out += "\n" + inner;
        append_styled(out, item, inner);
        out += --left > 0 ? ",\n" : "\n";
    }
    out += indent + "}";
}

}  // namespace

std::string lowmem_plan_text(const LowmemPlan& plan) {
    nlohmann::json j;  // std::map: keys sorted
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
                                              ? nlohmann::json(static_cast<std::uint64_t>(timeout))
                                              : nlohmann::json(timeout)},
                      {"probe_root", plan.admission.probe_root}};
    if (plan.distributed) {  // only for a farm: a local plan's file stays as it was
        const DistributedSettings& d = *plan.distributed;
        j["distributed"] = {{"engine", d.engine},
                            {"client", d.client},
                            {"remote_slots", d.remote_slots},
                            {"local_compile_jobs", d.local_compile_jobs},
                            {"remote_compile_memory", d.remote_compile_memory},
                            {"pump", d.pump},
                            {"fallback", d.fallback}};
    }
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
    text += ": its recorded peak RSS was " + size_and_bytes(peak);
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
    std::string text = "the memory limit is " + size_and_bytes(check.actual) + " now (" + check.actual_source + "), below the " +
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
    return "the memory limit is " + size_and_bytes(check.actual) + " now (" + check.actual_source + "), above the " +
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

bool seen_in_build(const LowmemPlan& plan, const std::string& what) {
    std::error_code ec;
    return fs::exists(fs::path(plan.log).parent_path() / (what + "-" + build_identity()), ec);
}

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

namespace {

/// How one run of a command went (run_command()).
struct CommandRun {
    std::optional<int> exec_failed;  ///< 127 / 126 when the program could not be started (a message was printed)
    int exit_code = 0;
    std::optional<int> signal;
    std::int64_t start_ms = 0, end_ms = 0;  ///< wall clock
    std::uint64_t peak_rss = 0;
    std::vector<std::pair<std::int64_t, std::uint64_t>> samples;
};

/// The process environment with `overrides` applied (a value: set; empty: removed), as "NAME=VALUE" strings.
std::vector<std::string> environment_with(const std::vector<std::pair<std::string, std::optional<std::string>>>& overrides) {
    std::vector<std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry(*e);
        const std::string name = entry.substr(0, entry.find('='));
        const bool replaced = std::any_of(overrides.begin(), overrides.end(), [&](const auto& o) { return o.first == name; });
        if (!replaced) out.push_back(entry);
    }
    for (const auto& [name, value] : overrides) {
        if (value) out.push_back(name + "=" + *value);
    }
    return out;
}

/// Runs `command` with `env` (the launcher's own environment when null): fork/exec with the
/// standard streams inherited, the forwarded signals, the tree sampled on `schedule`.
CommandRun run_command(const std::vector<std::string>& command, const std::vector<std::string>* env,
                       const std::string& kind, std::ostream& err, const SamplingSchedule& schedule) {
    CommandRun run;
    // Everything exec needs is made before fork: the child only calls async-signal-safe functions.
    std::vector<std::string> args_storage(command);
    std::vector<char*> args;
    for (auto& a : args_storage) args.push_back(a.data());
    args.push_back(nullptr);
    std::vector<std::string> env_storage = env ? *env : std::vector<std::string>();
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    int exec_pipe[2] = {-1, -1};
    if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
        err << program_diagnostic("error", "cannot create a pipe: ") << std::strerror(errno) << '\n';
        run.exec_failed = 1;
        return run;
    }
    std::cout.flush();
    err.flush();

    BlockedSignals blocked;
    SignalForwarding forwarding;
    run.start_ms = wall_ms();
    const std::int64_t steady_start = steady_ms();
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int e = errno;
        ::close(exec_pipe[0]);
        ::close(exec_pipe[1]);
        err << program_diagnostic("error", command.front()) << ": cannot start the " << kind << " job: " << std::strerror(e) << '\n';
        run.exec_failed = 1;
        return run;
    }
    if (pid == 0) {
        forwarding.restore_in_child();
        ::sigprocmask(SIG_SETMASK, &blocked.old(), nullptr);
        ::close(exec_pipe[0]);
        if (env != nullptr) {
            ::execvpe(args[0], args.data(), envp.data());
        } else {
            ::execvp(args[0], args.data());
        }
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
        err << program_diagnostic("error", command.front()) << ": " << std::strerror(exec_errno) << '\n';
        run.exec_failed = exec_errno == ENOENT || exec_errno == ENOTDIR ? 127 : 126;
        return run;
    }

    const JobEnd end = sample_until_exit(pid, schedule, steady_start);
    run.end_ms = wall_ms();
    rusage usage{};
    std::uint64_t maxrss = 0;
    if (::getrusage(RUSAGE_CHILDREN, &usage) == 0 && usage.ru_maxrss > 0) {
        maxrss = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024U;  // KiB on Linux (getrusage(2))
    }
    // ru_maxrss is the largest child of the launcher's life: for a second run (a farm's fallback), the first's too.
    run.peak_rss = std::max(end.sampled_peak, maxrss);
    // The samples' steady times, within the wall-clock span the record gives (the clocks may differ by a ms).
    for (auto [ms, rss] : end.samples.samples()) {
        ms = std::min(ms, run.end_ms - run.start_ms);
        if (!run.samples.empty() && run.samples.back().first == ms) {
            run.samples.back().second = std::max(run.samples.back().second, rss);
        } else {
            run.samples.emplace_back(ms, rss);
        }
    }
    if (run.samples.empty() && run.peak_rss > 0) {
        // A job over before the first poll saw it: its peak (getrusage) stands for the whole job.
        run.samples.emplace_back(0, run.peak_rss);
    }
    if (WIFSIGNALED(end.status)) {
        run.signal = WTERMSIG(end.status);
        run.exit_code = 128 + *run.signal;
    } else {
        run.exit_code = WIFEXITED(end.status) ? WEXITSTATUS(end.status) : 1;
    }
    return run;
}

/// Whether a command word names the engine's client.
bool names_engine(const std::string& word, const std::string& engine) {
    return fs::path(word).filename().string() == engine;
}

/// This job's own file for the engine's log (DISTCC_LOG, ICECC_LOGFILE): `<plan log's directory>/<engine>/<pid>.log`,
/// its directory made and no file left from an earlier job of the same pid.
std::string fresh_engine_log(const LowmemPlan& plan, const std::string& engine, pid_t self) {
    const fs::path file = fs::path(plan.log).parent_path() / engine / (std::to_string(self) + ".log");
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    fs::remove(file, ec);
    return file.string();
}

/// The text of the engine's log fresh_engine_log() named, which is then removed; the user's own log (the
/// environment variable `user_variable`, when set) still gets the engine's messages, appended.
std::string take_engine_log(const std::string& file, const char* user_variable) {
    std::ifstream in(file);
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    in.close();
    std::error_code ec;
    fs::remove(file, ec);
    if (const char* user_log = std::getenv(user_variable); user_log != nullptr && *user_log != '\0') {
        std::ofstream(user_log, std::ios::app) << text;
    }
    return text;
}

/// `command` without the engine's client, to compile locally.
std::vector<std::string> without_client(const std::vector<std::string>& command, const std::string& engine) {
    std::vector<std::string> local;
    for (const auto& w : command) {
        if (!names_engine(w, engine)) local.push_back(w);
    }
    return local;
}

/// The environment change that keeps ccache from running the engine's client: CCACHE_PREFIX
/// removed when the launcher's own names it, else nothing.
std::vector<std::pair<std::string, std::optional<std::string>>> client_prefix_removed(const std::string& engine) {
    const char* prefix = std::getenv("CCACHE_PREFIX");
    if (prefix == nullptr || std::string(prefix).find(engine) == std::string::npos) return {};
    return {{"CCACHE_PREFIX", std::nullopt}};
}

/// The host as distcc's log names it, without "/LIMIT" and ",options" ("127.0.0.1:3632/2,lzo" -> "127.0.0.1:3632").
std::string host_name(std::string spec) {
    const std::size_t bracket = spec.rfind(']');
    const std::size_t cut = spec.find_first_of("/,", bracket == std::string::npos ? 0 : bracket);
    if (cut != std::string::npos) spec.erase(cut);
    return spec;
}

}  // namespace

DistccOutcome read_distcc_log(const std::string& text) {
    // distcc 3.4's messages with DISTCC_VERBOSE=1 (src/compile.c, src/clinet.c, src/backoff.c), e.g.
    //   distcc[25267] exec on 127.0.0.1:3911/1: x86_64-linux-gnu-g++ -c u.cpp -o u.o
    //   distcc[25267] compile u.cpp on 127.0.0.1:3911/1 completed ok
    //   distcc[25620] ERROR: nonblocking connect to 127.0.0.1:3912 failed: Connection refused
    //   distcc[13596] (dcc_readx) ERROR: unexpected eof on fd6        (the host died mid-compile)
    //   distcc[13726] ERROR: compile u.cpp on 127.0.0.1:3912/2: Killed
    //   distcc[25626] (dcc_check_backoff) still in backoff period for 127.0.0.1:3912/1
    //   distcc[25626] (dcc_build_somewhere) ERROR: failed to distribute and fallbacks are disabled
    // and in pump mode, when the include server cannot give a unit's includes (src/include_server_if.c, src/compile.c):
    //   distcc[11469] (dcc_talk_to_include_server) Warning: include server gave up analyzing
    //   distcc[11469] (dcc_build_somewhere) Warning: failed to get includes from include server, preprocessing locally
    // and, whenever distcc runs the preprocessor here (plain mode, or pump mode without the include server's
    // includes), as dcc_critique_status() words each step ("%s %s on %s completed ok", "... failed", ...):
    //   distcc[11469] cpp u.cpp on localhost completed ok
    DistccOutcome out;
    std::optional<std::string> current;  // the host of the last "exec on"
    std::optional<std::string> include_server;  // the include server's last warning
    constexpr std::string_view include_server_warning = "(dcc_talk_to_include_server) Warning: ";
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const std::size_t exec = line.find("] exec on ");
        const std::size_t backoff = line.find("still in backoff period for ");
        if (line.size() > 13 && line.compare(line.size() - 13, 13, " completed ok") == 0 &&
            line.find("] compile ") != std::string::npos) {
            const std::size_t on = line.rfind(" on ");
            if (on != std::string::npos) out.host = host_name(line.substr(on + 4, line.size() - 13 - on - 4));
        } else if (exec != std::string::npos) {
            const std::size_t from = exec + 10;
            const std::size_t to = line.find(": ", from);
            if (to != std::string::npos) current = host_name(line.substr(from, to - from));
            out.exec_host = current;
        } else if (line.find("failed to distribute and fallbacks are disabled") != std::string::npos) {
            out.gave_up = true;
        } else if (const std::size_t w = line.find(include_server_warning); w != std::string::npos) {
            include_server = line.substr(w + include_server_warning.size());
        } else if (line.find("failed to get includes from include server, preprocessing locally") != std::string::npos) {
            out.pump_preprocessed_locally = include_server ? *include_server : "failed to get includes from include server";
        } else if (const std::size_t cpp = line.find("] cpp "); cpp != std::string::npos &&
                   line.find(" on localhost", cpp) != std::string::npos) {
            out.preprocessed_locally = true;
        } else if (backoff != std::string::npos) {
            if (!out.skipped_host) out.skipped_host = host_name(line.substr(backoff + 28));
        } else if (line.find("ERROR: ") != std::string::npos && current && !out.failed_host) {
            out.failed_host = current;
        }
    }
    for (auto* host : {&out.host, &out.exec_host}) {
        if (*host && **host == "localhost") {
            out.local = true;
            host->reset();
        }
    }
    return out;
}

DistributedRun icecc_distributed_run(const IceccOutcome& outcome) {
    DistributedRun where{"icecc", outcome.ran, outcome.host, outcome.failed_host, std::nullopt};
    // icecc preprocesses every unit it sends, here, before sending it (icecream 1.4, client/remote.cpp: both
    // build_remote_int() and build_remote() run client/cpp.cpp call_cpp(), `<compiler> -E`: by default only merging the includes,
    // -fdirectives-only for GCC, -frewrite-includes for clang, client/local.cpp compiler_only_rewrite_includes();
    // the whole preprocessor with ICECC_REMOTE_CPP=0). It has no mode in which the host preprocesses: a remote
    // compile was preprocessed locally, as the plan counts it (doc/lowmem-distributed.md).
    if (where.ran == "remote") where.preprocessed = "local";
    return where;
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
                err << program_diagnostic("warning", limit_warning(planned, check)) << '\n' << std::flush;
            }
        }
        if (check.above_plan && first_in_build(planned, "limit-noted")) {
            err << program_diagnostic("note", limit_note(planned, check)) << '\n' << std::flush;
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
    const std::string name = record.output ? *record.output : record.name();

    // A compile of a build with a compile farm goes through the engine's client (doc/lowmem-distributed.md).
    // Not rustc: distcc and icecream distribute C and C++ only (cargo's rustc jobs come through the rustc wrapper).
    const DistributedSettings* farm =
        plan.distributed && kind == "compile" && !is_rustc_command(command) ? &*plan.distributed : nullptr;
    std::vector<std::string> farm_command = command;
    std::vector<std::pair<std::string, std::optional<std::string>>> farm_env;
    std::string distcc_log;
    bool user_fallback_off = false;
    std::string icecc_log;
    bool icecc_here_without_client = false;  // ICECC=disable, or no local daemon to ask
    DistributedSettings icecc_here;  // the farm's settings for a compile without icecc
    if (farm) {
        const bool chained = std::any_of(command.begin(), command.end(), [&](const std::string& w) {
            return names_engine(w, farm->engine);
        });
        const char* prefix = std::getenv("CCACHE_PREFIX");
        const bool ccache = !command.empty() && names_engine(command.front(), "ccache");
        if (chained) {
            // The user's own launcher already runs the client.
        } else if (ccache) {
            // ccache runs the compiler through CCACHE_PREFIX (ccache(1)), after its own preprocessing and lookup.
            const std::string existing = prefix ? prefix : "";
            if (existing.find(farm->engine) == std::string::npos) {
                farm_env.emplace_back("CCACHE_PREFIX", farm->client + (existing.empty() ? "" : " " + existing));
            }
        } else {
            farm_command.insert(farm_command.begin(), farm->client);
        }
        record.distributed = DistributedRun{farm->engine, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
        if (farm->engine == "distcc") {
            const char* fallback = std::getenv("DISTCC_FALLBACK");
            user_fallback_off = fallback != nullptr && std::string(fallback) == "0";
            // distcc compiles locally by itself when it cannot distribute; with DISTCC_FALLBACK=0 it fails
            // with its own exit code (100-127) and the launcher compiles locally through admission.
            farm_env.emplace_back("DISTCC_FALLBACK", "0");
            distcc_log = fresh_engine_log(plan, "distcc", self);
            farm_env.emplace_back("DISTCC_VERBOSE", "1");
            farm_env.emplace_back("DISTCC_LOG", distcc_log);
        }
        if (farm->engine == "icecc") {
            // Without its local daemon icecc compiles here with only a lock file per CPU, whatever the memory,
            // and so does ICECC=disable (icecc(1)): the launcher then compiles the unit itself, without icecc,
            // through admission at the full compile memory.
            const char* icecc_switch = std::getenv("ICECC");
            const bool disabled = icecc_switch != nullptr && strcasecmp(icecc_switch, "disable") == 0;
            const IceccDaemonReach reach = disabled ? IceccDaemonReach{}
                : reach_icecc_local_daemon(environment_variable("ICECC_TEST_SOCKET"), environment_variable("HOME"));
            if (disabled || !reach.reached) {
                icecc_here_without_client = true;
                farm_command = without_client(command, "icecc");
                farm_env = client_prefix_removed("icecc");
                icecc_here = *farm;
                icecc_here.remote_compile_memory = plan.compile_memory;
                farm = &icecc_here;
            }
            if (disabled) {
                record.distributed->ran = "local";
            } else if (!reach.reached) {
                record.distributed->ran = "fallback";
                record.distributed->failed_host = icecc_local_daemon_name;
                std::string tried;
                for (const auto& address : reach.tried) tried += (tried.empty() ? "" : ", ") + address;
                err << program_diagnostic("note", name)
                    << ": icecream's local daemon is not listening where icecc looks for it (" << tried
                    << "); compiling it locally without icecc when " << format_size(plan.compile_memory)
                    << " is free (admission)\n"
                    << std::flush;
            } else {
                // icecc writes every message, of every level, to ICECC_LOGFILE when it is set (none to stderr).
                icecc_log = fresh_engine_log(plan, "icecc", self);
                farm_env.emplace_back("ICECC_DEBUG", "debug");
                farm_env.emplace_back("ICECC_LOGFILE", icecc_log);
            }
        }
    }
    // Pump mode costs only the client locally while its include server gives the includes. Without one
    // (the build not run under distcc-pump), or once distcc preprocessed a unit of this build locally all the
    // same, a remote compile costs the preprocessor, as in plain mode (doc/lowmem-distributed.md, "distcc's pump mode").
    std::uint64_t remote_cost = farm ? farm->remote_compile_memory : 0;
    const bool pump = farm && farm->engine == "distcc" && farm->pump;
    const auto pump_warning = [&](const std::string& why) {
        err << program_diagnostic("warning", name) << ": " << why << "; the plan counts pump mode for its ,cpp hosts ("
            << format_size(farm->remote_compile_memory) << " per remote compile, the client only), so this build's "
            << "remote compiles are admitted at " << format_size(preprocess_memory(plan.compile_memory))
            << ", the preprocessor's cost, from now on; run the build under distcc-pump with a working include "
               "server (distcc-pump(1), include_server(1))\n"
            << std::flush;
    };
    if (pump) {
        const char* port = std::getenv("INCLUDE_SERVER_PORT");
        if (port == nullptr || *port == '\0') {
            remote_cost = preprocess_memory(plan.compile_memory);
            if (first_in_build(planned, "pump-preprocessed-locally")) {
                pump_warning("INCLUDE_SERVER_PORT is not set (the build does not run under distcc-pump), so distcc "
                             "preprocesses locally");
            }
        } else if (seen_in_build(planned, "pump-preprocessed-locally")) {
            remote_cost = preprocess_memory(plan.compile_memory);
        }
    }

    // Admission: hold the job until its predicted memory is free.
    std::optional<AdmissionRegistry> registry;
    const auto admit = [&](std::uint64_t predicted) {
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
                    err << program_diagnostic("note", name) << " waits for memory: " << d.reason.substr(d.reason.find(": ") + 2)
                        << " (admission, probe root " << root << ")\n"
                        << std::flush;
                });
            record.waited_ms += outcome.waited_ms;
            if (outcome.timed_out) {
                err << program_diagnostic("note", name) << " admitted after waiting " << seconds_text(outcome.waited_ms)
                    << " (the plan's admission timeout_seconds " << plan.admission.timeout_seconds
                    << ") although the memory it is predicted to need is not free: "
                    << outcome.last.reason.substr(outcome.last.reason.find(": ") + 2) << '\n'
                    << std::flush;
            }
        } catch (const std::runtime_error& e) {  // ProbeError, AdmissionError
            err << program_diagnostic("warning", e.what()) << " (" << name << " runs without admission)\n" << std::flush;
            registry.reset();
        }
    };
    if (plan.admission.enabled || icecc_here_without_client) {  // such a compile waits for its memory also with admission off
        // A remote compile costs locally what the plan counts for it; a local job its last peak or estimate.
        admit(farm ? remote_cost : last_finished_peak(plan.log, kind, record.key()).value_or(plan.estimate(kind)));
    }
    struct Unregister {
        std::optional<AdmissionRegistry>& registry;
        pid_t pid;
        ~Unregister() {
            if (registry) registry->remove(pid);
        }
    } const registration{registry, self};

    const std::optional<OomKillCounter> oom_counter = find_oom_kill_counter(plan.admission.probe_root);
    const std::uint64_t oom_kills_before = oom_counter ? read_oom_kill_count(*oom_counter).value_or(0) : 0;
    std::vector<std::string> env;
    if (!farm_env.empty()) env = environment_with(farm_env);
    CommandRun run = run_command(farm ? farm_command : command, farm_env.empty() ? nullptr : &env, kind, err, schedule);
    if (run.exec_failed) return *run.exec_failed;
    record.start_ms = run.start_ms;

    if (farm && farm->engine == "distcc") {
        const DistccOutcome outcome = read_distcc_log(take_engine_log(distcc_log, "DISTCC_LOG"));
        if (pump && outcome.pump_preprocessed_locally && first_in_build(planned, "pump-preprocessed-locally")) {
            pump_warning("distcc preprocessed it locally (distcc: \"" + *outcome.pump_preprocessed_locally + "\")");
        }
        DistributedRun& where = *record.distributed;
        // distcc's internal errors are 100-127 (distcc(1), "DIAGNOSTICS"); a remote compiler killed by a
        // signal (128 + signal) after which distcc gave up is the host's failure too. The compiler's own
        // errors (1 and the like) are passed through.
        const bool not_distributed = !run.signal && ((run.exit_code >= 100 && run.exit_code <= 127) ||
                                                     (outcome.gave_up && run.exit_code > 128));
        if (!not_distributed) {
            where.host = outcome.host ? outcome.host : outcome.exec_host;
            where.ran = where.host ? "remote" : "local";
            // Where a unit a host compiled was preprocessed: here, or (pump mode) on the host.
            if (where.host) where.preprocessed = outcome.preprocessed_locally ? "local" : "remote";
            // A host that failed before distcc sent the unit to another one.
            if (run.exit_code == 0 && outcome.failed_host != where.host) where.failed_host = outcome.failed_host;
        } else {
            where.failed_host = outcome.failed_host ? outcome.failed_host : outcome.skipped_host;
            const std::string host = where.failed_host ? "host " + *where.failed_host : std::string("its hosts");
            if (!farm->fallback || user_fallback_off) {
                where.ran = "failed";
                err << program_diagnostic("error", describe_job(kind, record.source, record.output, command))
                    << ": distcc could not send it to " << host << " (distcc exit " << run.exit_code
                    << ") and fallback to a local compile is off ("
                    << (user_fallback_off ? "DISTCC_FALLBACK=0 in the build's environment"
                                          : "lowmem_profile() DISTRIBUTED_FALLBACK OFF")
                    << "); allow it with "
                    << (user_fallback_off ? "DISTCC_FALLBACK unset (the launcher then compiles such units locally "
                                            "when their memory is free)"
                                          : "DISTRIBUTED_FALLBACK ON or -DBUILDBUDGET_LOWMEM_DISTRIBUTED_FALLBACK=ON")
                    << ", or bring " << host << " back\n";
            } else {
                // The compile falls back to local, at the full local compile memory, through admission.
                where.ran = "fallback";
                err << program_diagnostic("note", name) << ": distcc could not send it to " << host << " (distcc exit "
                    << run.exit_code << "); compiling it locally when " << format_size(plan.compile_memory)
                    << " is free (admission)\n"
                    << std::flush;
                if (registry) registry->remove(self);
                admit(plan.compile_memory);
                std::vector<std::string> local;
                for (const auto& w : command) {
                    if (!names_engine(w, "distcc")) local.push_back(w);
                }
                const char* prefix = std::getenv("CCACHE_PREFIX");
                std::vector<std::string> local_env;
                if (prefix != nullptr && std::string(prefix).find("distcc") != std::string::npos) {
                    local_env = environment_with({{"CCACHE_PREFIX", std::nullopt}});
                }
                run = run_command(local, local_env.empty() ? nullptr : &local_env, kind, err, schedule);
                if (run.exec_failed) return *run.exec_failed;
            }
        }
    }
    if (!icecc_log.empty()) {
        const IceccOutcome outcome = read_icecc_log(take_engine_log(icecc_log, "ICECC_LOGFILE"));
        DistributedRun& where = *record.distributed;
        where = icecc_distributed_run(outcome);
        if (outcome.ran == "fallback") {
            // icecc compiled it here itself: through its local daemon's slots (iceccd -m), or, with no daemon
            // left to ask, with only a lock file per CPU.
            err << program_diagnostic("note", name) << ": icecc "
                << (where.failed_host == icecc_local_daemon_name ? std::string("could not reach its local daemon")
                    : where.failed_host ? "could not compile it on host " + *where.failed_host
                                        : std::string("could not compile it on a remote host"))
                << " (icecc: \"" << outcome.message.value_or("") << "\") and compiled it locally, "
                << (outcome.no_local_daemon ? "without its local daemon (only a lock file per CPU bounded it)"
                                            : "in a slot of its local daemon (iceccd -m)")
                << '\n'
                << std::flush;
        }
    }
    record.end_ms = run.end_ms;
    record.peak_rss = run.peak_rss;
    record.exit_code = run.exit_code;
    record.signal = run.signal;
    // The samples of the run that counts, shifted to the record's start.
    const std::int64_t shift = run.start_ms - record.start_ms;
    for (const auto& [ms, rss] : run.samples) {
        record.samples.emplace_back(ms + shift, std::min(rss, record.peak_rss));
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
        err << program_diagnostic("warning", e.what()) << " (the job's peak is not recorded)\n";
    }
    if ((record.signal && *record.signal == SIGKILL) || record.oom_kills > 0) {
        err << program_diagnostic("error", killed_job_message(record, plan, oom_counter, &planned)) << '\n';
    }
    return record.exit_code;
}

}  // namespace buildbudget::buildmem
