lowmem_profile(DISTRIBUTED distcc REMOTE_SLOTS 0)
