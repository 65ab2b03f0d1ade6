// Icecream's farm as its scheduler sees it (doc/lowmem-distributed.md, "The
// remote capacity"): the hosts logged in to the scheduler and the jobs each
// accepts, read the way icemon reads them, for the compile pool's remote slots.
//
// The scheduler, found as the local daemon finds it (iceccd(1), icecc.conf):
//   1. --icecc-scheduler HOST[:PORT]
//   2. $ICECC_SCHEDULER (HOST[:PORT]), which icecc's client and iceccd read too
//   3. the local iceccd's own -s/--scheduler-host argument: the daemon that
//      owns the client's socket ($ICECC_TEST_SOCKET, else
//      /var/run/icecc/iceccd.socket, else ~/.iceccd.socket), else the one
//      iceccd running here
//   4. ICECC_SCHEDULER_HOST in /etc/icecc/icecc.conf (Debian's init script
//      passes it as -s)
//   5. icecream's broadcast discovery on UDP port 8765, for the network named
//      by the daemon's -n, else ICECC_NETNAME in icecc.conf (empty: any)
// PORT defaults to 8765, the scheduler's TCP port.
//
// The query (Debian's libicecc, the protocol headers icecc/comm.h):
//   - the monitor login (MonLoginMsg), as icemon: the scheduler answers with
//     one MonStatsMsg per logged-in daemon, "Key:Value" lines with Name, IP,
//     MaxJobs (-m), NoRemote (--no-remote), Platform;
//   - that answer has no end marker, so the scheduler's line interface on
//     PORT + 1 ("listcs", ended by "200 done") names the daemons to wait for.
// Both are the scheduler's own replies; each wait is at most reply_seconds
// (30 s), a limit for a scheduler that stopped answering, not a pace.
//
// The remote slots are the sum of MaxJobs of the daemons that accept remote
// jobs (NoRemote false), except the local daemon's own: the host whose Name is
// the local iceccd's -N argument, else this machine's host name (iceccd's
// default node name).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace buildbudget::buildmem {

/// The scheduler cannot be found or asked: what() is "<scheduler>: <problem>; expected <what>".
class IcecreamError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One daemon logged in to the scheduler.
struct IcecreamHost {
    std::string name;          ///< its node name (iceccd -N, default the host name)
    std::string address;       ///< as the scheduler sees it
    std::string platform;      ///< "x86_64", ...
    unsigned max_jobs = 0;     ///< iceccd -m: jobs it runs at once
    bool no_remote = false;    ///< iceccd --no-remote: accepts no jobs from others
    bool local = false;        ///< the local daemon
    bool offline = false;      ///< "State:Offline": the daemon left the farm
};

/// Where the scheduler is. host empty: found by broadcast.
struct IcecreamScheduler {
    std::string host;
    unsigned port = 8765;
    std::string netname;
    std::string source;        ///< "--icecc-scheduler", "$ICECC_SCHEDULER", "iceccd -s (pid N)", ...
};

/// What find_icecc_scheduler() and read_icecc_farm() read.
struct IcecreamLookup {
    std::optional<std::string> option;            ///< --icecc-scheduler
    std::optional<std::string> env_scheduler;     ///< $ICECC_SCHEDULER
    std::optional<std::string> test_socket, home; ///< $ICECC_TEST_SOCKET, $HOME: the client's socket
    std::string conf = "/etc/icecc/icecc.conf";
    std::string root = "/";                       ///< the local iceccd is looked for under <root>/proc
    unsigned reply_seconds = 30;                  ///< the longest wait for one reply
    unsigned broadcast_seconds = 5;               ///< the broadcast discovery's wait for answers
    /// From the process environment.
    static IcecreamLookup from_environment();
};

/// The farm as the scheduler sees it.
struct IcecreamFarm {
    IcecreamScheduler scheduler;
    std::string local_name;                       ///< the local daemon's node name
    std::string local_source;                     ///< where local_name came from
    std::vector<IcecreamHost> hosts;              ///< in the scheduler's order
    /// Sum of max_jobs of the hosts that are neither local nor --no-remote.
    [[nodiscard]] unsigned remote_slots() const;
};

/// Where the scheduler is (the order above). Errors: IcecreamError for a
/// bad HOST[:PORT] ("--icecc-scheduler: bad port \"x\" in \"h:x\"; expected
/// HOST[:PORT] with PORT a whole number from 1 to 65535").
[[nodiscard]] IcecreamScheduler find_icecc_scheduler(const IcecreamLookup& lookup);

/// Asks the scheduler for its daemons. Errors: IcecreamError naming the
/// scheduler and where it was found: "icecream scheduler 127.0.0.1:8765
/// (--icecc-scheduler): cannot connect (...); expected a running
/// icecc-scheduler there, or --remote-slots N with the farm's job slots";
/// no answer to the broadcast; no reply within reply_seconds.
[[nodiscard]] IcecreamFarm read_icecc_farm(const IcecreamLookup& lookup);

/// One MonStatsMsg text ("Key:Value" lines) as a host; nothing without Name.
[[nodiscard]] std::optional<IcecreamHost> parse_icecc_host_stats(const std::string& text);

}  // namespace buildbudget::buildmem
