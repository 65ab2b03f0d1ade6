#include "buildmem/admission.hpp"

#include "budget/size.hpp"
#include "buildmem/process_tree.hpp"

#include <nlohmann/json.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

namespace buildbudget::buildmem {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

std::string entry_path(const std::string& dir, pid_t pid) { return dir + "/" + std::to_string(pid) + ".json"; }

/// The pid of a registration file name "<pid>.json", else 0.
pid_t pid_of_entry(const std::string& name) {
    if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".json") != 0) return 0;
    pid_t pid = 0;
    for (std::size_t i = 0; i + 5 < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9' || pid > 100000000) return 0;
        pid = pid * 10 + (name[i] - '0');
    }
    return pid;
}

}  // namespace

AdmissionDecision decide_admission(std::uint64_t available, const std::vector<RunningJob>& running, std::uint64_t predicted) {
    AdmissionDecision d;
    d.available = available;
    for (const auto& job : running) d.promised += job.remaining();
    d.headroom = available > d.promised ? available - d.promised : 0;
    const std::string figures = format_size(available) + " free as the probe sees it, " + format_size(d.promised) +
                                " of it still to be taken by " + std::to_string(running.size()) + " running job" +
                                (running.size() == 1 ? "" : "s") + ", " + format_size(predicted) + " predicted";
    if (running.empty()) {
        d.admit = true;
        d.reason = "admitted: no other job is running (" + format_size(available) + " free as the probe sees it, " +
                   format_size(predicted) + " predicted)";
    } else if (d.headroom >= predicted) {
        d.admit = true;
        d.reason = "admitted: " + figures;
    } else {
        d.reason = "held: " + figures;
    }
    return d;
}

AdmissionRegistry::AdmissionRegistry(std::string directory, std::function<std::uint64_t(pid_t)> tree_rss,
                                     std::function<std::optional<std::uint64_t>(pid_t)> start_ticks)
    : directory_(std::move(directory)), tree_rss_(std::move(tree_rss)), start_ticks_(std::move(start_ticks)) {
    if (!tree_rss_) tree_rss_ = [](pid_t pid) { return process_tree_rss(pid); };
    if (!start_ticks_) start_ticks_ = [](pid_t pid) { return process_start_ticks(pid); };
}

AdmissionRegistry::Lock::~Lock() {
    if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

AdmissionRegistry::Lock AdmissionRegistry::lock() const {
    std::error_code ec;
    fs::create_directories(directory_, ec);
    if (ec) throw AdmissionError(directory_ + ": cannot create the admission directory: " + ec.message());
    const std::string path = directory_ + "/.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) throw AdmissionError(path + ": cannot open the admission lock: " + std::strerror(errno));
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        const int e = errno;
        ::close(fd);
        throw AdmissionError(path + ": cannot lock: " + std::strerror(e));
    }
    return Lock(fd);
}

std::vector<RunningJob> AdmissionRegistry::running() const {
    std::vector<RunningJob> out;
    DIR* dir = ::opendir(directory_.c_str());
    if (dir == nullptr) return out;
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(dir)) names.emplace_back(e->d_name);
    ::closedir(dir);
    for (const auto& name : names) {
        const pid_t pid = pid_of_entry(name);
        if (pid <= 0) continue;
        const std::string path = directory_ + "/" + name;
        std::ifstream in(path);
        json j;
        bool stale = !in;
        if (!stale) {
            try {
                j = json::parse(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
                stale = !j.is_object() || !j.contains("start_ticks") || !j["start_ticks"].is_number_unsigned() ||
                        !j.contains("predicted") || !j["predicted"].is_number_unsigned();
            } catch (const json::exception&) {
                stale = true;
            }
        }
        if (!stale) {
            const auto ticks = start_ticks_(pid);
            stale = !ticks || *ticks != j["start_ticks"].get<std::uint64_t>();
        }
        if (stale) {
            std::error_code ec;
            fs::remove(path, ec);
            continue;
        }
        RunningJob job;
        job.pid = pid;
        job.name = j.value("name", std::string());
        job.predicted = j["predicted"].get<std::uint64_t>();
        job.current_rss = tree_rss_(pid);
        out.push_back(std::move(job));
    }
    return out;
}

// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): pid and bytes differ in type and meaning
void AdmissionRegistry::add(pid_t pid, const std::string& name, std::uint64_t predicted, std::int64_t since_ms) const {
    const auto ticks = start_ticks_(pid);
    if (!ticks) throw AdmissionError(directory_ + ": cannot register process " + std::to_string(pid) + ": it is not running");
    json j;
    j["pid"] = pid;
    j["start_ticks"] = *ticks;
    j["name"] = name;
    j["predicted"] = predicted;
    j["since_ms"] = since_ms;
    std::error_code ec;
    fs::create_directories(directory_, ec);
    if (ec) throw AdmissionError(directory_ + ": cannot create the admission directory: " + ec.message());
    const std::string path = entry_path(directory_, pid);
    const std::string temp = path + ".tmp";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << j.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
        out.close();
        if (!out) throw AdmissionError(temp + ": cannot write the registration: " + std::strerror(errno));
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        fs::remove(temp, ec);
        throw AdmissionError(path + ": cannot register the job: " + std::strerror(e));
    }
}

void AdmissionRegistry::remove(pid_t pid) const {
    std::error_code ec;
    fs::remove(entry_path(directory_, pid), ec);
}

std::int64_t SteadyAdmissionClock::now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void SteadyAdmissionClock::sleep_ms(std::int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

AdmissionOutcome wait_for_admission(const AdmissionRegistry& registry, const AdmissionRequest& request,
                                    const std::function<std::uint64_t()>& available, AdmissionClock& clock,
                                    const std::function<void(const AdmissionDecision&)>& on_hold) {
    AdmissionOutcome outcome;
    const std::int64_t start = clock.now_ms();
    for (;;) {
        {
            const AdmissionRegistry::Lock held = registry.lock();
            std::vector<RunningJob> running = registry.running();
            // A registration of this very launcher (a retry after a crash cannot
            // leave one, but be safe) is not another job.
            running.erase(std::remove_if(running.begin(), running.end(),
                                         [&](const RunningJob& j) { return j.pid == request.pid; }),
                          running.end());
            if (running.empty()) {
                // Nothing else runs: admitted without reading the probe (the build always progresses).
                outcome.last = AdmissionDecision{};
                outcome.last.admit = true;
                outcome.last.reason = "admitted: no other job is running";
            } else {
                outcome.last = decide_admission(available(), running, request.predicted);
            }
            ++outcome.decisions;
            // Held time: 0 when the first decision admits (its own few milliseconds are not waiting).
            outcome.waited_ms = outcome.decisions == 1 ? 0 : clock.now_ms() - start;
            if (!outcome.last.admit && outcome.waited_ms >= request.timeout_ms) outcome.timed_out = true;
            if (outcome.last.admit || outcome.timed_out) {
                registry.add(request.pid, request.name, request.predicted,
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
                return outcome;
            }
        }
        if (outcome.decisions == 1 && on_hold) on_hold(outcome.last);
        const std::int64_t left = request.timeout_ms - outcome.waited_ms;
        clock.sleep_ms(std::max<std::int64_t>(1, std::min(request.poll_ms, left)));
    }
}

}  // namespace buildbudget::buildmem
