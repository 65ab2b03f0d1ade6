#include "runtime/heap_report.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <nlohmann/json.hpp>

namespace buildbudget::runtime {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void malformed(const std::string& file, const std::string& what) {
    throw std::runtime_error(file + ": malformed heap report: " + what);
}

/// The member `key` of `object` as a non-negative integer.
std::uint64_t unsigned_member(const nlohmann::json& object, const char* key, const std::string& file) {
    const auto it = object.find(key);
    if (it == object.end()) malformed(file, std::string("\"") + key + "\" is missing");
    // nlohmann keeps non-negative integers as number_unsigned; negative ones
    // are number_integer and fractions number_float.
    if (!it->is_number_unsigned()) {
        malformed(file, std::string("\"") + key + "\" must be a non-negative integer, not " + it->dump());
    }
    return it->get<std::uint64_t>();
}

/// True for `heap.<digits>.json`.
bool is_report_name(const std::string& name) {
    static const std::string prefix = "heap.";
    static const std::string suffix = ".json";
    if (name.size() <= prefix.size() + suffix.size()) return false;
    if (name.compare(0, prefix.size(), prefix) != 0) return false;
    if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
    const auto digits_begin = name.begin() + static_cast<std::ptrdiff_t>(prefix.size());
    const auto digits_end = name.end() - static_cast<std::ptrdiff_t>(suffix.size());
    return std::all_of(digits_begin, digits_end, [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): the text, then where it came from
HeapReport parse_heap_report(const std::string& text, const std::string& file) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);  // the whole text: trailing data is an error
    } catch (const nlohmann::json::parse_error& e) {
        malformed(file, e.what());
    }
    if (!doc.is_object()) malformed(file, std::string("expected a JSON object, found ") + doc.type_name());

    const auto schema = doc.find("schema");
    if (schema == doc.end()) malformed(file, "\"schema\" is missing");
    if (!schema->is_string() || schema->get<std::string>() != heap_report_schema) {
        malformed(file, "\"schema\" must be \"" + std::string(heap_report_schema) + "\", not " + schema->dump());
    }

    HeapReport report;
    report.file = file;

    const std::uint64_t pid = unsigned_member(doc, "pid", file);
    if (pid == 0 || pid > static_cast<std::uint64_t>(INT_MAX)) {
        malformed(file, "\"pid\" must be a process id (1.." + std::to_string(INT_MAX) + "), not " +
                            std::to_string(pid));
    }
    report.pid = static_cast<int>(pid);

    const auto command = doc.find("command");
    if (command == doc.end()) malformed(file, "\"command\" is missing");
    if (!command->is_string()) malformed(file, "\"command\" must be a string, not " + command->dump());
    report.command = command->get<std::string>();

    report.peak_bytes = unsigned_member(doc, "peak_bytes", file);
    report.final_live_bytes = unsigned_member(doc, "final_live_bytes", file);
    report.allocations = unsigned_member(doc, "allocations", file);
    report.frees = unsigned_member(doc, "frees", file);
    if (report.final_live_bytes > report.peak_bytes) {
        malformed(file, "\"final_live_bytes\" (" + std::to_string(report.final_live_bytes) +
                            ") exceeds \"peak_bytes\" (" + std::to_string(report.peak_bytes) + ")");
    }

    const std::string name = fs::path(file).filename().string();
    if (is_report_name(name) && name != "heap." + std::to_string(report.pid) + ".json") {
        malformed(file, "the file name does not match \"pid\" " + std::to_string(report.pid) + " (expected heap." +
                            std::to_string(report.pid) + ".json)");
    }
    return report;
}

std::vector<HeapReport> read_heap_reports(const std::string& dir) {
    std::vector<std::string> files;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) throw std::runtime_error(dir + ": cannot read heap report directory: " + ec.message());
    for (const fs::directory_iterator end; it != end; it.increment(ec)) {
        if (ec) break;
        if (!is_report_name(it->path().filename().string())) continue;
        std::error_code type_ec;  // a directory or other non-file with such a name is not a report
        if (it->is_regular_file(type_ec)) files.push_back(it->path().string());
    }
    if (ec) throw std::runtime_error(dir + ": cannot read heap report directory: " + ec.message());

    std::vector<HeapReport> reports;
    reports.reserve(files.size());
    for (const std::string& file : files) {
        std::ifstream in(file, std::ios::binary);
        std::ostringstream text;
        if (in) text << in.rdbuf();
        if (!in) throw std::runtime_error(file + ": cannot read heap report: " + std::strerror(errno));
        reports.push_back(parse_heap_report(text.str(), file));
    }
    std::sort(reports.begin(), reports.end(),
              [](const HeapReport& a, const HeapReport& b) { return a.pid < b.pid; });
    return reports;
}

}  // namespace buildbudget::runtime
