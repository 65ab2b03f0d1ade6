# BuildBudgetWasmCargo: the Rust half of wasm_build_target() (doc/wasm.md).
# Private to BuildBudget: BuildBudgetWasm.cmake includes it; nothing here is
# public API.
#
# _buildbudget_wasm_cargo(<name> MANIFEST <Cargo.toml> TARGET <triple> ...)
#     adds the custom command that builds a crate's .wasm with cargo, tracked
#     through cargo's dep-info file.
# _buildbudget_wasm_find_rust() (the rustc and cargo it runs, and the cache
# variables BUILDBUDGET_RUSTC and BUILDBUDGET_CARGO) is in
# BuildBudgetWasmRust.cmake.
include_guard(GLOBAL)
# Functions keep the policies of the place they are defined: CMP0116 (NEW:
# Ninja transforms DEPFILEs, paths taken relative to the current binary
# directory) must hold whatever the including project asks for.
cmake_policy(VERSION 3.20...3.25)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetWasmRust.cmake)

# _buildbudget_wasm_cargo(<name> MANIFEST <Cargo.toml> TARGET <triple>
#     [CRATE <crate>] [FEATURES <feature>...] [NO_DEFAULT_FEATURES]
#     [PROFILE <profile>] OPTIMIZE size|speed|balanced|none
#     [RUSTFLAGS <flag>...] [VARIANT <tag>] [STATICLIB] OUTPUT_VARIABLE <var>
#     [CONTEXT <text>])
#
# Adds the custom command that builds one .wasm of a cargo crate, in the
# current directory (a target of the caller's must depend on the output).
# Arguments:
#   <name>      the module's name: the cargo target directory is
#               ${CMAKE_CURRENT_BINARY_DIR}/<name>.<tag>.cargo (<name>.cargo
#               when <tag> is empty), so variants never share a cargo lock or
#               artifacts and nothing is written into the crate but a
#               Cargo.lock that cargo itself creates when the crate has none.
#   MANIFEST    the crate's (or its workspace's) Cargo.toml; relative to the
#               current source directory. Never edited.
#   TARGET      a wasm32/wasm64 triple; wasm32-wasi and wasm32-wasip1 each
#               become the name the found rustc knows.
#   CRATE       the package (for a workspace) or the bin/cdylib target to
#               build; default: the manifest's own package, its cdylib when it
#               has one, else its only bin (or its default-run bin).
#   FEATURES, NO_DEFAULT_FEATURES  passed to cargo (checked against the
#               package's [features] when it has no optional dependencies).
#   PROFILE     the cargo profile, default release (dev builds target/debug).
#   OPTIMIZE    the profile's settings, given to cargo as CARGO_PROFILE_<P>_*
#               environment variables (they override Cargo.toml):
#                 size      opt-level "z", lto true,   codegen-units 1
#                 speed     opt-level 3,   lto true,   codegen-units 1
#                 balanced  opt-level 2,   lto "thin"
#               each with panic "abort", strip "debuginfo", debug false
#               (the name section stays for wasm-opt's symbol map, which
#               wasm-opt then drops: the module's bytes are the same as with
#               strip "symbols");
#                 none      the profile as the crate defines it.
#   RUSTFLAGS   flags for rustc, given as RUSTFLAGS (joined by spaces, so no
#               flag may contain one); they replace the rustflags of
#               .cargo/config files, as RUSTFLAGS always does. None given: the
#               build's own environment and cargo config decide.
#   VARIANT     a tag that keeps this build apart from the module's others
#               (e.g. simd); empty or absent for the baseline.
#   STATICLIB   build the cdylib crate as a static library instead
#               (`cargo rustc --lib ... -- --crate-type staticlib`; cargo 1.63
#               has no --crate-type option), for wasm_package(UNIFIED) to link
#               with other modules' code: <var> is then
#               <target-dir>/<triple>/<profile-dir>/deps/lib<stem>.a, and the
#               command depends on the package's .rs files (cargo writes no
#               dep-info for the archive).
#   OUTPUT_VARIABLE  receives the .wasm path.
#   CONTEXT     what error messages start with (e.g. "wasm_build_target(hasher)");
#               default "BuildBudget: cargo build of <name>".
#
# The command runs `cargo build --offline` in the manifest's directory (so
# .cargo/config.toml files there apply) with RUSTC set to the rustc found by
# _buildbudget_wasm_find_rust(): the two toolchains of a machine never mix.
# Its DEPFILE is the dep-info file cargo writes beside the artifact
# (<target-dir>/<triple>/<profile-dir>/<stem>.d, absolute paths), and it also
# depends on the Cargo.toml files and Cargo.lock: an unchanged crate runs no
# cargo at all, an edited source file or manifest runs it again.
#
# Outputs, in the caller's scope:
#   <var>          <target-dir>/<triple>/<profile-dir>/<stem>.wasm, where
#                  <stem> is the lib name with `-` as `_` for a cdylib, the
#                  bin name as it is for a bin
#   <var>_KIND     cdylib or bin
#   <var>_TRIPLE   the triple cargo builds for (see TARGET)
#   <var>_DEPFILE  the dep-info file
#
# Errors (FATAL_ERROR, naming the argument): a bad or missing argument, a
# manifest that does not exist or that cargo cannot read, a CRATE that is not
# there, a package without a cdylib or bin target (or with several bins and no
# CRATE), an unknown feature, a flag with a space, a Cargo.lock too new for
# the cargo found, a second call for the same <name> and VARIANT, and every
# error of _buildbudget_wasm_find_rust().
function(_buildbudget_wasm_cargo name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NO_DEFAULT_FEATURES;STATICLIB"
    "MANIFEST;TARGET;CRATE;PROFILE;OPTIMIZE;VARIANT;OUTPUT_VARIABLE;CONTEXT" "FEATURES;RUSTFLAGS")
  set(ctx "BuildBudget: cargo build of ${name}")
  if(NOT "${arg_CONTEXT}" STREQUAL "")
    set(ctx "${arg_CONTEXT}")
  endif()
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${ctx}: unexpected argument(s) ${arg_UNPARSED_ARGUMENTS}; expected MANIFEST, TARGET, "
      "CRATE, FEATURES, NO_DEFAULT_FEATURES, PROFILE, OPTIMIZE, RUSTFLAGS, VARIANT, STATICLIB, OUTPUT_VARIABLE, CONTEXT")
  endif()
  if(NOT name MATCHES "^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
    message(FATAL_ERROR "${ctx}: the name \"${name}\" must be letters, digits and _ . + - (it names the cargo "
      "target directory)")
  endif()
  foreach(keyword IN ITEMS MANIFEST TARGET OPTIMIZE OUTPUT_VARIABLE)
    if("${arg_${keyword}}" STREQUAL "")
      message(FATAL_ERROR "${ctx}: ${keyword} needs a value")
    endif()
  endforeach()
  if(NOT arg_TARGET MATCHES "^wasm(32|64)-[A-Za-z0-9_.-]+$")
    message(FATAL_ERROR "${ctx}: TARGET \"${arg_TARGET}\" is not a WebAssembly triple (wasm32-unknown-unknown, "
      "wasm32-wasip1, wasm32-wasi, ...)")
  endif()
  if(NOT arg_OPTIMIZE MATCHES "^(size|speed|balanced|none)$")
    message(FATAL_ERROR "${ctx}: OPTIMIZE \"${arg_OPTIMIZE}\" is not one of size, speed, balanced, none")
  endif()
  if(NOT DEFINED arg_PROFILE OR arg_PROFILE STREQUAL "")
    set(arg_PROFILE release)
  elseif(NOT arg_PROFILE MATCHES "^[A-Za-z][A-Za-z0-9_-]*$")
    message(FATAL_ERROR "${ctx}: PROFILE \"${arg_PROFILE}\" is not a cargo profile name (letters, digits, _ and -)")
  endif()
  if(NOT "${arg_VARIANT}" MATCHES "^[A-Za-z0-9_.+-]*$")
    message(FATAL_ERROR "${ctx}: VARIANT \"${arg_VARIANT}\" must be letters, digits and _ . + -")
  endif()
  foreach(flag IN LISTS arg_RUSTFLAGS)
    if(flag MATCHES "[ \t\n]")
      message(FATAL_ERROR "${ctx}: RUSTFLAGS \"${flag}\" contains white space; cargo splits RUSTFLAGS at spaces, "
        "so give each word as its own flag (e.g. -C opt-level=z as -Copt-level=z)")
    endif()
  endforeach()
  foreach(feature IN LISTS arg_FEATURES)
    if(NOT feature MATCHES "^[A-Za-z0-9_][A-Za-z0-9_+./-]*$")
      message(FATAL_ERROR "${ctx}: FEATURES \"${feature}\" is not a cargo feature name")
    endif()
  endforeach()
  get_filename_component(manifest "${arg_MANIFEST}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${manifest}" OR IS_DIRECTORY "${manifest}")
    message(FATAL_ERROR "${ctx}: MANIFEST ${manifest} is not a file; expected a crate's Cargo.toml")
  endif()
  get_filename_component(crate_dir "${manifest}" DIRECTORY)

  if("${arg_VARIANT}" STREQUAL "")
    set(target_dir "${CMAKE_CURRENT_BINARY_DIR}/${name}.cargo")
  else()
    set(target_dir "${CMAKE_CURRENT_BINARY_DIR}/${name}.${arg_VARIANT}.cargo")
  endif()
  get_property(taken GLOBAL PROPERTY _BUILDBUDGET_WASM_CARGO_TARGET_DIRS)
  if(target_dir IN_LIST taken)
    message(FATAL_ERROR "${ctx}: ${name} (VARIANT \"${arg_VARIANT}\") is already built in this directory; "
      "give each build its own name or VARIANT")
  endif()
  set_property(GLOBAL APPEND PROPERTY _BUILDBUDGET_WASM_CARGO_TARGET_DIRS "${target_dir}")

  _buildbudget_wasm_find_rust("${arg_TARGET}" rustc cargo triple)
  _buildbudget_wasm_cargo_select("${ctx}" "${cargo}" "${rustc}" "${manifest}" "${arg_CRATE}" "${arg_FEATURES}")

  # Cargo.lock: cargo >= 1.83 writes version 4, which cargo < 1.78 cannot read.
  set(lockfile "${workspace_root}/Cargo.lock")
  if(EXISTS "${lockfile}")
    file(STRINGS "${lockfile}" lock_version REGEX "^version = [0-9]+" LIMIT_COUNT 1)
    string(REGEX MATCH "[0-9]+" lock_version "${lock_version}")
    string(REGEX MATCH "cargo [0-9]+\\.([0-9]+)" _ "${_BUILDBUDGET_WASM_RUST_${arg_TARGET}_CARGO_VERSION}")
    if(lock_version AND CMAKE_MATCH_1 AND lock_version GREATER_EQUAL 4 AND CMAKE_MATCH_1 LESS 78)
      message(FATAL_ERROR "${ctx}: ${lockfile} is lock file version ${lock_version} (written by cargo 1.78 or "
        "newer), which ${cargo} (${_BUILDBUDGET_WASM_RUST_${arg_TARGET}_CARGO_VERSION}) cannot read. Delete it "
        "and let this cargo write a version 3 one, or use a newer toolchain (BUILDBUDGET_RUSTC).")
    endif()
  endif()

  # Where cargo puts the artifact and its dep-info.
  if(arg_PROFILE MATCHES "^(dev|test)$")
    set(profile_dir debug)
  elseif(arg_PROFILE STREQUAL "bench")
    set(profile_dir release)
  else()
    set(profile_dir "${arg_PROFILE}")
  endif()
  set(out_dir "${target_dir}/${triple}/${profile_dir}")
  set(wasm "${out_dir}/${stem}.wasm")
  set(depfile "${out_dir}/${stem}.d")

  # The environment: the toolchain, the target directory, the profile.
  set(env "RUSTC=${rustc}" "CARGO_TARGET_DIR=${target_dir}")
  string(TOUPPER "${arg_PROFILE}" P)
  string(REPLACE "-" "_" P "${P}")
  if(arg_OPTIMIZE STREQUAL "size")
    set(settings OPT_LEVEL=z LTO=true CODEGEN_UNITS=1)
  elseif(arg_OPTIMIZE STREQUAL "speed")
    set(settings OPT_LEVEL=3 LTO=true CODEGEN_UNITS=1)
  elseif(arg_OPTIMIZE STREQUAL "balanced")
    set(settings OPT_LEVEL=2 LTO=thin)
  else()
    set(settings)
  endif()
  if(settings)
    list(APPEND settings PANIC=abort STRIP=debuginfo DEBUG=false)
  endif()
  foreach(setting IN LISTS settings)
    list(APPEND env "CARGO_PROFILE_${P}_${setting}")
  endforeach()
  set(unset)
  if(arg_RUSTFLAGS)
    # CARGO_ENCODED_RUSTFLAGS would win over RUSTFLAGS.
    set(unset --unset=CARGO_ENCODED_RUSTFLAGS)
    list(JOIN arg_RUSTFLAGS " " rustflags)
    list(APPEND env "RUSTFLAGS=${rustflags}")
  endif()

  set(cargo_command build)
  if(arg_STATICLIB)
    if(NOT kind STREQUAL "cdylib")
      message(FATAL_ERROR "${ctx}: ${package} builds a ${kind}, not a library; linking it with other modules' code "
        "needs a cdylib crate ([lib] crate-type = [\"cdylib\"])")
    endif()
    set(cargo_command rustc)
    set(wasm "${out_dir}/deps/lib${stem}.a")
  endif()
  set(cargo_args ${cargo_command} --offline --manifest-path "${manifest}" --target "${triple}" --profile "${arg_PROFILE}"
      --package "${package}" ${target_selector})
  if(arg_FEATURES)
    list(JOIN arg_FEATURES "," features)
    list(APPEND cargo_args --features "${features}")
  endif()
  if(arg_NO_DEFAULT_FEATURES)
    list(APPEND cargo_args --no-default-features)
  endif()
  if(arg_STATICLIB)
    list(APPEND cargo_args -- --crate-type staticlib)
  endif()

  # cargo's dep-info names every source file (absolute paths); the manifests
  # and the lock file it does not name.
  set(depends "${manifest}")
  if(NOT "${workspace_root}/Cargo.toml" STREQUAL manifest AND EXISTS "${workspace_root}/Cargo.toml")
    list(APPEND depends "${workspace_root}/Cargo.toml")
  endif()
  if(EXISTS "${lockfile}")
    list(APPEND depends "${lockfile}")
  endif()
  set(dep_args DEPFILE "${depfile}")
  if(arg_STATICLIB OR (NOT CMAKE_GENERATOR MATCHES "Ninja|Makefiles" AND CMAKE_VERSION VERSION_LESS 3.21))
    # No DEPFILE for this generator, or none for the static library: every
    # Rust file of the package instead.
    file(GLOB_RECURSE sources "${package_dir}/*.rs")
    list(FILTER sources EXCLUDE REGEX "/target/")
    list(APPEND depends ${sources})
    set(dep_args)
  endif()

  # When a manifest changed but cargo finds the crate fresh, it leaves the
  # .wasm as it was: Ninja's restat notes that; other generators would run
  # cargo on every build after, unless the output is touched.
  set(touch)
  if(NOT CMAKE_GENERATOR MATCHES "Ninja")
    set(touch COMMAND "${CMAKE_COMMAND}" -E touch_nocreate "${wasm}")
  endif()

  set(what "${package}")
  if(NOT target_name STREQUAL package)
    set(what "${package} (${kind} ${target_name})")
  endif()
  if(NOT "${arg_VARIANT}" STREQUAL "")
    string(APPEND what " [${arg_VARIANT}]")
  endif()
  if(arg_STATICLIB)
    string(APPEND what " as a static library")
  endif()
  add_custom_command(OUTPUT "${wasm}"
    COMMAND "${CMAKE_COMMAND}" -E env ${unset} ${env} "${cargo}" ${cargo_args}
    ${touch}
    DEPENDS ${depends}
    ${dep_args}
    WORKING_DIRECTORY "${crate_dir}"
    COMMENT "Building Rust crate ${what} for ${triple} with cargo (OPTIMIZE ${arg_OPTIMIZE}, profile ${arg_PROFILE})"
    VERBATIM)
  set_property(DIRECTORY APPEND PROPERTY ADDITIONAL_CLEAN_FILES "${target_dir}")

  set(${arg_OUTPUT_VARIABLE} "${wasm}" PARENT_SCOPE)
  set(${arg_OUTPUT_VARIABLE}_KIND "${kind}" PARENT_SCOPE)
  set(${arg_OUTPUT_VARIABLE}_TRIPLE "${triple}" PARENT_SCOPE)
  set(${arg_OUTPUT_VARIABLE}_DEPFILE "${depfile}" PARENT_SCOPE)
endfunction()

# _buildbudget_wasm_cargo_select(<ctx> <cargo> <rustc> <manifest> <crate> <features>)
# Reads the manifest with `cargo metadata --no-deps` (offline; writes no lock
# file); `buildbudget wasm cargo-select` picks the package and target to build
# from its output (doc/helper-wasm-dts.md, "buildbudget wasm cargo-select").
# The answer is cached (_BUILDBUDGET_CARGO_SELECT_*) until the manifest's
# content, the set of src/lib.rs, src/main.rs and src/bin/* files, CRATE,
# FEATURES or the cargo change. Sets, in the caller's scope:
#   package          the package's name (for --package)
#   package_dir      its directory
#   workspace_root   the workspace's directory (where Cargo.lock lives)
#   kind             cdylib or bin
#   target_name      the target's name
#   target_selector  --lib or --bin <name>
#   stem             the artifact's file name without .wasm
# Errors: see _buildbudget_wasm_cargo().
function(_buildbudget_wasm_cargo_select ctx cargo rustc manifest crate features)
  # The cache key: the cargo, the manifest's content, the files cargo
  # discovers targets from, CRATE and FEATURES.
  get_filename_component(crate_dir "${manifest}" DIRECTORY)
  file(SHA256 "${manifest}" key)
  file(GLOB discovered RELATIVE "${crate_dir}" "${crate_dir}/src/main.rs" "${crate_dir}/src/lib.rs"
    "${crate_dir}/src/bin/*")
  string(SHA256 key "${cargo}|${manifest}|${key}|${discovered}|${crate}|${features}")
  string(SHA256 slot "${manifest}|${crate}")
  set(cache "_BUILDBUDGET_CARGO_SELECT_${slot}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${manifest}")
  set(variables package package_dir workspace_root kind target_name stem)
  if("${${cache}_KEY}" STREQUAL "${key}")
    foreach(variable IN LISTS variables)
      set(${variable} "${${cache}_${variable}}" PARENT_SCOPE)
    endforeach()
    if("${${cache}_kind}" STREQUAL "cdylib")
      set(target_selector --lib PARENT_SCOPE)
    else()
      set(target_selector --bin "${${cache}_target_name}" PARENT_SCOPE)
    endif()
    return()
  endif()

  execute_process(COMMAND "${CMAKE_COMMAND}" -E env "RUSTC=${rustc}"
      "${cargo}" metadata --no-deps --format-version 1 --offline --manifest-path "${manifest}"
    WORKING_DIRECTORY "${crate_dir}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE json ERROR_VARIABLE err
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    string(REPLACE "\n" "\n  " err "${err}")
    message(FATAL_ERROR "${ctx}: cargo cannot read MANIFEST ${manifest}:\n  ${err}")
  endif()

  # The selection rules live in the helper (doc/helper-wasm-dts.md,
  # "buildbudget wasm cargo-select"); it writes the answer as a CMake script.
  _buildbudget_helper(helper)
  set(work "${CMAKE_CURRENT_BINARY_DIR}/buildbudget-cargo")
  file(WRITE "${work}/${slot}.json" "${json}")
  set(feature_args)
  foreach(feature IN LISTS features)
    list(APPEND feature_args "--feature=${feature}")
  endforeach()
  set(crate_args)
  if(NOT crate STREQUAL "")
    set(crate_args "--crate=${crate}")
  endif()
  execute_process(COMMAND "${helper}" wasm cargo-select --metadata "${work}/${slot}.json"
      --manifest "${manifest}" ${crate_args} ${feature_args} --cmake-out "${work}/${slot}.cmake"
    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE error)
  if(NOT rc EQUAL 0)
    string(REGEX REPLACE "^buildbudget: error: " "" error "${error}")
    string(STRIP "${error}" error)
    if(error STREQUAL "")
      set(error "buildbudget wasm cargo-select failed (${rc})")
    endif()
    message(FATAL_ERROR "${ctx}: ${error}")
  endif()
  include("${work}/${slot}.cmake")
  if(kind STREQUAL "cdylib")
    set(target_selector --lib)
  else()
    set(target_selector --bin "${target_name}")
  endif()

  foreach(variable IN LISTS variables)
    set(${cache}_${variable} "${${variable}}" CACHE INTERNAL "")
    set(${variable} "${${variable}}" PARENT_SCOPE)
  endforeach()
  set(${cache}_KEY "${key}" CACHE INTERNAL "cargo metadata of ${manifest}, CRATE \"${crate}\"")
  set(target_selector ${target_selector} PARENT_SCOPE)
endfunction()
