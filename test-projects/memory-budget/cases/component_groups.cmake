# COMPONENT groups with their settings, next to COMPONENTS pairs.
wrt_memory_budget(grp PLATFORM iot
  COMPONENTS log 300KB
  COMPONENT dsp 4.5MB CATEGORY large MAX 5MB TARGETS dsp_lib dsp_tests
  COMPONENT boot 64KB MIN 32KB FREESTANDING
  PREFIX GRP_)
message(STATUS "json=${grp_BUDGET_JSON}")
