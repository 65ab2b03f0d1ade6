// Job pools from the memory limit (SPEC §5): the documented rule of plan.hpp,
// recomputed here from the constants' stated values (1 GiB, 2 GiB, 512 MiB,
// 10 %) rather than read back from the code.
#include "buildmem/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
namespace bm = buildbudget::buildmem;

namespace {

constexpr std::uint64_t GiB = 1ULL << 30;
constexpr std::uint64_t MiB = 1ULL << 20;

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

    bm::PlanRequest r = request(4 * GiB, 8);
    r.log = file.string();
    const bm::Plan plan = bm::make_plan(r);
    EXPECT_EQ(plan.compile_memory, 900000000U);
    EXPECT_EQ(plan.compile_jobs, (4 * GiB - 512 * MiB) / 900000000U);
    EXPECT_EQ(plan.link_jobs, (4 * GiB - 512 * MiB) / 1200000000U);
    EXPECT_TRUE(has_reason(plan, "the heaviest recorded compile, big.cpp (" + file.string() + ":3)")) << all_reasons(plan);
    fs::remove(file);
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
