wasm_package(pkg MODULES imgproc VERSION 1.2)
