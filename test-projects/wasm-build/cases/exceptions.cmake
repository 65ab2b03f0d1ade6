# C++ exceptions with BACKEND emscripten: a real library that throws
# (nlohmann/json), built with Emscripten's JavaScript glue.
find_path(NLOHMANN_JSON_INCLUDE_DIR nlohmann/json.hpp REQUIRED)
# Only nlohmann/ of the host's include directory: its C headers are not for wasm.
file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/json-include")
file(CREATE_LINK "${NLOHMANN_JSON_INCLUDE_DIR}/nlohmann" "${CMAKE_BINARY_DIR}/json-include/nlohmann" SYMBOLIC)
wasm_build_target(em_json SOURCES src/json_errors.cpp BACKEND emscripten COMPILE_OPTIONS -fexceptions
                  INCLUDE_DIRECTORIES "${CMAKE_BINARY_DIR}/json-include" OPTIMIZE size MAX_SIZE 256KB)
get_target_property(js em_json BUILDBUDGET_WASM_JS_FILE)
message(STATUS "BUILDBUDGET_WASM_JS_FILE=${js}")
enable_testing()
wasm_add_test(em_json_runs em_json ARGS "{\"a\":[1,2]}" "{bad" PASS_REGULAR_EXPRESSION "json ok, 1 caught")
