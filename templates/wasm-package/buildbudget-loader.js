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
// Imports: the caller's imports object, over a WASI preview 1 for the
// `wasi_snapshot_preview1` module that wasm32-wasi C and C++ modules import
// (clang with wasi-libc). It follows the witx definitions (WebAssembly/WASI,
// legacy/preview1/docs.md; errno numbers as in wasi-libc's wasi/api.h):
// - args_* and environ_*: the `args` (argv, argv[0] included; default the
//   module's file name) and `env` (name -> value; default none) options;
// - clock_time_get / clock_res_get: realtime (Date.now(), 1 ms), monotonic
//   (performance.now(), 1 us), process and thread CPU time (the time since
//   instantiation, an upper bound); other clocks EINVAL;
// - random_get: crypto.getRandomValues;
// - fd_write to stdout (1) and stderr (2): decoded as UTF-8 and passed line
//   by line, without the newline, to the `stdout` / `stderr` options
//   (default console.log / console.error); a last line without a newline is
//   passed on at proc_exit and when `_start` returns;
// - fd_read of stdin (0): end of file; fd_fdstat_get and fd_filestat_get of
//   0-2: character devices (not seekable, so wasi-libc's isatty() is true);
//   fd_seek/fd_tell/fd_pread/fd_pwrite/fd_advise/fd_allocate on them ESPIPE;
// - no preopened directories: fd_prestat_get answers EBADF (8), which ends
//   wasi-libc's preopen scan; any other descriptor is EBADF, so fopen() fails
//   with an errno instead of the program ending with status 71;
// - proc_exit throws WasiExit with the status; sched_yield succeeds;
// - any other function answers ENOSYS (52).
// The caller's `wasi_snapshot_preview1` object replaces these function by
// function; the others stay. A reactor module's `_initialize` export is
// called once before its exports are returned (WASI application ABI,
// WebAssembly/WASI legacy/application-abi.md).

// WASI preview 1 errno values (wasi/api.h, __WASI_ERRNO_*).
const WASI_ESUCCESS = 0;
const WASI_EBADF = 8;
const WASI_EINVAL = 28;
const WASI_ENOSYS = 52;
const WASI_ENOTDIR = 54;
const WASI_ENOTSOCK = 57;
const WASI_ESPIPE = 70;
const WASI_FILETYPE_CHARACTER_DEVICE = 2;
const WASI_RIGHTS_FD_READ = 1n << 1n;
const WASI_RIGHTS_FD_WRITE = 1n << 6n;

const LOADER_OPTIONS = ['args', 'env', 'stdout', 'stderr'];

/** Thrown when a module calls WASI's proc_exit. `code` is the exit status. */
export class WasiExit extends Error {
  constructor(code) {
    super(`WebAssembly module exited with status ${code}`);
    this.name = 'WasiExit';
    this.code = code;
  }
}

/** `options` checked: the known keys only, each of the expected type. */
function checkOptions(options) {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`buildbudget-loader: the options must be an object with ${LOADER_OPTIONS.join(', ')}`);
  }
  for (const key of Object.keys(options)) {
    if (!LOADER_OPTIONS.includes(key)) {
      throw new TypeError(`buildbudget-loader: unknown option "${key}"; expected ${LOADER_OPTIONS.join(', ')}`);
    }
  }
  const { args, env, stdout, stderr } = options;
  if (args !== undefined && !(Array.isArray(args) && args.every((a) => typeof a === 'string'))) {
    throw new TypeError('buildbudget-loader: the option "args" must be an array of strings (argv, argv[0] included)');
  }
  if (env !== undefined) {
    if (typeof env !== 'object' || env === null) {
      throw new TypeError('buildbudget-loader: the option "env" must be an object of names and values');
    }
    for (const [name, value] of Object.entries(env)) {
      if (name === '' || name.includes('=') || name.includes('\0') || String(value).includes('\0')) {
        throw new TypeError(`buildbudget-loader: the environment variable "${name}" needs a name without "=" `
          + 'and a name and value without NUL characters');
      }
    }
  }
  for (const [key, sink] of [['stdout', stdout], ['stderr', stderr]]) {
    if (sink !== undefined && typeof sink !== 'function') {
      throw new TypeError(`buildbudget-loader: the option "${key}" must be a function taking one line of text`);
    }
  }
}

/**
 * The default `wasi_snapshot_preview1` functions, as an object with a
 * `flush()` that passes on lines still without their newline. `memory()`
 * returns the instance's memory (known only after instantiation); `options`
 * as for createLoader()'s load function; `program` is argv[0] by default.
 */
export function wasiImports(memory, options = {}, program = 'main.wasm') {
  checkOptions(options);
  const encoder = new TextEncoder();
  const args = (options.args ?? [program]).map((a) => encoder.encode(`${a}\0`));
  const environ = Object.entries(options.env ?? {}).map(([name, value]) => encoder.encode(`${name}=${value}\0`));
  const sinks = { 1: options.stdout ?? ((line) => console.log(line)), 2: options.stderr ?? ((line) => console.error(line)) };
  const decoders = { 1: new TextDecoder(), 2: new TextDecoder() };
  const pending = { 1: '', 2: '' };
  const started = performance.now();
  const view = () => new DataView(memory().buffer);
  const isStdio = (fd) => fd >= 0 && fd <= 2;

  function flush() {
    for (const fd of [1, 2]) {
      const rest = pending[fd] + decoders[fd].decode();
      pending[fd] = '';
      if (rest !== '') sinks[fd](rest);
    }
  }
  // argv / environ: `count` pointers at `pointers`, the NUL-terminated strings at `buffer`.
  function putStrings(strings, pointers, buffer) {
    const dv = view();
    const bytes = new Uint8Array(memory().buffer);
    strings.forEach((s, i) => {
      dv.setUint32(pointers + i * 4, buffer, true);
      bytes.set(s, buffer);
      buffer += s.length;
    });
    return WASI_ESUCCESS;
  }
  function putSizes(strings, countPointer, sizePointer) {
    view().setUint32(countPointer, strings.length, true);
    view().setUint32(sizePointer, strings.reduce((n, s) => n + s.length, 0), true);
    return WASI_ESUCCESS;
  }
  // Nanoseconds of clock `id` (a BigInt), or undefined for a clock WASI does not define.
  function now(id) {
    switch (id) {
      case 0: return BigInt(Date.now()) * 1000000n;
      case 1: return BigInt(Math.round(performance.now() * 1e6));
      case 2: case 3: return BigInt(Math.round((performance.now() - started) * 1e6));
      default: return undefined;
    }
  }
  const notSeekable = (fd) => (isStdio(fd) ? WASI_ESPIPE : WASI_EBADF);

  const functions = {
    args_sizes_get: (countPointer, sizePointer) => putSizes(args, countPointer, sizePointer),
    args_get: (pointers, buffer) => putStrings(args, pointers, buffer),
    environ_sizes_get: (countPointer, sizePointer) => putSizes(environ, countPointer, sizePointer),
    environ_get: (pointers, buffer) => putStrings(environ, pointers, buffer),
    clock_res_get(id, resolutionPointer) {
      const resolution = [1000000n, 1000n, 1000n, 1000n][id];
      if (resolution === undefined) return WASI_EINVAL;
      view().setBigUint64(resolutionPointer, resolution, true);
      return WASI_ESUCCESS;
    },
    clock_time_get(id, precision, timePointer) {
      const nanoseconds = now(id);
      if (nanoseconds === undefined) return WASI_EINVAL;
      view().setBigUint64(timePointer, nanoseconds, true);
      return WASI_ESUCCESS;
    },
    random_get(pointer, length) {
      // getRandomValues fills at most 65536 bytes a call (Web Crypto API).
      for (let offset = 0; offset < length; offset += 65536) {
        crypto.getRandomValues(new Uint8Array(memory().buffer, pointer + offset, Math.min(65536, length - offset)));
      }
      return WASI_ESUCCESS;
    },
    fd_write(fd, iovs, iovsLength, writtenPointer) {
      if (fd !== 1 && fd !== 2) return WASI_EBADF;
      const dv = view();
      let written = 0;
      let text = '';
      for (let i = 0; i < iovsLength; i++) {
        const pointer = dv.getUint32(iovs + i * 8, true);
        const length = dv.getUint32(iovs + i * 8 + 4, true);
        text += decoders[fd].decode(new Uint8Array(memory().buffer, pointer, length), { stream: true });
        written += length;
      }
      const lines = (pending[fd] + text).split('\n');
      pending[fd] = lines.pop();
      for (const line of lines) sinks[fd](line);
      dv.setUint32(writtenPointer, written, true);
      return WASI_ESUCCESS;
    },
    fd_read(fd, iovs, iovsLength, readPointer) {
      if (fd !== 0) return WASI_EBADF;
      view().setUint32(readPointer, 0, true);  // stdin is at its end
      return WASI_ESUCCESS;
    },
    fd_fdstat_get(fd, statPointer) {
      if (!isStdio(fd)) return WASI_EBADF;
      new Uint8Array(memory().buffer, statPointer, 24).fill(0);
      const dv = view();
      dv.setUint8(statPointer, WASI_FILETYPE_CHARACTER_DEVICE);
      dv.setBigUint64(statPointer + 8, fd === 0 ? WASI_RIGHTS_FD_READ : WASI_RIGHTS_FD_WRITE, true);
      return WASI_ESUCCESS;
    },
    fd_filestat_get(fd, statPointer) {
      if (!isStdio(fd)) return WASI_EBADF;
      new Uint8Array(memory().buffer, statPointer, 64).fill(0);
      view().setUint8(statPointer + 16, WASI_FILETYPE_CHARACTER_DEVICE);
      return WASI_ESUCCESS;
    },
    fd_prestat_get: () => WASI_EBADF,  // no preopened directories
    fd_prestat_dir_name: () => WASI_EBADF,
    fd_close: (fd) => (isStdio(fd) ? WASI_ESUCCESS : WASI_EBADF),
    fd_seek: notSeekable,
    fd_tell: notSeekable,
    fd_pread: notSeekable,
    fd_pwrite: notSeekable,
    fd_advise: notSeekable,
    fd_allocate: notSeekable,
    fd_readdir: (fd) => (isStdio(fd) ? WASI_ENOTDIR : WASI_EBADF),
    sched_yield: () => WASI_ESUCCESS,
    proc_exit(code) {
      flush();
      throw new WasiExit(code);
    },
  };
  // The other functions: those of a descriptor answer for the descriptors
  // there are (EBADF for any but 0-2), everything else ENOSYS.
  function fallback(name) {
    if (name.startsWith('path_')) return (fd) => (isStdio(fd) ? WASI_ENOTDIR : WASI_EBADF);
    if (name.startsWith('sock_')) return (fd) => (isStdio(fd) ? WASI_ENOTSOCK : WASI_EBADF);
    if (name.startsWith('fd_')) return (fd) => (isStdio(fd) ? WASI_ENOSYS : WASI_EBADF);
    return () => WASI_ENOSYS;
  }
  return { functions, fallback, flush };
}

/**
 * The `wasi_snapshot_preview1` import object: the caller's functions
 * (`overrides`) where given, else the defaults of wasiImports().
 */
function wasiModule(wasi, overrides = {}) {
  if (typeof overrides !== 'object' || overrides === null) {
    throw new TypeError('buildbudget-loader: imports.wasi_snapshot_preview1 must be an object of functions');
  }
  return new Proxy({}, {
    get: (target, name) => {
      if (typeof name !== 'string') return undefined;
      if (name in overrides) return overrides[name];
      return name in wasi.functions ? wasi.functions[name] : wasi.fallback(name);
    },
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
 * `imports` and `options` of the first call are used: imports over the WASI
 * defaults (function by function for `wasi_snapshot_preview1`); options
 * `args` (argv, default [the module's file name]), `env` (an object of
 * environment variables, default none), `stdout` and `stderr` (functions
 * that take each line written, default console.log and console.error).
 * A command module's `_start` export passes on the output's last line when
 * it returns or throws.
 */
export function createLoader(url) {
  let loaded;
  return function load(imports = {}, options = {}) {
    if (!loaded) {
      let memory;
      const program = decodeURIComponent(url.pathname.split('/').pop());
      const wasi = wasiImports(() => memory, options, program);
      const all = { ...imports, wasi_snapshot_preview1: wasiModule(wasi, imports.wasi_snapshot_preview1) };
      loaded = instantiate(url, all).then(({ instance }) => {
        memory = instance.exports.memory;
        if (typeof instance.exports._initialize === 'function') instance.exports._initialize();
        if (typeof instance.exports._start !== 'function') return instance.exports;
        const start = instance.exports._start;
        const exports = Object.assign(Object.create(null), instance.exports, {
          _start() {
            try {
              return start();
            } finally {
              wasi.flush();
            }
          },
        });
        return Object.freeze(exports);
      });
    }
    return loaded;
  };
}
