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

include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetArguments.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetMemory.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetWasm.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetLowmem.cmake)
