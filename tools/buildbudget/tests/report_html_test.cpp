// The budget report's page (report/report_html, doc/helper-report.md "The page"): names that try
// to end the script element or open a comment, the embedded report parsed back, no link leaving
// the page's directory, the tables' numbers, missing and mistyped fields, invalid UTF-8. What the
// page's script draws is checked in real Chromium by tests/test_report_page.py.
#include "report/report_html.hpp"
#include "common/text.hpp"
#include "page_text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <stdexcept>
#include <string>

namespace buildbudget::report {
namespace {

using json = nlohmann::ordered_json;

const std::string report_data_open = R"(<script type="application/json" id="report-data">)";

std::string embedded_report_json(const std::string& page) { return test::script_text(page, report_data_open); }

/// The element from `<tag` with `attribute` to its end tag (no nesting of the same tag inside).
std::string element(const std::string& page, const std::string& tag, const std::string& attribute) {
    const auto at = page.find(attribute);
    if (at == std::string::npos) return {};
    const auto start = page.rfind("<" + tag, at);
    const auto end = page.find("</" + tag + ">", at);
    return page.substr(start, end + tag.size() + 3 - start);
}

/// A report as `buildbudget report` writes it (schema buildbudget-report/1): two components (one
/// near its budget, one over), two modules (one with a treemap), a build with a job the OOM
/// killer ended, figures with a baseline and history.
json sample_report() {
    return json::parse(R"({
  "schema": "buildbudget-report/1", "tool": "buildbudget 0.1.0", "commit": "0123456789abcdef0123",
  "created": "2026-12-06T21:00:00Z", "build_dir": "/work/build", "status": "over",
  "budgets": [
    {"set": "fw", "component": "net", "budget_bytes": 1048576, "static_ram_bytes": 1000000, "heap_peak_bytes": 76816,
     "status": "ok", "checks": []},
    {"set": "fw", "component": "ui", "budget_bytes": 65536, "static_ram_bytes": 70000, "heap_peak_bytes": null,
     "status": "over", "checks": []}
  ],
  "wasm": [
    {"name": "clash", "file": "/work/build/clash.wasm", "raw": 6367, "gzip": 2656, "brotli": 1800,
     "limits": {"raw": 8192, "gzip": 2048, "brotli": null}, "status": "over", "analysis": null,
     "treemap": "wasm/clash treemap.html"},
    {"name": "tiny", "file": "/work/build/tiny.wasm", "raw": 100, "gzip": null, "brotli": null,
     "limits": {"raw": null, "gzip": null, "brotli": null}, "status": "ok", "analysis": null, "treemap": null}
  ],
  "build_memory": {"log": "/work/build/jobs.jsonl", "memory_limit_bytes": 2147483648,
    "pools": {"compile": 2, "link": 1}, "peak_bytes": 1500000000,
    "jobs": [
      {"kind": "compile", "name": "a.cpp", "start_ms": 0, "end_ms": 1200, "peak_rss": 700000000, "exit_code": 0,
       "killed": false, "oom": false, "samples": [[0, 100000000], [500, 700000000]]},
      {"kind": "compile", "name": "big.cpp", "start_ms": 100, "end_ms": 900, "peak_rss": 800000000, "exit_code": 137,
       "killed": true, "oom": true, "samples": []},
      {"kind": "link", "name": "app", "start_ms": 1300, "end_ms": 2000, "peak_rss": 300000000, "exit_code": 0,
       "killed": false, "oom": false, "samples": []}
    ]},
  "figures": [
    {"key": "budget/fw/net/static_ram", "label": "fw net static RAM", "value": 1000000, "limit": 1048576,
     "unit": "bytes", "baseline": 990000, "delta": 10000, "change": "grew",
     "history": [["aaaa", 980000], ["bbbb", 990000], ["0123456789abcdef0123", 1000000]]},
    {"key": "budget/fw/ui/static_ram", "label": "fw ui static RAM", "value": 70000, "limit": 65536, "unit": "bytes",
     "baseline": 60000, "delta": 10000, "change": "grew", "history": [["bbbb", 60000]]},
    {"key": "wasm/clash/raw", "label": "clash raw", "value": 6367, "limit": 8192, "unit": "bytes", "baseline": 6400,
     "delta": -33, "change": "shrank", "history": []},
    {"key": "wasm/tiny/raw", "label": "tiny raw", "value": 100, "limit": null, "unit": "bytes", "baseline": null,
     "delta": null, "change": "new", "history": []}
  ],
  "summary": {"over": 2, "errors": 0, "grew": 2, "shrank": 1, "new": 1, "removed": 0}
})");
}

TEST(ReportHtml, EmbeddedJsonParsesBackToTheReport) {
    const json report = sample_report();
    const std::string page = report_html(report);
    const std::string text = embedded_report_json(page);
    ASSERT_FALSE(text.empty()) << page;
    EXPECT_EQ(json::parse(text), report);
    EXPECT_EQ(page.rfind("<!DOCTYPE html>\n", 0), 0U);
    EXPECT_NE(page.find("<title>BuildBudget report \xE2\x80\x94 0123456789ab</title>"), std::string::npos);
}

TEST(ReportHtml, HostileNamesCannotEndTheScriptElementOrOpenAComment) {
    const std::string evil = "</script><!--<SCRIPT>alert(1)</ScRiPt >\xE2\x80\xA8&amp;";
    json report = sample_report();
    report["commit"] = evil;
    report["build_dir"] = evil;
    report["budgets"][0]["set"] = evil;
    report["budgets"][0]["component"] = evil;
    report["wasm"][0]["name"] = evil;
    report["build_memory"]["jobs"][1]["name"] = evil;
    report["build_memory"]["log"] = evil;
    report["figures"][0]["label"] = evil;
    report["figures"][0]["key"] = evil;
    report["figures"][0]["history"][0][0] = evil;
    const std::string page = report_html(report);
    const std::string low = ascii_lower(page);
    // Exactly the page's own two script elements, and no comment opener anywhere.
    EXPECT_EQ(test::occurrences(low, "<script"), 2U);
    EXPECT_EQ(test::occurrences(low, "</script"), 2U);
    EXPECT_EQ(test::occurrences(page, "<!--"), 0U);
    EXPECT_EQ(test::occurrences(page, "alert(1)</"), 0U);
    const std::string text = embedded_report_json(page);
    EXPECT_EQ(text.find_first_of("<>&"), std::string::npos) << text;
    EXPECT_EQ(test::occurrences(text, "\xE2\x80\xA8"), 0U);
    EXPECT_EQ(json::parse(text), report);  // the same names, escapes and all
    // The tables show the names as text.
    EXPECT_NE(page.find("&lt;/script&gt;&lt;!--&lt;SCRIPT&gt;alert(1)&lt;/ScRiPt &gt;\xE2\x80\xA8&amp;amp;"),
              std::string::npos);
    EXPECT_EQ(page.substr(page.find(report_data_open) + report_data_open.size() + text.size(), 10), "</script>\n");
}

TEST(ReportHtml, NoLinkLeavesThePageExceptTheTreemapBesideIt) {
    json report = sample_report();
    report["wasm"][1]["treemap"] = "javascript:alert(1)";
    report["wasm"].push_back(report["wasm"][1]);
    report["wasm"][2]["name"] = "far";
    report["wasm"][2]["treemap"] = "https://example.com/x.html";
    report["wasm"].push_back(report["wasm"][1]);
    report["wasm"][3]["name"] = "net";
    report["wasm"][3]["treemap"] = "//example.com/x.html";
    std::string page = report_html(report);
    // The report's own strings sit in the embedded JSON as data; no markup outside it links them.
    page.erase(page.find(report_data_open), report_data_open.size() + embedded_report_json(page).size());
    for (const char* ref : {"src=", "http:", "https:", "javascript:", "url(", "@import", "<link", "<iframe", "fetch(",
                            "XMLHttpRequest", "example.com"}) {
        EXPECT_EQ(ascii_lower(page).find(ref), std::string::npos) << ref;
    }
    EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
    // Every href is a fragment of the page or the one treemap, percent-encoded as a relative path.
    const std::regex href(R"re(href="([^"]*)")re");
    std::size_t treemaps = 0;
    for (auto it = std::sregex_iterator(page.begin(), page.end(), href); it != std::sregex_iterator(); ++it) {
        const std::string target = (*it)[1];
        if (target.rfind('#', 0) == 0) continue;
        EXPECT_EQ(target, "wasm/clash%20treemap.html");
        ++treemaps;
    }
    EXPECT_EQ(treemaps, 1U);
}

TEST(ReportHtml, TheBudgetsTableHoldsTheValues) {
    const std::string page = report_html(sample_report());
    const std::string net = element(page, "tr", R"(data-row="budget" data-name="fw/net")");
    ASSERT_FALSE(net.empty()) << page;
    EXPECT_NE(net.find(R"(data-col="budget" data-bytes="1048576">1,048,576 bytes (1 MiB)</td>)"), std::string::npos)
        << net;
    // 1,000,000 of 1,048,576 is 95.4%: near (above 90%); it grew by 10,000 bytes since the baseline.
    EXPECT_NE(net.find(R"(<td class="n near" data-col="static_ram" data-bytes="1000000">1,000,000 bytes (976.56 KiB), 95.4%)"),
              std::string::npos)
        << net;
    EXPECT_NE(net.find("\xE2\x96\xB2 +10,000 bytes (9.77 KiB)"), std::string::npos) << net;
    EXPECT_NE(net.find(R"(data-col="heap_peak" data-bytes="76816">76,816 bytes (75.02 KiB), 7.3%)"), std::string::npos);
    EXPECT_NE(net.find(R"(<td class="n near" data-col="headroom" data-bytes="48576">48,576 bytes)"), std::string::npos);
    EXPECT_EQ(net.rfind(R"(<tr data-row="budget" data-name="fw/net" class="near">)", 0), 0U) << net;
    const std::string ui = element(page, "tr", R"(data-row="budget" data-name="fw/ui")");
    EXPECT_NE(ui.find(R"(data-col="headroom" data-bytes="-4464">over by 4,464 bytes (4.36 KiB))"), std::string::npos) << ui;
    EXPECT_NE(ui.find(R"(<td class="n none" data-col="heap_peak">)"), std::string::npos) << ui;
    EXPECT_NE(ui.find(R"(class="over")"), std::string::npos);
    EXPECT_EQ(test::occurrences(page, R"(data-row="budget")"), 2U);
}

TEST(ReportHtml, AFigureJustWithinOrOverItsBudgetNeverReadsAsAHundredPercent) {
    json report = sample_report();
    report["budgets"][0]["static_ram_bytes"] = 1048575;  // 99.9999%
    report["budgets"][0]["heap_peak_bytes"] = 1048577;   // 100.0001%
    report["budgets"][1]["static_ram_bytes"] = 65536;    // exactly
    const std::string page = report_html(report);
    const std::string net = element(page, "tr", R"(data-row="budget" data-name="fw/net")");
    EXPECT_NE(net.find("1,048,575 bytes (1024 KiB), 99.9%"), std::string::npos) << net;
    EXPECT_NE(net.find("1,048,577 bytes (1 MiB), 100.1%"), std::string::npos) << net;
    EXPECT_NE(element(page, "tr", R"(data-name="fw/ui")").find("65,536 bytes (64 KiB), 100.0%"), std::string::npos);
}

TEST(ReportHtml, TheWasmTableHoldsSizesLimitsAndTheTreemap) {
    const std::string page = report_html(sample_report());
    const std::string clash = element(page, "tr", R"(data-row="wasm" data-name="clash")");
    ASSERT_FALSE(clash.empty());
    EXPECT_NE(clash.find(R"(<td class="n ok" data-col="raw" data-bytes="6367">6,367 bytes (6.22 KiB), 77.7%)"),
              std::string::npos)
        << clash;
    EXPECT_NE(clash.find("\xE2\x96\xBC \xE2\x88\x92" "33 bytes"), std::string::npos) << clash;  // shrank by 33
    EXPECT_NE(clash.find(R"(data-col="raw_limit" data-bytes="8192">8,192 bytes (8 KiB)</td>)"), std::string::npos);
    EXPECT_NE(clash.find(R"(<td class="n over" data-col="gzip" data-bytes="2656">)"), std::string::npos);
    EXPECT_NE(clash.find(R"(<td class="n none" data-col="brotli_limit">)"), std::string::npos);
    EXPECT_NE(clash.find(R"(<a href="wasm/clash%20treemap.html">treemap</a>)"), std::string::npos);
    const std::string tiny = element(page, "tr", R"(data-row="wasm" data-name="tiny")");
    EXPECT_NE(tiny.find(R"(data-col="raw" data-bytes="100">100 bytes <span class="chg new">new</span>)"),
              std::string::npos)
        << tiny;
    EXPECT_NE(tiny.find(R"(<td class="n none" data-col="gzip">)"), std::string::npos);
}

TEST(ReportHtml, TheJobTableMarksTheOomKilledJob) {
    const std::string page = report_html(sample_report());
    const std::string table = element(page, "table", R"(id="build-memory-table")");
    EXPECT_NE(table.find("Build jobs: 3 in /work/build/jobs.jsonl; peak of jobs at once 1,500,000,000 bytes (1.4 GiB); "
                         "memory limit 2,147,483,648 bytes (2 GiB); compile pool 2 jobs; link pool 1 jobs"),
              std::string::npos)
        << table;
    const std::string big = element(table, "tr", R"(data-name="big.cpp")");
    EXPECT_NE(big.find(R"(class="killed")"), std::string::npos);
    EXPECT_NE(big.find(R"(<td class="oom" data-col="killed"><span class="oom-mark">)" "\xE2\x9C\x95</span> OOM-killed"),
              std::string::npos)
        << big;
    EXPECT_NE(big.find(R"(data-col="duration_ms" data-ms="800">800</td>)"), std::string::npos);
    EXPECT_NE(big.find(R"(data-col="exit_code">137</td>)"), std::string::npos);
    json signal = sample_report();
    signal["build_memory"]["jobs"][1]["oom"] = false;  // killed, by a signal
    const std::string by_signal = element(report_html(signal), "tr", R"(data-name="big.cpp")");
    EXPECT_NE(by_signal.find("</span> killed by a signal</td>"), std::string::npos) << by_signal;
    const std::string a = element(table, "tr", R"(data-name="a.cpp")");
    EXPECT_NE(a.find(R"(data-col="samples">2</td>)"), std::string::npos);
    EXPECT_NE(a.find(R"(data-col="killed">no</td>)"), std::string::npos);
    EXPECT_EQ(test::occurrences(table, R"(data-row="job")"), 3U);
}

TEST(ReportHtml, BuildMemorySaysWhereRemoteCompilesWerePreprocessedAndSccachesCounts) {
    json report = sample_report();
    report["build_memory"]["distributed"] = json::parse(R"({"remote": 4, "local": 1, "fallback": 0, "failed": 0,
        "preprocessed": {"local": 3, "remote": 1}, "failed_hosts": {}})");
    report["build_memory"]["sccache"] = json::parse(R"({"program": "/opt/<b>sccache&", "port": 4226, "running": true,
        "hits": 1, "misses": 2, "not_cacheable": 8, "compile_requests": 11, "hits_by_language": {"Rust": 1},
        "misses_by_language": {"C/C++": 1, "Rust": 1}, "location": "Local disk: \"/root/.cache/sccache\""})");
    const std::string section = element(report_html(report), "section", R"(id="build-memory")");
    // Under the chart and before the job table (which the script folds), as text: escaped.
    const std::string preprocessed = "<p class=\"fact\" id=\"build-memory-preprocessed\">Where the remote compiles were "
                                     "preprocessed: 3 here (icecream, plain distcc, or distcc pump mode without the "
                                     "include server&#39;s includes), 1 on their hosts (distcc pump mode).</p>\n";
    const std::string sccache =
        "<p class=\"fact\" id=\"build-memory-sccache\">sccache (/opt/&lt;b&gt;sccache&amp;, server on port 4226, counts "
        "since it started or was zeroed, every build that used it, cache Local disk: &quot;/root/.cache/sccache&quot;): "
        "1 hit (Rust 1), 2 misses (C/C++ 1, Rust 1), 8 not cacheable, of 11 compile requests</p>\n";
    const std::string farm = "<p class=\"fact\" id=\"build-memory-farm\">Compile farm (the last build): 4 remote, 1 local, "
                             "0 fell back to a local compile, 0 failed to distribute.</p>\n";
    EXPECT_NE(section.find("id=\"build-memory-chart\"></div>\n" + farm + preprocessed + sccache + "<details class=\"numbers\""),
              std::string::npos)
        << section;
    // Its counts null: sccache ran but could not be asked; no server: no counts.
    report["build_memory"]["sccache"] = nullptr;
    EXPECT_NE(report_html(report).find("<p class=\"fact\" id=\"build-memory-sccache\">sccache ran through cargo&#39;s "
                                       "rustc wrapper, but its counts could not be read.</p>\n"),
              std::string::npos);
    report["build_memory"]["sccache"] = {{"program", "sccache"}, {"port", 4300}, {"running", false}};
    EXPECT_NE(report_html(report).find("<p class=\"fact\" id=\"build-memory-sccache\">sccache: no server runs on port "
                                       "4300 (its hit and miss counts"),
              std::string::npos);
    // No remote compile (or none whose preprocessing the farm records) and no sccache: the farm's counts alone.
    report["build_memory"]["distributed"]["preprocessed"] = {{"local", 0}, {"remote", 0}};
    report["build_memory"].erase("sccache");
    const std::string page = report_html(report);
    EXPECT_EQ(test::occurrences(page, "class=\"fact\""), 1U) << page;
    EXPECT_NE(page.find(farm), std::string::npos) << page;
    report["build_memory"].erase("distributed");
    EXPECT_EQ(report_html(report).find("class=\"fact\""), std::string::npos);
}

TEST(ReportHtml, BuildMemorySaysTheCompileFarmsCountsAndTheHostsThatFailed) {
    json report = sample_report();
    // A host name is the engine's text: escaped on the page.
    report["build_memory"]["distributed"] = json::parse(R"({"remote": 7, "local": 2, "fallback": 3, "failed": 1,
        "preprocessed": {"local": 0, "remote": 0}, "failed_hosts": {"10.0.0.5:3632": 3, "<b>&h:1": 1}})");
    const std::string section = element(report_html(report), "section", R"(id="build-memory")");
    // In lowmem_report's words (doc/lowmem-distributed.md), for report.json's last build; no preprocessed paragraph.
    EXPECT_NE(section.find("id=\"build-memory-chart\"></div>\n<p class=\"fact\" id=\"build-memory-farm\">Compile farm "
                           "(the last build): 7 remote, 2 local, 3 fell back to a local compile, 1 failed to distribute; "
                           "hosts that failed (the compiles each failed, which went to another host or fell back): "
                           "10.0.0.5:3632 3, &lt;b&gt;&amp;h:1 1.</p>\n<details class=\"numbers\""),
              std::string::npos)
        << section;
    // A count that is not a count reads as 0; a failed host without one is left out.
    report["build_memory"]["distributed"]["fallback"] = "three";
    report["build_memory"]["distributed"]["failed_hosts"] = {{"10.0.0.5:3632", -1}};
    EXPECT_NE(report_html(report).find("id=\"build-memory-farm\">Compile farm (the last build): 7 remote, 2 local, 0 fell "
                                       "back to a local compile, 1 failed to distribute.</p>\n"),
              std::string::npos);
}

TEST(ReportHtml, ChangesAndTrendsTables) {
    const std::string page = report_html(sample_report());
    const std::string changes = element(page, "table", R"(id="changes-table")");
    EXPECT_NE(changes.find("Changes since the baseline: 2 grew, 1 shrank, 1 new, 0 removed, 2 over"), std::string::npos)
        << changes;
    const std::string ui = element(changes, "tr", R"(data-name="budget/fw/ui/static_ram")");
    EXPECT_NE(ui.find(R"(class="grew over")"), std::string::npos) << ui;
    EXPECT_NE(ui.find(R"(data-col="delta" data-bytes="10000">+10,000 bytes (9.77 KiB)</td>)"), std::string::npos);
    EXPECT_NE(ui.find("crossed its limit"), std::string::npos);  // 60,000 then 70,000 against 65,536
    const std::string net = element(changes, "tr", R"(data-name="budget/fw/net/static_ram")");
    EXPECT_EQ(net.find("its limit"), std::string::npos);
    EXPECT_NE(net.find("grew</span>"), std::string::npos);
    EXPECT_EQ(test::occurrences(changes, R"(data-row="change")"), 4U);
    // Only the figure with at least two points of history is a trend.
    const std::string trends = element(page, "table", R"(id="trends-table")");
    EXPECT_EQ(test::occurrences(trends, R"(data-row="trend")"), 1U);
    EXPECT_NE(trends.find(R"(<li data-commit="bbbb" data-bytes="990000"><code>bbbb</code> 990,000 bytes (966.8 KiB)</li>)"),
              std::string::npos)
        << trends;
    EXPECT_NE(trends.find("<code>0123456789ab</code> 1,000,000 bytes"), std::string::npos);
}

TEST(ReportHtml, TheHeadingNamesTheBaseline) {
    json report = sample_report();
    EXPECT_EQ(report_html(report).find("<dt>Baseline</dt>"), std::string::npos);
    report["baseline"] = {{"file", "/ci/main/report.json"}, {"commit", "fedcba9876543210"},
                          {"created", "2026-12-05T10:00:00Z"}, {"fail_above_bytes", nullptr}, {"fail_above_percent", nullptr}};
    EXPECT_NE(report_html(report).find(
                  "<dt>Baseline</dt><dd>fedcba987654, 2026-12-05T10:00:00Z, /ci/main/report.json</dd>"),
              std::string::npos);
}

TEST(ReportHtml, GrowthLimitsCrossedAreListedAndFlagged) {
    json report = sample_report();
    report["growth"] = json::array(
        {{{"key", "wasm/clash/raw"}, {"message", "clash raw: grew from 6000 to 6367 bytes (+367 bytes, +6.1%), "
                                                "more than --fail-above-bytes 100 bytes"}}});
    report["summary"]["growth_limit"] = 1;
    const std::string page = report_html(report);
    EXPECT_NE(page.find("Grew more than a growth limit allows:</p>\n<ul id=\"growth\" class=\"growth\">\n"
                        "<li data-name=\"wasm/clash/raw\">clash raw: grew from 6000 to 6367 bytes (+367 bytes, +6.1%), "
                        "more than --fail-above-bytes 100 bytes</li>\n</ul>\n"),
              std::string::npos)
        << page.substr(0, 600);
    const std::string row = element(element(page, "table", R"(id="changes-table")"), "tr", R"(data-name="wasm/clash/raw")");
    EXPECT_NE(row.find(R"(<span class="chg over growth" title="clash raw: grew from 6000)"), std::string::npos) << row;
    EXPECT_NE(row.find(">over the growth limit</span>"), std::string::npos);
    // Without crossed limits, no list.
    EXPECT_EQ(report_html(sample_report()).find("id=\"growth\""), std::string::npos);
}

TEST(ReportHtml, AnEmptyOrOddReportSaysWhatIsMissing) {
    json report = sample_report();
    report["budgets"] = json::array();
    report["wasm"] = "not a list";
    report["build_memory"] = nullptr;
    report["figures"] = json::array({{{"key", 7}, {"value", "big"}, {"history", {1, 2}}, {"change", nullptr}}});
    std::string page;
    ASSERT_NO_THROW(page = report_html(report));
    EXPECT_EQ(test::occurrences(page, "<table"), 0U);
    EXPECT_NE(page.find("No memory budgets"), std::string::npos);
    EXPECT_NE(page.find("No WebAssembly modules"), std::string::npos);
    EXPECT_NE(page.find("No build-memory log"), std::string::npos);
    EXPECT_NE(page.find("No history"), std::string::npos);
    EXPECT_NE(page.find("No baseline"), std::string::npos);
    ASSERT_NO_THROW((void)report_html(json::object()));
    ASSERT_NO_THROW((void)report_html(json::array()));
}

TEST(ReportHtml, InvalidUtf8BecomesReplacementCharacters) {
    json report = sample_report();
    report["budgets"][0]["component"] = std::string("a\x80" "b\xC3");
    report["commit"] = "abcdefghijk\xC3\xA9xyz";  // a short form of 12 bytes would cut the \xC3\xA9 in two
    std::string page;
    ASSERT_NO_THROW(page = report_html(report));
    EXPECT_NO_THROW((void)json(page).dump());  // the whole page is valid UTF-8
    EXPECT_NE(page.find("a\xEF\xBF\xBD" "b\xEF\xBF\xBD"), std::string::npos);
    EXPECT_NE(page.find("<title>BuildBudget report \xE2\x80\x94 abcdefghijk</title>"), std::string::npos);
}

TEST(ReportHtml, Deterministic) {
    EXPECT_EQ(report_html(sample_report()), report_html(sample_report()));
}

TEST(ReportHtml, AMissingTemplateIsAnError) {
    ASSERT_EQ(::setenv("BUILDBUDGET_TEMPLATES_DIR", "/nonexistent/templates", 1), 0);
    try {
        (void)report_html(sample_report());
        ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("report/report.html is missing"), std::string::npos) << e.what();
    }
    ::unsetenv("BUILDBUDGET_TEMPLATES_DIR");
}

}  // namespace
}  // namespace buildbudget::report
