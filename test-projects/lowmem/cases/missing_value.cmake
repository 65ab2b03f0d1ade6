lowmem_profile(MEMORY_LIMIT 4GiB LTO)
