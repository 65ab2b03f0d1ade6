# A word that is no keyword and near none: the keywords and where they are documented.
wasm_build_target(m SOURCES src/bulk.c OPTIMIZE size FAST)
