// A project's own loader for wasm_package(... LOADER src/custom-loader.js)
// (test-projects/wasm-package/cases/loader_custom.cmake): plain instantiation,
// no WASI, the same two exports index.js imports.
export class WasiExit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}

export function createLoader(url) {
  let loaded;
  return (imports = {}) => {
    loaded ??= fetch(url)
      .then((response) => WebAssembly.instantiateStreaming(response, imports))
      .then(({ instance }) => instance.exports);
    return loaded;
  };
}
