// `buildbudget budget validate`: assemble, validate and generate one memory
// budget set (doc/memory-budget.md). Its flags are documented in
// doc/helper-budget.md, "buildbudget budget validate" and in --help.
#pragma once

#include <CLI/CLI.hpp>

namespace buildbudget::cli {

/// Adds the `validate` subcommand to `budget`; the returned exit code is stored
/// in `exit_code` when the subcommand runs: 0 valid, 1 invalid input or over
/// budget (each problem printed), 2 usage error (CLI11 reports those).
void add_budget_validate(CLI::App& budget, int& exit_code);

}  // namespace buildbudget::cli
