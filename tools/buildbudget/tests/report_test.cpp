// The check reports: console tables, JUnit XML, JSON, baseline deltas.
#include "report/check_report.hpp"
#include "report/table.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace buildbudget::report {
namespace {

CheckReport sample_check_report() {
    CheckReport r;
    r.set = "fw";
    r.check = "footprint";
    r.measure = "static RAM";
    CaseResult net;
    net.component = "net";
    net.budget_bytes = 1000;
    net.measured_bytes = 900;
    CaseResult app;
    app.component = "app<&>";
    app.passed = false;
    app.budget_bytes = 100;
    app.measured_bytes = 150;
    app.message = "over by 50 \"bytes\" & more";
    CaseResult bad;
    bad.component = "io";
    bad.passed = false;
    bad.error = true;
    bad.message = "libio.a: truncated";
    r.cases = {net, app, bad};
    return r;
}

TEST(Table, ColumnsAlignByCodePointsNotBytes) {
    const std::string t = render_table({"A", "Mark"}, {{"long name", "\u2713"}, {"x", "\u2717"}},
                                       {Align::left, Align::left});
    EXPECT_EQ(t,
              "A         | Mark\n"
              "----------------\n"
              "long name | \u2713\n"
              "x         | \u2717\n");
}

TEST(Table, RightAlignment) {
    EXPECT_EQ(render_table({"n"}, {{"5"}, {"100"}}, {Align::right}), "  n\n---\n  5\n100\n");
}

TEST(CheckReport, PassedOnlyWhenEveryCasePasses) {
    CheckReport r = sample_check_report();
    EXPECT_FALSE(r.passed());
    r.cases.resize(1);
    EXPECT_TRUE(r.passed());
    EXPECT_EQ(r.suite(), "fw.footprint");
    r.name = "fw.heap_peak";
    EXPECT_EQ(r.suite(), "fw.heap_peak");
}

TEST(Junit, CountsFailuresAndErrorsApartAndEscapes) {
    const std::string xml = to_junit(sample_check_report(), "table <1>\n");
    EXPECT_NE(xml.find("<testsuite name=\"fw.footprint\" tests=\"3\" failures=\"1\" errors=\"1\""), std::string::npos) << xml;
    EXPECT_NE(xml.find("<testcase classname=\"fw.footprint\" name=\"net\" time=\"0\"/>"), std::string::npos);
    EXPECT_NE(xml.find("name=\"app&lt;&amp;&gt;\""), std::string::npos);
    EXPECT_NE(xml.find("<failure type=\"budget\" message=\"over by 50 &quot;bytes&quot; &amp; more\">"), std::string::npos);
    EXPECT_NE(xml.find("<error type=\"input\" message=\"libio.a: truncated\">"), std::string::npos);
    EXPECT_NE(xml.find("<system-out>table &lt;1&gt;\n</system-out>"), std::string::npos);
}

TEST(Json, ComponentsCarryBudgetMeasureAndDetails) {
    CheckReport r = sample_check_report();
    r.cases[0].details["sizes"] = {{"bss", 800}};
    const auto j = to_json(r);
    EXPECT_EQ(j["schema"], "buildbudget-check-report/1");
    EXPECT_EQ(j["passed"], false);
    EXPECT_EQ(j["components"][0]["measured_bytes"], 900);
    EXPECT_EQ(j["components"][0]["sizes"]["bss"], 800);
    EXPECT_TRUE(j["components"][2]["budget_bytes"].is_null());
}

std::string write_temp(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
}

TEST(Baseline, DeltasPerComponentWithAddedAndRemoved) {
    const std::string path = write_temp(
        "baseline.json",
        R"({"schema":"buildbudget-check-report/1","check":"footprint","components":[)"
        R"({"name":"net","measured_bytes":1000},{"name":"gone","measured_bytes":5}]})");
    const std::string out = baseline_deltas(sample_check_report(), path);
    EXPECT_NE(out.find("net       |     1000 | 900 | -100 (-10.0%)"), std::string::npos) << out;
    EXPECT_NE(out.find("app<&>    |        - | 150 | new component"), std::string::npos) << out;
    EXPECT_NE(out.find("gone      |        5 |   - |       removed"), std::string::npos) << out;
}

TEST(Baseline, ReportOfAnotherCheckIsRefused) {
    const std::string path = write_temp(
        "peak.json", R"({"schema":"buildbudget-check-report/1","check":"peak","components":[]})");
    try {
        (void)baseline_deltas(sample_check_report(), path);
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  path + ": a report of the peak check; expected one of the footprint check");
    }
}

TEST(Baseline, MalformedJsonNamesTheFile) {
    const std::string path = write_temp("broken.json", "{\"schema\": ");
    try {
        (void)baseline_deltas(sample_check_report(), path);
        FAIL() << "no error";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(path + ": not a baseline report: ", 0), 0u) << e.what();
    }
}

TEST(SignedDelta, SignsAndPercent) {
    EXPECT_EQ(signed_delta(1000, 1100), "+100 (+10.0%)");
    EXPECT_EQ(signed_delta(0, 5), "+5");
    EXPECT_EQ(signed_delta(7, 7), "0 (+0.0%)");
}

}  // namespace
}  // namespace buildbudget::report
