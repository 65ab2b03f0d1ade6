wasm_package(pkg UNIFY MODULES imgproc)
