# wasm_package() refuses a module that needs Emscripten's JavaScript glue.
wasm_build_target(em_json SOURCES src/json_errors.cpp BACKEND emscripten COMPILE_OPTIONS -fexceptions)
wasm_package(p MODULES em_json)
