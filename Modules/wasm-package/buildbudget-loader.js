// The loader of the npm packages that wasm_package() writes (BuildBudget,
// Modules/BuildBudgetWasmPackage.cmake). An ES module for Node.js (>= 18) and
// browsers, no dependencies; the package's index.js makes one loader per
// module with createLoader().
//
// Loading, per the WebAssembly JavaScript Interface and Web API specs:
// - browsers (and any http(s) URL): WebAssembly.instantiateStreaming on the
//   fetch() response, which compiles while the bytes arrive; a server that
//   does not send `Content-Type: application/wasm` makes it reject with a
//   TypeError, and the loader then instantiates from the response's
//   ArrayBuffer instead;
// - Node.js with a file: URL (fetch() does not read files): the bytes from
//   node:fs/promises, then WebAssembly.instantiate.
// A module is fetched and instantiated on first use only; later calls return
// the same instance's exports.
//
// Imports: the caller's imports object, over defaults for the
// `wasi_snapshot_preview1` module that wasm32-wasi C and C++ modules import
// (clang with wasi-libc): fd_write to stdout/stderr goes to console.log /
// console.error line by line, clock_time_get, random_get and
// environ/args (empty) work, proc_exit throws a WasiExit error, and any other
// WASI function returns errno 52 (ENOSYS), as WASI preview 1 defines it
// (WebAssembly/WASI, legacy/preview1/docs.md). A reactor module's
// `_initialize` export is called once before its exports are returned (WASI
// application ABI, WebAssembly/WASI legacy/application-abi.md).

const WASI_ESUCCESS = 0;
const WASI_EBADF = 8;
const WASI_ENOSYS = 52;

/** Thrown when a module calls WASI's proc_exit. `code` is the exit status. */
export class WasiExit extends Error {
  constructor(code) {
    super(`WebAssembly module exited with status ${code}`);
    this.name = 'WasiExit';
    this.code = code;
  }
}

/**
 * The default `wasi_snapshot_preview1` imports. `memory()` returns the
 * instance's memory (known only after instantiation).
 */
export function wasiImports(memory) {
  const decoder = new TextDecoder();
  const pending = { 1: '', 2: '' };
  const view = () => new DataView(memory().buffer);
  const functions = {
    fd_write(fd, iovs, iovsLength, writtenPointer) {
      if (fd !== 1 && fd !== 2) return WASI_EBADF;
      const dv = view();
      let written = 0;
      let text = '';
      for (let i = 0; i < iovsLength; i++) {
        const pointer = dv.getUint32(iovs + i * 8, true);
        const length = dv.getUint32(iovs + i * 8 + 4, true);
        text += decoder.decode(new Uint8Array(memory().buffer, pointer, length), { stream: true });
        written += length;
      }
      const lines = (pending[fd] + text).split('\n');
      pending[fd] = lines.pop();
      for (const line of lines) (fd === 1 ? console.log : console.error)(line);
      dv.setUint32(writtenPointer, written, true);
      return WASI_ESUCCESS;
    },
    fd_fdstat_get(fd, statPointer) {
      if (fd > 2) return WASI_EBADF;
      new Uint8Array(memory().buffer, statPointer, 24).fill(0);
      view().setUint8(statPointer, 2);  // filetype: character device
      return WASI_ESUCCESS;
    },
    fd_close: () => WASI_ESUCCESS,
    fd_seek: () => WASI_ENOSYS,
    environ_sizes_get(countPointer, sizePointer) {
      view().setUint32(countPointer, 0, true);
      view().setUint32(sizePointer, 0, true);
      return WASI_ESUCCESS;
    },
    environ_get: () => WASI_ESUCCESS,
    args_sizes_get(countPointer, sizePointer) {
      view().setUint32(countPointer, 0, true);
      view().setUint32(sizePointer, 0, true);
      return WASI_ESUCCESS;
    },
    args_get: () => WASI_ESUCCESS,
    clock_time_get(clockId, precision, timePointer) {
      const nanoseconds = clockId === 0
        ? BigInt(Date.now()) * 1000000n
        : BigInt(Math.round(performance.now() * 1e6));
      view().setBigUint64(timePointer, nanoseconds, true);
      return WASI_ESUCCESS;
    },
    random_get(pointer, length) {
      crypto.getRandomValues(new Uint8Array(memory().buffer, pointer, length));
      return WASI_ESUCCESS;
    },
    proc_exit(code) {
      throw new WasiExit(code);
    },
  };
  return new Proxy(functions, {
    get: (target, name) => (name in target ? target[name] : () => WASI_ENOSYS),
  });
}

async function instantiate(url, imports) {
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return WebAssembly.instantiate(await readFile(url), imports);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  if (typeof WebAssembly.instantiateStreaming === 'function') {
    try {
      return await WebAssembly.instantiateStreaming(response.clone(), imports);
    } catch (error) {
      // A TypeError is a response streaming cannot take (most often the
      // wrong MIME type); compile and link errors are the module's own.
      if (!(error instanceof TypeError)) throw error;
    }
  }
  return WebAssembly.instantiate(await response.arrayBuffer(), imports);
}

/**
 * A function that loads the module at `url` (a URL object) on its first call
 * and resolves to its exports; every call returns the same promise. The
 * `imports` of the first call are used, over the WASI defaults.
 */
export function createLoader(url) {
  let loaded;
  return function load(imports = {}) {
    if (!loaded) {
      let memory;
      const all = { wasi_snapshot_preview1: wasiImports(() => memory), ...imports };
      loaded = instantiate(url, all).then(({ instance }) => {
        memory = instance.exports.memory;
        if (typeof instance.exports._initialize === 'function') instance.exports._initialize();
        return instance.exports;
      });
    }
    return loaded;
  };
}
