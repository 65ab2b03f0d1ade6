// read_icecc_log() on icecc 1.4's own logs (ICECC_DEBUG=debug, ICECC_LOGFILE), recorded from Debian's
// icecc 1.4-1 with an icecc-scheduler and iceccd on loopback; and reach_icecc_local_daemon().
#include "buildmem/icecc_log.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

using namespace buildbudget::buildmem;

TEST(BuildmemIceccLog, RemoteCompileNamesTheHostAndItsPort) {
    const IceccOutcome remote = read_icecc_log(
        "ICECC[28975] 2026-12-07 03:06:26: invoked as: icecc g++ -c u.cpp -o u.o\n"
        "ICECC[28975] 2026-12-07 03:06:26: connected to /tmp/i1-exp/local.socket\n"
        "ICECC[28975] 2026-12-07 03:06:34: preparing u.cpp to be compiled for x86_64\n"
        "ICECC[28975] 2026-12-07 03:06:34: asking for host to use\n"
        "ICECC[28975] 2026-12-07 03:06:34: Have to use host 127.0.0.1:18791 - Job ID: 1 - env: x86_64 - has env: "
        "false - match j: 0\n"
        "ICECC[28975] 2026-12-07 03:06:34: connected to 127.0.0.1\n"
        "ICECC[28975] 2026-12-07 03:06:35: <send compile_file>\n"
        "ICECC[29918] 2026-12-07 03:06:35: preparing source to send: /usr/bin/g++ -E u.cpp -fdirectives-only\n"
        "ICECC[28975] 2026-12-07 03:06:38: </wait for cs: 2963ms>\n"
        "ICECC[28975] 2026-12-07 03:06:38: got 186315 bytes (13%)\n");
    EXPECT_EQ(remote.ran, "remote");
    EXPECT_EQ(remote.host.value_or("-"), "127.0.0.1:18791");
    EXPECT_FALSE(remote.failed_host);
    EXPECT_FALSE(remote.message);
}

TEST(BuildmemIceccLog, TheRemoteHostDyingMidCompileIsAFallback) {
    const IceccOutcome killed = read_icecc_log(
        "ICECC[32368] 2026-12-07 03:09:04: Have to use host 127.0.0.1:18791 - Job ID: 2 - env: x86_64 - has env: "
        "true - match j: 1\n"
        "ICECC[32368] 2026-12-07 03:09:04: <wait for cs>\n"
        "ICECC[32368] 2026-12-07 03:09:05: saw eof without complete msg! 1\n"
        "ICECC[32368] 2026-12-07 03:09:05: setting error state for channel 127.0.0.1: (B eof: 1)\n"
        "ICECC[32368] 2026-12-07 03:09:05: got exception Error 14 - error reading message from remote (127.0.0.1) \n"
        "ICECC[32368] 2026-12-07 03:09:05: connected to /tmp/i1-exp/local.socket\n"
        "ICECC[32368] 2026-12-07 03:09:05: <building_local>\n"
        "ICECC[32368] 2026-12-07 03:09:05: invoking: /usr/bin/g++ -c u.cpp -o u3.o\n");
    EXPECT_EQ(killed.ran, "fallback");
    EXPECT_FALSE(killed.host);
    EXPECT_EQ(killed.failed_host.value_or("-"), "127.0.0.1:18791");
    EXPECT_EQ(killed.message.value_or("-"), "got exception Error 14 - error reading message from remote (127.0.0.1)");
    EXPECT_FALSE(killed.no_local_daemon);
    // The remote host could not compile it (remote.cpp's remote_error), then no daemon was left to ask.
    const IceccOutcome forced = read_icecc_log(
        "ICECC[7] 2026-12-07 03:09:04: Have to use host 10.0.0.5:10245 - Job ID: 2 - env: x86_64\n"
        "ICECC[7] 2026-12-07 03:09:05: the server ran out of memory, recompiling locally\n"
        "ICECC[7] 2026-12-07 03:09:05: local build forced by remote exception: Error 101 - the server ran out of "
        "memory, recompiling locally\n"
        "ICECC[7] 2026-12-07 03:09:05: no local daemon found\n");
    EXPECT_EQ(forced.ran, "fallback");
    EXPECT_EQ(forced.failed_host.value_or("-"), "10.0.0.5:10245");
    EXPECT_TRUE(forced.no_local_daemon);
    // A host icecc could not connect to at all: named by the exception when no "Have to use host" came first.
    const IceccOutcome unnamed =
        read_icecc_log("ICECC[7] 2026-12-07 03:09:05: got exception Error 2 - no server found at 10.0.0.6 (10.0.0.6) \n");
    EXPECT_EQ(unnamed.failed_host.value_or("-"), "10.0.0.6");
}

TEST(BuildmemIceccLog, LocalCompiles) {
    // The scheduler gave the job to this machine's daemon.
    const IceccOutcome myself = read_icecc_log(
        "ICECC[5] 2026-12-07 03:10:00: asking for host to use\n"
        "ICECC[5] 2026-12-07 03:10:00: building myself, but telling localhost\n"
        "ICECC[5] 2026-12-07 03:10:00: invoking: /usr/bin/g++ -c u.cpp -o u.o\n");
    EXPECT_EQ(myself.ran, "local");
    EXPECT_FALSE(myself.host);
    EXPECT_FALSE(myself.failed_host);
    // A job icecc keeps local from the start (here -E) never asks for a host.
    const IceccOutcome kept = read_icecc_log("ICECC[5] 2026-12-07 03:10:00: <building_local>\n");
    EXPECT_EQ(kept.ran, "local");
    // No daemon at all (client/main.cpp tries three sockets and 127.0.0.1:10245).
    const IceccOutcome alone = read_icecc_log(
        "ICECC[32336] 2026-12-07 03:08:54: connect failed on /var/run/icecc/iceccd.socket\n"
        "ICECC[32336] 2026-12-07 03:08:54: connect(Error: Connection refused)\n"
        "ICECC[32336] 2026-12-07 03:08:54: connect failed on 127.0.0.1\n"
        "ICECC[32336] 2026-12-07 03:08:54: no local daemon found\n");
    EXPECT_EQ(alone.ran, "fallback");
    EXPECT_EQ(alone.failed_host.value_or("-"), icecc_local_daemon_name);
    EXPECT_TRUE(alone.no_local_daemon);
    EXPECT_EQ(read_icecc_log("").ran, "local");
}

TEST(BuildmemIceccLog, TheLocalDaemonIsReachedOnItsSocket) {
    const buildbudget::test::TempDir dir;
    const std::string path = (dir.path() / "iceccd.socket").string();
    const IceccDaemonReach none = reach_icecc_local_daemon(path, std::nullopt);
    EXPECT_FALSE(none.reached);
    EXPECT_EQ(none.tried, std::vector<std::string>{path});
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    EXPECT_EQ(reach_icecc_local_daemon(path, std::nullopt).reached.value_or("-"), path);
    ::close(fd);
    EXPECT_FALSE(reach_icecc_local_daemon(path, std::nullopt).reached);  // closed: nothing listens any more
}

TEST(BuildmemIceccLog, TheLocalDaemonIsLookedForInIceccsOrder) {
    // A root whose /proc/net shows what listens (Linux's proc_net_unix and proc_net_tcp formats).
    const buildbudget::test::TempDir root;
    const std::string unix_header = "Num       RefCount Protocol Flags    Type St Inode Path\n";
    root.write("proc/net/unix", unix_header +
                                    "0000000012345678: 00000002 00000000 00010000 0001 01 4242 /home/me/.iceccd.socket\n"
                                    "0000000012345679: 00000003 00000000 00000000 0001 03 4243 /var/run/iceccd.socket\n");
    root.write("proc/net/tcp", "  sl  local_address rem_address   st\n");
    root.write("proc/net/tcp6", "  sl  local_address rem_address   st\n");
    const IceccDaemonReach home = reach_icecc_local_daemon(std::nullopt, std::string("/home/me"), root.path().string());
    EXPECT_EQ(home.reached.value_or("-"), "/home/me/.iceccd.socket");
    // /var/run/iceccd.socket is only connected (no __SO_ACCEPTCON), not listening.
    EXPECT_EQ(home.tried, (std::vector<std::string>{"/var/run/icecc/iceccd.socket", "/var/run/iceccd.socket",
                                                    "/home/me/.iceccd.socket"}));
    const IceccDaemonReach none = reach_icecc_local_daemon(std::nullopt, std::string("/home/other"), root.path().string());
    EXPECT_FALSE(none.reached);
    EXPECT_EQ(none.tried.back(), "127.0.0.1:10245");
    // iceccd's TCP port 10245 (0x2805) listening on any address.
    root.write("proc/net/tcp", "  sl  local_address rem_address   st\n"
                               "   0: 0100007F:2806 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n"
                               "   1: 00000000:2805 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 2\n");
    EXPECT_EQ(reach_icecc_local_daemon(std::nullopt, std::nullopt, root.path().string()).reached.value_or("-"),
              "127.0.0.1:10245");
    // With $ICECC_TEST_SOCKET, that socket alone.
    const IceccDaemonReach test = reach_icecc_local_daemon(std::string("/t/s"), std::nullopt, root.path().string());
    EXPECT_FALSE(test.reached);
    EXPECT_EQ(test.tried, std::vector<std::string>{"/t/s"});
}
