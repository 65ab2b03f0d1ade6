lowmem_profile(MEMORY_LIMIT 4GiB JOBS 2)
