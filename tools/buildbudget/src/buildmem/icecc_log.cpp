// Where icecream's client compiled a unit, and whether it reaches its local
// daemon (doc/lowmem-distributed.md): see icecc_log.hpp for the messages read.
#include "buildmem/icecc_log.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace buildbudget::buildmem {
namespace {

namespace fs = std::filesystem;

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

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Whether a unix socket listens at `path`: a line of <root>/proc/net/unix ("Num RefCount Protocol
/// Flags Type St Inode Path") with that path and __SO_ACCEPTCON (Flags 00010000) set.
bool unix_listening(const std::string& net_unix, const std::string& path) {
    std::istringstream in(net_unix);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string f[8];
        for (auto& field : f) fields >> field;
        if (f[7] == path && f[3] == "00010000") return true;
    }
    return false;
}

/// Whether a TCP socket listens on `port` for 127.0.0.1: a line of <root>/proc/net/tcp or tcp6
/// ("sl local_address rem_address st ...", the address and port in hex) in state 0A (LISTEN) on the
/// port, bound to any address or to the loopback one.
bool tcp_listening(const std::string& net_tcp, unsigned port) {
    char hex_port[8];
    std::snprintf(hex_port, sizeof hex_port, "%04X", port);
    std::istringstream in(net_tcp);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string sl, local, remote, state;
        fields >> sl >> local >> remote >> state;
        const std::size_t colon = local.find(':');
        if (state != "0A" || colon == std::string::npos || local.substr(colon + 1) != hex_port) continue;
        const std::string address = local.substr(0, colon);
        if (address.find_first_not_of('0') == std::string::npos || address == "0100007F" ||
            address == "0000000000000000FFFF00000100007F") {
            return true;
        }
    }
    return false;
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
                                          const std::optional<std::string>& home, const std::string& root) {
    IceccDaemonReach r;
    const fs::path net = fs::path(root) / "proc" / "net";
    const std::string net_unix = read_text(net / "unix");
    std::vector<std::string> sockets;
    if (test_socket) {
        sockets.push_back(*test_socket);
    } else {
        sockets = {"/var/run/icecc/iceccd.socket", "/var/run/iceccd.socket"};
        if (home) sockets.push_back(*home + "/.iceccd.socket");
    }
    for (const auto& s : sockets) {
        r.tried.push_back(s);
        if (unix_listening(net_unix, s)) {
            r.reached = s;
            return r;
        }
    }
    if (!test_socket) {
        r.tried.emplace_back("127.0.0.1:10245");
        if (tcp_listening(read_text(net / "tcp") + read_text(net / "tcp6"), 10245)) r.reached = r.tried.back();
    }
    return r;
}

}  // namespace buildbudget::buildmem
