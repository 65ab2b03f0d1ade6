# BuildBudget used from its source tree by a consumer (add_subdirectory or
# FetchContent_MakeAvailable): bootstrap the helper, load the modules, and
# make the consumer's later find_package(BuildBudget) succeed.
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetVersion.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/BuildBudgetBootstrap.cmake)

if(NOT TARGET BuildBudget::buildbudget)
  _buildbudget_bootstrap_helper(_buildbudget_exe _buildbudget_heapcount)
  add_executable(BuildBudget::buildbudget IMPORTED GLOBAL)
  set_target_properties(BuildBudget::buildbudget PROPERTIES IMPORTED_LOCATION "${_buildbudget_exe}")
  add_library(BuildBudget::heapcount SHARED IMPORTED GLOBAL)
  set_target_properties(BuildBudget::heapcount PROPERTIES IMPORTED_LOCATION "${_buildbudget_heapcount}")
  unset(_buildbudget_exe)
  unset(_buildbudget_heapcount)
endif()
include(${CMAKE_CURRENT_LIST_DIR}/../Modules/BuildBudget.cmake)

# find_package() looks in CMAKE_FIND_PACKAGE_REDIRECTS_DIR first (CMake 3.24+).
if(CMAKE_FIND_PACKAGE_REDIRECTS_DIR)
  include(CMakePackageConfigHelpers)
  # BUILDBUDGET_VERSION, not PROJECT_VERSION: cmake/lowmem-inject.cmake includes this file inside
  # another project's first project() call.
  get_filename_component(_buildbudget_modules "${CMAKE_CURRENT_LIST_DIR}/../Modules" ABSOLUTE)
  configure_file("${CMAKE_CURRENT_LIST_DIR}/../templates/subproject/buildbudget-config.cmake.in"
    "${CMAKE_FIND_PACKAGE_REDIRECTS_DIR}/buildbudget-config.cmake" @ONLY NO_SOURCE_PERMISSIONS)
  write_basic_package_version_file("${CMAKE_FIND_PACKAGE_REDIRECTS_DIR}/buildbudget-config-version.cmake"
    VERSION ${BUILDBUDGET_VERSION} COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
  unset(_buildbudget_modules)
endif()
