# BuildBudgetMemory: memory budgets per component (doc/memory-budget.md).
#
# wrt_memory_budget(<name>
#     [PRESET wrt|none]
#     [PLATFORM embedded|iot|desktop|server]
#     [COMPONENTS <component> <size> [<component> <size>...]]
#     [COMPONENT <component> <size> [CATEGORY large|foundation|other]
#                [MIN <size>] [MAX <size>] [TARGETS <target>...] [FREESTANDING]]...
#     [CONFIG <file.toml> | NO_CONFIG]
#     [ENV_PREFIX <prefix>]
#     [HEADER <file.h>] [RUST <file.rs>] [JSON <file.json>] [PREFIX <macro-prefix>]
#     [STRICT] [VERBOSE])
#
# Declares the memory budget set <name>, validates it at configure time with
# the buildbudget helper, writes a C/C++ header, a Rust constants file and a
# JSON description, and creates the INTERFACE target <name>_budget that carries
# the header's include directory.
#
# Inputs, lowest precedence first:
#   PRESET       defaults: `wrt` is the table of WRT's 16 crates (64.5 MiB in all,
#                with their categories and maxima); `none` (the default) starts
#                empty and has no category limits unless the project sets them.
#   COMPONENTS   <component> <size> pairs.
#   COMPONENT    one component with its settings; may be given many times.
#                CATEGORY sets the minimum (large 4 MiB, foundation 2 MiB,
#                other 256 KiB); MIN and MAX override the category's minimum
#                and the preset's maximum. TARGETS and FREESTANDING are recorded
#                in the JSON description for the budget checks.
#   CONFIG       a TOML file (doc/memory-budget.md, "Config file"); default
#                ${CMAKE_SOURCE_DIR}/memory_budget.toml when it exists, unless
#                NO_CONFIG is given. The file becomes a configure dependency:
#                editing it re-validates on the next build.
#   ENV_PREFIX   environment overrides <prefix><NAME>=<size>, NAME uppercased
#                with every non-alphanumeric character as `_`; default
#                WRT_BUDGET_. Read when CMake configures.
# Sizes: an integer is bytes; a unit B, KB/KiB, MB/MiB, GB/GiB (binary, any
# case) may follow, with a decimal part when the result is whole bytes ("1.5MB").
#
#   PLATFORM     total maximum: embedded 4 MiB, iot 16 MiB, desktop 128 MiB,
#                server 512 MiB. Default: the cache variable
#                BUILDBUDGET_PLATFORM (the presets set it), else desktop.
#   STRICT       every warning is an error (also WRT_STRICT_VALIDATION=1).
#   VERBOSE      print every component, its value and where the value came
#                from (also WRT_DEBUG_VALIDATION=1).
#
# Outputs (written only when their content changes; default directory
# ${CMAKE_CURRENT_BINARY_DIR}/buildbudget/<name>/):
#   HEADER       default <name>_budget.h: macros BUDGET_<NAME>, TOTAL_MEMORY_BUDGET,
#                <PLATFORM>_MAX_BUDGET, MEMORY_BUDGET_PLATFORM, ... and, in C++,
#                constexpr values in namespace <name>_budget.
#   RUST         default memory_constants.rs: `pub const` items for include!().
#   JSON         default <name>_budget.json.
#   PREFIX       put in front of every macro and Rust constant (e.g. FW_).
#
# Variables set in the caller's scope:
#   <name>_BUDGET_HEADER, <name>_BUDGET_RUST, <name>_BUDGET_JSON   output paths
#   <name>_BUDGET_INCLUDE_DIR     the header's directory
#   <name>_BUDGET_PLATFORM        the validated platform
#   <name>_TOTAL_MEMORY_BUDGET    total bytes
#   <name>_BUDGET_COMPONENTS      component names, in declaration order
#   <name>_BUDGET_<NAME>          bytes of each component (NAME as in the macros)
#
# Errors: any invalid input or broken rule fails the configure step, after
# every problem has been printed as `<file>:<line>:<col>: error: <message>`
# (or `CMakeLists.txt: wrt_memory_budget(<name>): error: ...` for arguments,
# `environment variable <VAR>: error: ...` for the environment). A misspelt
# keyword fails it wherever it stands, even as a component's name (PLATFROM:
# "did you mean PLATFORM?"; the rule is _buildbudget_check_arguments()'s).
#
# Example:
#   find_package(BuildBudget 0.1 CONFIG REQUIRED)
#   wrt_memory_budget(fw PRESET none PLATFORM embedded
#     COMPONENTS net 1MB storage 512KB app 1.5MB
#     HEADER ${CMAKE_BINARY_DIR}/gen/fw_budget.h)
#   target_link_libraries(firmware PRIVATE fw_budget)
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetMemoryArguments.cmake)

function(wrt_memory_budget name)
  if(name STREQUAL "" OR name MATCHES "^(PRESET|PLATFORM|COMPONENTS|COMPONENT|CONFIG|NO_CONFIG|ENV_PREFIX|HEADER|RUST|JSON|PREFIX|STRICT|VERBOSE)$")
    message(FATAL_ERROR "wrt_memory_budget: the first argument must be the budget set's name, got \"${name}\"")
  endif()
  set(ctx "wrt_memory_budget(${name})")
  if(TARGET ${name}_budget)
    message(FATAL_ERROR "${ctx}: a target named ${name}_budget already exists; each budget set needs its own name")
  endif()
  _buildbudget_check_arguments("${ctx}" "README.md#wrt_memory_budget" "STRICT;VERBOSE;NO_CONFIG;FREESTANDING"
    "PRESET;PLATFORM;CONFIG;ENV_PREFIX;HEADER;RUST;JSON;PREFIX;CATEGORY;MIN;MAX"
    "COMPONENTS;COMPONENT;TARGETS" "" ${ARGN})
  _buildbudget_memory_parse_arguments("${ctx}" ${ARGN})

  # Defaults.
  if(NOT DEFINED arg_PRESET)
    set(arg_PRESET none)
  endif()
  if(NOT DEFINED arg_PLATFORM AND BUILDBUDGET_PLATFORM)
    set(arg_PLATFORM "${BUILDBUDGET_PLATFORM}")
  endif()
  if(NOT DEFINED arg_ENV_PREFIX)
    set(arg_ENV_PREFIX WRT_BUDGET_)
  endif()
  set(outdir "${CMAKE_CURRENT_BINARY_DIR}/buildbudget/${name}")
  foreach(kind_default IN ITEMS "HEADER;${name}_budget.h" "RUST;memory_constants.rs" "JSON;${name}_budget.json")
    list(GET kind_default 0 kind)
    list(GET kind_default 1 default)
    if(NOT DEFINED arg_${kind})
      set(arg_${kind} "${outdir}/${default}")
    endif()
    get_filename_component(arg_${kind} "${arg_${kind}}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  endforeach()
  if(arg_NO_CONFIG AND DEFINED arg_CONFIG)
    message(FATAL_ERROR "${ctx}: CONFIG and NO_CONFIG exclude each other")
  endif()
  if(NOT DEFINED arg_CONFIG AND NOT arg_NO_CONFIG AND EXISTS "${CMAKE_SOURCE_DIR}/memory_budget.toml")
    set(arg_CONFIG "${CMAKE_SOURCE_DIR}/memory_budget.toml")
  endif()

  # The helper's command line.
  _buildbudget_helper(helper)
  _buildbudget_report_schedule()
  _buildbudget_display_path(listfile "${CMAKE_CURRENT_LIST_FILE}")
  set(cmd "${helper}" budget validate --name "${name}" --preset "${arg_PRESET}"
      --origin "${listfile}: ${ctx}" --env-prefix "${arg_ENV_PREFIX}"
      --header-out "${arg_HEADER}" --rust-out "${arg_RUST}" --json-out "${arg_JSON}"
      --cmake-out "${outdir}/${name}_budget.cmake")
  if(DEFINED arg_PLATFORM)
    list(APPEND cmd --platform "${arg_PLATFORM}")
  endif()
  if(DEFINED arg_PREFIX)
    list(APPEND cmd --prefix "${arg_PREFIX}")
  endif()
  if(arg_STRICT)
    list(APPEND cmd --strict)
  endif()
  if(arg_VERBOSE)
    list(APPEND cmd --verbose)
  endif()
  list(APPEND cmd ${components} ${categories} ${minimums} ${maximums} ${targets} ${freestanding})
  if(DEFINED arg_CONFIG)
    get_filename_component(config "${arg_CONFIG}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT EXISTS "${config}")
      message(FATAL_ERROR "${ctx}: CONFIG file ${config} does not exist")
    endif()
    _buildbudget_display_path(config_shown "${config}")
    list(APPEND cmd --config "${config_shown}")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${config}")
  endif()

  # Problems go straight to stderr, one per line, in the helper's own words;
  # the summary (and the VERBOSE table) becomes status messages.
  execute_process(COMMAND ${cmd}
    WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out)
  string(REGEX REPLACE "\n$" "" out "${out}")
  if(NOT out STREQUAL "")
    string(REPLACE "\n" ";" lines "${out}")
    foreach(line IN LISTS lines)
      message(STATUS "${line}")
    endforeach()
  endif()
  if(rc EQUAL 1)
    message(FATAL_ERROR "${ctx}: the memory budget is invalid; each problem is printed above.")
  elseif(NOT rc EQUAL 0)
    message(FATAL_ERROR "${ctx}: the buildbudget helper failed (${rc}): ${helper}")
  endif()

  # The INTERFACE target and the result variables.
  get_filename_component(include_dir "${arg_HEADER}" DIRECTORY)
  add_library(${name}_budget INTERFACE)
  target_include_directories(${name}_budget INTERFACE "$<BUILD_INTERFACE:${include_dir}>")
  set_target_properties(${name}_budget PROPERTIES
    BUILDBUDGET_MEMORY_BUDGET_JSON "${arg_JSON}"
    BUILDBUDGET_MEMORY_BUDGET_HEADER "${arg_HEADER}"
    BUILDBUDGET_STRICT "${arg_STRICT}"
    BUILDBUDGET_HELPER "${helper}")
  if(TARGET BuildBudget::heapcount)
    get_target_property(heapcount BuildBudget::heapcount LOCATION)
    set_target_properties(${name}_budget PROPERTIES BUILDBUDGET_HEAPCOUNT "${heapcount}")
  endif()

  # <name>_BUDGET_PLATFORM, _TOTAL_MEMORY_BUDGET, _BUDGET_COMPONENTS and
  # _BUDGET_<ID>, as the helper wrote them; the components' bytes, in the
  # same order, for the other modules (wasm_build_target(MEMORY_COMPONENT)).
  include("${outdir}/${name}_budget.cmake")
  set_target_properties(${name}_budget PROPERTIES BUILDBUDGET_COMPONENTS "${${name}_BUDGET_COMPONENTS}"
    BUILDBUDGET_COMPONENT_BYTES "${_buildbudget_component_bytes}")

  # TARGETS and FREESTANDING of COMPONENT groups are attachments too.
  while(targets)
    list(POP_FRONT targets _option pair)
    string(REGEX MATCH "^(.*)=([^=]*)$" _ "${pair}")
    _buildbudget_memory_attach(${name} "${ctx}" "${CMAKE_MATCH_1}" "${CMAKE_MATCH_2}")
  endwhile()
  while(freestanding)
    list(POP_FRONT freestanding _option component)
    set_property(TARGET ${name}_budget APPEND PROPERTY BUILDBUDGET_FREESTANDING "${component}")
  endwhile()
  foreach(variable IN LISTS _buildbudget_result_variables)
    set(${variable} "${${variable}}" PARENT_SCOPE)
  endforeach()
  set(${name}_BUDGET_HEADER "${arg_HEADER}" PARENT_SCOPE)
  set(${name}_BUDGET_RUST "${arg_RUST}" PARENT_SCOPE)
  set(${name}_BUDGET_JSON "${arg_JSON}" PARENT_SCOPE)
  set(${name}_BUDGET_INCLUDE_DIR "${include_dir}" PARENT_SCOPE)
endfunction()

# wrt_memory_budget_attach(<set> COMPONENT <component> TARGETS <target>...
#     [FREESTANDING] [DENY <symbol>...] [ALLOW <symbol>...])
#
# Ties a component of the budget set <set> (declared by wrt_memory_budget()) to
# the targets that build it, and holds the built files to the component's
# budget with CTest tests labelled `budget` (run them with `ctest -L budget`
# after building):
#   <set>.footprint     always: `buildbudget footprint` measures every attached
#                       file (ELF static libraries member by member, executables,
#                       shared libraries, WebAssembly modules) and fails when a
#                       component's static RAM (.data + .bss; wasm: data
#                       segments + stack) is over its budget, naming the bytes,
#                       the budget and the three largest contributors.
#   <set>.freestanding  when some component is FREESTANDING (here or in its
#                       COMPONENT group): `buildbudget freestanding` fails when
#                       such a component's files need a heap function (malloc,
#                       calloc, realloc, free, aligned allocation, operator
#                       new/delete) or throw (__cxa_throw,
#                       __cxa_allocate_exception, __cxa_rethrow), naming each
#                       symbol and the object file that needs it.
#
#   COMPONENT     a component of <set>; error when the set has no such component.
#   TARGETS       STATIC_LIBRARY, SHARED_LIBRARY, MODULE_LIBRARY or EXECUTABLE
#                 targets, or targets with a BUILDBUDGET_WASM_FILE property (wasm modules);
#                 they may be defined after this call. The same as TARGETS in
#                 wrt_memory_budget()'s COMPONENT group.
#   FREESTANDING  the component must not use the heap or exceptions.
#   DENY          more symbols the component must not need (exact names, or
#                 prefixes ending in *).
#   ALLOW         symbols of the deny list the component may need after all.
#
# Integration check: a target that does not link <set>_budget (directly or
# through its dependencies) cannot see its budget; the configure warns
# `<component> may need memory system integration` (an error when the set is
# STRICT or WRT_STRICT_VALIDATION=1).
#
# Errors: an unknown argument, or a misspelt keyword wherever it stands
# (FREESTANDIN after TARGETS: "did you mean FREESTANDING?";
# _buildbudget_check_arguments()), fails the configure.
#
# Testing: the checks are CTest tests, so this enables testing (enable_testing())
# unless BUILD_TESTING is OFF, in which case no budget test is added.
#
# Reports: each check prints a table, writes <set>.<check>.json (schema
# buildbudget-check-report/1) and a JUnit XML file <set>.<check>.xml into
# BUILDBUDGET_REPORT_DIR (default ${CMAKE_BINARY_DIR}/buildbudget-reports).
# When BUILDBUDGET_BASELINE_DIR names a directory holding an earlier run's
# reports, each check also prints its delta per component against them. The
# checks are labelled `budget` and require the fixture buildbudget.report:
# `ctest -L budget` runs `buildbudget report` after them (BuildBudget.cmake).
#
# Example:
#   wrt_memory_budget(fw PRESET none PLATFORM embedded COMPONENTS net 1MB storage 512KB app 1.5MB)
#   wrt_memory_budget_attach(fw COMPONENT net TARGETS net_stack)
#   wrt_memory_budget_attach(fw COMPONENT storage TARGETS storage FREESTANDING)
function(wrt_memory_budget_attach set)
  set(ctx "wrt_memory_budget_attach(${set})")
  _buildbudget_parse_arguments(1 "${ctx}"
    "README.md#budget-checks-wrt_memory_budget_attach-and-wrt_memory_budget_add_test"
    "FREESTANDING" "COMPONENT" "TARGETS;DENY;ALLOW")
  _buildbudget_memory_component("${set}" "${ctx}" "${arg_COMPONENT}")
  _buildbudget_report_schedule()
  if(NOT arg_TARGETS)
    message(FATAL_ERROR "${ctx}: TARGETS needs at least one target that builds component ${arg_COMPONENT}")
  endif()
  foreach(target IN LISTS arg_TARGETS)
    _buildbudget_memory_attach(${set} "${ctx}" "${arg_COMPONENT}" "${target}")
  endforeach()
  if(arg_FREESTANDING)
    set_property(TARGET ${set}_budget APPEND PROPERTY BUILDBUDGET_FREESTANDING "${arg_COMPONENT}")
  endif()
  foreach(symbol IN LISTS arg_DENY)
    set_property(TARGET ${set}_budget APPEND PROPERTY BUILDBUDGET_DENY "${arg_COMPONENT}=${symbol}")
  endforeach()
  foreach(symbol IN LISTS arg_ALLOW)
    set_property(TARGET ${set}_budget APPEND PROPERTY BUILDBUDGET_ALLOW "${arg_COMPONENT}=${symbol}")
  endforeach()
endfunction()

# wrt_memory_budget_add_test(<set> COMPONENT <component> NAME <test>
#     COMMAND <command> [<arg>...] [WORKING_DIRECTORY <dir>])
#
# Adds the CTest test <test> (label `budget`) that runs <command> and holds its
# run-time memory to <component>'s budget:
#   - a native program runs with the package's heap-counting library preloaded
#     (BuildBudget::heapcount: malloc, calloc, realloc, free, posix_memalign,
#     aligned_alloc, memalign, valloc, operator new/delete); the test fails
#     when the peak of live heap bytes (the largest of any process the command
#     starts) is over the budget, and prints the peak either way.
#   - a WebAssembly module (a target with a BUILDBUDGET_WASM_FILE property, or a .wasm
#     file) runs under Node.js's WASI (templates/runners/wasi-run.mjs), and its
#     final linear memory size is held to the budget instead.
# The test also fails when the command fails (its exit code or signal is
# named). <command> may be an executable target or a target with BUILDBUDGET_WASM_FILE,
# either defined before this call (its file is used), or a program path.
# Testing is enabled as for wrt_memory_budget_attach(). Reports go where
# wrt_memory_budget_attach()'s do, as <test>.json and <test>.xml. Arguments
# are checked as wrt_memory_budget_attach()'s are (a misspelt keyword after
# COMMAND is an error, not an argument of the program).
#
# Example:
#   wrt_memory_budget_add_test(fw COMPONENT app NAME app_peak COMMAND firmware --selftest)
function(wrt_memory_budget_add_test set)
  set(ctx "wrt_memory_budget_add_test(${set})")
  _buildbudget_parse_arguments(1 "${ctx}"
    "README.md#budget-checks-wrt_memory_budget_attach-and-wrt_memory_budget_add_test"
    "" "COMPONENT;NAME;WORKING_DIRECTORY" "COMMAND")
  _buildbudget_memory_component("${set}" "${ctx}" "${arg_COMPONENT}")
  _buildbudget_report_schedule()
  if(NOT arg_NAME)
    message(FATAL_ERROR "${ctx}: NAME needs the test's name")
  endif()
  if(NOT arg_COMMAND)
    message(FATAL_ERROR "${ctx}: COMMAND needs the program to run")
  endif()
  get_target_property(helper ${set}_budget BUILDBUDGET_HELPER)
  get_target_property(heapcount ${set}_budget BUILDBUDGET_HEAPCOUNT)
  if(NOT heapcount OR NOT EXISTS "${heapcount}")
    message(FATAL_ERROR "${ctx}: the heap-counting library BuildBudget::heapcount (${heapcount}) is missing; "
      "reinstall the package.")
  endif()
  _buildbudget_memory_report_args(report_args "${arg_NAME}")
  get_target_property(json ${set}_budget BUILDBUDGET_MEMORY_BUDGET_JSON)

  list(POP_FRONT arg_COMMAND program)
  set(wasm_args)
  if(TARGET "${program}")
    _buildbudget_wasm_property(wasm_file "${program}" WASM_FILE)
    get_target_property(type "${program}" TYPE)
    if(wasm_file)
      set(program "${wasm_file}")
    elseif(type STREQUAL "EXECUTABLE")
      set(program "$<TARGET_FILE:${program}>")
    else()
      message(FATAL_ERROR "${ctx}: COMMAND names target ${program} of type ${type}; expected an executable, "
        "a target with a BUILDBUDGET_WASM_FILE property, or a program")
    endif()
  endif()
  if(program MATCHES "\\.wasm$")
    _buildbudget_wasi_node(runner
      "${ctx}: running the WebAssembly module ${program} needs Node.js (apt-get install nodejs)")
    list(GET runner 0 node)
    list(GET runner 2 wasi_run)
    set(wasm_args --node "${node}" --wasi-runner "${wasi_run}")
  endif()
  if(DEFINED BUILD_TESTING AND NOT BUILD_TESTING)
    return()
  endif()
  _buildbudget_memory_enable_testing()
  set(workdir)
  if(arg_WORKING_DIRECTORY)
    set(workdir WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}")
  endif()
  add_test(NAME "${arg_NAME}"
    COMMAND "${helper}" peak --budget "${json}" --component "${arg_COMPONENT}" --name "${arg_NAME}"
            --preload "${heapcount}" ${wasm_args} ${report_args}
            -- "${program}" ${arg_COMMAND}
    ${workdir})
  set_tests_properties("${arg_NAME}" PROPERTIES LABELS budget)
endfunction()

# _buildbudget_memory_component(<set> <ctx> <component>)
# Fails unless <set> was declared by wrt_memory_budget() and has <component>.
function(_buildbudget_memory_component set ctx component)
  if(NOT TARGET ${set}_budget)
    message(FATAL_ERROR "${ctx}: there is no budget set ${set}; declare it first with wrt_memory_budget(${set} ...)")
  endif()
  get_target_property(components ${set}_budget BUILDBUDGET_COMPONENTS)
  if(component STREQUAL "")
    message(FATAL_ERROR "${ctx}: COMPONENT needs one of the set's components: ${components}")
  endif()
  if(NOT component IN_LIST components)
    string(REPLACE ";" ", " shown "${components}")
    message(FATAL_ERROR "${ctx}: budget set ${set} has no component \"${component}\"; its components: ${shown}")
  endif()
endfunction()

# _buildbudget_memory_attach(<set> <ctx> <component> <target>)
# Records <component>=<target> on <set>_budget and, on the first attachment of
# <set>, schedules _buildbudget_memory_add_checks(<set>) for the end of the
# top-level directory, when every target and link exists.
function(_buildbudget_memory_attach set ctx component target)
  set_property(TARGET ${set}_budget APPEND PROPERTY BUILDBUDGET_ATTACHMENTS "${component}=${target}")
  set_property(TARGET ${set}_budget APPEND PROPERTY BUILDBUDGET_ATTACH_CONTEXTS "${ctx}")
  get_property(scheduled TARGET ${set}_budget PROPERTY BUILDBUDGET_CHECKS_SCHEDULED)
  if(NOT DEFINED BUILD_TESTING OR BUILD_TESTING)
    _buildbudget_memory_enable_testing()
  endif()
  if(NOT scheduled)
    set_property(TARGET ${set}_budget PROPERTY BUILDBUDGET_CHECKS_SCHEDULED TRUE)
    # A deferred call's arguments are evaluated when it runs, so the set's
    # name is put into the call's text now.
    cmake_language(EVAL CODE
      "cmake_language(DEFER DIRECTORY [[${CMAKE_SOURCE_DIR}]] CALL _buildbudget_memory_add_checks [[${set}]])")
  endif()
endfunction()

# _buildbudget_memory_enable_testing()
# Budget checks are CTest tests: enables testing, at their end, in the current
# directory and in the top-level one (where `ctest --test-dir <build>` starts).
# enable_testing() sets a directory variable, so it must run in the directory's
# own scope, never inside a function: hence deferred calls.
function(_buildbudget_memory_enable_testing)
  foreach(dir IN ITEMS "${CMAKE_CURRENT_SOURCE_DIR}" "${CMAKE_SOURCE_DIR}")
    get_property(scheduled DIRECTORY "${dir}" PROPERTY _BUILDBUDGET_TESTING_SCHEDULED)
    if(NOT scheduled)
      set_property(DIRECTORY "${dir}" PROPERTY _BUILDBUDGET_TESTING_SCHEDULED TRUE)
      cmake_language(DEFER DIRECTORY "${dir}" CALL enable_testing)
    endif()
  endforeach()
endfunction()

# _buildbudget_memory_report_args(<out-var> <basename>)
# --report/--junit (and --baseline, when BUILDBUDGET_BASELINE_DIR holds
# <basename>.json) for a check whose reports are called <basename>.
function(_buildbudget_memory_report_args out_var basename)
  set(dir "${BUILDBUDGET_REPORT_DIR}")
  if(NOT dir)
    set(dir "${CMAKE_BINARY_DIR}/buildbudget-reports")
  endif()
  set(args --report "${dir}/${basename}.json" --junit "${dir}/${basename}.xml")
  if(BUILDBUDGET_BASELINE_DIR AND EXISTS "${BUILDBUDGET_BASELINE_DIR}/${basename}.json")
    list(APPEND args --baseline "${BUILDBUDGET_BASELINE_DIR}/${basename}.json")
  endif()
  set(${out_var} "${args}" PARENT_SCOPE)
endfunction()

# _buildbudget_memory_links(<out-var> <target> <budget-target>)
# TRUE when <target> links <budget-target> directly or through the link
# libraries of the targets it links (generator expressions other than
# $<LINK_ONLY:...> are not followed).
function(_buildbudget_memory_links out_var target budget_target)
  set(queue "${target}")
  set(seen)
  while(queue)
    list(POP_FRONT queue current)
    if(current IN_LIST seen OR NOT TARGET "${current}")
      continue()
    endif()
    list(APPEND seen "${current}")
    get_target_property(aliased "${current}" ALIASED_TARGET)
    if(aliased)
      set(current "${aliased}")
    endif()
    if(current STREQUAL budget_target)
      set(${out_var} TRUE PARENT_SCOPE)
      return()
    endif()
    set(links)
    get_target_property(direct "${current}" LINK_LIBRARIES)
    if(direct)
      list(APPEND links ${direct})
    endif()
    get_target_property(interface "${current}" INTERFACE_LINK_LIBRARIES)
    if(interface)
      list(APPEND links ${interface})
    endif()
    foreach(link IN LISTS links)
      if(link MATCHES "^\\$<LINK_ONLY:(.*)>$")
        set(link "${CMAKE_MATCH_1}")
      endif()
      if(NOT link MATCHES "\\$<")
        list(APPEND queue "${link}")
      endif()
    endforeach()
  endwhile()
  set(${out_var} FALSE PARENT_SCOPE)
endfunction()

# _buildbudget_memory_add_checks(<set>)
# Deferred to the end of the top-level directory: checks the attached targets
# and their links, and adds the <set>.footprint and <set>.freestanding tests.
function(_buildbudget_memory_add_checks set)
  get_target_property(attachments ${set}_budget BUILDBUDGET_ATTACHMENTS)
  get_target_property(contexts ${set}_budget BUILDBUDGET_ATTACH_CONTEXTS)
  get_target_property(freestanding ${set}_budget BUILDBUDGET_FREESTANDING)
  get_target_property(strict ${set}_budget BUILDBUDGET_STRICT)
  get_target_property(json ${set}_budget BUILDBUDGET_MEMORY_BUDGET_JSON)
  if(NOT freestanding)
    set(freestanding)
  endif()
  if("$ENV{WRT_STRICT_VALIDATION}" MATCHES "^(1|[Tt][Rr][Uu][Ee]|[Yy][Ee][Ss]|[Oo][Nn])$")
    set(strict TRUE)
  endif()

  set(footprint_args)
  set(freestanding_args)
  foreach(pair IN ZIP_LISTS attachments contexts)
    string(REGEX MATCH "^(.*)=([^=]*)$" _ "${pair_0}")
    set(component "${CMAKE_MATCH_1}")
    set(target "${CMAKE_MATCH_2}")
    set(ctx "${pair_1}")
    if(NOT TARGET "${target}")
      message(FATAL_ERROR "${ctx}: TARGETS of component ${component} names ${target}, which is not a target "
        "(at the end of the configure)")
    endif()
    get_target_property(type "${target}" TYPE)
    _buildbudget_wasm_property(wasm_file "${target}" WASM_FILE)
    if(wasm_file)
      set(file "${wasm_file}")
    elseif(type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|EXECUTABLE)$")
      set(file "$<TARGET_FILE:${target}>")
    else()
      message(FATAL_ERROR "${ctx}: target ${target} of component ${component} is of type ${type}, which builds no file "
        "to measure; attach the static library, shared library or executable that holds its code")
    endif()
    list(APPEND footprint_args --artifact "${component}=${file}")
    if(component IN_LIST freestanding)
      list(APPEND freestanding_args --artifact "${component}=${file}")
    endif()

    # A custom target (a wasm module built by a command) links nothing.
    set(linked TRUE)
    if(NOT type STREQUAL "UTILITY")
      _buildbudget_memory_links(linked "${target}" "${set}_budget")
    endif()
    if(NOT linked)
      string(CONCAT text "${component} may need memory system integration: target ${target} does not link "
        "${set}_budget, so its code cannot see the budget (target_link_libraries(${target} PRIVATE ${set}_budget))")
      if(strict)
        message(FATAL_ERROR "${ctx}: ${text}")
      else()
        message(WARNING "${ctx}: ${text}")
      endif()
    endif()
  endforeach()

  if(DEFINED BUILD_TESTING AND NOT BUILD_TESTING)
    return()
  endif()
  # The helper as wrt_memory_budget() found it: BuildBudget::buildbudget may
  # not be visible in the top-level directory.
  get_target_property(helper ${set}_budget BUILDBUDGET_HELPER)
  _buildbudget_memory_report_args(report_args "${set}.footprint")
  add_test(NAME "${set}.footprint"
    COMMAND "${helper}" footprint --budget "${json}" ${footprint_args} ${report_args})
  set_tests_properties("${set}.footprint" PROPERTIES LABELS budget)

  if(freestanding_args)
    get_target_property(deny ${set}_budget BUILDBUDGET_DENY)
    get_target_property(allow ${set}_budget BUILDBUDGET_ALLOW)
    foreach(kind IN ITEMS deny allow)
      if(${kind})
        foreach(item IN LISTS ${kind})
          list(APPEND freestanding_args --${kind} "${item}")
        endforeach()
      endif()
    endforeach()
    _buildbudget_memory_report_args(report_args "${set}.freestanding")
    add_test(NAME "${set}.freestanding"
      COMMAND "${helper}" freestanding --set "${set}" ${freestanding_args} ${report_args})
    set_tests_properties("${set}.freestanding" PROPERTIES LABELS budget)
  endif()
endfunction()
