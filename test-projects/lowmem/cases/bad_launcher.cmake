lowmem_profile(LAUNCHER maybe)
