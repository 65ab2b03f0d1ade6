// wasi-run.mjs: runs a WebAssembly WASI (preview1) module under Node.js 20's
// node:wasi and records its final linear memory size, which
// wrt_memory_budget_add_test() holds to the component's budget as the
// module's peak (doc/memory-budget.md, "Budget checks"; doc/design.md,
// "Budget checks").
//
// Usage:
//
//   node --no-warnings wasi-run.mjs [--report <file.json>] [--dir <host-dir>]... [--] <module.wasm> [args...]
//
//   --report <file.json>  after the module has run (returned from _start, called
//                         proc_exit, or trapped), write one JSON object:
//                           {"schema":"buildbudget-wasm-run/1","module":"<module.wasm as given>",
//                            "exit_code":N,"memory_bytes":N|null,"initial_memory_bytes":N|null}
//                         memory_bytes is the byte length of the exported `memory`
//                         when the module has finished (linear memory only grows, so
//                         this is its peak); initial_memory_bytes the length right
//                         after instantiation; both null when the module exports no
//                         memory. exit_code is the WASI exit code (u32), 134 after a
//                         trap. Written to <file.json>.tmp.<pid> and renamed.
//   --dir <host-dir>      also preopen <host-dir> under the same name (repeatable;
//                         it must be an existing directory). The current directory
//                         is always preopened as ".".
//   --opt=value           is accepted for both options.
//   --                    ends the runner's options.
//
// Everything from <module.wasm> on belongs to the module: WASI argv is
// [<module.wasm>, args...], the environment is the runner's, stdin, stdout and
// stderr are the runner's file descriptors 0, 1 and 2, and the runner exits
// with the module's exit code (as a native program would: proc_exit(N) gives
// N & 255). So the runner can serve as CMAKE_CROSSCOMPILING_EMULATOR for
// wasm32-wasi programs.
//
// A command module (exports _start, not _initialize) is run with
// wasi.start(); a reactor (no _start) with wasi.initialize(), which runs its
// _initialize if there is one (exit code 0 unless it calls proc_exit).
//
// Errors are one line on stderr, `wasi-run: <module>: <message>`, with the
// engine's own message:
//   127  the module file cannot be found
//   126  it cannot be read, compiled or instantiated (e.g. a missing import),
//        or has both _start and _initialize
//   134  it trapped (like a native abort()); the report is still written
//   2    bad runner arguments (unknown option, missing value, --dir that is
//        not a directory)
//   1    the report cannot be written
// The "--no-warnings" flag only silences Node's experimental-feature warning
// for WASI; the runner also drops that one warning itself.

import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';

const USAGE =
  'usage: node --no-warnings wasi-run.mjs [--report <file.json>] [--dir <host-dir>]... [--] <module.wasm> [args...]';

/** Writes one line to stderr synchronously (nothing is lost by process.exit). */
function say(line) {
  writeSync(2, `${line.replace(/\s*\n\s*/g, ' ')}\n`);
}

/** Prints `wasi-run: <subject>: <message>` and exits with `code`. */
function fail(subject, message, code) {
  say(`wasi-run: ${subject}: ${message}`);
  process.exit(code);
}

/** Prints `wasi-run: <problem>; <usage>` and exits with 2. */
function usageError(problem) {
  say(`wasi-run: ${problem}; ${USAGE}`);
  process.exit(2);
}

/** The engine's message for a thrown value: "CompileError: ..." for errors. */
function describe(error) {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Parses the runner's own options. Returns { report, dirs, module, args }.
 * Options are only recognised before the module path.
 */
function parseArguments(argv) {
  const options = { report: null, dirs: [], module: null, args: [] };
  let i = 0;
  const value = (name, inline) => {
    if (inline !== undefined) return inline;
    if (i + 1 >= argv.length) {
      usageError(`${name} needs a value`);
    }
    i += 1;
    return argv[i];
  };
  for (; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--') {
      i += 1;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (name === '--report') {
      options.report = value(name, inline);
    } else if (name === '--dir') {
      options.dirs.push(value(name, inline));
    } else if (name === '--help' || name === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else {
      usageError(`unknown option ${arg}`);
    }
  }
  if (i >= argv.length) {
    usageError('no module given');
  }
  options.module = argv[i];
  options.args = argv.slice(i + 1);
  return options;
}

/** Loads node:wasi without its one-time "WASI is an experimental feature" warning. */
async function loadWasi() {
  const original = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning && warning.name === 'ExperimentalWarning' && /WASI/.test(String(warning.message))) return;
    for (const listener of original) listener(warning);
  });
  return (await import('node:wasi')).WASI;
}

/** Writes the run report atomically (temporary file, then rename). */
function writeReport(path, report) {
  const temp = `${path}.tmp.${process.pid}`;
  try {
    writeFileSync(temp, `${JSON.stringify(report)}\n`);
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // nothing to clean up
    }
    fail(path, `cannot write report: ${error.message}`, 1);
  }
}

const options = parseArguments(process.argv.slice(2));
const WASI = await loadWasi();

let bytes;
try {
  bytes = readFileSync(options.module);
} catch (error) {
  fail(options.module, error.message, error.code === 'ENOENT' ? 127 : 126);
}

const preopens = { '.': process.cwd() };
for (const dir of options.dirs) {
  try {
    if (!statSync(dir).isDirectory()) fail(`--dir ${dir}`, 'not a directory', 2);
  } catch (error) {
    fail(`--dir ${dir}`, error.message, 2);
  }
  preopens[dir] = dir;
}

let wasi;
try {
  wasi = new WASI({
    version: 'preview1',
    args: [options.module, ...options.args],
    env: process.env,
    preopens,
    returnOnExit: true,
  });
} catch (error) {
  fail(options.module, `cannot set up WASI: ${describe(error)}`, 126);
}

// proc_exit is routed through our own sentinel so that an exit from a
// reactor's _initialize (which node:wasi does not catch) and from _start are
// handled the same way.
const EXIT = Symbol('wasi-run proc_exit');
let exitCode = 0;
const importObject = wasi.getImportObject();
const wasiImport = { ...importObject.wasi_snapshot_preview1 };
wasiImport.proc_exit = (code) => {
  exitCode = code >>> 0; // WASI exitcode is u32
  throw EXIT;
};
importObject.wasi_snapshot_preview1 = wasiImport;

let instance;
try {
  const module = await WebAssembly.compile(bytes);
  instance = await WebAssembly.instantiate(module, importObject);
} catch (error) {
  fail(options.module, describe(error), 126);
}

const exports = instance.exports;
const memory = exports.memory instanceof WebAssembly.Memory ? exports.memory : null;
const initialMemoryBytes = memory ? memory.buffer.byteLength : null;
const isCommand = typeof exports._start === 'function';
if (isCommand && exports._initialize !== undefined) {
  fail(options.module, 'the module exports both _start and _initialize', 126);
}

// node:wasi requires an exported memory; a module without one cannot pass
// pointers to WASI anyway, so it gets a placeholder.
const target = memory ? instance : { exports: { ...exports, memory: new WebAssembly.Memory({ initial: 0 }) } };

let trap = null;
try {
  if (isCommand) {
    const code = wasi.start(target);
    if (typeof code === 'number') exitCode = code >>> 0;
  } else {
    wasi.initialize(target);
  }
} catch (error) {
  if (error !== EXIT) {
    trap = error;
    exitCode = 134;
  }
}

if (options.report !== null) {
  writeReport(options.report, {
    schema: 'buildbudget-wasm-run/1',
    module: options.module,
    exit_code: exitCode,
    memory_bytes: memory ? memory.buffer.byteLength : null,
    initial_memory_bytes: initialMemoryBytes,
  });
}
if (trap !== null) fail(options.module, describe(trap), 134);
process.exit(exitCode & 0xff);
