# BuildBudgetWasm: WebAssembly modules built, optimised and held to a budget
# inside the consumer's own build (SPEC §3).
#
# wasm_build_target(<name>
#     SOURCES <file>... | CARGO_MANIFEST <Cargo.toml>
#     [TARGET wasm32-wasi|wasm32-wasip1|wasm32-unknown-unknown]
#     [EXPORTS <symbol>...] [REACTOR]
#     [LINK_LIBRARIES <lib>...] [INCLUDE_DIRECTORIES <dir>...]
#     [COMPILE_DEFINITIONS <def>...] [COMPILE_OPTIONS <opt>...] [LINK_OPTIONS <opt>...]
#     [BACKEND clang|emscripten]
#     [CRATE <crate>] [FEATURES <feature>...] [NO_DEFAULT_FEATURES] [PROFILE <profile>]
#     [OPTIMIZE size|speed|balanced|none] [SIMD]
#     [MAX_SIZE <size>] [MAX_GZIP_SIZE <size>] [MAX_BROTLI_SIZE <size>]
#     [MEMORY_BUDGET <size> | MEMORY_COMPONENT <set> <component>])
#
# Builds the module <name> during the normal `cmake --build` of a host build
# tree and writes the optimised module to ${CMAKE_CURRENT_BINARY_DIR}/<name>.wasm
# (with SIMD, the simd128 variant to <name>.simd.wasm). The custom target
# <name> (in ALL) builds it; its properties WASM_FILE and WASM_SIMD_FILE give
# the paths, and a size report lands beside each module as <module>.size.json.
#
# C and C++ (SOURCES): clang --target=wasm32-wasi with the distribution's
#   wasi-libc and libc++ (BACKEND clang, the default), in a sub-build configured
#   with the package's toolchain file Modules/toolchains/wasm32-wasi.cmake (an
#   ExternalProject under <name>.wasm-build/; no second build tree to write).
#   BACKEND emscripten uses Emscripten's emcc and its toolchain file instead.
#   EXPORTS become `--export=<symbol>`; REACTOR builds a module without main()
#   (-mexec-model=reactor). LINK_LIBRARIES, INCLUDE_DIRECTORIES,
#   COMPILE_DEFINITIONS, COMPILE_OPTIONS and LINK_OPTIONS pass through to the
#   sub-build (relative include directories are taken from the current source
#   directory; LINK_LIBRARIES name libraries for wasm32, not host targets).
# Rust (CARGO_MANIFEST): cargo builds the crate for TARGET (default
#   wasm32-unknown-unknown) with a rustc whose sysroot has that target (the
#   configure fails naming the missing target and the command that installs
#   it). CRATE, FEATURES, NO_DEFAULT_FEATURES and PROFILE (default release)
#   pass through; cargo's dep-info file drives the dependency, so an unchanged
#   crate runs neither cargo nor wasm-opt. The user's Cargo.toml is never edited:
#   OPTIMIZE goes through CARGO_PROFILE_<PROFILE>_* environment variables.
#
# OPTIMIZE (default size, none for Debug builds):
#   size      -Oz, LTO, stripped;      Rust opt-level "z", lto, codegen-units 1,
#             panic abort, strip;       then wasm-opt -Oz
#   speed     -O3, LTO;                Rust opt-level 3, ...;  wasm-opt -O3
#   balanced  -O2, LTO;                Rust opt-level 2, thin LTO; wasm-opt -O2
#   none      no optimisation and no wasm-opt
# wasm-opt runs with the module's own features (its target_features section),
# so bulk memory or SIMD is never rejected; its own message is shown when it
# fails. binaryen is found as BUILDBUDGET_WASM_OPT (wasm-opt on PATH).
#
# SIMD           also build <name>.simd.wasm with -msimd128 (Rust: +simd128).
# MAX_SIZE, MAX_GZIP_SIZE, MAX_BROTLI_SIZE
#                the build fails when the optimised module is over, printing
#                `Component | Target Size | Actual Size | ✓/✗` for every limit
#                (gzip level 9; brotli quality 11).
# MEMORY_BUDGET  the module's maximum linear memory (rounded down to 64 KiB
#                pages; the initial memory is what the linker needs, with
#                Emscripten the budget and a 64 KiB stack); the build fails when
#                the module's initial or maximum memory is over it.
# MEMORY_COMPONENT <set> <component>
#                MEMORY_BUDGET from a wrt_memory_budget() component, and the
#                module is attached to that component for its footprint check.
# Sizes: bytes, or a number with B, KB/KiB, MB/MiB, GB/GiB (binary units).
#
# Errors: unknown or misplaced arguments, a misspelt keyword wherever it stands
# (OPTIMISE among the COMPILE_DEFINITIONS: "did you mean OPTIMIZE?"; the rule
# is _buildbudget_check_arguments()'s), SOURCES together with CARGO_MANIFEST,
# a missing source or manifest, a bad size, a missing toolchain (clang's wasm32
# libraries, Emscripten, a rustc with the target) each fail the configure with
# a message naming the argument.
#
# Example:
#   find_package(BuildBudget CONFIG REQUIRED)
#   wasm_build_target(imgproc SOURCES src/imgproc.cpp EXPORTS blur sharpen
#                     OPTIMIZE size SIMD MAX_SIZE 64KB MAX_GZIP_SIZE 24KB MEMORY_BUDGET 2MB)
#   wasm_build_target(hasher CARGO_MANIFEST ${CMAKE_SOURCE_DIR}/hasher/Cargo.toml
#                     TARGET wasm32-unknown-unknown OPTIMIZE size MAX_SIZE 32KB)
#   wasm_add_test(imgproc_runs imgproc ARGS --selftest PASS_REGULAR_EXPRESSION "ok")
include_guard(GLOBAL)
include(ExternalProject)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetWasmCargo.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetWasmPackage.cmake)

function(wasm_build_target name)
  set(ctx "wasm_build_target(${name})")
  if(name STREQUAL "" OR name MATCHES "^(SOURCES|CARGO_MANIFEST)$")
    message(FATAL_ERROR "wasm_build_target: the first argument must be the module's name, got \"${name}\"")
  endif()
  if(TARGET "${name}")
    message(FATAL_ERROR "${ctx}: a target named ${name} already exists; each module needs its own name")
  endif()
  _buildbudget_parse_arguments(1 "${ctx}" "README.md#webassembly-wasm_build_target-and-wasm_add_test"
    "REACTOR;SIMD;NO_DEFAULT_FEATURES"
    "CARGO_MANIFEST;TARGET;BACKEND;CRATE;PROFILE;OPTIMIZE;MAX_SIZE;MAX_GZIP_SIZE;MAX_BROTLI_SIZE;MEMORY_BUDGET"
    "SOURCES;EXPORTS;LINK_LIBRARIES;INCLUDE_DIRECTORIES;COMPILE_DEFINITIONS;COMPILE_OPTIONS;LINK_OPTIONS;FEATURES;MEMORY_COMPONENT")
  foreach(keyword IN LISTS arg_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "${ctx}: ${keyword} needs a value")
  endforeach()
  if(arg_SOURCES AND arg_CARGO_MANIFEST)
    message(FATAL_ERROR "${ctx}: give SOURCES (C/C++) or CARGO_MANIFEST (Rust), not both")
  elseif(NOT arg_SOURCES AND NOT arg_CARGO_MANIFEST)
    message(FATAL_ERROR "${ctx}: give SOURCES (C/C++ files) or CARGO_MANIFEST (a crate's Cargo.toml)")
  endif()

  # Optimisation level.
  if(NOT DEFINED arg_OPTIMIZE)
    if(CMAKE_BUILD_TYPE STREQUAL "Debug")
      set(arg_OPTIMIZE none)
    else()
      set(arg_OPTIMIZE size)
    endif()
  endif()
  if(NOT arg_OPTIMIZE MATCHES "^(size|speed|balanced|none)$")
    message(FATAL_ERROR "${ctx}: OPTIMIZE \"${arg_OPTIMIZE}\" is not one of size, speed, balanced, none")
  endif()

  # Limits, in bytes (the helper parses sizes, so they mean what budgets mean).
  _buildbudget_helper(helper)
  set(limit_args)
  foreach(kind_option IN ITEMS "MAX_SIZE;--max-size" "MAX_GZIP_SIZE;--max-gzip-size" "MAX_BROTLI_SIZE;--max-brotli-size")
    list(GET kind_option 0 kind)
    list(GET kind_option 1 option)
    if(DEFINED arg_${kind})
      _buildbudget_wasm_bytes(bytes "${ctx}" ${kind} "${arg_${kind}}")
      list(APPEND limit_args ${option} ${bytes})
    endif()
  endforeach()
  set(memory_bytes)
  if(DEFINED arg_MEMORY_BUDGET AND arg_MEMORY_COMPONENT)
    message(FATAL_ERROR "${ctx}: MEMORY_BUDGET and MEMORY_COMPONENT exclude each other")
  elseif(DEFINED arg_MEMORY_BUDGET)
    _buildbudget_wasm_bytes(memory_bytes "${ctx}" MEMORY_BUDGET "${arg_MEMORY_BUDGET}")
  elseif(arg_MEMORY_COMPONENT)
    _buildbudget_wasm_component_bytes(memory_bytes "${ctx}" ${arg_MEMORY_COMPONENT})
  endif()
  set(memory_link_pages)
  if(memory_bytes)
    math(EXPR pages "${memory_bytes} / 65536")
    if(pages LESS 1)
      message(FATAL_ERROR "${ctx}: a memory budget of ${memory_bytes} bytes is less than one 64 KiB page of linear memory")
    endif()
    math(EXPR max_memory "${pages} * 65536")
    list(APPEND limit_args --memory-budget ${memory_bytes})
  endif()

  # The raw module(s), unoptimised by wasm-opt.
  set(variants base)
  if(arg_SIMD)
    list(APPEND variants simd)
  endif()
  if(arg_SOURCES)
    _buildbudget_wasm_c_subbuild("${name}" "${ctx}" raw_files)
  else()
    _buildbudget_wasm_rust("${name}" "${ctx}" raw_files)
  endif()

  # wasm-opt, the size report and the limits, per variant: the optimised
  # module is written only when it is within every limit.
  set(outputs)
  foreach(variant raw IN ZIP_LISTS variants raw_files)
    if(variant STREQUAL "base")
      set(out "${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm")
      set(component "${name}")
    else()
      set(out "${CMAKE_CURRENT_BINARY_DIR}/${name}.${variant}.wasm")
      set(component "${name}.${variant}")
    endif()
    set(enable)
    if(variant STREQUAL "simd")
      set(enable --enable simd128)
    endif()
    _buildbudget_wasm_optimize_step("${raw}" "${out}" ${arg_OPTIMIZE} "${component}" "${out}.size.json"
      ARGS ${enable} ${limit_args} DEPENDS ${name}_wasm_raw)
    list(APPEND outputs "${out}")
  endforeach()
  add_custom_target(${name} ALL DEPENDS ${outputs})
  list(GET outputs 0 main_file)
  set_target_properties(${name} PROPERTIES WASM_FILE "${main_file}" WASM_OPTIMIZE "${arg_OPTIMIZE}"
    _BUILDBUDGET_WASM_ARCHIVE "${raw_files_ARCHIVE}" _BUILDBUDGET_WASM_CARGO_ARGS "${raw_files_CARGO_ARGS}"
    _BUILDBUDGET_WASM_LINK_LIBRARIES "${arg_LINK_LIBRARIES}" _BUILDBUDGET_WASM_REACTOR "${arg_REACTOR}"
    _BUILDBUDGET_WASM_MAX_MEMORY "${max_memory}")
  if(arg_SIMD)
    list(GET outputs 1 simd_file)
    set_target_properties(${name} PROPERTIES WASM_SIMD_FILE "${simd_file}")
  endif()
  if(arg_MEMORY_COMPONENT)
    list(GET arg_MEMORY_COMPONENT 0 set)
    list(GET arg_MEMORY_COMPONENT 1 memory_component)
    _buildbudget_memory_attach("${set}" "${ctx}" "${memory_component}" "${name}")
  endif()
endfunction()

# wasm_add_test(<test> <wasm-target> [ARGS <arg>...] [PASS_REGULAR_EXPRESSION <regex>...]
#     [WORKING_DIRECTORY <dir>])
#
# Adds the CTest test <test> that runs the module of <wasm-target> (a target of
# wasm_build_target(), or any target with a WASM_FILE property, defined before
# this call) with <arg>..., in <dir> (default: the current binary directory):
#   - a WASI module under wasmtime when it is on PATH (BUILDBUDGET_WASMTIME,
#     `wasmtime run --dir=.`), else Node.js's node:wasi through the package's
#     Modules/runners/wasi-run.mjs;
#   - a module with Emscripten's JavaScript glue (the target's WASM_JS_FILE
#     property, set by wasm_build_target() for BACKEND emscripten modules that
#     need it, e.g. with C++ exceptions) by running the glue with Node.js
#     (BUILDBUDGET_NODE): `node --no-experimental-fetch <glue.js> <arg>...`
#     (Node.js 18 and later have a fetch() that Emscripten 3.1's glue would
#     use to load the .wasm file, which fails on a file path).
# Arguments, stdout, stderr and the exit code pass through: the test fails
# when the module exits with anything but 0.
# PASS_REGULAR_EXPRESSION: the test also fails unless its output (stdout and
# stderr merged) matches one of the regular expressions. CTest would ignore
# the exit code of a test with its own PASS_REGULAR_EXPRESSION property, so
# the module then runs under Modules/runners/run-test.cmake (`cmake -P`),
# which checks both, with CMake's regular expressions (CTest's dialect), and
# copies the module's output as it comes.
#
# Errors (configure): an unknown or misspelt argument
# (_buildbudget_check_arguments()), a <wasm-target> that is not a target or
# has no WASM_FILE, no WASI runtime or Node.js.
#
# Example:
#   wasm_add_test(imgproc_runs imgproc ARGS --selftest PASS_REGULAR_EXPRESSION "ok")
function(wasm_add_test test target)
  set(ctx "wasm_add_test(${test})")
  _buildbudget_parse_arguments(2 "${ctx}" "README.md#webassembly-wasm_build_target-and-wasm_add_test"
    "" "WORKING_DIRECTORY" "ARGS;PASS_REGULAR_EXPRESSION")
  if(NOT TARGET "${target}")
    message(FATAL_ERROR "${ctx}: ${target} is not a target; define it with wasm_build_target(${target} ...) first")
  endif()
  get_target_property(module "${target}" WASM_FILE)
  if(NOT module)
    message(FATAL_ERROR "${ctx}: target ${target} has no WASM_FILE property; expected a wasm_build_target() module")
  endif()
  get_target_property(glue "${target}" WASM_JS_FILE)
  if(glue)
    find_program(BUILDBUDGET_NODE NAMES node nodejs)
    if(NOT BUILDBUDGET_NODE)
      message(FATAL_ERROR "${ctx}: ${target} is run through its Emscripten JavaScript glue ${glue}, which needs "
        "Node.js (apt-get install nodejs, or set BUILDBUDGET_NODE)")
    endif()
    set(command "${BUILDBUDGET_NODE}" --no-experimental-fetch "${glue}")
  else()
    _buildbudget_wasm_runner(command "${ctx}")
    list(APPEND command "${module}")
  endif()
  list(APPEND command ${arg_ARGS})
  if(DEFINED arg_PASS_REGULAR_EXPRESSION)
    list(LENGTH arg_PASS_REGULAR_EXPRESSION count)
    set(command "${CMAKE_COMMAND}" -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/runners/run-test.cmake" --
      "${test}" "${module}" ${count} ${arg_PASS_REGULAR_EXPRESSION} ${command})
  endif()
  set(workdir)
  if(arg_WORKING_DIRECTORY)
    set(workdir WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}")
  endif()
  add_test(NAME "${test}" COMMAND ${command} ${workdir})
endfunction()

# _buildbudget_wasm_optimize_options(<level> <compile-var> <link-var>)
# What OPTIMIZE <level> means for clang's compile and link lines (SPEC §3):
#   size -Oz, speed -O3, balanced -O2, each with LTO, --gc-sections and
#   --strip-debug at the link; none -O0 and nothing at the link.
function(_buildbudget_wasm_optimize_options level compile_var link_var)
  set(flag_size -Oz)
  set(flag_speed -O3)
  set(flag_balanced -O2)
  if(level STREQUAL "none")
    set(${compile_var} -O0 PARENT_SCOPE)
    set(${link_var} "" PARENT_SCOPE)
  else()
    set(${compile_var} ${flag_${level}} -flto PARENT_SCOPE)
    set(${link_var} ${flag_${level}} -flto -Wl,--gc-sections -Wl,--strip-debug PARENT_SCOPE)
  endif()
endfunction()

# _buildbudget_wasm_optimize_step(<raw> <out> <level> <component> <report>
#     [ARGS <helper-arg>...] [DEPENDS <dep>...])
# The custom command that runs `buildbudget wasm optimize` on <raw>: wasm-opt
# at <level> (stripped unless none), the size report <report> and the limits
# among ARGS; <out> is written only when within every limit. wasm-opt is
# BUILDBUDGET_WASM_OPT, else found on PATH at build time (the helper says how
# to install binaryen when the build needs it).
function(_buildbudget_wasm_optimize_step raw out level component report)
  cmake_parse_arguments(PARSE_ARGV 5 arg "" "" "ARGS;DEPENDS")
  _buildbudget_helper(helper)
  find_program(BUILDBUDGET_WASM_OPT wasm-opt)
  set(wasm_opt "${BUILDBUDGET_WASM_OPT}")
  if(NOT wasm_opt)
    set(wasm_opt wasm-opt)
  endif()
  set(strip)
  if(NOT level STREQUAL "none")
    set(strip --strip)
  endif()
  add_custom_command(OUTPUT "${out}"
    COMMAND "${helper}" wasm optimize --input "${raw}" --output "${out}" --level ${level}
            --name "${component}" --wasm-opt "${wasm_opt}" ${strip} ${arg_ARGS} --report "${report}"
    DEPENDS "${raw}" ${arg_DEPENDS}
    COMMENT "Optimising and measuring WebAssembly module ${component}"
    VERBATIM)
endfunction()

# _buildbudget_wasm_runner(<out-var> <ctx>)
# The command prefix that runs a WASI module: wasmtime (`wasmtime run --dir=.`)
# when found, else node --no-warnings wasi-run.mjs; fails naming both.
function(_buildbudget_wasm_runner out_var ctx)
  find_program(BUILDBUDGET_WASMTIME wasmtime)
  if(BUILDBUDGET_WASMTIME)
    set(${out_var} "${BUILDBUDGET_WASMTIME};run;--dir=." PARENT_SCOPE)
    return()
  endif()
  _buildbudget_wasi_node(runner
    "${ctx}: running a WebAssembly module needs wasmtime or Node.js (apt-get install nodejs)")
  set(${out_var} "${runner}" PARENT_SCOPE)
endfunction()

# _buildbudget_wasm_bytes(<out-var> <ctx> <keyword> <size>)
# <size> in bytes, parsed by the helper (`buildbudget size`); fails naming the
# keyword and the helper's reason.
function(_buildbudget_wasm_bytes out_var ctx keyword text)
  _buildbudget_helper(helper)
  execute_process(COMMAND "${helper}" size --what "${keyword}" "${text}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE bytes ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    string(REGEX REPLACE "^error: |\n$" "" err "${err}")
    message(FATAL_ERROR "${ctx}: ${err}")
  endif()
  set(${out_var} "${bytes}" PARENT_SCOPE)
endfunction()

# _buildbudget_wasm_component_bytes(<out-var> <ctx> <set> <component>)
# The budget of <component> in the wrt_memory_budget() set <set>, from the
# set's JSON description.
function(_buildbudget_wasm_component_bytes out_var ctx)
  list(LENGTH ARGN n)
  if(NOT n EQUAL 2)
    message(FATAL_ERROR "${ctx}: MEMORY_COMPONENT takes a budget set and one of its components: "
      "MEMORY_COMPONENT <set> <component>")
  endif()
  list(GET ARGN 0 set)
  list(GET ARGN 1 component)
  _buildbudget_memory_component("${set}" "${ctx}" "${component}")
  get_target_property(json ${set}_budget BUILDBUDGET_MEMORY_BUDGET_JSON)
  file(READ "${json}" description)
  string(JSON count LENGTH "${description}" components)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON each GET "${description}" components ${i} name)
    if(each STREQUAL component)
      string(JSON bytes GET "${description}" components ${i} bytes)
      set(${out_var} "${bytes}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
endfunction()

# _buildbudget_wasm_c_subbuild(<name> <ctx> <raw-files-var>)
# (reads the caller's arg_* and variants) Writes the sub-project
# <name>.wasm-build/project/CMakeLists.txt (only when it changes), adds the
# ExternalProject <name>_wasm_raw that configures it with the wasm toolchain
# and builds it on every build (a no-op when nothing changed), and sets
# <raw-files-var> to the raw module of each variant.
function(_buildbudget_wasm_c_subbuild name ctx raw_var)
  set(root "${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm-build")
  if(NOT DEFINED arg_BACKEND)
    set(arg_BACKEND clang)
  endif()
  if(NOT DEFINED arg_TARGET)
    set(arg_TARGET wasm32-wasi)
  endif()
  if(arg_BACKEND STREQUAL "clang")
    if(NOT arg_TARGET MATCHES "^wasm32-wasi(p1)?$")
      message(FATAL_ERROR "${ctx}: C and C++ modules are built for wasm32-wasi (wasm32-wasip1); TARGET "
        "\"${arg_TARGET}\" is not supported with BACKEND clang")
    endif()
    set(toolchain "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/toolchains/wasm32-wasi.cmake")
  elseif(arg_BACKEND STREQUAL "emscripten")
    find_program(BUILDBUDGET_EMCC emcc)
    if(BUILDBUDGET_EMCC)
      get_filename_component(emcc_dir "${BUILDBUDGET_EMCC}" REALPATH)
      get_filename_component(emcc_dir "${emcc_dir}" DIRECTORY)
    endif()
    find_file(BUILDBUDGET_EMSCRIPTEN_TOOLCHAIN Emscripten.cmake
      HINTS "${emcc_dir}/cmake/Modules/Platform" /usr/share/emscripten/cmake/Modules/Platform NO_DEFAULT_PATH)
    if(NOT BUILDBUDGET_EMCC OR NOT BUILDBUDGET_EMSCRIPTEN_TOOLCHAIN)
      message(FATAL_ERROR "${ctx}: BACKEND emscripten needs Emscripten's emcc and its Emscripten.cmake toolchain "
        "file (apt-get install emscripten)")
    endif()
    set(toolchain "${BUILDBUDGET_EMSCRIPTEN_TOOLCHAIN}")
  else()
    message(FATAL_ERROR "${ctx}: BACKEND \"${arg_BACKEND}\" is not one of clang, emscripten")
  endif()

  # Sources and include directories as absolute paths: the sub-project lives
  # in the build tree.
  set(sources)
  foreach(source IN LISTS arg_SOURCES)
    get_filename_component(path "${source}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT EXISTS "${path}")
      message(FATAL_ERROR "${ctx}: source file ${path} does not exist")
    endif()
    list(APPEND sources "${path}")
  endforeach()
  set(includes)
  foreach(dir IN LISTS arg_INCLUDE_DIRECTORIES)
    get_filename_component(path "${dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND includes "${path}")
  endforeach()

  _buildbudget_wasm_optimize_options(${arg_OPTIMIZE} compile_options link_options)
  foreach(symbol IN LISTS arg_EXPORTS)
    if(arg_BACKEND STREQUAL "emscripten")
      list(APPEND emscripten_exports "_${symbol}")
    else()
      list(APPEND link_options "-Wl,--export=${symbol}")
    endif()
  endforeach()
  if(arg_BACKEND STREQUAL "emscripten")
    list(APPEND link_options -sSTANDALONE_WASM=1)
    if(emscripten_exports)
      list(JOIN emscripten_exports "," joined)
      list(APPEND link_options "-sEXPORTED_FUNCTIONS=${joined}")
    endif()
  endif()
  if(arg_REACTOR)
    list(APPEND link_options -mexec-model=reactor)
  endif()
  if(max_memory)
    if(arg_BACKEND STREQUAL "emscripten")
      # Emscripten starts with 16 MiB of memory and a 5 MiB stack: within a
      # budget, memory starts at the budget and the stack is wasm-ld's 64 KiB.
      list(APPEND link_options -sALLOW_MEMORY_GROWTH=1 "-sINITIAL_MEMORY=${max_memory}"
        "-sMAXIMUM_MEMORY=${max_memory}" -sTOTAL_STACK=65536)
    else()
      list(APPEND link_options "-Wl,--max-memory=${max_memory}")
    endif()
  endif()

  # The sub-project: one executable per variant.
  set(project "# Generated by wasm_build_target(${name}) (BuildBudgetWasm.cmake); do not edit.\n")
  string(APPEND project "cmake_minimum_required(VERSION 3.20)\nproject(${name}_wasm C CXX)\n")
  foreach(list_name IN ITEMS sources includes compile_options link_options)
    string(APPEND project "set(${list_name} [==[${${list_name}}]==])\n")
  endforeach()
  foreach(list_name IN ITEMS LINK_LIBRARIES COMPILE_DEFINITIONS COMPILE_OPTIONS LINK_OPTIONS)
    string(APPEND project "set(user_${list_name} [==[${arg_${list_name}}]==])\n")
  endforeach()
  # With clang, the baseline's objects also make the archive
  # lib<name>_objects.a, which wasm_package(UNIFIED) links with other modules
  # into one.
  if(arg_BACKEND STREQUAL "clang")
    string(APPEND project
      "add_library(${name}_objects STATIC \${sources})\n"
      "target_include_directories(${name}_objects PRIVATE \${includes})\n"
      "target_compile_definitions(${name}_objects PRIVATE \${user_COMPILE_DEFINITIONS})\n"
      "target_compile_options(${name}_objects PRIVATE \${compile_options} \${user_COMPILE_OPTIONS})\n")
  endif()
  set(raw_files)
  foreach(variant IN LISTS variants)
    set(exe "${name}")
    set(extra "")
    set(exe_sources "\${sources}")
    if(NOT variant STREQUAL "base")
      set(exe "${name}_${variant}")
      set(extra "-msimd128")
    elseif(arg_BACKEND STREQUAL "clang")
      set(exe_sources "\$<TARGET_OBJECTS:${name}_objects>")
    endif()
    string(APPEND project
      "add_executable(${exe} ${exe_sources})\n"
      "set_target_properties(${exe} PROPERTIES OUTPUT_NAME ${exe} SUFFIX .wasm)\n"
      "target_include_directories(${exe} PRIVATE \${includes})\n"
      "target_compile_definitions(${exe} PRIVATE \${user_COMPILE_DEFINITIONS})\n"
      "target_compile_options(${exe} PRIVATE \${compile_options} ${extra} \${user_COMPILE_OPTIONS})\n"
      "target_link_options(${exe} PRIVATE \${link_options} ${extra} \${user_LINK_OPTIONS})\n"
      "target_link_libraries(${exe} PRIVATE \${user_LINK_LIBRARIES})\n")
    list(APPEND raw_files "${root}/build/${exe}.wasm")
  endforeach()
  file(CONFIGURE OUTPUT "${root}/project/CMakeLists.txt" CONTENT "${project}" @ONLY)
  set(archive)
  if(arg_BACKEND STREQUAL "clang")
    set(archive "${root}/build/lib${name}_objects.a")
  endif()

  set(generator_args)
  if(CMAKE_GENERATOR MATCHES "Ninja|Makefiles")
    set(generator_args CMAKE_GENERATOR "${CMAKE_GENERATOR}")
  endif()
  ExternalProject_Add(${name}_wasm_raw
    SOURCE_DIR "${root}/project"
    BINARY_DIR "${root}/build"
    PREFIX "${root}/ep"
    ${generator_args}
    CMAKE_ARGS "-DCMAKE_TOOLCHAIN_FILE=${toolchain}" -DCMAKE_BUILD_TYPE=Release
    CMAKE_CACHE_ARGS "-DCMAKE_C_FLAGS_RELEASE:STRING=-DNDEBUG" "-DCMAKE_CXX_FLAGS_RELEASE:STRING=-DNDEBUG"
    BUILD_ALWAYS TRUE
    INSTALL_COMMAND ""
    BUILD_BYPRODUCTS ${raw_files} ${archive}
    LOG_CONFIGURE TRUE LOG_BUILD TRUE LOG_OUTPUT_ON_FAILURE TRUE)
  set(${raw_var} "${raw_files}" PARENT_SCOPE)
  if(arg_BACKEND STREQUAL "clang")
    set(${raw_var}_ARCHIVE "${archive}" PARENT_SCOPE)
  endif()
endfunction()

# _buildbudget_wasm_rust(<name> <ctx> <raw-files-var>)
# (reads the caller's arg_*, variants and max_memory) One cargo build per
# variant through _buildbudget_wasm_cargo(), tied together by the custom
# target <name>_wasm_raw; sets <raw-files-var> to the crate's .wasm per variant.
function(_buildbudget_wasm_rust name ctx raw_var)
  get_filename_component(manifest "${arg_CARGO_MANIFEST}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${manifest}")
    message(FATAL_ERROR "${ctx}: CARGO_MANIFEST ${manifest} does not exist")
  endif()
  if(NOT DEFINED arg_TARGET)
    set(arg_TARGET wasm32-unknown-unknown)
  endif()
  if(NOT arg_TARGET MATCHES "^wasm32-(unknown-unknown|wasi|wasip1)$")
    message(FATAL_ERROR "${ctx}: TARGET \"${arg_TARGET}\" is not one of wasm32-unknown-unknown, wasm32-wasi, wasm32-wasip1")
  endif()
  foreach(keyword IN ITEMS SOURCES EXPORTS LINK_LIBRARIES INCLUDE_DIRECTORIES COMPILE_DEFINITIONS COMPILE_OPTIONS BACKEND)
    if(arg_${keyword})
      message(FATAL_ERROR "${ctx}: ${keyword} is for C and C++ modules; a crate's exports and options are in the crate")
    endif()
  endforeach()
  set(common MANIFEST "${manifest}" TARGET "${arg_TARGET}" OPTIMIZE "${arg_OPTIMIZE}")
  if(arg_CRATE)
    list(APPEND common CRATE "${arg_CRATE}")
  endif()
  if(arg_FEATURES)
    list(APPEND common FEATURES ${arg_FEATURES})
  endif()
  if(arg_NO_DEFAULT_FEATURES)
    list(APPEND common NO_DEFAULT_FEATURES)
  endif()
  if(arg_PROFILE)
    list(APPEND common PROFILE "${arg_PROFILE}")
  endif()
  set(raw_files)
  foreach(variant IN LISTS variants)
    set(rustflags)
    if(max_memory)
      list(APPEND rustflags "-Clink-arg=--max-memory=${max_memory}")
    endif()
    if(variant STREQUAL "simd")
      list(APPEND rustflags "-Ctarget-feature=+simd128")
    endif()
    set(tag)
    if(NOT variant STREQUAL "base")
      set(tag VARIANT ${variant})
    endif()
    _buildbudget_wasm_cargo(${name} ${common} RUSTFLAGS ${rustflags} ${tag} OUTPUT_VARIABLE raw CONTEXT "${ctx}")
    list(APPEND raw_files "${raw}")
  endforeach()
  add_custom_target(${name}_wasm_raw DEPENDS ${raw_files})
  set(${raw_var} "${raw_files}" PARENT_SCOPE)
  set(${raw_var}_CARGO_ARGS "${common}" PARENT_SCOPE)
endfunction()
