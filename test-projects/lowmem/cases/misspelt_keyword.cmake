# A misspelt keyword names the keyword it is near.
lowmem_profile(MEMORY_LIMIT 4GiB ADMISION ON)
