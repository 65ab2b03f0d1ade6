file(WRITE ${CMAKE_BINARY_DIR}/bad/.cargo/config.toml "[build]\njobs = = 3\n")
lowmem_profile(MEMORY_LIMIT 4GiB CARGO_CONFIG ${CMAKE_BINARY_DIR}/bad/.cargo/config.toml)
