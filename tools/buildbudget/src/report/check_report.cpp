#include "report/check_report.hpp"

#include "common/diagnostics.hpp"
#include "common/output_file.hpp"
#include "report/table.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>

namespace buildbudget::report {
namespace {

/// XML character escaping (XML 1.0 §2.4); control characters other than tab,
/// newline and carriage return are not allowed in XML 1.0 and become '?'.
std::string xml_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
                    out += '?';
                } else {
                    out += c;
                }
        }
    }
    return out;
}

}  // namespace

bool CheckReport::passed() const {
    for (const auto& c : cases) {
        if (!c.passed) return false;
    }
    return true;
}

std::string CheckReport::suite() const { return name.empty() ? set + "." + check : name; }

std::string bytes(std::uint64_t n) { return std::to_string(n); }

std::string signed_delta(std::uint64_t before, std::uint64_t now) {
    const auto diff = static_cast<long long>(now) - static_cast<long long>(before);
    std::string out = (diff > 0 ? "+" : "") + std::to_string(diff);
    if (before != 0) {
        char pct[32];
        std::snprintf(pct, sizeof pct, "%+.1f%%", 100.0 * static_cast<double>(diff) / static_cast<double>(before));
        out += std::string(" (") + pct + ")";
    }
    return out;
}

nlohmann::ordered_json to_json(const CheckReport& report) {
    using nlohmann::ordered_json;
    ordered_json components = ordered_json::array();
    for (const auto& c : report.cases) {
        ordered_json j = {{"name", c.component},
                          {"passed", c.passed},
                          {"error", c.error},
                          {"budget_bytes", c.budget_bytes ? ordered_json(*c.budget_bytes) : ordered_json(nullptr)},
                          {"measured_bytes", c.measured_bytes},
                          {"message", c.message}};
        for (const auto& [key, value] : c.details.items()) j[key] = value;
        components.push_back(std::move(j));
    }
    return {{"schema", "buildbudget-check-report/1"}, {"set", report.set},         {"check", report.check},
            {"measure", report.measure},             {"passed", report.passed()}, {"components", components}};
}

std::string to_junit(const CheckReport& report, const std::string& console) {
    std::size_t failures = 0;
    std::size_t errors = 0;
    for (const auto& c : report.cases) {
        if (c.error) {
            ++errors;
        } else if (!c.passed) {
            ++failures;
        }
    }
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3f", report.seconds);
    const std::string suite = xml_escape(report.suite());
    const std::string counts = " tests=\"" + std::to_string(report.cases.size()) + "\" failures=\"" +
                               std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\" time=\"" +
                               seconds + "\"";
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<testsuites name=\"buildbudget\"" + counts + ">\n";
    out += "  <testsuite name=\"" + suite + "\"" + counts + ">\n";
    for (const auto& c : report.cases) {
        out += "    <testcase classname=\"" + suite + "\" name=\"" + xml_escape(c.component) + "\" time=\"0\"";
        if (c.passed) {
            out += "/>\n";
            continue;
        }
        const char* tag = c.error ? "error" : "failure";
        out += ">\n      <" + std::string(tag) + " type=\"" + (c.error ? "input" : "budget") + "\" message=\"" +
               xml_escape(c.message) + "\">" + xml_escape(c.message) + "</" + tag + ">\n    </testcase>\n";
    }
    out += "    <system-out>" + xml_escape(console) + "</system-out>\n";
    out += "  </testsuite>\n</testsuites>\n";
    return out;
}

std::string baseline_deltas(const CheckReport& report, const std::string& baseline_path) {
    std::ifstream in(baseline_path, std::ios::binary);
    if (!in) throw std::runtime_error(baseline_path + ": cannot read the baseline report: " + std::strerror(errno));
    std::map<std::string, std::uint64_t> before;
    std::vector<std::string> order;
    try {
        const auto j = nlohmann::json::parse(in);
        if (j.value("schema", std::string()) != "buildbudget-check-report/1") {
            throw std::runtime_error("not a buildbudget check report (expected \"schema\": \"buildbudget-check-report/1\")");
        }
        if (j.at("check").get<std::string>() != report.check) {
            throw std::runtime_error("a report of the " + j.at("check").get<std::string>() + " check; expected one of the " +
                                     report.check + " check");
        }
        for (const auto& c : j.at("components")) {
            const auto name = c.at("name").get<std::string>();
            before[name] = c.at("measured_bytes").get<std::uint64_t>();
            order.push_back(name);
        }
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(baseline_path + ": not a baseline report: " + e.what());
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(baseline_path + ": " + e.what());
    }

    std::vector<std::vector<std::string>> rows;
    for (const auto& c : report.cases) {
        const auto it = before.find(c.component);
        if (it == before.end()) {
            rows.push_back({c.component, "-", bytes(c.measured_bytes), "new component"});
        } else {
            rows.push_back({c.component, bytes(it->second), bytes(c.measured_bytes), signed_delta(it->second, c.measured_bytes)});
            before.erase(it);
        }
    }
    for (const auto& name : order) {
        if (before.count(name) != 0) rows.push_back({name, bytes(before[name]), "-", "removed"});
    }
    return "Against the baseline " + baseline_path + " (" + report.measure + ", bytes):\n" +
           render_table({"Component", "Baseline", "Now", "Delta"}, rows,
                        {Align::left, Align::right, Align::right, Align::right});
}

// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): named at every call site
bool write_reports(const CheckReport& report, const std::string& console, const std::string& json_path,
                   const std::string& junit_path) {
    bool ok = true;
    const auto write = [&](const std::string& path, const std::string& content) {
        if (path.empty()) return;
        std::string error;
        if (write_file_if_changed(path, content, error) == WriteResult::failed) {
            print_error(error);
            ok = false;
        }
    };
    write(json_path, to_json(report).dump(2) + "\n");
    write(junit_path, to_junit(report, console));
    return ok;
}

}  // namespace buildbudget::report
