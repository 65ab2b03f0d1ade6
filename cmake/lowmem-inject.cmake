# lowmem-inject.cmake: lowmem_profile() on any CMake project, without editing it
# (doc/lowmem.md). Installed as
# <prefix>/lib/cmake/BuildBudget/lowmem-inject.cmake:
#
#   cmake -S <project> -B <build> \
#     -DCMAKE_PROJECT_TOP_LEVEL_INCLUDES=<prefix>/lib/cmake/BuildBudget/lowmem-inject.cmake
#
# CMAKE_PROJECT_TOP_LEVEL_INCLUDES needs CMake 3.24; with CMake 3.20 to 3.23,
# -DCMAKE_PROJECT_INCLUDE=<the same file> does the same after the first project().
# The settings are lowmem_profile()'s cache variables, one per argument:
# BUILDBUDGET_LOWMEM_MEMORY_LIMIT, _COMPILE_MEMORY, _LINK_MEMORY, _RESERVE,
# _DEBUG_INFO, _LTO, _CARGO_CONFIG, _ENV_SCRIPT, _LAUNCHER, _LINKER_FLAGS,
# _ADMISSION and _ADMISSION_TIMEOUT (empty: the argument's default), e.g.
# -DBUILDBUDGET_LOWMEM_MEMORY_LIMIT=4GiB.
#
# The package is found next to this file, so CMAKE_PREFIX_PATH is not needed:
# an installed package (BuildBudgetConfig.cmake in this directory) or a
# BuildBudget source tree (cmake/ of the checkout; the helper is then built
# once for its sources, as for add_subdirectory: doc/install.md).
include_guard(GLOBAL)

# Before any language is enabled the platform has not said yet whether it has
# shared libraries, and the package's heap-counting library (a file of this
# host, like the helper) would be imported as a static one. Enabling a
# language sets the property again (CMakeGenericSystem.cmake).
get_property(_buildbudget_shared_known GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS SET)
if(NOT _buildbudget_shared_known)
  set_property(GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS TRUE)
endif()
unset(_buildbudget_shared_known)

if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/BuildBudgetConfig.cmake")
  find_package(BuildBudget CONFIG REQUIRED NO_DEFAULT_PATH PATHS "${CMAKE_CURRENT_LIST_DIR}")
else()
  include("${CMAKE_CURRENT_LIST_DIR}/BuildBudgetSubproject.cmake")
endif()
lowmem_profile()
