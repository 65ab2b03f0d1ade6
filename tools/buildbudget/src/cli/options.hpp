// What several subcommands share: their error exit, and the --fail-above-* growth
// limits of a --baseline comparison (`wasm analyze`, doc/helper-wasm-analyze.md; `report`,
// doc/helper-report.md).
#pragma once

#include "common/diagnostics.hpp"  // print_error(), print_warning(), print_note()

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace buildbudget::cli {

/// Flushes what is already on stdout, writes `buildbudget: error: <message>` to stderr
/// (print_error()) and returns 1, the exit code of a command stopped by invalid input.
int fail(const std::string& message);

/// --fail-above-bytes: a size as budgets are written ("64KiB", "1.5MB", "4096"; budget/size.hpp),
/// or nothing when `text` is empty. Throws CLI::ValidationError naming the option otherwise (exit 2).
[[nodiscard]] std::optional<std::uint64_t> fail_above_bytes(const std::string& text);

/// --fail-above-percent: a number of 0 or more, with or without a trailing `%` ("5", "2.5%"),
/// or nothing when `text` is empty. Throws CLI::ValidationError naming the option otherwise (exit 2).
[[nodiscard]] std::optional<double> fail_above_percent(const std::string& text);

}  // namespace buildbudget::cli
