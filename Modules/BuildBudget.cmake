# BuildBudget: the entry module, loaded by the package config. It loads one
# module per family:
#
#   BuildBudgetMemory.cmake   wrt_memory_budget(), wrt_memory_budget_attach(),
#                             wrt_memory_budget_add_test()   memory budgets per component
#   BuildBudgetWasm.cmake     wasm_build_target(), wasm_add_test()
#                             WebAssembly modules built, optimised and held to a budget
#   BuildBudgetWasmPackage.cmake  wasm_package()
#                             WebAssembly modules as an npm package (loaded by BuildBudgetWasm.cmake)
#   BuildBudgetLowmem.cmake   lowmem_profile()   the build's own memory: job pools, flags, job launcher
#
# and the private helpers every family shares (_buildbudget_*; the argument
# parsing and its misspelt-keyword check are in BuildBudgetArguments.cmake).
#
# The report of every budget (doc/helper-report.md, "In CMake"). The first of
# wrt_memory_budget(), wrt_memory_budget_attach(), wrt_memory_budget_add_test(),
# wasm_build_target() or lowmem_profile() a project calls also adds, at the end
# of the top-level CMakeLists.txt:
#
#   buildbudget_report   a custom target (not in ALL) that runs
#                        `buildbudget report --build-dir ${CMAKE_BINARY_DIR}`:
#                        report.json, report.md and report.html in
#                        ${CMAKE_BINARY_DIR}/buildbudget-report/, from what the
#                        build and the budget tests left.
#   buildbudget.report   a CTest test (label `budget`) that runs the same command
#                        as the cleanup of the fixture `buildbudget.report`: every
#                        test labelled `budget` (the budget checks, and a
#                        project's own tests so labelled, in the top-level
#                        directory and in each directory that calls one of those
#                        functions) requires the fixture, so `ctest -L budget`
#                        runs the report after them, also when one of them
#                        failed. It fails as the report does: over budget, a
#                        check that could not measure, a growth limit crossed or
#                        an input it cannot read. Added when testing is enabled
#                        in the top-level directory and BUILD_TESTING is not OFF.
#   BUILDBUDGET_REPORT_BASELINE
#                        cache variable (FILEPATH, default empty): an earlier
#                        report.json (say, the main branch's); when set, the
#                        target and the test pass `--baseline` with it (CMake
#                        makes a relative path given with -D absolute from the
#                        current directory; one set otherwise is taken from
#                        ${CMAKE_BINARY_DIR}).
#   BUILDBUDGET_REPORT_FAIL_ABOVE_BYTES, BUILDBUDGET_REPORT_FAIL_ABOVE_PERCENT
#                        cache variables (STRING, default empty): growth limits
#                        against the baseline, passed as --fail-above-bytes (a
#                        size: "10KB", "2KiB", bytes) and --fail-above-percent
#                        ("5", "2.5%") when a baseline is set, and unused without
#                        one (a first CI run). A value the helper cannot read
#                        fails the target and the test with its message.
#
# Example:
#   cmake -S . -B build -DBUILDBUDGET_REPORT_BASELINE=$PWD/main-report/report.json \
#         -DBUILDBUDGET_REPORT_FAIL_ABOVE_PERCENT=5
#   cmake --build build && ctest --test-dir build -L budget
#   # build/buildbudget-report/report.html, report.md, report.json
include_guard(GLOBAL)
cmake_minimum_required(VERSION 3.20)

if(NOT TARGET BuildBudget::buildbudget)
  message(FATAL_ERROR "BuildBudget: the helper target BuildBudget::buildbudget is missing; "
    "load BuildBudget with find_package(BuildBudget CONFIG), add_subdirectory or FetchContent.")
endif()

# _buildbudget_helper(<out-var>): the path of the buildbudget executable.
function(_buildbudget_helper out_var)
  get_target_property(exe BuildBudget::buildbudget LOCATION)
  if(NOT exe OR NOT EXISTS "${exe}")
    message(FATAL_ERROR "BuildBudget: the helper BuildBudget::buildbudget (${exe}) does not exist; "
      "reinstall the package.")
  endif()
  set(${out_var} "${exe}" PARENT_SCOPE)
endfunction()

# _buildbudget_display_path(<out-var> <path>): <path> relative to the current
# source directory when it lies inside it (as messages show it), else as given.
function(_buildbudget_display_path out_var path)
  file(RELATIVE_PATH rel "${CMAKE_CURRENT_SOURCE_DIR}" "${path}")
  if(rel MATCHES "^\\.\\./" OR IS_ABSOLUTE "${rel}")
    set(rel "${path}")
  endif()
  set(${out_var} "${rel}" PARENT_SCOPE)
endfunction()

# _buildbudget_wasi_node(<out-var> <message>)
# The command prefix that runs a WASI module with Node.js: node (cache
# variable BUILDBUDGET_NODE, as in templates/toolchains/wasm32-wasi.cmake), --no-warnings
# and the package's templates/runners/wasi-run.mjs. Fails with <message> when there is no
# Node.js.
function(_buildbudget_wasi_node out_var message)
  find_program(BUILDBUDGET_NODE NAMES node nodejs)
  if(NOT BUILDBUDGET_NODE)
    message(FATAL_ERROR "${message}")
  endif()
  set(${out_var} "${BUILDBUDGET_NODE};--no-warnings;${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../templates/runners/wasi-run.mjs"
    PARENT_SCOPE)
endfunction()

# _buildbudget_write_if_changed(<path> <content>)
# Writes <content> to <path> unless the file already holds exactly that, so
# an unchanged file keeps its time stamp (doc/design.md, "Outputs").
function(_buildbudget_write_if_changed path content)
  if(EXISTS "${path}")
    file(READ "${path}" old)
    if(old STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE "${path}.tmp" "${content}")
  file(RENAME "${path}.tmp" "${path}")
endfunction()

# _buildbudget_set_wasm_property(<target> <property> <value>)
# Sets BUILDBUDGET_<property> (WASM_FILE, WASM_SIMD_FILE, WASM_JS_FILE,
# WASM_OPTIMIZE, WASM_PACKAGE_DIR, ...) on <target>, and <property>, its
# deprecated name without the package's prefix, which is kept for one
# release (doc/wasm.md, "Deprecated property names").
function(_buildbudget_set_wasm_property target property value)
  set_target_properties("${target}" PROPERTIES BUILDBUDGET_${property} "${value}" ${property} "${value}")
endfunction()

# _buildbudget_wasm_property(<out-var> <target> <property>)
# <target>'s BUILDBUDGET_<property>, or when that is not set its deprecated
# <property> (a target a project declared itself with the old name); "" when
# neither is set.
function(_buildbudget_wasm_property out_var target property)
  get_property(new_set TARGET "${target}" PROPERTY BUILDBUDGET_${property} SET)
  if(new_set)
    get_property(value TARGET "${target}" PROPERTY BUILDBUDGET_${property})
  else()
    get_property(value TARGET "${target}" PROPERTY ${property})
  endif()
  set(${out_var} "${value}" PARENT_SCOPE)
endfunction()

# _buildbudget_json_string(<out-var> <text>)
# <text> as a JSON string literal (RFC 8259 §7): " and \ escaped with a
# backslash, tab, newline and carriage return as \t \n \r, every other control
# character U+0001..U+001F as \u00XX (a CMake string cannot hold U+0000).
# Every JSON string the modules write goes through this function.
function(_buildbudget_json_string out_var text)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "\n" "\\n" text "${text}")
  string(REPLACE "\t" "\\t" text "${text}")
  string(REPLACE "\r" "\\r" text "${text}")
  # The other control characters are rare: one regex test for ordinary text.
  string(ASCII 1 2 3 4 5 6 7 8 11 12 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 controls)
  if(text MATCHES "[${controls}]")
    string(REGEX MATCHALL "[${controls}]" found "${text}")
    list(REMOVE_DUPLICATES found)
    foreach(c IN LISTS found)
      string(HEX "${c}" hex)
      string(REPLACE "${c}" "\\u00${hex}" text "${text}")
    endforeach()
  endif()
  set(${out_var} "\"${text}\"" PARENT_SCOPE)
endfunction()

# _buildbudget_report_schedule()
# Called by the functions that declare or check a budget: on the first call of
# the project, schedules _buildbudget_report_add() for the end of the top-level
# directory; on the first call in a directory (and for the top-level one),
# schedules _buildbudget_report_fixture() for the end of that directory.
function(_buildbudget_report_schedule)
  get_property(scheduled GLOBAL PROPERTY _BUILDBUDGET_REPORT_SCHEDULED)
  if(NOT scheduled)
    set_property(GLOBAL PROPERTY _BUILDBUDGET_REPORT_SCHEDULED TRUE)
    # The helper as this directory sees it: BuildBudget::buildbudget may not be
    # visible in the top-level directory.
    _buildbudget_helper(helper)
    set_property(GLOBAL PROPERTY _BUILDBUDGET_REPORT_HELPER "${helper}")
    set(BUILDBUDGET_REPORT_BASELINE "" CACHE FILEPATH
      "An earlier report.json that the buildbudget_report target and test compare with (--baseline); empty: none")
    set(BUILDBUDGET_REPORT_FAIL_ABOVE_BYTES "" CACHE STRING
      "With BUILDBUDGET_REPORT_BASELINE: fail the report when a figure grew by more than this size (--fail-above-bytes)")
    set(BUILDBUDGET_REPORT_FAIL_ABOVE_PERCENT "" CACHE STRING
      "With BUILDBUDGET_REPORT_BASELINE: fail the report when a figure grew by more than this percent (--fail-above-percent)")
    cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _buildbudget_report_add)
  endif()
  foreach(dir IN ITEMS "${CMAKE_CURRENT_SOURCE_DIR}" "${CMAKE_SOURCE_DIR}")
    get_property(scheduled DIRECTORY "${dir}" PROPERTY _BUILDBUDGET_REPORT_FIXTURE_SCHEDULED)
    if(NOT scheduled)
      set_property(DIRECTORY "${dir}" PROPERTY _BUILDBUDGET_REPORT_FIXTURE_SCHEDULED TRUE)
      cmake_language(DEFER DIRECTORY "${dir}" CALL _buildbudget_report_fixture)
    endif()
  endforeach()
endfunction()

# _buildbudget_report_add()
# Deferred to the end of the top-level directory: the buildbudget_report target
# and, with testing enabled, the buildbudget.report test (see the top of this
# file). A second deferred call runs it after every call scheduled before it
# (the enable_testing() that _buildbudget_memory_enable_testing() schedules).
function(_buildbudget_report_add)
  if(ARGC EQUAL 0)
    cmake_language(DEFER CALL _buildbudget_report_add now)
    return()
  endif()
  if(TARGET buildbudget_report)
    message(FATAL_ERROR "BuildBudget: the project defines a target named buildbudget_report, the name of the "
      "package's report target (doc/helper-report.md, \"In CMake\"); rename it")
  endif()
  get_property(helper GLOBAL PROPERTY _BUILDBUDGET_REPORT_HELPER)
  set(command "${helper}" report --build-dir "${CMAKE_BINARY_DIR}")
  if(NOT "${BUILDBUDGET_REPORT_BASELINE}" STREQUAL "")
    get_filename_component(baseline "${BUILDBUDGET_REPORT_BASELINE}" ABSOLUTE BASE_DIR "${CMAKE_BINARY_DIR}")
    list(APPEND command --baseline "${baseline}")
    foreach(limit BYTES PERCENT)
      if(NOT "${BUILDBUDGET_REPORT_FAIL_ABOVE_${limit}}" STREQUAL "")
        string(TOLOWER "${limit}" option)
        list(APPEND command "--fail-above-${option}" "${BUILDBUDGET_REPORT_FAIL_ABOVE_${limit}}")
      endif()
    endforeach()
  endif()
  add_custom_target(buildbudget_report COMMAND ${command}
    COMMENT "BuildBudget report: ${CMAKE_BINARY_DIR}/buildbudget-report/report.html"
    VERBATIM)
  if(NOT CMAKE_TESTING_ENABLED OR (DEFINED BUILD_TESTING AND NOT BUILD_TESTING))
    return()
  endif()
  add_test(NAME buildbudget.report COMMAND ${command})
  set_tests_properties(buildbudget.report PROPERTIES LABELS budget FIXTURES_CLEANUP buildbudget.report)
endfunction()

# _buildbudget_report_fixture()
# Deferred to the end of a directory: every test of the directory labelled
# `budget` requires the fixture buildbudget.report. A second deferred call, as
# for _buildbudget_report_add(), runs it after the budget checks that
# _buildbudget_memory_add_checks() adds at the end of the top-level directory.
function(_buildbudget_report_fixture)
  if(ARGC EQUAL 0)
    cmake_language(DEFER CALL _buildbudget_report_fixture now)
    return()
  endif()
  get_property(tests DIRECTORY PROPERTY TESTS)
  foreach(test IN LISTS tests)
    get_test_property("${test}" LABELS labels)
    get_test_property("${test}" FIXTURES_REQUIRED required)
    if(NOT test STREQUAL "buildbudget.report" AND "budget" IN_LIST labels
       AND NOT "buildbudget.report" IN_LIST required)
      set_property(TEST "${test}" APPEND PROPERTY FIXTURES_REQUIRED buildbudget.report)
    endif()
  endforeach()
endfunction()

include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetArguments.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetMemory.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetWasm.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetLowmem.cmake)
