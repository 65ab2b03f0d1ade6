wasm_package(pkg MODULES imgproc no_such_module)
