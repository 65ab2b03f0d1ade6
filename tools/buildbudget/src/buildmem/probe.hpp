// The build-memory probe (doc/helper-buildmem.md, "buildbudget buildmem
// probe"; doc/design.md, "Build memory"): the memory limit, the memory
// available now and the usable CPUs as a container sees them, read from /proc
// and the cgroup file systems the way the JVM's container
// support (hotspot os/linux/cgroupSubsystem_linux.cpp) and Go's
// uber-go/automaxprocs do.
//
// Every path is read under a root directory (default "/"), so the probe is
// tested against fake /proc and /sys trees. What is read, in order:
//
//  - ROOT/proc/self/cgroup: the process's cgroup in each hierarchy. A v1 line
//    is "ID:controller[,controller]:/path"; the v2 line is "0::/path"
//    (kernel Documentation/admin-guide/cgroup-v1/cgroups.rst and cgroup-v2.rst
//    "Processes"). A missing file means a kernel without cgroups (no limit).
//  - ROOT/proc/self/mountinfo (proc(5)): the mount points of the cgroup2 file
//    system and of the v1 hierarchies holding the "memory" and "cpu"
//    controllers (named in the super options), with each mount's root inside
//    its hierarchy (field 4). The cgroup directory is the mount point plus the
//    process's cgroup path with the mount root removed (as hotspot's
//    CgroupV1Controller::set_subsystem_path does for containers, where the
//    mount root is the container's own cgroup); when that directory does not
//    exist the mount point itself is used. Without a usable mountinfo the
//    usual places are tried: ROOT/sys/fs/cgroup (cgroup2, if it has
//    cgroup.controllers) and ROOT/sys/fs/cgroup/{memory,cpu} (v1).
//  - Which hierarchy a controller is read from: v1 when /proc/self/cgroup has
//    a v1 line naming it and a v1 mount of it exists (a "hybrid" host, with a
//    cgroup2 mount at /sys/fs/cgroup/unified that holds no controllers, reads
//    memory from v1); else cgroup v2 when the "0::" line and a cgroup2 mount
//    exist and the controller is listed in the cgroup's cgroup.controllers
//    (without that file: when its interface file, memory.max or cpu.max,
//    exists there).
//  - Memory limit: v2 memory.max ("max" = none; cgroup-v2.rst "Memory
//    Interface Files"), v1 memory.limit_in_bytes (values >= 2^62 = none: the
//    kernel reports "unlimited" as PAGE_COUNTER_MAX pages, 9223372036854771712
//    with 4 KiB pages). The effective limit is the minimum over the cgroup and
//    its ancestors up to the mount point (a parent's limit binds its
//    children). A limit above physical memory (ROOT/proc/meminfo MemTotal) is
//    reported as such and MemTotal is used; no limit -> MemTotal.
//  - Memory available now: MemAvailable of /proc/meminfo (the kernel's own
//    estimate of memory that can be allocated without swapping, proc(5)).
//    Under a cgroup limit, also limit - (usage - inactive_file) for each level
//    that has a limit, usage = v2 memory.current / v1 memory.usage_in_bytes,
//    inactive_file from memory.stat (v2 "inactive_file", v1
//    "total_inactive_file"): page cache that can be dropped is not counted as
//    used, the way `docker stats` and cAdvisor's "working set" compute it. The
//    smallest of these is reported.
//  - CPUs: the affinity mask (ROOT/proc/self/status Cpus_allowed_list, the
//    mask sched_getaffinity(2) returns), the online CPUs
//    (ROOT/sys/devices/system/cpu/online, a list like "0-3,6"), and the CPU
//    quota (v2 cpu.max "QUOTA PERIOD" or "max PERIOD"; v1 cpu.cfs_quota_us /
//    cpu.cfs_period_us, quota -1 = none), the smallest quota/period over the
//    cgroup and its ancestors. count = min(affinity, ceil(quota/period)), at
//    least 1. automaxprocs rounds the quota down (a Go runtime with more
//    threads than quota gets throttled); hotspot's
//    CgroupSubsystem::active_processor_count rounds up (ceilf(quota /
//    period)), and so does this: a build job that waits for CPU time is
//    harmless, an idle half CPU is lost.
//
// All sizes are in bytes. Errors: a missing or garbled file that must exist
// (meminfo, status, online; every v1 level's memory.limit_in_bytes; a v2
// level's memory.max when its cgroup.controllers lists "memory"; the usage
// and stat files of a level with a limit) throws ProbeError, whose what() names the file
// and says what was expected: "/proc/meminfo: no MemTotal line (expected
// \"MemTotal: <n> kB\")".
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace buildbudget::buildmem {

/// A file the probe needs is missing or holds something unexpected. what():
/// "<file>: <problem>" (the file as read, under the probe root).
struct ProbeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Memory as the container sees it; all sizes in bytes.
struct MemoryProbe {
    /// The memory the build may use: the cgroup limit, capped at `physical`;
    /// `physical` when there is no limit.
    std::uint64_t limit = 0;
    /// Where `limit` came from, naming the file: "cgroup v2 memory.max in
    /// /sys/fs/cgroup/a/memory.max" or "MemTotal in /proc/meminfo (no cgroup
    /// memory limit)".
    std::string limit_source;
    /// MemTotal of /proc/meminfo.
    std::uint64_t physical = 0;
    /// Memory free for new jobs now ("free as the probe sees it"): see the
    /// file comment. Never above the limit or MemAvailable.
    std::uint64_t available = 0;
    /// Where `available` came from, naming the files.
    std::string available_source;
    /// The hierarchy the memory controller was read from: "v2", "v1", or ""
    /// when the process has no memory cgroup.
    std::string cgroup_version;
    /// The effective cgroup limit as the kernel reports it (even above
    /// physical memory); empty when no level has a limit.
    std::optional<std::uint64_t> cgroup_limit;
};

/// CPUs as the container sees them.
struct CpuProbe {
    /// CPUs a build should use: min(affinity, ceil(quota)), at least 1.
    unsigned count = 1;
    /// What decided `count`, naming the file: "Cpus_allowed_list in
    /// /proc/self/status" or "cgroup v2 cpu.max in /sys/fs/cgroup/a/cpu.max".
    std::string source;
    /// CPUs in the affinity mask (Cpus_allowed_list).
    unsigned affinity = 1;
    /// CPUs online (/sys/devices/system/cpu/online).
    unsigned online = 1;
    /// The CPU quota in CPUs (quota/period, e.g. 1.5); empty without a quota.
    std::optional<double> quota;
};

/// The whole probe; `root` is the directory the files were read under.
struct Probe {
    std::string root;
    MemoryProbe memory;
    CpuProbe cpus;
};

/// Probes memory and CPUs under `root` (a directory; "/" for the real
/// machine). Throws ProbeError (see the file comment).
[[nodiscard]] Probe probe(const std::string& root = "/");

/// Only the memory part of probe(): the limit and the free memory, reading
/// neither the CPU files nor /proc/self/status. Throws ProbeError.
[[nodiscard]] MemoryProbe probe_memory(const std::string& root = "/");

/// The memory cgroup this process is in, found as the probe finds it (see the
/// file comment): the hierarchy and the directory of the process's own cgroup
/// under ROOT (the mount point when that cgroup is not visible there, as in a
/// container whose cgroup is mounted as the root). Empty without a memory
/// cgroup (a v2 cgroup whose cgroup.controllers does not list "memory"
/// counts as none). Throws ProbeError for a garbled /proc/self/cgroup or
/// mountinfo.
struct MemoryCgroup {
    std::string version;  ///< "v2" or "v1"
    std::string dir;      ///< e.g. "/sys/fs/cgroup/memory/build" (ROOT prefixed)
};
[[nodiscard]] std::optional<MemoryCgroup> memory_cgroup(const std::string& root = "/");

/// Only MemoryProbe::available (bytes), reading just the files it needs
/// (meminfo and the memory cgroup's limit, usage and stat files): cheap
/// enough to call for every admission decision. Throws ProbeError.
[[nodiscard]] std::uint64_t available_memory(const std::string& root = "/");

/// The number of CPUs in a kernel CPU list such as "0-3,8,10-11" (the format
/// of Cpus_allowed_list and /sys/devices/system/cpu/online, kernel
/// Documentation/admin-guide/cputopology.rst). Empty on a malformed list or
/// an empty one.
[[nodiscard]] std::optional<unsigned> count_cpu_list(std::string_view list);

}  // namespace buildbudget::buildmem
