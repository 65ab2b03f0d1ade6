# The cache variable wins over the argument, and its bad value is named as the cache variable.
set(BUILDBUDGET_LOWMEM_DEBUG_INFO lines CACHE STRING "" FORCE)
lowmem_profile(DEBUG_INFO off)
