lowmem_profile(DISTRIBUTED distcc LAUNCHER OFF)
