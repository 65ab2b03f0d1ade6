# BuildBudgetMemory: memory budgets per component (SPEC §1).
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
#   CONFIG       a TOML file (README "Config file"); default
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
# `environment variable <VAR>: error: ...` for the environment).
#
# Example:
#   find_package(BuildBudget 0.1 CONFIG REQUIRED)
#   wrt_memory_budget(fw PRESET none PLATFORM embedded
#     COMPONENTS net 1MB storage 512KB app 1.5MB
#     HEADER ${CMAKE_BINARY_DIR}/gen/fw_budget.h)
#   target_link_libraries(firmware PRIVATE fw_budget)
include_guard(GLOBAL)

function(wrt_memory_budget name)
  if(name STREQUAL "" OR name MATCHES "^(PRESET|PLATFORM|COMPONENTS|COMPONENT|CONFIG|NO_CONFIG|ENV_PREFIX|HEADER|RUST|JSON|PREFIX|STRICT|VERBOSE)$")
    message(FATAL_ERROR "wrt_memory_budget: the first argument must be the budget set's name, got \"${name}\"")
  endif()
  set(ctx "wrt_memory_budget(${name})")
  if(TARGET ${name}_budget)
    message(FATAL_ERROR "${ctx}: a target named ${name}_budget already exists; each budget set needs its own name")
  endif()
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
    BUILDBUDGET_MEMORY_BUDGET_HEADER "${arg_HEADER}")

  # <name>_BUDGET_PLATFORM, _TOTAL_MEMORY_BUDGET, _BUDGET_COMPONENTS and
  # _BUDGET_<ID>, as the helper wrote them.
  include("${outdir}/${name}_budget.cmake")
  foreach(variable IN LISTS _buildbudget_result_variables)
    set(${variable} "${${variable}}" PARENT_SCOPE)
  endforeach()
  set(${name}_BUDGET_HEADER "${arg_HEADER}" PARENT_SCOPE)
  set(${name}_BUDGET_RUST "${arg_RUST}" PARENT_SCOPE)
  set(${name}_BUDGET_JSON "${arg_JSON}" PARENT_SCOPE)
  set(${name}_BUDGET_INCLUDE_DIR "${include_dir}" PARENT_SCOPE)
endfunction()

# _buildbudget_memory_parse_arguments(<ctx> <args>...)
# Parses wrt_memory_budget()'s arguments after the name into the caller's
# scope: arg_<KEYWORD> for one-value keywords and options, and the lists
# components, categories, minimums, maximums, targets (helper options, each
# "--option;NAME=VALUE") and freestanding ("--freestanding;NAME"). COMPONENT groups may repeat, which
# cmake_parse_arguments cannot express, hence the walk. Unknown or misplaced
# arguments fail the configure.
macro(_buildbudget_memory_parse_arguments ctx)
  set(_bb_single PRESET PLATFORM CONFIG ENV_PREFIX HEADER RUST JSON PREFIX)
  set(_bb_options STRICT VERBOSE NO_CONFIG)
  set(_bb_component_single CATEGORY MIN MAX)
  set(components)
  set(categories)
  set(minimums)
  set(maximums)
  set(targets)
  set(freestanding)
  set(_bb_mode "")        # "", COMPONENTS, COMPONENT, TARGETS
  set(_bb_expect "")      # a keyword waiting for its value
  set(_bb_current "")     # the component of the current COMPONENT group
  set(_bb_pair_name "")   # COMPONENTS: a name waiting for its size
  set(_bb_args ${ARGN})
  foreach(_bb_arg IN LISTS _bb_args)
    if(NOT _bb_expect STREQUAL "")
      if(_bb_expect STREQUAL "COMPONENT_NAME")
        set(_bb_current "${_bb_arg}")
        set(_bb_expect "COMPONENT_SIZE")
      elseif(_bb_expect STREQUAL "COMPONENT_SIZE")
        list(APPEND components --component "${_bb_current}=${_bb_arg}")
        set(_bb_expect "")
        set(_bb_mode COMPONENT)
      elseif(_bb_expect STREQUAL "CATEGORY")
        list(APPEND categories --category "${_bb_current}=${_bb_arg}")
        set(_bb_expect "")
      elseif(_bb_expect STREQUAL "MIN")
        list(APPEND minimums --min "${_bb_current}=${_bb_arg}")
        set(_bb_expect "")
      elseif(_bb_expect STREQUAL "MAX")
        list(APPEND maximums --max "${_bb_current}=${_bb_arg}")
        set(_bb_expect "")
      else()
        set(arg_${_bb_expect} "${_bb_arg}")
        set(_bb_expect "")
      endif()
    elseif(_bb_arg IN_LIST _bb_single)
      set(_bb_expect "${_bb_arg}")
      set(_bb_mode "")
    elseif(_bb_arg IN_LIST _bb_options)
      set(arg_${_bb_arg} TRUE)
      set(_bb_mode "")
    elseif(_bb_arg STREQUAL "COMPONENTS")
      set(_bb_mode COMPONENTS)
    elseif(_bb_arg STREQUAL "COMPONENT")
      set(_bb_expect COMPONENT_NAME)
    elseif(_bb_mode MATCHES "^(COMPONENT|TARGETS)$" AND _bb_arg IN_LIST _bb_component_single)
      set(_bb_expect "${_bb_arg}")
      set(_bb_mode COMPONENT)
    elseif(_bb_mode MATCHES "^(COMPONENT|TARGETS)$" AND _bb_arg STREQUAL "TARGETS")
      set(_bb_mode TARGETS)
    elseif(_bb_mode MATCHES "^(COMPONENT|TARGETS)$" AND _bb_arg STREQUAL "FREESTANDING")
      list(APPEND freestanding --freestanding "${_bb_current}")
      set(_bb_mode COMPONENT)
    elseif(_bb_mode STREQUAL "TARGETS")
      list(APPEND targets --target "${_bb_current}=${_bb_arg}")
    elseif(_bb_mode STREQUAL "COMPONENTS")
      if(_bb_pair_name STREQUAL "")
        set(_bb_pair_name "${_bb_arg}")
      else()
        list(APPEND components --component "${_bb_pair_name}=${_bb_arg}")
        set(_bb_pair_name "")
      endif()
    elseif(_bb_arg MATCHES "^(CATEGORY|MIN|MAX|TARGETS|FREESTANDING)$")
      message(FATAL_ERROR "${ctx}: ${_bb_arg} belongs to a COMPONENT group: COMPONENT <name> <size> ${_bb_arg} ...")
    else()
      message(FATAL_ERROR "${ctx}: unexpected argument \"${_bb_arg}\"; expected one of PRESET, PLATFORM, "
        "COMPONENTS, COMPONENT, CONFIG, NO_CONFIG, ENV_PREFIX, HEADER, RUST, JSON, PREFIX, STRICT, VERBOSE")
    endif()
    if(NOT _bb_mode STREQUAL "COMPONENTS" AND NOT _bb_pair_name STREQUAL "")
      message(FATAL_ERROR "${ctx}: COMPONENTS takes <name> <size> pairs; \"${_bb_pair_name}\" has no size")
    endif()
  endforeach()
  if(NOT _bb_pair_name STREQUAL "")
    message(FATAL_ERROR "${ctx}: COMPONENTS takes <name> <size> pairs; \"${_bb_pair_name}\" has no size")
  endif()
  if(_bb_expect STREQUAL "COMPONENT_NAME" OR _bb_expect STREQUAL "COMPONENT_SIZE")
    message(FATAL_ERROR "${ctx}: COMPONENT needs a name and a size: COMPONENT <name> <size> ...")
  elseif(NOT _bb_expect STREQUAL "")
    message(FATAL_ERROR "${ctx}: ${_bb_expect} needs a value")
  endif()
endmacro()
