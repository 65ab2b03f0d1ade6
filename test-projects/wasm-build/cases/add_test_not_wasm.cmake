add_executable(host_tool ${CMAKE_CURRENT_SOURCE_DIR}/src/bulk.c)
wasm_add_test(t host_tool)
