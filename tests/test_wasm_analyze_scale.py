"""`buildbudget wasm analyze` on the largest modules found inside npm packages
(doc/helper-wasm-analyze.md, "Speed"), checked against wabt's wasm-objdump, an independent reading:
every section, every function's body size and signature, every export, every data segment, the
memory; and the helper's peak memory (maximum resident set size of its process) below twice the
module's size. How fast it is, is measured in bench/wasm_analyze.py, not asserted here.

Modules, fetched with `npm pack` at pinned versions and checked against the registry's sha1, into
the cache the other tests use (support.fetch_npm_module):
- @duckdb/duckdb-wasm 1.32.0's duckdb-mvp.wasm: Emscripten (MAIN_MODULE), 39 MB, 62,171 functions
  named by 75,111 exports, the largest found;
- z3-solver 5.2.0's z3-built.wasm: Emscripten with threads (a shared memory), 35 MB, 39,481
  functions with a name section;
- @ffmpeg/core 0.12.10's ffmpeg-core.wasm: Emscripten, 32 MB, 22,209 functions, 28,951 data segments;
- onnxruntime-web 1.31.1's ort-wasm-simd-threaded.jsep.wasm: 30 MB, SIMD (v128 instructions, no
  target_features section) and threads (an imported shared memory), 18,677 functions, one of them
  1.6 MB."""
import json
import os
import pathlib
import subprocess
import tempfile
import unittest

import support
from support import TestCase
from test_wasm_analyze import OBJDUMP_KINDS, objdump_details, objdump_sections

# Pinned packages: (spec, tarball name, sha1 as the registry publishes it, member to extract).
# The largest modules (>= 25 MB) among the npm packages looked at (@ffmpeg/core(-mt), onnxruntime-web,
# @mediapipe/tasks-genai, @duckdb/duckdb-wasm, z3-solver and others; bench/README.md); @ffmpeg/core-mt's
# 32.7 MB module is the same code as @ffmpeg/core's built with threads.
LARGE_NPM_PACKAGES = {
    "duckdb-mvp.wasm": ("@duckdb/duckdb-wasm@1.32.0", "duckdb-duckdb-wasm-1.32.0.tgz",
                        "199ebbca6c302eba7bb0a458aacd34ccf8518335", "package/dist/duckdb-mvp.wasm"),
    "z3-built.wasm": ("z3-solver@5.2.0", "z3-solver-5.2.0.tgz", "4bcb1fa1f9d78d1ef6fe717f1f71c0c251cc3896",
                      "package/build/z3-built.wasm"),
    "ffmpeg-core.wasm": ("@ffmpeg/core@0.12.10", "ffmpeg-core-0.12.10.tgz", "3177e88852bfbfaad5d258e9e0ac1fd9dffd3223",
                         "package/dist/esm/ffmpeg-core.wasm"),
    "ort-wasm-simd-threaded.jsep.wasm": ("onnxruntime-web@1.31.1", "onnxruntime-web-1.31.1.tgz",
                                         "309e196c733e90a038e0380867dde308a994de92",
                                         "package/dist/ort-wasm-simd-threaded.jsep.wasm"),
}


def fetch_large_module(name, cache_dir=support.NPM_CACHE_DIR):
    """The module `name` of LARGE_NPM_PACKAGES, through support's pinned, sha1-checked, cached npm fetch."""
    return support.fetch_npm_module(name, LARGE_NPM_PACKAGES[name], cache_dir)


def run_alone(cmd):
    """(stdout bytes, stderr text, exit code, peak RSS in bytes) of `cmd`, through GNU time
    (`%M`: the maximum resident set size of that one process, in KiB). Not os.wait4 on a child of
    this process: a forked child's ru_maxrss starts at its parent's size (Linux keeps the high-water
    mark across exec), and this test holds wasm-objdump's whole listing in memory."""
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = pathlib.Path(tmp) / "rss"
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file, *cmd], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        return proc.stdout, proc.stderr.decode(errors="replace"), proc.returncode, int(rss_file.read_text()) * 1024


class WasmAnalyzeScale(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.modules = {name: fetch_large_module(name) for name in LARGE_NPM_PACKAGES}
        cls.reports, cls.peak_rss, cls.objdump = {}, {}, {}
        for name, path in cls.modules.items():
            stdout, stderr, code, peak = run_alone([os.environ["BUILDBUDGET_HELPER"], "wasm", "analyze",
                                                    "--no-compression", "--json", path])
            if code != 0:
                raise AssertionError(f"analyze {name} failed ({code}):\n{stderr}")
            cls.reports[name] = json.loads(stdout)["modules"][0]
            cls.peak_rss[name] = peak
            cls.objdump[name] = objdump_details(path)

    def test_sections_match_objdump(self):
        for name, path in self.modules.items():
            with self.subTest(module=name):
                m = self.reports[name]
                expected = objdump_sections(path)
                self.assertEqual(m["raw"], path.stat().st_size)
                self.assertEqual([(s["name"], s["custom"], s["offset"], s["bytes"], s["payload_bytes"])
                                  for s in m["sections"]],
                                 [(s["name"], s["custom"], s["offset"], s["bytes"], s["payload"]) for s in expected])
                counts = {s["name"]: s["count"] for s in expected if not s["custom"]}
                self.assertEqual((m["counts"]["types"], m["counts"]["imports"], m["counts"]["exports"],
                                  m["counts"]["functions"], m["counts"]["data_segments"]),
                                 (counts.get("type", 0), counts.get("import", 0), counts.get("export", 0),
                                  counts.get("code", 0), counts.get("data", 0)))

    def test_functions_match_objdump(self):
        expected_counts = {"duckdb-mvp.wasm": 62171, "z3-built.wasm": 39481, "ffmpeg-core.wasm": 22209,
                           "ort-wasm-simd-threaded.jsep.wasm": 18677}
        for name in self.modules:
            with self.subTest(module=name):
                m, d = self.reports[name], self.objdump[name]
                self.assertEqual(len(m["functions"]), expected_counts[name])
                self.assertEqual([(f["index"], f["body_bytes"]) for f in m["functions"]],
                                 [(index, size) for index, size, _ in d["code"]])
                self.assertEqual([f["signature"] for f in m["functions"]],
                                 [d["types"][d["sigs"][index]] for index, _, _ in d["code"]])
                self.assertEqual([(e["name"], e["kind"], e["index"]) for e in m["exports"]],
                                 [(n, OBJDUMP_KINDS[k], i) for n, k, i in d["exports"]])
        # The SIMD module's largest function, the one that made the old reader slow.
        largest = max(f["body_bytes"] for f in self.reports["ort-wasm-simd-threaded.jsep.wasm"]["functions"])
        self.assertGreater(largest, 1_500_000)

    def test_data_segments_and_memory_match_objdump(self):
        for name in self.modules:
            with self.subTest(module=name):
                m, d = self.reports[name], self.objdump[name]
                self.assertEqual([(s["index"], s["bytes"], s["mode"] == "passive") for s in m["data_segments"]],
                                 [(s["index"], s["bytes"], s["passive"]) for s in d["data"]])
                self.assertEqual([s["address"] for s in m["data_segments"] if s["mode"] == "active"],
                                 [s["address"] for s in d["data"] if not s["passive"]])
        self.assertEqual(len(self.reports["ffmpeg-core.wasm"]["data_segments"]), 28951)
        ffmpeg = self.reports["ffmpeg-core.wasm"]
        initial, maximum = self.objdump["ffmpeg-core.wasm"]["memories"][0]
        self.assertEqual((ffmpeg["memory"]["imported"], ffmpeg["memory"]["initial_pages"],
                          ffmpeg["memory"]["maximum_pages"], ffmpeg["memory"]["shared"]),
                         (False, initial, maximum, False))
        self.assertIn("simd128", ffmpeg["target_features"])
        # onnxruntime's memory is imported and shared: wasm-objdump's import line says so.
        ort = self.reports["ort-wasm-simd-threaded.jsep.wasm"]
        memory_import = [i for i in self.objdump["ort-wasm-simd-threaded.jsep.wasm"]["imports"]
                         if i.startswith("memory[")]
        self.assertEqual(len(memory_import), 1)
        self.assertRegex(memory_import[0], r"^memory\[0\] pages: initial=256 max=65536 shared <- ")
        self.assertEqual((ort["memory"]["imported"], ort["memory"]["initial_pages"], ort["memory"]["maximum_pages"],
                          ort["memory"]["shared"]), (True, 256, 65536, True))

    def test_peak_memory_is_below_twice_the_module(self):
        for name, path in self.modules.items():
            with self.subTest(module=name):
                size = path.stat().st_size
                self.assertLess(self.peak_rss[name], 2 * size,
                                f"peak RSS {self.peak_rss[name]} bytes for a module of {size} bytes")


if __name__ == "__main__":
    unittest.main()
