# Deprecated location of the wasm32-wasi toolchain file, kept for one release:
# the file is templates/toolchains/wasm32-wasi.cmake (installed as
# <prefix>/lib/cmake/BuildBudget/templates/toolchains/wasm32-wasi.cmake;
# doc/wasm.md, "How modules are built and checked").
get_filename_component(_buildbudget_toolchain "${CMAKE_CURRENT_LIST_DIR}/../../templates/toolchains/wasm32-wasi.cmake"
  ABSOLUTE)
message(DEPRECATION "Modules/toolchains/wasm32-wasi.cmake has moved to ${_buildbudget_toolchain}; "
  "give that path to CMAKE_TOOLCHAIN_FILE")
include("${_buildbudget_toolchain}")
unset(_buildbudget_toolchain)
