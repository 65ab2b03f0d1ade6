lowmem_profile(MEMORY_LIMIT "4 potatoes")
