# Upper-case values near no keyword configure: definitions (NDEBUG and DEBUG
# are two or more edits from every keyword), an exported symbol, test arguments.
wasm_build_target(m SOURCES src/defs.c INCLUDE_DIRECTORIES include
                  COMPILE_DEFINITIONS NDEBUG DEBUG SCALE=3 USE_FAST_MATH HAVE_CONFIG_H
                  EXPORTS MAIN_LOOP OPTIMIZE size)
wasm_add_test(t m ARGS RUN ALL_TESTS VERBOSE_LOG)
