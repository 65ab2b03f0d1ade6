// Job pools from the memory limit (doc/lowmem.md, "The rule"): the documented
// rule of plan.hpp, recomputed here from the constants' stated values (1 GiB,
// 2 GiB, 512 MiB, 10 %) rather than read back from the code.
#include "buildmem/plan.hpp"

#include "units.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
namespace bm = buildbudget::buildmem;

namespace {

using buildbudget::test::GiB;
using buildbudget::test::MiB;

bm::PlanRequest request(std::uint64_t limit, unsigned cpus) {
    bm::PlanRequest r;
    r.memory_limit = limit;
    r.cpus = cpus;
    return r;
}

unsigned pool(std::uint64_t limit, std::uint64_t reserve, std::uint64_t per_job, unsigned cpus) {
    const std::uint64_t fit = (limit - reserve) / per_job;
    return static_cast<unsigned>(std::clamp<std::uint64_t>(fit, 1, cpus));
}

bool has_reason(const bm::Plan& plan, const std::string& text) {
    for (const auto& r : plan.reasons) {
        if (r.find(text) != std::string::npos) return true;
    }
    return false;
}

std::string all_reasons(const bm::Plan& plan) {
    std::string text;
    for (const auto& r : plan.reasons) text += r + "\n";
    return text;
}

fs::path temp_file(const std::string& name, const std::string& content) {
    const fs::path p = fs::temp_directory_path() /
                       ("buildbudget-plan-" + name + "-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    std::ofstream(p, std::ios::binary) << content;
    return p;
}

}  // namespace

TEST(BuildmemPlan, MemoryClassesAtTheirBoundaries) {
    EXPECT_STREQ(bm::memory_class(8 * GiB - 1), "small");
    EXPECT_STREQ(bm::memory_class(8 * GiB), "medium");
    EXPECT_STREQ(bm::memory_class(16 * GiB), "medium");
    EXPECT_STREQ(bm::memory_class(16 * GiB + 1), "large");
}

TEST(BuildmemPlan, DefaultReserve) {
    EXPECT_EQ(bm::default_reserve(4 * GiB), 512 * MiB);                 // 10 % = 409.6 MiB < 512 MiB
    EXPECT_EQ(bm::default_reserve(10 * GiB), 10 * GiB / 10);           // 10 % = 1 GiB
    EXPECT_EQ(bm::default_reserve(600 * MiB), 300 * MiB);              // never above half the limit
    EXPECT_EQ(bm::default_reserve(12345678901ULL), 1234567890ULL);     // floor(10 %)
}

TEST(BuildmemPlan, EstimatesFollowTheDocumentedFactors) {
    EXPECT_EQ(bm::compile_memory_estimate(bm::DebugInfo::off), 1 * GiB);
    EXPECT_EQ(bm::compile_memory_estimate(bm::DebugInfo::line_tables), GiB * 11 / 10);
    EXPECT_EQ(bm::compile_memory_estimate(bm::DebugInfo::split), GiB * 14 / 10);
    EXPECT_EQ(bm::compile_memory_estimate(bm::DebugInfo::full), GiB * 3 / 2);
    EXPECT_EQ(bm::link_memory_estimate(bm::DebugInfo::off, bm::Lto::off), 2 * GiB);
    EXPECT_EQ(bm::link_memory_estimate(bm::DebugInfo::line_tables, bm::Lto::off), 2 * GiB * 5 / 4);
    EXPECT_EQ(bm::link_memory_estimate(bm::DebugInfo::split, bm::Lto::thin), 2 * GiB * 5 / 4 * 2);
    EXPECT_EQ(bm::link_memory_estimate(bm::DebugInfo::full, bm::Lto::full), 2 * GiB * 2 * 4);
    EXPECT_EQ(bm::link_memory_estimate(bm::DebugInfo::off, bm::Lto::thin), 4 * GiB);
}

TEST(BuildmemPlan, PoolsFromLimitReserveAndEstimates) {
    for (std::uint64_t limit : {2 * GiB, 4 * GiB, 7 * GiB + 300 * MiB, 12 * GiB, 64 * GiB}) {
        for (unsigned cpus : {1U, 2U, 3U, 16U, 64U}) {
            for (auto d : {bm::DebugInfo::off, bm::DebugInfo::line_tables, bm::DebugInfo::split, bm::DebugInfo::full}) {
                bm::PlanRequest r = request(limit, cpus);
                r.debug_info = d;
                r.lto = bm::Lto::thin;
                const bm::Plan plan = bm::make_plan(r);
                const std::uint64_t reserve = std::min(std::max(512 * MiB, limit / 10), limit / 2);
                EXPECT_EQ(plan.reserve, reserve);
                EXPECT_EQ(plan.compile_memory, bm::compile_memory_estimate(d));
                EXPECT_EQ(plan.link_memory, bm::link_memory_estimate(d, bm::Lto::thin));
                const unsigned compile = pool(limit, reserve, plan.compile_memory, cpus);
                const unsigned link = pool(limit, reserve, plan.link_memory, cpus);
                EXPECT_EQ(plan.compile_jobs, compile) << limit << " " << cpus;
                EXPECT_EQ(plan.link_jobs, link) << limit << " " << cpus;
                EXPECT_EQ(plan.linker_threads, std::max(1U, cpus / link));
                EXPECT_GE(plan.compile_jobs, 1U);
                EXPECT_LE(plan.compile_jobs, cpus);
            }
        }
    }
}

TEST(BuildmemPlan, ReasonsNameEachDecision) {
    // 4 GiB, full debug info: (4 GiB - 512 MiB) / 1.5 GiB = 2 compiles; / 4 GiB = 0 links -> 1.
    bm::PlanRequest r = request(4 * GiB, 8);
    r.memory_limit_text = "4GiB";
    r.debug_info = bm::DebugInfo::full;
    const bm::Plan plan = bm::make_plan(r);
    EXPECT_EQ(plan.memory_class, "small");
    EXPECT_EQ(plan.compile_jobs, 2U);
    EXPECT_EQ(plan.link_jobs, 1U);
    EXPECT_EQ(plan.linker_threads, 8U);
    EXPECT_TRUE(has_reason(plan, "--memory-limit 4GiB")) << all_reasons(plan);
    EXPECT_TRUE(has_reason(plan, "link pool 1: (4 GiB limit - 512 MiB reserve) / 4 GiB per link = 0, raised to 1"))
        << all_reasons(plan);
    EXPECT_TRUE(has_reason(plan, "compile pool 2: (4 GiB limit - 512 MiB reserve) / 1.5 GiB per compile = 2"))
        << all_reasons(plan);
    // Capped at the CPUs: 64 GiB.
    const bm::Plan big = bm::make_plan(request(64 * GiB, 3));
    // No --debug-info: the build type's own flags, no factor (1 GiB, 2 GiB).
    EXPECT_EQ(big.compile_memory, 1 * GiB);
    EXPECT_EQ(big.link_memory, 2 * GiB);
    EXPECT_EQ(big.compile_jobs, 3U);
    EXPECT_TRUE(has_reason(big, ", capped at 3 CPUs (--cpus 3)")) << all_reasons(big);
}

TEST(BuildmemPlan, ExplicitValuesReplaceEstimates) {
    bm::PlanRequest r = request(10 * GiB, 16);
    r.compile_memory = 700 * MiB;
    r.link_memory = 3 * GiB;
    r.reserve = 1 * GiB;
    const bm::Plan plan = bm::make_plan(r);
    EXPECT_EQ(plan.compile_jobs, (9 * GiB) / (700 * MiB));
    EXPECT_EQ(plan.link_jobs, 3U);
    EXPECT_EQ(plan.linker_threads, 5U);
    EXPECT_TRUE(has_reason(plan, "per job: --compile-memory"));
    r.reserve = 10 * GiB;
    try {
        (void)bm::make_plan(r);
        ADD_FAILURE() << "a reserve equal to the limit was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("--reserve: 10 GiB"), std::string::npos) << e.what();
    }
}

TEST(BuildmemPlan, LogPeaksReplaceEstimates) {
    const std::string log =
        R"({"kind":"compile","source":"a.cpp","output":"a.o","command":["c++","-c","a.cpp"],"start_ms":1,"end_ms":2,"peak_rss":800000000,"exit_code":0,"signal":null,"waited_ms":0})"
        "\n"
        R"({"kind":"compile","source":"big.cpp","output":"big.o","command":["c++"],"start_ms":1,"end_ms":2,"peak_rss":2500000000,"exit_code":0,"signal":null,"waited_ms":0})"
        "\n"
        // big.cpp was fixed: its latest record is what counts.
        R"({"kind":"compile","source":"big.cpp","output":"big.o","command":["c++"],"start_ms":3,"end_ms":4,"peak_rss":900000000,"exit_code":0,"signal":null,"waited_ms":0})"
        "\n\n"
        // Killed: its peak is where it was stopped, not what it needed.
        R"({"kind":"compile","source":"huge.cpp","output":"huge.o","command":["c++"],"start_ms":1,"end_ms":2,"peak_rss":3900000000,"exit_code":137,"signal":9,"waited_ms":0})"
        "\n"
        R"({"kind":"link","source":null,"output":"app","command":["c++","-o","app"],"start_ms":5,"end_ms":9,"peak_rss":1200000000,"exit_code":0,"signal":null,"waited_ms":0})"
        "\n"
        // Failed while the OOM killer struck (GCC's driver survives the kill of cc1plus): does not count.
        R"({"kind":"compile","source":"oom.cpp","output":"oom.o","command":["c++"],"start_ms":1,"end_ms":2,"peak_rss":3800000000,"exit_code":1,"signal":null,"waited_ms":0,"oom_kills":1})"
        "\n";
    const fs::path file = temp_file("log", log);
    const bm::LogPeaks peaks = bm::read_log_peaks(file.string());
    EXPECT_EQ(peaks.records, 6U);
    ASSERT_TRUE(peaks.compile);
    EXPECT_EQ(peaks.compile->peak_rss, 900000000U);
    EXPECT_EQ(peaks.compile->job, "big.cpp");
    EXPECT_EQ(peaks.compile->line, 3U);
    ASSERT_TRUE(peaks.link);
    EXPECT_EQ(peaks.link->peak_rss, 1200000000U);
    EXPECT_EQ(peaks.link->job, "app");

    // big.cpp's two finished runs are the only job recorded twice, and its command is the same:
    // one change, (900 - 2500) / 2500.
    ASSERT_EQ(peaks.changes.size(), 1U);
    EXPECT_DOUBLE_EQ(peaks.changes[0], (900000000.0 - 2500000000.0) / 2500000000.0);
    EXPECT_EQ(peaks.left_out, 2U);
    EXPECT_EQ(peaks.compiles.size(), 2U);

    // Learned: one change is fewer than 3, so the margin is the 15 % default; with the compiles
    // recorded, the reserve is max(64 MiB, 5 % of the limit); without admission, the pool is the
    // number of the heaviest jobs that fit together: 900 MB and 800 MB, each + 15 %.
    bm::PlanRequest r = request(4 * GiB, 8);
    r.log = file.string();
    const bm::Plan plan = bm::make_plan(r);
    const std::uint64_t reserve = 4 * GiB * 5 / 100;
    EXPECT_EQ(plan.reserve, reserve);
    EXPECT_EQ(plan.margin_percent, 15U);
    EXPECT_EQ(plan.compile_memory, 1035000000U);
    // Beyond the two recorded, a compile not recorded yet counts as the heaviest: 1035 + 920 + 1035
    // + 1035 MB fit in 4 GiB - 204.8 MiB, a fifth does not.
    EXPECT_EQ(plan.compile_jobs, 4U);
    EXPECT_TRUE(has_reason(plan, "compile pool 4: (4 GiB limit - 204.8 MiB reserve): the 2 heaviest recorded compiles and "
                                 "2 not recorded yet (as heavy as the heaviest) (+ 15%) take 3.75 GiB together, so 4 fit "
                                 "at once"))
        << all_reasons(plan);
    EXPECT_EQ(plan.link_memory, 1380000000U);
    // One link recorded; a second, not recorded yet, counts as the heaviest: 2 x 1380 MB fit, 3 do not.
    EXPECT_EQ(plan.link_jobs, 2U);
    EXPECT_EQ(plan.learned_from, file.string());
    EXPECT_TRUE(plan.compile_learned && plan.link_learned);
    EXPECT_TRUE(has_reason(plan, "the heaviest recorded compile, big.cpp (" + file.string() + ":3), 858.31 MiB + 15%"))
        << all_reasons(plan);
    EXPECT_TRUE(has_reason(plan, "job log " + file.string() + " of earlier builds: 6 records, the latest finished run of "
                                 "2 compiles and 1 link and 0 static archive steps (2 jobs left out"))
        << all_reasons(plan);
    EXPECT_TRUE(has_reason(plan, "margin 15% on each recorded peak: the default until at least 3 jobs were recorded in "
                                 "two builds (1 so far)"))
        << all_reasons(plan);
    fs::remove(file);
}

namespace {

/// One finished job record as the launcher writes it.
std::string record(const std::string& kind, const std::string& output, std::uint64_t peak,
                   const std::string& program = "c++", const std::string& flag = "-O2") {
    const std::string command = program == "ar" ? R"(["/usr/bin/ar","qc",")" + output + R"(","a.o"])"
                                                : R"([")" + program + R"(",")" + flag + R"(","-o",")" + output + R"("])";
    return R"({"kind":")" + kind + R"(","source":null,"output":")" + output + R"(","command":)" + command +
           R"(,"start_ms":1,"end_ms":2,"peak_rss":)" + std::to_string(peak) +
           R"(,"exit_code":0,"signal":null,"waited_ms":0})" + "\n";
}

}  // namespace

TEST(BuildmemPlan, MarginFromTheChangeOfJobsRecordedTwice) {
    // Fewer than 3 changes: the 15 % default.
    EXPECT_EQ(bm::learned_margin({}).percent, 15U);
    EXPECT_EQ(bm::learned_margin({0.5, 0.5}).percent, 15U);
    // 3 x RMS: RMS of (0.1, -0.1, 0.1) is 0.1, so 30 %.
    const bm::LearnedMargin wide = bm::learned_margin({0.1, -0.1, 0.1});
    EXPECT_EQ(wide.samples, 3U);
    EXPECT_NEAR(wide.rms, 0.1, 1e-12);
    EXPECT_EQ(wide.percent, 30U);
    // RMS sqrt((0.0001 + 0.0004 + 0) / 3) = 1.29 %: 3 x = 3.9 %, below the 5 % floor.
    EXPECT_EQ(bm::learned_margin({0.01, -0.02, 0.0}).percent, 5U);
    // RMS sqrt((0.0009 + 0.0009 + 0.0009 + 0.0036) / 4) = 3.97 %: 3 x = 11.9 %, rounded up to 12.
    EXPECT_EQ(bm::learned_margin({0.03, -0.03, 0.03, 0.06}).percent, 12U);
    // with_margin rounds up.
    EXPECT_EQ(bm::with_margin(100, 15), 115U);
    EXPECT_EQ(bm::with_margin(101, 15), 117U);  // 101 + ceil(15.15)
    EXPECT_EQ(bm::with_margin(7, 0), 7U);

    // From a log: two builds of four units, a.o changed its flags between them (not a change of
    // the same job), the others moved by +2 %, -1 %, 0 %.
    std::string log;
    log += record("compile", "a.o", 100 * MiB, "c++", "-O0");
    log += record("compile", "b.o", 200 * MiB);
    log += record("compile", "c.o", 300 * MiB);
    log += record("compile", "d.o", 400 * MiB);
    log += record("compile", "a.o", 150 * MiB, "c++", "-O2");
    log += record("compile", "b.o", 204 * MiB);
    log += record("compile", "c.o", 297 * MiB);
    log += record("compile", "d.o", 400 * MiB);
    const fs::path file = temp_file("twice", log);
    const bm::LogPeaks peaks = bm::read_log_peaks(file.string());
    ASSERT_EQ(peaks.changes.size(), 3U);
    EXPECT_NEAR(peaks.changes[0], 0.02, 1e-12);
    EXPECT_NEAR(peaks.changes[1], -0.01, 1e-12);
    EXPECT_NEAR(peaks.changes[2], 0.0, 1e-12);
    bm::PlanRequest r = request(2 * GiB, 8);
    r.log = file.string();
    const bm::Plan plan = bm::make_plan(r);
    EXPECT_EQ(plan.margin_percent, 5U);
    EXPECT_EQ(plan.compile_memory, bm::with_margin(400 * MiB, 5));
    EXPECT_TRUE(has_reason(plan, "margin 5% on each recorded peak: 3 x the 1.3% root mean square change of the peaks of "
                                 "3 jobs recorded in two builds, at least 5%"))
        << all_reasons(plan);
    fs::remove(file);
}

TEST(BuildmemPlan, LearnedPoolsFromTheMedianWithAdmissionElseTheHeaviestTogether) {
    // A 640 MiB limit where the estimates give one compile at a time, and four recorded units as
    // googletest's (327, 246, 140, 135 MiB): 15 % margin, reserve max(64 MiB, 32 MiB).
    bm::PlanRequest r = request(640 * MiB, 2);
    r.debug_info = bm::DebugInfo::line_tables;
    EXPECT_EQ(bm::make_plan(r).compile_jobs, 1U);
    std::string log;
    for (auto [name, mib] : {std::pair{"gtest-all.o", 327U}, {"gmock-all.o", 246U}, {"gtest_main.o", 140U},
                             {"gmock_main.o", 135U}}) {
        log += record("compile", name, mib * MiB);
    }
    const fs::path file = temp_file("median", log);
    r.log = file.string();
    // Without admission: 327 + 246 MiB, each + 15 %, is 659 MiB, more than 576 MiB: one at a time.
    bm::Plan plan = bm::make_plan(r);
    EXPECT_EQ(plan.reserve, 64 * MiB);
    EXPECT_EQ(plan.compile_jobs, 1U);
    EXPECT_TRUE(has_reason(plan, "compile pool 1: (640 MiB limit - 64 MiB reserve): the 1 heaviest recorded compile (+ 15%) "
                                 "take 376.05 MiB together, so 1 fits at once"))
        << all_reasons(plan);
    // With admission: the median, (246 + 140) / 2 = 193 MiB, + 15 % = 222 MiB, fits twice in 576 MiB.
    r.admission = true;
    plan = bm::make_plan(r);
    EXPECT_EQ(plan.compile_jobs, 2U);
    EXPECT_EQ(plan.compile_memory, bm::with_margin(327 * MiB, 15));
    EXPECT_TRUE(has_reason(plan, "compile pool 2: (640 MiB limit - 64 MiB reserve) / 221.95 MiB per compile (the median of "
                                 "4 recorded, 193 MiB, + 15%) = 2; admission holds a heavier compile back until its "
                                 "own recorded peak is free"))
        << all_reasons(plan);
    // An odd number of jobs: the middle one, 150 MiB + 15 %: 3 fit in 576 MiB.
    std::string odd;
    for (unsigned mib : {50U, 100U, 150U, 200U, 250U}) odd += record("compile", std::to_string(mib) + ".o", mib * MiB);
    const fs::path odd_file = temp_file("odd", odd);
    r.log = odd_file.string();
    r.cpus = 8;
    EXPECT_EQ(bm::make_plan(r).compile_jobs, 3U);
    fs::remove(odd_file);
    r.log = file.string();
    r.cpus = 2;
    plan = bm::make_plan(r);
    // Links were not recorded: the estimate, against the learned reserve.
    EXPECT_FALSE(plan.link_learned);
    EXPECT_EQ(plan.link_memory, bm::link_memory_estimate(bm::DebugInfo::line_tables, bm::Lto::off));
    EXPECT_EQ(plan.link_jobs, 1U);
    fs::remove(file);
}

TEST(BuildmemPlan, StaticArchiveStepsAreLinksThatCostLittle) {
    // A static project: its link jobs are `ar` steps of a few MiB.
    std::string log = record("compile", "a.o", 300 * MiB);
    log += record("link", "libgtest.a", 3 * MiB, "ar");
    log += record("link", "libgmock.a", 4 * MiB, "ar");
    const fs::path file = temp_file("archives", log);
    const bm::LogPeaks peaks = bm::read_log_peaks(file.string());
    EXPECT_EQ(peaks.archives, 2U);
    ASSERT_EQ(peaks.links.size(), 2U);
    EXPECT_TRUE(peaks.links[0].archive);
    EXPECT_EQ(peaks.links[0].job, "libgmock.a");
    bm::PlanRequest r = request(640 * MiB, 2);
    r.log = file.string();
    const bm::Plan plan = bm::make_plan(r);
    EXPECT_TRUE(plan.link_learned);
    EXPECT_EQ(plan.link_memory, bm::with_margin(4 * MiB, 15));
    EXPECT_EQ(plan.link_jobs, 2U);
    EXPECT_TRUE(has_reason(plan, "0 links and 2 static archive steps")) << all_reasons(plan);
    EXPECT_TRUE(has_reason(plan, "every recorded link job is a static archive step")) << all_reasons(plan);
    // With one real link recorded, it is the heaviest and the archives do not hide it.
    log += record("link", "app", 500 * MiB, "c++");
    const fs::path mixed = temp_file("mixed", log);
    r.log = mixed.string();
    const bm::Plan with_link = bm::make_plan(r);
    EXPECT_EQ(with_link.link_memory, bm::with_margin(500 * MiB, 15));
    EXPECT_TRUE(has_reason(with_link, "1 link and 2 static archive steps")) << all_reasons(with_link);
    fs::remove(file);
    fs::remove(mixed);
}

TEST(BuildmemPlan, MalformedLogLineIsNamed) {
    const fs::path file = temp_file(
        "bad",
        R"({"kind":"compile","source":"a.cpp","output":"a.o","command":["c++"],"start_ms":1,"end_ms":2,"peak_rss":5,"exit_code":0,"signal":null,"waited_ms":0})"
        "\n{\"kind\":\"link\",\"peak_rss\":\n");
    try {
        (void)bm::read_log_peaks(file.string());
        ADD_FAILURE() << "a malformed line was accepted";
    } catch (const bm::ProbeError& e) {
        EXPECT_NE(std::string(e.what()).find(file.string() + ":2:"), std::string::npos)
            << e.what();
    }
    const fs::path wrong = temp_file("kind", "{\"kind\":\"archive\",\"peak_rss\":5}\n");
    try {
        (void)bm::read_log_peaks(wrong.string());
        ADD_FAILURE() << "an unknown kind was accepted";
    } catch (const bm::ProbeError& e) {
        EXPECT_NE(std::string(e.what()).find(wrong.string() + ":1: \"kind\" must be \"compile\" or \"link\""), std::string::npos) << e.what();
    }
    fs::remove(file);
    fs::remove(wrong);
}
