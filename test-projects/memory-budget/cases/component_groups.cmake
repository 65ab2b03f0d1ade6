# COMPONENT groups with their settings, next to COMPONENTS pairs. TARGETS are
# real targets (they become budget checks), defined after the call.
wrt_memory_budget(grp PLATFORM iot
  COMPONENTS log 300KB
  COMPONENT dsp 4.5MB CATEGORY large MAX 5MB TARGETS dsp_lib dsp_tests
  COMPONENT boot 64KB MIN 32KB FREESTANDING
  PREFIX GRP_)
message(STATUS "json=${grp_BUDGET_JSON}")
enable_language(CXX)
add_library(dsp_lib STATIC firmware.cpp)
add_executable(dsp_tests firmware.cpp)
target_link_libraries(dsp_lib PRIVATE grp_budget)
target_link_libraries(dsp_tests PRIVATE grp_budget)
