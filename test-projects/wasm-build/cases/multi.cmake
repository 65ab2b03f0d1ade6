# Two sources and a header (src/multi/) with a SIMD variant: edit-rebuilds,
# depfiles, warnings on the console and the one wasm-opt pass per variant.
wasm_build_target(multi SOURCES src/multi/main.c src/multi/twice.c SIMD OPTIMIZE size)
wasm_add_test(multi_runs multi PASS_REGULAR_EXPRESSION "multi 42")
