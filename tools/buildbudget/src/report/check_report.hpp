// The result of one budget check (footprint, freestanding, peak) and its three
// forms (doc/memory-budget.md, "Budget checks"): the console table, a JSON
// report and a JUnit XML file a CI dashboard shows, plus the deltas against a
// baseline report.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace buildbudget::report {

/// One component's outcome.
struct CaseResult {
    std::string component;
    bool passed = true;
    /// The component could not be measured (an unreadable artifact, a command
    /// that did not start): JUnit <error> rather than <failure>.
    bool error = false;
    std::optional<std::uint64_t> budget_bytes;
    std::uint64_t measured_bytes = 0;  ///< what the check compares with the budget
    std::string message;               ///< one line, when it did not pass
    nlohmann::ordered_json details = nlohmann::ordered_json::object();  ///< check-specific facts
};

struct CheckReport {
    std::string set;      ///< the budget set ("fw")
    std::string check;    ///< "footprint", "freestanding" or "peak"
    std::string measure;  ///< what measured_bytes is: "static RAM", "heap peak", ...
    std::vector<CaseResult> cases;
    double seconds = 0;  ///< time the check took
    std::string name;    ///< the test's own name, when it is not "<set>.<check>"

    [[nodiscard]] bool passed() const;
    /// `name`, else "<set>.<check>": the CTest and JUnit test suite name.
    [[nodiscard]] std::string suite() const;
};

/// The JSON report, schema "buildbudget-check-report/1": set, check, measure,
/// passed, and per component name, passed, error, budget_bytes,
/// measured_bytes, message and the details.
[[nodiscard]] nlohmann::ordered_json to_json(const CheckReport& report);

/// A JUnit XML document (the schema Jenkins, GitLab and GitHub test reporters
/// read): one <testsuite> named suite(), one <testcase> per component with a
/// <failure> or <error> carrying the message, and `console` as <system-out>.
[[nodiscard]] std::string to_junit(const CheckReport& report, const std::string& console);

/// The deltas against the JSON report at `baseline_path` (a report of the
/// same check written by an earlier run): a table of component, baseline,
/// now, delta bytes and percent, with components added or removed said so.
/// Throws std::runtime_error naming the file when it cannot be read or is a
/// report of another check.
[[nodiscard]] std::string baseline_deltas(const CheckReport& report, const std::string& baseline_path);

/// Writes the JSON report and the JUnit file when their paths are not empty
/// (atomically; see common/output_file.hpp). Returns false after printing
/// `buildbudget: error: cannot write ...` to std::cerr.
bool write_reports(const CheckReport& report, const std::string& console, const std::string& json_path,
                   const std::string& junit_path);

/// A byte count for the console: "1048576".
[[nodiscard]] std::string bytes(std::uint64_t n);
/// "1048576 (+4096, +0.4%)" style signed delta of `now` against `before`.
[[nodiscard]] std::string signed_delta(std::uint64_t before, std::uint64_t now);

}  // namespace buildbudget::report
