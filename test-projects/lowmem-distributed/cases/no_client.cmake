set(CMAKE_CXX_COMPILER_LAUNCHER /nonexistent/distcc)
set(ENV{DISTCC_HOSTS} "a/2")
lowmem_profile(DISTRIBUTED auto)
