lowmem_profile(REMOTE_SLOTS 4)
