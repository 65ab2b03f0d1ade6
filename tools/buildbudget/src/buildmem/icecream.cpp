// Icecream's farm as its scheduler sees it (doc/lowmem-distributed.md): see
// icecream.hpp for where the scheduler is found, the query and the rule.
#include "buildmem/icecream.hpp"

#include "common/process.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include <netdb.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifdef BUILDBUDGET_HAVE_LIBICECC
#include <icecc/comm.h>
#include <icecc/logging.h>
#endif

namespace buildbudget::buildmem {
namespace {

namespace fs = std::filesystem;

const char* slots_hint = "or --remote-slots N with the farm's job slots";

/// HOST[:PORT] into the scheduler's host and port.
void parse_host_port(const std::string& text, const std::string& what, IcecreamScheduler& s) {
    const std::size_t colon = text.rfind(':');
    s.host = text.substr(0, colon);
    if (s.host.empty()) {
        throw IcecreamError(what + ": no host in \"" + text + "\"; expected HOST[:PORT], the scheduler's host");
    }
    if (colon == std::string::npos) return;
    const std::string port = text.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) == 0 || std::stoul(port) > 65535) {
        throw IcecreamError(what + ": bad port \"" + port + "\" in \"" + text +
                               "\"; expected HOST[:PORT] with PORT a whole number from 1 to 65535");
    }
    s.port = static_cast<unsigned>(std::stoul(port));
}

/// NAME="value" assignments of a shell-style configuration file (icecc.conf).
std::map<std::string, std::string> read_conf(const std::string& path) {
    std::map<std::string, std::string> values;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        const std::size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#') continue;
        const std::size_t eq = line.find('=', start);
        if (eq == std::string::npos) continue;
        std::string value = line.substr(eq + 1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r')) value.pop_back();
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
            value = value.substr(1, value.size() - 2);
        }
        values[line.substr(start, eq - start)] = value;
    }
    return values;
}

/// The local iceccd: its pid and the arguments it was started with.
struct LocalDaemon {
    std::string pid, how;
    std::vector<std::string> args;
};

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool is_iceccd(const fs::path& proc_pid) {
    std::string name = read_text(proc_pid / "comm");
    if (!name.empty() && name.back() == '\n') name.pop_back();
    return name == "iceccd";
}

/// The socket the icecc client connects to, as the client picks it.
std::string client_socket(const IcecreamLookup& lookup) {
    if (lookup.test_socket) return *lookup.test_socket;
    std::error_code ec;
    if (fs::exists(fs::path(lookup.root) / "var/run/icecc/iceccd.socket", ec) || !lookup.home) {
        return "/var/run/icecc/iceccd.socket";
    }
    return *lookup.home + "/.iceccd.socket";
}

std::optional<LocalDaemon> local_daemon(const IcecreamLookup& lookup) {
    const fs::path proc = fs::path(lookup.root) / "proc";
    // The inodes of the client's socket (/proc/net/unix: Num RefCount Protocol Flags Type St Inode Path).
    const std::string socket = client_socket(lookup);
    std::set<std::string> inodes;
    std::istringstream unix_sockets(read_text(proc / "net" / "unix"));
    std::string line;
    while (std::getline(unix_sockets, line)) {
        std::istringstream fields(line);
        std::string f[8];
        for (auto& field : f) fields >> field;
        if (f[7] == socket) inodes.insert("socket:[" + f[6] + "]");
    }
    std::vector<std::string> iceccds;
    std::optional<std::string> owner;
    std::error_code ec;
    for (fs::directory_iterator it(proc, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string pid = it->path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos || !is_iceccd(it->path())) continue;
        iceccds.push_back(pid);
        std::error_code fd_ec;
        for (fs::directory_iterator fd(it->path() / "fd", fd_ec); !owner && !fd_ec && fd != end; fd.increment(fd_ec)) {
            std::error_code link_ec;
            if (inodes.count(fs::read_symlink(fd->path(), link_ec).string()) > 0) owner = pid;
        }
    }
    LocalDaemon d;
    if (owner) {
        d.pid = *owner;
        d.how = "the iceccd listening on " + socket + " (pid " + d.pid + ")";
    } else if (iceccds.size() == 1) {
        d.pid = iceccds.front();
        d.how = "the iceccd running here (pid " + d.pid + ")";
    } else {
        return std::nullopt;
    }
    const std::string cmdline = read_text(proc / d.pid / "cmdline");
    for (std::size_t at = 0; at < cmdline.size();) {
        const std::size_t end = cmdline.find('\0', at);
        d.args.push_back(cmdline.substr(at, end == std::string::npos ? std::string::npos : end - at));
        at = end == std::string::npos ? cmdline.size() : end + 1;
    }
    return d;
}

/// The value of an iceccd option (getopt_long forms: "-s X", "-sX", "--scheduler-host X", "--scheduler-host=X").
std::optional<std::string> daemon_option(const LocalDaemon& d, const std::string& short_name,
                                         const std::vector<std::string>& long_names) {
    std::optional<std::string> value;
    for (std::size_t i = 1; i < d.args.size(); ++i) {
        const std::string& a = d.args[i];
        const bool has_next = i + 1 < d.args.size();
        if (a == short_name || std::find(long_names.begin(), long_names.end(), a) != long_names.end()) {
            if (has_next) value = d.args[++i];
        } else if (a.size() > 2 && a.rfind(short_name, 0) == 0 && a[1] != '-') {
            value = a.substr(2);
        } else {
            for (const auto& name : long_names) {
                if (a.rfind(name + "=", 0) == 0) value = a.substr(name.size() + 1);
            }
        }
    }
    return value;
}

std::string gethostname_string() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return {};
    return name;
}

std::string scheduler_name(const IcecreamScheduler& s) {
    return "icecream scheduler " + (s.host.empty() ? std::string() : s.host + ":" + std::to_string(s.port) + " ") +
           "(" + s.source + ")";
}

std::string line_interface(const IcecreamScheduler& s) {
    return scheduler_name(s) + ": its line interface on port " + std::to_string(s.port + 1);
}

/// Connects to the scheduler's line interface on PORT + 1 and sends "listcs"; the socket.
int ask_hosts(const IcecreamScheduler& s, unsigned seconds) {
    const std::string where = line_interface(s);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(s.host.c_str(), std::to_string(s.port + 1).c_str(), &hints, &found); rc != 0) {
        throw IcecreamError(where + ": cannot resolve the host (" + gai_strerror(rc) + "); expected a host name");
    }
    int fd = -1;
    int error = 0;
    for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
        fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        timeval limit{static_cast<time_t>(seconds), 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
        if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            error = errno;
            ::close(fd);
            fd = -1;
        }
    }
    ::freeaddrinfo(found);
    if (fd < 0) {
        throw IcecreamError(where + ": cannot connect (" + std::strerror(error) +
                               "); expected the scheduler's line interface, " + slots_hint);
    }
    const std::string command = "listcs\r\nquit\r\n";
    if (::send(fd, command.data(), command.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(command.size())) {
        const int error = errno;
        ::close(fd);
        throw IcecreamError(where + ": cannot send \"listcs\" (" + std::strerror(error) + "); " + slots_hint);
    }
    return fd;
}

/// The host names of the answer to "listcs", up to "200 done"; closes `fd`.
std::vector<std::string> read_hosts(int fd, const IcecreamScheduler& s, unsigned seconds) {
    const std::string where = line_interface(s);
    std::string reply;
    bool done = false;
    {
        char buffer[4096];
        while (!done) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) break;
            reply.append(buffer, static_cast<std::size_t>(n));
            done = reply.find("\n200 done") != std::string::npos;
        }
    }
    ::close(fd);
    if (!done) {
        throw IcecreamError(where + ": no complete answer to \"listcs\" within " + std::to_string(seconds) +
                               " s; expected its host list ended by \"200 done\", " + slots_hint);
    }
    // " NAME (ADDRESS:PORT) [PLATFORM] speed=... jobs=N/MAX load=..."
    std::vector<std::string> names;
    std::istringstream lines(reply.substr(0, reply.find("\n200 done")));
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] != ' ') continue;
        const std::size_t paren = line.find(" (");
        if (paren != std::string::npos && paren > 1) names.push_back(line.substr(1, paren - 1));
    }
    return names;
}

}  // namespace

IcecreamLookup IcecreamLookup::from_environment() {
    IcecreamLookup l;
    l.env_scheduler = environment_variable("ICECC_SCHEDULER");
    l.test_socket = environment_variable("ICECC_TEST_SOCKET");
    l.home = environment_variable("HOME");
    return l;
}

unsigned IcecreamFarm::remote_slots() const {
    unsigned n = 0;
    for (const auto& h : hosts) n += h.local || h.no_remote ? 0 : h.max_jobs;
    return n;
}

std::optional<IcecreamHost> parse_icecc_host_stats(const std::string& text) {
    IcecreamHost h;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        const std::size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        const std::string key = line.substr(0, colon), value = line.substr(colon + 1);
        if (key == "Name") {
            h.name = value;
        } else if (key == "IP") {
            h.address = value;
        } else if (key == "Platform") {
            h.platform = value;
        } else if (key == "NoRemote") {
            h.no_remote = value == "true";
        } else if (key == "State") {
            h.offline = value == "Offline";
        } else if (key == "MaxJobs" && !value.empty() && value.size() < 7 &&
                   value.find_first_not_of("0123456789") == std::string::npos) {
            h.max_jobs = static_cast<unsigned>(std::stoul(value));
        }
    }
    if (h.name.empty()) return std::nullopt;
    return h;
}

namespace {

IcecreamScheduler find_scheduler(const IcecreamLookup& lookup, const std::optional<LocalDaemon>& daemon) {
    IcecreamScheduler s;
    const auto conf = read_conf(lookup.conf);
    const auto conf_value = [&](const char* name) -> std::string {
        const auto it = conf.find(name);
        return it == conf.end() ? std::string() : it->second;
    };
    if (daemon) s.netname = daemon_option(*daemon, "-n", {"--netname", "--name"}).value_or("");
    if (s.netname.empty()) s.netname = conf_value("ICECC_NETNAME");
    if (lookup.option) {
        s.source = "--icecc-scheduler";
        parse_host_port(*lookup.option, "--icecc-scheduler", s);
    } else if (lookup.env_scheduler && !lookup.env_scheduler->empty()) {
        s.source = "$ICECC_SCHEDULER";
        parse_host_port(*lookup.env_scheduler, "$ICECC_SCHEDULER", s);
    } else if (const auto option = daemon ? daemon_option(*daemon, "-s", {"--scheduler-host"}) : std::nullopt;
               option && !option->empty()) {
        s.source = "the -s of " + daemon->how;
        parse_host_port(*option, "the -s argument of " + daemon->how, s);
    } else if (!conf_value("ICECC_SCHEDULER_HOST").empty()) {
        s.source = "ICECC_SCHEDULER_HOST in " + lookup.conf;
        parse_host_port(conf_value("ICECC_SCHEDULER_HOST"), s.source, s);
    } else {
        s.source = "broadcast on port 8765" + (s.netname.empty() ? std::string() : " for network \"" + s.netname + "\"");
    }
    return s;
}

}  // namespace

IcecreamScheduler find_icecc_scheduler(const IcecreamLookup& lookup) { return find_scheduler(lookup, local_daemon(lookup)); }

#ifdef BUILDBUDGET_HAVE_LIBICECC

namespace {

/// libicecc logs to std::cerr unless told otherwise; its messages go into errors instead.
class CaptureIceccLog {
public:
    CaptureIceccLog() { logfile_info = logfile_warning = logfile_error = logfile_trace = &log_; }
    ~CaptureIceccLog() { logfile_info = logfile_warning = logfile_error = logfile_trace = nullptr; }
    CaptureIceccLog(const CaptureIceccLog&) = delete;
    CaptureIceccLog& operator=(const CaptureIceccLog&) = delete;
    /// The last message libicecc logged, without its "[pid] date: " prefix, in parentheses.
    std::string last() const {
        std::istringstream lines(log_.str());
        std::string line, last;
        while (std::getline(lines, line)) {
            if (!line.empty()) last = line;
        }
        const std::size_t stamp = last.find(": ");
        if (stamp != std::string::npos && !last.empty() && last[0] == '[') last = last.substr(stamp + 2);
        return last.empty() ? std::string() : " (libicecc: " + last + ")";
    }

private:
    std::ostringstream log_;
};

/// Keeps the scheduler answering new connections while it lives. icecc-scheduler 1.4 leaves its
/// listening sockets out of its poll() for the rest of the second after it accepts one (strace
/// shows it), and poll() then waits for the next message from a daemon: up to 36 s on an idle
/// farm. So once a second this sends icecream's discovery request (UDP to the scheduler's port,
/// one byte: the protocol version, the datagram DiscoverSched broadcasts), which the scheduler
/// answers, passing its poll(). The connections keep their own waits (reply_seconds).
class SchedulerWaker {
public:
    explicit SchedulerWaker(const IcecreamScheduler& s) : host_(s.host), port_(std::to_string(s.port)) {
        thread_ = std::thread([this] { run(); });
    }
    ~SchedulerWaker() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    SchedulerWaker(const SchedulerWaker&) = delete;
    SchedulerWaker& operator=(const SchedulerWaker&) = delete;

private:
    void run() {
        const char request = PROTOCOL_VERSION;
        addrinfo hints{};
        hints.ai_socktype = SOCK_DGRAM;
        addrinfo* found = nullptr;
        if (!DiscoverSched::isSchedulerDiscovery(&request, 1, nullptr) ||
            ::getaddrinfo(host_.c_str(), port_.c_str(), &hints, &found) != 0) {
            return;
        }
        const int fd = ::socket(found->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        const bool ready = fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) == 0;
        ::freeaddrinfo(found);
        std::unique_lock<std::mutex> lock(mutex_);
        while (ready && !stop_) {
            char answer[Broadcasts::BROAD_BUFLEN + 16];
            while (::recv(fd, answer, sizeof answer, 0) > 0) {
            }
            (void)::send(fd, &request, 1, 0);
            wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
        }
        if (fd >= 0) ::close(fd);
    }

    std::string host_, port_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace

IcecreamFarm read_icecc_farm(const IcecreamLookup& lookup) {
    IcecreamFarm farm;
    const auto daemon = local_daemon(lookup);
    farm.scheduler = find_scheduler(lookup, daemon);
    IcecreamScheduler& s = farm.scheduler;
    if (daemon) {
        const auto name = daemon_option(*daemon, "-N", {});
        farm.local_name = name ? *name : gethostname_string();
        farm.local_source = name ? "the -N of " + daemon->how : "this host's name, the node name of " + daemon->how;
    } else {
        farm.local_name = gethostname_string();
        farm.local_source = "this host's name, iceccd's default node name";
    }

    CaptureIceccLog log;
    MsgChannel* channel = nullptr;
    if (s.host.empty()) {
        // Icecream's broadcast discovery, as iceccd and icemon use it.
        DiscoverSched discover(s.netname, static_cast<int>(lookup.broadcast_seconds));
        while ((channel = discover.try_get_scheduler()) == nullptr && !discover.timed_out()) {
            fd_set read;
            FD_ZERO(&read);
            const int fd = discover.listen_fd() >= 0 ? discover.listen_fd() : discover.connect_fd();
            timeval tick{0, 100000};
            if (fd >= 0) FD_SET(fd, &read);
            ::select(fd + 1, &read, nullptr, nullptr, &tick);
        }
        if (channel == nullptr) {
            throw IcecreamError(
                scheduler_name(s) + ": no scheduler answered within " + std::to_string(lookup.broadcast_seconds) +
                " s" + log.last() +
                ", and none is configured; expected --icecc-scheduler HOST[:PORT], $ICECC_SCHEDULER, the local "
                "iceccd's -s or ICECC_SCHEDULER_HOST in " + lookup.conf + ", " + slots_hint);
        }
        s.host = discover.schedulerName();
        sockaddr_storage peer{};
        socklen_t size = sizeof peer;
        char port[16] = {};
        if (::getpeername(channel->fd, reinterpret_cast<sockaddr*>(&peer), &size) == 0 &&
            ::getnameinfo(reinterpret_cast<sockaddr*>(&peer), size, nullptr, 0, port, sizeof port, NI_NUMERICSERV) == 0) {
            s.port = static_cast<unsigned>(std::stoul(port));
        }
        s.source += ", found " + s.host + ":" + std::to_string(s.port);
    }
    const SchedulerWaker waker(s);
    if (channel == nullptr) {
        errno = 0;
        channel = Service::createChannel(s.host, static_cast<unsigned short>(s.port), static_cast<int>(lookup.reply_seconds));
        if (channel == nullptr) {
            const int error = errno;
            throw IcecreamError(scheduler_name(s) + ": cannot connect" +
                                (log.last().empty() && error != 0 ? " (" + std::string(std::strerror(error)) + ")"
                                                                  : log.last()) +
                                   "; expected a running icecc-scheduler there, " + slots_hint);
        }
    }
    const std::unique_ptr<MsgChannel> owned(channel);
    if (!channel->send_msg(MonLoginMsg())) {
        throw IcecreamError(scheduler_name(s) + ": the monitor login failed" + log.last() +
                               "; expected an icecc-scheduler speaking icecream's protocol, " + slots_hint);
    }
    // The monitor's answer has no end: the line interface names the hosts to wait for.
    const int line_fd = ask_hosts(s, lookup.reply_seconds);
    const std::vector<std::string> listed = read_hosts(line_fd, s, lookup.reply_seconds);
    std::map<unsigned, IcecreamHost> by_id;
    std::vector<unsigned> order;
    const auto missing = [&]() {
        std::set<std::string> seen;
        for (const auto& [id, h] : by_id) seen.insert(h.name);
        std::vector<std::string> names;
        for (const auto& name : listed) {
            if (seen.count(name) == 0) names.push_back(name);
        }
        return names;
    };
    // Other hosts' statistics keep coming, so the wait has one deadline.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(lookup.reply_seconds);
    while (!missing().empty()) {
        std::unique_ptr<Msg> message;
        if (std::chrono::steady_clock::now() < deadline) {
            message.reset(channel->get_msg(static_cast<int>(lookup.reply_seconds)));
        }
        if (!message) {
            std::string names;
            for (const auto& name : missing()) names += (names.empty() ? "" : ", ") + name;
            throw IcecreamError(scheduler_name(s) + ": no statistics for " + names + " within " +
                                   std::to_string(lookup.reply_seconds) + " s after the monitor login" + log.last() +
                                   "; expected one MonStatsMsg per host that \"listcs\" lists, " + slots_hint);
        }
        if (message->type != M_MON_STATS) continue;
        const auto& stats = static_cast<const MonStatsMsg&>(*message);
        auto host = parse_icecc_host_stats(stats.statmsg);
        if (!host) continue;
        if (host->offline) {
            by_id.erase(stats.hostid);
            continue;
        }
        if (by_id.count(stats.hostid) == 0) order.push_back(stats.hostid);
        by_id[stats.hostid] = *host;
    }
    for (const unsigned id : order) {
        const auto it = by_id.find(id);
        if (it == by_id.end()) continue;
        it->second.local = it->second.name == farm.local_name;
        farm.hosts.push_back(it->second);
    }
    return farm;
}

#else

IcecreamFarm read_icecc_farm(const IcecreamLookup& lookup) {
    const IcecreamScheduler s = find_icecc_scheduler(lookup);
    throw IcecreamError(scheduler_name(s) +
                           ": this buildbudget was built without libicecc, the library that speaks icecream's "
                           "protocol (Debian: libicecc-dev); expected it at build time, " + slots_hint);
}

#endif

}  // namespace buildbudget::buildmem
