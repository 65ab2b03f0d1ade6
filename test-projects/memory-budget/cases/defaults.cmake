# No outputs named: they go under the build tree, reported in variables.
wrt_memory_budget(app COMPONENTS ui 2MB "net stack" 1MB PLATFORM iot)
foreach(v BUDGET_HEADER BUDGET_RUST BUDGET_JSON BUDGET_INCLUDE_DIR BUDGET_PLATFORM TOTAL_MEMORY_BUDGET
          BUDGET_COMPONENTS BUDGET_UI BUDGET_NET_STACK)
  message(STATUS "app_${v}=${app_${v}}")
endforeach()
get_target_property(dirs app_budget INTERFACE_INCLUDE_DIRECTORIES)
message(STATUS "include=${dirs}")
