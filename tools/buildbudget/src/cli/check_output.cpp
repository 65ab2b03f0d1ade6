#include "cli/check_output.hpp"

#include "cli/options.hpp"

#include <iostream>

namespace buildbudget::cli {

void add_check_output_options(CLI::App& cmd, CheckOutputOptions& options) {
    cmd.add_flag("--json", options.json, "Print the JSON report on stdout instead of the table");
    cmd.add_option("--report", options.report_path, "Write the JSON report (buildbudget-check-report/1) here");
    cmd.add_option("--junit", options.junit_path, "Write a JUnit XML file here");
    cmd.add_option("--baseline", options.baseline_path,
                   "A JSON report of an earlier run: print the delta per component");
}

const char* mark(bool passed) { return passed ? "\u2713" : "\u2717"; }

int finish_check(const report::CheckReport& report, const std::string& table, const CheckOutputOptions& options) {
    int code = report.passed() ? 0 : 1;
    std::string deltas;
    if (!options.baseline_path.empty()) {
        try {
            deltas = report::baseline_deltas(report, options.baseline_path);
        } catch (const std::runtime_error& e) {
            print_error(e.what());
            code = 1;
        }
    }
    std::string console = table;
    for (const auto& c : report.cases) {
        if (!c.passed) console += program_diagnostic("error", report.suite() + ": " + c.message) + "\n";
    }
    console += deltas;
    if (options.json) {
        std::cout << report::to_json(report).dump(2) << '\n';
    } else {
        std::cout << table << deltas;
        for (const auto& c : report.cases) {
            if (!c.passed) print_error(report.suite() + ": " + c.message);
        }
    }
    if (!report::write_reports(report, console, options.report_path, options.junit_path)) code = 1;
    return code;
}

std::vector<std::pair<std::string, std::string>> split_assignments(const std::vector<std::string>& items,
                                                                   const char* option) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& item : items) {
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
            throw CLI::ValidationError(option, "expected COMPONENT=VALUE, got \"" + item + "\"");
        }
        out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    }
    return out;
}

}  // namespace buildbudget::cli
