# Upper-case names near no keyword of four or more letters configure: MAC is
# one letter from MAX, which is too short to be suggested.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS MAC 1MB PHY 512KB
                  COMPONENT NDEBUG_LOG 64KB MAX 128KB)
