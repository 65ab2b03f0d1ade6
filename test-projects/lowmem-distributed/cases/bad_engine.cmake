lowmem_profile(DISTRIBUTED ccache)
