"""`buildbudget wasm dts` (doc/helper-wasm-dts.md, "buildbudget wasm dts"): TypeScript declarations
for WebAssembly modules, checked by the real TypeScript compiler and by running the modules in Node.js.

Modules are built here: a text-format module with every kind of export and import (wat2wasm
--enable-all), a C module (clang, wasm32-wasi reactor) and a Rust cdylib (Debian's rustc,
wasm32-unknown-unknown). For each one:
  * wabt's wasm-objdump gives the function signatures, globals, memories, tables and tags; the types
    TypeScript must see for them follow the WebAssembly JS API (ToJSValue / ToWebAssemblyValue: i32,
    f32, f64 number; i64 bigint; funcref Function | null; externref unknown; v128 never crosses), written
    out below independently of the helper. A generated .ts file asserts with tsc that each declared
    member has exactly that type, and that the interfaces have exactly the module's exports and imports;
  * a hand-written consumer uses every export with the right types, with `// @ts-expect-error` on wrong
    uses (tsc also fails on an expect-error line that is not an error), and a deliberately wrong consumer
    must make tsc fail;
  * Node.js instantiates the module and checks that the values really have those types (typeof of each
    result, arrays for multi-value, TypeError for v128, host functions receiving BigInts for i64), so the
    declarations are true and not only well-formed.
Plus the command line: --output (unchanged file keeps its mtime), --name, exit codes and errors."""
import json
import os
import re
import shutil
import subprocess
import unittest

from support import TestCase, fresh_dir, helper, run

TSC = "tsc"
RUSTC = "/usr/bin/rustc"  # Debian's, whose sysroot has wasm32-unknown-unknown (rustup's on PATH may not)
TSC_FLAGS = ["--strict", "--noEmit", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext"]

# Every kind of export and import, and the names that need quoting. One memory only: Node.js 20
# has no multi-memory.
KITCHEN_WAT = r"""
(module
  (import "env" "log" (func $log (param $value i32)))
  (import "env" "twice" (func $twice (param i64) (result i64)))
  (import "env" "pair" (func $pair (result i32 i64)))
  (import "env" "mem" (memory 1 16))
  (import "env" "g_const" (global $gc i64))
  (import "env" "g_mut" (global $gm (mut f64)))
  (import "env" "g_num" (global $gn i32))
  (import "js" "tbl" (table 1 funcref))
  (import "js" "ext" (global externref))
  (import "js" "tag_in" (tag $tin (param i32)))
  (tag $t (param i32 i64))
  (table $ft 1 funcref)
  (elem (table $ft) (i32.const 0) func $one)
  (table (export "externs") 2 externref)
  (global (export "counter") (mut i32) (i32.const 7))
  (global (export "big_const") i64 (i64.const 42))
  (global (export "ratio") (mut f32) (f32.const 0.5))
  (global (export "vec") v128 (v128.const i32x4 1 2 3 4))
  (export "memory" (memory 0))
  (export "g_again" (global $gc))
  (export "table" (table 0))
  (export "tag" (tag $t))
  (export "tag_again" (tag $tin))
  (export "log_again" (func $log))
  (func (export "add") (param $a i32) (param $b i32) (result i32) (i32.add (local.get $a) (local.get $b)))
  (func (export "mul64") (param $this i64) (param $class i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
  (func (export "fadd") (param f32 f64) (result f64) (f64.add (f64.promote_f32 (local.get 0)) (local.get 1)))
  (func (export "multi") (param i32 i64) (result i32 i64) (local.get 0) (local.get 1))
  (func (export "three") (result f64 i64 i32) (f64.const 1.5) (i64.const -1) (i32.const 3))
  (func (export "nothing"))
  (func (export "call_host") (param i32) (result i64) (local i64)
    (call $log (local.get 0))
    (call $pair) (local.set 1) (drop)
    (i64.add (call $twice (i64.extend_i32_s (local.get 0))) (local.get 1)))
  (func (export "simd") (param v128) (result i32) (i32x4.extract_lane 0 (local.get 0)))
  (func (export "simd_result") (result v128) (v128.const i32x4 0 0 0 0))
  (func (export "refs") (param funcref externref) (result externref) (local.get 1))
  (func (export "fref") (param i32) (result funcref) (table.get $ft (local.get 0)))
  (func $one (export "my-func") (result i32) (i32.const 1))
  (func (export "class") (result i32) (i32.const 2))
  (func (export "delete") (result i32) (i32.const 3))
  (func (export "constructor") (result i32) (i32.const 4))
  (func (export "toString") (result i32) (i32.const 5))
  (func (export "h\u{e9}llo w\u{f6}rld") (result i32) (i32.const 6))
  (func (export "*/ evil\"quote") (result i32) (i32.const 7))
)
"""

KITCHEN_CONSUMER = r"""
import type { KitchenSinkExports, KitchenSinkImports } from "./kitchen-sink.js";

declare const e: KitchenSinkExports;
const sum: number = e.add(1, 2);
const product: bigint = e.mul64(3n, 4n);
const f: number = e.fadd(1.5, 2);
const pair: [number, bigint] = e.multi(1, 2n);
const three: [number, bigint, number] = e.three();
const nothing: void = e.nothing();
const viaHost: bigint = e.call_host(5);
const ext: unknown = e.refs(null, { any: "value" });
const fn: Function | null = e.fref(0);
const names: number = e["my-func"]() + e.class() + e.delete() + e["constructor"]() + e.toString() +
  e["h\u00e9llo w\u00f6rld"]() + e["*/ evil\"quote"]();
e.log_again(1);
const memory: WebAssembly.Memory = e.memory;
const bytes: ArrayBuffer = e.memory.buffer;
const table: WebAssembly.Table = e.table;
const externs: WebAssembly.Table = e.externs;
const counter: number = e.counter.value;
e.counter.value = 8;
const big: bigint = e.big_const.value;
const again: bigint = e.g_again.value;
const ratio: number = e.ratio.value;
const tag: object = e.tag;
const tagAgain: object = e.tag_again;

// @ts-expect-error a number where an i64 needs a bigint
e.mul64(3, 4n);
// @ts-expect-error an i64 result is a bigint, not a number
const notNumber: number = e.mul64(3n, 4n);
// @ts-expect-error an i32 parameter is not a bigint
e.add(1n, 2);
// @ts-expect-error a v128 function cannot be called
e.simd();
// @ts-expect-error not even with an argument
e.simd(0);
// @ts-expect-error a v128 result cannot be called for either
e.simd_result();
// @ts-expect-error a function without results returns void
const voidResult: number = e.nothing();
// @ts-expect-error multi-value results are a tuple
const notTuple: number = e.multi(1, 2n);
// @ts-expect-error in order
const wrongOrder: [bigint, number] = e.multi(1, 2n);
// @ts-expect-error too few arguments
e.add(1);
// @ts-expect-error the exports object is frozen
e.add = e.add;
// @ts-expect-error an i64 global's value is a bigint
const bigNumber: number = e.big_const.value;
// @ts-expect-error no such export
e.missing();

const imports: KitchenSinkImports = {
  env: {
    log: (value: number) => {},
    twice: (v: bigint) => v * 2n,
    pair: () => [1, 2n],
    mem: new WebAssembly.Memory({ initial: 1, maximum: 16 }),
    g_const: 5n,
    g_mut: new WebAssembly.Global({ value: "f64", mutable: true }, 1.5),
    g_num: 3,
  },
  js: {
    tbl: new WebAssembly.Table({ element: "anyfunc", initial: 1 }),
    ext: "any value",
    tag_in: {},
  },
};
const globalInstead: KitchenSinkImports["env"]["g_const"] = new WebAssembly.Global({ value: "i64" }, 5n);
// @ts-expect-error an i64 global import takes a bigint, not a number
const g64: KitchenSinkImports["env"]["g_const"] = 5;
// @ts-expect-error a mutable global import must be a WebAssembly.Global
const gMut: KitchenSinkImports["env"]["g_mut"] = 1.5;
// @ts-expect-error a host function for an i64 parameter receives a bigint
const twice: KitchenSinkImports["env"]["twice"] = (v: number) => 2n;
// @ts-expect-error multi-value host results are a tuple
const pairHost: KitchenSinkImports["env"]["pair"] = () => 1;
// @ts-expect-error imports need every module
const partial: KitchenSinkImports = { env: imports.env };
"""

KITCHEN_WRONG = r"""
import type { KitchenSinkExports } from "./kitchen-sink.js";
declare const e: KitchenSinkExports;
e.simd(0);
const n: number = e.mul64(1n, 2n);
"""

C_SOURCE = r"""
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
__attribute__((import_module("host"), import_name("report"))) void report(int64_t value, double ratio);
__attribute__((export_name("mul64"))) int64_t mul64(int64_t a, int64_t b) { return a * b; }
__attribute__((export_name("scale"))) double scale(float x, double f) { return x * f; }
__attribute__((export_name("clock_is_set"))) int clock_is_set(void) { return time(NULL) != (time_t)-1; }
__attribute__((export_name("buffer"))) void* buffer(int n) { return malloc((size_t)n); }
__attribute__((export_name("run"))) int run(int n) { report((int64_t)n * 1000000000000LL, n * 0.5); return n + 1; }
"""

C_CONSUMER = r"""
import type { CModuleExports, CModuleImports } from "./c-module.js";

declare const e: CModuleExports;
e._initialize();
const big: bigint = e.mul64(6n, 7n);
const scaled: number = e.scale(1.5, 2);
const set: number = e.clock_is_set();
const pointer: number = e.buffer(16);
const next: number = e.run(3);
const view = new Uint8Array(e.memory.buffer, pointer, 16);

// @ts-expect-error int64_t is a bigint
e.mul64(6, 7);
// @ts-expect-error a pointer is a number
const p: bigint = e.buffer(16);
// @ts-expect-error _initialize returns nothing
const init: number = e._initialize();

const imports: CModuleImports = {
  host: { report: (value: bigint, ratio: number) => {} },
  wasi_snapshot_preview1: { clock_time_get: (id: number, precision: bigint, out: number) => 0 },
};
// The common case: an import object TypeScript's WebAssembly.instantiate accepts as it is.
const instantiated: Promise<WebAssembly.WebAssemblyInstantiatedSource> =
  WebAssembly.instantiate(new Uint8Array(0), { ...imports });
// @ts-expect-error report's int64_t arrives as a bigint
const report: CModuleImports["host"]["report"] = (value: number, ratio: number) => {};
// @ts-expect-error every import is needed
const missing: CModuleImports = { host: imports.host };
"""

C_WRONG = r"""
import type { CModuleExports } from "./c-module.js";
declare const e: CModuleExports;
e.mul64(6, 7);
"""

RUST_SOURCE = r"""
#[no_mangle]
pub extern "C" fn mul64(a: u64, b: u64) -> u64 { a.wrapping_mul(b) }

#[no_mangle]
pub extern "C" fn halve(x: f64) -> f64 { x / 2.0 }
"""

RUST_CONSUMER = r"""
import type { RustU64Exports, RustU64Imports } from "./rust_u64.js";

declare const e: RustU64Exports;
const product: bigint = e.mul64(1n << 62n, 2n);
const half: number = e.halve(3);
const pages: number = e.memory.buffer.byteLength / 65536;
const heap: number = e.__heap_base.value;
const none: RustU64Imports = {};

// @ts-expect-error u64 is a bigint
e.mul64(1, 2);
// @ts-expect-error and comes back as one
const n: number = e.mul64(1n, 2n);
// @ts-expect-error __heap_base is an immutable i32 global: a number
const h: bigint = e.__heap_base.value;
"""

RUST_WRONG = r"""
import type { RustU64Exports } from "./rust_u64.js";
declare const e: RustU64Exports;
const n: number = e.mul64(1n, 2n);
"""

# WebAssembly JS API (https://webassembly.github.io/spec/js-api/), ToJSValue / ToWebAssemblyValue.
JS_TYPE = {"i32": "number", "f32": "number", "f64": "number", "i64": "bigint", "funcref": "Function | null",
           "externref": "unknown"}
# TypeScript's lib.dom.d.ts WebAssembly.ValueTypeMap keys (the JS API's ValueType enum).
GLOBAL_KEY = {"i32": "i32", "i64": "i64", "f32": "f32", "f64": "f64", "v128": "v128", "funcref": "anyfunc",
              "externref": "externref"}

# The type-equality test of TypeScript's own test suite: true only for identical types.
EQUALS = """
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
declare function same<A, B>(ok: Equals<A, B>): void;
"""

# Runs a module in Node.js and reports the JavaScript type of everything that crosses the boundary.
RUNTIME_CHECK = r"""
import { readFileSync } from "node:fs";
const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const mod = new WebAssembly.Module(readFileSync(spec.file));
const jsType = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
const sample = { i32: 0, f32: 0, f64: 0, i64: 0n, funcref: null, externref: "x" };
const key = (t) => (t === "funcref" ? "anyfunc" : t);
const attempt = (f) => {
  try { return { value: f() }; } catch (e) { return { error: e.constructor.name }; }
};
const hostCalls = {};
const importObject = {};
for (const imp of spec.imports) {
  const o = (importObject[imp.module] ??= {});
  if (imp.kind === "func") {
    const results = imp.results.map((t) => sample[t]);
    o[imp.field] = (...args) => {
      hostCalls[`${imp.module}.${imp.field}`] = args.map(jsType);
      return results.length === 0 ? undefined : results.length === 1 ? results[0] : results;
    };
  } else if (imp.kind === "memory") {
    o[imp.field] = new WebAssembly.Memory({ initial: imp.initial, maximum: imp.maximum ?? undefined });
  } else if (imp.kind === "table") {
    o[imp.field] = new WebAssembly.Table({ element: key(imp.type), initial: imp.initial });
  } else if (imp.kind === "global") {
    o[imp.field] = new WebAssembly.Global({ value: key(imp.type), mutable: imp.mutable }, sample[imp.type]);
  } else if (imp.kind === "tag") {
    o[imp.field] = new WebAssembly.Tag({ parameters: imp.params });
  }
}
const exports = new WebAssembly.Instance(mod, importObject).exports;
const out = {
  engineExports: WebAssembly.Module.exports(mod),
  engineImports: WebAssembly.Module.imports(mod),
  prototype: Object.getPrototypeOf(exports),
  frozen: Object.isFrozen(exports),
  exports: {},
};
for (const exp of spec.exports) {
  const v = exports[exp.name];
  const r = { kind: jsType(v) };
  if (exp.kind === "func") {
    const call = attempt(() => v(...exp.params.map((t) => sample[t])));
    r.result = call.error ?? jsType(call.value);
    if (Array.isArray(call.value)) r.elements = call.value.map(jsType);
    if (exp.params.includes("i64")) {
      // The same call with Numbers where the i64s go: ToBigInt64 throws.
      r.numberForI64 = attempt(() => v(...exp.params.map((t) => (t === "i64" ? 0 : sample[t])))).error ?? "no error";
    }
  } else if (exp.kind === "global") {
    r.isGlobal = v instanceof WebAssembly.Global;
    const read = attempt(() => v.value);
    r.value = read.error ?? jsType(read.value);
  } else if (exp.kind === "memory") {
    r.isMemory = v instanceof WebAssembly.Memory;
  } else if (exp.kind === "table") {
    r.isTable = v instanceof WebAssembly.Table;
  } else if (exp.kind === "tag") {
    r.isTag = v instanceof WebAssembly.Tag;
  }
  out.exports[exp.name] = r;
}
out.hostCalls = hostCalls;
console.log(JSON.stringify(out));
"""


def parse_objdump(path):
    """The module as wabt's `wasm-objdump -x` sees it: types, and every import and export with its
    type ({kind, params, results} for functions and tags, {type, mutable} for globals, limits for
    memories and tables)."""
    proc = run(["wasm-objdump", "-x", path])
    if proc.returncode != 0:
        raise AssertionError(f"wasm-objdump -x {path} failed:\n{proc.stderr}")
    types, funcs, globals_, memories, tables, tags = {}, {}, {}, {}, {}, {}
    imports, exports = [], []
    section = None

    def split_types(text):
        text = text.strip()
        if text == "nil":
            return []
        return [t.strip() for t in text.strip("()").split(",") if t.strip()]

    def describe(kind, index_text, rest):
        index = int(index_text)
        if kind == "func":
            sig = int(re.search(r"sig=(\d+)", rest).group(1))
            params, results = types[sig]
            funcs[index] = {"kind": "func", "params": params, "results": results}
        elif kind == "tag":
            sig = int(re.search(r"sig=(\d+)", rest).group(1))
            tags[index] = {"kind": "tag", "params": types[sig][0]}
        elif kind == "global":
            m = re.match(r"(\w+) mutable=(\d)", rest)
            globals_[index] = {"kind": "global", "type": m.group(1), "mutable": m.group(2) == "1"}
        elif kind == "memory":
            initial = int(re.search(r"initial=(\d+)", rest).group(1))
            maximum = re.search(r"max=(\d+)", rest)
            memories[index] = {"kind": "memory", "initial": initial, "maximum": int(maximum.group(1)) if maximum else None}
        elif kind == "table":
            m = re.search(r"type=(\w+) initial=(\d+)", rest)
            tables[index] = {"kind": "table", "type": m.group(1), "initial": int(m.group(2))}
        return {"func": funcs, "tag": tags, "global": globals_, "memory": memories, "table": tables}[kind][index]

    for line in proc.stdout.splitlines():
        header = re.match(r"^(\w+)(\[\d+\])?:$", line)
        if header:
            section = header.group(1)
            continue
        if not line.startswith(" - "):
            continue
        body = line[3:]
        if section == "Type":
            m = re.match(r"type\[(\d+)\] \((.*)\) -> (.*)$", body)
            types[int(m.group(1))] = (split_types(m.group(2)), split_types(m.group(3)))
        elif section == "Import":
            m = re.match(r"(func|memory|table|global|tag)\[(\d+)\] (.*) <- ([^.]+)\.(.*)$", body)
            entry = dict(describe(m.group(1), m.group(2), m.group(3)))
            entry.update(module=m.group(4), field=m.group(5))
            imports.append(entry)
        elif section in ("Function", "Global", "Memory", "Table", "Tag"):
            m = re.match(r"(func|memory|table|global|tag)\[(\d+)\] (.*)$", body)
            describe(m.group(1), m.group(2), m.group(3))
        elif section == "Export":
            m = re.match(r'(func|memory|table|global|tag)\[(\d+)\] .*-> "(.*)"$', body)
            kind, index = m.group(1), int(m.group(2))
            entry = dict({"func": funcs, "tag": tags, "global": globals_, "memory": memories, "table": tables}[kind][index])
            entry["name"] = m.group(3)
            exports.append(entry)
    return {"imports": imports, "exports": exports}


def ts_string(text):
    """A TypeScript string literal for `text` (JSON's escapes are JavaScript's)."""
    return json.dumps(text)


def ts_results(results):
    if not results:
        return "void"
    if len(results) == 1:
        return JS_TYPE[results[0]]
    return "[" + ", ".join(JS_TYPE[t] for t in results) + "]"


def union(names):
    return " | ".join(ts_string(n) for n in names) if names else "never"


def type_assertions(info, exports_type, imports_type):
    """TypeScript statements asserting that the declared types are the JS API's for this module."""
    lines = [f"same<keyof {exports_type}, {union([e['name'] for e in info['exports']])}>(true);"]
    for e in info["exports"]:
        member = f"{exports_type}[{ts_string(e['name'])}]"
        if e["kind"] == "func":
            if "v128" in e["params"] + e["results"]:
                # Calling it throws a TypeError (JS API): a function nothing can be passed to.
                lines.append(f"same<{member}, (...args: never) => never>(true);")
            else:
                params = ", ".join(JS_TYPE[t] for t in e["params"])
                lines.append(f"same<Parameters<{member}>, [{params}]>(true);")
                lines.append(f"same<ReturnType<{member}>, {ts_results(e['results'])}>(true);")
        elif e["kind"] == "global":
            lines.append(f"same<{member}, WebAssembly.Global<{ts_string(GLOBAL_KEY[e['type']])}>>(true);")
        elif e["kind"] == "memory":
            lines.append(f"same<{member}, WebAssembly.Memory>(true);")
        elif e["kind"] == "table":
            lines.append(f"same<{member}, WebAssembly.Table>(true);")
        elif e["kind"] == "tag":
            lines.append(f"same<{member}, object>(true);  // TypeScript 5.9's lib has no WebAssembly.Tag")
    modules = []
    for i in info["imports"]:
        if i["module"] not in modules:
            modules.append(i["module"])
    lines.append(f"same<keyof {imports_type}, {union(modules)}>(true);")
    for module in modules:
        fields = []
        for i in info["imports"]:
            if i["module"] == module and i["field"] not in fields:
                fields.append(i["field"])
        lines.append(f"same<keyof {imports_type}[{ts_string(module)}], {union(fields)}>(true);")
    for i in info["imports"]:
        if sum(1 for j in info["imports"] if (j["module"], j["field"]) == (i["module"], i["field"])) > 1:
            continue  # imported twice: an intersection, checked by the consumer
        member = f"{imports_type}[{ts_string(i['module'])}][{ts_string(i['field'])}]"
        if i["kind"] == "func":
            params = ", ".join(JS_TYPE[t] for t in i["params"])
            lines.append(f"same<Parameters<{member}>, [{params}]>(true);")
            lines.append(f"same<ReturnType<{member}>, {ts_results(i['results'])}>(true);")
        elif i["kind"] == "global":
            # JS API "read the imports": a WebAssembly.Global always; for an immutable global also a
            # plain value: a BigInt for i64, a Number for i32/f32/f64, anything for externref, null or
            # an exported function for funcref, never a v128.
            gtype = f"WebAssembly.Global<{ts_string(GLOBAL_KEY[i['type']])}>"
            if not i["mutable"] and i["type"] == "externref":
                gtype = "unknown"
            elif not i["mutable"] and i["type"] != "v128":
                gtype += " | " + JS_TYPE[i["type"]]
            lines.append(f"same<{member}, {gtype}>(true);")
        elif i["kind"] == "memory":
            lines.append(f"same<{member}, WebAssembly.Memory>(true);")
        elif i["kind"] == "table":
            lines.append(f"same<{member}, WebAssembly.Table>(true);")
        elif i["kind"] == "tag":
            lines.append(f"same<{member}, object>(true);")
    return "\n".join(lines) + "\n"


# What typeof gives for a value of each TypeScript type that can come back.
RUNTIME_TYPE = {"number": "number", "bigint": "bigint"}


class WasmDts(TestCase):
    @classmethod
    def setUpClass(cls):
        missing = [t for t in ("wat2wasm", "wasm-objdump", "clang", "node", TSC) if shutil.which(t) is None]
        if not os.access(RUSTC, os.X_OK):
            missing.append(RUSTC)
        if missing:
            raise AssertionError(f"tools missing (the quick start installs them): {', '.join(missing)}")
        cls.dir = fresh_dir("wasm-dts")
        # Consumers are ES modules, like the .mjs that runs the modules.
        (cls.dir / "package.json").write_text('{"type": "module"}\n')
        cls.tsc_version = run([TSC, "--version"]).stdout.strip()

        (cls.dir / "kitchen-sink.wat").write_text(KITCHEN_WAT)
        cls.tool(["wat2wasm", "--enable-all", "--debug-names", "kitchen-sink.wat", "-o", "kitchen-sink.wasm"])
        (cls.dir / "c-module.c").write_text(C_SOURCE)
        cls.tool(["clang", "--target=wasm32-wasi", "-O2", "-mexec-model=reactor", "c-module.c", "-o", "c-module.wasm"])
        (cls.dir / "rust_u64.rs").write_text(RUST_SOURCE)
        cls.tool([RUSTC, "--target", "wasm32-unknown-unknown", "--crate-type", "cdylib", "-O", "rust_u64.rs",
                  "-o", "rust_u64.wasm"])
        (cls.dir / "check.mjs").write_text(RUNTIME_CHECK)

    @classmethod
    def tool(cls, cmd):
        proc = subprocess.run(cmd, cwd=cls.dir, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")

    def path(self, name):
        return self.dir / name

    def generate(self, module, *args):
        """Runs `wasm dts <module> --output <stem>.d.ts`; returns the text."""
        out = self.path(module).with_suffix(".d.ts")
        proc = helper("wasm", "dts", self.path(module), "--output", out, *args)
        self.assertOk(proc, f"wasm dts {module}")
        self.assertEqual(proc.stdout, "")
        return out.read_text()

    def tsc(self, *files):
        return run([TSC, *TSC_FLAGS, *files], cwd=self.dir)

    def assertTscOk(self, *files):
        proc = self.tsc(*files)
        self.assertEqual(proc.returncode, 0,
                         f"{self.tsc_version}: tsc {' '.join(map(str, files))} failed:\n{proc.stdout}{proc.stderr}")

    def check_module(self, module, consumer, wrong, wrong_errors):
        """The whole round: declarations, exact types, consumer, wrong consumer, Node.js run."""
        stem = module[:-len(".wasm")]
        text = self.generate(module)
        name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", stem) if part)
        self.assertIn(f"export interface {name}Exports {{", text)
        self.assertIn(f"export interface {name}Imports {{", text)
        info = parse_objdump(self.path(module))

        # 1. Each member has exactly the JS API's type, and the interfaces list exactly the module's
        #    exports and imports.
        check = self.path(f"{stem}.types.ts")
        check.write_text(f'import type {{ {name}Exports, {name}Imports }} from "./{stem}.js";\n' + EQUALS +
                         type_assertions(info, f"{name}Exports", f"{name}Imports"))
        self.assertTscOk(check.name)

        # 2. A consumer using every export (expect-error lines must be errors: tsc reports unused ones).
        use = self.path(f"{stem}.use.ts")
        use.write_text(consumer)
        self.assertTscOk(use.name)

        # 3. The check bites: wrong uses without @ts-expect-error fail.
        bad = self.path(f"{stem}.wrong.ts")
        bad.write_text(wrong)
        proc = self.tsc(bad.name)
        self.assertNotEqual(proc.returncode, 0, f"tsc accepted {bad.name}:\n{proc.stdout}")
        for error in wrong_errors:
            self.assertIn(error, proc.stdout)

        # 4. The declarations are true: Node.js runs the module and the values have the declared types.
        spec = self.path(f"{stem}.spec.json")
        spec.write_text(json.dumps({"file": str(self.path(module)), **info}))
        proc = run(["node", self.path("check.mjs"), spec], cwd=self.dir)
        self.assertOk(proc, f"running {module} in Node.js")
        result = json.loads(proc.stdout)
        self.check_runtime(info, result)
        return text, info, result

    def check_runtime(self, info, result):
        self.assertEqual([(e["name"], e["kind"]) for e in result["engineExports"]],
                         [(e["name"], {"func": "function"}.get(e["kind"], e["kind"])) for e in info["exports"]])
        self.assertEqual([(i["module"], i["name"]) for i in result["engineImports"]],
                         [(i["module"], i["field"]) for i in info["imports"]])
        self.assertIsNone(result["prototype"])  # a null-prototype object: toString & co. are the module's
        self.assertTrue(result["frozen"])
        for e in info["exports"]:
            r = result["exports"][e["name"]]
            with self.subTest(export=e["name"]):
                if e["kind"] == "func":
                    self.assertEqual(r["kind"], "function")
                    if "v128" in e["params"] + e["results"]:
                        self.assertEqual(r["result"], "TypeError")
                        continue
                    results = e["results"]
                    if not results:
                        self.assertEqual(r["result"], "undefined")
                    elif len(results) == 1:
                        self.assertRuntimeType(r["result"], results[0])
                    else:
                        self.assertEqual(r["result"], "array")
                        self.assertEqual(len(r["elements"]), len(results))
                        for got, t in zip(r["elements"], results):
                            self.assertRuntimeType(got, t)
                    if "i64" in e["params"]:
                        self.assertEqual(r["numberForI64"], "TypeError")
                elif e["kind"] == "global":
                    self.assertTrue(r["isGlobal"])
                    if e["type"] == "v128":
                        self.assertEqual(r["value"], "TypeError")
                    else:
                        self.assertRuntimeType(r["value"], e["type"])
                elif e["kind"] == "memory":
                    self.assertTrue(r["isMemory"])
                elif e["kind"] == "table":
                    self.assertTrue(r["isTable"])
                elif e["kind"] == "tag":
                    self.assertTrue(r["isTag"])
                    self.assertEqual(r["kind"], "object")
        # Host functions the module called got the declared parameter types.
        for i in info["imports"]:
            call = result["hostCalls"].get(f"{i['module']}.{i['field']}")
            if i["kind"] == "func" and call is not None:
                for got, t in zip(call, i["params"]):
                    self.assertRuntimeType(got, t)

    def assertRuntimeType(self, got, wasm_type):
        """`got` (typeof, "null" or "array") is a value of the TypeScript type of `wasm_type`."""
        allowed = {"i32": {"number"}, "f32": {"number"}, "f64": {"number"}, "i64": {"bigint"},
                   "funcref": {"function", "null"}, "externref": None}[wasm_type]
        if allowed is not None:
            self.assertIn(got, allowed, f"{wasm_type} came back as {got}")

    # --- The modules ------------------------------------------------------------------

    def test_text_format_module_with_every_kind(self):
        text, info, result = self.check_module(
            "kitchen-sink.wasm", KITCHEN_CONSUMER, KITCHEN_WRONG,
            ["error TS2345: Argument of type '[number]' is not assignable to parameter of type 'never'",
             "error TS2322: Type 'bigint' is not assignable to type 'number'"])
        # Parameter names from the name section, reserved words escaped.
        self.assertIn("    readonly add: (a: number, b: number) => number;", text)
        self.assertIn("    readonly mul64: (this_: bigint, class_: bigint) => bigint;", text)
        self.assertIn("    readonly fadd: (p0: number, p1: number) => number;", text)
        # Quoted names, and the names that need no quotes.
        for quoted in ('"my-func"', '"class"', '"delete"', '"constructor"', '"héllo wörld"', '"*/ evil\\"quote"'):
            self.assertIn(f"    readonly {quoted}: () => number;", text)
        self.assertIn("    readonly toString: () => number;", text)
        # Doc comments with the WebAssembly signature, and the v128 warning.
        self.assertIn("    /** (func $one (result i32)) */", text)
        self.assertRegex(text, r"\(func \(param v128\) \(result i32\)\)\n\s+\* Cannot be called from JavaScript: "
                               r"v128 does not cross the JS boundary, the call throws a TypeError")
        self.assertIn("(global (mut i32))", text)
        self.assertIn("Global of i32, mutable", text)
        # call_host(0) called the host functions: an i32 arrived as a Number, an i64 as a BigInt.
        self.assertEqual(result["hostCalls"], {"env.log": ["number"], "env.twice": ["bigint"], "env.pair": []})
        self.assertEqual(result["exports"]["call_host"]["result"], "bigint")

    def test_node_runs_the_kitchen_sink_as_declared(self):
        # Specific values, beyond their types: the host sees what the declarations promise.
        script = self.path("kitchen-run.mjs")
        script.write_text(r"""
import { readFileSync } from "node:fs";
const seen = [];
const imports = {
  env: { log: (v) => seen.push(["log", typeof v]), twice: (v) => (seen.push(["twice", typeof v]), v * 2n),
         pair: () => [1, 2n], mem: new WebAssembly.Memory({ initial: 1, maximum: 16 }), g_const: 5n,
         g_mut: new WebAssembly.Global({ value: "f64", mutable: true }, 1.5), g_num: 3 },
  js: { tbl: new WebAssembly.Table({ element: "anyfunc", initial: 1 }), ext: "any value",
        tag_in: new WebAssembly.Tag({ parameters: ["i32"] }) },
};
const { instance } = await WebAssembly.instantiate(readFileSync("kitchen-sink.wasm"), imports);
const e = instance.exports;
const link = async (env) => {
  try { await WebAssembly.instantiate(readFileSync("kitchen-sink.wasm"), { ...imports, env: { ...imports.env, ...env } }); return "ok"; }
  catch (err) { return err.constructor.name; }
};
console.log(JSON.stringify({
  callHost: String(e.call_host(5)), seen, multi: e.multi(7, 8n).map(String), three: e.three().map(String),
  names: [e["my-func"](), e.class(), e.delete(), e.constructor(), e.toString(), e["h\u00e9llo w\u00f6rld"](), e["*/ evil\"quote"]()],
  gAgain: String(e.g_again.value), fref: e.fref(0)(),
  numberForI64Global: await link({ g_const: 5 }), numberForMutableGlobal: await link({ g_mut: 1.5 }),
  bigintForI32Global: await link({ g_num: 3n }),
}));
""")
        proc = run(["node", script], cwd=self.dir)
        self.assertOk(proc, "kitchen-run.mjs")
        r = json.loads(proc.stdout)
        self.assertEqual(r["callHost"], "12")  # twice(5n) + the i64 of pair(): 10n + 2n
        self.assertEqual(r["seen"], [["log", "number"], ["twice", "bigint"]])
        self.assertEqual(r["multi"], ["7", "8"])
        self.assertEqual(r["three"], ["1.5", "-1", "3"])
        self.assertEqual(r["names"], [1, 2, 3, 4, 5, 6, 7])
        self.assertEqual(r["gAgain"], "5")  # the imported i64 global, re-exported
        self.assertEqual(r["fref"], 1)
        # JS API "read the imports": what the Imports interface forbids fails to link.
        self.assertEqual(r["numberForI64Global"], "LinkError")
        self.assertEqual(r["numberForMutableGlobal"], "LinkError")
        self.assertEqual(r["bigintForI32Global"], "LinkError")

    def test_clang_wasi_module(self):
        text, info, result = self.check_module(
            "c-module.wasm", C_CONSUMER, C_WRONG,
            ["error TS2345: Argument of type 'number' is not assignable to parameter of type 'bigint'"])
        self.assertIn('    "wasi_snapshot_preview1": {', text)
        self.assertIn('    "host": {', text)
        self.assertIn("        report: (p0: bigint, p1: number) => void;", text)
        # run(0) called the host's report(int64_t, double): a BigInt and a Number arrived.
        self.assertEqual(result["hostCalls"]["host.report"], ["bigint", "number"])

    def test_rust_module_with_u64(self):
        text, info, result = self.check_module(
            "rust_u64.wasm", RUST_CONSUMER, RUST_WRONG,
            ["error TS2322: Type 'bigint' is not assignable to type 'number'"])
        self.assertIn("    readonly mul64: (p0: bigint, p1: bigint) => bigint;", text)
        self.assertIn("export interface RustU64Imports {}", text)
        # A u64 crosses as an i64: BigInts, signed (JS API ToJSValue: ℤ(signed_64(v))).
        script = self.path("rust-run.mjs")
        script.write_text('import { readFileSync } from "node:fs";\n'
                          'const { instance } = await WebAssembly.instantiate(readFileSync("rust_u64.wasm"));\n'
                          'const r = instance.exports.mul64(1n << 62n, 2n);\n'
                          'console.log(typeof r, String(r), String(instance.exports.mul64(6n, 7n)));\n')
        proc = run(["node", script], cwd=self.dir)
        self.assertOk(proc)
        self.assertEqual(proc.stdout.split(), ["bigint", str(-(1 << 63)), "42"])

    # --- The command line ---------------------------------------------------------------

    def test_stdout_output_file_and_mtime(self):
        module = self.path("rust_u64.wasm")
        stdout = helper("wasm", "dts", module)
        self.assertOk(stdout)
        out = self.path("out/sub/rust.d.ts")
        self.assertOk(helper("wasm", "dts", module, "--output", out))
        self.assertEqual(out.read_text(), stdout.stdout)
        self.assertEqual(stdout.stdout.splitlines()[0],
                         "// generated by buildbudget wasm dts from rust_u64.wasm, do not edit")
        os.utime(out, (1_000_000_000, 1_000_000_000))
        self.assertOk(helper("wasm", "dts", module, "--output", out))
        self.assertEqual(out.stat().st_mtime, 1_000_000_000)
        # Same module, same bytes.
        self.assertEqual(helper("wasm", "dts", module).stdout, stdout.stdout)

    def test_names(self):
        shutil.copy(self.path("rust_u64.wasm"), self.path("img-proc.simd.wasm"))
        text = helper("wasm", "dts", self.path("img-proc.simd.wasm")).stdout
        self.assertIn("export interface ImgProcSimdExports {", text)
        self.assertIn("export interface ImgProcSimdImports {}", text)
        self.assertIn("/** Exports of img-proc.simd.wasm: ", text)  # the file name, not its directory
        self.assertNotIn(str(self.dir), text)
        shutil.copy(self.path("rust_u64.wasm"), self.path("3d.wasm"))
        self.assertIn("export interface Wasm3dExports {", helper("wasm", "dts", self.path("3d.wasm")).stdout)
        named = helper("wasm", "dts", self.path("rust_u64.wasm"), "--name", "Codec")
        self.assertOk(named)
        self.assertIn("export interface CodecExports {", named.stdout)
        self.assertIn("export interface CodecImports {}", named.stdout)
        for bad in ("my-codec", "class", "1x", ""):
            with self.subTest(name=bad):
                out = self.path(f"bad-name-{len(bad)}.d.ts")
                proc = helper("wasm", "dts", self.path("rust_u64.wasm"), "--name", bad, "--output", out)
                self.assertFails(proc, 2)
                self.assertIn("is not a JavaScript identifier", proc.stderr)
                self.assertFalse(out.exists())

    def test_malformed_and_missing_modules(self):
        data = self.path("kitchen-sink.wasm").read_bytes()
        cut = self.path("cut.wasm")
        cut.write_bytes(data[:len(data) // 2])
        out = self.path("cut.d.ts")
        proc = helper("wasm", "dts", cut, "--output", out)
        self.assertFails(proc)
        self.assertMatchesLine(proc.stderr, re.escape(f"buildbudget: error: {cut}: ") + r".+ at byte offset \d+")
        self.assertEqual(proc.stdout, "")
        self.assertFalse(out.exists())
        text = self.path("text.wasm")
        text.write_text("(module)")
        proc = helper("wasm", "dts", text)
        self.assertFails(proc)
        self.assertIn("not a WebAssembly module: bad magic", proc.stderr)
        self.assertIn("at byte offset 0", proc.stderr)
        missing = helper("wasm", "dts", self.path("missing.wasm"))
        self.assertFails(missing)
        self.assertLine(missing.stderr, f"buildbudget: error: {self.path('missing.wasm')}: cannot read: No such file or directory")
        self.assertFails(helper("wasm", "dts"), 2)


if __name__ == "__main__":
    unittest.main()
