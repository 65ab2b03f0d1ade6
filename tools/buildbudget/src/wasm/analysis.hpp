// Where a WebAssembly module's bytes go, and what to do about it
// (`buildbudget wasm analyze`, SPEC §4, issue 5 items 1-3): sections,
// functions by body size, data segments, imports and exports, custom
// sections, compressed sizes, recommendations, a comparison with an earlier
// report (--baseline) and the treemap of the HTML report.
//
// Everything here works on what wasm::parse() read (reader.hpp); nothing is
// decoded twice. Sizes are bytes throughout.
//
// JSON report, schema "buildbudget-wasm-analysis/1" (analysis_json()):
//   {
//     "schema": "buildbudget-wasm-analysis/1",
//     "modules": [ {                       // in command-line order
//       "file": "<path as given>",
//       "raw": N,                          // file bytes
//       "gzip": N | null, "brotli": N | null,             // null with --no-compression
//       "gzip_ratio": x | null, "brotli_ratio": x | null, // compressed / raw, 4 decimals
//       "counts": {"sections", "types", "functions" (defined), "imported_functions",
//                  "data_segments", "imports", "exports", "custom_sections"},
//       "sections": [ {"index" (file order), "id", "name", "custom": bool, "offset" (of the id
//                      byte), "bytes" (id + size field + payload, as wasm::measure() counts),
//                      "payload_bytes", "percent" (of raw, 2 decimals)} ],          // file order
//       "functions": [ {"index" (function index space), "name", "name_source": "name" | "export"
//                       | "index", "body_bytes" (body without its size field, as
//                       `wasm-objdump -x` prints "size="), "type_index", "signature"} ], // ALL, index order
//       "data_segments": [ {"index", "name" | null, "bytes", "mode": "active" | "passive",
//                           "memory": N | null, "address": N | null} ],                // index order
//       "imports": [ {"module", "name", "kind", "signature" | null} ],   // file order
//       "exports": [ {"name", "kind", "index", "signature" | null} ],    // file order
//       "custom_sections": [ {"name", "category": "debug" | "name" | "producers" |
//                             "target_features" | "other", "bytes"} ], // file order
//       "memory": null | {"imported": bool, "initial_pages", "maximum_pages" | null,
//                         "initial_bytes", "maximum_bytes" | null, "shared", "memory64"},
//       "producers": {"<field>": [ {"name", "version"} ]},  // "language", "processed-by", "sdk"
//       "target_features": [ "<feature>" ],
//       "duplicate_functions": [ {"body_bytes", "saved_bytes", "functions": [index...]} ]
//     } ],
//     "total": {"modules", "raw", "gzip" | null, "brotli" | null, "functions", "code_bytes",
//               "data_bytes", "debug_bytes"},
//     "thresholds": { "<constant>": value },   // the rule constants below, for the reader
//     "recommendations": [ {"id", "module": "<file>" | null, "message", "figures": {...}} ],
//     "baseline": { ... }                      // only with --baseline, see analysis_json()
//   }
// Signatures are written as wabt's wasm-objdump writes types: "(i32, i64) -> f32",
// "() -> nil", "(i64) -> (f32, f64)". The output is deterministic: no times,
// every list in a fixed order (index order, or size order with the index as
// tie-break).
#pragma once

#include "report/treemap_html.hpp"
#include "wasm/reader.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace buildbudget::wasm {

/// The schema id of the JSON report.
inline constexpr const char* analysis_schema = "buildbudget-wasm-analysis/1";

// --- Rule thresholds (recommend()) -------------------------------------------
// SPEC §4 gives the first two in "MB"; the project's sizes are binary
// (budget/size.hpp: 1 MB = 1024 * 1024 bytes, SPEC §1 "Sizes"), so 5 MB is
// 5 MiB = 5,242,880 bytes and 2 MB is 2 MiB = 2,097,152 bytes.

/// "split": the modules given, together, are larger than this (SPEC §4 "total
/// over 5 MB: split"). Past a few MB, download and compile time dominate a
/// page's start-up; splitting lets the first screen start with part of the code.
inline constexpr std::uint64_t split_total_bytes = 5ULL * 1024 * 1024;

/// "lazy-load": one module is larger than this (SPEC §4 "a module over 2 MB:
/// lazy-load"): fetch and instantiate it when first used, not at start-up.
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

/// "strip-debug" and "strip-names" have no threshold: every module given to
/// `analyze` is treated as the build that ships, so any DWARF (".debug_*"),
/// "external_debug_info" or "sourceMappingURL" section, and any "name"
/// section, is reported with its bytes. Evidence that the module was optimised
/// (wasm-opt or binaryen in the producers section's "processed-by" list) is
/// stated in the message: such a module kept them on purpose (-g).
/// "no-max-memory" has none either: any memory 0 without a maximum.

/// Where a function's name comes from (the reader's Module::function_name() order).
enum class NameSource { name_section, export_name, index };

/// "name", "export" or "index".
[[nodiscard]] const char* to_string(NameSource source);

/// What a custom section holds, by its name.
enum class CustomCategory { debug, name, producers, target_features, other };

/// "debug", "name", "producers", "target_features" or "other".
[[nodiscard]] const char* to_string(CustomCategory category);

/// Classifies a custom section by name: "debug" for DWARF (".debug_*", DWARF
/// for WebAssembly, yurydelendik/webassembly-dwarf), "external_debug_info"
/// and "sourceMappingURL" (tool-conventions Debugging.md); "name" (core spec
/// appendix 7.4); "producers" and "target_features" (tool-conventions); else "other".
[[nodiscard]] CustomCategory classify_custom_section(std::string_view name);

/// A function type as wabt's wasm-objdump writes it: "(i32, i64) -> f32",
/// "() -> nil", "(i64) -> (f32, f64)".
[[nodiscard]] std::string signature_text(const FuncType& type);

/// One section of the file.
struct SectionInfo {
    std::uint8_t id = 0;
    std::string name;                ///< standard name or the custom section's name
    std::uint64_t offset = 0;        ///< offset of the id byte
    std::uint64_t bytes = 0;         ///< whole section: id + size field + payload
    std::uint64_t payload_bytes = 0; ///< payload (for a custom section including its name)
    std::optional<CustomCategory> custom;  ///< set for custom sections
};

/// One defined function.
struct FunctionInfo {
    std::uint32_t index = 0;  ///< function index space (imports first)
    std::string name;         ///< from `name_source`; "function[<index>]" for NameSource::index
    NameSource name_source = NameSource::index;
    std::uint64_t body_bytes = 0;  ///< the body (locals + code) without its size field
    std::uint64_t body_offset = 0; ///< file offset of the body
    std::uint32_t type_index = 0;
};

/// Functions with byte-identical bodies and the same signature.
struct DuplicateGroup {
    std::uint64_t body_bytes = 0;           ///< each body
    std::vector<std::uint32_t> functions;   ///< function indices, increasing, at least two
    /// Bytes of bodies merging would remove: (functions - 1) * body_bytes.
    [[nodiscard]] std::uint64_t saved_bytes() const { return (functions.size() - 1) * body_bytes; }
};

/// Everything `analyze` reports about one module.
struct ModuleAnalysis {
    std::string file;
    std::uint64_t raw = 0;
    std::optional<std::uint64_t> gzip, brotli;  ///< empty when not computed
    std::vector<SectionInfo> sections;          ///< file order
    std::vector<std::string> signatures;        ///< signature_text() of each type, by type index
    std::vector<FunctionInfo> functions;        ///< defined functions, index order
    std::vector<DataSegment> data;              ///< index order (reader's DataSegment, names included)
    std::vector<Import> imports;
    std::vector<Export> exports;
    std::uint32_t imported_functions = 0;
    std::vector<std::uint32_t> imported_function_types;  ///< type index of each imported function
    std::optional<Limits> memory;                ///< memory 0
    bool memory_imported = false;
    std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> producers;
    std::vector<std::string> target_features;
    std::vector<DuplicateGroup> duplicates;      ///< by saved bytes, largest first (then first index)

    /// Whole bytes of the first section with this id (0: none).
    [[nodiscard]] std::uint64_t section_bytes(std::uint8_t id) const;
    /// Whole bytes of the custom sections of `category`.
    [[nodiscard]] std::uint64_t custom_bytes(CustomCategory category) const;
    /// The type index of function `index` (imported or defined); empty if out of range.
    [[nodiscard]] std::optional<std::uint32_t> function_type(std::uint32_t index) const;
    /// The producers' "processed-by" tools that optimise: wasm-opt / binaryen ("wasm-opt 108").
    [[nodiscard]] std::vector<std::string> optimisers() const;
};

/// Analyses a module: `data`/`size` are the file's bytes and `module` what
/// wasm::parse() read from them (moved from: its names are taken, not
/// copied). `compress`: compute the gzip -9 and brotli -q 11 sizes
/// (wasm::gzip_compress / brotli_compress, see size.hpp). Throws
/// std::runtime_error only when compression fails (out of memory).
[[nodiscard]] ModuleAnalysis analyze_module(std::string file, const std::uint8_t* data, std::size_t size,
                                            Module&& module, bool compress);

/// A recommendation: a stable id, the module it concerns (empty: all of
/// them), one line of text and the figures behind it (a JSON object of numbers
/// and strings).
struct Recommendation {
    std::string id;  ///< "split", "lazy-load", "strip-debug", "strip-names", "duplicate-functions",
                     ///< "dominant-function", "large-data", "no-max-memory"
    std::string module;
    std::string message;
    nlohmann::ordered_json figures = nlohmann::ordered_json::object();
};

/// The rules above, applied to `modules`: first "split" (all modules), then
/// per module in order: "lazy-load", "strip-debug", "strip-names",
/// "duplicate-functions", "dominant-function", "large-data", "no-max-memory".
[[nodiscard]] std::vector<Recommendation> recommend(const std::vector<ModuleAnalysis>& modules);

/// The modules and their recommendations.
struct Analysis {
    std::vector<ModuleAnalysis> modules;
    std::vector<Recommendation> recommendations;
    [[nodiscard]] std::uint64_t total_raw() const;
};

// --- Baseline (--baseline OLD.json) -----------------------------------------

/// A bad baseline file. what() is "<file>: <problem>".
struct BaselineError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The parts of an earlier report that a comparison needs.
struct Baseline {
    struct Item {
        std::string name;
        std::uint64_t bytes = 0;
    };
    struct Module {
        std::string file;
        std::uint64_t raw = 0;
        std::optional<std::uint64_t> gzip, brotli;
        std::vector<Item> sections;   ///< whole section bytes, file order
        std::vector<Item> functions;  ///< body bytes, index order
    };
    std::string file;  ///< the baseline file, for messages
    std::vector<Module> modules;
};

/// Reads a baseline from `text`, the content of `file`. Throws BaselineError:
/// "<file>: not valid JSON (byte <N>): <nlohmann's message, with the line and
/// column>", "<file>: not a wasm analysis report: schema is "<x>",
/// expected "buildbudget-wasm-analysis/1"" (or "has no "schema" string"), or
/// "<file>: <json path> is missing or not <type>" for a required field.
[[nodiscard]] Baseline parse_baseline(const std::string& text, const std::string& file);

/// The baseline an analysis would be as a file (what parse_baseline() reads from its JSON).
[[nodiscard]] Baseline baseline_of(const Analysis& analysis, const std::string& file);

/// How an item changed between the baseline and now.
enum class Change { added, removed, grown, shrunk, unchanged };

/// "added", "removed", "grown", "shrunk" or "unchanged".
[[nodiscard]] const char* to_string(Change change);

/// An old size against a new one. `percent` is (new - old) / old * 100, empty when old is 0.
struct SizeDelta {
    std::uint64_t old_bytes = 0, new_bytes = 0;
    [[nodiscard]] std::int64_t delta() const {
        return static_cast<std::int64_t>(new_bytes) - static_cast<std::int64_t>(old_bytes);
    }
    [[nodiscard]] std::optional<double> percent() const;
};

/// A section or function that changed.
struct ItemDelta {
    std::string name;
    Change change = Change::unchanged;
    SizeDelta size;  ///< 0 on the missing side for added / removed
};

/// One module of the comparison.
struct ModuleDelta {
    std::string old_file, new_file;   ///< one is empty for an added / removed module
    Change change = Change::unchanged;  ///< of the raw size
    SizeDelta raw;
    std::optional<SizeDelta> gzip, brotli;  ///< when both sides have them
    std::vector<ItemDelta> sections;   ///< changed only, largest |delta| first, then name
    std::vector<ItemDelta> functions;  ///< changed only, largest |delta| first, then name
    std::size_t unchanged_functions = 0;
};

/// The comparison of an analysis with its baseline.
struct BaselineDiff {
    std::string file;  ///< the baseline file
    std::vector<ModuleDelta> modules;
    SizeDelta total;   ///< raw bytes of all modules
};

/// Compares. Modules are matched by file name (the last path component),
/// then, if exactly one old and one new module are left, those two (the same
/// module built again under another name); the rest are added / removed.
/// Sections are matched by name (the n-th occurrence with the n-th); functions
/// by name likewise (index-named functions, "function[N]", therefore by index).
[[nodiscard]] BaselineDiff diff_baseline(const Baseline& old, const Analysis& now);

/// The limits of --fail-above-bytes / --fail-above-percent.
struct GrowthLimits {
    std::optional<std::uint64_t> bytes;  ///< fail when raw grew by more than this many bytes
    std::optional<double> percent;       ///< fail when raw grew by more than this percent
};

/// The limits against each module that has a baseline (a module with none has
/// grown by its whole size, and its percent is not defined: only the byte
/// limit applies), and against the total when there are several modules.
/// Returns one message per breach, e.g. "app.wasm: raw size grew from 1000 to
/// 1200 bytes (+200 bytes, +20.00%), more than --fail-above-bytes 100";
/// empty when within the limits.
[[nodiscard]] std::vector<std::string> check_growth(const BaselineDiff& diff, const GrowthLimits& limits);

// --- Output --------------------------------------------------------------------

/// The JSON report described at the top of this file, as text ending in a
/// newline; with `diff` its "baseline" object, and with `limits` the
/// baseline's "limits". The "baseline" object:
///   {"file", "total": delta,
///    "modules": [ {"old_file" | null, "new_file" | null, "change" (of raw: "added", "removed",
///                  "grown", "shrunk", "unchanged"), "raw": delta, "gzip": delta | null,
///                  "brotli": delta | null,
///                  "sections": [ {"name", "change", delta members} ],   // changed only
///                  "functions": [ {"name", "change", delta members} ],  // changed only
///                  "unchanged_functions"} ],
///    "limits": {"bytes" | null, "percent" | null, "failures": [message], "passed"}}
/// where a delta is {"old_bytes", "new_bytes", "delta_bytes", "delta_percent" | null}
/// (percent of the old size, 2 decimals; null when the old size is 0).
/// Layout: two-space indentation, and an object or array of scalars only
/// (a function, a data segment) on one line.
[[nodiscard]] std::string analysis_json(const Analysis& analysis, const BaselineDiff* diff = nullptr,
                                        const GrowthLimits* limits = nullptr);

/// The treemap of the HTML report: for one module the module itself, for
/// several a root "modules" (kind "other") with one child per module (kind
/// "module"). A module's children are its sections (kind "section", or
/// "custom"); the code section's children are its functions (kind
/// "function"), the data section's its segments (kind "data"). Of each, the
/// `max_items` largest are kept (size order, index as tie-break) and the rest
/// become one node "(N smaller functions)" / "(N smaller data segments)"
/// (kind "other") with their bytes, so the page stays small.
[[nodiscard]] report::TreemapNode treemap_tree(const Analysis& analysis, std::size_t max_items);

}  // namespace buildbudget::wasm
