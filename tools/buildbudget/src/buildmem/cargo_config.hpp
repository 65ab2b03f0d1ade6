// A Cargo configuration with the build's memory limits (SPEC §5 "Cargo"):
// `buildbudget buildmem cargo-config` and lowmem_profile(CARGO_CONFIG).
//
// Keys written (all documented in The Cargo Book, "Configuration"), and only
// these, so neither cargo 1.63 nor a current cargo prints "unused config key":
//   [build] jobs                             the compile pool
//   [profile.dev] / [profile.release] debug  0 (off), 1 (line-tables), 2 (split, full)
//   [profile.dev] / [profile.release] lto    false (off), "thin", "fat" (full)
//   [profile.*] split-debuginfo = "unpacked" (split), only for Rust >= 1.65:
//       rustc stabilised -Csplit-debuginfo on Linux in 1.65; measured here,
//       cargo 1.65 driving rustc 1.63 drops the key without a word (no
//       -C split-debuginfo on the rustc command line), while cargo/rustc 1.95
//       passes -C split-debuginfo=unpacked and writes .dwo files. Older Rust
//       gets debug = 2 and a note.
//   [target.<triple>] rustflags              flags appended when missing
// codegen-units is never written: fewer codegen units raise a rustc process's
// peak memory (SPEC §5), so a user's low value is kept and noted, never lowered.
//
// Every other key, comment and the layout of the user's file are kept: the
// file is parsed with toml++ (its errors are reported as file:line:column),
// each setting is edited into the text in place (a value replaced, a key
// added under its table's header, or a new table appended), and the result is
// parsed again and compared, as TOML data, with the user's data plus the
// settings. When the text edit cannot be made to match (inline tables, dotted
// keys that define the table elsewhere), the data is written in toml++'s own
// layout instead and a note says that comments were not kept. The file goes
// through write_file_if_changed: an unchanged result is not rewritten.
#pragma once

#include "buildmem/plan.hpp"

#include <optional>
#include <string>
#include <vector>

namespace buildbudget::buildmem {

/// A parse error or an unusable value in the user's file, or a failed write.
/// what(): "<file>:<line>:<column>: <problem>" (line/column when known).
struct CargoConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A Rust toolchain version (rustc's, which decides what a flag does; cargo
/// and rustc of one toolchain share it).
struct RustVersion {
    unsigned major = 0, minor = 0, patch = 0;
};

/// Parses "1.65.0" or "1.65" (a pre-release suffix such as "-nightly" is
/// ignored). Empty when it is not a version.
[[nodiscard]] std::optional<RustVersion> parse_rust_version(const std::string& text);

/// What to write; empty optionals leave those keys as they are.
struct CargoSettings {
    std::optional<unsigned> jobs;             ///< [build] jobs, >= 1
    std::optional<DebugInfo> debug_info;      ///< [profile.dev|release] debug (+ split-debuginfo)
    std::optional<Lto> lto;                   ///< [profile.dev|release] lto
    std::optional<RustVersion> rust_version;  ///< empty: unknown, split-debuginfo is not written
    std::string target;                       ///< triple of [target.<triple>]; required with rustflags
    std::vector<std::string> rustflags;       ///< appended when missing (a flag and its value, such
                                              ///< as "-C" "link-arg=...", count as one)
};

/// The new file content and what was decided.
struct CargoConfigResult {
    std::string text;                ///< the whole new file
    std::vector<std::string> notes;  ///< one line each, for the user
    bool preserved_layout = true;    ///< false: written in toml++'s layout (comments dropped)
};

/// Computes the new content of `file` from its current `text` (empty for a
/// new file). `file` is used in messages only. Throws CargoConfigError.
[[nodiscard]] CargoConfigResult update_cargo_config(const std::string& file, const std::string& text,
                                                    const CargoSettings& settings);

/// Reads `file` (missing: a new file), updates it and writes it through
/// write_file_if_changed. Returns the result; `written` is false when the
/// file already had this content. Throws CargoConfigError (the file is left
/// untouched).
[[nodiscard]] CargoConfigResult write_cargo_config(const std::string& file, const CargoSettings& settings, bool& written);

}  // namespace buildbudget::buildmem
