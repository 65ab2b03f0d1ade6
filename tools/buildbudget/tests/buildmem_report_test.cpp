// `buildbudget buildmem report` (doc/helper-buildmem.md): the concurrency sweep, the
// latest run of each output, killed jobs, the pools from recorded peaks, and
// the text and JSON forms.
#include "buildmem/report.hpp"

#include "units.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace buildbudget::buildmem;

namespace {

using buildbudget::test::GiB;
using buildbudget::test::MiB;

// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): a test helper, kind first as in the log
JobRecord job(const std::string& kind, const std::string& output, std::int64_t start, std::int64_t end, std::uint64_t peak,
              std::optional<int> signal = std::nullopt) {
    JobRecord r;
    r.kind = kind;
    if (kind == "compile") r.source = output.substr(0, output.rfind('.')) + ".cpp";
    r.output = output;
    r.command = {"g++", "-c"};
    r.start_ms = start;
    r.end_ms = end;
    r.peak_rss = peak;
    r.signal = signal;
    r.exit_code = signal ? 128 + *signal : 0;
    return r;
}

LowmemPlan plan() {
    LowmemPlan p;
    p.file = "build/buildbudget-lowmem/plan.json";
    p.log = "build/buildbudget-lowmem/jobs.jsonl";
    p.memory_limit = 8 * GiB;
    p.reserve = 1 * GiB;
    p.compile_memory = 1 * GiB;
    p.link_memory = 2 * GiB;
    p.compile_jobs = 4;
    p.link_jobs = 2;
    p.cpus = 6;
    return p;
}

}  // namespace

TEST(BuildmemReportConcurrency, SweepsHalfOpenIntervals) {
    // A [0,100) 100, B [50,150) 200, C [100,200) 300, D [150,150] 50 (counted as [150,151)).
    // By hand: t0 100; t50 300; t100 A ends as C starts: B+C 500; t150 B ends, D starts: C+D 350; t151 300.
    const std::vector<JobRecord> records{job("compile", "a.o", 0, 100, 100), job("compile", "b.o", 50, 150, 200),
                                         job("compile", "c.o", 100, 200, 300), job("link", "d", 150, 150, 50)};
    const ConcurrencyPeak p = concurrency_peak(records);
    EXPECT_EQ(p.bytes, 500U);
    EXPECT_EQ(p.at_ms, 100);
    EXPECT_EQ(p.jobs, (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(p.max_jobs, 2U);
}

TEST(BuildmemReportConcurrency, SequentialJobsDoNotOverlapAndEmptyLogsHaveNoPeak) {
    const std::vector<JobRecord> chain{job("compile", "a.o", 0, 10, 7), job("compile", "b.o", 10, 20, 9),
                                       job("compile", "c.o", 20, 20, 8)};
    const ConcurrencyPeak p = concurrency_peak(chain);
    EXPECT_EQ(p.bytes, 9U);
    EXPECT_EQ(p.at_ms, 10);
    EXPECT_EQ(p.max_jobs, 1U);
    const ConcurrencyPeak none = concurrency_peak({});
    EXPECT_EQ(none.bytes, 0U);
    EXPECT_FALSE(none.at_ms);
    EXPECT_EQ(none.max_jobs, 0U);
    // Four jobs starting in the same millisecond all count.
    const std::vector<JobRecord> burst{job("compile", "a.o", 5, 9, 1), job("compile", "b.o", 5, 6, 2),
                                       job("compile", "c.o", 5, 7, 4), job("compile", "d.o", 5, 8, 8)};
    EXPECT_EQ(concurrency_peak(burst).bytes, 15U);
    EXPECT_EQ(concurrency_peak(burst).max_jobs, 4U);
}

TEST(BuildmemReportBuild, LatestRunPerOutputHeaviestFirstAndPools) {
    std::vector<JobRecord> records{
        job("compile", "a.o", 0, 10, 3 * GiB),               // superseded by the later run of a.o
        job("compile", "b.o", 0, 10, 900 * MiB),
        job("compile", "c.o", 20, 30, 1200 * MiB, 9),        // killed: not a finished peak
        job("compile", "a.o", 40, 50, 700 * MiB),
        job("link", "app", 60, 70, 2500 * MiB),
        job("link", "tool", 60, 65, 100 * MiB, 15),
        job("compile", "d.o", 80, 90, 1100 * MiB),           // finished, then killed in a later run:
        job("compile", "d.o", 100, 110, 1000 * MiB, 9),      // its latest run does not size the pool
        job("compile", "e.o", 120, 130, 2 * GiB),            // GCC: cc1plus OOM-killed, the driver exits 1
    };
    records.back().exit_code = 1;
    records.back().oom_kills = 1;
    const BuildmemReport r = build_report(records, "jobs.jsonl", plan());
    EXPECT_EQ(r.records, 9U);
    ASSERT_EQ(r.compiles.size(), 5U);
    EXPECT_EQ(r.all[r.compiles[0]].key(), "e.o");
    EXPECT_EQ(r.all[r.compiles[1]].key(), "c.o");
    EXPECT_EQ(r.all[r.compiles[2]].key(), "d.o");
    EXPECT_EQ(r.all[r.compiles[2]].peak_rss, 1000 * MiB);
    EXPECT_EQ(r.all[r.compiles[3]].key(), "b.o");
    EXPECT_EQ(r.all[r.compiles[4]].key(), "a.o");
    EXPECT_EQ(r.all[r.compiles[4]].peak_rss, 700 * MiB);
    ASSERT_EQ(r.links.size(), 2U);
    EXPECT_EQ(r.killed, (std::vector<std::size_t>{2, 5, 7, 8}));
    EXPECT_NE(report_text(r, 0).find("| exit 1, OOM kill"), std::string::npos) << report_text(r, 0);
    ASSERT_EQ(r.pools.size(), 2U);
    // compile: heaviest finished latest run is b.o 900 MiB; (8 - 1) GiB / 900 MiB = 7.96 -> 7, capped at 6 CPUs.
    EXPECT_EQ(r.pools[0].heaviest, 900 * MiB);
    EXPECT_EQ(r.pools[0].heaviest_job, "b.cpp");
    EXPECT_EQ(r.pools[0].memory_fit, 7U);
    EXPECT_EQ(r.pools[0].pool, 6U);
    EXPECT_EQ(r.pools[0].planned, 4U);
    // link: 7 GiB / 2500 MiB = 2.87 -> 2.
    EXPECT_EQ(r.pools[1].heaviest, 2500 * MiB);
    EXPECT_EQ(r.pools[1].memory_fit, 2U);
    EXPECT_EQ(r.pools[1].pool, 2U);
    // Without a plan: no pools.
    EXPECT_TRUE(build_report(records, "jobs.jsonl", std::nullopt).pools.empty());
}

TEST(BuildmemReportOutput, JsonHasTheSchemaAndHonoursTop) {
    std::vector<JobRecord> records{job("compile", "a.o", 0, 100, 100), job("compile", "b.o", 50, 150, 200),
                                   job("compile", "c.o", 100, 200, 300, 9), job("link", "app", 250, 300, 50)};
    const BuildmemReport r = build_report(records, "jobs.jsonl", plan());
    const auto j = nlohmann::json::parse(report_json(r, 2));
    EXPECT_EQ(j["schema"], "buildbudget-buildmem-report/1");
    EXPECT_EQ(j["log"], "jobs.jsonl");
    EXPECT_EQ(j["plan"], "build/buildbudget-lowmem/plan.json");
    EXPECT_EQ(j["records"], 4);
    ASSERT_EQ(j["compiles"].size(), 2U);
    EXPECT_EQ(j["compile_outputs"], 3);
    EXPECT_EQ(j["compiles"][0]["output"], "c.o");
    EXPECT_EQ(j["compiles"][0]["signal"], 9);
    EXPECT_EQ(j["compiles"][0]["exit_code"], 137);
    EXPECT_EQ(j["compiles"][1]["duration_ms"], 100);
    EXPECT_EQ(j["links"][0]["source"], nullptr);
    EXPECT_EQ(j["concurrency"]["peak_bytes"], 500);
    EXPECT_EQ(j["concurrency"]["at_ms"], 100);
    EXPECT_EQ(j["concurrency"]["jobs"].size(), 2U);
    EXPECT_EQ(j["killed"].size(), 1U);
    EXPECT_EQ(j["pools"]["compile"]["heaviest"], 200);
    EXPECT_EQ(j["pools"]["link"]["planned"], 2);
    EXPECT_EQ(nlohmann::json::parse(report_json(build_report(records, "x", std::nullopt), 0))["pools"], nullptr);
    EXPECT_EQ(nlohmann::json::parse(report_json(r, 0))["compiles"].size(), 3U);
}

TEST(BuildmemReportOutput, AbsoluteSourcesAreShownUnderTheirCommonDirectory) {
    std::vector<JobRecord> records{job("compile", "a.o", 0, 1, 5), job("compile", "b.o", 0, 1, 4)};
    records[0].source = "/src/proj/lib/a.cpp";
    records[1].source = "/src/proj/lib2/b.cpp";
    std::string text = report_text(build_report(records, "j", std::nullopt), 0);
    EXPECT_NE(text.find("heaviest first; sources under /src/proj/):\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\nlib/a.cpp  | a.o "), std::string::npos) << text;
    records[1].source = "rel/b.cpp";  // not all absolute: shown as given
    text = report_text(build_report(records, "j", std::nullopt), 0);
    EXPECT_EQ(text.find("sources under"), std::string::npos) << text;
    EXPECT_NE(text.find("\n/src/proj/lib/a.cpp | a.o "), std::string::npos) << text;
}

TEST(BuildmemReportOutput, TextShowsTablesKilledJobsAndPools) {
    std::vector<JobRecord> records{job("compile", "big.o", 0, 1500, 1536 * MiB), job("compile", "small.o", 0, 20, 10 * MiB, 9),
                                   job("link", "app", 2000, 2500, 1 * GiB)};
    const std::string text = report_text(build_report(records, "jobs.jsonl", plan()), 10);
    EXPECT_NE(text.find("Job log: jobs.jsonl (3 records: 2 compiles, 1 link)\n"), std::string::npos) << text;
    EXPECT_NE(text.find("Source    | Output  |     Peak RSS (bytes) |   Time | Result\n"), std::string::npos) << text;
    EXPECT_NE(text.find("big.cpp   | big.o   | 1.5 GiB (1610612736) | 1.50 s | exit 0"), std::string::npos) << text;
    EXPECT_NE(text.find("killed by SIGKILL"), std::string::npos) << text;
    EXPECT_NE(text.find("Most jobs running at once: 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("Peak concurrent memory (the sum of the peaks of the jobs running at the same time): 1.51 GiB "
                        "(1621098496) at 1970-01-01T00:00:00.000Z, 2 jobs: big.cpp, small.cpp"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("Killed jobs (1; SIGKILL, or a failure while the OOM killer struck, is most likely the kernel's OOM "
                        "killer):"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("Pools from the recorded peaks (plan build/buildbudget-lowmem/plan.json: 8 GiB memory limit - 1 GiB "
                        "reserve, 6 CPUs):"),
              std::string::npos)
        << text;
    // compile: 7 GiB / 1.5 GiB = 4; link: 7 GiB / 1 GiB = 7, capped at 6 CPUs.
    EXPECT_NE(text.find("compile | big.cpp               | 1.5 GiB (1610612736) |              4 |              4 |           4"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("link    | app                   |   1 GiB (1073741824) |              7 |              6 |           2"),
              std::string::npos)
        << text;
}

TEST(BuildmemReportOutput, AJobThatDoesNotFitAloneIsShownAsSuch) {
    // Issue 14, defect 4: a 200 MiB limit with a 100 MiB reserve, and a 222.9 MiB compile. No pool of 1 fits
    // it; the column says 0, not "at least 1", and a line says what could work.
    LowmemPlan p = plan();
    p.memory_limit = 200 * MiB;
    p.reserve = 100 * MiB;
    p.cpus = 2;
    const std::uint64_t peak = 233727590;  // 222.9 MiB
    const std::vector<JobRecord> records{job("compile", "parse.o", 0, 1500, peak), job("link", "app", 2000, 2500, 60 * MiB)};
    const BuildmemReport r = build_report(records, "jobs.jsonl", p);
    ASSERT_EQ(r.pools.size(), 2U);
    EXPECT_EQ(r.pools[0].memory_fit, 0U);
    EXPECT_EQ(r.pools[0].pool, 1U);  // the plan's own rule still runs one job
    EXPECT_EQ(r.pools[1].memory_fit, 1U);
    const std::string text = report_text(r, 10);
    EXPECT_NE(text.find("compile | parse.cpp             | 222.9 MiB (233727590) | 0 (one job > 100 MiB) |              1 |"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("The compile parse.cpp alone needs 222.9 MiB, more than the 100 MiB the plan leaves for jobs "
                        "(200 MiB memory limit - 100 MiB reserve): it does not fit even on its own; lower its debug info "
                        "(set_source_files_properties(... COMPILE_OPTIONS -g1 or -g0)) or give the build a memory limit "
                        "of at least 322.9 MiB.\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("at least 1"), std::string::npos) << text;
    EXPECT_EQ(nlohmann::json::parse(report_json(r, 0))["pools"]["compile"]["memory_fit"], 0);
}

TEST(BuildmemReportOutput, TheFarmSummaryCountsWhereTheRemoteCompilesWerePreprocessed) {
    // Four remote compiles: three preprocessed here (distcc's plain mode or pump mode without the include server's
    // includes, and icecream, which always preprocesses here), one on its host (distcc's pump mode); a unit distcc
    // compiled on localhost and an icecream fallback count in neither.
    std::vector<JobRecord> records;
    for (const auto& [engine, output, ran, host, preprocessed] :
         std::vector<std::tuple<std::string, std::string, std::string, std::optional<std::string>, std::optional<std::string>>>{
             {"distcc", "a.o", "remote", "h1:3632", "local"},
             {"distcc", "b.o", "remote", "h2:3632", "local"},
             {"distcc", "c.o", "remote", "h1:3632", "remote"},
             {"distcc", "d.o", "local", std::nullopt, std::nullopt},
             {"icecc", "e.o", "remote", "10.0.0.5:10245", "local"},
             {"icecc", "f.o", "fallback", std::nullopt, std::nullopt}}) {
        JobRecord r = job("compile", output, 0, 100, 30 * MiB);
        r.distributed = DistributedRun{engine, ran, host, std::nullopt, preprocessed};
        records.push_back(r);
    }
    const std::optional<FarmSummary> farm = summarize_farm(records);
    ASSERT_TRUE(farm);
    EXPECT_EQ((std::make_pair(farm->preprocessed_local, farm->preprocessed_remote)), std::make_pair(std::size_t{3}, std::size_t{1}));
    const BuildmemReport report = build_report(records, "jobs.jsonl", std::nullopt);
    const std::string text = report_text(report, 10);
    EXPECT_NE(text.find("Compile farm (distcc, icecc, every record of the log): 4 remote"), std::string::npos) << text;
    EXPECT_NE(text.find("\nWhere the remote compiles were preprocessed: 3 here (icecream, plain distcc, or distcc pump "
                        "mode without the include server's includes), 1 on their hosts (distcc pump mode)\n"),
              std::string::npos)
        << text;
    const auto json = nlohmann::json::parse(report_json(report, 10));
    EXPECT_EQ(json["distributed"]["preprocessed"], (nlohmann::json{{"local", 3}, {"remote", 1}}));
    // Without the field (records from before it), the line is left out.
    for (auto& r : records) r.distributed->preprocessed.reset();
    EXPECT_EQ(report_text(build_report(records, "jobs.jsonl", std::nullopt), 10).find("preprocessed"), std::string::npos);
}

TEST(BuildmemReportOutput, TheFarmsCountsAndTheHostsThatFailedAreOneLine) {
    // distcc: two remote compiles on h1 (one after h2 failed it), one that failed to distribute (h2), one that fell back
    // (h2); icecream: a record from before "ran" was known (doc/lowmem-distributed.md: the engine does not say).
    std::vector<JobRecord> records;
    for (const auto& [engine, output, ran, host, failed_host] :
         std::vector<std::tuple<std::string, std::string, std::optional<std::string>, std::optional<std::string>,
                                std::optional<std::string>>>{
             {"distcc", "a.o", "remote", "h1:3632", std::nullopt},
             {"distcc", "b.o", "remote", "h1:3632", "h2:3632"},
             {"distcc", "c.o", "failed", std::nullopt, "h2:3632"},
             {"distcc", "d.o", "fallback", std::nullopt, "h2:3632"},
             {"icecc", "e.o", std::nullopt, std::nullopt, std::nullopt}}) {
        JobRecord r = job("compile", output, 0, 100, 30 * MiB);
        r.distributed = DistributedRun{engine, ran, host, failed_host, ran == "remote" ? std::optional<std::string>("local")
                                                                                       : std::nullopt};
        records.push_back(r);
    }
    const std::string text = report_text(build_report(records, "jobs.jsonl", std::nullopt), 10);
    // The counts and the hosts that failed on one line, then where the remote compiles were preprocessed.
    EXPECT_NE(text.find("\nCompile farm (distcc, icecc, every record of the log): 2 remote (h1:3632 2), 0 local, 1 fell back "
                        "to a local compile, 1 failed to distribute, 1 where the engine does not say; hosts that failed "
                        "(the compiles each failed, which went to another host or fell back): h2:3632 3\n"
                        "Where the remote compiles were preprocessed: 2 here"),
              std::string::npos)
        << text;
    // farm_counts_text() on its own: no host lists and nothing unknown, no bracketed parts.
    FarmSummary plain;
    plain.remote = 5;
    plain.local = 4;
    plain.fallback = 3;
    plain.failed = 2;
    EXPECT_EQ(farm_counts_text(plain, "x"),
              "Compile farm (x): 5 remote, 4 local, 3 fell back to a local compile, 2 failed to distribute");
}
