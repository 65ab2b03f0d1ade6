lowmem_profile(LTO fat)
