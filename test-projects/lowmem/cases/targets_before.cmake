add_executable(early ${CMAKE_CURRENT_SOURCE_DIR}/src/main.cpp)
lowmem_profile(MEMORY_LIMIT 4GiB)
