// `buildbudget report`, documented in doc/helper-report.md and --help: one report of every budget
// a build tree holds (budget checks, wasm module sizes, the build's own memory), as report.json,
// report.md and report.html, against a baseline and a history of earlier reports.
// Exit codes: 0 within budget, 1 over budget, a --fail-above-* limit crossed or a bad input (with
// a message naming the file), 2 usage error.
#pragma once

#include <CLI/CLI.hpp>

namespace buildbudget::cli {

/// Adds `report` to `app`; it stores its exit code in `exit_code` (cli/report.cpp).
void add_report(CLI::App& app, int& exit_code);

}  // namespace buildbudget::cli
