# BuildBudgetWasmCargo: the Rust half of wasm_build_target() (SPEC §3).
# Private to BuildBudget: BuildBudgetWasm.cmake includes it; nothing here is
# public API.
#
# _buildbudget_wasm_find_rust(<target> <rustc-var> <cargo-var> [<triple-var>])
#     finds a rustc whose sysroot has <target>'s standard library, and the
#     cargo that goes with it.
# _buildbudget_wasm_cargo(<name> MANIFEST <Cargo.toml> TARGET <triple> ...)
#     adds the custom command that builds a crate's .wasm with cargo, tracked
#     through cargo's dep-info file.
#
# Cache variables the user may set:
#   BUILDBUDGET_RUSTC   the rustc to use (the only one tried when set)
#   BUILDBUDGET_CARGO   the cargo to use (else the one beside that rustc)
# Cache entries written (INTERNAL, one set per target; delete them to search
# again): BUILDBUDGET_WASM_RUSTC_<target>, BUILDBUDGET_WASM_CARGO_<target>,
# BUILDBUDGET_WASM_TRIPLE_<target> and _BUILDBUDGET_WASM_RUST_<target>_*.
include_guard(GLOBAL)
# Functions keep the policies of the place they are defined: CMP0116 (NEW:
# Ninja transforms DEPFILEs, paths taken relative to the current binary
# directory) must hold whatever the including project asks for.
cmake_policy(VERSION 3.20...3.25)

# wasm32-wasip1 is what rustc >= 1.78 calls the target Debian's rustc 1.63 (and
# every rustc before 1.84) knows as wasm32-wasi.
set(_BUILDBUDGET_WASM_TARGET_ALIASES "wasm32-wasip1=wasm32-wasi" "wasm32-wasi=wasm32-wasip1")

# _buildbudget_wasm_find_rust(<target> <rustc-var> <cargo-var> [<triple-var>])
#
# Finds a rustc whose sysroot holds the standard library for <target>
# (<sysroot>/lib/rustlib/<triple>/lib/libstd-*.rlib) and the cargo to run it
# with. Candidates, in order, the first one with the target winning:
#   - the cache variable BUILDBUDGET_RUSTC, when set (then the only one);
#   - $ENV{RUSTC};
#   - every rustc on PATH, in PATH order;
#   - /usr/bin/rustc, $ENV{CARGO_HOME}/bin/rustc and ~/.cargo/bin/rustc.
# A rustup proxy (a rustc that is a link to rustup) is replaced by the
# toolchain's own <sysroot>/bin/rustc, so that the build later uses the
# toolchain checked here whatever rust-toolchain file or RUSTUP_TOOLCHAIN
# it meets. wasm32-wasip1 and wasm32-wasi stand for each other: each rustc is
# asked for the name it knows (`rustc --print target-list`).
# The status line names the rustc and cargo chosen, and the candidates passed
# over for want of the target (rustup's stable first on PATH without wasm32,
# say). The cargo is BUILDBUDGET_CARGO when set, else the cargo beside the chosen
# rustc, else the cargo on PATH whose version is closest to the rustc's (with
# a warning: cargo runs it through RUSTC=<rustc>, and a cargo much newer than
# its rustc may fail, as cargo 1.95 does with rustc 1.63).
#
# Outputs, in the caller's scope:
#   <rustc-var>   absolute path of the rustc
#   <cargo-var>   absolute path of the cargo
#   <triple-var>  (optional) the target's name for that rustc: <target>, or
#                 its alias wasm32-wasi/wasm32-wasip1
# The result is cached per <target> (BUILDBUDGET_WASM_RUSTC_<target>, ...):
# a re-configure runs no rustc while the cached rustc, cargo and libstd are
# still there and BUILDBUDGET_RUSTC, BUILDBUDGET_CARGO and $ENV{RUSTC} have not
# changed.
#
# Errors (FATAL_ERROR):
#   - no rustc anywhere: how to install rustc and cargo;
#   - no rustc has the target: every rustc tried, with its version, sysroot,
#     the libstd directory that is missing and the command that installs it
#     (`rustup target add <target> --toolchain <toolchain>` for a rustup
#     toolchain, `apt-get install libstd-rust-dev-wasm32` for Debian's rustc);
#     when BUILDBUDGET_RUSTC chose a rustc without it (rustup's stable, say,
#     where Debian's rustc has the wasm32 targets), also every other rustc of
#     the search that has it, with its cargo, and the -DBUILDBUDGET_RUSTC=...
#     that selects it;
#   - BUILDBUDGET_RUSTC or BUILDBUDGET_CARGO that is not a program;
#   - no cargo anywhere.
function(_buildbudget_wasm_find_rust target rustc_var cargo_var)
  set(ctx "BuildBudget: Rust for ${target}")
  if(NOT target MATCHES "^[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+)+$")
    message(FATAL_ERROR "${ctx}: \"${target}\" is not a target triple such as wasm32-unknown-unknown")
  endif()
  if(ARGC GREATER 4)
    message(FATAL_ERROR "_buildbudget_wasm_find_rust: unexpected argument(s) ${ARGN}; expected "
      "<target> <rustc-var> <cargo-var> [<triple-var>]")
  endif()
  set(triple_var "${ARGV3}")
  set(cache "_BUILDBUDGET_WASM_RUST_${target}")
  set(key "${BUILDBUDGET_RUSTC}|${BUILDBUDGET_CARGO}|$ENV{RUSTC}")

  # The cached answer, when it still holds.
  if(DEFINED CACHE{BUILDBUDGET_WASM_RUSTC_${target}} AND "${${cache}_KEY}" STREQUAL "${key}")
    set(rustc "${BUILDBUDGET_WASM_RUSTC_${target}}")
    set(cargo "${BUILDBUDGET_WASM_CARGO_${target}}")
    set(triple "${BUILDBUDGET_WASM_TRIPLE_${target}}")
    set(libstd)
    if(EXISTS "${${cache}_LIBDIR}")
      file(GLOB libstd "${${cache}_LIBDIR}/libstd-*.rlib")
    endif()
    if(EXISTS "${rustc}" AND EXISTS "${cargo}" AND libstd)
      set(${rustc_var} "${rustc}" PARENT_SCOPE)
      set(${cargo_var} "${cargo}" PARENT_SCOPE)
      if(triple_var)
        set(${triple_var} "${triple}" PARENT_SCOPE)
      endif()
      return()
    endif()
  endif()

  # The candidates.
  set(candidates)
  if(BUILDBUDGET_RUSTC)
    _buildbudget_wasm_program(rustc "${BUILDBUDGET_RUSTC}")
    if(NOT rustc)
      message(FATAL_ERROR "${ctx}: BUILDBUDGET_RUSTC=${BUILDBUDGET_RUSTC} is not a program; "
        "set it to a rustc (e.g. /usr/bin/rustc) or unset it to search PATH")
    endif()
    list(APPEND candidates "${rustc}")
  else()
    if(NOT "$ENV{RUSTC}" STREQUAL "")
      _buildbudget_wasm_program(rustc "$ENV{RUSTC}")
      if(rustc)
        list(APPEND candidates "${rustc}")
      else()
        message(WARNING "${ctx}: the environment variable RUSTC=$ENV{RUSTC} is not a program; ignored")
      endif()
    endif()
    _buildbudget_wasm_rustc_search(searched)
    list(APPEND candidates ${searched})
  endif()
  if(NOT candidates)
    message(FATAL_ERROR "${ctx}: no rustc found (looked on PATH, in /usr/bin and ~/.cargo/bin). "
      "Install Rust: `apt-get install rustc cargo libstd-rust-dev-wasm32` (Debian/Ubuntu), or rustup "
      "(https://rustup.rs) and then `rustup target add ${target}`; or set BUILDBUDGET_RUSTC to a rustc.")
  endif()

  # Ask each candidate (each real program once) whether its sysroot has the
  # target.
  set(seen)
  set(tried "")
  set(skipped "")
  set(found FALSE)
  foreach(candidate IN LISTS candidates)
    get_filename_component(real "${candidate}" REALPATH)
    if(real IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${real}")
    _buildbudget_wasm_probe_rustc(probe "${candidate}" "${target}")
    if(probe_FOUND)
      set(found TRUE)
      set(chosen "${candidate}")
      set(rustc "${probe_RUSTC}")
      set(version "${probe_VERSION}")
      set(triple "${probe_TRIPLE}")
      set(libdir "${probe_LIBDIR}")
      break()
    endif()
    string(APPEND tried "\n  " "${probe_WHY}")
    list(APPEND skipped "${candidate}")
  endforeach()

  if(NOT found)
    set(text "${ctx}: no rustc found here has the standard library for ${target}.\nrustc tried:${tried}")
    if(BUILDBUDGET_RUSTC)
      set(text "${ctx}: BUILDBUDGET_RUSTC=${BUILDBUDGET_RUSTC} has no standard library for ${target}.${tried}")
      # Only the chosen rustc was tried: name the toolchains of this machine
      # that have the target, and how to select one.
      _buildbudget_wasm_rustc_search(others)
      set(having "")
      set(first "")
      foreach(other IN LISTS others)
        get_filename_component(real "${other}" REALPATH)
        if(real IN_LIST seen)
          continue()
        endif()
        list(APPEND seen "${real}")
        _buildbudget_wasm_probe_rustc(probe "${other}" "${target}")
        if(probe_FOUND)
          _buildbudget_wasm_cargo_beside(other_cargo "${probe_RUSTC}" "${other}")
          if(NOT other_cargo)
            set(other_cargo "no cargo beside it")
          endif()
          string(APPEND having "\n  ${other}: ${probe_VERSION}, sysroot ${probe_SYSROOT}, cargo ${other_cargo}")
          if(first STREQUAL "")
            set(first "${other}")
          endif()
        endif()
      endforeach()
      if(first STREQUAL "")
        string(APPEND text "\nNo other rustc on this machine (PATH, /usr/bin, ~/.cargo/bin) has it either: install "
          "the target for BUILDBUDGET_RUSTC as shown, or point BUILDBUDGET_RUSTC at a rustc that has it.")
      else()
        string(APPEND text "\nOther toolchains on this machine have it:${having}\nSelect one with "
          "-DBUILDBUDGET_RUSTC=${first} (its cargo is the one beside it, or BUILDBUDGET_CARGO), or unset "
          "BUILDBUDGET_RUSTC (-UBUILDBUDGET_RUSTC) to let the search pick it; or install the target for "
          "${BUILDBUDGET_RUSTC} as shown.")
      endif()
    else()
      string(APPEND text "\nInstall the target for one of them as shown, or set BUILDBUDGET_RUSTC to a rustc that has it.")
    endif()
    message(FATAL_ERROR "${text}")
  endif()

  # The cargo.
  string(REGEX MATCH "([0-9]+)\\.([0-9]+)\\.[0-9]+" rustc_version "${version}")
  set(rustc_minor "${CMAKE_MATCH_2}")
  set(cargo)
  set(cargo_version)
  if(BUILDBUDGET_CARGO)
    _buildbudget_wasm_program(cargo "${BUILDBUDGET_CARGO}")
    if(NOT cargo)
      message(FATAL_ERROR "${ctx}: BUILDBUDGET_CARGO=${BUILDBUDGET_CARGO} is not a program; "
        "set it to a cargo (e.g. /usr/bin/cargo) or unset it to use the cargo beside ${rustc}")
    endif()
  else()
    _buildbudget_wasm_cargo_beside(cargo "${rustc}" "${chosen}")
  endif()
  if(NOT cargo)
    # No cargo beside the rustc: the cargo on PATH nearest to its version.
    _buildbudget_wasm_on_path(cargos cargo)
    set(best_distance 1000000)
    foreach(candidate_cargo IN LISTS cargos)
      execute_process(COMMAND "${candidate_cargo}" --version
        RESULT_VARIABLE rc OUTPUT_VARIABLE candidate_version ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
      if(NOT rc EQUAL 0 OR NOT candidate_version MATCHES "cargo [0-9]+\\.([0-9]+)")
        continue()
      endif()
      # A cargo a little newer than its rustc is the usual pairing (Debian 12:
      # cargo 1.65 with rustc 1.63); older or much newer ones come after.
      math(EXPR distance "${CMAKE_MATCH_1} - ${rustc_minor}")
      if(distance LESS 0)
        math(EXPR distance "1000 - ${distance}")
      endif()
      if(distance LESS best_distance)
        set(best_distance ${distance})
        set(cargo "${candidate_cargo}")
        set(cargo_version "${candidate_version}")
      endif()
    endforeach()
    if(NOT cargo)
      message(FATAL_ERROR "${ctx}: ${rustc} (${version}) has the target, but no cargo was found beside it or "
        "on PATH. Install cargo (`apt-get install cargo`, or `rustup component add cargo`) or set BUILDBUDGET_CARGO.")
    endif()
  endif()
  if(NOT cargo_version)
    execute_process(COMMAND "${cargo}" --version
      RESULT_VARIABLE rc OUTPUT_VARIABLE cargo_version ERROR_VARIABLE err
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${ctx}: the cargo ${cargo} does not run (${rc}): ${err}")
    endif()
  endif()
  string(REGEX MATCH "cargo [0-9]+\\.([0-9]+)" _ "${cargo_version}")
  set(cargo_minor "${CMAKE_MATCH_1}")
  get_filename_component(rustc_dir "${rustc}" DIRECTORY)
  get_filename_component(cargo_dir "${cargo}" DIRECTORY)
  if(NOT rustc_dir STREQUAL cargo_dir AND cargo_minor AND rustc_minor)
    math(EXPR ahead "${cargo_minor} - ${rustc_minor}")
    if(ahead GREATER 3 OR ahead LESS -3)
      message(WARNING "${ctx}: ${cargo} (${cargo_version}) will run ${rustc} (${version}); a cargo this far "
        "from its rustc may fail (cargo 1.95 cannot drive rustc 1.63). Set BUILDBUDGET_CARGO to the cargo of "
        "the same toolchain.")
    endif()
  endif()

  set(passed "")
  if(skipped)
    list(JOIN skipped ", " passed)
    set(passed "; not ${passed}, without the ${target} standard library")
  endif()
  message(STATUS "${ctx}: ${rustc} (${version}, target ${triple}) with ${cargo} (${cargo_version})${passed}")
  set(BUILDBUDGET_WASM_RUSTC_${target} "${rustc}" CACHE INTERNAL "rustc whose sysroot has ${target}")
  set(BUILDBUDGET_WASM_CARGO_${target} "${cargo}" CACHE INTERNAL "cargo run with BUILDBUDGET_WASM_RUSTC_${target}")
  set(BUILDBUDGET_WASM_TRIPLE_${target} "${triple}" CACHE INTERNAL "${target} as that rustc names it")
  set(${cache}_KEY "${key}" CACHE INTERNAL "")
  set(${cache}_LIBDIR "${libdir}" CACHE INTERNAL "")
  set(${cache}_RUSTC_VERSION "${rustc_version}" CACHE INTERNAL "")
  set(${cache}_CARGO_VERSION "${cargo_version}" CACHE INTERNAL "")
  set(${rustc_var} "${rustc}" PARENT_SCOPE)
  set(${cargo_var} "${cargo}" PARENT_SCOPE)
  if(triple_var)
    set(${triple_var} "${triple}" PARENT_SCOPE)
  endif()
endfunction()

# _buildbudget_wasm_rustc_search(<out-var>)
# <out-var>: the rustc programs the search tries after BUILDBUDGET_RUSTC and
# $ENV{RUSTC}: every rustc on PATH, in PATH order, then /usr/bin/rustc,
# $ENV{CARGO_HOME}/bin/rustc and ~/.cargo/bin/rustc when they exist.
function(_buildbudget_wasm_rustc_search out_var)
  _buildbudget_wasm_on_path(found rustc)
  set(extra_dirs /usr/bin)
  if(NOT "$ENV{CARGO_HOME}" STREQUAL "")
    list(APPEND extra_dirs "$ENV{CARGO_HOME}/bin")
  endif()
  if(NOT "$ENV{HOME}" STREQUAL "")
    list(APPEND extra_dirs "$ENV{HOME}/.cargo/bin")
  endif()
  foreach(dir IN LISTS extra_dirs)
    if(EXISTS "${dir}/rustc${CMAKE_EXECUTABLE_SUFFIX}" AND NOT IS_DIRECTORY "${dir}/rustc${CMAKE_EXECUTABLE_SUFFIX}")
      list(APPEND found "${dir}/rustc${CMAKE_EXECUTABLE_SUFFIX}")
    endif()
  endforeach()
  set(${out_var} "${found}" PARENT_SCOPE)
endfunction()

# _buildbudget_wasm_probe_rustc(<prefix> <rustc> <target>)
# Runs <rustc> --version and --print sysroot --print target-list, and sets in
# the caller's scope:
#   <prefix>_FOUND    TRUE when the sysroot has <target>'s standard library
#                     (<sysroot>/lib/rustlib/<triple>/lib/libstd-*.rlib)
#   <prefix>_RUSTC    the rustc to build with: <rustc>, or for a rustup proxy
#                     (a link to rustup) its toolchain's own <sysroot>/bin/rustc
#   <prefix>_VERSION, <prefix>_SYSROOT
#   <prefix>_TRIPLE   the name this rustc knows <target> by (wasm32-wasi and
#                     wasm32-wasip1 stand for each other)
#   <prefix>_LIBDIR   <sysroot>/lib/rustlib/<triple>/lib
#   <prefix>_WHY      when not found: one line saying why, with the command
#                     that installs the target
function(_buildbudget_wasm_probe_rustc prefix candidate target)
  set(${prefix}_FOUND FALSE PARENT_SCOPE)
  foreach(field RUSTC VERSION SYSROOT TRIPLE LIBDIR WHY)
    set(${prefix}_${field} "" PARENT_SCOPE)
  endforeach()
  execute_process(COMMAND "${candidate}" --version
    RESULT_VARIABLE rc OUTPUT_VARIABLE version ERROR_VARIABLE err
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    string(REGEX REPLACE "\n.*" "" err "${err}")
    set(${prefix}_WHY "${candidate}: does not run (${rc}: ${err})" PARENT_SCOPE)
    return()
  endif()
  execute_process(COMMAND "${candidate}" --print sysroot --print target-list
    RESULT_VARIABLE rc OUTPUT_VARIABLE printed ERROR_VARIABLE err ERROR_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    string(REGEX REPLACE "\n.*" "" err "${err}")
    set(${prefix}_WHY "${candidate}: ${version}, `--print sysroot` failed (${err})" PARENT_SCOPE)
    return()
  endif()
  string(REGEX REPLACE "\n$" "" printed "${printed}")
  string(REPLACE "\n" ";" printed "${printed}")
  list(POP_FRONT printed sysroot)
  set(known "${printed}")

  # The name this rustc knows the target by.
  set(triple "${target}")
  if(NOT target IN_LIST known)
    foreach(alias IN LISTS _BUILDBUDGET_WASM_TARGET_ALIASES)
      if(alias MATCHES "^${target}=(.*)$" AND CMAKE_MATCH_1 IN_LIST known)
        set(triple "${CMAKE_MATCH_1}")
      endif()
    endforeach()
  endif()

  # A rustup proxy stands for its toolchain's own rustc.
  set(rustc "${candidate}")
  get_filename_component(real "${candidate}" REALPATH)
  get_filename_component(real_name "${real}" NAME_WE)
  if(real_name STREQUAL "rustup" AND EXISTS "${sysroot}/bin/rustc${CMAKE_EXECUTABLE_SUFFIX}")
    set(rustc "${sysroot}/bin/rustc${CMAKE_EXECUTABLE_SUFFIX}")
  endif()
  set(libdir "${sysroot}/lib/rustlib/${triple}/lib")
  set(${prefix}_RUSTC "${rustc}" PARENT_SCOPE)
  set(${prefix}_VERSION "${version}" PARENT_SCOPE)
  set(${prefix}_SYSROOT "${sysroot}" PARENT_SCOPE)
  set(${prefix}_TRIPLE "${triple}" PARENT_SCOPE)
  set(${prefix}_LIBDIR "${libdir}" PARENT_SCOPE)

  set(libstd)
  if(IS_DIRECTORY "${libdir}")
    file(GLOB libstd "${libdir}/libstd-*.rlib")
  endif()
  if(libstd)
    set(${prefix}_FOUND TRUE PARENT_SCOPE)
    return()
  endif()

  # Why not, and how to get it.
  set(shown "${candidate}")
  if(NOT rustc STREQUAL candidate)
    set(shown "${candidate} (rustup: ${rustc})")
  endif()
  if(NOT triple IN_LIST known)
    string(CONCAT why "${shown}: ${version}, sysroot ${sysroot}: this rustc does not know the target ${target} "
      "at all (not in `rustc --print target-list`); it needs a newer Rust")
    set(${prefix}_WHY "${why}" PARENT_SCOPE)
    return()
  endif()
  _buildbudget_wasm_install_hint(hint "${rustc}" "${sysroot}" "${triple}")
  string(CONCAT why "${shown}: ${version}, sysroot ${sysroot}: no ${triple} standard library "
    "(${libdir}/libstd-*.rlib is missing); install it with: ${hint}")
  set(${prefix}_WHY "${why}" PARENT_SCOPE)
endfunction()

# _buildbudget_wasm_cargo_beside(<out-var> <rustc> <candidate>)
# <out-var>: the cargo in the directory of <rustc> (a toolchain's own rustc),
# else in that of <candidate> (the rustc as found, e.g. a rustup proxy), or "".
function(_buildbudget_wasm_cargo_beside out_var rustc candidate)
  foreach(dir_of IN ITEMS "${rustc}" "${candidate}")
    get_filename_component(dir "${dir_of}" DIRECTORY)
    if(EXISTS "${dir}/cargo${CMAKE_EXECUTABLE_SUFFIX}" AND NOT IS_DIRECTORY "${dir}/cargo${CMAKE_EXECUTABLE_SUFFIX}")
      set(${out_var} "${dir}/cargo${CMAKE_EXECUTABLE_SUFFIX}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out_var} "" PARENT_SCOPE)
endfunction()

# _buildbudget_wasm_program(<out-var> <name-or-path>)
# <out-var>: the absolute path of the program <name-or-path> (a path, relative
# paths taken from the current directory, or a name looked up on PATH), or ""
# when there is no such file.
function(_buildbudget_wasm_program out_var program)
  set(path "")
  if(program MATCHES "[/\\\\]")
    get_filename_component(program "${program}" ABSOLUTE)
    if(EXISTS "${program}" AND NOT IS_DIRECTORY "${program}")
      set(path "${program}")
    endif()
  elseif(NOT program STREQUAL "")
    _buildbudget_wasm_on_path(all "${program}")
    if(all)
      list(GET all 0 path)
    endif()
  endif()
  set(${out_var} "${path}" PARENT_SCOPE)
endfunction()

# _buildbudget_wasm_on_path(<out-var> <program>)
# <out-var>: every file named <program> (plus CMAKE_EXECUTABLE_SUFFIX) in the
# directories of $ENV{PATH}, in PATH order (`which -a`), duplicates included.
function(_buildbudget_wasm_on_path out_var program)
  if(CMAKE_HOST_WIN32)
    set(dirs "$ENV{PATH}")
  else()
    string(REPLACE ":" ";" dirs "$ENV{PATH}")
  endif()
  set(found)
  foreach(dir IN LISTS dirs)
    if(dir STREQUAL "")
      set(dir ".")
    endif()
    file(TO_CMAKE_PATH "${dir}" dir)
    set(file "${dir}/${program}${CMAKE_EXECUTABLE_SUFFIX}")
    if(EXISTS "${file}" AND NOT IS_DIRECTORY "${file}")
      get_filename_component(file "${file}" ABSOLUTE)
      list(APPEND found "${file}")
    endif()
  endforeach()
  set(${out_var} "${found}" PARENT_SCOPE)
endfunction()

# _buildbudget_wasm_install_hint(<out-var> <rustc> <sysroot> <triple>)
# <out-var>: the command that installs <triple>'s standard library for the
# rustc at <rustc> with sysroot <sysroot>: rustup's for a rustup toolchain,
# apt's for Debian's rustc (which packages only the wasm32 targets).
function(_buildbudget_wasm_install_hint out_var rustc sysroot triple)
  set(rustup_home "$ENV{RUSTUP_HOME}")
  if(rustup_home STREQUAL "" AND NOT "$ENV{HOME}" STREQUAL "")
    set(rustup_home "$ENV{HOME}/.rustup")
  endif()
  if(sysroot MATCHES "/toolchains/([^/]+)/?$" OR (NOT rustup_home STREQUAL "" AND sysroot MATCHES "^${rustup_home}/"))
    set(toolchain "${CMAKE_MATCH_1}")
    if(toolchain STREQUAL "")
      set(hint "rustup target add ${triple}")
    else()
      set(hint "rustup target add ${triple} --toolchain ${toolchain}")
    endif()
  elseif(sysroot STREQUAL "/usr" AND triple MATCHES "^wasm32-(unknown-unknown|wasi)$")
    set(hint "apt-get install libstd-rust-dev-wasm32")
  elseif(sysroot STREQUAL "/usr")
    set(hint "(no Debian package has ${triple}, use rustup: `rustup target add ${triple}`, then set BUILDBUDGET_RUSTC to that toolchain's rustc)")
  else()
    set(hint "the ${triple} standard library of this toolchain (with rustup: `rustup target add ${triple}`)")
  endif()
  set(${out_var} "${hint}" PARENT_SCOPE)
endfunction()

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
#               each with panic "abort", strip "symbols", debug false;
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
    list(APPEND settings PANIC=abort STRIP=symbols DEBUG=false)
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
# file) and picks the package and target to build. The answer is cached
# (_BUILDBUDGET_CARGO_SELECT_*) until the manifest's content, the set of
# src/lib.rs, src/main.rs and src/bin/* files, CRATE, FEATURES or the cargo
# change. Sets, in the caller's scope:
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

  string(JSON workspace_root GET "${json}" workspace_root)
  string(JSON count LENGTH "${json}" packages)
  if(count EQUAL 0)
    message(FATAL_ERROR "${ctx}: MANIFEST ${manifest} has no package; expected a crate's Cargo.toml")
  endif()
  get_filename_component(real_manifest "${manifest}" REALPATH)

  # The package: CRATE's, else the manifest's own.
  set(index -1)
  set(names)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON package_name GET "${json}" packages ${i} name)
    string(JSON package_manifest GET "${json}" packages ${i} manifest_path)
    get_filename_component(package_manifest "${package_manifest}" REALPATH)
    list(APPEND names "${package_name}")
    if(crate STREQUAL "" AND package_manifest STREQUAL real_manifest)
      set(index ${i})
    elseif(NOT crate STREQUAL "" AND package_name STREQUAL crate)
      set(index ${i})
      break()
    elseif(NOT crate STREQUAL "" AND package_manifest STREQUAL real_manifest AND index EQUAL -1)
      set(index ${i})  # CRATE may name one of its targets
    endif()
  endforeach()
  list(JOIN names ", " names)
  if(index EQUAL -1)
    if(crate STREQUAL "")
      message(FATAL_ERROR "${ctx}: MANIFEST ${manifest} is a workspace without a package of its own; name the "
        "package to build with CRATE (one of: ${names})")
    else()
      message(FATAL_ERROR "${ctx}: CRATE \"${crate}\" is not a package of ${manifest} (packages: ${names})")
    endif()
  endif()
  string(JSON package GET "${json}" packages ${index} name)
  string(JSON package_manifest GET "${json}" packages ${index} manifest_path)
  get_filename_component(package_dir "${package_manifest}" DIRECTORY)

  # Its target: a cdylib, else a bin; CRATE may name either.
  string(JSON ntargets LENGTH "${json}" packages ${index} targets)
  math(EXPR last "${ntargets} - 1")
  set(cdylib)
  set(bins)
  set(kinds)
  foreach(i RANGE ${last})
    string(JSON tname GET "${json}" packages ${index} targets ${i} name)
    string(JSON tkinds GET "${json}" packages ${index} targets ${i} kind)
    string(JSON ntk LENGTH "${tkinds}")
    math(EXPR lastk "${ntk} - 1")
    foreach(k RANGE ${lastk})
      string(JSON tkind GET "${tkinds}" ${k})
      list(APPEND kinds "${tname} (${tkind})")
      if(tkind STREQUAL "cdylib")
        set(cdylib "${tname}")
      elseif(tkind STREQUAL "bin")
        list(APPEND bins "${tname}")
      endif()
    endforeach()
  endforeach()
  list(JOIN kinds ", " kinds)
  string(REPLACE "-" "_" crate_us "${crate}")
  string(REPLACE "-" "_" cdylib_us "${cdylib}")
  set(kind)
  if(NOT crate STREQUAL "" AND NOT crate STREQUAL package)
    if(crate IN_LIST bins)
      set(kind bin)
      set(target_name "${crate}")
    elseif(cdylib AND crate_us STREQUAL cdylib_us)
      set(kind cdylib)
      set(target_name "${cdylib}")
    else()
      message(FATAL_ERROR "${ctx}: CRATE \"${crate}\" is neither a package of ${manifest} (packages: ${names}) nor a "
        "cdylib or bin target of ${package} (targets: ${kinds})")
    endif()
  elseif(cdylib)
    set(kind cdylib)
    set(target_name "${cdylib}")
  else()
    list(LENGTH bins nbins)
    if(nbins EQUAL 1)
      set(kind bin)
      set(target_name "${bins}")
    elseif(nbins GREATER 1)
      string(JSON default_run ERROR_VARIABLE no_default GET "${json}" packages ${index} default_run)
      if(no_default OR NOT default_run OR NOT default_run IN_LIST bins)
        list(JOIN bins ", " bins)
        message(FATAL_ERROR "${ctx}: package ${package} has several bin targets (${bins}); name one with CRATE")
      endif()
      set(kind bin)
      set(target_name "${default_run}")
    else()
      message(FATAL_ERROR "${ctx}: package ${package} (${package_manifest}) builds no .wasm: it has no cdylib or bin "
        "target (targets: ${kinds}). Add `crate-type = [\"cdylib\"]` under [lib] in its Cargo.toml, or a bin.")
    endif()
  endif()
  if(kind STREQUAL "cdylib")
    set(target_selector --lib)
    string(REPLACE "-" "_" stem "${target_name}")
  else()
    set(target_selector --bin "${target_name}")
    set(stem "${target_name}")
  endif()

  # FEATURES: each must be one of the package's, unless optional dependencies
  # (implicit features) or `package/feature` make the list open.
  string(JSON package_features ERROR_VARIABLE no_features GET "${json}" packages ${index} features)
  string(JSON ndeps LENGTH "${json}" packages ${index} dependencies)
  set(optional FALSE)
  if(ndeps GREATER 0)
    math(EXPR last "${ndeps} - 1")
    foreach(i RANGE ${last})
      string(JSON is_optional GET "${json}" packages ${index} dependencies ${i} optional)
      if(is_optional)
        set(optional TRUE)
      endif()
    endforeach()
  endif()
  if(NOT no_features AND NOT optional)
    string(JSON nfeatures LENGTH "${package_features}")
    set(known)
    if(nfeatures GREATER 0)
      math(EXPR last "${nfeatures} - 1")
      foreach(i RANGE ${last})
        string(JSON feature MEMBER "${package_features}" ${i})
        list(APPEND known "${feature}")
      endforeach()
    endif()
    foreach(feature IN LISTS features)
      if(NOT feature MATCHES "/" AND NOT feature IN_LIST known)
        if(known)
          list(JOIN known ", " known_shown)
        else()
          set(known_shown "none")
        endif()
        message(FATAL_ERROR "${ctx}: FEATURES \"${feature}\" is not a feature of package ${package} "
          "(its features: ${known_shown})")
      endif()
    endforeach()
  endif()

  foreach(variable IN LISTS variables)
    set(${cache}_${variable} "${${variable}}" CACHE INTERNAL "")
    set(${variable} "${${variable}}" PARENT_SCOPE)
  endforeach()
  set(${cache}_KEY "${key}" CACHE INTERNAL "cargo metadata of ${manifest}, CRATE \"${crate}\"")
  set(target_selector ${target_selector} PARENT_SCOPE)
endfunction()
