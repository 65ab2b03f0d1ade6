# BuildBudgetWasm: WebAssembly modules built, optimised and held to a budget
# inside the consumer's own build (doc/wasm.md; how: doc/wasm-build.md).
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
# <name> (in ALL) builds it; its properties BUILDBUDGET_WASM_FILE and
# BUILDBUDGET_WASM_SIMD_FILE give the paths (BUILDBUDGET_WASM_SYMBOLS_FILE
# the symbol map of <name>.wasm, when it has one, see below) (BUILDBUDGET_WASM_OPTIMIZE the
# level; the deprecated names without BUILDBUDGET_ are set too, README,
# "Deprecated property names"), and a size report lands beside each module
# as <module>.size.json. Each optimised and stripped module (OPTIMIZE size,
# speed or balanced; with BACKEND emscripten, one without JavaScript glue)
# has its symbol map beside it as <module>.symbols (<name>.wasm.symbols):
# Emscripten's `<index>:<name>` lines, one per function, imports included,
# valid for the final module (wasm-opt --symbolmap after the level's passes,
# or emcc --emit-symbol-map at the link that optimised it; rewritten only
# when it changes), which `buildbudget wasm analyze` and `wasm dts` read to
# name the stripped module's functions (doc/helper-wasm-analyze.md, "Names").
#
# C and C++ (SOURCES): clang --target=wasm32-wasi with the distribution's
#   wasi-libc and libc++ (BACKEND clang, the default; C++ with -fno-exceptions),
#   as custom commands of this build (doc/wasm-build.md): one compile per
#   source and variant with its depfile, one link per variant, in
#   CMAKE_JOB_POOL_COMPILE's and CMAKE_JOB_POOL_LINK's pools (lowmem_profile()),
#   under <name>.wasm-build/. BACKEND emscripten uses Emscripten's emcc/em++.
#   EXPORTS become `--export=<symbol>`; REACTOR builds a module without main()
#   (-mexec-model=reactor). INCLUDE_DIRECTORIES (-I, relative to the current
#   source directory), COMPILE_DEFINITIONS (-D), COMPILE_OPTIONS and
#   LINK_OPTIONS pass through; LINK_LIBRARIES entries become -l<name>, or stay
#   files when they have a / or end in .a/.o (libraries for wasm32, not host
#   targets). C++ exceptions: -fexceptions in COMPILE_OPTIONS needs BACKEND
#   emscripten (with BACKEND clang it is a configure error); the module then
#   has Emscripten's JavaScript glue <name>.js beside it (property
#   BUILDBUDGET_WASM_JS_FILE; run with node --no-experimental-fetch <name>.js).
# Rust (CARGO_MANIFEST): cargo builds the crate for TARGET (default
#   wasm32-unknown-unknown) with a rustc whose sysroot has that target (the
#   configure fails naming the missing target and the command that installs
#   it). CRATE, FEATURES, NO_DEFAULT_FEATURES and PROFILE (default release)
#   pass through; cargo's dep-info file drives the dependency, so an unchanged
#   crate runs neither cargo nor wasm-opt. The user's Cargo.toml is never edited:
#   OPTIMIZE goes through CARGO_PROFILE_<PROFILE>_* environment variables.
#
# OPTIMIZE (default size, none for Debug builds):
#   size      -Oz, LTO, stripped, emcc's -fno-inline-functions -disable-lsr
#             -combiner-global-alias-analysis=false; Rust opt-level "z", lto,
#             codegen-units 1, panic abort, strip;       then wasm-opt -Oz
#   speed     -O3, LTO;                Rust opt-level 3, ...;  wasm-opt -O3
#   balanced  -O2, LTO;                Rust opt-level 2, thin LTO; wasm-opt -O2
#   none      no optimisation and no wasm-opt
# wasm-opt strips before the level's passes; C/C++ modules linked by clang
# also get --low-memory-unused (data at 1024, the stack after it; not Rust,
# linked --stack-first). doc/wasm-build.md, "What each OPTIMIZE level passes".
# LTO of C/C++ (BUILDBUDGET_WASM_LTO): thin, the default, is ThinLTO with a
# cache under <name>.wasm-build/ (Emscripten: full LTO); full is full LTO;
# none compiles each source to code, as emcc -Oz does (the smallest SQLite
# module, but 2 % larger for the C++ example: doc/wasm-build.md, "Against
# emcc -Oz"). wasm-opt runs exactly once per module: the link line has no -O
# flag (clang's driver would run wasm-opt itself); with Emscripten, emcc's own
# binaryen run at the link is the pass and `wasm optimize` only measures.
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
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetWasmC.cmake)
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
  _buildbudget_report_schedule()
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
  set(raw_target)
  if(arg_SOURCES)
    _buildbudget_wasm_c("${name}" "${ctx}" raw_files)
  else()
    _buildbudget_wasm_rust("${name}" "${ctx}" raw_files)
    set(raw_target ${name}_wasm_raw)
  endif()
  if(raw_files_OPTIMIZED_BY)
    list(APPEND limit_args --optimized-by "${raw_files_OPTIMIZED_BY}")
  endif()
  # wasm-opt --low-memory-unused (as emcc passes it) where the first KiB of
  # linear memory is known to be unused: clang's wasm-ld places the data at
  # --global-base=1024 and the stack after it. Not for Rust (rustc links
  # with --stack-first: the stack ends at address 0), nor when LINK_OPTIONS
  # move the data or the stack (doc/wasm-build.md, "What each OPTIMIZE level
  # passes").
  set(layout_args)
  if(arg_SOURCES AND NOT raw_files_OPTIMIZED_BY AND NOT arg_LINK_OPTIONS MATCHES "stack-first|global-base")
    set(layout_args --low-memory-unused)
  endif()

  # wasm-opt, the size report and the limits, per variant: the optimised
  # module is written only when it is within every limit.
  set(outputs)
  set(symbol_maps)
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
    # wasm-opt's symbol map, or the one emcc wrote when it optimised (raw_files_SYMBOL_MAPS).
    set(symbol_map)
    if(NOT arg_OPTIMIZE STREQUAL "none" AND (NOT raw_files_OPTIMIZED_BY OR raw_files_SYMBOL_MAPS))
      set(symbol_map SYMBOL_MAP "${out}.symbols")
    endif()
    _buildbudget_wasm_optimize_step("${raw}" "${out}" ${arg_OPTIMIZE} "${component}" "${out}.size.json"
      ARGS ${enable} ${layout_args} ${limit_args} DEPENDS ${raw_target} ${symbol_map})
    list(APPEND outputs "${out}")
    if(symbol_map)
      list(APPEND symbol_maps "${out}.symbols")
    endif()
  endforeach()
  # Emscripten's JavaScript glue (C++ exceptions) beside the module it loads.
  set(js_outputs)
  foreach(glue IN LISTS raw_files_GLUE)
    get_filename_component(glue_name "${glue}" NAME)
    set(js "${CMAKE_CURRENT_BINARY_DIR}/${glue_name}")
    add_custom_command(OUTPUT "${js}"
      COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${glue}" "${js}"
      DEPENDS "${glue}"
      COMMENT "Copying Emscripten's JavaScript glue ${glue_name}"
      VERBATIM)
    list(APPEND js_outputs "${js}")
  endforeach()
  add_custom_target(${name} ALL DEPENDS ${outputs} ${js_outputs})
  list(GET outputs 0 main_file)
  _buildbudget_set_wasm_property(${name} WASM_FILE "${main_file}")
  _buildbudget_set_wasm_property(${name} WASM_OPTIMIZE "${arg_OPTIMIZE}")
  if(symbol_maps)
    list(GET symbol_maps 0 symbols_file)
    _buildbudget_set_wasm_property(${name} WASM_SYMBOLS_FILE "${symbols_file}")
  endif()
  set_target_properties(${name} PROPERTIES
    _BUILDBUDGET_WASM_ARCHIVE "${raw_files_ARCHIVE}" _BUILDBUDGET_WASM_ARCHIVE_TARGET "${raw_files_ARCHIVE_TARGET}"
    _BUILDBUDGET_WASM_CARGO_ARGS "${raw_files_CARGO_ARGS}"
    _BUILDBUDGET_WASM_LINK_LIBRARIES "${arg_LINK_LIBRARIES}" _BUILDBUDGET_WASM_REACTOR "${arg_REACTOR}"
    _BUILDBUDGET_WASM_MAX_MEMORY "${max_memory}")
  if(arg_SIMD)
    list(GET outputs 1 simd_file)
    _buildbudget_set_wasm_property(${name} WASM_SIMD_FILE "${simd_file}")
  endif()
  if(js_outputs)
    list(GET js_outputs 0 js_file)
    _buildbudget_set_wasm_property(${name} WASM_JS_FILE "${js_file}")
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
# wasm_build_target(), or any target with a BUILDBUDGET_WASM_FILE property, or
# the deprecated WASM_FILE, defined before this call) with <arg>..., in <dir>
# (default: the current binary directory):
#   - a WASI module under wasmtime when it is on PATH (BUILDBUDGET_WASMTIME,
#     `wasmtime run --dir=.`), else Node.js's node:wasi through the package's
#     templates/runners/wasi-run.mjs;
#   - a module with Emscripten's JavaScript glue (the target's BUILDBUDGET_WASM_JS_FILE
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
# the module then runs under templates/runners/run-test.cmake (`cmake -P`),
# which checks both, with CMake's regular expressions (CTest's dialect), and
# copies the module's output as it comes.
#
# Errors (configure): an unknown or misspelt argument
# (_buildbudget_check_arguments()), a <wasm-target> that is not a target or
# has no BUILDBUDGET_WASM_FILE, no WASI runtime or Node.js.
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
  _buildbudget_wasm_property(module "${target}" WASM_FILE)
  if(NOT module)
    message(FATAL_ERROR "${ctx}: target ${target} has no BUILDBUDGET_WASM_FILE property; expected a "
      "wasm_build_target() module")
  endif()
  _buildbudget_wasm_property(glue "${target}" WASM_JS_FILE)
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
    set(command "${CMAKE_COMMAND}" -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../templates/runners/run-test.cmake" --
      "${test}" "${module}" ${count} ${arg_PASS_REGULAR_EXPRESSION} ${command})
  endif()
  set(workdir)
  if(arg_WORKING_DIRECTORY)
    set(workdir WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}")
  endif()
  add_test(NAME "${test}" COMMAND ${command} ${workdir})
endfunction()

# _buildbudget_wasm_optimize_step(<raw> <out> <level> <component> <report>
#     [ARGS <helper-arg>...] [DEPENDS <dep>...] [SYMBOL_MAP <file>])
# The custom command that runs `buildbudget wasm optimize` on <raw>: wasm-opt
# at <level> (stripped unless none), the size report <report> and the limits
# among ARGS; <out> is written only when within every limit. The brotli size
# is measured only for a brotli limit (--skip-brotli: quality 11 would add
# about 1.4 s to every relink of a 600 KB module). wasm-opt is
# BUILDBUDGET_WASM_OPT, else found on PATH at build time (the helper says how
# to install binaryen when the build needs it). SYMBOL_MAP: wasm-opt's symbol
# map of <out> goes to <file>, a byproduct of the step.
function(_buildbudget_wasm_optimize_step raw out level component report)
  cmake_parse_arguments(PARSE_ARGV 5 arg "" "SYMBOL_MAP" "ARGS;DEPENDS")
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
  # Ninja restats a custom command's outputs, so an unchanged module keeps its
  # time and nothing after it runs; Make would run the step again every time.
  set(touch)
  if(NOT CMAKE_GENERATOR MATCHES "Ninja")
    set(touch --touch-unchanged)
  endif()
  set(symbol_map)
  set(byproducts)
  if(arg_SYMBOL_MAP)
    set(symbol_map --symbol-map "${arg_SYMBOL_MAP}")
    set(byproducts BYPRODUCTS "${arg_SYMBOL_MAP}")
  endif()
  add_custom_command(OUTPUT "${out}" ${byproducts}
    COMMAND "${helper}" wasm optimize --input "${raw}" --output "${out}" --level ${level}
            --name "${component}" --wasm-opt "${wasm_opt}" ${strip} ${touch} --skip-brotli ${arg_ARGS}
            --report "${report}" ${symbol_map}
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
    string(REGEX REPLACE "^buildbudget: error: |\n$" "" err "${err}")
    message(FATAL_ERROR "${ctx}: ${err}")
  endif()
  set(${out_var} "${bytes}" PARENT_SCOPE)
endfunction()

# _buildbudget_wasm_component_bytes(<out-var> <ctx> <set> <component>)
# The budget of <component> in the wrt_memory_budget() set <set>, as the
# helper's CMake script gave it to wrt_memory_budget().
function(_buildbudget_wasm_component_bytes out_var ctx)
  list(LENGTH ARGN n)
  if(NOT n EQUAL 2)
    message(FATAL_ERROR "${ctx}: MEMORY_COMPONENT takes a budget set and one of its components: "
      "MEMORY_COMPONENT <set> <component>")
  endif()
  list(GET ARGN 0 set)
  list(GET ARGN 1 component)
  _buildbudget_memory_component("${set}" "${ctx}" "${component}")
  get_target_property(components ${set}_budget BUILDBUDGET_COMPONENTS)
  get_target_property(bytes ${set}_budget BUILDBUDGET_COMPONENT_BYTES)
  list(FIND components "${component}" i)
  list(GET bytes ${i} bytes)
  set(${out_var} "${bytes}" PARENT_SCOPE)
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
