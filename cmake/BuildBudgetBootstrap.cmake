# Configure-time bootstrap of the helper for source-tree consumers
# (add_subdirectory, FetchContent): the helper is needed while the consumer
# configures, before its build exists, so it is built here, once, keyed by a
# hash of the helper's sources and the host, and shared by every build tree of
# the user (doc/install.md, "Using BuildBudget in a project"):
#
#   BUILDBUDGET_HELPER_CACHE  cache variable (PATH): where built helpers are
#       kept, one directory helper-<hash>/ each. Default:
#       $XDG_CACHE_HOME/buildbudget/helpers, else ~/.cache/buildbudget/helpers.
#       Empty: in each build tree, <build>/_buildbudget/helper-<hash>/.
#
# Configures that share the directory take turns under a file lock, so one
# builds and the others reuse its helper. A kept helper that no longer runs
# (`--version` fails: a shared library it links was removed, another
# architecture shares the home directory) is built again.
include_guard(GLOBAL)

# _buildbudget_bootstrap_helper(<out-var> <heapcount-out-var>)
# Sets <out-var> to the path of a built helper and <heapcount-out-var> to the
# heap-counting preload library; fails the configure with the build's own
# output when they do not build.
function(_buildbudget_bootstrap_helper out_var heapcount_var)
  get_filename_component(root "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/.." ABSOLUTE)
  set(src "${root}/tools/buildbudget")
  file(GLOB_RECURSE sources LIST_DIRECTORIES false "${src}/src/*" "${src}/heapcount/*")
  list(APPEND sources "${src}/CMakeLists.txt" "${root}/cmake/BuildBudgetVersion.cmake")
  list(SORT sources)
  set(manifest "")
  foreach(f IN LISTS sources)
    file(SHA256 "${f}" h)
    file(RELATIVE_PATH rel "${root}" "${f}")
    string(APPEND manifest "${rel} ${h}\n")
  endforeach()
  string(APPEND manifest "host ${CMAKE_HOST_SYSTEM_NAME} ${CMAKE_HOST_SYSTEM_PROCESSOR}\n")
  string(SHA256 key "${manifest}")
  string(SUBSTRING "${key}" 0 16 key)

  if(NOT DEFINED BUILDBUDGET_HELPER_CACHE)
    set(cache "")
    if(NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
      set(cache "$ENV{XDG_CACHE_HOME}/buildbudget/helpers")
    elseif(NOT "$ENV{HOME}" STREQUAL "")
      set(cache "$ENV{HOME}/.cache/buildbudget/helpers")
    endif()
    set(BUILDBUDGET_HELPER_CACHE "${cache}" CACHE PATH
      "Where source-tree consumers keep the built buildbudget helper, shared by build trees; empty: in each build tree")
  endif()
  if("${BUILDBUDGET_HELPER_CACHE}" STREQUAL "")
    set(dir "${CMAKE_BINARY_DIR}/_buildbudget/helper-${key}")
  else()
    get_filename_component(dir "${BUILDBUDGET_HELPER_CACHE}/helper-${key}" ABSOLUTE BASE_DIR "${CMAKE_BINARY_DIR}")
  endif()
  set(exe "${dir}/build/buildbudget${CMAKE_EXECUTABLE_SUFFIX}")
  set(heapcount "${dir}/build/libbuildbudget_heapcount.so")
  get_filename_component(parent "${dir}" DIRECTORY)
  file(MAKE_DIRECTORY "${parent}")
  # No timeout: a configure that waits is one whose neighbour is building this helper.
  file(LOCK "${dir}.lock" GUARD FUNCTION)
  if(EXISTS "${exe}" AND EXISTS "${heapcount}")
    execute_process(COMMAND "${exe}" --version RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
      string(STRIP "${out}" out)
      message(STATUS "BuildBudget: the kept helper ${exe} does not run (${rc}: ${out}); building it again")
      file(REMOVE_RECURSE "${dir}")
    endif()
  endif()
  if(NOT EXISTS "${exe}" OR NOT EXISTS "${heapcount}")
    message(STATUS "BuildBudget: building the buildbudget helper (once for these sources): ${dir}")
    set(generator_args)
    if(CMAKE_GENERATOR MATCHES "^(Ninja|Unix Makefiles)$")
      set(generator_args -G "${CMAKE_GENERATOR}")
      if(CMAKE_MAKE_PROGRAM)
        list(APPEND generator_args "-DCMAKE_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}")
      endif()
    endif()
    # The helper runs on the build machine: build it with the host's default
    # compiler, never with the consumer's (possibly cross or wasm) toolchain.
    execute_process(
      COMMAND "${CMAKE_COMMAND}" -S "${src}" -B "${dir}/build" ${generator_args}
              -DCMAKE_BUILD_TYPE=Release
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(rc EQUAL 0)
      execute_process(COMMAND "${CMAKE_COMMAND}" --build "${dir}/build" --target buildbudget buildbudget_heapcount
                      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    endif()
    if(NOT rc EQUAL 0 OR NOT EXISTS "${exe}" OR NOT EXISTS "${heapcount}")
      message(FATAL_ERROR "BuildBudget: building the buildbudget helper in ${dir}/build failed:\n${out}\n"
        "It needs a C++17 compiler and Debian's libtomlplusplus-dev, nlohmann-json3-dev, libcli11-dev, libelf-dev, "
        "zlib1g-dev, libbrotli-dev and libssl-dev.")
    endif()
  endif()
  set(${out_var} "${exe}" PARENT_SCOPE)
  set(${heapcount_var} "${heapcount}" PARENT_SCOPE)
endfunction()
