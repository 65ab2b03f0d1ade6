// `buildbudget wasm analyze --baseline OLD.json` (doc/helper-wasm-analyze.md, "Baseline"): an
// earlier JSON report read back (only what a comparison needs), compared with
// the analysis of today's modules, and held to the --fail-above-* limits.
#pragma once

#include "wasm/analysis.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace buildbudget::wasm {

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

}  // namespace buildbudget::wasm
