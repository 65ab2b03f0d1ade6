wasm_package(pkg MODULES imgproc NPM_NAME "My Package")
