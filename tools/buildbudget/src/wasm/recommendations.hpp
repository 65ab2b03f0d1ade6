// The recommendations of `buildbudget wasm analyze` (doc/helper-wasm-analyze.md,
// "Recommendations"): ten
// rules over the analysis model (analysis.hpp), each with a stable id, one
// line of text and the figures behind it. The JSON report lists the
// thresholds below under "thresholds".
#pragma once

#include "wasm/analysis.hpp"

#include <cstdint>
#include <vector>

namespace buildbudget::wasm {

// --- Rule thresholds (recommend()) -------------------------------------------
// The first two are stated in "MB" (doc/helper-wasm-analyze.md,
// "Recommendations"); the project's sizes are binary (budget/size.hpp:
// 1 MB = 1024 * 1024 bytes; doc/design.md, "Memory budgets"), so 5 MB is
// 5 MiB = 5,242,880 bytes and 2 MB is 2 MiB = 2,097,152 bytes.

/// "split": the modules given, together, are larger than this (5 MB;
/// doc/design.md, "wasm analyze recommendations"). Past a few MB, download and
/// compile time dominate a page's start-up; splitting lets the first screen
/// start with part of the code.
inline constexpr std::uint64_t split_total_bytes = 5ULL * 1024 * 1024;

/// "lazy-load": one module is larger than this (2 MB; doc/design.md, "wasm
/// analyze recommendations"): fetch and instantiate it when first used, not at
/// start-up.
inline constexpr std::uint64_t lazy_load_module_bytes = 2ULL * 1024 * 1024;

/// "dominant-function": one function's body is at least this share of the code
/// section. Compilers inline and unroll into a few very large functions
/// (interpreter loops, generated parsers); a function this size is the first
/// place -Oz / wasm-opt -Oz (less inlining) or a code change pays off.
inline constexpr double dominant_function_share = 0.20;
/// ... and the code section is at least this large: in a small module one
/// function is naturally a large share, and the bytes are not worth a change.
inline constexpr std::uint64_t dominant_function_min_code_bytes = 64ULL * 1024;

/// "large-data": the data section is at least this share of the file. Data
/// segments are the initial memory image (tables, strings, embedded assets);
/// when they are a quarter of the download, assets fetched separately (and
/// cached apart from the code) or compressed in memory usually pay off.
inline constexpr double large_data_share = 0.25;
/// ... and at least this many bytes (a small module's few strings are not worth it).
inline constexpr std::uint64_t large_data_min_bytes = 64ULL * 1024;

/// "duplicate-functions": at least this many body bytes would go by merging
/// functions with byte-identical bodies and the same signature. Any saving is
/// reported: binaryen's --duplicate-function-elimination (part of -O2/-Os/-Oz)
/// merges them at no cost.
inline constexpr std::uint64_t duplicate_min_saved_bytes = 1;

/// "lazy-export": one export retains at least this share of the module's
/// function body bytes (its retained size in the call graph's dominator tree,
/// wasm/callgraph.hpp): the code only that export keeps alive. Such an export
/// is a feature of its own; moved into a separate module, fetched when first
/// called, it takes that many bytes out of the first load. Below a fifth the
/// second module's own request, compilation and glue rarely pay off (the
/// same share as "dominant-function").
inline constexpr double lazy_export_share = 0.20;
/// ... and the code section is at least this large (as for "dominant-function").
inline constexpr std::uint64_t lazy_export_min_code_bytes = 64ULL * 1024;

/// "unreachable-code": at least this many body bytes belong to functions that
/// no export, start function, element segment or global reaches (twiggy's
/// "garbage"): nothing can call them. Any amount is reported: wasm-ld
/// --gc-sections (its default) and wasm-opt --remove-unused-module-elements
/// (part of -O1 and above) remove them at no cost.
inline constexpr std::uint64_t unreachable_min_bytes = 1;

/// "strip-debug" and "strip-names" have no threshold: every module given to
/// `analyze` is treated as the build that ships, so any DWARF (".debug_*"),
/// "external_debug_info" or "sourceMappingURL" section, and any "name"
/// section, is reported with its bytes. Evidence that the module was optimised
/// (wasm-opt or binaryen in the producers section's "processed-by" list) is
/// stated in the message: such a module kept them on purpose (-g).
/// "no-max-memory" has none either: any memory 0 without a maximum.

/// The rules above, applied to `modules`: first "split" (all modules), then
/// per module in order: "lazy-load", "strip-debug", "strip-names",
/// "duplicate-functions", "lazy-export" (one per export over the share,
/// largest first), "unreachable-code", "dominant-function", "large-data",
/// "no-max-memory".
[[nodiscard]] std::vector<Recommendation> recommend(const std::vector<ModuleAnalysis>& modules);

}  // namespace buildbudget::wasm
