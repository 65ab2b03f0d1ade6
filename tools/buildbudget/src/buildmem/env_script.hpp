// lowmem_profile(ENV_SCRIPT): a POSIX sh script exporting the build's memory
// limits for builds started from a shell (`buildbudget buildmem plan
// --write-env`, doc/lowmem.md).
//
// Rendered from the package's template lowmem/build-env.sh.in (found by
// read_template(), common/templates.hpp; templates/README.md); its placeholders are
//   @PROJECT_NAME@  the CMake project
//   @BUILD_DIR@     the build tree the limits belong to
//   @SCRIPT@        the script itself, as one sh word ('...')
//   @EXPORTS@       the assignments, `NAME='value'` and `export NAME` on
//                   lines of their own, without a final newline
// The variables, in this order: BUILDBUDGET_MEMORY_LIMIT (bytes),
// BUILDBUDGET_COMPILE_JOBS, BUILDBUDGET_LINK_JOBS, CMAKE_BUILD_PARALLEL_LEVEL
// (the compile pool), MAKEFLAGS (-j<compile pool>), CARGO_BUILD_JOBS (the
// local compile pool: cargo_jobs), then
// for the DEV and RELEASE profiles CARGO_PROFILE_<P>_DEBUG (with a debug-info
// setting), _SPLIT_DEBUGINFO (split, Rust >= 1.65) and _LTO (with an LTO
// setting), valued by the cargo rules of buildmem/cargo_config.hpp. With a
// rustc wrapper (buildmem/rustc_wrapper.hpp) the exports end with a `case`
// that sets RUSTC_WRAPPER to it when RUSTC_WRAPPER is unset or empty (or is
// a BuildBudget wrapper, of any build tree, or sccache when the wrapper runs
// sccache): a wrapper of the user's own is kept.
#pragma once

#include "buildmem/cargo_config.hpp"
#include "buildmem/plan.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace buildbudget::buildmem {

struct EnvScriptInputs {
    std::string project_name, build_dir, script;
    std::uint64_t memory_limit = 0;  ///< bytes
    unsigned compile_jobs = 1, link_jobs = 1;
    std::optional<unsigned> cargo_jobs;       ///< CARGO_BUILD_JOBS (rustc runs locally, also with a farm); empty: compile_jobs
    std::optional<DebugInfo> debug_info;      ///< empty: the build type's own (no cargo debug variable)
    std::optional<Lto> lto;                   ///< empty: not set (no cargo lto variable)
    std::optional<RustVersion> rust_version;  ///< empty: unknown (no split-debuginfo)
    std::string rustc_wrapper;                ///< the rustc wrapper's path; empty: RUSTC_WRAPPER is not set
    bool rustc_wrapper_sccache = false;       ///< the wrapper runs sccache (a user's RUSTC_WRAPPER=sccache is replaced)
};

/// `text` as one POSIX sh word: '...' with each ' written '\''.
[[nodiscard]] std::string sh_quoted(const std::string& text);

/// The script: `template_text` (the template's text) rendered for `inputs`.
[[nodiscard]] std::string render_env_script(const std::string& template_text, const EnvScriptInputs& inputs);

/// The name of the template, for read_template(): "lowmem/build-env.sh.in".
inline constexpr const char* env_script_template = "lowmem/build-env.sh.in";

}  // namespace buildbudget::buildmem
