// What several subcommands share: their diagnostics and error exit, and the --fail-above-* growth
// limits of a --baseline comparison (`wasm analyze`, doc/helper-wasm-analyze.md; `report`,
// doc/helper-report.md).
#pragma once

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace buildbudget::cli {

/// A diagnostic that no line of a file locates, in the program-name form GCC writes
/// ("gcc: error: ..."): `buildbudget: <severity>: <message>`, without a newline. <severity> is
/// "error", "warning" or "note"; <message> names its input first ("<input>: <problem>") where
/// there is one. A build log then says which tool wrote the line (doc/messages.md). Diagnostics
/// located in a file (`<file>:<line>:<col>: error: ...`, common/diagnostics.hpp) keep that form.
[[nodiscard]] std::string diagnostic(std::string_view severity, std::string_view message);

/// Writes diagnostic("error" / "warning" / "note", message) and a newline to `out`: stderr, or
/// stdout for the notes a command prints under its result.
void print_error(std::string_view message, std::ostream& out = std::cerr);
void print_warning(std::string_view message, std::ostream& out = std::cerr);
void print_note(std::string_view message, std::ostream& out = std::cerr);

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
