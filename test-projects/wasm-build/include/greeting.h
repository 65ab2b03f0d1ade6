/* Found through wasm_build_target(... INCLUDE_DIRECTORIES include). */
#define GREETING "defs"
