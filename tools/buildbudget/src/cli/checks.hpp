// The budget check subcommands, each documented in doc/helper-checks.md (what
// they measure in doc/memory-budget.md, "Budget checks") and in --help:
//   buildbudget footprint      sizes of ELF and wasm artifacts; static RAM per component
//   buildbudget freestanding   undefined symbols of FREESTANDING components against a deny list
//   buildbudget peak           a command's heap peak (or a wasm module's linear memory)
// Exit codes: 0 within budget, 1 over budget or unreadable input, 2 usage error.
#pragma once

#include <CLI/CLI.hpp>

namespace buildbudget::cli {

void add_footprint(CLI::App& app, int& exit_code);
void add_freestanding(CLI::App& app, int& exit_code);
void add_peak(CLI::App& app, int& exit_code);
/// `buildbudget size <text>...` (cli/size.cpp): sizes in bytes, for CMake functions.
void add_size(CLI::App& app, int& exit_code);

}  // namespace buildbudget::cli
