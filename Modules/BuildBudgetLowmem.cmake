# BuildBudgetLowmem: a build that stays inside its memory (doc/lowmem.md).
#
# lowmem_profile(
#     [MEMORY_LIMIT auto|<size>]
#     [COMPILE_MEMORY <size>] [LINK_MEMORY <size>] [RESERVE <size>]
#     [DEBUG_INFO off|line-tables|split|full|build-type] [LTO off|thin|full]
#     [CARGO_CONFIG <file>] [ENV_SCRIPT <file>]
#     [LAUNCHER ON|OFF] [LINKER_FLAGS ON|OFF] [ADMISSION ON|OFF]
#     [ADMISSION_TIMEOUT <seconds>]
#     [DISTRIBUTED distcc|icecc|auto|OFF [REMOTE_SLOTS <n>] [DISTRIBUTED_FALLBACK ON|OFF]])
#
# Measures the memory and CPUs the build may use, sizes a compile and a link
# job pool from them, applies the compile and link flags that lower peak memory
# for the compiler and linker really in use, and (LAUNCHER) records every
# job's peak memory so that the next configure sizes the pools from what the
# jobs really took. Call it once in the top-level CMakeLists.txt, before the
# targets it should cover; calling it again replaces the earlier settings (no
# duplicate pool, no repeated flag). Without editing a project:
# -DCMAKE_PROJECT_TOP_LEVEL_INCLUDES=<prefix>/lib/cmake/BuildBudget/lowmem-inject.cmake.
# Called before C or C++ is enabled (before project(), or from that file), it
# sets the pools' names, the launchers and the options now and makes the plan
# and the flags' values at the end of the top-level CMakeLists.txt; the
# LOWMEM_PROFILE_* variables below are then not set.
#
# Every argument has a cache variable BUILDBUDGET_LOWMEM_<ARGUMENT> (-D,
# presets) that wins over it. One status line lists each change made to the
# build with the -D that turns it off.
#
# MEMORY_LIMIT  auto (the default): what `buildbudget buildmem probe` reads, as
#               a container sees it: cgroup v2 memory.max, cgroup v1
#               memory.limit_in_bytes, else /proc/meminfo MemTotal. A size
#               ("8GiB") sets it. The cache variable
#               BUILDBUDGET_LOWMEM_MEMORY_LIMIT (the lowmem-4g/8g/16g presets
#               set it; -D sets it) overrides both.
#               Memory class of the limit: small (below 8 GiB),
#               medium (8 to 16 GiB), large (above 16 GiB); it chooses the
#               defaults of DEBUG_INFO and ADMISSION below.
# COMPILE_MEMORY, LINK_MEMORY
#               the peak memory of one compile or link job. Default: the
#               heaviest job of that kind recorded by the launcher in an earlier
#               build of this tree, else an estimate (1 GiB per compile, 2 GiB
#               per link, raised for debug info and LTO; `buildbudget buildmem
#               plan --help` and doc/lowmem.md give the table).
# RESERVE       memory kept free for the rest of the system; default the larger
#               of 512 MiB and 10 % of the limit.
#               Pools: (limit - reserve) / per-job memory, never above the CPU
#               count (cgroup CPU quota and affinity mask) and never below 1.
#               With Ninja: the global property JOB_POOLS gets
#               buildbudget_compile and buildbudget_link, and
#               CMAKE_JOB_POOL_COMPILE / CMAKE_JOB_POOL_LINK name them in the
#               calling directory. Other generators have no job pools: a note
#               gives the parallel level to build with (ENV_SCRIPT exports it
#               as CMAKE_BUILD_PARALLEL_LEVEL).
# DEBUG_INFO    off (-g0), line-tables (GCC -g1, clang -gline-tables-only),
#               split (-g -gsplit-dwarf, and --gdb-index where the linker has
#               it: gold, lld, mold), full (-g). Default: line-tables in the
#               small class, split in the medium class, and the build type's
#               own flags in the large class; build-type: no debug flag.
# LTO           off (CMAKE_INTERPROCEDURAL_OPTIMIZATION OFF), thin (clang
#               -flto=thin; GCC has no ThinLTO and gets its partitioned LTO,
#               -flto=<linker threads>), full (clang -flto, GCC -flto
#               -flto-partition=one). A compiler or linker that cannot link LTO
#               objects gets a warning and LTO off. Default: the project's own.
# LINKER_FLAGS  ON (default): the linker in use is detected (`<compiler>
# -Wl,--version` with the project's flags) and gets the flags that lower its
# peak memory:
#               GNU ld    --no-keep-memory --reduce-memory-overheads
#               gold      --no-map-whole-files --no-keep-files-mapped
#               lld       --threads=<N> (and --thinlto-jobs=<N> with LTO thin)
#               mold      --thread-count=<N>
#               where N is the CPUs divided among the link pool.
# CARGO_CONFIG  a .cargo/config.toml to write the same limits into ([build]
#               jobs, [profile.dev|release] debug and lto, the linker flags as
#               [target.<host>] rustflags); the user's other keys are kept and
#               an unchanged file is not rewritten (`buildbudget buildmem
#               cargo-config`).
# ENV_SCRIPT    a POSIX sh script exporting the same limits for shell builds:
#               CMAKE_BUILD_PARALLEL_LEVEL, MAKEFLAGS, CARGO_BUILD_JOBS,
#               CARGO_PROFILE_*_DEBUG/LTO (and SPLIT_DEBUGINFO with rustc 1.65+),
#               BUILDBUDGET_MEMORY_LIMIT,
#               BUILDBUDGET_COMPILE_JOBS, BUILDBUDGET_LINK_JOBS; a file name
#               relative to the calling directory's build directory. Written
#               (only when it changes) by `buildbudget buildmem plan
#               --write-env` from the package's templates/lowmem/build-env.sh.in.
#               With LAUNCHER ON, both also set cargo's rustc wrapper ([build]
#               rustc-wrapper, RUSTC_WRAPPER): each rustc runs through the launcher,
#               behind sccache when it is on PATH (a wrapper of your own is kept).
# LAUNCHER      ON (default): C and C++ compiles and links run through
#               `buildbudget buildmem launch`, chained in front of any
#               launcher already set (ccache, sccache, distcc), which records
#               each job's peak RSS (its whole process tree) in
#               ${CMAKE_BINARY_DIR}/buildbudget-lowmem/jobs.jsonl and names a
#               job killed by SIGKILL (the kernel's OOM killer) with its peak and
#               the pool size that would have fit. The target lowmem_report
#               prints the heaviest compiles and links. Link jobs need
#               CMake 3.21 (CMAKE_<LANG>_LINKER_LAUNCHER).
# ADMISSION     ON: the launcher also holds a job back while the free memory
#               (as the probe sees it) is below the job's predicted peak (its
#               last recorded peak), always letting at least one job run, for
#               at most ADMISSION_TIMEOUT seconds (default 600). Default: ON in
#               the small and medium classes, OFF in the large class.
# DISTRIBUTED   compiles go to a compile farm (doc/lowmem-distributed.md):
#               distcc, icecc, or auto (the engine named by
#               CMAKE_<LANG>_COMPILER_LAUNCHER, else a distcc host list
#               $DISTCC_HOSTS / ~/.distcc/hosts / /etc/distcc/hosts, else a
#               running iceccd). The compile pool becomes the farm's: its
#               remote slots (distcc's host/N limits, the max jobs icecream's
#               scheduler reports, or REMOTE_SLOTS) plus the
#               local compiles that still fit, each remote compile counted
#               locally at its preprocessing (plain distcc, icecream) or client
#               (distcc pump mode) memory; the link pool stays sized by local memory.
#               The launcher (LAUNCHER ON is required) runs each compile, never a
#               link, through the engine's client (after ccache, as its
#               CCACHE_PREFIX; not twice when the launcher already has it) and
#               records where it ran and which host compiled it. Default OFF.
# REMOTE_SLOTS  the farm's job slots, replacing distcc's host limits and what
#               icecream's scheduler reports.
# DISTRIBUTED_FALLBACK
#               ON (default): a compile distcc could not send (a host down or
#               gone mid-build) is compiled locally by the launcher once its
#               full COMPILE_MEMORY is free (admission), so fallbacks cannot
#               OOM the build; OFF: such a compile fails, naming the host (as
#               DISTCC_FALLBACK=0 in the build's environment does).
#
# Variables set in the caller's scope:
#   LOWMEM_PROFILE_MEMORY_LIMIT  bytes      LOWMEM_PROFILE_MEMORY_CLASS  small|medium|large
#   LOWMEM_PROFILE_COMPILE_JOBS, LOWMEM_PROFILE_LINK_JOBS   the pool sizes
#   LOWMEM_PROFILE_LINKER        bfd|gold|lld|mold|other
#   LOWMEM_PROFILE_PLAN          the plan file the launcher reads
#   CMAKE_JOB_POOL_COMPILE, CMAKE_JOB_POOL_LINK (Ninja), CMAKE_<LANG>_COMPILER_LAUNCHER,
#   CMAKE_<LANG>_LINKER_LAUNCHER (LAUNCHER), CMAKE_INTERPROCEDURAL_OPTIMIZATION (LTO off)
# The flags reach the calling directory's COMPILE_OPTIONS and LINK_OPTIONS
# properties as one generator expression each, which reads them from the
# lowmem_report target's BUILDBUDGET_LOWMEM_COMPILE_OPTIONS and
# BUILDBUDGET_LOWMEM_LINK_OPTIONS properties.
#
# Errors (the configure step fails, naming the argument): an unknown argument,
# a misspelt keyword ("did you mean ADMISSION?", _buildbudget_check_arguments()),
# a size that does not parse, a value outside the lists above, a probe that
# cannot read the cgroup or /proc files (the file is named), a CARGO_CONFIG that
# is not valid TOML (file:line:column), REMOTE_SLOTS or DISTRIBUTED_FALLBACK
# without DISTRIBUTED, DISTRIBUTED with LAUNCHER OFF, a distcc host list that
# does not parse (its place), no engine found (auto), an icecream scheduler
# that cannot be reached, an engine client that is not installed.
#
# Example:
#   find_package(BuildBudget CONFIG REQUIRED)
#   lowmem_profile(MEMORY_LIMIT auto DEBUG_INFO split LTO thin
#                  CARGO_CONFIG ${CMAKE_SOURCE_DIR}/.cargo/config.toml
#                  ENV_SCRIPT ${CMAKE_BINARY_DIR}/build-env.sh)
#   # or: cmake --preset lowmem-8g
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetLowmemToolchain.cmake)

set(BUILDBUDGET_LOWMEM_MEMORY_LIMIT "" CACHE STRING
  "lowmem_profile(): the build's memory limit (e.g. 8GiB), overriding MEMORY_LIMIT; empty: as the call says")
# One cache variable per other argument, named the same way (doc/lowmem.md).
foreach(_buildbudget_keyword COMPILE_MEMORY LINK_MEMORY RESERVE DEBUG_INFO LTO CARGO_CONFIG ENV_SCRIPT LAUNCHER
    LINKER_FLAGS ADMISSION ADMISSION_TIMEOUT DISTRIBUTED REMOTE_SLOTS DISTRIBUTED_FALLBACK)
  set(BUILDBUDGET_LOWMEM_${_buildbudget_keyword} "" CACHE STRING
    "lowmem_profile(): ${_buildbudget_keyword}, overriding the argument; empty: as the call says")
endforeach()
unset(_buildbudget_keyword)
# Where the probe reads /proc and /sys (tests point it at a fake tree).
set(BUILDBUDGET_LOWMEM_PROBE_ROOT "/" CACHE PATH "lowmem_profile(): root of the /proc and /sys the probe reads")
mark_as_advanced(BUILDBUDGET_LOWMEM_PROBE_ROOT)

function(lowmem_profile)
  set(ctx "lowmem_profile()")
  _buildbudget_parse_arguments(0 "${ctx}" "README.md#build-memory-lowmem_profile" ""
    "MEMORY_LIMIT;COMPILE_MEMORY;LINK_MEMORY;RESERVE;DEBUG_INFO;LTO;CARGO_CONFIG;ENV_SCRIPT;LAUNCHER;LINKER_FLAGS;ADMISSION;ADMISSION_TIMEOUT;DISTRIBUTED;REMOTE_SLOTS;DISTRIBUTED_FALLBACK"
    "")
  foreach(keyword IN LISTS arg_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "${ctx}: ${keyword} needs a value")
  endforeach()
  # The cache variables BUILDBUDGET_LOWMEM_<ARGUMENT> (-D, presets, lowmem-inject.cmake) win over
  # the arguments, so a build can be changed without editing the project.
  set(keywords COMPILE_MEMORY LINK_MEMORY RESERVE DEBUG_INFO LTO CARGO_CONFIG ENV_SCRIPT LAUNCHER LINKER_FLAGS
    ADMISSION ADMISSION_TIMEOUT DISTRIBUTED REMOTE_SLOTS DISTRIBUTED_FALLBACK)
  foreach(keyword IN LISTS keywords)
    if(NOT "${BUILDBUDGET_LOWMEM_${keyword}}" STREQUAL "")
      set(arg_${keyword} "${BUILDBUDGET_LOWMEM_${keyword}}")
    endif()
  endforeach()
  _buildbudget_lowmem_choice("${ctx}" DEBUG_INFO "${arg_DEBUG_INFO}" "off;line-tables;split;full;build-type")
  _buildbudget_lowmem_choice("${ctx}" LTO "${arg_LTO}" "off;thin;full")
  foreach(switch LAUNCHER LINKER_FLAGS ADMISSION DISTRIBUTED_FALLBACK)
    if(DEFINED arg_${switch} AND NOT arg_${switch} MATCHES "^(ON|OFF|TRUE|FALSE|YES|NO|1|0)$")
      message(FATAL_ERROR "${ctx}: ${switch} must be ON or OFF, got \"${arg_${switch}}\"")
    endif()
  endforeach()
  foreach(switch LAUNCHER LINKER_FLAGS)
    if(NOT DEFINED arg_${switch})
      set(arg_${switch} ON)
    endif()
  endforeach()
  # The compile farm: OFF (or not given) is a local build.
  if(DEFINED arg_DISTRIBUTED AND arg_DISTRIBUTED MATCHES "^(OFF|off|FALSE|NO|0)$")
    unset(arg_DISTRIBUTED)
  endif()
  _buildbudget_lowmem_choice("${ctx}" DISTRIBUTED "${arg_DISTRIBUTED}" "distcc;icecc;auto;OFF")
  foreach(keyword REMOTE_SLOTS DISTRIBUTED_FALLBACK)
    if(DEFINED arg_${keyword} AND NOT DEFINED arg_DISTRIBUTED)
      message(FATAL_ERROR "${ctx}: ${keyword} is given without DISTRIBUTED distcc|icecc|auto")
    endif()
  endforeach()
  if(DEFINED arg_REMOTE_SLOTS AND NOT arg_REMOTE_SLOTS MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR "${ctx}: REMOTE_SLOTS must be a whole number of remote job slots (1 or more), got \"${arg_REMOTE_SLOTS}\"")
  endif()
  if(DEFINED arg_DISTRIBUTED AND DEFINED arg_LAUNCHER AND NOT arg_LAUNCHER)
    message(FATAL_ERROR "${ctx}: DISTRIBUTED ${arg_DISTRIBUTED} needs LAUNCHER ON: the launcher runs each compile "
      "through the engine's client and compiles locally, when memory is free, what the farm could not take")
  endif()
  if(NOT DEFINED arg_ADMISSION_TIMEOUT)
    set(arg_ADMISSION_TIMEOUT 600)
  elseif(NOT arg_ADMISSION_TIMEOUT MATCHES "^[0-9]+$")
    message(FATAL_ERROR "${ctx}: ADMISSION_TIMEOUT must be a whole number of seconds, got \"${arg_ADMISSION_TIMEOUT}\"")
  endif()

  # The memory limit: the cache variable (presets, -D) wins over the argument.
  set(limit "${arg_MEMORY_LIMIT}")
  set(limit_from "MEMORY_LIMIT")
  if(NOT "${BUILDBUDGET_LOWMEM_MEMORY_LIMIT}" STREQUAL "")
    set(limit "${BUILDBUDGET_LOWMEM_MEMORY_LIMIT}")
    set(limit_from "BUILDBUDGET_LOWMEM_MEMORY_LIMIT")
  endif()
  if(limit STREQUAL "")
    set(limit auto)
  endif()
  # Files named relative to the calling directory (the plan may be made later, at the top level).
  if(DEFINED arg_CARGO_CONFIG)
    get_filename_component(arg_CARGO_CONFIG "${arg_CARGO_CONFIG}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  if(DEFINED arg_ENV_SCRIPT)
    get_filename_component(arg_ENV_SCRIPT "${arg_ENV_SCRIPT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  endif()

  _buildbudget_helper(helper)
  _buildbudget_report_schedule()
  set(dir "${CMAKE_BINARY_DIR}/buildbudget-lowmem")
  set(plan_file "${dir}/plan.json")
  set(log_file "${dir}/jobs.jsonl")

  # Targets made before the call keep their own settings.
  get_property(earlier DIRECTORY PROPERTY BUILDSYSTEM_TARGETS)
  list(REMOVE_ITEM earlier lowmem_report)
  if(earlier)
    message(WARNING "${ctx}: the targets ${earlier} were defined before lowmem_profile() and keep their own job "
      "pools, launchers and flags; call lowmem_profile() before defining targets.")
  endif()

  # What needs no enabled language is set now, in the calling directory and scope: the pools'
  # names, the launchers, and compile and link options that read their values from lowmem_report's
  # properties when the build files are generated. The values (the linker, the plan, the flags) need
  # the compiler: they are made now when C or C++ is enabled, else at the end of the top-level
  # CMakeLists.txt, so a call before any language (before project(), or from
  # CMAKE_PROJECT_TOP_LEVEL_INCLUDES) still covers every target.
  if(CMAKE_GENERATOR MATCHES "Ninja")
    set(CMAKE_JOB_POOL_COMPILE buildbudget_compile PARENT_SCOPE)
    set(CMAKE_JOB_POOL_LINK buildbudget_link PARENT_SCOPE)
  endif()
  foreach(kind COMPILE LINK)
    set(options_from_plan "$<GENEX_EVAL:$<TARGET_PROPERTY:lowmem_report,BUILDBUDGET_LOWMEM_${kind}_OPTIONS>>")
    get_property(options DIRECTORY PROPERTY ${kind}_OPTIONS)
    if(NOT options_from_plan IN_LIST options)
      set_property(DIRECTORY APPEND PROPERTY ${kind}_OPTIONS "${options_from_plan}")
    endif()
  endforeach()
  if(arg_LTO STREQUAL "off")
    set(CMAKE_INTERPROCEDURAL_OPTIMIZATION OFF PARENT_SCOPE)
  endif()

  # The launcher, in front of any launcher already set (never twice; LAUNCHER OFF takes it out).
  foreach(lang C CXX)
    foreach(kind COMPILER LINKER)
      if(kind STREQUAL "LINKER" AND CMAKE_VERSION VERSION_LESS 3.21)
        continue()
      endif()
      set(existing "${CMAKE_${lang}_${kind}_LAUNCHER}")
      if(existing STREQUAL "" AND DEFINED ENV{CMAKE_${lang}_${kind}_LAUNCHER})
        set(existing "$ENV{CMAKE_${lang}_${kind}_LAUNCHER}")
      endif()
      # Drop an earlier call's launcher: everything up to its `--`.
      set(ours FALSE)
      list(FIND existing "--" separator)
      if(separator GREATER_EQUAL 0 AND existing MATCHES "^[^;]*;buildmem;launch;")
        set(ours TRUE)
        math(EXPR first "${separator} + 1")
        list(LENGTH existing length)
        if(first LESS length)
          list(SUBLIST existing ${first} -1 existing)
        else()
          set(existing "")
        endif()
      endif()
      if(kind STREQUAL "COMPILER")
        set(job compile)
      else()
        set(job link)
      endif()
      if(arg_LAUNCHER)
        set(launcher "${helper};buildmem;launch;--plan;${plan_file};--kind;${job};--")
        if(NOT existing STREQUAL "")
          list(APPEND launcher ${existing})
        endif()
        set(CMAKE_${lang}_${kind}_LAUNCHER "${launcher}" PARENT_SCOPE)
      elseif(ours)
        set(CMAKE_${lang}_${kind}_LAUNCHER "${existing}" PARENT_SCOPE)
      endif()
    endforeach()
  endforeach()
  if(arg_LAUNCHER AND CMAKE_VERSION VERSION_LESS 3.21)
    message(NOTICE "${ctx}: CMake ${CMAKE_VERSION} has no linker launcher (3.21); link jobs are not recorded.")
  endif()
  _buildbudget_lowmem_archive_launcher("${arg_LAUNCHER}" "${helper}" "${plan_file}")

  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if("C" IN_LIST languages OR "CXX" IN_LIST languages)
    set_property(GLOBAL PROPERTY _BUILDBUDGET_LOWMEM_DEFERRED "")  # this call replaces a deferred one
    _buildbudget_lowmem_apply()
    if(ipo STREQUAL "OFF")
      set(CMAKE_INTERPROCEDURAL_OPTIMIZATION OFF PARENT_SCOPE)
    endif()
    foreach(name MEMORY_LIMIT MEMORY_CLASS COMPILE_JOBS LINK_JOBS LINKER PLAN)
      set(LOWMEM_PROFILE_${name} "${LOWMEM_PROFILE_${name}}" PARENT_SCOPE)
    endforeach()
  else()
    set(saved ctx limit limit_from helper dir plan_file log_file)
    foreach(name MEMORY_LIMIT ${keywords})
      if(DEFINED arg_${name})
        list(APPEND saved arg_${name})
      endif()
    endforeach()
    foreach(name IN LISTS saved)
      set_property(GLOBAL PROPERTY _BUILDBUDGET_LOWMEM_SAVED_${name} "${${name}}")
    endforeach()
    get_property(scheduled GLOBAL PROPERTY _BUILDBUDGET_LOWMEM_DEFERRED SET)
    if(NOT scheduled)
      cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _buildbudget_lowmem_deferred)
    endif()
    set_property(GLOBAL PROPERTY _BUILDBUDGET_LOWMEM_DEFERRED "${saved}")
    message(STATUS "${ctx}: neither C nor C++ is enabled yet; the plan is made at the end of "
      "${CMAKE_SOURCE_DIR}/CMakeLists.txt")
  endif()
endfunction()

# _buildbudget_lowmem_deferred()
# The plan of a lowmem_profile() call made before C or C++ was enabled, at the end of the top-level
# directory (cmake_language(DEFER)); nothing when a later call made it already.
function(_buildbudget_lowmem_deferred)
  get_property(saved GLOBAL PROPERTY _BUILDBUDGET_LOWMEM_DEFERRED)
  if(NOT saved)
    return()
  endif()
  set_property(GLOBAL PROPERTY _BUILDBUDGET_LOWMEM_DEFERRED "")
  foreach(name IN LISTS saved)
    get_property(${name} GLOBAL PROPERTY _BUILDBUDGET_LOWMEM_SAVED_${name})
  endforeach()
  _buildbudget_lowmem_apply()
endfunction()

# _buildbudget_lowmem_apply()
# The part of lowmem_profile() that needs the compiler: the linker in use, the plan, the job pools,
# the flags (as lowmem_report's properties BUILDBUDGET_LOWMEM_COMPILE_OPTIONS and
# BUILDBUDGET_LOWMEM_LINK_OPTIONS), the cargo config and the messages; `buildbudget buildmem plan`
# writes the plan file and the env script, and hands the plan over as a CMake script. Reads ctx, limit, limit_from, helper, plan_file, log_file and the arg_* of the caller; sets
# ipo (OFF or empty) and LOWMEM_PROFILE_* in the caller's scope.
function(_buildbudget_lowmem_apply)
  # Which compiler links, and which linker it runs.
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  set(compiler_id "")
  set(linker other)
  foreach(lang CXX C)
    if(lang IN_LIST languages)
      set(compiler_id "${CMAKE_${lang}_COMPILER_ID}")
      _buildbudget_lowmem_linker(linker ${lang})
      break()
    endif()
  endforeach()

  set(plan_args buildmem plan --memory-limit "${limit}" --root "${BUILDBUDGET_LOWMEM_PROBE_ROOT}"
    --linker "${linker}")
  foreach(keyword COMPILE_MEMORY LINK_MEMORY RESERVE)
    if(DEFINED arg_${keyword})
      string(TOLOWER "${keyword}" option)
      string(REPLACE "_" "-" option "${option}")
      list(APPEND plan_args "--${option}" "${arg_${keyword}}")
    endif()
  endforeach()
  if(EXISTS "${log_file}")
    list(APPEND plan_args --log "${log_file}")
  endif()
  # The memory class decides the defaults of DEBUG_INFO and ADMISSION, so the
  # plan is asked once for the class and then with the settings.
  _buildbudget_lowmem_run_plan("${ctx}" "${limit_from}" "${helper}" "${dir}/plan-defaults.cmake" ${plan_args})
  set(memory_class "${BUILDBUDGET_PLAN_MEMORY_CLASS}")
  if(NOT DEFINED arg_DEBUG_INFO)
    if(memory_class STREQUAL "small")
      set(arg_DEBUG_INFO line-tables)
    elseif(memory_class STREQUAL "medium")
      set(arg_DEBUG_INFO split)
    endif()
  elseif(arg_DEBUG_INFO STREQUAL "build-type")
    unset(arg_DEBUG_INFO)
  endif()
  if(NOT DEFINED arg_ADMISSION)
    if(memory_class STREQUAL "large")
      set(arg_ADMISSION OFF)
    else()
      set(arg_ADMISSION ON)
    endif()
  endif()
  if(DEFINED arg_LTO AND NOT arg_LTO STREQUAL "off")
    _buildbudget_lowmem_lto_supported(lto_ok lto_why "${arg_LTO}" "${compiler_id}" "${linker}")
    if(NOT lto_ok)
      message(WARNING "${ctx}: LTO ${arg_LTO} is not available (${lto_why}); building without LTO.")
      set(arg_LTO off)
    endif()
  endif()
  if(DEFINED arg_DEBUG_INFO)
    list(APPEND plan_args --debug-info "${arg_DEBUG_INFO}")
  endif()
  if(DEFINED arg_LTO)
    list(APPEND plan_args --lto "${arg_LTO}")
  endif()
  # The helper also writes the plan file the launcher reads and the env script (doc/lowmem.md).
  list(APPEND plan_args --write-plan "${plan_file}" --admission-timeout "${arg_ADMISSION_TIMEOUT}")
  if(DEFINED arg_ENV_SCRIPT)
    list(APPEND plan_args --write-env "${arg_ENV_SCRIPT}" --project "${PROJECT_NAME}" --build-dir "${CMAKE_BINARY_DIR}")
    if(arg_LAUNCHER)  # RUSTC_WRAPPER: cargo's rustc through the launcher (and sccache)
      list(APPEND plan_args --rustc-wrapper)
    endif()
    if(arg_DEBUG_INFO STREQUAL "split")  # cargo's split debug info needs rustc 1.65+
      _buildbudget_lowmem_rustc(rust_version host)
      if(BUILDBUDGET_LOWMEM_RUSTC)
        list(APPEND plan_args --rustc "${BUILDBUDGET_LOWMEM_RUSTC}")
      endif()
    endif()
  endif()
  if(DEFINED arg_DISTRIBUTED)
    # The compile farm (doc/lowmem-distributed.md): the launchers already set (ours taken out) tell
    # auto the engine and the plan file the client.
    list(APPEND plan_args --distributed "${arg_DISTRIBUTED}")
    if(DEFINED arg_REMOTE_SLOTS)
      list(APPEND plan_args --remote-slots "${arg_REMOTE_SLOTS}")
    endif()
    if(DEFINED arg_DISTRIBUTED_FALLBACK AND NOT arg_DISTRIBUTED_FALLBACK)
      list(APPEND plan_args --distributed-fallback off)
    endif()
    foreach(lang C CXX)
      set(existing "${CMAKE_${lang}_COMPILER_LAUNCHER}")
      list(FIND existing "--" separator)
      if(separator GREATER_EQUAL 0 AND existing MATCHES "^[^;]*;buildmem;launch;")
        math(EXPR first "${separator} + 1")
        list(SUBLIST existing ${first} -1 existing)
      endif()
      if(NOT existing STREQUAL "")
        string(JOIN " " existing ${existing})
        list(APPEND plan_args --compiler-launcher "${existing}")
      endif()
    endforeach()
  endif()
  _buildbudget_lowmem_run_plan("${ctx}" "${limit_from}" "${helper}" "${dir}/plan.cmake" ${plan_args})
  foreach(key MEMORY_LIMIT MEMORY_CLASS COMPILE_JOBS LINK_JOBS LINKER_THREADS)
    string(TOLOWER "${key}" name)
    set(${name} "${BUILDBUDGET_PLAN_${key}}")
  endforeach()
  set(farm "")
  if(DEFINED BUILDBUDGET_PLAN_DISTRIBUTED_ENGINE)
    # The farm's compile pool; links stay in the local plan's pool.
    set(compile_jobs "${BUILDBUDGET_PLAN_DISTRIBUTED_COMPILE_JOBS}")
    set(farm "${BUILDBUDGET_PLAN_DISTRIBUTED_ENGINE}")
    unset(BUILDBUDGET_PLAN_DISTRIBUTED_ENGINE)
  endif()

  # The decision and its reasons.
  set(reasons "")
  if(NOT BUILDBUDGET_PLAN_REASONS STREQUAL "")
    string(REPLACE "\n" "\n   " reasons "\n${BUILDBUDGET_PLAN_REASONS}")
  endif()
  set(settings "linker ${linker}")
  if(DEFINED arg_DEBUG_INFO)
    string(APPEND settings ", debug info ${arg_DEBUG_INFO}")
  endif()
  if(DEFINED arg_LTO)
    string(APPEND settings ", LTO ${arg_LTO}")
  endif()
  message(STATUS "${ctx}: ${compile_jobs} compile and ${link_jobs} link jobs at once (${settings})${reasons}")

  # Job pools.
  if(CMAKE_GENERATOR MATCHES "Ninja")
    get_property(pools GLOBAL PROPERTY JOB_POOLS)
    list(FILTER pools EXCLUDE REGEX "^buildbudget_(compile|link)=")
    list(APPEND pools "buildbudget_compile=${compile_jobs}" "buildbudget_link=${link_jobs}")
    set_property(GLOBAL PROPERTY JOB_POOLS "${pools}")
  else()
    message(NOTICE "${ctx}: the ${CMAKE_GENERATOR} generator has no job pools, so compiles and links share one "
      "parallel level: build with `cmake --build . --parallel ${compile_jobs}` (or CMAKE_BUILD_PARALLEL_LEVEL="
      "${compile_jobs}; ENV_SCRIPT exports it). Links may then run ${compile_jobs} at once; the Ninja generator "
      "keeps them to ${link_jobs}.")
  endif()

  # Flags: the debug info's, LTO's and the linker's own, each kept apart for the summary.
  _buildbudget_lowmem_flags(unused unused linker_link unused "${compiler_id}" "${linker}" "" "" "${linker_threads}")
  _buildbudget_lowmem_flags(debug_compile debug_plain debug_link unused
    "${compiler_id}" "${linker}" "${arg_DEBUG_INFO}" "" "${linker_threads}")
  _buildbudget_lowmem_flags(lto_compile lto_plain lto_link ipo
    "${compiler_id}" "${linker}" "" "${arg_LTO}" "${linker_threads}")
  foreach(part debug lto)
    if(linker_link)
      list(REMOVE_ITEM ${part}_link ${linker_link})
    endif()
  endforeach()
  if(NOT arg_LINKER_FLAGS)
    set(linker_link "")
  endif()
  if(NOT TARGET lowmem_report)
    add_custom_target(lowmem_report
      COMMAND "${helper}" buildmem report --plan "${plan_file}"
      COMMENT "The heaviest compiles and links of this build tree (${log_file})"
      USES_TERMINAL VERBATIM)
  endif()
  set_property(TARGET lowmem_report PROPERTY BUILDBUDGET_LOWMEM_COMPILE_OPTIONS ${debug_compile} ${lto_compile})
  set_property(TARGET lowmem_report PROPERTY BUILDBUDGET_LOWMEM_LINK_OPTIONS ${debug_link} ${lto_link} ${linker_link})

  _buildbudget_lowmem_summary("${ctx}" "${compile_jobs}" "${link_jobs}" "${linker}" "${arg_DEBUG_INFO}"
    "${debug_plain};${debug_link}" "${arg_LTO}" "${lto_plain};${lto_link}" "${linker_link}" "${arg_LAUNCHER}"
    "${arg_ADMISSION}" "${farm}")

  if(DEFINED arg_CARGO_CONFIG)
    # rustc runs here: cargo's jobs are the local compile pool, also with a farm.
    _buildbudget_lowmem_cargo_config("${ctx}" "${helper}" "${arg_CARGO_CONFIG}" "${BUILDBUDGET_PLAN_COMPILE_JOBS}"
      "${arg_DEBUG_INFO}" "${arg_LTO}" "${linker_threads}")
  endif()

  set(ipo "${ipo}" PARENT_SCOPE)
  set(LOWMEM_PROFILE_MEMORY_LIMIT "${memory_limit}" PARENT_SCOPE)
  set(LOWMEM_PROFILE_MEMORY_CLASS "${memory_class}" PARENT_SCOPE)
  set(LOWMEM_PROFILE_COMPILE_JOBS "${compile_jobs}" PARENT_SCOPE)
  set(LOWMEM_PROFILE_LINK_JOBS "${link_jobs}" PARENT_SCOPE)
  set(LOWMEM_PROFILE_LINKER "${linker}" PARENT_SCOPE)
  set(LOWMEM_PROFILE_PLAN "${plan_file}" PARENT_SCOPE)
endfunction()

# _buildbudget_lowmem_choice(<ctx> <keyword> <value> <allowed-list>)
# Fails unless <value> is empty (not given) or one of <allowed-list>.
# A value from the cache variable BUILDBUDGET_LOWMEM_<keyword> is named so.
function(_buildbudget_lowmem_choice ctx keyword value allowed)
  if(NOT value STREQUAL "" AND NOT value IN_LIST allowed)
    string(REPLACE ";" "|" shown "${allowed}")
    if(NOT "${BUILDBUDGET_LOWMEM_${keyword}}" STREQUAL "")
      set(keyword "${keyword} (the cache variable BUILDBUDGET_LOWMEM_${keyword})")
    endif()
    message(FATAL_ERROR "${ctx}: ${keyword} must be ${shown}, got \"${value}\"")
  endif()
endfunction()

# _buildbudget_lowmem_summary(<ctx> <compile-jobs> <link-jobs> <linker> <debug-info> <debug-flags> <lto>
#                             <lto-flags> <linker-flags> <launcher> <admission> [<farm engine>])
# One status line listing each change the profile makes to the build, each with the cache variable
# that turns it off (doc/lowmem.md).
function(_buildbudget_lowmem_summary ctx compile_jobs link_jobs linker debug_info debug_flags lto lto_flags
    linker_flags launcher admission)
  set(changes "")
  if(CMAKE_GENERATOR MATCHES "Ninja")
    string(CONCAT pools "job pools buildbudget_compile=${compile_jobs} and buildbudget_link=${link_jobs} "
      "(sized from the memory limit: -DBUILDBUDGET_LOWMEM_MEMORY_LIMIT=<size>)")
    list(APPEND changes "${pools}")
  endif()
  foreach(part debug lto linker)
    list(TRANSFORM ${part}_flags REPLACE "^LINKER:" "")
    list(REMOVE_ITEM ${part}_flags "")
    list(REMOVE_DUPLICATES ${part}_flags)  # -flto=thin compiles and links
    string(JOIN " " ${part}_flags ${${part}_flags})
  endforeach()
  if(NOT debug_flags STREQUAL "")
    list(APPEND changes "${debug_flags} for debug info ${debug_info} (off: -DBUILDBUDGET_LOWMEM_DEBUG_INFO=build-type)")
  endif()
  if(NOT lto_flags STREQUAL "")
    list(APPEND changes "${lto_flags} for LTO ${lto} (off: -DBUILDBUDGET_LOWMEM_LTO=off)")
  elseif(lto STREQUAL "off")
    list(APPEND changes "CMAKE_INTERPROCEDURAL_OPTIMIZATION OFF for LTO off (off: no LTO argument or cache variable)")
  endif()
  if(NOT linker_flags STREQUAL "")
    set(linker_name "${linker}")
    if(linker STREQUAL "bfd")
      set(linker_name "GNU ld")
    endif()
    list(APPEND changes "${linker_flags} for ${linker_name} (off: -DBUILDBUDGET_LOWMEM_LINKER_FLAGS=OFF)")
  endif()
  if(launcher)
    list(APPEND changes "compiles and links through buildbudget buildmem launch (off: -DBUILDBUDGET_LOWMEM_LAUNCHER=OFF)")
    if(admission)
      list(APPEND changes "admission: jobs wait for free memory (off: -DBUILDBUDGET_LOWMEM_ADMISSION=OFF)")
    endif()
  endif()
  if(NOT "${ARGV11}" STREQUAL "")
    list(APPEND changes "compiles through ${ARGV11}, the compile pool sized for the farm (off: -DBUILDBUDGET_LOWMEM_DISTRIBUTED=OFF)")
  endif()
  if(changes)
    string(JOIN "; " changes ${changes})
    message(STATUS "${ctx} changes this build: ${changes}")
  else()
    message(STATUS "${ctx} changes nothing in this build")
  endif()
endfunction()


# _buildbudget_lowmem_run_plan(<ctx> <limit-from> <helper> <script> <args>...)
# A macro: runs `buildbudget buildmem plan <args> --cmake-out <script>` (its own message fails the
# configure) and include()s <script>, which sets BUILDBUDGET_PLAN_<KEY> (MEMORY_LIMIT, MEMORY_CLASS,
# RESERVE, CPUS, COMPILE_MEMORY, LINK_MEMORY, COMPILE_JOBS, LINK_JOBS, LINKER_THREADS, REASONS) in the
# caller's scope. Once the caller has decided ADMISSION (its arg_ADMISSION), the plan is told
# (--admission on|off): pools learned from the job log (`--log`, the build tree's own) are then sized
# on the median job, admission holding the heavier ones back (doc/lowmem.md).
macro(_buildbudget_lowmem_run_plan ctx limit_from helper script)
  set(_buildbudget_args ${ARGN} --cmake-out "${script}")
  if(DEFINED arg_ADMISSION AND NOT "--admission" IN_LIST _buildbudget_args)
    if(arg_ADMISSION)
      list(APPEND _buildbudget_args --admission on)
    else()
      list(APPEND _buildbudget_args --admission off)
    endif()
  endif()
  execute_process(COMMAND "${helper}" ${_buildbudget_args}
    RESULT_VARIABLE _buildbudget_rc OUTPUT_QUIET ERROR_VARIABLE _buildbudget_err ERROR_STRIP_TRAILING_WHITESPACE)
  if(NOT _buildbudget_rc EQUAL 0)
    message(FATAL_ERROR "${ctx}: ${_buildbudget_err}\n(the memory limit came from ${limit_from})")
  endif()
  include("${script}")
  unset(_buildbudget_args)
  unset(_buildbudget_rc)
  unset(_buildbudget_err)
endmacro()
