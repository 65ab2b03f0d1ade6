// The budget report (`buildbudget report`, doc/helper-report.md): every budget of a build in one
// document, report.json (schema "buildbudget-report/1", documented field by field in
// doc/helper-report.md, "report.json"), made from the files the package's capabilities leave in the
// build tree, compared with a baseline report and a history of earlier reports, and written out as
// Markdown (report.md) and HTML (report_html.hpp).
//
// The steps, each its own function so the unit tests can drive them:
//   collect_inputs()   which files of a build tree are ours (summary_collect.cpp)
//   summarize()        the document from those files (summary.cpp)
//   apply_baseline()   baseline / delta / change of each figure and the --fail-above-* limits (summary_compare.cpp)
//   apply_history()    each figure's values over earlier reports (summary_compare.cpp)
//   report_markdown()  report.md (summary_markdown.cpp)
#pragma once

#include "buildmem/report.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace buildbudget::report {

/// The schema id of report.json.
inline constexpr const char* report_schema = "buildbudget-report/1";

/// An input that cannot be used. what() names the file: "<file>: <problem>", or
/// "<file>:<line>:<column>: not valid JSON: <what was expected>" for a JSON syntax error, or
/// "<file>:<line>: <problem>" for a bad line of a job log (buildmem/job_log.hpp's reader).
struct ReportInputError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The files of one build that the report reads, by kind. Paths are absolute, each listed once,
/// sorted within its kind.
struct Inputs {
    std::vector<std::string> budget_sets;    ///< "buildbudget-memory-budget/1" (wrt_memory_budget(... JSON))
    std::vector<std::string> check_reports;  ///< "buildbudget-check-report/1" (buildbudget-reports/<test>.json)
    std::vector<std::string> size_reports;   ///< "buildbudget-wasm-size/1" (<module>.size.json)
    std::vector<std::string> analyses;       ///< "buildbudget-wasm-analysis/1" (wasm analyze --report)
    std::vector<std::string> plans;          ///< "buildbudget-lowmem-plan/1" (plan.json) or "buildbudget-buildmem-plan/1"
    std::vector<std::string> job_logs;       ///< the launcher's jobs.jsonl
};

/// Finds the inputs: `build_dir` scanned recursively when it is not empty (directories named
/// CMakeFiles or _deps, `skip` directories, and anything unreadable are passed over), plus the
/// `files` given by name (which must exist and be one of ours). A *.json file is ours when its
/// first 4 KiB name one of the schemas above as "schema", or it is named *.size.json or
/// buildbudget-lowmem/plan.json (writers that sort their keys put "schema" late); a *.jsonl file
/// is a job log when it is named jobs.jsonl or its first line is a launcher's record.
/// buildbudget-report/1 files (earlier reports) and other buildbudget-* schemas are left out.
/// Throws ReportInputError for a file of one of our families with another version
/// ("<file>: schema buildbudget-check-report/2, expected buildbudget-check-report/1"), a named file
/// that is missing or not ours, and a JSON syntax error in a file read whole to find its schema
/// (summarize() finds the others').
[[nodiscard]] Inputs collect_inputs(const std::string& build_dir, const std::vector<std::string>& files,
                                    const std::vector<std::string>& skip = {});

/// A whole file as text. Throws ReportInputError("<file>: cannot read: <reason>").
[[nodiscard]] std::string read_input(const std::string& path);

/// Parses `text`, the content of `file`. Throws ReportInputError("<file>:<line>:<column>: not
/// valid JSON: <nlohmann's words>"), the line and column counted from the parser's byte offset.
[[nodiscard]] nlohmann::ordered_json parse_json(const std::string& text, const std::string& file);

/// What summarize() records about the run itself.
struct RunInfo {
    std::string build_dir;              ///< absolute
    std::string out_dir;                ///< where the report is written: treemap paths are relative to it
    std::optional<std::string> commit;  ///< the source tree's commit
    std::string created;                ///< UTC ISO 8601, "2026-12-06T21:00:00Z"
};

/// The report document (without baseline or history: every figure's "baseline", "delta" and
/// "change" are null and its "history" is []), read from `inputs`. Throws ReportInputError naming
/// the file for an input that is not what its schema says.
///
/// Budgets: one entry per (set, component) of the budget sets and check reports; static RAM from
/// footprint checks, heap peak from peak checks (a wasm module's linear memory peak counts as its
/// heap peak); status "error" when a check could not measure, "over" when one failed, "ok" when
/// all passed, "unchecked" without checks. Wasm: one entry per size report; status "over" when
/// one of its limits failed. Build memory: the last build of the job log (the records from the
/// latest one that started more than build_gap_ms after every earlier one had ended), with the plan
/// that names that log (or the plan beside it).
[[nodiscard]] nlohmann::ordered_json summarize(const Inputs& inputs, const RunInfo& run);

/// A gap without any job running that separates two builds in one job log (lowmem_profile() keeps
/// one log across builds): 60 s.
inline constexpr std::int64_t build_gap_ms = 60000;

/// Reads a report.json: a baseline or a history entry. Throws ReportInputError: "<file>: cannot
/// read: <reason>", "<file>:<line>:<column>: not valid JSON: ...", "<file>: not a BuildBudget
/// report: it has no "schema" string", "<file>: schema buildbudget-report/2, expected
/// buildbudget-report/1", "<file>: "figures" is missing or not an array", "<file>: figures[3] has
/// no "key" string".
[[nodiscard]] nlohmann::ordered_json read_report(const std::string& path);

/// The --fail-above-* limits (as `wasm analyze --baseline` has them, doc/helper-wasm-analyze.md,
/// "Baseline"): a figure whose value grew by more than `bytes`, or by more than `percent` of its
/// baseline, crosses a limit. A new figure grew from 0: only `bytes` applies to it.
struct GrowthLimits {
    std::optional<std::uint64_t> bytes;
    std::optional<double> percent;
};

/// Fills each figure's "baseline", "delta" (value - baseline) and "change" ("same", "grew",
/// "shrank", "new") from `baseline` (read_report()), appends a figure with "value" null and change
/// "removed" for each baseline figure that is gone, and records the figures that crossed `limits`
/// in "growth": [{"key", "message"}] (build/ figures, measured at run time and never the same
/// twice, are not held to them). Recomputes "status" and "summary". `baseline_file` names it in
/// the document ("baseline").
void apply_baseline(nlohmann::ordered_json& report, const nlohmann::ordered_json& baseline,
                    const std::string& baseline_file, const GrowthLimits& limits);

/// Fills each figure's "history" with [commit, value] pairs from `runs` (earlier reports, oldest
/// first; the commit is the run's "commit", else its "created"), then this run's own.
void apply_history(nlohmann::ordered_json& report, const std::vector<nlohmann::ordered_json>& runs);

/// Recomputes "status" and "summary" from the budgets, wasm modules, figures and growth.
void update_status(nlohmann::ordered_json& report);

/// The field `key` of `object` in report.json as a count or a byte count: a non-negative integer,
/// else nothing (null, absent, another type, or `object` not an object). How report.html and
/// farm_summary_of() read a report they may not have written, without failing.
[[nodiscard]] std::optional<std::uint64_t> count_of(const nlohmann::ordered_json& object, const char* key);

/// The compile farm's counts in report.json's build_memory.distributed ("remote", "local", "fallback",
/// "failed", "preprocessed": {"local", "remote"}, "failed_hosts": {host: count}; doc/helper-report.md,
/// "report.json"), as the FarmSummary that buildmem::farm_counts_text() and farm_preprocessed_text()
/// word for report.md and report.html. Like the page, it never fails on a report it did not write:
/// a count that is missing or not a non-negative integer reads as 0, a host with such a count is
/// left out, and anything but an object gives all zeros. The engines, the unknown count and the remote
/// compiles per host are not in report.json and stay empty.
[[nodiscard]] buildmem::FarmSummary farm_summary_of(const nlohmann::ordered_json& distributed);

/// report.md: GitHub-flavoured Markdown for a CI job summary or a pull-request comment: a heading,
/// a one-line verdict, a table of what is over, crossed a growth limit or grew, and a <details>
/// section per family (budgets, WebAssembly, build memory, all figures) with its table.
[[nodiscard]] std::string report_markdown(const nlohmann::ordered_json& report);

}  // namespace buildbudget::report
