wasm_package(pkg NPM_NAME pkg)
