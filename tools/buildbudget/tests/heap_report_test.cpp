#include "runtime/heap_report.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;
using buildbudget::runtime::HeapReport;
using buildbudget::runtime::parse_heap_report;
using buildbudget::runtime::read_heap_reports;

namespace {

using buildbudget::test::TempDir;

/// A report as the preload library writes it (one line, trailing newline).
std::string report_text(int pid, const std::string& command, unsigned long long peak, unsigned long long live,
                        unsigned long long allocations, unsigned long long frees) {
    return "{\"schema\":\"buildbudget-heap-report/1\",\"pid\":" + std::to_string(pid) + ",\"command\":\"" + command +
           "\",\"peak_bytes\":" + std::to_string(peak) + ",\"final_live_bytes\":" + std::to_string(live) +
           ",\"allocations\":" + std::to_string(allocations) + ",\"frees\":" + std::to_string(frees) + "}\n";
}

/// The message of the std::runtime_error that `f` throws ("" when none).
template <typename F>
std::string heap_report_error(F f) {
    try {
        f();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(HeapReport, ReadsOneReport) {
    const TempDir tmp;
    const fs::path& dir = tmp.path();
    tmp.write("heap.4242.json", report_text(4242, "fw_selftest", 3229720, 76816, 113, 111));
    const std::vector<HeapReport> reports = read_heap_reports(dir.string());
    ASSERT_EQ(reports.size(), 1U);
    const HeapReport& r = reports[0];
    EXPECT_EQ(r.pid, 4242);
    EXPECT_EQ(r.command, "fw_selftest");
    EXPECT_EQ(r.peak_bytes, 3229720U);
    EXPECT_EQ(r.final_live_bytes, 76816U);
    EXPECT_EQ(r.allocations, 113U);
    EXPECT_EQ(r.frees, 111U);
    EXPECT_EQ(r.file, (dir / "heap.4242.json").string());
}

TEST(HeapReport, ReadsSeveralProcessesSortedByPidAndIgnoresOtherFiles) {
    const TempDir tmp;
    const fs::path& dir = tmp.path();
    tmp.write("heap.300.json", report_text(300, "child", 2101232, 0, 1, 1));
    tmp.write("heap.25.json", report_text(25, "parent", 1052656, 4104, 2, 1));
    tmp.write("heap.1000.json", report_text(1000, R"(q\\\"b\u00e9\ufffd)", 528368, 0, 1, 1));
    tmp.write(".heap.77.json.tmp", "{\"half");       // the writer's temporary file
    tmp.write("notes.txt", "not a report");
    tmp.write("heap.json", "{}");
    fs::create_directory(dir / "heap.5.json");         // not a regular file
    const std::vector<HeapReport> reports = read_heap_reports(dir.string());
    ASSERT_EQ(reports.size(), 3U);
    EXPECT_EQ(reports[0].pid, 25);
    EXPECT_EQ(reports[0].command, "parent");
    EXPECT_EQ(reports[1].pid, 300);
    EXPECT_EQ(reports[1].peak_bytes, 2101232U);
    EXPECT_EQ(reports[2].pid, 1000);
    EXPECT_EQ(reports[2].command, "q\\\"b\xc3\xa9\xef\xbf\xbd");  // JSON escapes decoded to UTF-8
}

TEST(HeapReport, EmptyDirectoryHasNoReports) {
    const TempDir tmp;
    const fs::path& dir = tmp.path();
    EXPECT_TRUE(read_heap_reports(dir.string()).empty());
}

TEST(HeapReport, MissingDirectoryIsAnError) {
    const TempDir tmp;
    const fs::path dir = tmp.path() / "nope";
    const std::string error = heap_report_error([&] { (void)read_heap_reports(dir.string()); });
    EXPECT_NE(error.find(dir.string() + ": cannot read heap report directory: "), std::string::npos) << error;
}

TEST(HeapReport, MalformedFileErrorNamesTheFile) {
    const TempDir tmp;
    const fs::path& dir = tmp.path();
    tmp.write("heap.10.json", report_text(10, "good", 100, 0, 1, 1));
    const fs::path bad = tmp.write("heap.11.json", "{\"schema\":\"buildbudget-heap-report/1\",\"pid\":11,\"command\":\"x\",\"peak_bytes\":");
    const std::string error = heap_report_error([&] { (void)read_heap_reports(dir.string()); });
    EXPECT_EQ(error.rfind(bad.string() + ": malformed heap report: ", 0), 0U) << error;
    EXPECT_NE(error.find("parse error"), std::string::npos) << error;  // nlohmann's own message
}

TEST(HeapReport, ReportsWhatIsWrong) {
    const std::string file = "/r/heap.7.json";
    const std::string good = report_text(7, "p", 100, 10, 2, 1);
    EXPECT_EQ(parse_heap_report(good, file).peak_bytes, 100U);

    struct Case {
        std::string text;
        std::string message;  // expected after "<file>: malformed heap report: "
    };
    const Case cases[] = {
        {"", "parse error"},
        {good + "{}", "parse error"},  // exactly one JSON value
        {"[1]", "expected a JSON object, found array"},
        {"{\"pid\":7}", "\"schema\" is missing"},
        {"{\"schema\":\"buildbudget-heap-report/2\"}", "\"schema\" must be \"buildbudget-heap-report/1\""},
        {"{\"schema\":\"buildbudget-heap-report/1\",\"pid\":7,\"command\":\"p\",\"final_live_bytes\":0,"
         "\"allocations\":0,\"frees\":0}",
         "\"peak_bytes\" is missing"},
        {report_text(7, "p", 100, 10, 2, 1).replace(good.find("\"peak_bytes\":100"), 16, "\"peak_bytes\":-5"),
         "\"peak_bytes\" must be a non-negative integer, not -5"},
        {report_text(7, "p", 100, 10, 2, 1).replace(good.find("\"frees\":1"), 9, "\"frees\":1.5"),
         "\"frees\" must be a non-negative integer, not 1.5"},
        {report_text(7, "p", 100, 10, 2, 1).replace(good.find("\"command\":\"p\""), 13, "\"command\":3"),
         "\"command\" must be a string, not 3"},
        {report_text(0, "p", 100, 10, 2, 1), "\"pid\" must be a process id"},
        {report_text(7, "p", 100, 200, 2, 1), "\"final_live_bytes\" (200) exceeds \"peak_bytes\" (100)"},
        {report_text(8, "p", 100, 10, 2, 1), "the file name does not match \"pid\" 8 (expected heap.8.json)"},
    };
    for (const Case& c : cases) {
        const std::string error = heap_report_error([&] { (void)parse_heap_report(c.text, file); });
        EXPECT_EQ(error.rfind(file + ": malformed heap report: ", 0), 0U) << c.text << "\n" << error;
        EXPECT_NE(error.find(c.message), std::string::npos) << c.text << "\n" << error;
    }
}
