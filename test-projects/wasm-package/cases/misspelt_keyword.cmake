# A misspelt keyword after MODULES would be taken for a module.
wasm_package(pkg MODULES imgproc NPM_NAM @example/pkg)
