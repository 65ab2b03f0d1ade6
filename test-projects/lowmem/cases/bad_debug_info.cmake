lowmem_profile(DEBUG_INFO minimal)
