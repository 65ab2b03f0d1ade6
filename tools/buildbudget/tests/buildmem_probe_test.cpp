// The build-memory probe (doc/design.md, "Build memory") against fake /proc and
// /sys trees written here, laid out as the kernel's cgroup-v1/v2 documentation
// and proc(5) describe them; expected figures are computed in the test from the
// files' numbers.
#include "buildmem/probe.hpp"

#include "units.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
namespace bm = buildbudget::buildmem;

namespace {

using buildbudget::test::GiB;
using buildbudget::test::MiB;

/// A fake root: files written on demand, removed at the end.
class FakeRoot {
public:
    explicit FakeRoot(const std::string& name) {
        dir_ = fs::temp_directory_path() /
               ("buildbudget-probe-" + name + "-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    ~FakeRoot() { fs::remove_all(dir_); }
    FakeRoot(const FakeRoot&) = delete;
    FakeRoot& operator=(const FakeRoot&) = delete;

    void write(const std::string& path, const std::string& content) const {
        const fs::path p = dir_ / path.substr(1);
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << content;
    }
    void remove(const std::string& path) const { fs::remove(dir_ / path.substr(1)); }
    [[nodiscard]] std::string root() const { return dir_.string(); }
    [[nodiscard]] std::string at(const std::string& path) const { return dir_.string() + path; }

    /// /proc/meminfo, /proc/self/status and /sys/devices/system/cpu/online.
    void basics(std::uint64_t total_kb, std::uint64_t available_kb, const std::string& allowed = "0-3",
                const std::string& online = "0-3") const {
        write("/proc/meminfo", "MemTotal:       " + std::to_string(total_kb) + " kB\nMemFree:        1000 kB\n" +
                                   "MemAvailable:   " + std::to_string(available_kb) + " kB\nBuffers:  10 kB\n");
        write("/proc/self/status", "Name:\tcat\nCpus_allowed:\tf\nCpus_allowed_list:\t" + allowed + "\nMems_allowed:\t1\n");
        write("/sys/devices/system/cpu/online", online + "\n");
    }

    /// A pure cgroup v2 host: the process in /a/b.
    void v2(const std::string& cgroup = "/a/b") const {
        write("/proc/self/cgroup", "0::" + cgroup + "\n");
        write("/proc/self/mountinfo",
              "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
              "31 23 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n");
        write("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
    }
    /// A v2 cgroup level with the memory and cpu controllers.
    void v2_level(const std::string& dir, const std::string& max, std::uint64_t current, std::uint64_t inactive,
                  const std::string& cpu_max = "max 100000") const {
        write(dir + "/cgroup.controllers", "cpu memory pids\n");
        write(dir + "/memory.max", max + "\n");
        write(dir + "/memory.current", std::to_string(current) + "\n");
        write(dir + "/memory.stat", "anon 100\nfile 200\nactive_file 5\ninactive_file " + std::to_string(inactive) + "\n");
        write(dir + "/cpu.max", cpu_max + "\n");
    }

    /// A cgroup v1 host with memory and cpu,cpuacct hierarchies; the process in /docker/x.
    void v1(const std::string& cgroup = "/docker/x") const {
        write("/proc/self/cgroup", "5:memory:" + cgroup + "\n4:cpu,cpuacct:" + cgroup + "\n1:name=systemd:/\n");
        write("/proc/self/mountinfo",
              "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
              "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
              "36 31 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n");
    }
    void v1_level(const std::string& dir, std::uint64_t limit, std::uint64_t usage, std::uint64_t inactive,
                  const std::string& quota = "-1", const std::string& period = "100000") const {
        write("/sys/fs/cgroup/memory" + dir + "/memory.limit_in_bytes", std::to_string(limit) + "\n");
        write("/sys/fs/cgroup/memory" + dir + "/memory.usage_in_bytes", std::to_string(usage) + "\n");
        write("/sys/fs/cgroup/memory" + dir + "/memory.stat",
              "cache 1\nrss 2\ninactive_file 3\ntotal_cache 4\ntotal_inactive_file " + std::to_string(inactive) + "\n");
        write("/sys/fs/cgroup/cpu,cpuacct" + dir + "/cpu.cfs_quota_us", quota + "\n");
        write("/sys/fs/cgroup/cpu,cpuacct" + dir + "/cpu.cfs_period_us", period + "\n");
    }

private:
    fs::path dir_;
};

constexpr std::uint64_t v1_unlimited = 9223372036854771712ULL;  // PAGE_COUNTER_MAX * 4096

/// The message of the ProbeError `f` throws, or "" when it does not throw.
template <typename F>
std::string probe_error(F f) {
    try {
        f();
    } catch (const bm::ProbeError& e) {
        return e.what();
    }
    return {};
}

}  // namespace

TEST(BuildmemProbe, CountsKernelCpuLists) {
    EXPECT_EQ(bm::count_cpu_list("0-3"), 4U);
    EXPECT_EQ(bm::count_cpu_list("0-3,8,10-11\n"), 7U);
    EXPECT_EQ(bm::count_cpu_list("5"), 1U);
    EXPECT_EQ(bm::count_cpu_list("0,0-1"), 2U);  // a CPU named twice counts once
    EXPECT_FALSE(bm::count_cpu_list(""));
    EXPECT_FALSE(bm::count_cpu_list("3-1"));
    EXPECT_FALSE(bm::count_cpu_list("0-"));
    EXPECT_FALSE(bm::count_cpu_list("a"));
}

TEST(BuildmemProbe, CgroupV2LimitUsageAndQuota) {
    FakeRoot f("v2");
    f.basics(16 * GiB / 1024, 12 * GiB / 1024);
    f.v2();
    f.v2_level("/sys/fs/cgroup/a", "max", 3 * GiB, 0);
    f.v2_level("/sys/fs/cgroup/a/b", std::to_string(4 * GiB), 3 * GiB, 512 * MiB, "150000 100000");
    const bm::Probe p = bm::probe(f.root());
    EXPECT_EQ(p.memory.cgroup_version, "v2");
    EXPECT_EQ(p.memory.limit, 4 * GiB);
    ASSERT_TRUE(p.memory.cgroup_limit);
    EXPECT_EQ(*p.memory.cgroup_limit, 4 * GiB);
    EXPECT_EQ(p.memory.physical, 16 * GiB);
    EXPECT_NE(p.memory.limit_source.find(f.at("/sys/fs/cgroup/a/b/memory.max")), std::string::npos) << p.memory.limit_source;
    // limit - (usage - inactive_file) = 4 GiB - (3 GiB - 512 MiB), below MemAvailable (12 GiB).
    EXPECT_EQ(p.memory.available, 4 * GiB - (3 * GiB - 512 * MiB));
    EXPECT_NE(p.memory.available_source.find("memory.current"), std::string::npos) << p.memory.available_source;
    EXPECT_EQ(bm::available_memory(f.root()), p.memory.available);
    // 1.5 CPUs of quota: ceil = 2, below the 4 CPUs of the affinity mask.
    ASSERT_TRUE(p.cpus.quota);
    EXPECT_DOUBLE_EQ(*p.cpus.quota, 1.5);
    EXPECT_EQ(p.cpus.count, 2U);
    EXPECT_EQ(p.cpus.affinity, 4U);
    EXPECT_EQ(p.cpus.online, 4U);
    EXPECT_NE(p.cpus.source.find(f.at("/sys/fs/cgroup/a/b/cpu.max")), std::string::npos) << p.cpus.source;
}

TEST(BuildmemProbe, ParentCgroupWithTheLowerLimitBinds) {
    FakeRoot f("nested");
    f.basics(32 * GiB / 1024, 30 * GiB / 1024);
    f.v2();
    f.v2_level("/sys/fs/cgroup/a", std::to_string(2 * GiB), 1800 * MiB, 100 * MiB, "50000 100000");
    f.v2_level("/sys/fs/cgroup/a/b", std::to_string(8 * GiB), 200 * MiB, 0, "max 100000");
    const bm::Probe p = bm::probe(f.root());
    EXPECT_EQ(p.memory.limit, 2 * GiB);
    EXPECT_NE(p.memory.limit_source.find(f.at("/sys/fs/cgroup/a/memory.max")), std::string::npos);
    // The parent's headroom: 2 GiB - (1800 MiB - 100 MiB); the child's is larger.
    EXPECT_EQ(p.memory.available, 2 * GiB - 1700 * MiB);
    EXPECT_EQ(p.cpus.count, 1U);  // half a CPU in the parent
    EXPECT_DOUBLE_EQ(*p.cpus.quota, 0.5);
}

TEST(BuildmemProbe, CgroupV1LimitAndCfsQuota) {
    FakeRoot f("v1");
    f.basics(8 * GiB / 1024, 7 * GiB / 1024, "0-7", "0-7");
    f.v1();
    f.v1_level("", v1_unlimited, 5 * GiB, 0);
    f.v1_level("/docker", v1_unlimited, 5 * GiB, 0);
    f.v1_level("/docker/x", 3 * GiB, 1 * GiB, 256 * MiB, "300000", "100000");
    const bm::Probe p = bm::probe(f.root());
    EXPECT_EQ(p.memory.cgroup_version, "v1");
    EXPECT_EQ(p.memory.limit, 3 * GiB);
    EXPECT_NE(p.memory.limit_source.find(f.at("/sys/fs/cgroup/memory/docker/x/memory.limit_in_bytes")), std::string::npos);
    EXPECT_EQ(p.memory.available, 3 * GiB - (1 * GiB - 256 * MiB));
    EXPECT_EQ(p.cpus.count, 3U);
    EXPECT_EQ(p.cpus.affinity, 8U);
    EXPECT_NE(p.cpus.source.find("cpu.cfs_quota_us"), std::string::npos);
}

TEST(BuildmemProbe, ContainerMountRootIsTheCgroupItself) {
    // Inside a container without a cgroup namespace: the v1 hierarchy is
    // mounted from /docker/x, so the process's /docker/x is the mount point.
    FakeRoot f("container");
    f.basics(8 * GiB / 1024, 7 * GiB / 1024);
    f.write("/proc/self/cgroup", "5:memory:/docker/x\n");
    f.write("/proc/self/mountinfo", "35 31 0:32 /docker/x /sys/fs/cgroup/memory ro,relatime - cgroup cgroup rw,memory\n");
    f.write("/sys/fs/cgroup/memory/memory.limit_in_bytes", std::to_string(1 * GiB) + "\n");
    f.write("/sys/fs/cgroup/memory/memory.usage_in_bytes", "0\n");
    f.write("/sys/fs/cgroup/memory/memory.stat", "total_inactive_file 0\n");
    const bm::Probe p = bm::probe(f.root());
    EXPECT_EQ(p.memory.limit, 1 * GiB);
    EXPECT_NE(p.memory.limit_source.find(f.at("/sys/fs/cgroup/memory/memory.limit_in_bytes")), std::string::npos);
}

TEST(BuildmemProbe, HybridReadsMemoryFromV1) {
    // systemd's hybrid layout (this very machine): v1 controllers plus a
    // cgroup2 mount at /sys/fs/cgroup/unified that holds no controllers.
    FakeRoot f("hybrid");
    f.basics(24 * GiB / 1024, 20 * GiB / 1024, "0-1", "0-1");
    f.write("/proc/self/cgroup", "4:memory:/job\n1:cpu:/\n0::/\n");
    f.write("/proc/self/mountinfo",
            "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
            "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
            "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
    f.write("/sys/fs/cgroup/unified/cgroup.controllers", "\n");
    for (const char* dir : {"", "/job"}) {
        f.write(std::string("/sys/fs/cgroup/memory") + dir + "/memory.limit_in_bytes",
                std::to_string(*dir ? 6 * GiB : v1_unlimited) + "\n");
        f.write(std::string("/sys/fs/cgroup/memory") + dir + "/memory.usage_in_bytes", std::to_string(1 * GiB) + "\n");
        f.write(std::string("/sys/fs/cgroup/memory") + dir + "/memory.stat", "total_inactive_file 0\n");
    }
    f.write("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
    f.write("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
    const bm::Probe p = bm::probe(f.root());
    EXPECT_EQ(p.memory.cgroup_version, "v1");
    EXPECT_EQ(p.memory.limit, 6 * GiB);
    EXPECT_EQ(p.memory.available, 5 * GiB);
    EXPECT_EQ(p.cpus.count, 2U);
    EXPECT_FALSE(p.cpus.quota);
}

TEST(BuildmemProbe, NoLimitMeansPhysicalMemory) {
    {
        FakeRoot f("v2max");
        f.basics(16 * GiB / 1024, 9 * GiB / 1024);
        f.v2();
        f.v2_level("/sys/fs/cgroup/a", "max", 0, 0);
        f.v2_level("/sys/fs/cgroup/a/b", "max", 0, 0);
        const bm::Probe p = bm::probe(f.root());
        EXPECT_EQ(p.memory.limit, 16 * GiB);
        EXPECT_FALSE(p.memory.cgroup_limit);
        EXPECT_EQ(p.memory.cgroup_version, "v2");
        EXPECT_EQ(p.memory.available, 9 * GiB);
        EXPECT_NE(p.memory.limit_source.find("MemTotal"), std::string::npos);
        EXPECT_NE(p.memory.available_source.find("MemAvailable"), std::string::npos);
    }
    {
        FakeRoot f("v1max");
        f.basics(16 * GiB / 1024, 9 * GiB / 1024);
        f.v1();
        for (const char* dir : {"", "/docker", "/docker/x"}) f.v1_level(dir, v1_unlimited, 0, 0);
        const bm::Probe p = bm::probe(f.root());
        EXPECT_EQ(p.memory.limit, 16 * GiB);
        EXPECT_FALSE(p.memory.cgroup_limit);
        EXPECT_EQ(p.memory.cgroup_version, "v1");
    }
    {
        // No cgroups at all (no /proc/self/cgroup).
        FakeRoot f("none");
        f.basics(4 * GiB / 1024, 3 * GiB / 1024);
        const bm::Probe p = bm::probe(f.root());
        EXPECT_EQ(p.memory.limit, 4 * GiB);
        EXPECT_EQ(p.memory.cgroup_version, "");
        EXPECT_EQ(p.cpus.count, 4U);
    }
}

TEST(BuildmemProbe, LimitAbovePhysicalMemoryUsesMemTotal) {
    FakeRoot f("above");
    f.basics(8 * GiB / 1024, 6 * GiB / 1024);
    f.v2();
    f.v2_level("/sys/fs/cgroup/a", "max", 0, 0);
    f.v2_level("/sys/fs/cgroup/a/b", std::to_string(64 * GiB), 1 * GiB, 0);
    const bm::Probe p = bm::probe(f.root());
    EXPECT_EQ(p.memory.limit, 8 * GiB);
    ASSERT_TRUE(p.memory.cgroup_limit);
    EXPECT_EQ(*p.memory.cgroup_limit, 64 * GiB);
    EXPECT_NE(p.memory.limit_source.find("above physical memory"), std::string::npos) << p.memory.limit_source;
    EXPECT_EQ(p.memory.available, 6 * GiB);  // MemAvailable is lower than the cgroup headroom
}

TEST(BuildmemProbe, AffinityCountsOnlyOnlineCpus) {
    FakeRoot f("affinity");
    f.basics(4 * GiB / 1024, 3 * GiB / 1024, "0-63", "0-5");
    const bm::Probe p = bm::probe(f.root());
    EXPECT_EQ(p.cpus.affinity, 6U);
    EXPECT_EQ(p.cpus.online, 6U);
    EXPECT_EQ(p.cpus.count, 6U);
}

TEST(BuildmemProbe, MissingOrGarbledFilesAreNamed) {
    FakeRoot f("errors");
    f.basics(8 * GiB / 1024, 6 * GiB / 1024);
    f.v2();
    f.v2_level("/sys/fs/cgroup/a", "max", 0, 0);
    f.v2_level("/sys/fs/cgroup/a/b", "lots", 0, 0);
    std::string e = probe_error([&] { (void)bm::probe(f.root()); });
    EXPECT_NE(e.find(f.at("/sys/fs/cgroup/a/b/memory.max") + ": expected a byte count or \"max\""), std::string::npos) << e;
    EXPECT_NE(e.find("lots"), std::string::npos) << e;

    f.remove("/sys/fs/cgroup/a/b/memory.max");  // memory is enabled there: the file must exist
    e = probe_error([&] { (void)bm::probe(f.root()); });
    EXPECT_NE(e.find(f.at("/sys/fs/cgroup/a/b/memory.max") + ": missing"), std::string::npos) << e;

    f.write("/sys/fs/cgroup/a/b/memory.max", "max\n");
    f.write("/sys/fs/cgroup/a/b/cpu.max", "max\n");
    e = probe_error([&] { (void)bm::probe(f.root()); });
    EXPECT_NE(e.find(f.at("/sys/fs/cgroup/a/b/cpu.max") + ": expected \"<quota> <period>\""), std::string::npos) << e;
    f.write("/sys/fs/cgroup/a/b/cpu.max", "max 100000\n");

    f.write("/proc/meminfo", "MemFree: 5 kB\n");
    e = probe_error([&] { (void)bm::probe(f.root()); });
    EXPECT_NE(e.find(f.at("/proc/meminfo") + ": no MemTotal line"), std::string::npos) << e;
    f.write("/proc/meminfo", "MemTotal: 12x kB\nMemAvailable: 5 kB\n");
    e = probe_error([&] { (void)bm::probe(f.root()); });
    EXPECT_NE(e.find(f.at("/proc/meminfo") + ":1: expected \"MemTotal: <n> kB\""), std::string::npos) << e;
    f.remove("/proc/meminfo");
    e = probe_error([&] { (void)bm::available_memory(f.root()); });
    EXPECT_NE(e.find(f.at("/proc/meminfo") + ": missing"), std::string::npos) << e;
    f.basics(8 * GiB / 1024, 6 * GiB / 1024);

    f.write("/proc/self/status", "Name:\tx\nCpus_allowed_list:\t0-z\n");
    e = probe_error([&] { (void)bm::probe(f.root()); });
    EXPECT_NE(e.find(f.at("/proc/self/status") + ":2: expected \"Cpus_allowed_list:"), std::string::npos) << e;
    f.basics(8 * GiB / 1024, 6 * GiB / 1024);

    f.write("/proc/self/mountinfo", "garbage line\n");
    e = probe_error([&] { (void)bm::probe(f.root()); });
    EXPECT_NE(e.find(f.at("/proc/self/mountinfo") + ":1: expected"), std::string::npos) << e;
}
