set(ENV{DISTCC_HOSTS} "a b/0")
lowmem_profile(DISTRIBUTED distcc)
