// The budget report's core (report/summary.hpp, doc/helper-report.md): which files of a build tree are read,
// the document made from them, the baseline comparison and growth limits, history, the Markdown,
// and the errors that name the file.
#include "report/summary.hpp"

#include "buildmem/job_log.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

using namespace buildbudget::report;
using nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

using buildbudget::test::TempDir;

std::string check_report(const std::string& set, const std::string& check, const std::string& component,
                         std::uint64_t budget, std::uint64_t measured, bool passed) {
    return ordered_json{{"schema", "buildbudget-check-report/1"},
                        {"set", set},
                        {"check", check},
                        {"measure", check == "footprint" ? "static RAM" : "heap peak"},
                        {"passed", passed},
                        {"components",
                         {{{"name", component},
                           {"passed", passed},
                           {"error", false},
                           {"budget_bytes", budget},
                           {"measured_bytes", measured},
                           {"message", passed ? "" : "over"}}}}}
        .dump(2);
}

/// A size report as `wasm optimize` writes it: keys sorted, so "schema" comes after "sections".
std::string size_report(const std::string& name, std::uint64_t raw, std::uint64_t limit) {
    nlohmann::json j;  // sorted keys, as cli/wasm.cpp writes
    j["schema"] = "buildbudget-wasm-size/1";
    j["name"] = name;
    j["file"] = "/x/" + name + ".wasm";
    j["raw"] = raw;
    j["gzip"] = raw / 2;
    j["brotli"] = nullptr;
    j["sections"] = nlohmann::json::array();
    for (int i = 0; i < 200; ++i) j["sections"].push_back({{"id", 1}, {"name", "type"}, {"bytes", i}});
    j["limits"] = {{{"kind", "raw"}, {"limit_bytes", limit}, {"actual_bytes", raw}, {"passed", raw <= limit}}};
    j["passed"] = raw <= limit;
    return j.dump(2);
}

ordered_json report_with(const std::vector<std::pair<std::string, std::uint64_t>>& figures) {
    ordered_json doc = {{"schema", report_schema}, {"commit", nullptr}, {"created", "2026-01-01T00:00:00Z"},
                        {"status", "ok"},         {"baseline", nullptr}, {"budgets", ordered_json::array()},
                        {"wasm", ordered_json::array()}, {"build_memory", nullptr}, {"figures", ordered_json::array()},
                        {"growth", ordered_json::array()}, {"summary", ordered_json::object()}};
    for (const auto& [key, value] : figures) {
        doc["figures"].push_back({{"key", key}, {"label", key}, {"value", value}, {"limit", nullptr}, {"unit", "bytes"},
                                  {"baseline", nullptr}, {"delta", nullptr}, {"change", nullptr},
                                  {"history", ordered_json::array()}});
    }
    return doc;
}

const ordered_json& figure(const ordered_json& doc, const std::string& key) {
    for (const auto& f : doc["figures"]) {
        if (f["key"] == key) return f;
    }
    throw std::runtime_error("no figure " + key);
}

std::string report_input_error(const std::function<void()>& f) {
    try {
        f();
    } catch (const ReportInputError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST(ReportSummary, JsonErrorsNameFileLineAndColumn) {
    EXPECT_EQ(report_input_error([] { (void)parse_json("{\n  \"a\": 1,\n  \"b\" 2\n}\n", "x.json"); }).substr(0, 30),
              "x.json:3:7: not valid JSON: sy");
    // Cut off: the position is the end of the text.
    EXPECT_EQ(report_input_error([] { (void)parse_json("{\"a\": [1,\n2", "cut.json"); }).substr(0, 29), "cut.json:2:2: not valid JSON:");
}

TEST(ReportSummary, CollectsOurFilesOnly) {
    TempDir dir;
    const auto footprint = dir.write("buildbudget-reports/fw.footprint.json", check_report("fw", "footprint", "net", 100, 90, true));
    dir.write("CMakeFiles/x/fw.footprint.json", check_report("fw", "footprint", "hidden", 1, 1, true));
    dir.write("_deps/y/fw.footprint.json", check_report("fw", "footprint", "hidden", 1, 1, true));
    dir.write("package.json", "{\"name\": \"not ours\"}");
    dir.write("broken.json", "{ not json at all");  // not ours: never parsed
    dir.write("buildbudget-report/report.json", "{\"schema\": \"buildbudget-report/1\"}");
    const auto size = dir.write("m.wasm.size.json", size_report("m", 10, 100));
    const auto log = dir.write("buildbudget-lowmem/jobs.jsonl", "");
    const Inputs in = collect_inputs(dir.path().string(), {});
    EXPECT_EQ(in.check_reports, std::vector<std::string>{footprint});
    EXPECT_EQ(in.size_reports, std::vector<std::string>{size});
    EXPECT_EQ(in.job_logs, std::vector<std::string>{log});
    EXPECT_TRUE(in.budget_sets.empty());
}

TEST(ReportSummary, OtherSchemaVersionIsAnError) {
    TempDir dir;
    const auto file = dir.write("r/fw.footprint.json", "{\"schema\": \"buildbudget-check-report/2\", \"set\": \"fw\"}");
    EXPECT_EQ(report_input_error([&] { (void)collect_inputs(dir.path().string(), {}); }),
              file + ": schema buildbudget-check-report/2, expected buildbudget-check-report/1");
    const auto report = dir.write("old.json", "{\"schema\": \"buildbudget-report/2\", \"figures\": []}");
    EXPECT_EQ(report_input_error([&] { (void)read_report(report); }), report + ": schema buildbudget-report/2, expected buildbudget-report/1");
}

TEST(ReportSummary, CorruptInputOfOursNamesTheFile) {
    TempDir dir;
    const auto file = dir.write("fw.footprint.json", "{\"schema\": \"buildbudget-check-report/1\",\n\"set\": \"fw\",\n\"check\": ");
    const Inputs in = collect_inputs(dir.path().string(), {});
    ASSERT_EQ(in.check_reports.size(), 1U);
    EXPECT_EQ(report_input_error([&] { (void)summarize(in, RunInfo{}); }).substr(0, file.size() + 21), file + ":3:10: not valid JSON");
}

TEST(ReportSummary, FiguresComeFromTheChecksAndSizeReports) {
    TempDir dir;
    dir.write("fw.footprint.json", check_report("fw", "footprint", "net", 1000, 900, true));
    dir.write("fw.heap_peak.json", check_report("fw", "peak", "net", 1000, 1200, false));
    dir.write("a.wasm.size.json", size_report("a", 300, 200));
    const ordered_json doc = summarize(collect_inputs(dir.path().string(), {}), RunInfo{dir.path().string(), "", {}, "t"});
    ASSERT_EQ(doc["budgets"].size(), 1U);
    EXPECT_EQ(doc["budgets"][0]["static_ram_bytes"], 900);
    EXPECT_EQ(doc["budgets"][0]["heap_peak_bytes"], 1200);
    EXPECT_EQ(doc["budgets"][0]["status"], "over");
    EXPECT_EQ(figure(doc, "budget/fw/net/static_ram")["limit"], 1000);
    EXPECT_EQ(figure(doc, "wasm/a/raw")["value"], 300);
    EXPECT_EQ(figure(doc, "wasm/a/gzip")["value"], 150);
    EXPECT_THROW((void)figure(doc, "wasm/a/brotli"), std::runtime_error);  // not measured: no figure
    EXPECT_EQ(doc["wasm"][0]["status"], "over");
    EXPECT_EQ(doc["status"], "over");
    EXPECT_EQ(doc["summary"]["over"], 2);
}

TEST(ReportSummary, BaselineMatrix) {
    ordered_json now = report_with({{"same", 100}, {"small", 100}, {"big", 100}, {"down", 100}, {"added", 50}});
    const ordered_json before = report_with({{"same", 100}, {"small", 99}, {"big", 50}, {"down", 120}, {"gone", 7}});
    apply_baseline(now, before, "base.json", GrowthLimits{10, 20.0});
    EXPECT_EQ(figure(now, "same")["change"], "same");
    EXPECT_EQ(figure(now, "same")["delta"], 0);
    EXPECT_EQ(figure(now, "small")["change"], "grew");
    EXPECT_EQ(figure(now, "small")["delta"], 1);
    EXPECT_EQ(figure(now, "down")["change"], "shrank");
    EXPECT_EQ(figure(now, "down")["delta"], -20);
    EXPECT_EQ(figure(now, "added")["change"], "new");
    EXPECT_TRUE(figure(now, "added")["baseline"].is_null());
    EXPECT_EQ(figure(now, "gone")["change"], "removed");
    EXPECT_TRUE(figure(now, "gone")["value"].is_null());
    EXPECT_EQ(figure(now, "gone")["baseline"], 7);
    // big: +50 bytes, +100%: both limits; added: 50 bytes from nothing: the bytes limit only.
    ASSERT_EQ(now["growth"].size(), 3U);
    EXPECT_EQ(now["growth"][0]["message"],
              "big: grew from 50 to 100 bytes (+50 bytes, +100.00%), more than --fail-above-bytes 10 bytes");
    EXPECT_EQ(now["growth"][1]["message"],
              "big: grew from 50 to 100 bytes (+50 bytes, +100.00%), more than --fail-above-percent 20%");
    EXPECT_EQ(now["growth"][2]["key"], "added");
    EXPECT_EQ(now["status"], "over");
    EXPECT_EQ(now["summary"]["grew"], 2);
    EXPECT_EQ(now["summary"]["new"], 1);
    EXPECT_EQ(now["summary"]["removed"], 1);
    EXPECT_EQ(now["summary"]["shrank"], 1);

    ordered_json within = report_with({{"small", 100}});
    apply_baseline(within, report_with({{"small", 99}}), "base.json", GrowthLimits{10, 20.0});
    EXPECT_TRUE(within["growth"].empty());
    EXPECT_EQ(within["status"], "ok");
}

TEST(ReportSummary, BuildMemoryIsNotHeldToGrowthLimits) {
    ordered_json now = report_with({{"build/peak", 2000}});
    apply_baseline(now, report_with({{"build/peak", 1000}}), "base.json", GrowthLimits{1, 1.0});
    EXPECT_EQ(figure(now, "build/peak")["change"], "grew");
    EXPECT_TRUE(now["growth"].empty());
}

TEST(ReportSummary, HistoryOldestFirstThisRunLast) {
    ordered_json now = report_with({{"a", 3}});
    now["commit"] = "ccc";
    ordered_json first = report_with({{"a", 1}});
    first["commit"] = "aaa";
    ordered_json second = report_with({{"b", 5}});  // no "a": no point
    apply_history(now, {first, second});
    EXPECT_EQ(figure(now, "a")["history"].dump(), R"([["aaa",1],["ccc",3]])");
}

TEST(ReportSummary, LastBuildOfTheJobLog) {
    TempDir dir;
    std::string log;
    const auto record = [](const std::string& src, std::int64_t start, std::int64_t end, std::uint64_t rss) {
        buildbudget::buildmem::JobRecord r;
        r.kind = "compile";
        r.source = src;
        r.command = {"c++", "-c", src};
        r.start_ms = start;
        r.end_ms = end;
        r.peak_rss = rss;
        return buildbudget::buildmem::record_to_json(r) + "\n";
    };
    log += record("old.cpp", 1000, 5000, 999);
    log += record("a.cpp", 100000, 101000, 10);   // a new build: more than 60 s after every earlier end
    log += record("b.cpp", 100500, 102000, 20);   // beside a.cpp
    const auto file = dir.write("buildbudget-lowmem/jobs.jsonl", log);
    const ordered_json doc = summarize(collect_inputs(dir.path().string(), {}), RunInfo{dir.path().string(), "", {}, "t"});
    const auto& bm = doc["build_memory"];
    ASSERT_EQ(bm["jobs"].size(), 2U);
    EXPECT_EQ(bm["jobs"][0]["name"], "a.cpp");
    EXPECT_EQ(bm["jobs"][1]["start_ms"], 500);
    EXPECT_EQ(bm["peak_bytes"], 30);
    EXPECT_EQ(bm["records"], 3);
    EXPECT_EQ(figure(doc, "build/peak")["value"], 30);

    dir.write("buildbudget-lowmem/jobs.jsonl", log + "{\"kind\":\"compile\",\"source\":\"c.cpp\",\"out");
    EXPECT_EQ(report_input_error([&] { (void)summarize(collect_inputs(dir.path().string(), {}), RunInfo{}); }).substr(0, file.size() + 3),
              file + ":4:");
}

TEST(ReportSummary, TheCompileFarmsPreprocessingIsCountedForBothEngines) {
    TempDir dir;
    std::string log;
    const auto record = [](const std::string& src, const std::string& engine, const std::string& ran,
                           std::optional<std::string> preprocessed, std::optional<std::string> failed_host = std::nullopt) {
        buildbudget::buildmem::JobRecord r;
        r.kind = "compile";
        r.source = src;
        r.command = {"c++", "-c", src};
        r.start_ms = 1000;
        r.end_ms = 2000;
        r.peak_rss = 10;
        r.distributed = buildbudget::buildmem::DistributedRun{engine, ran, ran == "remote" ? "h:1" : std::optional<std::string>(),
                                                              std::move(failed_host), std::move(preprocessed)};
        return buildbudget::buildmem::record_to_json(r) + "\n";
    };
    // icecream preprocesses its remote compiles here; distcc here (plain mode) or on the host (pump mode).
    log += record("a.cpp", "icecc", "remote", "local");
    log += record("b.cpp", "icecc", "remote", "local");
    log += record("c.cpp", "icecc", "local", std::nullopt);
    log += record("d.cpp", "distcc", "remote", "remote");
    log += record("e.cpp", "icecc", "fallback", std::nullopt, "ice_host:10245");  // a Markdown character in its name
    dir.write("buildbudget-lowmem/jobs.jsonl", log);
    ordered_json doc = summarize(collect_inputs(dir.path().string(), {}), RunInfo{dir.path().string(), "", {}, "t"});
    const auto& farm = doc["build_memory"]["distributed"];
    EXPECT_EQ(farm["remote"], 3);
    EXPECT_EQ(farm["preprocessed"].dump(), R"({"local":2,"remote":1})");
    // Read back as report.md and report.html read it.
    const buildbudget::buildmem::FarmSummary read = farm_summary_of(farm);
    EXPECT_EQ(read.remote, 3U);
    EXPECT_EQ(read.local, 1U);
    EXPECT_EQ(read.fallback, 1U);
    EXPECT_EQ(read.failed, 0U);
    EXPECT_EQ(read.preprocessed_local, 2U);
    EXPECT_EQ(read.preprocessed_remote, 1U);
    ASSERT_EQ(read.failed_hosts.size(), 1U);
    EXPECT_EQ(read.failed_hosts[0], std::make_pair(std::string("ice_host:10245"), std::size_t{1}));
    update_status(doc);
    const std::string md = report_markdown(doc);
    // Its own paragraph after the peak's sentence, in lowmem_report's words (doc/lowmem-distributed.md), escaped.
    EXPECT_NE(md.find(".\n\nCompile farm (the last build): 3 remote, 1 local, 1 fell back to a local compile, 0 failed to "
                      "distribute; hosts that failed (the compiles each failed, which went to another host or fell back): "
                      "ice\\_host:10245 1.\n\nWhere the "
                      "remote compiles were preprocessed: 2 here (icecream, plain distcc, or distcc pump mode without "
                      "the include server's includes), 1 on their hosts (distcc pump mode).\n"),
              std::string::npos)
        << md;
}

// A report.json written by hand or by another tool: what is not a non-negative count reads as 0 (a
// host with one is left out), never an error, as on the page.
TEST(ReportSummary, FarmCountsThatAreNotCountsReadAsZero) {
    const auto farm = farm_summary_of(ordered_json::parse(R"({"remote": "three", "local": -1, "fallback": 2.5,
        "failed": 4, "preprocessed": [1, 2], "failed_hosts": {"a:1": 2, "b:1": null, "c:1": -3}})"));
    EXPECT_EQ(farm.remote, 0U);
    EXPECT_EQ(farm.local, 0U);
    EXPECT_EQ(farm.fallback, 0U);
    EXPECT_EQ(farm.failed, 4U);
    EXPECT_EQ(farm.preprocessed_local + farm.preprocessed_remote, 0U);
    ASSERT_EQ(farm.failed_hosts.size(), 1U);
    EXPECT_EQ(farm.failed_hosts[0].first, "a:1");
    const auto none = farm_summary_of(ordered_json::array({1, 2}));
    EXPECT_EQ(none.remote + none.local + none.fallback + none.failed, 0U);
    EXPECT_TRUE(none.failed_hosts.empty());
}

TEST(ReportSummary, MarkdownEscapesCellsAndSaysTheVerdict) {
    ordered_json doc = report_with({{"x", 5}});
    doc["figures"][0]["label"] = "a|b_c";
    update_status(doc);
    const std::string md = report_markdown(doc);
    EXPECT_NE(md.find("**Within budget**"), std::string::npos) << md;
    EXPECT_NE(md.find("| a\\|b\\_c | 5 B (5) |"), std::string::npos) << md;
}

TEST(ReportSummary, ALimitWithoutAFigureStillCounts) {
    TempDir dir;
    // A module within its size limits but over its linear memory budget: no figure is over, the module is.
    nlohmann::json size = nlohmann::json::parse(size_report("m", 10, 100));
    size["limits"].push_back({{"kind", "linear memory"}, {"limit_bytes", 65536}, {"actual_bytes", 131072}, {"passed", false}});
    size["passed"] = false;
    dir.write("m.wasm.size.json", size.dump(2));
    // A check that could not measure.
    ordered_json check = ordered_json::parse(check_report("fw", "peak", "app", 1000, 0, false));
    check["components"][0]["error"] = true;
    check["components"][0]["message"] = "the command did not start";
    dir.write("fw.heap_peak.json", check.dump(2));
    const ordered_json doc = summarize(collect_inputs(dir.path().string(), {}), RunInfo{dir.path().string(), "", {}, "t"});
    EXPECT_EQ(doc["wasm"][0]["status"], "over");
    EXPECT_EQ(doc["wasm"][0]["limits"]["linear_memory"], 65536);
    EXPECT_EQ(doc["budgets"][0]["status"], "error");
    EXPECT_TRUE(doc["budgets"][0]["heap_peak_bytes"].is_null());  // not measured
    EXPECT_EQ(doc["summary"]["errors"], 1);
    EXPECT_EQ(doc["status"], "over");
    const std::string md = report_markdown(doc);
    EXPECT_NE(md.find("| **over budget** | m (a limit of its size report) |"), std::string::npos) << md;
    EXPECT_NE(md.find("| **error** | fw app peak: the command did not start |"), std::string::npos) << md;
    EXPECT_NE(md.find("**Over budget**: 1 item over budget, 1 check could not measure (1 budget, 1 WebAssembly module)."),
              std::string::npos)
        << md;
}
