# CMake toolchain file: C and C++ to WebAssembly for WASI preview 1
# (wasm32-wasi, also called wasm32-wasip1) with clang and the distribution's
# wasi-libc, libc++ and compiler-rt for wasm32 (Debian: wasi-libc,
# libc++-14-dev-wasm32, libc++abi-14-dev-wasm32, libclang-rt-14-dev-wasm32).
#
#   cmake -S . -B build-wasm -DCMAKE_TOOLCHAIN_FILE=<prefix>/lib/cmake/BuildBudget/templates/toolchains/wasm32-wasi.cmake
#
# Executables are <name>.wasm WASI command modules. CMAKE_CROSSCOMPILING_EMULATOR
# runs them with Node.js's WASI (../runners/wasi-run.mjs), so add_test() and
# try_run() work. C++ is built without exceptions (-fno-exceptions): clang 14
# has no WebAssembly exception support for WASI, and the wasm32 libc++ is
# built without it.
#
# Cache variables:
#   BUILDBUDGET_WASM_CLANG     the C compiler (default: clang-14 or clang on PATH)
#   BUILDBUDGET_WASM_CLANGXX   the C++ compiler (default: clang++-14 or clang++)
#   BUILDBUDGET_WASM_AR, BUILDBUDGET_WASM_RANLIB  LLVM's llvm-ar and llvm-ranlib
#   BUILDBUDGET_NODE           Node.js for the emulator (default: node on PATH)
set(CMAKE_SYSTEM_NAME Generic)  # CMake has no WASI platform module before 3.27
set(CMAKE_SYSTEM_PROCESSOR wasm32)

find_program(BUILDBUDGET_WASM_CLANG NAMES clang-14 clang)
find_program(BUILDBUDGET_WASM_CLANGXX NAMES clang++-14 clang++)
if(NOT BUILDBUDGET_WASM_CLANG OR NOT BUILDBUDGET_WASM_CLANGXX)
  message(FATAL_ERROR "wasm32-wasi toolchain: clang and clang++ are needed (apt-get install clang lld wasi-libc "
    "libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32)")
endif()
# LLVM's archiver: static libraries of -flto objects (LLVM bitcode) need its
# symbol index, which GNU ar cannot write for bitcode.
find_program(BUILDBUDGET_WASM_AR NAMES llvm-ar-14 llvm-ar)
find_program(BUILDBUDGET_WASM_RANLIB NAMES llvm-ranlib-14 llvm-ranlib)
if(NOT BUILDBUDGET_WASM_AR OR NOT BUILDBUDGET_WASM_RANLIB)
  message(FATAL_ERROR "wasm32-wasi toolchain: LLVM's llvm-ar and llvm-ranlib are needed (apt-get install llvm)")
endif()
set(CMAKE_AR "${BUILDBUDGET_WASM_AR}" CACHE FILEPATH "Archiver for wasm32 static libraries")
set(CMAKE_RANLIB "${BUILDBUDGET_WASM_RANLIB}" CACHE FILEPATH "ranlib for wasm32 static libraries")
set(CMAKE_C_COMPILER "${BUILDBUDGET_WASM_CLANG}")
set(CMAKE_CXX_COMPILER "${BUILDBUDGET_WASM_CLANGXX}")
set(CMAKE_C_COMPILER_TARGET wasm32-wasi)
set(CMAKE_CXX_COMPILER_TARGET wasm32-wasi)
set(CMAKE_CXX_FLAGS_INIT "-fno-exceptions")
set(CMAKE_EXECUTABLE_SUFFIX_C ".wasm")
set(CMAKE_EXECUTABLE_SUFFIX_CXX ".wasm")

find_program(BUILDBUDGET_NODE NAMES node nodejs)
if(BUILDBUDGET_NODE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${BUILDBUDGET_NODE};--no-warnings;${CMAKE_CURRENT_LIST_DIR}/../runners/wasi-run.mjs")
endif()
