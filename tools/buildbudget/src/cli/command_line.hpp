// The helper's command line (doc/layout.md, "Inside the helper"): `buildbudget <subcommand> ...`.
#pragma once

namespace buildbudget::cli {

/// Parses argv and runs the subcommand it names. Returns the exit code, for every subcommand:
/// 0 within budget, 1 over budget or invalid input (with a message), 2 usage error. Exceptions
/// other than CLI11's parse errors are the caller's (main() prints them and exits with 1).
[[nodiscard]] int run_command_line(int argc, char** argv);

}  // namespace buildbudget::cli
