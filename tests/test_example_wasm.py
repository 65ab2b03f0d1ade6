"""examples/wasm-module, built against the installed package as its README says."""
import json
import re
import unittest

from support import SOURCE_DIR, TestCase, build, configure, fresh_dir, run


class WasmModuleExample(TestCase):
    def test_builds_within_its_budgets_and_its_tests_pass(self):
        bld = fresh_dir("example-wasm", "build")
        self.assertOk(configure(SOURCE_DIR / "examples" / "wasm-module", bld))
        out = build(bld)
        self.assertOk(out)
        limits = {"imgproc": {"raw": 64 * 1024, "gzip": 24 * 1024}, "imgproc.simd": {"raw": 64 * 1024, "gzip": 24 * 1024},
                  "hasher": {"raw": 32 * 1024, "brotli": 8 * 1024}}
        for module, kinds in limits.items():
            report = json.loads((bld / f"{module}.wasm.size.json").read_text())
            for kind, limit in kinds.items():
                with self.subTest(module=module, kind=kind):
                    self.assertLessEqual(report[kind], limit)
                    # The table the build printed shows the same figure.
                    self.assertRegex(out.stdout, rf"{re.escape(module)} \({kind}\)\s+\|[^|]+\|[^|]*\({report[kind]}\) \| ✓")
        self.assertEqual(json.loads((bld / "imgproc.wasm.size.json").read_text())["memory"]["maximum_bytes"], 2 * 1024 * 1024)
        tests = run(["ctest", "--test-dir", bld, "--output-on-failure"])
        self.assertOk(tests)
        self.assertIn("100% tests passed, 0 tests failed out of 5", tests.stdout)  # 4 and buildbudget.report
        # The packages, and the analysis of the modules they hold.
        for package, files in (("wasm_module", {"imgproc.wasm", "hasher.wasm"}),
                               ("wasm_module_unified", {"wasm_module_unified.wasm"})):
            manifest = json.loads((bld / f"{package}.npm" / "package.json").read_text())
            self.assertEqual({f for f in manifest["files"] if f.endswith(".wasm")}, files)
            for f in manifest["files"]:
                self.assertTrue((bld / f"{package}.npm" / f).is_file(), f)
        analysis = json.loads((bld / "wasm-analysis.json").read_text())
        self.assertEqual(analysis["schema"], "buildbudget-wasm-analysis/1")
        self.assertEqual([m["raw"] for m in analysis["modules"]],
                         [(bld / "imgproc.wasm").stat().st_size, (bld / "hasher.wasm").stat().st_size])
        self.assertIn("blur", (bld / "wasm-analysis.html").read_text())


if __name__ == "__main__":
    unittest.main()
