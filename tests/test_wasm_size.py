"""`buildbudget wasm size` and `buildbudget wasm optimize` (doc/helper-wasm-size.md) on modules built at
test time with the real clang for wasm32-wasi, optimised with the real wasm-opt (binaryen) and run
under Node.js's WASI: compressed sizes against Python's zlib, per-section sizes, wasm-opt with the
module's own features (bulk memory, SIMD), the size table and exit codes, linear-memory budgets,
and wasm-opt's own messages when it is missing or fails."""
import gzip
import json
import os
import pathlib
import re
import shutil
import stat
import subprocess
import unittest
import zlib

from support import SOURCE_DIR, TestCase, fresh_dir, helper, run

RUNNER = SOURCE_DIR / "templates" / "runners" / "wasi-run.mjs"

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

# memcpy/memset/memmove of constant sizes become memory.copy / memory.fill with -mbulk-memory.
BULK_C = r"""
#include <stdio.h>
#include <string.h>
static char a[4096], b[4096];
int main(int argc, char** argv) {
  (void)argv;
  memset(a, 'a' + argc, sizeof a);
  memcpy(b, a, sizeof a);
  memmove(b + 1, b, 100);
  printf("bulk %c %c\n", b[0], b[4095]);
  return 0;
}
"""

# A loop clang vectorises with -msimd128 (f32x4 arithmetic).
SIMD_C = r"""
#include <stdio.h>
static float x[1024], y[1024];
int main(void) {
  for (int i = 0; i < 1024; i++) { x[i] = (float)i; y[i] = (float)(2 * i); }
  for (int i = 0; i < 1024; i++) x[i] += 3.0f * y[i];
  double s = 0;
  for (int i = 0; i < 1024; i++) s += x[i];
  printf("simd %.1f\n", s);
  return 0;
}
"""


def uleb(data, i):
    """(value, next index) of the unsigned LEB128 number at data[i]."""
    value = shift = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def sections(data):
    """[(id, name, whole section bytes, payload)] of a module, in file order."""
    out, i = [], 8
    names = {1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global", 7: "export",
             8: "start", 9: "element", 10: "code", 11: "data", 12: "datacount", 13: "tag"}
    while i < len(data):
        sid = data[i]
        size, start = uleb(data, i + 1)
        payload = data[start:start + size]
        name = names.get(sid)
        if sid == 0:
            n, k = uleb(payload, 0)
            name = payload[k:k + n].decode()
        out.append((sid, name, start + size - i, payload))
        i = start + size
    return out


def without_target_features(data):
    """The module without its target_features custom section (as wasm-bindgen and strip leave it)."""
    out, i = bytearray(data[:8]), 8
    while i < len(data):
        size, start = uleb(data, i + 1)
        end = start + size
        if data[i] == 0:
            n, k = uleb(data, start)
            if data[k:k + n] == b"target_features":
                i = end
                continue
        out += data[i:end]
        i = end
    return bytes(out)


def simd_instructions(path):
    """The SIMD instructions of a module's code, from wabt's disassembler."""
    proc = run(["wasm-objdump", "-d", path])
    if proc.returncode != 0:
        raise AssertionError(f"wasm-objdump -d {path} failed:\n{proc.stderr}")
    return [line for line in proc.stdout.splitlines()
            if re.search(r"\b(v128|[if](8x16|16x8|32x4|64x2))\.", line)]


class WasmSize(TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("clang", "wasm-opt", "node", "wasm-objdump"):
            if shutil.which(tool) is None:
                raise unittest.SkipTest(f"{tool} is not installed")
        cls.dir = fresh_dir("wasm-size")
        for name, text in (("hello.c", HELLO_C), ("bulk.c", BULK_C), ("simd.c", SIMD_C)):
            (cls.dir / name).write_text(text)
        cls.clang("-O0", "hello.c", "-o", "hello-O0.wasm")
        cls.clang("-O2", "hello.c", "-o", "nomax.wasm")
        cls.clang("-O2", "hello.c", "-Wl,--max-memory=131072", "-o", "max.wasm")
        cls.clang("-O2", "-mbulk-memory", "bulk.c", "-o", "bulk.wasm")
        cls.clang("-O2", "-msimd128", "simd.c", "-o", "simd.wasm")
        for name in ("bulk", "simd"):
            data = (cls.dir / f"{name}.wasm").read_bytes()
            (cls.dir / f"{name}-nofeatures.wasm").write_bytes(without_target_features(data))

    @classmethod
    def clang(cls, *args):
        proc = subprocess.run(["clang", "--target=wasm32-wasi", *args], cwd=cls.dir, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise AssertionError(f"clang {' '.join(args)} failed:\n{proc.stderr}")

    def path(self, name):
        return self.dir / name

    def wasi_run(self, module):
        proc = run(["node", "--no-warnings", RUNNER, module], cwd=self.dir)
        self.assertOk(proc, f"running {module}")
        return proc.stdout

    def optimize(self, *args):
        return helper("wasm", "optimize", *args, cwd=self.dir)

    def report(self, path):
        return json.loads(pathlib.Path(path).read_text())

    # --- wasm size --------------------------------------------------------------

    def test_size_matches_zlib_and_the_sections(self):
        for name in ("hello-O0.wasm", "bulk.wasm", "simd.wasm"):
            with self.subTest(module=name):
                data = self.path(name).read_bytes()
                proc = helper("wasm", "size", "--json", self.path(name))
                self.assertOk(proc)
                j = json.loads(proc.stdout)
                self.assertEqual(j["schema"], "buildbudget-wasm-size/1")
                self.assertEqual(j["raw"], len(data))
                # gzip: zlib deflate level 9, window 2^15, memLevel 8, gzip framing (wbits 31).
                deflater = zlib.compressobj(9, zlib.DEFLATED, 31)
                self.assertEqual(j["gzip"], len(deflater.compress(data) + deflater.flush()))
                self.assertLessEqual(abs(j["gzip"] - len(gzip.compress(data, 9))), 8)
                self.assertLess(j["brotli"], j["gzip"])
                self.assertLess(j["gzip"], j["raw"])
                # Sections: each whole section (id, size field, payload), summing to the file minus 8.
                self.assertEqual(sum(s["bytes"] for s in j["sections"]), len(data) - 8)
                self.assertEqual([(s["id"], s["name"], s["bytes"]) for s in j["sections"]],
                                 [(sid, sname, whole) for sid, sname, whole, _ in sections(data)])
                self.assertEqual(j["memory"]["initial_bytes"] % 65536, 0)

    def test_size_text(self):
        proc = helper("wasm", "size", self.path("max.wasm"))
        self.assertOk(proc)
        data = self.path("max.wasm").read_bytes()
        self.assertLine(proc.stdout, f"{self.path('max.wasm')}: WebAssembly module, {len(data)} bytes")
        self.assertMatchesLine(proc.stdout, r"Encoding\s+\|\s+Size \| Ratio to raw")
        self.assertMatchesLine(proc.stdout, r"gzip -9\s+\|\s+[\d.]+ KiB \(\d+\) \|\s+\d+\.\d%")
        self.assertMatchesLine(proc.stdout, r"Section\s+\|\s+Bytes \| % of file")
        code = [whole for sid, _, whole, _ in sections(data) if sid == 10][0]
        self.assertMatchesLine(proc.stdout, rf"code\s+\|\s+{code} \|\s+\d+\.\d%")
        self.assertMatchesLine(proc.stdout, r"Linear memory .* initial \(\d+ pages\), 128 KiB \(131072\) maximum \(2 pages\)")

    def test_size_of_a_malformed_module(self):
        data = self.path("max.wasm").read_bytes()
        self.path("cut.wasm").write_bytes(data[:len(data) // 2])
        proc = helper("wasm", "size", self.path("cut.wasm"))
        self.assertFails(proc)
        self.assertMatchesLine(proc.stderr, re.escape(f"buildbudget: error: {self.path('cut.wasm')}: ") +
                               r".* at byte offset \d+")
        self.assertEqual(proc.stdout, "")
        missing = helper("wasm", "size", self.path("missing.wasm"))
        self.assertFails(missing)
        self.assertLine(missing.stderr, f"buildbudget: error: {self.path('missing.wasm')}: cannot read: No such file or directory")

    # --- wasm optimize ------------------------------------------------------------

    def test_skip_brotli_measures_brotli_only_for_a_brotli_limit(self):
        # What wasm_build_target() passes: the build pays for brotli -q 11 only when it holds a limit.
        proc = self.optimize("--input", "hello-O0.wasm", "--output", "out/skip.wasm", "--level", "none",
                             "--name", "skip", "--skip-brotli", "--report", "out/skip.size.json")
        self.assertOk(proc)
        self.assertMatchesLine(proc.stdout, re.escape("skip: out/skip.wasm is ") + r"[^,]* raw, [^,]* gzip "
                               r"\(not optimised \(--level none\)\); linear memory .*")
        rep = self.report(self.path("out/skip.size.json"))
        self.assertIsNone(rep["brotli"])
        self.assertEqual(rep["gzip"], len(gzip.compress(self.path("out/skip.wasm").read_bytes(), 9, mtime=0)))
        limited = self.optimize("--input", "hello-O0.wasm", "--output", "out/limited.wasm", "--level", "none",
                                "--name", "limited", "--skip-brotli", "--max-brotli-size", "1MB",
                                "--report", "out/limited.size.json")
        self.assertOk(limited)
        rep = self.report(self.path("out/limited.size.json"))
        self.assertIsInstance(rep["brotli"], int)
        self.assertLess(rep["brotli"], rep["gzip"])
        self.assertEqual([(l["kind"], l["actual_bytes"]) for l in rep["limits"]], [("brotli", rep["brotli"])])

    def test_optimize_shrinks_and_keeps_the_module_runnable(self):
        before = self.path("hello-O0.wasm").read_bytes()
        proc = self.optimize("--input", "hello-O0.wasm", "--output", "out/hello.wasm", "--level", "size",
                             "--name", "hello", "--strip", "--report", "out/hello.size.json")
        self.assertOk(proc)
        after = self.path("out/hello.wasm").read_bytes()
        self.assertLess(len(after), len(before) // 2)
        self.assertEqual(self.wasi_run("out/hello.wasm"), self.wasi_run("hello-O0.wasm"))
        self.assertMatchesLine(proc.stdout, re.escape("hello: out/hello.wasm is ") + r".* raw, .* gzip, .* brotli "
                               r"\(wasm-opt -Oz, from .*\); linear memory .*")
        rep = self.report(self.path("out/hello.size.json"))
        self.assertEqual(rep["schema"], "buildbudget-wasm-size/1")
        self.assertEqual((rep["name"], rep["file"], rep["raw"], rep["input_raw"]),
                         ("hello", "out/hello.wasm", len(after), len(before)))
        # Stripped first, then the -Oz passes: wasm-opt runs them in command-line order.
        flags = rep["wasm_opt"]["flags"]
        self.assertEqual(flags[-3:], ["--strip-debug", "--strip-producers", "-Oz"])
        self.assertNotIn("--low-memory-unused", flags)  # only when asked for
        self.assertNotIn("producers", [s["name"] for s in rep["sections"]])
        self.assertEqual(rep["limits"], [])
        self.assertTrue(rep["passed"])
        # No temporary file is left beside the output.
        self.assertEqual(sorted(p.name for p in self.path("out").iterdir()), ["hello.size.json", "hello.wasm"])

    def test_levels(self):
        for level, flag in (("speed", "-O3"), ("balanced", "-O2")):
            with self.subTest(level=level):
                proc = self.optimize("--input", "hello-O0.wasm", "--output", f"levels/{level}.wasm", "--level",
                                     level, "--json")
                self.assertOk(proc)
                self.assertEqual(json.loads(proc.stdout)["wasm_opt"]["flags"][-1], flag)
                self.assertEqual(self.wasi_run(f"levels/{level}.wasm"), self.wasi_run("hello-O0.wasm"))
        none = self.optimize("--input", "max.wasm", "--output", "levels/none.wasm", "--level", "none",
                             "--wasm-opt", "/nonexistent")
        self.assertOk(none)
        self.assertEqual(self.path("levels/none.wasm").read_bytes(), self.path("max.wasm").read_bytes())

    def test_low_memory_unused_reaches_wasm_opt(self):
        # The caller says the first KiB of memory is unused (clang's layout); wasm-opt gets the flag.
        proc = self.optimize("--input", "hello-O0.wasm", "--output", "lmu/hello.wasm", "--level", "size",
                             "--strip", "--low-memory-unused", "--json")
        self.assertOk(proc)
        self.assertEqual(json.loads(proc.stdout)["wasm_opt"]["flags"][-2:], ["--low-memory-unused", "-Oz"])
        self.assertEqual(self.wasi_run("lmu/hello.wasm"), self.wasi_run("hello-O0.wasm"))

    def test_unchanged_output_keeps_its_mtime(self):
        args = ("--input", "max.wasm", "--output", "same/max.wasm", "--report", "same/max.size.json",
                "--max-size", "1MB")
        self.assertOk(self.optimize(*args))
        for name in ("max.wasm", "max.size.json"):
            os.utime(self.path("same") / name, (1_000_000_000, 1_000_000_000))
        self.assertOk(self.optimize(*args))
        for name in ("max.wasm", "max.size.json"):
            self.assertEqual((self.path("same") / name).stat().st_mtime, 1_000_000_000, name)

    def test_bulk_memory_module_gets_its_flag(self):
        # Without a target_features section, wasm-opt 108 alone rejects memory.copy/memory.fill ...
        plain = run(["wasm-opt", "-Oz", "bulk-nofeatures.wasm", "-o", "plain-out.wasm"], cwd=self.dir)
        self.assertNotEqual(plain.returncode, 0, plain.stdout + plain.stderr)
        self.assertIn("bulk memory is disabled", plain.stdout + plain.stderr)
        # ... and the helper passes --enable-bulk-memory, from the section or from the module itself.
        expected = self.wasi_run("bulk.wasm")
        for name in ("bulk.wasm", "bulk-nofeatures.wasm"):
            with self.subTest(module=name):
                out = f"bulk-out/{name}"
                proc = self.optimize("--input", name, "--output", out, "--json")
                self.assertOk(proc)
                rep = json.loads(proc.stdout)
                self.assertIn("--enable-bulk-memory", rep["wasm_opt"]["flags"])
                self.assertIn("bulk-memory", [f["name"] for f in rep["features"]])
                self.assertEqual(self.wasi_run(out), expected)

    def test_simd_module_keeps_its_simd(self):
        self.assertTrue(simd_instructions(self.path("simd.wasm")), "clang did not vectorise simd.c")
        plain = run(["wasm-opt", "-O3", "simd-nofeatures.wasm", "-o", "plain-simd.wasm"], cwd=self.dir)
        self.assertNotEqual(plain.returncode, 0, "wasm-opt without --enable-simd accepted SIMD")
        expected = self.wasi_run("simd.wasm")
        for name in ("simd.wasm", "simd-nofeatures.wasm"):
            with self.subTest(module=name):
                out = f"simd-out/{name}"
                proc = self.optimize("--input", name, "--output", out, "--level", "speed", "--json")
                self.assertOk(proc)
                self.assertIn("--enable-simd", json.loads(proc.stdout)["wasm_opt"]["flags"])
                self.assertTrue(simd_instructions(self.path(out)), f"{out} has no SIMD instructions left")
                self.assertEqual(self.wasi_run(out), expected)

    def test_over_the_limits(self):
        out = self.path("over/hello.wasm")
        out.parent.mkdir(exist_ok=True)
        out.write_bytes(b"stale output of an earlier build")
        proc = self.optimize("--input", "hello-O0.wasm", "--output", "over/hello.wasm", "--name", "demo", "--strip",
                             "--max-size", "1KB", "--max-gzip-size", "1.5MB", "--max-brotli-size", "100",
                             "--report", "over/hello.size.json")
        self.assertFails(proc)
        self.assertMatchesLine(proc.stdout, r"Component\s+\| +Target Size \| +Actual Size \| ✓/✗")
        raw = re.search(r"^demo \(raw\) +\| +1 KiB \(1024\) \| +[\d.]+ KiB \((\d+)\) \| ✗$", proc.stdout, re.M)
        self.assertIsNotNone(raw, proc.stdout)
        self.assertMatchesLine(proc.stdout, r"demo \(gzip\) +\| +1\.5 MiB \(1572864\) \| +[\d.]+ KiB \(\d+\) \| ✓")
        brotli = re.search(r"^demo \(brotli\) +\| +100 B \(100\) \| +[\d.]+ KiB \((\d+)\) \| ✗$", proc.stdout, re.M)
        self.assertIsNotNone(brotli, proc.stdout)
        actual = int(raw.group(1))
        self.assertEqual(proc.stderr.splitlines(), [
            f"buildbudget: error: demo: raw size {actual} bytes is over its limit of 1024 bytes by {actual - 1024} bytes",
            f"buildbudget: error: demo: brotli size {brotli.group(1)} bytes is over its limit of 100 bytes by "
            f"{int(brotli.group(1)) - 100} bytes",
        ])
        # No output: not the new module, not its temporary file, not the stale one, no report.
        self.assertEqual(list(out.parent.iterdir()), [])
        # The same limits as JSON.
        as_json = self.optimize("--input", "hello-O0.wasm", "--output", "over/hello.wasm", "--name", "demo",
                                "--strip", "--max-size", "1KB", "--json")
        self.assertFails(as_json)
        rep = json.loads(as_json.stdout)
        self.assertEqual(rep["limits"], [{"kind": "raw", "limit_bytes": 1024, "actual_bytes": actual, "passed": False}])
        self.assertFalse(rep["passed"])

    def test_memory_budget(self):
        ok = self.optimize("--input", "max.wasm", "--output", "mem/max.wasm", "--name", "app",
                           "--memory-budget", "128KB")
        self.assertOk(ok)
        self.assertMatchesLine(ok.stdout, r"app \(linear memory\) \| 128 KiB \(131072\) \| 128 KiB \(131072\) \| ✓")
        over = self.optimize("--input", "max.wasm", "--output", "mem/max.wasm", "--name", "app",
                             "--memory-budget", "64KB")
        self.assertFails(over)
        self.assertMatchesLine(over.stdout, r"app \(linear memory\) \| 64 KiB \(65536\) \| 128 KiB \(131072\) \| ✗")
        self.assertLine(over.stderr, "buildbudget: error: app: linear memory size 131072 bytes is over its limit of 65536 bytes "
                                     "by 65536 bytes")
        self.assertFalse(self.path("mem/max.wasm").exists())
        nomax = self.optimize("--input", "nomax.wasm", "--output", "mem/nomax.wasm", "--name", "app",
                              "--memory-budget", "16MB")
        self.assertFails(nomax)
        self.assertMatchesLine(nomax.stdout, r"app \(linear memory\) \| 16 MiB \(16777216\) \| +no maximum \| ✗")
        self.assertMatchesLine(nomax.stderr, r"buildbudget: error: app: linear memory has no maximum \(initial \d+ bytes\), so it "
                                             r"can grow past its limit of 16777216 bytes; .*")
        self.assertFalse(self.path("mem/nomax.wasm").exists())

    def test_missing_wasm_opt(self):
        proc = self.optimize("--input", "max.wasm", "--output", "missing/max.wasm", "--wasm-opt", "/nonexistent")
        self.assertFails(proc)
        self.assertEqual(proc.stderr, 'buildbudget: error: wasm-opt not found (looked for "/nonexistent"): install binaryen '
                                      "(apt-get install binaryen) or pass its path\n")
        self.assertFalse(self.path("missing").exists() and any(self.path("missing").iterdir()))

    def test_wasm_opt_failure_is_passed_through(self):
        failing = self.path("failing-wasm-opt")
        failing.write_text("#!/bin/sh\necho 'boom: this is wasm-opt speaking' >&2\nexit 3\n")
        failing.chmod(failing.stat().st_mode | stat.S_IXUSR)
        proc = self.optimize("--input", "max.wasm", "--output", "fail/max.wasm", "--level", "speed",
                             "--wasm-opt", failing)
        self.assertFails(proc)
        self.assertEqual(proc.stderr, "buildbudget: error: wasm-opt failed (exit 3) on max.wasm:\nboom: this is wasm-opt speaking\n")
        self.assertFalse(self.path("fail/max.wasm").exists())
        # The real wasm-opt's own validator message, when it is run without the module's features.
        featureless = self.path("featureless-wasm-opt")
        featureless.write_text("#!/bin/sh\nfor a; do shift; case $a in --enable-*) ;; *) set -- \"$@\" \"$a\";; esac; done\n"
                               "exec wasm-opt \"$@\"\n")
        featureless.chmod(featureless.stat().st_mode | stat.S_IXUSR)
        real = self.optimize("--input", "bulk-nofeatures.wasm", "--output", "fail/bulk.wasm", "--wasm-opt", featureless)
        self.assertFails(real)
        direct = run(["wasm-opt", "bulk-nofeatures.wasm", "-Oz", "-o", "direct.wasm"], cwd=self.dir)
        self.assertEqual(direct.returncode, 1)
        self.assertIn("(bulk memory is disabled)", direct.stderr)
        self.assertTrue(direct.stderr.endswith("Fatal: error validating input\n"), direct.stderr)
        self.assertEqual(real.stderr, "buildbudget: error: wasm-opt failed (exit 1) on bulk-nofeatures.wasm:\n" + direct.stderr)
        self.assertFalse(self.path("fail/bulk.wasm").exists())

    def test_unreadable_input(self):
        self.path("notwasm.wasm").write_text("not a module\n")
        proc = self.optimize("--input", "notwasm.wasm", "--output", "bad/x.wasm")
        self.assertFails(proc)
        self.assertMatchesLine(proc.stderr, r"buildbudget: error: notwasm\.wasm: .* at byte offset 0")

    def test_usage_errors(self):
        for args, option in ((("--max-size", "12QB"), "--max-size"), (("--max-gzip-size", "-1"), "--max-gzip-size"),
                             (("--memory-budget", "lots"), "--memory-budget"), (("--level", "fast"), "--level"),
                             (("--enable", "bogus"), "--enable")):
            with self.subTest(option=option):
                proc = self.optimize("--input", "max.wasm", "--output", "usage/x.wasm", *args)
                self.assertFails(proc, 2)
                self.assertIn(option, proc.stderr)
                self.assertFalse(self.path("usage").exists())


if __name__ == "__main__":
    unittest.main()
