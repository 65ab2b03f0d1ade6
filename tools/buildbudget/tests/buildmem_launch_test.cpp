// The job launcher's parts (doc/lowmem.md, "The job launcher"): /proc parsing and process-tree RSS,
// the job log (records, malformed lines, concurrent appends, command lines),
// the plan file, the SIGKILL message, and admission decisions with a fake
// clock and a fake probe.
#include "buildmem/admission.hpp"
#include "buildmem/job_log.hpp"
#include "buildmem/launch.hpp"
#include "buildmem/process_tree.hpp"
#include "temp_dir.hpp"
#include "units.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using namespace buildbudget::buildmem;

namespace {

using buildbudget::test::slurp;
using buildbudget::test::TempDir;

using buildbudget::test::GiB;
using buildbudget::test::MiB;

void write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

/// A stat line as the kernel writes it, with `comm`, `ppid` and start time `start`.
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): a test helper, named at each call
std::string stat_line(int pid, const std::string& comm, int ppid, std::uint64_t start) {
    std::string line = std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid);
    // fields 5..21 (17 of them), then starttime (22), then a few more
    for (int f = 5; f <= 21; ++f) line += " " + std::to_string(f);
    line += " " + std::to_string(start) + " 123 456\n";
    return line;
}

JobRecord sample_record() {
    JobRecord r;
    r.kind = "compile";
    r.source = "src/a b.cpp";
    r.output = "obj/a.o";
    r.command = {"ccache", "g++", "-c", "src/a b.cpp", "-o", "obj/a.o", "-DQ=\"x\""};
    r.start_ms = 1700000000000;
    r.end_ms = 1700000001500;
    r.peak_rss = 300 * MiB;
    r.exit_code = 0;
    r.waited_ms = 12;
    return r;
}

std::string plan_text(const std::string& log, bool admission = false) {
    return R"({"schema":"buildbudget-lowmem-plan/1","log":")" + log +
           R"(","memory_limit":4294967296,"reserve":536870912,"compile_memory":1073741824,"link_memory":2147483648,)"
           R"("compile_jobs":3,"link_jobs":1,"cpus":4,"admission":{"enabled":)" +
           (admission ? "true" : "false") + R"(,"timeout_seconds":30,"probe_root":"/"}})";
}

}  // namespace

// --- /proc --------------------------------------------------------------------

TEST(BuildmemLaunchProcessTree, ParsesStatWithSpacesAndParenthesesInTheName) {
    const auto f = parse_proc_stat(stat_line(42, "cc1plus (x) y", 7, 99887766));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->ppid, 7);
    EXPECT_EQ(f->start_ticks, 99887766U);
    EXPECT_FALSE(parse_proc_stat("42 (short) S 1 2 3\n"));
    EXPECT_FALSE(parse_proc_stat("no parenthesis"));
    EXPECT_FALSE(parse_proc_stat(""));
}

TEST(BuildmemLaunchProcessTree, ParsesStatm) {
    EXPECT_EQ(parse_proc_statm("5000 1234 300 10 0 800 0\n", 4096), 1234U * 4096U);
    EXPECT_FALSE(parse_proc_statm("5000", 4096));
    EXPECT_FALSE(parse_proc_statm("5000 x 3", 4096));
}

TEST(BuildmemLaunchProcessTree, SumsTheTreeOfAFakeProc) {
    // 100 -> 101 -> 103, 100 -> 102; 200 is not in the tree (child of 1).
    TempDir proc;
    const std::map<int, std::pair<int, std::uint64_t>> procs{
        {1, {0, 10}}, {100, {1, 1000}}, {101, {100, 200}}, {102, {100, 30}}, {103, {101, 4}}, {200, {1, 5000}}};
    for (const auto& [pid, info] : procs) {
        write(proc / (std::to_string(pid) + "/stat"), stat_line(pid, "p", info.first, 1));
        write(proc / (std::to_string(pid) + "/statm"), "9999 " + std::to_string(info.second) + " 0 0 0 0 0\n");
    }
    write(proc / "self/stat", "not a pid directory");  // ignored: not numeric
    const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const auto list = scan_processes(proc.path().string());
    EXPECT_EQ(list.size(), procs.size());
    EXPECT_EQ(tree_rss(list, 100), (1000U + 200U + 30U + 4U) * page);
    EXPECT_EQ(tree_rss(list, 101), (200U + 4U) * page);
    EXPECT_EQ(tree_rss(list, 999), 0U);
    // No task/<tid>/children files in the fake: the ppid scan is used.
    EXPECT_EQ(process_tree_rss(100, proc.path().string()), (1000U + 200U + 30U + 4U) * page);
    EXPECT_EQ(process_start_ticks(103, proc.path().string()), 1U);
    EXPECT_FALSE(process_start_ticks(104, proc.path().string()));
}

namespace {

/// VmRSS of /proc/<pid>/status in bytes (the kernel's own kB figure), 0 when gone.
std::uint64_t status_vmrss(pid_t pid) {
    std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/status"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
}

}  // namespace

TEST(BuildmemLaunchProcessTree, CountsAGrandchildOfARealProcess) {
    // child (small) -> grandchild touching 64 MiB; the tree must hold both.
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::setpgid(0, 0);
        const pid_t grandchild = ::fork();
        if (grandchild == 0) {
            const std::size_t size = 64 * MiB;
            char* p = static_cast<char*>(::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
            if (p == MAP_FAILED) ::_exit(2);
            std::memset(p, 1, size);
            const pid_t me = ::getpid();
            [[maybe_unused]] const ssize_t w = ::write(ready[1], &me, sizeof me);
            ::pause();
            ::_exit(0);
        }
        ::pause();
        ::_exit(0);
    }
    pid_t grandchild = 0;
    ASSERT_EQ(::read(ready[0], &grandchild, sizeof grandchild), static_cast<ssize_t>(sizeof grandchild));
    const std::uint64_t rss = process_tree_rss(child);
    const std::uint64_t scanned = tree_rss(scan_processes(), child);
    const std::uint64_t expected = status_vmrss(child) + status_vmrss(grandchild);
    ::kill(-child, SIGKILL);  // the child's process group: both
    ::waitpid(child, nullptr, 0);
    ::close(ready[0]);
    ::close(ready[1]);
    EXPECT_GE(rss, 64 * MiB);
    EXPECT_GE(scanned, 64 * MiB);
    // The same kernel counters, read from status (kB) instead of statm (pages): equal
    // but for pages the processes touch between the reads.
    EXPECT_NEAR(static_cast<double>(rss), static_cast<double>(expected), static_cast<double>(MiB));
    EXPECT_NEAR(static_cast<double>(scanned), static_cast<double>(expected), static_cast<double>(MiB));
    EXPECT_EQ(process_tree_rss(999999999), 0U);
}

// --- the job log ----------------------------------------------------------------

TEST(BuildmemLaunchJobLog, RecordRoundTripsThroughOneLine) {
    TempDir dir;
    const std::string log = dir / "sub/jobs.jsonl";
    JobRecord killed = sample_record();
    killed.kind = "link";
    killed.source.reset();
    killed.signal = 9;
    killed.exit_code = 137;
    append_record(log, sample_record());
    append_record(log, killed);
    const std::string text = slurp(log);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
    const auto records = read_records(log);
    ASSERT_EQ(records.size(), 2U);
    EXPECT_EQ(records[0].source, "src/a b.cpp");
    EXPECT_EQ(records[0].command, sample_record().command);
    EXPECT_EQ(records[0].peak_rss, 300 * MiB);
    EXPECT_EQ(records[0].waited_ms, 12);
    EXPECT_TRUE(records[0].finished());
    EXPECT_EQ(records[1].source, std::nullopt);
    EXPECT_EQ(records[1].signal, 9);
    EXPECT_FALSE(records[1].finished());
    EXPECT_NE(text.find("\"source\":null"), std::string::npos);
}

TEST(BuildmemLaunchJobLog, OomKillsAreRecordedAndOptional) {
    TempDir dir;
    const std::string log = dir / "jobs.jsonl";
    JobRecord r = sample_record();
    r.exit_code = 1;
    r.oom_kills = 3;
    append_record(log, r);
    std::string old = record_to_json(sample_record());  // a record of a launcher without the field
    old.erase(old.find(",\"oom_kills\":0"), 14);
    std::ofstream(log, std::ios::app) << old << '\n';
    const auto records = read_records(log);
    ASSERT_EQ(records.size(), 2U);
    EXPECT_EQ(records[0].oom_kills, 3U);
    EXPECT_TRUE(records[0].killed());
    EXPECT_EQ(records[1].oom_kills, 0U);
    EXPECT_TRUE(records[1].finished());
    EXPECT_EQ(old.find("oom_kills"), std::string::npos);
}

TEST(BuildmemLaunchPlan, CountsOomKillsInTheJobsOwnCgroup) {
    // cgroup v2: the process in /build, whose memory.events counts the kills in it and below.
    TempDir v2;
    write(v2 / "proc/vmstat", "nr_free_pages 5\noom_kill 42\nnr_foo 1\n");
    write(v2 / "proc/self/cgroup", "0::/build\n");
    write(v2 / "proc/self/mountinfo", "31 23 0:28 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n");
    write(v2 / "sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
    write(v2 / "sys/fs/cgroup/build/cgroup.controllers", "cpu memory\n");
    write(v2 / "sys/fs/cgroup/build/memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n");
    auto counter = find_oom_kill_counter(v2.path().string());
    ASSERT_TRUE(counter);
    EXPECT_EQ(counter->file, v2 / "sys/fs/cgroup/build/memory.events");
    EXPECT_FALSE(counter->host_wide);
    EXPECT_EQ(read_oom_kill_count(*counter), 1U);
    // The host's count rising (a kill in another cgroup) does not move it.
    write(v2 / "proc/vmstat", "oom_kill 43\n");
    EXPECT_EQ(read_oom_kill_count(*counter), 1U);

    // cgroup v1: memory.oom_control of the memory hierarchy's cgroup.
    TempDir v1;
    write(v1 / "proc/vmstat", "oom_kill 42\n");
    write(v1 / "proc/self/cgroup", "5:memory:/ci/job7\n4:cpu,cpuacct:/ci/job7\n0::/\n");
    write(v1 / "proc/self/mountinfo", "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n");
    write(v1 / "sys/fs/cgroup/memory/ci/job7/memory.limit_in_bytes", "1073741824\n");
    write(v1 / "sys/fs/cgroup/memory/ci/job7/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 7\n");
    counter = find_oom_kill_counter(v1.path().string());
    ASSERT_TRUE(counter);
    EXPECT_EQ(counter->file, v1 / "sys/fs/cgroup/memory/ci/job7/memory.oom_control");
    EXPECT_EQ(read_oom_kill_count(*counter), 7U);

    // A v1 kernel before 4.13 has no oom_kill line there: the host's count, said to be host-wide.
    write(v1 / "sys/fs/cgroup/memory/ci/job7/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");
    counter = find_oom_kill_counter(v1.path().string());
    ASSERT_TRUE(counter);
    EXPECT_EQ(counter->file, v1 / "proc/vmstat");
    EXPECT_TRUE(counter->host_wide);
    EXPECT_EQ(read_oom_kill_count(*counter), 42U);

    // No cgroup files at all; then not even the vmstat line.
    TempDir bare;
    write(bare / "proc/vmstat", "nr_free_pages 5\noom_kill 9\n");
    counter = find_oom_kill_counter(bare.path().string());
    ASSERT_TRUE(counter);
    EXPECT_TRUE(counter->host_wide);
    write(bare / "proc/vmstat", "nr_free_pages 5\n");
    EXPECT_FALSE(find_oom_kill_counter(bare.path().string()));
}

TEST(BuildmemLaunchJobLog, MalformedLinesAreNamedByFileAndLine) {
    TempDir dir;
    const std::string log = dir / "jobs.jsonl";
    const std::string good = record_to_json(sample_record());
    const auto error_of = [&](const std::string& third) {
        write(log, good + "\n\n" + third + "\n");
        try {
            (void)read_records(log);
        } catch (const JobLogError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(error_of("{\"kind\": nope}").rfind(log + ":3:11: not valid JSON", 0), 0U) << error_of("{\"kind\": nope}");
    EXPECT_EQ(error_of("[1,2]"), log + ":3: expected a JSON object (one job record), got array");
    std::string no_peak = good;
    no_peak.replace(no_peak.find("\"peak_rss\""), 10, "\"peak\"");
    EXPECT_EQ(error_of(no_peak), log + ":3: missing \"peak_rss\" (expected an integer)");
    std::string negative = good;
    negative.replace(negative.find("314572800"), 9, "-1");
    EXPECT_EQ(error_of(negative), log + ":3: \"peak_rss\" must be a number of bytes (0 or more), got -1");
    std::string kind = good;
    kind.replace(kind.find("\"compile\""), 9, "\"archive\"");
    EXPECT_EQ(error_of(kind), log + ":3: \"kind\" must be \"compile\" or \"link\", got \"archive\"");
    // A half-written last line (no newline) is an error for the report too.
    write(log, good + "\n" + good.substr(0, 20));
    EXPECT_THROW((void)read_records(log), JobLogError);
    try {
        (void)read_records(dir / "missing.jsonl");
        FAIL();
    } catch (const JobLogError& e) {
        EXPECT_EQ(std::string(e.what()), dir / "missing.jsonl" + ": cannot read: No such file or directory");
    }
}

TEST(BuildmemLaunchJobLog, ConcurrentAppendsNeverInterleave) {
    TempDir dir;
    const std::string log = dir / "jobs.jsonl";
    constexpr int writers = 6, each = 150;
    std::vector<pid_t> pids;
    for (int w = 0; w < writers; ++w) {
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            JobRecord r = sample_record();
            r.command.push_back(std::string(20000, static_cast<char>('a' + w)));  // long lines: 20 KB each
            for (int i = 0; i < each; ++i) {
                r.peak_rss = static_cast<std::uint64_t>(w) * 1000 + static_cast<std::uint64_t>(i);
                append_record(log, r);
            }
            ::_exit(0);
        }
        pids.push_back(pid);
    }
    for (pid_t pid : pids) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    const auto records = read_records(log);  // throws on any torn line
    ASSERT_EQ(records.size(), static_cast<std::size_t>(writers * each));
    std::map<int, int> per_writer;
    for (const auto& r : records) {
        const int w = static_cast<int>(r.peak_rss / 1000);
        ++per_writer[w];
        EXPECT_EQ(r.command.back(), std::string(20000, static_cast<char>('a' + w)));
    }
    for (int w = 0; w < writers; ++w) EXPECT_EQ(per_writer[w], each);
}

TEST(BuildmemLaunchJobLog, LastFinishedPeakSkipsKilledJobsAndTornLines) {
    TempDir dir;
    const std::string log = dir / "jobs.jsonl";
    EXPECT_FALSE(last_finished_peak(log, "compile", "obj/a.o"));
    JobRecord a = sample_record();
    a.peak_rss = 100;
    append_record(log, a);
    a.peak_rss = 200;
    append_record(log, a);
    JobRecord killed = a;
    killed.peak_rss = 999;
    killed.signal = 9;
    append_record(log, killed);
    JobRecord other = a;
    other.output = "obj/b.o";
    other.peak_rss = 5;
    append_record(log, other);
    std::ofstream(log, std::ios::app) << "{\"kind\":\"compile\",\"output\":\"obj/a.o\"";  // being written
    EXPECT_EQ(last_finished_peak(log, "compile", "obj/a.o"), 200U);
    EXPECT_EQ(last_finished_peak(log, "compile", "obj/b.o"), 5U);
    EXPECT_FALSE(last_finished_peak(log, "link", "obj/a.o"));
    // Another writer (Python's json.dumps) escapes non-ASCII: "obj/\u00e9.o" is "obj/\xc3\xa9.o".
    std::ofstream(log, std::ios::app) << "\n{\"kind\":\"compile\",\"source\":null,\"output\":\"obj/\\u00e9.o\","
                                         "\"command\":[],\"start_ms\":1,\"end_ms\":2,\"peak_rss\":77,\"exit_code\":0,"
                                         "\"signal\":null,\"waited_ms\":0}\n";
    EXPECT_EQ(last_finished_peak(log, "compile", "obj/\xc3\xa9.o"), 77U);
}

// --- command lines ----------------------------------------------------------------

TEST(BuildmemLaunchCommandLine, FindsSourceAndOutputOfCompilers) {
    const auto files = [](std::vector<std::string> cmd) { return command_files(cmd, false); };
    auto f = files({"g++", "-c", "x.cpp", "-o", "x.o"});
    EXPECT_EQ(f.source, "x.cpp");
    EXPECT_EQ(f.output, "x.o");
    // CMake's Ninja compile rule, chained after ccache.
    f = files({"/usr/bin/ccache", "/usr/bin/c++", "-DFOO=1", "-I/src/include", "-isystem", "/opt/inc.cpp", "-O2", "-g",
               "-MD", "-MT", "CMakeFiles/app.dir/main.cpp.o", "-MF", "CMakeFiles/app.dir/main.cpp.o.d", "-o",
               "CMakeFiles/app.dir/main.cpp.o", "-c", "/src/main.cpp"});
    EXPECT_EQ(f.source, "/src/main.cpp");
    EXPECT_EQ(f.output, "CMakeFiles/app.dir/main.cpp.o");
    f = files({"ccache", "CCACHE_SLOPPINESS=time_macros", "distcc", "clang++", "-Xclang", "-load", "-Xclang", "p.cc",
               "-x", "c++", "-include", "pre.hh", "-c", "hdr.hpp", "-oout/hdr.o"});
    EXPECT_EQ(f.source, "hdr.hpp");  // no source suffix: the first positional
    EXPECT_EQ(f.output, "out/hdr.o");
    f = files({"env", "-u", "LANG", "CCACHE_DISABLE=1", "sccache", "cc", "--output=a.o", "-c", "a.c"});
    EXPECT_EQ(f.source, "a.c");
    EXPECT_EQ(f.output, "a.o");
    f = files({"gcc", "-c", "-"});
    EXPECT_EQ(f.source, "-");
    EXPECT_EQ(f.output, std::nullopt);
    f = files({"ccache"});
    EXPECT_EQ(f.source, std::nullopt);
}

TEST(BuildmemLaunchCommandLine, LinksHaveNoSourceAndReadResponseFiles) {
    TempDir dir;
    write(dir / "objects.rsp", "a.o 'b c.o' \"d\\\"e.o\"\n-o from-rsp\n");
    const std::string rsp = "@" + (dir / "objects.rsp");
    auto f = command_files({"g++", "-O2", "main.o", "-o", "app", "-lm", "-L", "/lib"}, true);
    EXPECT_EQ(f.source, std::nullopt);
    EXPECT_EQ(f.output, "app");
    f = command_files({"ccache", "g++", rsp}, true);
    EXPECT_EQ(f.output, "from-rsp");
    f = command_files({"/usr/bin/ar", "qc", "libx.a", "a.o", "b.o"}, true);
    EXPECT_EQ(f.output, "libx.a");
    f = command_files({"x86_64-linux-gnu-gcc-ar", "--plugin", "lto.so", "-rcs", "libx.a", "a.o"}, true);
    EXPECT_EQ(f.output, "libx.a");
    f = command_files({"g++", "@" + (dir / "missing.rsp"), "-o", "app"}, true);  // unreadable: left as it is
    EXPECT_EQ(f.output, "app");
}

// --- the plan file and the SIGKILL message ------------------------------------------

TEST(BuildmemLaunchPlan, ReadsThePlanAndResolvesARelativeLog) {
    TempDir dir;
    write(dir / "plan.json", plan_text("logs/jobs.jsonl", true));
    const LowmemPlan p = read_lowmem_plan(dir / "plan.json");
    EXPECT_EQ(p.log, dir / "logs/jobs.jsonl");
    EXPECT_EQ(p.memory_limit, 4 * GiB);
    EXPECT_EQ(p.estimate("compile"), 1 * GiB);
    EXPECT_EQ(p.estimate("link"), 2 * GiB);
    EXPECT_EQ(p.pool("compile"), 3U);
    EXPECT_TRUE(p.admission.enabled);
    EXPECT_EQ(p.admission.timeout_seconds, 30);
    EXPECT_FALSE(p.memory_limit_probed);  // absent in plans written before it existed
    write(dir / "abs.json", plan_text("/var/x/jobs.jsonl"));
    EXPECT_EQ(read_lowmem_plan(dir / "abs.json").log, "/var/x/jobs.jsonl");
    std::string probed = plan_text("j");
    probed.insert(1, "\"memory_limit_probed\":true,");
    write(dir / "probed.json", probed);
    EXPECT_TRUE(read_lowmem_plan(dir / "probed.json").memory_limit_probed);
}

TEST(BuildmemLaunchPlan, WrittenPlanReadsBackWithEveryField) {
    TempDir dir;
    LowmemPlan plan;
    plan.log = dir / "a \"quoted\" dir\n/jobs.jsonl";  // escaped as JSON
    plan.memory_limit = 6 * GiB;
    plan.reserve = 600 * MiB;
    plan.compile_memory = 1100 * MiB;
    plan.link_memory = 5 * GiB;
    plan.compile_jobs = 5;
    plan.link_jobs = 1;
    plan.cpus = 8;
    plan.memory_limit_probed = true;
    plan.admission = {true, 90, "/fake root"};
    const std::string text = lowmem_plan_text(plan);
    EXPECT_EQ(text.substr(0, 32), "{\n  \"admission\" : \n  {\n    \"enab");
    EXPECT_EQ(text.substr(text.size() - 43), "  \"schema\" : \"buildbudget-lowmem-plan/1\"\n}\n");
    write(dir / "plan.json", text);
    const LowmemPlan back = read_lowmem_plan(dir / "plan.json");
    EXPECT_EQ(back.log, plan.log);
    EXPECT_EQ(back.memory_limit, plan.memory_limit);
    EXPECT_EQ(back.reserve, plan.reserve);
    EXPECT_EQ(back.compile_memory, plan.compile_memory);
    EXPECT_EQ(back.link_memory, plan.link_memory);
    EXPECT_EQ(back.compile_jobs, 5U);
    EXPECT_EQ(back.link_jobs, 1U);
    EXPECT_EQ(back.cpus, 8U);
    EXPECT_TRUE(back.memory_limit_probed);
    EXPECT_TRUE(back.admission.enabled);
    EXPECT_EQ(back.admission.timeout_seconds, 90);
    EXPECT_EQ(back.admission.probe_root, "/fake root");
    plan.admission.timeout_seconds = 2.5;  // a fraction stays one
    EXPECT_NE(lowmem_plan_text(plan).find("\"timeout_seconds\" : 2.5\n"), std::string::npos);
}

TEST(BuildmemLaunchPlan, BadPlansAreNamedWithWhatWasExpected) {
    TempDir dir;
    const std::string plan = dir / "plan.json";
    const auto error_of = [&](const std::string& text) {
        write(plan, text);
        try {
            (void)read_lowmem_plan(plan);
        } catch (const PlanFileError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(error_of("{\"schema\": "), plan + ": byte 12: not valid JSON (expected the plan lowmem_profile() writes): "
                                                "syntax error while parsing value - unexpected end of input; expected '[', "
                                                "'{', or a literal");
    EXPECT_EQ(error_of("{\"schema\":\"x/2\"}"), plan + ": schema is \"x/2\", expected \"buildbudget-lowmem-plan/1\"");
    std::string text = plan_text("j");
    text.replace(text.find("4294967296"), 10, "\"4GiB\"");
    EXPECT_EQ(error_of(text), plan + ": \"memory_limit\" must be a number of bytes (a non-negative integer), got \"4GiB\"");
    text = plan_text("j");
    text.replace(text.find("\"compile_jobs\":3"), 16, "\"compile_jobs\":0");
    EXPECT_EQ(error_of(text), plan + ": \"compile_jobs\" must be a job count of 1 or more, got 0");
    text = plan_text("j");
    text.replace(text.find("536870912"), 9, "5368709120");
    EXPECT_EQ(error_of(text), plan + ": \"reserve\" 5368709120 must be below \"memory_limit\" 4294967296");
    text = plan_text("j");
    text.replace(text.find("\"timeout_seconds\":30"), 20, "\"timeout_seconds\":-1");
    EXPECT_EQ(error_of(text), plan + ": \"admission\".\"timeout_seconds\" must be a number of seconds (0 or more), got -1");
    EXPECT_EQ(std::string(error_of("[]")), plan + ": expected a JSON object (the plan lowmem_profile() writes), got array");
    text = plan_text("j");
    text.insert(1, "\"memory_limit_probed\":\"yes\",");
    EXPECT_EQ(error_of(text), plan + ": \"memory_limit_probed\" must be true or false, got \"yes\"");
    try {
        (void)read_lowmem_plan(dir / "none.json");
        FAIL();
    } catch (const PlanFileError& e) {
        EXPECT_EQ(std::string(e.what()), dir / "none.json" + ": cannot read: No such file or directory");
    }
}

TEST(BuildmemLaunchPlan, FittingPoolAndTheSigkillMessage) {
    EXPECT_EQ(fitting_pool(4 * GiB, 512 * MiB, 1 * GiB), 3U);  // 3.5 GiB / 1 GiB
    EXPECT_EQ(fitting_pool(4 * GiB, 512 * MiB, 3584 * MiB), 1U);
    EXPECT_EQ(fitting_pool(4 * GiB, 512 * MiB, 3584 * MiB + 1), 0U);  // one job alone does not fit
    EXPECT_EQ(fitting_pool(4 * GiB, 512 * MiB, 8 * GiB), 0U);
    EXPECT_EQ(fitting_pool(4 * GiB, 512 * MiB, 0), 3584 * MiB);  // a peak of 0 counts as 1 byte
    LowmemPlan plan;
    plan.file = "b/plan.json";
    plan.memory_limit = 4 * GiB;
    plan.reserve = 512 * MiB;
    plan.compile_jobs = 3;
    JobRecord job = sample_record();
    job.peak_rss = 1800 * MiB;
    job.signal = 9;
    const std::string m = killed_job_message(job, plan);
    EXPECT_NE(m.find("compile of src/a b.cpp (output obj/a.o) was killed by SIGKILL"), std::string::npos) << m;
    EXPECT_NE(m.find("OOM killer"), std::string::npos) << m;
    EXPECT_NE(m.find("(1887436800 bytes)"), std::string::npos) << m;
    EXPECT_NE(m.find("a compile pool of 1 job would fit"), std::string::npos) << m;
    EXPECT_NE(m.find("the plan b/plan.json has 3; give lowmem_profile() COMPILE_MEMORY"), std::string::npos) << m;
    // GCC: cc1plus was OOM-killed and the driver exited 1.
    job.signal.reset();
    job.exit_code = 1;
    job.oom_kills = 2;
    const OomKillCounter own{"/sys/fs/cgroup/build/memory.events", false};
    const std::string g = killed_job_message(job, plan, own);
    EXPECT_NE(g.find("compile of src/a b.cpp (output obj/a.o) failed (exit 1) while the kernel's OOM killer killed 2 "
                     "processes in its cgroup (oom_kill in /sys/fs/cgroup/build/memory.events), most likely one of its "
                     "own"),
              std::string::npos)
        << g;
    const std::string host = killed_job_message(job, plan, OomKillCounter{"/proc/vmstat", true});
    EXPECT_NE(host.find("failed (exit 1) while the kernel's OOM killer killed 2 processes on the host (oom_kill in "
                        "/proc/vmstat: there is no memory cgroup OOM counter for this build, so the host-wide count "
                        "may be another program's kill), possibly one of its own"),
              std::string::npos)
        << host;
    EXPECT_NE(g.find("(1887436800 bytes); a compile pool of 1 job would fit"), std::string::npos) << g;
    job.peak_rss = 100 * MiB;  // the pool was not the problem
    EXPECT_NE(killed_job_message(job, plan).find("a compile pool of 35 jobs would fit"), std::string::npos);
    EXPECT_NE(killed_job_message(job, plan).find("ADMISSION ON (jobs wait for free memory) or a larger RESERVE"),
              std::string::npos);
    // With admission already on, neither admission nor a reserve is advised.
    plan.admission.enabled = true;
    const std::string on = killed_job_message(job, plan);
    EXPECT_NE(on.find("that pool already fits this peak and admission was on, so the memory was taken after the job "
                      "started (other processes, jobs above their recorded peaks): give the build more memory or run "
                      "less beside it, or build with -j2"),
              std::string::npos)
        << on;
    EXPECT_EQ(on.find("ADMISSION"), std::string::npos) << on;
    EXPECT_EQ(on.find("RESERVE"), std::string::npos) << on;
}

TEST(BuildmemLaunchPlan, AJobThatAloneExceedsTheMemoryIsSaidPlainly) {
    // Issue 14, defect 4: at a 200 MiB limit (100 MiB reserve, admission on), a 222.9 MiB compile was told
    // "a compile pool of 1 job would fit (..., at least 1) ... give lowmem_profile() a larger RESERVE or
    // ADMISSION ON".
    LowmemPlan plan;
    plan.file = "b/plan.json";
    plan.memory_limit = 200 * MiB;
    plan.reserve = 100 * MiB;
    plan.compile_jobs = 1;
    plan.admission.enabled = true;
    JobRecord job = sample_record();
    job.peak_rss = 233727590;  // 222.9 MiB
    job.signal = 9;
    const std::string m = killed_job_message(job, plan);
    EXPECT_EQ(m,
              "compile of src/a b.cpp (output obj/a.o) was killed by SIGKILL, most likely by the kernel's OOM killer (the "
              "memory ran out): its recorded peak RSS was 222.9 MiB (233727590 bytes), more than the 100 MiB the plan "
              "b/plan.json leaves for jobs (200 MiB memory limit - 100 MiB reserve): this one job alone does not fit in "
              "the memory, whatever the pool; lower its debug info (set_source_files_properties(\"src/a b.cpp\" PROPERTIES "
              "COMPILE_OPTIONS -g1), or -g0; lowmem_profile() DEBUG_INFO line-tables or off for every unit) or build "
              "with a memory limit of at least 322.9 MiB (its peak, a lower bound since it did not finish, + the "
              "reserve)");
    for (const char* never : {"pool of", "at least 1", "RESERVE", "ADMISSION"}) {
        EXPECT_EQ(m.find(never), std::string::npos) << never << ": " << m;
    }
    // Compiled with -g1 already: -g0 is what is left; with -g0, a smaller unit.
    job.command.push_back("-g1");
    EXPECT_NE(killed_job_message(job, plan).find("lower its debug info (set_source_files_properties(\"src/a b.cpp\" "
                                                 "PROPERTIES COMPILE_OPTIONS -g0); lowmem_profile() DEBUG_INFO"),
              std::string::npos)
        << killed_job_message(job, plan);
    job.command.push_back("-g0");
    EXPECT_NE(killed_job_message(job, plan).find("this one job alone does not fit in the memory, whatever the pool; its "
                                                 "debug info is already off (-g0), so split the unit into smaller ones "
                                                 "or build with a memory limit of at least 322.9 MiB"),
              std::string::npos)
        << killed_job_message(job, plan);
    job.kind = "link";
    job.source.reset();
    const std::string l = killed_job_message(job, plan);
    EXPECT_NE(l.find("link of obj/a.o was killed by SIGKILL"), std::string::npos) << l;
    EXPECT_NE(l.find("lower the debug info or LTO of what it links (lowmem_profile() DEBUG_INFO line-tables or off, LTO "
                     "off) or build with a memory limit of at least 322.9 MiB"),
              std::string::npos)
        << l;
}

// --- admission ----------------------------------------------------------------------

TEST(BuildmemLaunchAdmission, DecisionsCountTheGrowthStillToCome) {
    // Nothing running: admitted whatever is free.
    EXPECT_TRUE(decide_admission(0, {}, 4 * GiB).admit);
    // 3 GiB free; a job predicted at 2 GiB that holds 0.5 GiB will take 1.5 GiB more: 1.5 GiB headroom.
    const std::vector<RunningJob> one{{10, "big.o", 2 * GiB, 512 * MiB}};
    auto d = decide_admission(3 * GiB, one, 1536 * MiB);
    EXPECT_TRUE(d.admit);
    EXPECT_EQ(d.promised, 1536 * MiB);
    EXPECT_EQ(d.headroom, 1536 * MiB);
    d = decide_admission(3 * GiB, one, 1536 * MiB + 1);
    EXPECT_FALSE(d.admit);
    EXPECT_EQ(d.reason.rfind("held: 3 GiB free as the probe sees it, 1.5 GiB of it still to be taken by 1 running job", 0), 0U)
        << d.reason;
    // A job above its prediction promises nothing more; promised above free: headroom 0.
    const std::vector<RunningJob> two{{10, "a.o", 1 * GiB, 3 * GiB}, {11, "b.o", 4 * GiB, 0}};
    d = decide_admission(2 * GiB, two, 1);
    EXPECT_EQ(d.promised, 4 * GiB);
    EXPECT_EQ(d.headroom, 0U);
    EXPECT_FALSE(d.admit);
}

namespace {

/// A clock that moves only when slept on; each sleep may change the fake free memory.
struct FakeClock : AdmissionClock {
    std::int64_t now = 1000;
    std::vector<std::int64_t> sleeps;
    std::function<void(std::size_t)> on_sleep;
    std::int64_t now_ms() override { return now; }
    void sleep_ms(std::int64_t ms) override {
        sleeps.push_back(ms);
        now += ms;
        if (on_sleep) on_sleep(sleeps.size());
    }
};

/// A registry whose processes are fake: `alive` gives start ticks, `rss` the tree RSS.
struct FakeProcesses {
    std::map<pid_t, std::uint64_t> alive;  // pid -> start ticks
    std::map<pid_t, std::uint64_t> rss;
    AdmissionRegistry registry(const std::string& dir) {
        return AdmissionRegistry(
            dir, [this](pid_t pid) { return rss.count(pid) != 0 ? rss.at(pid) : 0; },
            [this](pid_t pid) -> std::optional<std::uint64_t> {
                if (alive.count(pid) == 0) return std::nullopt;
                return alive.at(pid);
            });
    }
};

}  // namespace

TEST(BuildmemLaunchAdmission, AdmitsAtOnceWhenNothingRunsWithoutProbing) {
    TempDir dir;
    FakeProcesses procs;
    procs.alive = {{500, 7}};
    const AdmissionRegistry registry = procs.registry(dir / "running");
    FakeClock clock;
    int probes = 0;
    const AdmissionOutcome o = wait_for_admission(registry, {500, "a.o", 8 * GiB, 60000, 250}, [&]() {
        ++probes;
        return std::uint64_t{0};
    }, clock);
    EXPECT_EQ(probes, 0);
    EXPECT_EQ(o.waited_ms, 0);
    EXPECT_FALSE(o.timed_out);
    EXPECT_TRUE(clock.sleeps.empty());
    // Registered, with the start ticks that tell this process from a later one with its pid.
    const std::string entry = slurp(dir / "running/500.json");
    EXPECT_NE(entry.find("\"start_ticks\":7"), std::string::npos) << entry;
    EXPECT_NE(entry.find("\"predicted\":8589934592"), std::string::npos) << entry;
    const auto running = registry.running();
    ASSERT_EQ(running.size(), 1U);
    EXPECT_EQ(running[0].name, "a.o");
    registry.remove(500);
    EXPECT_FALSE(fs::exists(dir / "running/500.json"));
}

TEST(BuildmemLaunchAdmission, HoldsUntilTheFakeProbeShowsEnoughFreeMemory) {
    TempDir dir;
    FakeProcesses procs;
    procs.alive = {{100, 1}, {200, 2}};
    procs.rss = {{100, 512 * MiB}};
    const AdmissionRegistry registry = procs.registry(dir / "running");
    registry.add(100, "running.o", 2 * GiB, 0);  // will take 1.5 GiB more
    FakeClock clock;
    std::uint64_t free_memory = 2 * GiB;          // 0.5 GiB headroom
    clock.on_sleep = [&](std::size_t n) {
        if (n == 3) free_memory = 2560 * MiB;     // 1 GiB headroom: exactly the prediction
    };
    std::vector<AdmissionDecision> holds;
    const AdmissionOutcome o = wait_for_admission(
        registry, {200, "next.o", 1 * GiB, 60000, 250}, [&]() { return free_memory; }, clock,
        [&](const AdmissionDecision& d) { holds.push_back(d); });
    EXPECT_FALSE(o.timed_out);
    EXPECT_EQ(o.decisions, 4U);
    EXPECT_EQ(o.waited_ms, 750);
    EXPECT_EQ(clock.sleeps, (std::vector<std::int64_t>{250, 250, 250}));
    ASSERT_EQ(holds.size(), 1U);  // one note, at the first hold
    EXPECT_EQ(holds[0].headroom, 512 * MiB);
    EXPECT_TRUE(o.last.admit);
    EXPECT_EQ(o.last.headroom, 1 * GiB);
    EXPECT_EQ(registry.running().size(), 2U);
}

TEST(BuildmemLaunchAdmission, AdmitsAfterTheTimeoutWithTheLastDecision) {
    TempDir dir;
    FakeProcesses procs;
    procs.alive = {{100, 1}, {200, 2}};
    const AdmissionRegistry registry = procs.registry(dir / "running");
    registry.add(100, "running.o", 4 * GiB, 0);
    FakeClock clock;
    const AdmissionOutcome o =
        wait_for_admission(registry, {200, "next.o", 1 * GiB, 1000, 300}, []() { return 1 * GiB; }, clock);
    EXPECT_TRUE(o.timed_out);
    EXPECT_FALSE(o.last.admit);
    EXPECT_EQ(o.waited_ms, 1000);
    EXPECT_EQ(clock.sleeps, (std::vector<std::int64_t>{300, 300, 300, 100}));  // the last sleep ends at the timeout
    EXPECT_TRUE(fs::exists(dir / "running/200.json"));
}

TEST(BuildmemLaunchAdmission, StaleRegistrationsAreRemoved) {
    TempDir dir;
    FakeProcesses procs;
    procs.alive = {{100, 1}, {101, 5}, {300, 3}};
    const AdmissionRegistry registry = procs.registry(dir / "running");
    registry.add(100, "dead.o", 4 * GiB, 0);
    registry.add(101, "reused.o", 4 * GiB, 0);
    registry.add(300, "live.o", 1 * GiB, 0);
    procs.alive.erase(100);  // the launcher died (SIGKILL) without unregistering
    procs.alive[101] = 6;    // its pid now belongs to another process
    write(dir / "running/77.json", "{\"pid\":77,");  // garbage
    write(dir / "running/notes.txt", "left alone");
    const auto running = registry.running();
    ASSERT_EQ(running.size(), 1U);
    EXPECT_EQ(running[0].pid, 300);
    EXPECT_FALSE(fs::exists(dir / "running/100.json"));
    EXPECT_FALSE(fs::exists(dir / "running/101.json"));
    EXPECT_FALSE(fs::exists(dir / "running/77.json"));
    EXPECT_TRUE(fs::exists(dir / "running/notes.txt"));
}

TEST(BuildmemLaunchAdmission, TheRealRegistryKnowsThisProcess) {
    TempDir dir;
    const AdmissionRegistry registry(dir / "running");
    registry.add(::getpid(), "self", 1 * GiB, 0);
    const auto running = registry.running();
    ASSERT_EQ(running.size(), 1U);
    EXPECT_GT(running[0].current_rss, 0U);  // this test process's own tree
    EXPECT_THROW(registry.add(999999999, "none", 1, 0), AdmissionError);
}

// --- a memory limit below the plan's (doc/lowmem.md) --------------------------------

TEST(BuildmemLaunchLimit, ALimitBelowThePlansGivesTheEffectivePlanAndAWarningWithNumbers) {
    LowmemPlan plan;
    plan.file = "b/plan.json";
    plan.memory_limit = 24 * GiB;  // configure ran outside the build's 3 GiB cgroup
    plan.reserve = 2400 * MiB;
    plan.compile_memory = 1 * GiB;
    plan.link_memory = 2 * GiB;
    plan.compile_jobs = 2;
    plan.link_jobs = 2;
    plan.cpus = 2;
    plan.admission.enabled = false;
    const std::string source = "cgroup v2 memory.max in /sys/fs/cgroup/ci/memory.max";
    const LimitCheck check = check_memory_limit(plan, 3 * GiB, source);
    ASSERT_TRUE(check.below_plan);
    EXPECT_EQ(check.effective.memory_limit, 3 * GiB);
    EXPECT_EQ(check.effective.reserve, 1536 * MiB);  // at most half the real limit
    EXPECT_TRUE(check.effective.admission.enabled);
    EXPECT_EQ(check.compile_jobs, 1U);  // 1.5 GiB / 1 GiB
    EXPECT_EQ(check.link_jobs, 1U);     // 1.5 GiB / 2 GiB = 0: still one job
    EXPECT_EQ(limit_warning(plan, check),
              "the memory limit is 3 GiB (3221225472 bytes) now (cgroup v2 memory.max in /sys/fs/cgroup/ci/memory.max), "
              "below the 24 GiB the plan b/plan.json was made for (configure ran outside this memory cgroup, or its limit "
              "changed since): for 3 GiB the pools would be compile 1 and link 1 ((3 GiB limit - 1.5 GiB reserve) / 1 GiB "
              "per compile, 2 GiB per link, at most 2 CPUs), the plan has compile 2 and link 2; the build's job pools stay "
              "as configured until cmake runs again inside this limit, so until then each job waits until the memory it "
              "is predicted to need is free (admission, off in the plan) and OOM kills are judged against 3 GiB (said "
              "once per build)");
    // A kill is judged by the real limit, next to what the plan's limit would have fitted.
    JobRecord job = sample_record();
    job.peak_rss = 1800 * MiB;
    job.signal = 9;
    const std::string m = killed_job_message(job, check.effective, std::nullopt, &plan);
    EXPECT_NE(m.find("more than the 1.5 GiB the plan b/plan.json leaves for jobs (3 GiB memory limit - 1.5 GiB reserve; "
                     "the plan was made for 24 GiB, where a compile pool of 12 jobs would fit): this one job alone does "
                     "not fit in the memory"),
              std::string::npos)
        << m;
    job.peak_rss = 500 * MiB;
    const std::string f = killed_job_message(job, check.effective, std::nullopt, &plan);
    EXPECT_NE(f.find("a compile pool of 3 jobs would fit ((3 GiB memory limit - 1.5 GiB reserve) / 500 MiB; the plan was "
                     "made for 24 GiB, where a compile pool of 44 jobs would fit), the plan b/plan.json has 2; that pool "
                     "already fits this peak and admission was on"),
              std::string::npos)
        << f;
    // Equal or higher (a MEMORY_LIMIT below the machine's, on purpose): nothing changes.
    for (const std::uint64_t actual : {24 * GiB, 64 * GiB}) {
        const LimitCheck same = check_memory_limit(plan, actual, source);
        EXPECT_FALSE(same.below_plan);
        EXPECT_EQ(same.effective.memory_limit, plan.memory_limit);
        EXPECT_FALSE(same.effective.admission.enabled);
    }
}

TEST(BuildmemLaunchLimit, ALimitAboveAProbedPlanIsNotedWithThePoolsItWouldGive) {
    LowmemPlan plan;
    plan.file = "b/plan.json";
    plan.memory_limit = 2 * GiB;
    plan.reserve = 512 * MiB;
    plan.compile_memory = 1 * GiB;
    plan.link_memory = 2 * GiB;
    plan.compile_jobs = 1;
    plan.link_jobs = 1;
    plan.cpus = 4;
    plan.memory_limit_probed = true;
    const std::string source = "cgroup v2 memory.max in /sys/fs/cgroup/ci/memory.max";
    const LimitCheck check = check_memory_limit(plan, 8 * GiB, source);
    EXPECT_TRUE(check.above_plan);
    EXPECT_FALSE(check.below_plan);
    EXPECT_EQ(check.compile_jobs, 4U);  // (8 GiB - 512 MiB) / 1 GiB = 7, at most 4 CPUs
    EXPECT_EQ(check.link_jobs, 3U);     // (8 GiB - 512 MiB) / 2 GiB
    EXPECT_EQ(limit_note(plan, check),
              "the memory limit is 8 GiB (8589934592 bytes) now (cgroup v2 memory.max in /sys/fs/cgroup/ci/memory.max), "
              "above the 2 GiB the plan b/plan.json was made for (configure ran in a smaller memory cgroup, or its limit "
              "grew since): for 8 GiB the pools would be compile 4 and link 3, the plan has compile 1 and link 1; run "
              "cmake again inside this limit to use them (said once per build)");
    // Within 10 % of the plan's, or a limit that was given rather than probed: nothing to say.
    EXPECT_FALSE(check_memory_limit(plan, 2 * GiB + 200 * MiB, source).above_plan);
    plan.memory_limit_probed = false;
    EXPECT_FALSE(check_memory_limit(plan, 8 * GiB, source).above_plan);
}

TEST(BuildmemLaunchLimit, TheFirstLauncherOfABuildClaimsTheWarning) {
    TempDir dir;
    LowmemPlan plan;
    plan.log = dir / "buildbudget-lowmem/jobs.jsonl";
    // This test process is the "build" of both calls: the first claims, the second does not.
    EXPECT_TRUE(first_in_build(plan, "limit-warned"));
    EXPECT_FALSE(first_in_build(plan, "limit-warned"));
    // A marker of an earlier build is removed when a new build claims its own.
    write(dir / "buildbudget-lowmem/fresh-1-2", "");
    EXPECT_TRUE(first_in_build(plan, "fresh"));
    std::vector<std::string> markers;
    for (const auto& e : fs::directory_iterator(dir.path() / "buildbudget-lowmem")) {
        if (e.path().filename().string().rfind("fresh-", 0) == 0) markers.push_back(e.path().filename().string());
    }
    ASSERT_EQ(markers.size(), 1U);
    EXPECT_NE(markers[0], "fresh-1-2");
}

TEST(BuildmemLaunchFarm, APlanWithAFarmReadsBackAndALocalPlanHasNoFarmKey) {
    TempDir dir;
    LowmemPlan plan;
    plan.log = dir / "jobs.jsonl";
    plan.memory_limit = 4 * GiB;
    plan.reserve = 512 * MiB;
    plan.compile_memory = 1 * GiB;
    plan.link_memory = 2 * GiB;
    plan.admission = {true, 600, "/"};
    EXPECT_EQ(lowmem_plan_text(plan).find("distributed"), std::string::npos);  // as before the farm existed
    plan.compile_jobs = 9;
    plan.distributed = DistributedSettings{"distcc", "/usr/bin/distcc", 8, 1, 128 * MiB, false, false};
    write(dir / "plan.json", lowmem_plan_text(plan));
    const LowmemPlan back = read_lowmem_plan(dir / "plan.json");
    ASSERT_TRUE(back.distributed);
    EXPECT_EQ(back.distributed->engine, "distcc");
    EXPECT_EQ(back.distributed->client, "/usr/bin/distcc");
    EXPECT_EQ(back.distributed->remote_slots, 8U);
    EXPECT_EQ(back.distributed->local_compile_jobs, 1U);
    EXPECT_EQ(back.distributed->remote_compile_memory, 128 * MiB);
    EXPECT_FALSE(back.distributed->pump);
    EXPECT_FALSE(back.distributed->fallback);
    EXPECT_EQ(back.compile_jobs, 9U);
    std::string text = lowmem_plan_text(plan);
    text.replace(text.find("\"distcc\","), 9, "\"ccache\",");
    write(dir / "plan.json", text);
    try {
        (void)read_lowmem_plan(dir / "plan.json");
        FAIL();
    } catch (const PlanFileError& e) {
        EXPECT_EQ(std::string(e.what()), dir / "plan.json" + ": \"distributed\".\"engine\" must be \"distcc\" or \"icecc\", got \"ccache\"");
    }
}

TEST(BuildmemLaunchFarm, DistccsLogNamesTheHostsThatCompiledAndFailed) {
    // Lines of distcc 3.4's real DISTCC_VERBOSE=1 log against loopback distccd (doc/lowmem-distributed.md).
    const DistccOutcome ok = read_distcc_log(
        "distcc[25267] (dcc_lock_host) got cpu lock on 127.0.0.1:3911/1 slot 0 as fd4\n"
        "distcc[25267] exec on 127.0.0.1:3911/1: x86_64-linux-gnu-g++ -c u.cpp -o u.o\n"
        "distcc[25267] (dcc_connect_by_name) connecting to 127.0.0.1 port 3911\n"
        "distcc[25267] compile u.cpp on 127.0.0.1:3911/1 completed ok\n");
    EXPECT_EQ(ok.host.value_or("-"), "127.0.0.1:3911");
    EXPECT_FALSE(ok.failed_host);
    EXPECT_FALSE(ok.gave_up);
    // The first host died mid-compile; distcc sent the unit to the second.
    const DistccOutcome retried = read_distcc_log(
        "distcc[13596] exec on 127.0.0.1:3911/1: x86_64-linux-gnu-g++ -c u.cpp -o u9.o\n"
        "distcc[13596] (dcc_readx) ERROR: unexpected eof on fd6\n"
        "distcc[13596] (dcc_check_backoff) still in backoff period for 127.0.0.1:3911/1\n"
        "distcc[13596] exec on 127.0.0.1:3912/2,lzo: x86_64-linux-gnu-g++ -c u.cpp -o u9.o\n"
        "distcc[13596] compile u.cpp on 127.0.0.1:3912/2,lzo completed ok\n");
    EXPECT_EQ(retried.host.value_or("-"), "127.0.0.1:3912");
    EXPECT_EQ(retried.failed_host.value_or("-"), "127.0.0.1:3911");
    // Nothing left to send to.
    const DistccOutcome refused = read_distcc_log(
        "distcc[25620] exec on 127.0.0.1:3912/1: x86_64-linux-gnu-g++ -c u.cpp -o u2.o\n"
        "distcc[25620] ERROR: nonblocking connect to 127.0.0.1:3912 failed: Connection refused\n"
        "distcc[25620] (dcc_build_somewhere) ERROR: failed to distribute and fallbacks are disabled\n");
    EXPECT_FALSE(refused.host);
    EXPECT_EQ(refused.failed_host.value_or("-"), "127.0.0.1:3912");
    EXPECT_TRUE(refused.gave_up);
    const DistccOutcome backoff = read_distcc_log(
        "distcc[25626] (dcc_check_backoff) still in backoff period for [::1]:3912/1\n"
        "distcc[25626] (dcc_build_somewhere) ERROR: failed to distribute and fallbacks are disabled\n");
    EXPECT_FALSE(backoff.failed_host);
    EXPECT_EQ(backoff.skipped_host.value_or("-"), "[::1]:3912");
    const DistccOutcome local = read_distcc_log("distcc[1] compile u.cpp on localhost completed ok\n");
    EXPECT_TRUE(local.local);
    EXPECT_FALSE(local.host);
}

TEST(BuildmemLaunchFarm, DistccsLogSaysWhenPumpModePreprocessedLocally) {
    // distcc 3.4 under Debian 12's distcc-pump, whose include server fails on every unit (its C extension
    // and Python 3.11: "PY_SSIZE_T_CLEAN macro must be defined"), and with ,cpp hosts outside distcc-pump.
    const DistccOutcome gave_up = read_distcc_log(
        "distcc[11469] (dcc_parse_options) got CPP option\n"
        "distcc[11469] (dcc_talk_to_include_server) Warning: include server gave up analyzing\n"
        "distcc[11469] (dcc_build_somewhere) Warning: failed to get includes from include server, preprocessing locally\n"
        "distcc[11469] exec on 127.0.0.1:39511/2,cpp,lzo: x86_64-linux-gnu-g++ -O2 -c u.cpp -o u.o\n"
        "distcc[11469] cpp u.cpp on localhost completed ok\n"
        "distcc[11469] compile u.cpp on 127.0.0.1:39511/2,cpp,lzo completed ok\n");
    EXPECT_EQ(gave_up.pump_preprocessed_locally.value_or("-"), "include server gave up analyzing");
    EXPECT_EQ(gave_up.host.value_or("-"), "127.0.0.1:39511");
    EXPECT_FALSE(gave_up.local);
    EXPECT_TRUE(gave_up.preprocessed_locally);
    const DistccOutcome no_server = read_distcc_log(
        "distcc[13449] (dcc_talk_to_include_server) Warning: INCLUDE_SERVER_PORT not set - did you forget to run under "
        "'distcc-pump'?\n"
        "distcc[13449] (dcc_build_somewhere) Warning: failed to get includes from include server, preprocessing locally\n"
        "distcc[13449] compile u.cpp on 127.0.0.1:39511/2,cpp,lzo completed ok\n");
    EXPECT_EQ(no_server.pump_preprocessed_locally.value_or("-"),
              "INCLUDE_SERVER_PORT not set - did you forget to run under 'distcc-pump'?");
    // Plain mode preprocesses locally as a matter of course and says nothing of it.
    EXPECT_FALSE(read_distcc_log("distcc[1] cpp u.cpp on localhost completed ok\n"
                                 "distcc[1] compile u.cpp on 127.0.0.1:3632/2 completed ok\n")
                     .pump_preprocessed_locally);
}

TEST(BuildmemLaunchFarm, DistccsLogSaysWhereItPreprocessed) {
    // distcc 3.4's own lines (DISTCC_VERBOSE=1) for one unit against a loopback distccd: under Debian 12's
    // distcc-pump, whose include server fails, with a ,cpp host outside distcc-pump, and in plain mode. Each runs
    // the preprocessor here and says so ("cpp ... on localhost").
    const DistccOutcome pump_fell_back = read_distcc_log(
        "distcc[24980] (dcc_lock_host) got cpu lock on localhost slot 0 as fd5\n"
        "distcc[24980] (dcc_note_state) note state 3, file \"(NULL)\", host \"localhost\"\n"
        "distcc[24980] (dcc_connect_by_addr) started connecting to UNIX-DOMAIN /tmp/distcc-pump.FlLLS2/socket\n"
        "distcc[24980] (dcc_talk_to_include_server) Warning: include server gave up analyzing\n"
        "distcc[24980] (dcc_build_somewhere) Warning: failed to get includes from include server, preprocessing locally\n"
        "distcc[24980] (dcc_spawn_child) forking to execute: x86_64-linux-gnu-g++ -E u.cpp\n"
        "distcc[24980] exec on 127.0.0.1:3977/2,cpp,lzo: x86_64-linux-gnu-g++ -c u.cpp -o u2.o\n"
        "distcc[24980] (dcc_collect_child) cpp child 24993 terminated with status 0\n"
        "distcc[24980] cpp u.cpp on localhost completed ok\n"
        "distcc[24980] 426922 bytes from u.cpp compiled on 127.0.0.1 in 1.2765s, rate 327kB/s\n"
        "distcc[24980] compile u.cpp on 127.0.0.1:3977/2,cpp,lzo completed ok\n");
    EXPECT_TRUE(pump_fell_back.preprocessed_locally);
    EXPECT_EQ(pump_fell_back.host.value_or("-"), "127.0.0.1:3977");
    const DistccOutcome plain = read_distcc_log(
        "distcc[25009] (dcc_spawn_child) forking to execute: x86_64-linux-gnu-g++ -E u.cpp\n"
        "distcc[25009] exec on 127.0.0.1:3977/2,lzo: x86_64-linux-gnu-g++ -c u.cpp -o u3.o\n"
        "distcc[25009] (dcc_collect_child) cpp child 25010 terminated with status 0\n"
        "distcc[25009] cpp u.cpp on localhost completed ok\n"
        "distcc[25009] compile u.cpp on 127.0.0.1:3977/2,lzo completed ok\n");
    EXPECT_TRUE(plain.preprocessed_locally);
    EXPECT_FALSE(plain.pump_preprocessed_locally);
    // A preprocessor that failed here ran here too.
    EXPECT_TRUE(read_distcc_log("distcc[7] cpp u.cpp on localhost failed\n").preprocessed_locally);
    // Pump mode with the include server's includes runs no preprocessor here: the host preprocesses. And a
    // unit distcc compiled on localhost is compiled, not just preprocessed, here.
    EXPECT_FALSE(read_distcc_log("distcc[1] exec on 127.0.0.1:3977/2,cpp,lzo: x86_64-linux-gnu-g++ -c u.cpp -o u.o\n"
                                 "distcc[1] compile u.cpp on 127.0.0.1:3977/2,cpp,lzo completed ok\n")
                     .preprocessed_locally);
    EXPECT_FALSE(read_distcc_log("distcc[1] compile u.cpp on localhost completed ok\n").preprocessed_locally);
}

TEST(BuildmemLaunchFarm, AnIcecreamRemoteCompileWasPreprocessedHere) {
    // icecc preprocesses what it sends before sending it (its log: "preparing source to send: ... -E ...").
    const DistributedRun remote = icecc_distributed_run(read_icecc_log(
        "ICECC[28975] 2026-12-07 03:06:34: Have to use host 127.0.0.1:18791 - Job ID: 1 - env: x86_64 - has env: "
        "false - match j: 0\n"
        "ICECC[29918] 2026-12-07 03:06:35: preparing source to send: /usr/bin/g++ -E u.cpp -fdirectives-only\n"));
    nlohmann::ordered_json j;
    to_json(j, remote);
    EXPECT_EQ(j.dump(), R"({"engine":"icecc","ran":"remote","host":"127.0.0.1:18791","failed_host":null,)"
                        R"("preprocessed":"local"})");
    // Nothing distributed, nothing to say: a unit the local daemon compiled, or icecc's fallback.
    const DistributedRun local = icecc_distributed_run(
        read_icecc_log("ICECC[7] 2026-12-07 03:06:34: building myself, but telling localhost\n"));
    EXPECT_EQ(local.ran.value_or("-"), "local");
    EXPECT_FALSE(local.preprocessed);
    const DistributedRun fallback = icecc_distributed_run(read_icecc_log(
        "ICECC[7] 2026-12-07 03:09:04: Have to use host 10.0.0.5:10245 - Job ID: 2 - env: x86_64\n"
        "ICECC[7] 2026-12-07 03:09:05: got exception Error 14 - error reading message from remote (10.0.0.5) \n"));
    EXPECT_EQ(fallback.ran.value_or("-"), "fallback");
    EXPECT_EQ(fallback.failed_host.value_or("-"), "10.0.0.5:10245");
    EXPECT_FALSE(fallback.host);
    EXPECT_FALSE(fallback.preprocessed);
}

TEST(BuildmemLaunchFarm, WhereACompileRanIsRecordedAndOldRecordsHaveNoFarm) {
    TempDir dir;
    const std::string log = dir / "jobs.jsonl";
    JobRecord r = sample_record();
    EXPECT_EQ(record_to_json(r).find("distributed"), std::string::npos);  // a local build's line is as before
    r.distributed = DistributedRun{"distcc", "fallback", std::nullopt, "127.0.0.1:3633", std::nullopt};
    append_record(log, r);
    append_record(log, sample_record());
    std::string bad = record_to_json(r);
    bad.replace(bad.find("\"fallback\""), 10, "\"elsewhere\"");
    std::ofstream(log, std::ios::app) << bad << '\n';
    try {
        (void)read_records(log);
        FAIL();
    } catch (const JobLogError& e) {
        EXPECT_EQ(std::string(e.what()), log + ":3: \"distributed\".\"ran\" must be \"remote\", \"local\", \"fallback\", "
                                               "\"failed\" or null, got \"elsewhere\"");
    }
    std::filesystem::resize_file(log, std::filesystem::file_size(log) - bad.size() - 1);
    const auto records = read_records(log);
    ASSERT_EQ(records.size(), 2U);
    ASSERT_TRUE(records[0].distributed);
    EXPECT_EQ(records[0].distributed->engine, "distcc");
    EXPECT_EQ(records[0].distributed->ran.value_or("-"), "fallback");
    EXPECT_FALSE(records[0].distributed->host);
    EXPECT_EQ(records[0].distributed->failed_host.value_or("-"), "127.0.0.1:3633");
    EXPECT_FALSE(records[1].distributed);
}

TEST(BuildmemLaunchFarm, WhereARemoteCompileWasPreprocessedIsRecorded) {
    TempDir dir;
    const std::string log = dir / "jobs.jsonl";
    JobRecord r = sample_record();
    r.distributed = DistributedRun{"distcc", "remote", "127.0.0.1:3632", std::nullopt, "local"};
    const std::string line = record_to_json(r);
    EXPECT_NE(line.find(R"("distributed":{"engine":"distcc","ran":"remote","host":"127.0.0.1:3632","failed_host":null,)"
                        R"("preprocessed":"local"})"),
              std::string::npos)
        << line;
    append_record(log, r);
    // A record from before the field: not known.
    std::string old = line;
    old.replace(old.find(R"(,"preprocessed":"local")"), 23, "");
    std::ofstream(log, std::ios::app) << old << '\n';
    const auto records = read_records(log);
    ASSERT_EQ(records.size(), 2U);
    EXPECT_EQ(records[0].distributed->preprocessed.value_or("-"), "local");
    ASSERT_TRUE(records[1].distributed);
    EXPECT_FALSE(records[1].distributed->preprocessed);
    std::string bad = line;
    bad.replace(bad.find(R"("preprocessed":"local")"), 22, R"("preprocessed":"here")");
    std::ofstream(log, std::ios::app) << bad << '\n';
    try {
        (void)read_records(log);
        FAIL();
    } catch (const JobLogError& e) {
        EXPECT_EQ(std::string(e.what()), log + ":3: \"distributed\".\"preprocessed\" must be \"local\", \"remote\" or null, got \"here\"");
    }
}
