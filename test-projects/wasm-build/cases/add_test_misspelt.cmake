# A misspelt keyword after ARGS would be passed to the module as an argument.
wasm_build_target(m SOURCES src/bulk.c)
wasm_add_test(t m ARGS --selftest PASS_REGULAR_EXPRESION "bulk ok")
