"""`buildbudget wasm analyze` (doc/helper-wasm-analyze.md; its messages in doc/messages.md,
"WebAssembly") on real modules, checked against independent sources: wabt's wasm-objdump
for sections, function bodies, names, types, data segments, imports and exports; Python's gzip for
the compressed size; the bytes the test itself wrote for malformed modules.

Modules: sql.js 1.13.0 (Emscripten) and esbuild-wasm 0.25.0 (a 12 MB Go js/wasm module), fetched with
`npm pack` at pinned versions into a cache beside the work directory (reused when present and its
checksum matches); a Go js/wasm module built here with GOOS=js GOARCH=wasm; clang wasm32-wasi modules
with and without DWARF; and WAT modules assembled with wat2wasm using SIMD, threads, bulk memory,
multi-value, reference types and exception handling."""
import gzip
import json
import os
import pathlib
import re
import shutil
import subprocess
import time
import unittest

import support
from support import WORK_DIR, TestCase, fresh_dir, helper, run

# Pinned packages: (spec, tarball name, sha1 as the registry publishes it, member to extract).
NPM_PACKAGES = {
    "sql-wasm.wasm": ("sql.js@1.13.0", "sql.js-1.13.0.tgz", "f73cba7eaba0bc881f466c9149e00cf598fb01e0",
                      "package/dist/sql-wasm.wasm"),
    "sql-wasm-debug.wasm": ("sql.js@1.13.0", "sql.js-1.13.0.tgz", "f73cba7eaba0bc881f466c9149e00cf598fb01e0",
                            "package/dist/sql-wasm-debug.wasm"),
    "esbuild.wasm": ("esbuild-wasm@0.25.0", "esbuild-wasm-0.25.0.tgz", "56bbcc29d9eb5052ff1598248dc37dd958876e82",
                     "package/esbuild.wasm"),
}
CACHE_DIR = support.NPM_CACHE_DIR
GO_CACHE = WORK_DIR.parent / "go-cache"
MiB = 1 << 20


def fetch_npm_module(name, cache_dir=CACHE_DIR):
    """The module `name` of NPM_PACKAGES, through support's pinned, sha1-checked, cached npm fetch."""
    return support.fetch_npm_module(name, NPM_PACKAGES[name], cache_dir)


# --- wasm-objdump, the independent reading ---------------------------------------------------

OBJDUMP_SECTION_NAMES = {"Type": "type", "Import": "import", "Function": "function", "Table": "table",
                         "Memory": "memory", "Global": "global", "Export": "export", "Start": "start",
                         "Elem": "element", "Code": "code", "Data": "data", "DataCount": "datacount", "Tag": "tag"}


def objdump(*args):
    proc = run(["wasm-objdump", *args])
    if proc.returncode != 0:
        raise AssertionError(f"wasm-objdump {' '.join(map(str, args))} failed:\n{proc.stderr}")
    return proc.stdout


def objdump_sections(path):
    """[{name, custom, offset, bytes, payload, count}] from `wasm-objdump -h`: its start and end are
    the payload's, so a whole section (id, size field, payload) runs from the previous end (8 for
    the first) to its end. The start section shows "start: <function>" where the others show
    "count: <n>"."""
    out, previous = [], 8
    rx = re.compile(r'^\s*(\w+) start=0x([0-9a-f]+) end=0x([0-9a-f]+) \(size=0x([0-9a-f]+)\)'
                    r'(?: count: (\d+)| start: \d+)?(?: "(.*)")?$')
    for line in objdump("-h", path).splitlines():
        m = rx.match(line)
        if not m:
            continue
        kind, start, end, size, count, custom_name = m.groups()
        start, end, size = int(start, 16), int(end, 16), int(size, 16)
        assert end - start == size, line
        out.append({"name": custom_name if kind == "Custom" else OBJDUMP_SECTION_NAMES[kind],
                    "custom": kind == "Custom", "offset": previous, "bytes": end - previous, "payload": size,
                    "count": int(count) if count else None})
        previous = end
    return out


def objdump_details(path):
    """What `wasm-objdump -x` lists: types, function signatures, code sizes and names, data
    segments, exports, import count, memories."""
    d = {"types": {}, "sigs": {}, "code": [], "data": [], "exports": [], "imports": [], "memories": []}
    section = None
    for line in objdump("-x", path).splitlines():
        head = re.match(r"^(\w+)(?:\[\d+\])?:$", line)
        if head:
            section = head.group(1)
            continue
        if not line.startswith(" - "):
            continue
        item = line[3:]
        if section == "Type":
            m = re.match(r"type\[(\d+)\] (.*)$", item)
            d["types"][int(m.group(1))] = m.group(2)
        elif section == "Function":
            m = re.match(r"func\[(\d+)\] sig=(\d+)", item)
            d["sigs"][int(m.group(1))] = int(m.group(2))
        elif section == "Code":
            m = re.match(r"func\[(\d+)\] size=(\d+)(?: <(.*)>)?$", item)
            d["code"].append((int(m.group(1)), int(m.group(2)), m.group(3)))
        elif section == "Data":
            m = re.match(r"segment\[(\d+)\](?: <(.*?)>)? (passive|memory=(\d+)) size=(\d+)(?: - init i32=(-?\d+))?",
                         item)
            if m:
                index, name, mode, memory, size, address = m.groups()
                d["data"].append({"index": int(index), "name": name, "passive": mode == "passive",
                                  "bytes": int(size),
                                  "address": None if address is None else int(address) & 0xFFFFFFFF})
        elif section == "Export":
            m = re.match(r'(\w+)\[(\d+)\](?: <.*?>)? -> "(.*)"$', item)
            d["exports"].append((m.group(3), m.group(1), int(m.group(2))))
        elif section == "Import":
            d["imports"].append(item)
        elif section == "Memory":
            m = re.match(r"memory\[\d+\] pages: initial=(\d+)(?: max=(\d+))?", item)
            d["memories"].append((int(m.group(1)), int(m.group(2)) if m.group(2) else None))
    return d


OBJDUMP_KINDS = {"func": "function", "table": "table", "memory": "memory", "global": "global", "tag": "tag"}

# --- Sources of the modules built here ---------------------------------------------------------

GO_MAIN = """package main

import (
	"fmt"
	"strings"
)

func greet(name string) string { return "hello, " + strings.ToUpper(name) }

func main() { fmt.Println(greet("wasm")) }
"""

HELLO_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int table[64];
int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int main(int argc, char** argv) {
  (void)argv;
  for (int i = 0; i < 64; i++) table[i] = i * argc;
  char* text = malloc(100);
  snprintf(text, 100, "fib %d sum %d", fib(20), table[10] + table[63]);
  printf("%s len %zu\n", text, strlen(text));
  free(text);
  return 0;
}
"""

# Version A and version B of a program: B grows compute() and adds extra_function().
BASE_A_C = r"""
__attribute__((noinline)) int compute(int x) { return x * 3 + 1; }
int main(int argc, char** argv) { (void)argv; return compute(argc) == 4 ? 0 : 1; }
"""
BASE_B_C = r"""
__attribute__((noinline)) int compute(int x) {
  int s = 0;
  for (int i = 0; i < x * 7; i++) s += (i % 5 == 0) ? i * x : (i ^ x) - 3;
  return s * 3 + 1;
}
__attribute__((noinline)) int extra_function(int x) { return x / 3 + (x << 4) - 11; }
int main(int argc, char** argv) { (void)argv; return compute(argc) + extra_function(argc) == 4 ? 0 : 1; }
"""

WAT_MODULES = {
    "simd.wat": """(module
  (func $scale (export "scale") (param v128 f32) (result v128)
    local.get 0 local.get 1 f32x4.splat f32x4.mul)
  (func $sum (export "sum") (param v128) (result i32)
    local.get 0 i32x4.extract_lane 0 local.get 0 i32x4.extract_lane 3 i32.add))""",
    "threads.wat": """(module
  (memory $m (export "memory") 1 4 shared)
  (func $incr (export "incr") (param i32) (result i32)
    local.get 0 i32.const 1 i32.atomic.rmw.add)
  (func $wait (export "wait") (param i32 i32) (result i32)
    local.get 0 local.get 1 i64.const -1 memory.atomic.wait32)
  (func $fence atomic.fence))""",
    "bulk.wat": """(module
  (memory 1)
  (data $greeting "hello, bulk memory")
  (data $table (i32.const 256) "\\01\\02\\03\\04")
  (func $init (export "init") (param i32)
    local.get 0 i32.const 0 i32.const 18 memory.init $greeting
    data.drop $greeting)
  (func $copy (export "copy") (param i32 i32 i32)
    local.get 0 local.get 1 local.get 2 memory.copy
    local.get 0 i32.const 0 local.get 2 memory.fill))""",
    "multivalue.wat": """(module
  (func $divmod (export "divmod") (param i32 i32) (result i32 i32)
    local.get 0 local.get 1 i32.div_u local.get 0 local.get 1 i32.rem_u)
  (func $swap (param i64 f64) (result f64 i64) local.get 1 local.get 0)
  (func $use (export "use") (result i32)
    i32.const 7 i32.const 2 call $divmod i32.add))""",
    "reftypes.wat": """(module
  (table $objects (export "objects") 4 externref)
  (table $funcs 2 funcref)
  (elem declare func $keep)
  (func $keep (export "keep") (param externref i32)
    local.get 1 local.get 0 table.set $objects)
  (func $get (export "get") (param i32) (result externref) local.get 0 table.get $objects)
  (func $is_null (export "is_null") (param externref) (result i32) local.get 0 ref.is_null)
  (func $fref (result funcref) ref.func $keep))""",
    "exceptions.wat": """(module
  (tag $oops (export "oops") (param i32))
  (func $throw_it (export "throw_it") (param i32) local.get 0 throw $oops)
  (func $guarded (export "guarded") (param i32) (result i32)
    try (result i32)
      local.get 0 call $throw_it i32.const 0
    catch $oops
      i32.const 1 i32.add
    end))""",
    # Two functions with byte-identical bodies and the same type, a third with another body.
    "dup.wat": """(module
  (memory 1)
  (func $twin_a (export "twin_a") (param i32) (result i32)
    local.get 0 i32.const 17 i32.mul i32.const 3 i32.add local.get 0 i32.load offset=8 i32.xor)
  (func $twin_b (export "twin_b") (param i32) (result i32)
    local.get 0 i32.const 17 i32.mul i32.const 3 i32.add local.get 0 i32.load offset=8 i32.xor)
  (func $other (export "other") (param i32) (result i32)
    local.get 0 i32.const 19 i32.mul))""",
}

# wat2wasm's features per module: --enable-all, except for reference types, where it also turns on
# typed function references and `ref.func` no longer has type funcref (wabt 1.0.32); reference
# types, bulk memory, SIMD and multi-value are on by default there.
WAT_FLAGS = {"reftypes.wat": []}


class WasmAnalyze(TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("wasm-objdump", "wat2wasm", "clang", "go", "npm"):
            if shutil.which(tool) is None:
                raise AssertionError(f"{tool} is not installed (see the README's package list)")
        cls.dir = fresh_dir("wasm-analyze")
        cls.modules = {}  # name -> path of every module checked against wasm-objdump
        for name in NPM_PACKAGES:
            cls.modules[name] = fetch_npm_module(name)

        go_dir = cls.dir / "go"
        go_dir.mkdir()
        (go_dir / "main.go").write_text(GO_MAIN)
        (go_dir / "go.mod").write_text("module example.com/hello\n\ngo 1.19\n")
        GO_CACHE.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GOOS": "js", "GOARCH": "wasm", "GOCACHE": str(GO_CACHE / "build"),
               "GOPATH": str(GO_CACHE / "path"), "HOME": str(cls.dir), "GOFLAGS": "-mod=mod", "GO111MODULE": "on",
               "GOTOOLCHAIN": "local", "GOPROXY": "off"}
        proc = subprocess.run(["go", "build", "-o", str(cls.dir / "go-hello.wasm"), "."], cwd=go_dir, env=env,
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise AssertionError(f"go build failed:\n{proc.stderr}")
        cls.modules["go-hello.wasm"] = cls.dir / "go-hello.wasm"

        for name, text in (("hello.c", HELLO_C), ("base_a.c", BASE_A_C), ("base_b.c", BASE_B_C)):
            (cls.dir / name).write_text(text)
        # clang -O1 and above runs wasm-opt after linking, which drops the name section but keeps the
        # DWARF of Debian's wasi-libc: hello-O2.wasm is such a module. The others are compiled
        # optimised and linked at -O0 (no wasm-opt), with names; --strip-debug drops libc's DWARF.
        cls.clang("-O2", "hello.c", "-o", "hello-O2.wasm")
        cls.clang("-O0", "-g", "hello.c", "-o", "hello-debug.wasm")
        for name, level in (("hello", "-O2"), ("base_a", "-O1"), ("base_b", "-O1")):
            cls.clang(level, "-c", f"{name}.c", "-o", f"{name}.o")
            cls.clang(f"{name}.o", "-Wl,--strip-debug", "-o", f"{name}.wasm")
        for name in ("hello.wasm", "hello-O2.wasm", "hello-debug.wasm"):
            cls.modules[name] = cls.dir / name

        for name, text in WAT_MODULES.items():
            (cls.dir / name).write_text(text)
            out = name.replace(".wat", ".wasm")
            proc = run(["wat2wasm", *WAT_FLAGS.get(name, ["--enable-all"]), "--debug-names", name, "-o", out],
                       cwd=cls.dir)
            if proc.returncode != 0:
                raise AssertionError(f"wat2wasm {name} failed:\n{proc.stderr}")
            cls.modules[out] = cls.dir / out

        # One analysis per module (esbuild's brotli -q 11 alone takes half a minute), shared by the tests;
        # --no-cache: the compressed sizes checked here are this helper's, not a cache entry an earlier
        # build left in the suite's cache directory.
        cls.reports = {}
        for name, path in cls.modules.items():
            proc = helper("wasm", "analyze", "--json", "--no-cache", path)
            if proc.returncode != 0:
                raise AssertionError(f"analyze {name} failed ({proc.returncode}):\n{proc.stderr}")
            cls.reports[name] = json.loads(proc.stdout)

    @classmethod
    def clang(cls, *args):
        proc = subprocess.run(["clang", "--target=wasm32-wasi", *args], cwd=cls.dir, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise AssertionError(f"clang {' '.join(args)} failed:\n{proc.stderr}")

    def module(self, name):
        return self.reports[name]["modules"][0]

    def analyze(self, *args, timeout=None):
        return run([os.environ["BUILDBUDGET_HELPER"], "wasm", "analyze", *map(str, args)], cwd=self.dir,
                   timeout=timeout)

    def recommendation(self, report, rid):
        found = [r for r in report["recommendations"] if r["id"] == rid]
        self.assertEqual(len(found), 1, f"expected one {rid!r} in {[r['id'] for r in report['recommendations']]}")
        return found[0]

    # --- Against wasm-objdump ------------------------------------------------------------------

    def test_sections_match_objdump(self):
        for name, path in self.modules.items():
            with self.subTest(module=name):
                m = self.module(name)
                data = path.read_bytes()
                expected = objdump_sections(path)
                self.assertEqual(m["raw"], len(data))
                self.assertEqual(m["counts"]["sections"], len(expected))
                self.assertEqual([(s["name"], s["custom"], s["offset"], s["bytes"], s["payload_bytes"])
                                  for s in m["sections"]],
                                 [(s["name"], s["custom"], s["offset"], s["bytes"], s["payload"]) for s in expected])
                self.assertEqual(sum(s["bytes"] for s in m["sections"]), len(data) - 8)
                self.assertEqual([(c["name"], c["bytes"]) for c in m["custom_sections"]],
                                 [(s["name"], s["bytes"]) for s in expected if s["custom"]])
                counts = {s["name"]: s["count"] for s in expected if not s["custom"]}
                self.assertEqual(m["counts"]["imports"], counts.get("import", 0))
                self.assertEqual(m["counts"]["exports"], counts.get("export", 0))
                self.assertEqual(m["counts"]["functions"], counts.get("code", 0))
                self.assertEqual(m["counts"]["data_segments"], counts.get("data", 0))
                self.assertEqual(m["counts"]["types"], counts.get("type", 0))

    def test_functions_names_and_signatures_match_objdump(self):
        for name, path in self.modules.items():
            with self.subTest(module=name):
                m = self.module(name)
                d = objdump_details(path)
                self.assertEqual(len(m["functions"]), len(d["code"]))
                for f, (index, size, objdump_name) in zip(m["functions"], d["code"]):
                    self.assertEqual((f["index"], f["body_bytes"]), (index, size), f)
                    # wasm-objdump names a function from the name section, else its export.
                    if f["name_source"] == "index":
                        self.assertIsNone(objdump_name, f)
                        self.assertEqual(f["name"], f"function[{index}]")
                    else:
                        self.assertEqual(f["name"], objdump_name, f)
                    self.assertEqual(f["signature"], d["types"][d["sigs"][index]], f)
                self.assertEqual(len(m["imports"]), len(d["imports"]))
                self.assertEqual([(e["name"], e["kind"], e["index"]) for e in m["exports"]],
                                 [(n, OBJDUMP_KINDS[k], i) for n, k, i in d["exports"]])
                for e in m["exports"]:
                    if e["kind"] == "function" and e["index"] in d["sigs"]:
                        self.assertEqual(e["signature"], d["types"][d["sigs"][e["index"]]], e)

    def test_names_come_from_the_name_section_then_exports(self):
        go = self.module("go-hello.wasm")
        self.assertEqual({f["name_source"] for f in go["functions"]}, {"name"})
        self.assertTrue({"main.main", "fmt.Fprintln"} <= {f["name"] for f in go["functions"]})
        sql = self.module("sql-wasm.wasm")  # stripped by Emscripten: exports only
        self.assertEqual({f["name_source"] for f in sql["functions"]}, {"export", "index"})
        dup = self.module("dup.wasm")
        self.assertEqual([(f["name"], f["name_source"]) for f in dup["functions"]],
                         [("twin_a", "name"), ("twin_b", "name"), ("other", "name")])

    def test_data_segments_and_memory_match_objdump(self):
        for name, path in self.modules.items():
            with self.subTest(module=name):
                m = self.module(name)
                d = objdump_details(path)
                self.assertEqual(len(m["data_segments"]), len(d["data"]))
                for seg, exp in zip(m["data_segments"], d["data"]):
                    self.assertEqual((seg["index"], seg["bytes"], seg["mode"] == "passive"),
                                     (exp["index"], exp["bytes"], exp["passive"]))
                    if exp["address"] is not None:
                        self.assertEqual(seg["address"], exp["address"])
                    if exp["name"] is not None:
                        self.assertEqual(seg["name"], exp["name"])
                if d["memories"]:
                    initial, maximum = d["memories"][0]
                    self.assertFalse(m["memory"]["imported"])
                    self.assertEqual((m["memory"]["initial_pages"], m["memory"]["maximum_pages"]), (initial, maximum))
                    self.assertEqual(m["memory"]["initial_bytes"], initial * 65536)
        bulk = self.module("bulk.wasm")
        self.assertEqual([(s["name"], s["mode"], s["address"]) for s in bulk["data_segments"]],
                         [("greeting", "passive", None), ("table", "active", 256)])
        threads = self.module("threads.wasm")
        self.assertTrue(threads["memory"]["shared"])
        self.assertEqual(threads["memory"]["maximum_bytes"], 4 * 65536)

    def test_compressed_sizes_match_python(self):
        for name, path in self.modules.items():
            with self.subTest(module=name):
                m = self.module(name)
                data = path.read_bytes()
                self.assertEqual(m["gzip"], len(gzip.compress(data, 9)))
                self.assertAlmostEqual(m["gzip_ratio"], m["gzip"] / len(data), places=4)
                self.assertLess(m["brotli"], m["raw"])
                self.assertAlmostEqual(m["brotli_ratio"], m["brotli"] / len(data), places=4)

    def test_schema(self):
        for name, report in self.reports.items():
            with self.subTest(module=name):
                self.assertEqual(report["schema"], "buildbudget-wasm-analysis/1")
                self.assertEqual(list(report), ["schema", "modules", "total", "thresholds", "recommendations"])
                m = report["modules"][0]
                self.assertEqual(list(m), ["file", "raw", "gzip", "brotli", "gzip_ratio", "brotli_ratio", "counts",
                                           "sections", "functions", "data_segments", "imports", "exports",
                                           "custom_sections", "memory", "producers", "target_features",
                                           "duplicate_functions", "names_file", "dwarf_file", "namespaces",
                                           "compile_units", "call_graph"])
                self.assertEqual(m["file"], str(self.modules[name]))
                for f in m["functions"]:
                    self.assertEqual(list(f), ["index", "name", "name_source", "demangled", "namespace", "compile_unit",
                                              "body_bytes", "type_index", "signature", "retained_bytes",
                                              "callees"])
                self.assertEqual(report["total"]["raw"], m["raw"])
                for r in report["recommendations"]:
                    self.assertEqual(list(r), ["id", "module", "message", "figures"])
        go = self.module("go-hello.wasm")
        self.assertEqual([v["name"] for v in go["producers"]["language"]], ["Go"])
        debug = self.module("sql-wasm-debug.wasm")
        self.assertEqual([c["category"] for c in debug["custom_sections"]], ["target_features"])
        self.assertTrue(debug["target_features"])

    def test_json_is_deterministic_and_the_report_file(self):
        path = self.modules["sql-wasm.wasm"]
        first = self.analyze("--json", "--no-compression", path)
        second = self.analyze("--json", "--no-compression", path)
        self.assertOk(first)
        self.assertEqual(first.stdout, second.stdout)
        report = self.dir / "reports" / "sql.json"
        proc = self.analyze("--no-compression", "--report", report, path)
        self.assertOk(proc)
        self.assertIn("Largest functions (20 of 1883):", proc.stdout)
        self.assertEqual(report.read_text(), first.stdout)
        os.utime(report, (1_000_000_000, 1_000_000_000))
        self.assertOk(self.analyze("--no-compression", "--report", report, path))
        self.assertEqual(report.stat().st_mtime, 1_000_000_000)
        m = json.loads(first.stdout)["modules"][0]
        self.assertIsNone(m["gzip"])
        self.assertIsNone(m["brotli_ratio"])

    def test_text_tables(self):
        path = self.modules["go-hello.wasm"]
        proc = self.analyze("--no-compression", "--top", "5", path)
        self.assertOk(proc)
        data = path.read_bytes()
        out = proc.stdout
        mib = f"{len(data) / MiB:.2f}".rstrip("0").rstrip(".")
        self.assertLine(out, f"{path}: WebAssembly module, {mib} MiB ({len(data)} bytes)")
        self.assertLine(out, "Compressed sizes: not computed (--no-compression)")
        code = sorted(objdump_details(path)["code"], key=lambda c: (-c[1], c[0]))[:5]
        self.assertLine(out, f"Largest functions (5 of {len(objdump_details(path)['code'])}):")
        rows = re.findall(r"^ *(\d+) \| (\S+) +\| name +\| +(\d+) \| +[\d.]+%$", out, re.M)
        self.assertEqual([(int(i), n, int(s)) for i, n, s in rows], [(i, n, s) for i, s, n in code])
        sections = sorted(objdump_sections(path), key=lambda s: -s["bytes"])[:5]
        section_rows = re.findall(r"^(\S+(?: \(custom\))?) +\| +(\d+) \| +[\d.]+%$", out, re.M)
        self.assertEqual([(n, int(b)) for n, b in section_rows][:5],
                         [(s["name"] + (" (custom)" if s["custom"] else ""), s["bytes"]) for s in sections])
        self.assertMatchesLine(out, r"function \| +21 \| +3")
        self.assertLine(out, "Recommendations:")
        self.assertMatchesLine(out, re.escape(f"- [strip-names] {path}: the name section takes ") + ".*")

    # --- Recommendations on real data -----------------------------------------------------------

    def test_esbuild_is_lazy_loaded_and_split(self):
        report = self.reports["esbuild.wasm"]
        raw = self.modules["esbuild.wasm"].stat().st_size
        self.assertGreater(raw, 5 * MiB)
        lazy = self.recommendation(report, "lazy-load")
        self.assertEqual(lazy["figures"], {"bytes": raw, "threshold_bytes": 2 * MiB})
        split = self.recommendation(report, "split")
        self.assertEqual(split["figures"], {"total_bytes": raw, "threshold_bytes": 5 * MiB, "modules": 1})
        self.assertIsNone(split["module"])
        # Go sets no maximum memory.
        self.assertEqual(self.recommendation(report, "no-max-memory")["figures"]["imported"], False)
        # sql.js (644 KiB) is neither.
        ids = [r["id"] for r in self.reports["sql-wasm.wasm"]["recommendations"]]
        self.assertNotIn("lazy-load", ids)
        self.assertNotIn("split", ids)

    def test_split_counts_all_modules(self):
        # sql.js (644 KiB) given often enough to pass 5 MiB together, each far under 2 MiB.
        path = self.modules["sql-wasm.wasm"]
        size = path.stat().st_size
        copies = 5 * MiB // size + 1
        proc = self.analyze("--json", "--no-compression", *([path] * copies))
        self.assertOk(proc)
        report = json.loads(proc.stdout)
        self.assertEqual(report["total"]["raw"], copies * size)
        split = self.recommendation(report, "split")
        self.assertEqual(split["figures"]["total_bytes"], copies * size)
        self.assertEqual(split["figures"]["modules"], copies)
        self.assertNotIn("lazy-load", [r["id"] for r in report["recommendations"]])

    def test_debug_info_is_stripped_with_its_bytes(self):
        path = self.modules["hello-debug.wasm"]
        debug = [s for s in objdump_sections(path) if s["custom"] and s["name"].startswith(".debug_")]
        self.assertTrue(debug, "clang -g wrote no .debug_* sections")
        strip = self.recommendation(self.reports["hello-debug.wasm"], "strip-debug")
        self.assertEqual(strip["figures"]["saved_bytes"], sum(s["bytes"] for s in debug))
        self.assertEqual(strip["figures"]["sections"], [s["name"] for s in debug])
        self.assertEqual(self.reports["hello-debug.wasm"]["total"]["debug_bytes"], sum(s["bytes"] for s in debug))
        self.assertNotIn("strip-debug", [r["id"] for r in self.reports["hello.wasm"]["recommendations"]])
        # clang -O2 ran wasm-opt, which kept wasi-libc's DWARF.
        libc_debug = [s for s in objdump_sections(self.modules["hello-O2.wasm"]) if s["name"].startswith(".debug_")]
        self.assertEqual(self.recommendation(self.reports["hello-O2.wasm"], "strip-debug")["figures"]["saved_bytes"],
                         sum(s["bytes"] for s in libc_debug))
        names = [s for s in objdump_sections(path) if s["name"] == "name"]
        self.assertEqual(self.recommendation(self.reports["hello-debug.wasm"], "strip-names")["figures"]["saved_bytes"],
                         names[0]["bytes"])

    def test_duplicate_bodies(self):
        d = objdump_details(self.modules["dup.wasm"])
        sizes = {name: size for _, size, name in d["code"]}
        self.assertEqual(sizes["twin_a"], sizes["twin_b"])
        m = self.module("dup.wasm")
        self.assertEqual(m["duplicate_functions"], [{"body_bytes": sizes["twin_a"], "saved_bytes": sizes["twin_a"],
                                                     "functions": [0, 1]}])
        r = self.recommendation(self.reports["dup.wasm"], "duplicate-functions")
        self.assertEqual(r["figures"]["saved_bytes"], sizes["twin_a"])
        self.assertEqual(r["figures"]["largest_group"]["functions"], ["twin_a", "twin_b"])
        self.assertIn("--duplicate-function-elimination", r["message"])
        # wasm-opt's own pass merges exactly those two.
        merged = self.dir / "dup-merged.wasm"
        self.assertOk(run(["wasm-opt", "--enable-bulk-memory", "--duplicate-function-elimination",
                           self.modules["dup.wasm"], "-o", merged]))
        self.assertEqual(len(objdump_details(merged)["code"]), 2)

    # --- Baseline -----------------------------------------------------------------------------

    def base_sizes(self, name):
        return {n: s for _, s, n in objdump_details(self.dir / name)["code"] if n}

    def test_baseline_shows_the_changed_functions(self):
        old = self.dir / "base_a.json"
        self.assertOk(self.analyze("--no-compression", "--report", old, "base_a.wasm"))
        a, b = self.base_sizes("base_a.wasm"), self.base_sizes("base_b.wasm")
        self.assertNotIn("extra_function", a)
        proc = self.analyze("--json", "--no-compression", "--baseline", old, "base_b.wasm")
        self.assertOk(proc)
        base = json.loads(proc.stdout)["baseline"]
        raw_a, raw_b = (self.dir / "base_a.wasm").stat().st_size, (self.dir / "base_b.wasm").stat().st_size
        self.assertEqual(base["file"], str(old))
        self.assertEqual(base["total"]["delta_bytes"], raw_b - raw_a)
        m = base["modules"][0]
        self.assertEqual((m["old_file"], m["new_file"], m["change"]), ("base_a.wasm", "base_b.wasm", "grown"))
        functions = {f["name"]: f for f in m["functions"]}
        self.assertEqual(functions["compute"]["change"], "grown")
        self.assertEqual(functions["compute"]["delta_bytes"], b["compute"] - a["compute"])
        self.assertAlmostEqual(functions["compute"]["delta_percent"],
                               round(100 * (b["compute"] - a["compute"]) / a["compute"], 2))
        self.assertEqual(functions["extra_function"],
                         {"name": "extra_function", "change": "added", "old_bytes": 0,
                          "new_bytes": b["extra_function"], "delta_bytes": b["extra_function"],
                          "delta_percent": None})
        deltas = [abs(f["delta_bytes"]) for f in m["functions"]]
        self.assertEqual(deltas, sorted(deltas, reverse=True))
        code_old = [s for s in objdump_sections(self.dir / "base_a.wasm") if s["name"] == "code"][0]["bytes"]
        code_new = [s for s in objdump_sections(self.dir / "base_b.wasm") if s["name"] == "code"][0]["bytes"]
        self.assertIn({"name": "code", "change": "grown", "old_bytes": code_old, "new_bytes": code_new,
                       "delta_bytes": code_new - code_old,
                       "delta_percent": round(100 * (code_new - code_old) / code_old, 2)}, m["sections"])
        # The same as tables.
        text = self.analyze("--no-compression", "--baseline", old, "base_b.wasm")
        self.assertOk(text)
        self.assertLine(text.stdout, f"Compared with the baseline {old}:")
        self.assertMatchesLine(text.stdout, rf"base_a\.wasm -> base_b\.wasm \| +{raw_a} \| +{raw_b} \| "
                                            rf"+\+{raw_b - raw_a} \| .*")
        self.assertMatchesLine(text.stdout, rf"extra_function +\| added +\| +0 \| +{b['extra_function']} \| "
                                            rf"+\+{b['extra_function']} \| +new")
        self.assertMatchesLine(text.stdout, rf"compute +\| grown +\| +{a['compute']} \| +{b['compute']} \| .*")

    def test_growth_limits(self):
        old = self.dir / "limits_a.json"
        self.assertOk(self.analyze("--no-compression", "--report", old, "base_a.wasm"))
        raw_a, raw_b = (self.dir / "base_a.wasm").stat().st_size, (self.dir / "base_b.wasm").stat().st_size
        growth = raw_b - raw_a
        percent = 100 * growth / raw_a
        self.assertGreater(growth, 0)

        def analyze(*limits):
            return self.analyze("--no-compression", "--baseline", old, *limits, "base_b.wasm")

        over = analyze("--fail-above-bytes", growth - 1)
        self.assertFails(over)
        self.assertLine(over.stderr, f"buildbudget: error: base_b.wasm: raw size grew from {raw_a} to {raw_b} bytes "
                                     f"(+{growth} bytes, +{percent:.2f}%), more than --fail-above-bytes "
                                     f"{growth - 1} bytes")
        self.assertIn("Compared with the baseline", over.stdout)  # the tables are still printed
        self.assertOk(analyze("--fail-above-bytes", growth))
        self.assertOk(analyze("--fail-above-bytes", f"{growth}B"))
        self.assertOk(analyze("--fail-above-bytes", "1MB"))
        under_percent = f"{percent * 0.99:.4f}"
        over_percent = f"{percent * 1.01:.4f}"
        p = analyze("--fail-above-percent", under_percent)
        self.assertFails(p)
        self.assertLine(p.stderr, f"buildbudget: error: base_b.wasm: raw size grew from {raw_a} to {raw_b} bytes "
                                  f"(+{growth} bytes, +{percent:.2f}%), more than --fail-above-percent "
                                  f"{float(under_percent):g}%")
        self.assertOk(analyze("--fail-above-percent", over_percent))
        self.assertOk(analyze("--fail-above-percent", over_percent + "%"))
        # Both given: either trips it.
        self.assertFails(analyze("--fail-above-bytes", growth - 1, "--fail-above-percent", over_percent))
        self.assertFails(analyze("--fail-above-bytes", growth, "--fail-above-percent", under_percent))
        self.assertOk(analyze("--fail-above-bytes", growth, "--fail-above-percent", over_percent))
        # The verdict is in the JSON too.
        j = json.loads(analyze("--json", "--fail-above-bytes", growth - 1).stdout)
        self.assertEqual(j["baseline"]["limits"]["passed"], False)
        self.assertEqual(j["baseline"]["limits"]["bytes"], growth - 1)

    def test_limit_usage_errors(self):
        for args, words in ((("--fail-above-bytes", "10"), "--baseline"),
                            (("--fail-above-percent", "5"), "--baseline"),
                            (("--baseline", "x.json", "--fail-above-bytes", "12QB"), "--fail-above-bytes"),
                            (("--baseline", "x.json", "--fail-above-percent", "lots"), "--fail-above-percent"),
                            (("--baseline", "x.json", "--fail-above-percent", "-3"), "--fail-above-percent"),
                            (("--top", "-1"), "--top")):
            with self.subTest(args=args):
                proc = self.analyze(*args, "base_a.wasm")
                self.assertFails(proc, 2)
                self.assertIn(words, proc.stderr)
                self.assertEqual(proc.stdout, "")

    def test_bad_baseline_files(self):
        bad = self.dir / "bad-baseline"
        bad.mkdir(exist_ok=True)
        (bad / "truncated.json").write_text('{"schema": "buildbudget-wasm-analysis/1",\n "modules": [\n')
        proc = self.analyze("--baseline", bad / "truncated.json", "base_a.wasm")
        self.assertFails(proc)
        self.assertMatchesLine(proc.stderr, re.escape(f"buildbudget: error: {bad / 'truncated.json'}: not valid JSON (byte ") +
                               r"\d+\): .*parse error at line 3, column 1: .*")
        size_report = helper("wasm", "size", "--json", self.dir / "base_a.wasm")
        (bad / "size.json").write_text(size_report.stdout)
        proc = self.analyze("--baseline", bad / "size.json", "base_a.wasm")
        self.assertFails(proc)
        self.assertEqual(proc.stderr, f"buildbudget: error: {bad / 'size.json'}: not a wasm analysis report: schema is "
                                      '"buildbudget-wasm-size/1", expected "buildbudget-wasm-analysis/1"\n')
        report = json.loads(self.analyze("--json", "--no-compression", "base_a.wasm").stdout)
        del report["modules"][0]["functions"][1]["body_bytes"]
        (bad / "incomplete.json").write_text(json.dumps(report))
        proc = self.analyze("--baseline", bad / "incomplete.json", "base_a.wasm")
        self.assertFails(proc)
        self.assertEqual(proc.stderr, f"buildbudget: error: {bad / 'incomplete.json'}: .modules[0].functions[1].body_bytes is "
                                      "missing or not an unsigned integer\n")
        proc = self.analyze("--baseline", bad / "missing.json", "base_a.wasm")
        self.assertFails(proc)
        self.assertEqual(proc.stderr, f"buildbudget: error: {bad / 'missing.json'}: cannot read: No such file or directory\n")

    # --- Malformed modules --------------------------------------------------------------------

    def test_malformed_modules(self):
        good = (self.dir / "dup.wasm").read_bytes()
        sections = objdump_sections(self.dir / "dup.wasm")
        code = [s for s in sections if s["name"] == "code"][0]
        header = b"\0asm\x01\0\0\0"
        cases = {
            # Cut three bytes into the code section's payload: its length runs past the end.
            "truncated.wasm": (good[:code["offset"] + code["bytes"] - code["payload"] + 3], code["offset"],
                               "section 10 (code) length"),
            "magic.wasm": (b"\0asn\x01\0\0\0" + good[8:], 0, "bad magic"),
            # A type section whose size is an over-long LEB128 (six bytes for a u32), after the id at 8.
            "leb.wasm": (header + b"\x01\x80\x80\x80\x80\x80\x00", 9, "bad LEB128"),
            # A section of 100 bytes with 3 left.
            "past.wasm": (header + b"\x01\x64\x01\x60\x00", 8, "runs past the end of the file"),
            "empty.wasm": (b"", 0, "unexpected end of file"),
            "header-only.wasm": (b"\0asm\x01\0", 6, "unexpected end of file"),
        }
        for name, (data, offset, words) in cases.items():
            with self.subTest(module=name):
                path = self.dir / "malformed" / name
                path.parent.mkdir(exist_ok=True)
                path.write_bytes(data)
                start = time.monotonic()
                proc = self.analyze(path, timeout=20)
                self.assertLess(time.monotonic() - start, 10)
                self.assertFails(proc)
                self.assertEqual(proc.stdout, "")
                lines = proc.stderr.splitlines()
                self.assertEqual(len(lines), 1, proc.stderr)
                self.assertTrue(lines[0].startswith(f"buildbudget: error: {path}: "), lines[0])
                self.assertTrue(lines[0].endswith(f" at byte offset {offset}"), lines[0])
                self.assertIn(words, lines[0])
        # The same module among good ones fails the whole run, and no report is written.
        report = self.dir / "malformed" / "report.json"
        proc = self.analyze("--report", report, "dup.wasm", self.dir / "malformed" / "leb.wasm")
        self.assertFails(proc)
        self.assertFalse(report.exists())

    # --- HTML ---------------------------------------------------------------------------------

    def test_html_names_the_largest_functions(self):
        page = self.dir / "html" / "go-hello.html"
        path = self.modules["go-hello.wasm"]
        proc = self.analyze("--no-compression", "--html", page, path)
        self.assertOk(proc)
        html = page.read_text()
        largest = sorted(objdump_details(path)["code"], key=lambda c: -c[1])[:5]
        for _, _, name in largest:
            self.assertIn(name, html)
        self.assertIn("<html", html.lower())


if __name__ == "__main__":
    unittest.main()
