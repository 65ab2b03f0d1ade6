# A source that does not compile: the build fails with clang's own error.
wasm_build_target(broken SOURCES src/broken.c)
