// The WebAssembly subcommands, documented in doc/helper-wasm-size.md and --help:
//   buildbudget wasm size <module.wasm> [--json]
//       raw, gzip -9 and brotli -q 11 sizes, bytes per section, linear memory, features
//   buildbudget wasm optimize --input RAW --output OUT --level size|speed|balanced|none ...
//       runs wasm-opt with the module's own features, holds the result to
//       --max-size / --max-gzip-size / --max-brotli-size / --memory-budget
// Exit codes: 0 within budget, 1 over budget, an unreadable or malformed
// module, or a missing or failing wasm-opt (with its own message), 2 usage error.
#pragma once

#include <CLI/CLI.hpp>

namespace buildbudget::cli {

/// Adds the `wasm` subcommand group (with `size`, `optimize`, `analyze`,
/// `dts`, `exports`, `loader-names` and `cargo-select`) to `app`; the chosen subcommand stores its exit code in `exit_code`.
void add_wasm(CLI::App& app, int& exit_code);

/// `buildbudget wasm analyze` (cli/wasm_analyze.cpp), added to the `wasm` group.
void add_wasm_analyze(CLI::App& wasm_group, int& exit_code);

/// `buildbudget wasm dts` (cli/wasm_dts.cpp), added to the `wasm` group.
void add_wasm_dts(CLI::App& wasm_group, int& exit_code);

/// `buildbudget wasm exports` (cli/wasm_exports.cpp), added to the `wasm` group.
void add_wasm_exports(CLI::App& wasm_group, int& exit_code);

/// `buildbudget wasm loader-names` (cli/wasm_loader_names.cpp), added to the `wasm` group.
void add_wasm_loader_names(CLI::App& wasm_group, int& exit_code);

/// `buildbudget wasm cargo-select` (cli/wasm_cargo_select.cpp), added to the `wasm` group.
void add_wasm_cargo_select(CLI::App& wasm_group, int& exit_code);

}  // namespace buildbudget::cli
