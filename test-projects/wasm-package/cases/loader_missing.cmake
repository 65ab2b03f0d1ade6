wasm_package(pkg MODULES imgproc LOADER no-such-loader.js)
