# C++ exceptions with the default BACKEND clang: a configure error naming BACKEND emscripten.
wasm_build_target(m SOURCES src/json_errors.cpp COMPILE_OPTIONS -fexceptions)
