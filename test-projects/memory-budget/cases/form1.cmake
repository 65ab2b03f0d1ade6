# The issue's first form, exactly as written, and a firmware that uses it.
enable_language(CXX)
add_executable(firmware ${CMAKE_CURRENT_SOURCE_DIR}/firmware.cpp)
wrt_memory_budget(fw PRESET none PLATFORM embedded
  COMPONENTS net 1MB storage 512KB app 1.5MB
  HEADER ${CMAKE_BINARY_DIR}/gen/fw_budget.h
  RUST   ${CMAKE_BINARY_DIR}/gen/memory_constants.rs
  JSON   ${CMAKE_BINARY_DIR}/gen/fw_budget.json)
target_link_libraries(firmware PRIVATE fw_budget)   # INTERFACE target <name>_budget
