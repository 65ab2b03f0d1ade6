# A misspelt keyword after COMPILE_DEFINITIONS would be taken as a definition
# (-DOPTIMISE -Dspeed) and the module built at the default -Oz.
wasm_build_target(m SOURCES src/bulk.c COMPILE_DEFINITIONS X OPTIMISE speed)
