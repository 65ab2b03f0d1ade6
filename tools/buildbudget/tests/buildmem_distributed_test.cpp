// Compile pools with a compile farm (doc/lowmem-distributed.md): distcc's host
// list as distcc(1) documents it, and the sizing rule of distributed.hpp,
// recomputed here from its stated figures (1/8 of the compile memory, at least
// 128 MiB; 16 MiB per client) rather than read back from the code.
#include "buildmem/distributed.hpp"

#include "temp_dir.hpp"
#include "units.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bm = buildbudget::buildmem;

namespace {

using buildbudget::test::GiB;
using buildbudget::test::MiB;

std::string distcc_hosts_error(const std::string& text, const std::string& source = "DISTCC_HOSTS") {
    try {
        (void)bm::parse_distcc_hosts(text, source);
    } catch (const bm::DistributedError& e) {
        return e.what();
    }
    return "(no error)";
}

/// A local plan as make_plan() gives it: 8 GiB limit, 1 GiB reserve, 8 CPUs, 1 GiB per compile.
bm::Plan local_plan(std::uint64_t limit = 8 * GiB, std::uint64_t reserve = 1 * GiB, unsigned cpus = 8) {
    bm::Plan p;
    p.memory_limit = limit;
    p.reserve = reserve;
    p.cpus = cpus;
    p.compile_memory = 1 * GiB;
    p.link_memory = 2 * GiB;
    p.compile_jobs = 7;
    p.link_jobs = 3;
    return p;
}

bm::DistributedRequest distcc_request(const std::string& hosts) {
    bm::DistributedRequest r;
    r.engine = "distcc";
    r.lookup.distcc_hosts = hosts;
    r.lookup.system_file = "/nonexistent/distcc/hosts";
    r.root = "/nonexistent";
    return r;
}

std::string all(const std::vector<std::string>& reasons) {
    std::string text;
    for (const auto& r : reasons) text += r + "\n";
    return text;
}

}  // namespace

TEST(BuildmemDistccHosts, ParsesEveryFormOfTheManPage) {
    const auto list = bm::parse_distcc_hosts(
        "localhost/2 @bigman/16:/opt/bin/distccd oldmachine:4200/1\n"
        "# cartman is down\n"
        "distant/3,lzo  red,cpp,lzo u@blue [::1]:3700/5,auth=x --randomize --localslots=3 --localslots_cpp=12 a/2:99",
        "DISTCC_HOSTS");
    ASSERT_EQ(list.hosts.size(), 8U);
    const auto& local = list.hosts[0];
    EXPECT_EQ(local.kind, bm::DistccHost::Kind::local);
    EXPECT_EQ(local.limit, 2U);
    const auto& big = list.hosts[1];
    EXPECT_EQ(big.kind, bm::DistccHost::Kind::ssh);
    EXPECT_EQ(big.host, "bigman");
    EXPECT_EQ(big.limit, 16U);
    EXPECT_EQ(big.command, "/opt/bin/distccd");
    EXPECT_EQ(list.hosts[2].host, "oldmachine");
    EXPECT_EQ(list.hosts[2].port, 4200U);
    EXPECT_EQ(list.hosts[2].limit, 1U);
    EXPECT_EQ(list.hosts[3].where, "DISTCC_HOSTS:3:1");
    EXPECT_TRUE(list.hosts[3].lzo);
    EXPECT_EQ(list.hosts[3].limit, 3U);
    EXPECT_TRUE(list.hosts[4].cpp);
    EXPECT_EQ(list.hosts[4].limit, 4U);  // distcc's default per host
    EXPECT_FALSE(list.hosts[4].limit_given);
    EXPECT_EQ(list.hosts[4].where, "DISTCC_HOSTS:3:16");
    EXPECT_EQ(list.hosts[5].user, "u");
    EXPECT_EQ(list.hosts[5].host, "blue");
    EXPECT_EQ(list.hosts[6].host, "[::1]");
    EXPECT_EQ(list.hosts[6].port, 3700U);
    EXPECT_EQ(list.hosts[6].limit, 5U);
    EXPECT_EQ(list.hosts[7].port, 99U);  // the old style HOST/LIMIT:PORT
    EXPECT_EQ(list.hosts[7].limit, 2U);
    EXPECT_TRUE(list.randomize);
    EXPECT_EQ(list.localslots, 3U);
    EXPECT_EQ(list.localslots_cpp, 12U);
    EXPECT_EQ(list.local_slots(), 2U);
    EXPECT_EQ(list.remote_slots(), 16U + 1 + 3 + 4 + 4 + 5 + 2);
    EXPECT_EQ(list.remote_pump_slots(), 4U);
}

TEST(BuildmemDistccHosts, ErrorsNameWhereAndWhatWasExpected) {
    EXPECT_EQ(distcc_hosts_error("a b/0"),
              "DISTCC_HOSTS:1:3: bad limit \"/0\" in host specification \"b/0\"; expected /LIMIT with LIMIT a whole number "
              "of jobs from 1");
    EXPECT_EQ(distcc_hosts_error("a\n  b:99999", "/etc/distcc/hosts"),
              "/etc/distcc/hosts:2:3: bad port \":99999\" in host specification \"b:99999\"; expected :PORT with PORT a "
              "whole number from 1 to 65535");
    EXPECT_EQ(distcc_hosts_error("a,foo"),
              "DISTCC_HOSTS:1:1: unknown option \",foo\" in host specification \"a,foo\"; expected the options ,lzo ,cpp "
              "or ,auth[=NAME]");
    EXPECT_EQ(distcc_hosts_error("a/3/4"), "DISTCC_HOSTS:1:1: a second limit \"/4\" in host specification \"a/3/4\"; expected one /LIMIT");
    EXPECT_EQ(distcc_hosts_error(" --bogus"),
              "DISTCC_HOSTS:1:2: unknown option \"--bogus\"; expected a host specification or --randomize, "
              "--localslots=N, --localslots_cpp=N");
    EXPECT_EQ(distcc_hosts_error("--localslots=x"),
              "DISTCC_HOSTS:1:1: bad value \"x\" in \"--localslots=x\"; expected a whole number of local slots from 1");
    EXPECT_EQ(distcc_hosts_error("[::1"), "DISTCC_HOSTS:1:1: no closing ] in host specification \"[::1\"; expected an IPv6 address as [ADDRESS]");
    // localhost/N with options is local (distcc ignores them there); localhost with options is a TCP host.
    const auto local = bm::parse_distcc_hosts("localhost/3,cpp localhost,lzo", "x");
    EXPECT_EQ(local.local_slots(), 3U);
    EXPECT_EQ(local.remote_slots(), 4U);
    // A comment hides the rest of its line only.
    EXPECT_EQ(bm::parse_distcc_hosts("a # b/0\nc", "x").hosts.size(), 2U);
}

TEST(BuildmemDistccHosts, LookupOrderIsDistccs) {
    buildbudget::test::TempDir dir("distributed-lookup");
    bm::DistccLookup l;
    l.system_file = (dir.path() / "etc" / "hosts").string();
    EXPECT_FALSE(bm::find_distcc_hosts(l));
    dir.write("etc/hosts", "sys/1");
    EXPECT_EQ(bm::find_distcc_hosts(l)->source, l.system_file);
    l.home = (dir.path() / "home").string();
    dir.write("home/.distcc/hosts", "home/2");
    EXPECT_EQ(bm::find_distcc_hosts(l)->hosts.at(0).host, "home");
    l.distcc_dir = (dir.path() / "dd").string();  // DISTCC_DIR replaces ~/.distcc, even without a hosts file
    EXPECT_EQ(bm::find_distcc_hosts(l)->hosts.at(0).host, "sys");
    std::filesystem::create_directories(dir.path() / "dd" / "hosts");  // there, but not a file
    try {
        (void)bm::find_distcc_hosts(l);
        ADD_FAILURE() << "a directory read as a host list";
    } catch (const bm::DistributedError& e) {
        EXPECT_EQ(std::string(e.what()), (dir.path() / "dd" / "hosts").string() +
                                             ": cannot read the distcc host list; expected a readable file");
    }
    l.distcc_hosts = "env/3";
    EXPECT_EQ(bm::find_distcc_hosts(l)->source, "DISTCC_HOSTS");
    EXPECT_EQ(bm::find_distcc_hosts(l)->hosts.at(0).limit, 3U);
}

TEST(BuildmemDistributedPlan, PlainDistccCountsThePreprocessorLocally) {
    // 8 GiB - 1 GiB reserve = 7 GiB. 2 hosts x 4 slots, each 1/8 of 1 GiB = 128 MiB locally: 1 GiB.
    // Local compiles: (7 GiB - 1 GiB) / 1 GiB = 6, within 8 CPUs, at most localhost/4 = 4.
    const auto d = bm::plan_distributed(local_plan(), distcc_request("localhost/4 a b"));
    EXPECT_EQ(d.preprocess_memory, 128 * MiB);
    EXPECT_EQ(d.remote_slots, 8U);
    EXPECT_EQ(d.local_compile_jobs, 4U);
    EXPECT_EQ(d.compile_jobs, 12U);
    EXPECT_EQ(d.link_jobs, 3U);
    const std::string text = all(d.reasons);
    EXPECT_NE(text.find("distributed engine distcc: --distributed distcc"), std::string::npos) << text;
    EXPECT_NE(text.find("$DISTCC_HOSTS: 2 remote hosts (4 (default) + 4 (default) slots), 4 localhost slots"),
              std::string::npos) << text;
    EXPECT_NE(text.find("local compile slots 4: (8 GiB limit - 1 GiB reserve - 1 GiB for 8 remote compiles) / 1 GiB per "
                        "compile = 6, at most the host list's 4 localhost slots"),
              std::string::npos) << text;
    EXPECT_NE(text.find("distributed compile pool 12: 8 remote + 4 local"), std::string::npos) << text;
    EXPECT_NE(text.find("distributed link pool 3"), std::string::npos) << text;
}

TEST(BuildmemDistributedPlan, MoreLocalhostSlotsThanMemoryHoldsAreNamed) {
    // distcc takes a free localhost slot whatever the pool: 2 GiB - 1 GiB reserve - 8 x 128 MiB leaves no
    // local compile, yet localhost/3 lets distcc run three here.
    const auto d = bm::plan_distributed(local_plan(2 * GiB), distcc_request("localhost/3 a/8"));
    EXPECT_EQ(d.local_compile_jobs, 0U);
    const std::string text = all(d.reasons);
    EXPECT_NE(text.find("distcc compiles up to 3 units here at once (the host list's localhost slots), more than the "
                        "0 local compile slots above: take localhost out of the list"),
              std::string::npos) << text;
    const auto one = bm::plan_distributed(local_plan(3 * GiB), distcc_request("localhost/3 a/8"));
    EXPECT_EQ(one.local_compile_jobs, 1U);
    EXPECT_NE(all(one.reasons).find("more than the 1 local compile slot above: lower it to localhost/1"),
              std::string::npos) << all(one.reasons);
    // Within memory: no such line.
    EXPECT_EQ(all(bm::plan_distributed(local_plan(), distcc_request("localhost/4 a b")).reasons).find("here at once"),
              std::string::npos);
}

TEST(BuildmemDistributedPlan, AnEmptyListIsRefused) {
    try {
        (void)bm::plan_distributed(local_plan(), distcc_request("  # nothing here"));
        ADD_FAILURE() << "an empty list";
    } catch (const bm::DistributedError& e) {
        EXPECT_EQ(std::string(e.what()), "DISTCC_HOSTS: no hosts (distcc then compiles everything locally); expected at "
                                         "least one host specification, or --remote-slots N");
    }
}

TEST(BuildmemDistributedPlan, WithoutLocalhostDistccCompilesNothingLocally) {
    const auto d = bm::plan_distributed(local_plan(), distcc_request("a/6"));
    EXPECT_EQ(d.local_compile_jobs, 0U);
    EXPECT_EQ(d.compile_jobs, 6U);
    EXPECT_NE(all(d.reasons).find("the host list has no localhost"), std::string::npos);
}

TEST(BuildmemDistributedPlan, PumpModeCostsOnlyTheClient) {
    // 40 pump slots x 16 MiB = 640 MiB; (7 GiB - 640 MiB) / 1 GiB = 6 local.
    const auto pump = bm::plan_distributed(local_plan(), distcc_request("localhost/8 a/20,cpp b/20,cpp,lzo"));
    EXPECT_EQ(pump.remote_pump_slots, 40U);
    EXPECT_EQ(pump.local_compile_jobs, 6U);
    EXPECT_EQ(pump.compile_jobs, 46U);
    EXPECT_NE(all(pump.reasons).find("local cost of a remote compile 16 MiB: pump mode (,cpp) preprocesses on the remote "
                                     "host, only the client runs locally"),
              std::string::npos) << all(pump.reasons);
}

TEST(BuildmemDistributedPlan, IcecreamCountsThePreprocessorLocally) {
    // icecc preprocesses before it sends (-fdirectives-only / -frewrite-includes, or -E with ICECC_REMOTE_CPP=0):
    // a remote compile costs here what plain distcc's does, preprocess_memory(), not the client's 16 MiB.
    bm::DistributedRequest ice;
    ice.engine = "icecc";
    ice.root = "/nonexistent";
    // Without --remote-slots the slots are the scheduler's; one that is not there is an error pointing to
    // --remote-slots (port 1 refuses at once: no broadcast, no wait).
    ice.icecream.option = "127.0.0.1:1";
    ice.icecream.root = "/nonexistent";
    try {
        (void)bm::plan_distributed(local_plan(), ice);
        ADD_FAILURE() << "icecc without a scheduler or --remote-slots";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("--remote-slots N with the farm's job slots"), std::string::npos) << e.what();
    }
    // 40 slots x 128 MiB (max(1 GiB / 8, 128 MiB)) = 5 GiB; (7 GiB - 5 GiB) / 1 GiB = 2 local.
    ice.remote_slots = 40;
    const auto d = bm::plan_distributed(local_plan(), ice);
    EXPECT_EQ(d.remote_slots, 40U);
    EXPECT_EQ(d.remote_pump_slots, 0U);
    EXPECT_EQ(d.preprocess_memory, bm::preprocess_memory(1 * GiB));
    EXPECT_EQ(d.local_compile_jobs, 2U);  // icecream's daemon runs local jobs too: capped by memory and CPUs only
    EXPECT_EQ(d.compile_jobs, 42U);
    const std::string text = all(d.reasons);
    EXPECT_NE(text.find("local cost of a remote compile 128 MiB: icecream preprocesses here (-fdirectives-only / "
                        "-frewrite-includes merges the includes locally; with ICECC_REMOTE_CPP=0 the whole "
                        "preprocessor), max(1 GiB compile memory / 8, 128 MiB)"),
              std::string::npos) << text;
    EXPECT_EQ(text.find("only the client"), std::string::npos) << text;
    EXPECT_NE(text.find("local compile slots 2: (8 GiB limit - 1 GiB reserve - 5 GiB for 40 remote compiles) / 1 GiB "
                        "per compile = 2"),
              std::string::npos) << text;
    // What memory holds: 2 GiB - 512 MiB reserve = 1.5 GiB / 128 MiB = 12 of the 40 slots, none left locally.
    const auto small = bm::plan_distributed(local_plan(2 * GiB, 512 * MiB), ice);
    EXPECT_EQ(small.compile_jobs, 12U);
    EXPECT_EQ(small.local_compile_jobs, 0U);
}

TEST(BuildmemDistributedPlan, RemoteSlotsAreLoweredToWhatLocalMemoryHolds) {
    // 2 GiB limit, 512 MiB reserve: 1.5 GiB usable / 128 MiB preprocessing = 12 of 100 slots, nothing left locally.
    const auto d = bm::plan_distributed(local_plan(2 * GiB, 512 * MiB), distcc_request("localhost a/100"));
    EXPECT_EQ(d.remote_slots, 100U);
    EXPECT_EQ(d.compile_jobs, 12U);
    EXPECT_EQ(d.local_compile_jobs, 0U);
    EXPECT_NE(all(d.reasons).find("remote slots 100: the sum of the remote hosts' limits in $DISTCC_HOSTS, lowered to 12"),
              std::string::npos) << all(d.reasons);
    // The override replaces the list's limits: 3 x 128 MiB leaves 1.125 GiB, room for 1 local compile.
    auto r = distcc_request("localhost a/100");
    r.remote_slots = 3;
    const auto o = bm::plan_distributed(local_plan(2 * GiB, 512 * MiB), r);
    EXPECT_EQ(o.remote_slots_source, "--remote-slots 3");
    EXPECT_EQ(o.local_compile_jobs, 1U);
    EXPECT_EQ(o.compile_jobs, 4U);
}

TEST(BuildmemDistributedPlan, PreprocessMemoryRule) {
    EXPECT_EQ(bm::preprocess_memory(1 * GiB), 128 * MiB);
    EXPECT_EQ(bm::preprocess_memory(4 * GiB), 512 * MiB);
    EXPECT_EQ(bm::preprocess_memory(300 * MiB), 128 * MiB);  // the floor
    EXPECT_EQ(bm::preprocess_memory(100 * MiB), 100 * MiB);  // never above the compile itself
}

TEST(BuildmemDistributedPlan, AutoFindsTheEngine) {
    bm::DistributedRequest r;
    r.root = "/nonexistent";
    r.lookup.system_file = "/nonexistent/hosts";
    r.remote_slots = 4;
    r.launchers = {"/usr/bin/ccache;/usr/bin/icecc"};
    EXPECT_EQ(bm::plan_distributed(local_plan(), r).engine, bm::Engine::icecc);
    r.launchers = {"ccache", "distcc"};
    EXPECT_EQ(bm::plan_distributed(local_plan(), r).engine, bm::Engine::distcc);
    r.launchers.clear();
    r.lookup.distcc_hosts = "a";
    const auto d = bm::plan_distributed(local_plan(), r);
    EXPECT_EQ(d.engine_source, "--distributed auto: $DISTCC_HOSTS is present");
    r.lookup.distcc_hosts.reset();
    // A running iceccd, as /proc shows it (a probe root with a process tree of its own).
    buildbudget::test::TempDir root("distributed-proc");
    root.write("proc/1/comm", "init\n");
    root.write("proc/4242/comm", "iceccd\n");
    root.write("proc/self/comm", "iceccd\n");  // not a process id
    r.root = root.path().string();
    EXPECT_EQ(bm::plan_distributed(local_plan(), r).engine_source, "--distributed auto: iceccd is running (pid 4242)");
    root.write("proc/4242/comm", "icecc-scheduler\n");
    try {
        (void)bm::plan_distributed(local_plan(), r);
        ADD_FAILURE() << "no engine";
    } catch (const bm::DistributedError& e) {
        EXPECT_NE(std::string(e.what()).find("--distributed auto: no engine found"), std::string::npos) << e.what();
    }
}
