# A misspelt keyword after a one-value keyword's value is left unparsed.
wasm_build_target(m SOURCES src/bulk.c OPTIMIZE size MAX_SIZ 64KB)
