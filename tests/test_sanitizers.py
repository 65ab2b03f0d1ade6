"""The helper under AddressSanitizer and UndefinedBehaviorSanitizer, and a bounded libFuzzer run of its
WebAssembly reader, as doc/layout.md, "Sanitizers and fuzzing" describes them. The helper is
configured on its own (tools/buildbudget) with clang, BUILDBUDGET_SANITIZE, BUILDBUDGET_HELPER_TESTS
and BUILDBUDGET_FUZZ, unoptimised (Debug: -O0 compiles in a third of the time of -O2 under the
sanitizers, and hides nothing from them), with line tables only (-gline-tables-only: all the
sanitizers' reports need, 316 against 357 s of CPU to build with -g). The unit tests run in one
process (17 s under the sanitizers, against 67 s for ctest's one process per test).

BUILDBUDGET_FUZZ_SECONDS sets how long the fuzzer runs (default 60)."""
import os
import re
import shutil
import unittest

from support import CMAKE, SOURCE_DIR, TestCase, build, fresh_dir, run

HELPER_SOURCE = SOURCE_DIR / "tools" / "buildbudget"


class Sanitized(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bld = fresh_dir("sanitized", "build")
        cls.configured = run([CMAKE, "-S", HELPER_SOURCE, "-B", cls.bld, "-G", "Ninja",
                              "-DCMAKE_CXX_COMPILER=clang++", "-DCMAKE_BUILD_TYPE=Debug",
                              "-DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only",
                              "-DBUILDBUDGET_SANITIZE=ON", "-DBUILDBUDGET_HELPER_TESTS=ON", "-DBUILDBUDGET_FUZZ=ON"])
        cls.built = build(cls.bld) if cls.configured.returncode == 0 else None

    def setUp(self):
        self.assertOk(self.configured, "configure")
        self.assertOk(self.built, "build")

    def test_unit_tests_pass_under_asan_and_ubsan(self):
        out = run([self.bld / "tests" / "buildbudget_unit_tests"])
        self.assertOk(out)
        self.assertRegex(out.stdout, r"(?m)^\[  PASSED  \] \d{3,} tests\.$")
        self.assertNotIn("FAILED", out.stdout)
        self.assertNotIn("runtime error:", out.stdout + out.stderr)  # UBSan's report

    def test_sanitized_helper_reads_real_and_broken_modules(self):
        helper = self.bld / "buildbudget"
        corpus = HELPER_SOURCE / "fuzz" / "corpus"
        for module in sorted(corpus.glob("*.wasm")):
            with self.subTest(module=module.name):
                self.assertOk(run([helper, "wasm", "size", module]))
                self.assertOk(run([helper, "footprint", module]))
                cut = fresh_dir("sanitized", "cut") / module.name
                data = module.read_bytes()
                for length in (9, len(data) // 3, len(data) - 1):
                    cut.write_bytes(data[:length])
                    proc = run([helper, "wasm", "size", cut])
                    self.assertEqual(proc.returncode, 1, proc.stderr)
                    self.assertRegex(proc.stderr, r"at byte offset \d+")
                    self.assertNotIn("ERROR: AddressSanitizer", proc.stderr)

    def test_bounded_fuzzing_of_the_wasm_reader_finds_nothing(self):
        seconds = int(os.environ.get("BUILDBUDGET_FUZZ_SECONDS", "60"))
        # libFuzzer adds the inputs it finds to the first corpus directory: give it a copy.
        corpus = fresh_dir("sanitized", "corpus")
        for module in (HELPER_SOURCE / "fuzz" / "corpus").glob("*.wasm"):
            shutil.copy(module, corpus)
        proc = run([self.bld / "wasm_reader_fuzzer", f"-max_total_time={seconds}", "-timeout=10",
                    "-rss_limit_mb=2048", "-max_len=65536", corpus])
        self.assertOk(proc, "wasm_reader_fuzzer")
        self.assertRegex(proc.stderr, r"Done \d+ runs in \d+ second")
        runs = int(re.search(r"Done (\d+) runs", proc.stderr).group(1))
        self.assertGreater(runs, 1000)


if __name__ == "__main__":
    unittest.main()
