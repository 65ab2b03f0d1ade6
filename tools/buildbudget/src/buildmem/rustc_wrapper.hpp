// Cargo's rustc wrapper (doc/lowmem.md, "Cargo"): lowmem_profile(CARGO_CONFIG)
// writes it as `[build] rustc-wrapper` (`buildbudget buildmem cargo-config
// --plan`), lowmem_profile(ENV_SCRIPT) exports it as RUSTC_WRAPPER
// (`buildbudget buildmem plan --write-env --rustc-wrapper`).
//
// Cargo takes one program as its wrapper and runs it as `<wrapper> <rustc>
// <args...>` (The Cargo Book, "build.rustc-wrapper"), also for its own
// queries (`rustc -vV`, `rustc - --crate-name ___ --print=...`). The wrapper
// is a POSIX sh script in the build tree, <plan dir>/rustc-wrapper, rendered
// from the package's template lowmem/rustc-wrapper.sh.in; its placeholders:
//   @BUILD_DIR@   the build tree (a comment)
//   @HELPER@      this buildbudget, as one sh word
//   @PLAN@        the launcher's plan file, as one sh word
//   @SCCACHE@     sccache's absolute path as one sh word, '' without sccache
//   @SELF@        the wrapper itself, as one sh word
//   @SHIMS_NAME@  rustc-wrapper.d, the directory of its rustc scripts
// Each rustc that compiles a crate (--crate-name; not cargo's ___ query, nor
// sccache's --print and --emit dep-info passes) runs through `buildbudget
// buildmem launch --kind compile`. sccache runs the
// compiler from its server process, not below the client, so a launcher in
// front of sccache would measure only the client (measured here: 5.6 MiB for
// a cache miss whose rustc 1.95 took 71 MiB). With sccache the chain is therefore
// sccache -> a script named `rustc` (sccache recognises rustc by its file
// name) -> the launcher -> rustc; the wrapper writes that two-line script on
// first use, one per rustc path and RUSTUP_TOOLCHAIN, so sccache's server,
// which keeps what it learnt about a compiler by its path, never mixes two
// toolchains. Without a readable plan or helper (the build tree or the
// package moved) rustc runs without the launcher, and without sccache at run
// time without it, so the user's build still works.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace buildbudget::buildmem {

/// The name of the template, for read_template().
inline constexpr const char* rustc_wrapper_template = "lowmem/rustc-wrapper.sh.in";

/// <directory of plan_file>/rustc-wrapper.
[[nodiscard]] std::string rustc_wrapper_path(const std::string& plan_file);

/// <directory of plan_file>/rustc-wrapper.d: the wrapper's rustc scripts for
/// sccache; it exists once sccache ran a rustc of this build tree.
[[nodiscard]] std::string rustc_wrapper_shims(const std::string& plan_file);

/// The absolute path of `program` on `path` (a PATH value, ':'-separated; an
/// empty entry is the current directory), the first executable regular file;
/// empty when none.
[[nodiscard]] std::string find_on_path(const std::string& program, const std::string& path);

/// This running buildbudget's absolute path (/proc/self/exe); throws
/// std::runtime_error when it cannot be read.
[[nodiscard]] std::string self_executable();

struct RustcWrapperInputs {
    std::string helper;   ///< buildbudget's absolute path
    std::string plan;     ///< the plan file's absolute path (its directory's parent is the build tree)
    std::string sccache;  ///< sccache's absolute path; empty: no sccache
};

/// The inputs for `plan_file` here: this buildbudget (self_executable()), the
/// plan's absolute path, and `sccache` found on $PATH (empty when absent).
[[nodiscard]] RustcWrapperInputs rustc_wrapper_inputs(const std::string& plan_file);

/// The wrapper's text: the template (read_template()) rendered for `inputs`.
/// Throws std::runtime_error (read_template()'s message).
[[nodiscard]] std::string rustc_wrapper_text(const RustcWrapperInputs& inputs);

/// chmod 0755; throws std::runtime_error("<file>: cannot make it executable (<reason>)").
void make_executable(const std::string& file);

/// Writes rustc_wrapper_path(inputs.plan) with rustc_wrapper_text() through
/// write_file_if_changed, executable. Returns its path; `written` is false
/// when it already had this content. Throws std::runtime_error ("<file>: <reason>").
std::string write_rustc_wrapper(const RustcWrapperInputs& inputs, bool& written);

/// Whether `wrapper` (a [build] rustc-wrapper or RUSTC_WRAPPER value) is
/// sccache: its file name is sccache.
[[nodiscard]] bool is_sccache(const std::string& wrapper);

/// Whether `wrapper` is a BuildBudget rustc wrapper, of any build tree:
/// .../buildbudget-lowmem/rustc-wrapper. One source tree's cargo config may
/// be written by several build trees; the last configure's wins.
[[nodiscard]] bool is_buildbudget_rustc_wrapper(const std::string& wrapper);

// --- sccache's statistics, for the reports ------------------------------------

/// What `sccache --show-stats --stats-format json` says (sccache 0.4: the
/// object "stats" with "compile_requests", "requests_not_cacheable",
/// "cache_hits"/"cache_misses" {"counts": {<language>: N}}, and
/// "cache_location"). The counters are the server's since it started or was
/// zeroed (`sccache --zero-stats`), over every build that used it.
struct SccacheStats {
    std::string program;   ///< the sccache run
    unsigned port = 4226;  ///< the server's port (SCCACHE_SERVER_PORT, else 4226)
    bool running = false;  ///< a server answered on the port; false: no counters (they end with the server)
    std::uint64_t hits = 0, misses = 0, not_cacheable = 0, compile_requests = 0;
    std::map<std::string, std::uint64_t> hits_by_language, misses_by_language;
    std::string location;  ///< "Local disk: \"/root/.cache/sccache\""
};

/// Asks the sccache server on this machine for its statistics. No server
/// running (nothing accepts on 127.0.0.1:<port>): `running` false, and
/// sccache is not run (`--show-stats` would start a server with no counters).
/// Throws std::runtime_error with sccache's own message when it fails or its
/// JSON is not the expected shape.
[[nodiscard]] SccacheStats query_sccache_stats(const std::string& program);

/// The report's lines (with a final newline): "sccache (server on port 4226,
/// ...): 1 hit, 1 miss (Rust 1), 8 not cacheable", or that no server runs.
[[nodiscard]] std::string sccache_stats_text(const SccacheStats& stats);

/// The reports' "sccache" object (`buildmem report --json`, report.json's
/// "build_memory"): {"program", "port", "running", "hits", "misses",
/// "not_cacheable", "compile_requests", "hits_by_language",
/// "misses_by_language", "location"}.
[[nodiscard]] nlohmann::ordered_json sccache_stats_json(const SccacheStats& stats);

/// The statistics back from sccache_stats_json()'s object (report.json's, for
/// report.md); a missing or mistyped field reads as SccacheStats' default.
[[nodiscard]] SccacheStats sccache_stats_from_json(const nlohmann::ordered_json& j);

/// What report.md and report.html say of report.json's "sccache" value, without a final newline:
/// sccache_stats_text() of an object, or (null) that sccache ran but its counts could not be read.
[[nodiscard]] std::string sccache_report_text(const nlohmann::ordered_json& j);

/// What both reports (`buildmem report --plan`, `buildbudget report`) show of
/// sccache for the build tree of a plan file.
struct BuildTreeSccache {
    bool ran = false;                    ///< cargo's rustc wrapper of the tree ran sccache (rustc_wrapper_shims() exists)
    std::optional<SccacheStats> stats;   ///< with `ran`: query_sccache_stats() of the sccache on $PATH, unless it failed
    std::string error;                   ///< why `stats` is empty although `ran` (query_sccache_stats()'s message)
};

/// The sccache figures for the build tree of `plan_file`: sccache's server is
/// asked only when the tree's rustc wrapper ran sccache.
[[nodiscard]] BuildTreeSccache build_tree_sccache(const std::string& plan_file);

}  // namespace buildbudget::buildmem
