# BuildBudgetWasmRust: finding the Rust toolchain for wasm_build_target()'s
# cargo builds (doc/wasm.md). Private to BuildBudget:
# BuildBudgetWasmCargo.cmake includes it; nothing here is public API.
#
# _buildbudget_wasm_find_rust(<target> <rustc-var> <cargo-var> [<triple-var>])
#     finds a rustc whose sysroot has <target>'s standard library, and the
#     cargo that goes with it.
#
# Cache variables the user may set:
#   BUILDBUDGET_RUSTC   the rustc to use (the only one tried when set)
#   BUILDBUDGET_CARGO   the cargo to use (else the one beside that rustc)
# Cache entries written (INTERNAL, one set per target; delete them to search
# again): BUILDBUDGET_WASM_RUSTC_<target>, BUILDBUDGET_WASM_CARGO_<target>,
# BUILDBUDGET_WASM_TRIPLE_<target> and _BUILDBUDGET_WASM_RUST_<target>_*.
include_guard(GLOBAL)
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

  # The first candidate whose sysroot has the target.
  set(seen)
  _buildbudget_wasm_first_rustc(probe "${target}" seen ${candidates})
  if(NOT probe_FOUND)
    set(text "${ctx}: no rustc found here has the standard library for ${target}.\nrustc tried:${probe_TRIED}")
    if(BUILDBUDGET_RUSTC)
      set(text "${ctx}: BUILDBUDGET_RUSTC=${BUILDBUDGET_RUSTC} has no standard library for ${target}.${probe_TRIED}")
      # Only the chosen rustc was tried: name the toolchains of this machine
      # that have the target, and how to select one.
      _buildbudget_wasm_rustc_search(others)
      set(having "")
      set(first "")
      while(TRUE)
        _buildbudget_wasm_first_rustc(other "${target}" seen ${others})
        if(NOT other_FOUND)
          break()
        endif()
        _buildbudget_wasm_cargo_beside(other_cargo "${other_RUSTC}" "${other_CANDIDATE}")
        if(NOT other_cargo)
          set(other_cargo "no cargo beside it")
        endif()
        string(APPEND having "\n  ${other_CANDIDATE}: ${other_VERSION}, sysroot ${other_SYSROOT}, cargo ${other_cargo}")
        if(first STREQUAL "")
          set(first "${other_CANDIDATE}")
        endif()
        set(others ${other_REST})
      endwhile()
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
  set(chosen "${probe_CANDIDATE}")
  set(rustc "${probe_RUSTC}")
  set(version "${probe_VERSION}")
  set(triple "${probe_TRIPLE}")
  set(libdir "${probe_LIBDIR}")
  set(skipped "${probe_SKIPPED}")

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

# _buildbudget_wasm_first_rustc(<prefix> <target> <seen-var> [<candidate>...])
# Probes the candidates in order with _buildbudget_wasm_probe_rustc() until one
# has <target>'s standard library, each real program once: a candidate whose
# REALPATH is in the list <seen-var> is passed over, and each one probed is
# added to it. Sets, in the caller's scope:
#   <prefix>_FOUND      TRUE when a candidate has the target
#   <prefix>_CANDIDATE  that candidate, as given
#   <prefix>_RUSTC, <prefix>_VERSION, <prefix>_SYSROOT, <prefix>_TRIPLE,
#   <prefix>_LIBDIR     its probe's (see _buildbudget_wasm_probe_rustc())
#   <prefix>_REST       the candidates after it, not yet probed
#   <prefix>_SKIPPED    the candidates probed before it, without the target
#   <prefix>_TRIED      for each of those, "\n  " and why (its probe's WHY)
function(_buildbudget_wasm_first_rustc prefix target seen_var)
  set(seen "${${seen_var}}")
  set(found FALSE)
  set(rest)
  set(skipped)
  set(tried "")
  foreach(candidate IN LISTS ARGN)
    if(found)
      list(APPEND rest "${candidate}")
      continue()
    endif()
    get_filename_component(real "${candidate}" REALPATH)
    if(real IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${real}")
    _buildbudget_wasm_probe_rustc(probe "${candidate}" "${target}")
    if(probe_FOUND)
      set(found TRUE)
      set(${prefix}_CANDIDATE "${candidate}" PARENT_SCOPE)
      foreach(field RUSTC VERSION SYSROOT TRIPLE LIBDIR)
        set(${prefix}_${field} "${probe_${field}}" PARENT_SCOPE)
      endforeach()
    else()
      string(APPEND tried "\n  " "${probe_WHY}")
      list(APPEND skipped "${candidate}")
    endif()
  endforeach()
  set(${prefix}_FOUND ${found} PARENT_SCOPE)
  set(${prefix}_REST "${rest}" PARENT_SCOPE)
  set(${prefix}_SKIPPED "${skipped}" PARENT_SCOPE)
  set(${prefix}_TRIED "${tried}" PARENT_SCOPE)
  set(${seen_var} "${seen}" PARENT_SCOPE)
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
