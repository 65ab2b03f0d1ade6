// Where icecream's client compiled a unit (doc/lowmem-distributed.md, "Where
// icecream compiled a unit"): the launcher runs `icecc` with ICECC_DEBUG=debug and a
// per-job ICECC_LOGFILE and reads the log back; and whether the client would
// reach a local iceccd at all, which decides what bounds its local compiles.
//
// Sources: icecream 1.4 (Debian's icecc 1.4-1), client/main.cpp and
// client/remote.cpp; services/logging.cpp (with ICECC_LOGFILE set every level
// goes to that file, nothing to stderr).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace buildbudget::buildmem {

/// What icecc's own log says about one compile. Hosts are "ADDRESS:PORT" as
/// the scheduler gave them ("127.0.0.1:10246"): the remote daemon's address
/// and its -p port.
struct IceccOutcome {
    /// "remote" (compiled on `host`), "local" (icecc compiled it here through
    /// the local daemon: the scheduler gave the job to this machine, or icecc
    /// never asked for a host), "fallback" (a remote host or the local daemon
    /// failed and icecc compiled it here).
    std::string ran = "local";
    std::optional<std::string> host;         ///< the remote host that compiled it (ran remote)
    std::optional<std::string> failed_host;  ///< the host whose failure made icecc compile it here
    bool no_local_daemon = false;            ///< icecc compiled without a daemon ("no local daemon found")
    std::optional<std::string> message;      ///< icecc's own message for a fallback, without its prefix
};

/// Reads icecc 1.4's log (ICECC_DEBUG=debug, ICECC_LOGFILE), lines
/// "ICECC[PID] YYYY-MM-DD HH:MM:SS: TEXT", in order:
///   "Have to use host H:P - Job ID: N ..."  (remote.cpp, build_remote_int: the
///       scheduler gave the job to H, whose daemon listens on P)
///   "building myself, but telling localhost" (remote.cpp, maybe_build_local:
///       the scheduler gave it to the local daemon; local)
///   "local build forced by remote exception: Error 101 - ..." (main.cpp: the
///       remote host could not compile it; fallback, the host last named)
///   "got exception Error 14 - ... (H) " (main.cpp: the remote host failed,
///       unreachable or gone mid-compile; fallback, the host last named, else H)
///   "no local daemon found" (main.cpp: no daemon to ask, or none any more
///       after a remote failure; icecc compiles here with only its per-CPU lock
///       files; fallback, failed_host "local iceccd")
/// Anything else is a local compile (icecc keeps jobs it cannot send, such as
/// -E or unknown arguments, and jobs without an environment, local). A
/// compile error on the remote host is still ran remote.
[[nodiscard]] IceccOutcome read_icecc_log(const std::string& text);

/// The name failed_host gives the local daemon when icecc cannot reach it.
inline constexpr const char* icecc_local_daemon_name = "local iceccd";

/// Whether icecc's client would reach a local daemon, in the order of
/// get_local_daemon() in client/main.cpp: with `test_socket`
/// ($ICECC_TEST_SOCKET) only that unix socket; else the unix sockets
/// /var/run/icecc/iceccd.socket, /var/run/iceccd.socket, `home`/.iceccd.socket
/// ($HOME), then TCP 127.0.0.1:10245. A socket counts when something listens
/// on it, as <root>/proc/net/unix, tcp and tcp6 show (not connected to: iceccd
/// logs an error for each client that leaves before its greeting).
struct IceccDaemonReach {
    std::optional<std::string> reached;  ///< the first address that accepted
    std::vector<std::string> tried;      ///< every address looked at, in order
};
[[nodiscard]] IceccDaemonReach reach_icecc_local_daemon(const std::optional<std::string>& test_socket,
                                                         const std::optional<std::string>& home,
                                                         const std::string& root = "/");

}  // namespace buildbudget::buildmem
