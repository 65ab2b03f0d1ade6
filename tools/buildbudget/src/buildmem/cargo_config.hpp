// A Cargo configuration with the build's memory limits (doc/lowmem.md, "Cargo"):
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
//   [target.<triple>] rustflags              flags appended when missing; the
//       linker's memory flags (below) of another linker are replaced
//   [build] rustc-wrapper                    the build tree's rustc wrapper
//       (rustc_wrapper.hpp); a wrapper of the user's own is kept, with a
//       note, unless it is sccache and the new wrapper runs sccache itself;
//       another build tree's BuildBudget wrapper is replaced; without the
//       launcher, BuildBudget's wrapper is taken out (rustc-wrapper = "")
// codegen-units is never written: fewer codegen units raise a rustc process's
// peak memory (doc/design.md, "Build memory"), so a user's low value is kept
// and noted, never lowered.
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
//
// The linker flags are those of the linker rustc really runs for each target,
// found by asking that rustc (detect_rust_linker()): it links an empty program
// with the flags cargo would give it (the user's rustflags and `linker`) plus
// a version request to the linker (-Wl,-v through a C compiler, -v to a
// linker run directly) and a library that does not exist, so the link fails
// and rustc shows the linker's output; `--print link-args` shows the command.
// Since Rust 1.90, x86_64-unknown-linux-gnu links through `cc -fuse-ld=lld`
// with the toolchain's own rust-lld, earlier through `cc` and the system
// linker; `linker = "clang"` plus `-C link-arg=-fuse-ld=mold`, or `-C
// linker-features=-lld`, change it, and the probe sees each of these.
//   GNU ld  --no-keep-memory --reduce-memory-overheads   (ld(1))
//   gold    --no-map-whole-files --no-keep-files-mapped  (ld.gold --help)
//   lld     --threads=N                                  (ld.lld(1); rust-lld and wasm-ld too)
//   mold    --thread-count=N                             (mold(1))
// lld rejects --reduce-memory-overheads, so the flags are never guessed from
// the C compiler's own linker.
#pragma once

#include "buildmem/plan.hpp"

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
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

/// The [profile.*] values of the settings (the rules in the file comment),
/// shared by the config file and lowmem_profile()'s env script
/// (CARGO_PROFILE_<PROFILE>_DEBUG / _LTO / _SPLIT_DEBUGINFO):
/// debug "0" (off), "1" (line-tables), "2" (split, full);
/// lto "false" (off), "thin", "fat" (full);
/// split-debuginfo "unpacked" only for split with a known Rust >= 1.65.
[[nodiscard]] std::string cargo_debug_value(DebugInfo d);
[[nodiscard]] std::string cargo_lto_value(Lto l);
[[nodiscard]] bool cargo_split_debuginfo(DebugInfo d, const std::optional<RustVersion>& rust_version);

/// The reason line for cargo's jobs with a compile farm: "cargo jobs 2: the
/// local plan's compile pool, since rustc runs on this machine (distcc distributes C
/// and C++ compiles only); the farm's pool is for those". `engine` is
/// "distcc" or "icecc".
[[nodiscard]] std::string cargo_jobs_reason(unsigned local_jobs, const std::string& engine);

/// What to write; empty optionals leave those keys as they are.
struct CargoSettings {
    std::optional<unsigned> jobs;             ///< [build] jobs, >= 1
    std::optional<DebugInfo> debug_info;      ///< [profile.dev|release] debug (+ split-debuginfo)
    std::optional<Lto> lto;                   ///< [profile.dev|release] lto
    std::optional<RustVersion> rust_version;  ///< empty: unknown, split-debuginfo is not written
    std::string target;                       ///< triple of [target.<triple>]; required with rustflags
    std::vector<std::string> rustflags;       ///< appended when missing (a flag and its value, such
                                              ///< as "-C" "link-arg=...", count as one)
    /// More [target.<triple>] rustflags, one entry a target (as `target` + `rustflags`).
    std::vector<std::pair<std::string, std::vector<std::string>>> target_rustflags;
    std::string rustc_wrapper;           ///< [build] rustc-wrapper (an absolute path); empty: left as it is
    bool rustc_wrapper_sccache = false;  ///< it runs sccache, so a user's `rustc-wrapper = "sccache"` is replaced
    /// Take BuildBudget's wrapper out (LAUNCHER OFF): a [build] rustc-wrapper naming one, of any build
    /// tree, becomes "" (cargo 1.65 and 1.95 then run rustc directly); a wrapper of the user's own stays.
    bool no_rustc_wrapper = false;
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

/// The content of `file`; empty when it does not exist. Throws CargoConfigError.
[[nodiscard]] std::string read_cargo_config(const std::string& file);

// --- the linker rustc runs -----------------------------------------------------

/// The linker families whose memory flags are known.
enum class RustLinkerKind { bfd, gold, lld, mold, unknown };

/// "GNU ld", "gold", "lld", "mold", "unknown".
[[nodiscard]] const char* to_string(RustLinkerKind kind);

/// What rustc links with for one target.
struct RustLinker {
    std::string target;
    RustLinkerKind kind = RustLinkerKind::unknown;
    /// rustc runs a C compiler driver (gcc or clang flavour), so linker
    /// options are written -Wl,<option>; false: the linker itself (-v).
    bool through_cc = true;
    /// The Rust toolchain's own lld (rust-lld, or cc -B<...>/gcc-ld -fuse-ld=lld).
    bool self_contained = false;
    std::string program;  ///< the program rustc runs ("cc", "rust-lld", "clang")
    std::string version;  ///< the linker's version ("GNU ld (GNU Binutils for Debian) 2.40", "LLD 22.1.2")
    std::string problem;  ///< kind unknown: why (one line)

    /// "rust-lld (LLD 22.1.2, the Rust toolchain's own) through cc",
    /// "GNU ld (GNU Binutils for Debian) 2.40 through cc".
    [[nodiscard]] std::string describe() const;
};

/// Identifies the linker from what rustc printed for the probe link:
/// `link_args` is its `--print link-args` output (the linker command, with
/// environment assignments first since Rust 1.90), `output` the rest of its
/// output (the failed link's note with the linker's version line: "GNU ld
/// ...", "GNU gold ...", "[Vendor ]LLD X.Y", "mold X.Y"). Without a version
/// line the program's name (rust-lld, ld.lld, wasm-ld, ld.gold, mold, ld.bfd)
/// or the last -fuse-ld= decides; else the kind is unknown with a problem.
[[nodiscard]] RustLinker identify_rust_linker(const std::string& target, const std::string& link_args,
                                              const std::string& output);

/// The rustflags that lower `linker`'s peak memory (see the file comment), as
/// "-C" "link-arg=..." pairs; `threads` (>= 1) for lld and mold. Empty for an
/// unknown linker.
[[nodiscard]] std::vector<std::string> linker_memory_rustflags(const RustLinker& linker, unsigned threads);

/// rustc -vV: its release and host triple.
struct RustcInfo {
    RustVersion version;
    std::string host;
};

/// Runs `rustc -vV`. Throws CargoConfigError naming `rustc` with its own message.
[[nodiscard]] RustcInfo query_rustc(const std::string& rustc);

/// Links an empty program for `target` with `rustc` and `flags` (rustflags,
/// with "-C" "linker=..." for a configured linker) in a temporary directory
/// (removed afterwards), in the current directory's toolchain (rustup's
/// rust-toolchain.toml), and identifies the linker (identify_rust_linker()).
/// A program that does not link at all (a target without its standard
/// library) is RustLinkerKind::unknown with rustc's first error. Throws
/// CargoConfigError only when rustc cannot be run.
[[nodiscard]] RustLinker detect_rust_linker(const std::string& rustc, const std::string& target,
                                            const std::vector<std::string>& flags);

/// What cargo will give rustc for `target` besides the config this helper
/// writes, from `text` (the file `file`) and the environment (`env` looks a
/// variable up; empty when unset), in cargo's order (The Cargo Book,
/// "build.rustflags"): CARGO_ENCODED_RUSTFLAGS, RUSTFLAGS,
/// CARGO_TARGET_<TRIPLE>_RUSTFLAGS, [target.<triple>] rustflags,
/// CARGO_BUILD_RUSTFLAGS, [build] rustflags; the linker from
/// CARGO_TARGET_<TRIPLE>_LINKER or [target.<triple>] linker (a relative path
/// with a '/' is taken relative to the directory holding .cargo, as cargo
/// does). The linker memory flags of any linker are left out (they do not
/// choose the linker, and a stale one would break the probe's link).
struct CargoTargetInputs {
    std::vector<std::string> flags;  ///< rustflags for the probe, "-C" "linker=..." included
    std::vector<std::string> notes;  ///< e.g. RUSTFLAGS overrides the config's rustflags
};
[[nodiscard]] CargoTargetInputs cargo_target_inputs(const std::string& file, const std::string& text,
                                                    const std::string& target,
                                                    const std::function<std::string(const std::string&)>& env);

/// The targets of [build] target (a string or an array of strings) and
/// CARGO_BUILD_TARGET, in order, without duplicates.
[[nodiscard]] std::vector<std::string> cargo_build_targets(const std::string& file, const std::string& text,
                                                           const std::function<std::string(const std::string&)>& env);

}  // namespace buildbudget::buildmem
