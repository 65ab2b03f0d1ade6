// Where icecream's client compiled a unit, and whether it reaches its local
// daemon (doc/lowmem-distributed.md): see icecc_log.hpp for the messages read.
#include "buildmem/icecc_log.hpp"

#include <cstdint>
#include <cstring>
#include <sstream>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace buildbudget::buildmem {
namespace {

/// The text of a log line after "ICECC[PID] DATE TIME: " (the whole line when it has no such prefix).
std::string message_text(const std::string& line) {
    if (line.rfind("ICECC[", 0) != 0) return line;
    const std::size_t pid_end = line.find("] ");
    if (pid_end == std::string::npos) return line;
    // "YYYY-MM-DD HH:MM:SS: " is 21 characters.
    const std::size_t text = pid_end + 2 + 21;
    return text <= line.size() && line.compare(text - 2, 2, ": ") == 0 ? line.substr(text) : line;
}

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

/// Connects to `address` (a unix socket path, or 127.0.0.1:PORT) and closes it again.
bool accepts(const std::string& address, int family, unsigned port) {
    const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int rc = -1;
    if (family == AF_UNIX) {
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        if (address.size() < sizeof a.sun_path) {
            std::memcpy(a.sun_path, address.c_str(), address.size() + 1);
            rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
        }
    } else {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    }
    ::close(fd);
    return rc == 0;
}

}  // namespace

IceccOutcome read_icecc_log(const std::string& text) {
    IceccOutcome out;
    std::optional<std::string> current;  // the host of the last "Have to use host"
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const std::string m = message_text(line);
        if (starts_with(m, "Have to use host ")) {
            const std::size_t from = 17;
            const std::size_t to = m.find(" - ", from);
            current = m.substr(from, to == std::string::npos ? std::string::npos : to - from);
            if (out.ran != "fallback") out.ran = "remote";
        } else if (starts_with(m, "building myself, but telling localhost")) {
            current.reset();
            if (out.ran != "fallback") out.ran = "local";
        } else if (starts_with(m, "local build forced by remote exception: ") || starts_with(m, "got exception ")) {
            out.ran = "fallback";
            if (!out.failed_host) {
                out.failed_host = current;
                // "got exception Error 2 - no server found at H (H) ": the host icecc names, without a port.
                const std::size_t open = m.rfind(" (");
                const std::size_t close = m.rfind(')');
                if (!out.failed_host && starts_with(m, "got exception ") && open != std::string::npos &&
                    close != std::string::npos && close > open + 2) {
                    const std::string named = m.substr(open + 2, close - open - 2);
                    if (named != "this should be an exception!") out.failed_host = named;
                }
            }
            if (!out.message) {
                std::string message = m;
                while (!message.empty() && (message.back() == ' ' || message.back() == '\r')) message.pop_back();
                out.message = message;
            }
        } else if (starts_with(m, "no local daemon found")) {
            out.no_local_daemon = true;
            if (out.ran != "fallback") {
                out.ran = "fallback";
                out.failed_host = icecc_local_daemon_name;
                out.message = "no local daemon found";
            }
        }
    }
    if (out.ran == "remote") out.host = current;
    return out;
}

IceccDaemonReach reach_icecc_local_daemon(const std::optional<std::string>& test_socket,
                                          const std::optional<std::string>& home) {
    IceccDaemonReach r;
    std::vector<std::string> sockets;
    if (test_socket) {
        sockets.push_back(*test_socket);
    } else {
        sockets = {"/var/run/icecc/iceccd.socket", "/var/run/iceccd.socket"};
        if (home) sockets.push_back(*home + "/.iceccd.socket");
    }
    for (const auto& s : sockets) {
        r.tried.push_back(s);
        if (accepts(s, AF_UNIX, 0)) {
            r.reached = s;
            return r;
        }
    }
    if (!test_socket) {
        r.tried.emplace_back("127.0.0.1:10245");
        if (accepts("", AF_INET, 10245)) r.reached = r.tried.back();
    }
    return r;
}

}  // namespace buildbudget::buildmem
