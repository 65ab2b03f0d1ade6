// What every budget check does with its result: print the console table and
// the failures, the deltas against --baseline, write --report and --junit,
// or print the JSON report with --json.
#pragma once

#include "report/check_report.hpp"

#include <CLI/CLI.hpp>

#include <string>
#include <utility>
#include <vector>

namespace buildbudget::cli {

struct CheckOutputOptions {
    bool json = false;
    std::string report_path;
    std::string junit_path;
    std::string baseline_path;
};

/// Adds --json, --report, --junit and --baseline to `cmd`.
void add_check_output_options(CLI::App& cmd, CheckOutputOptions& options);

/// Prints `table` and one `error: <suite>: <message>` line per failing
/// component, the baseline deltas, writes the reports; returns the exit code
/// (0 passed, 1 failed or a report could not be written or the baseline read).
int finish_check(const report::CheckReport& report, const std::string& table, const CheckOutputOptions& options);

/// "NAME=VALUE" items split at the first '='; CLI::ValidationError (a usage
/// error) names `option` when one has no '=' or an empty side.
std::vector<std::pair<std::string, std::string>> split_assignments(const std::vector<std::string>& items,
                                                                   const char* option);

/// ✓ or ✗.
const char* mark(bool passed);

}  // namespace buildbudget::cli
