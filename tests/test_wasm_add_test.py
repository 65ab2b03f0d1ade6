"""wasm_add_test() (doc/wasm.md): a module's failing exit code fails its test with or without
PASS_REGULAR_EXPRESSION, the regular expressions work as CTest's own (any one of them, stdout and stderr
merged), the module's output stays visible, and a module with Emscripten's JavaScript glue (C++
exceptions) runs through its glue under Node.js. test-projects/wasm-add-test is built once against the
installed package with the real clang for wasm32-wasi, emcc and Node.js; each test is then run by ctest."""
import json
import re
import shutil
import unittest

from support import TestCase, build, configure, copy_project, run


class AddTest(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = copy_project("wasm-add-test", "built", "src")
        cls.bld = cls.src.parent / "build"
        shutil.rmtree(cls.bld, ignore_errors=True)  # never test what an earlier run built
        configured = configure(cls.src, cls.bld)
        if configured.returncode != 0:
            raise AssertionError(f"configure failed:\n{configured.stdout}\n{configured.stderr}")
        built = build(cls.bld)
        if built.returncode != 0:
            raise AssertionError(f"build failed:\n{built.stdout}\n{built.stderr}")

    def ctest(self, name):
        """Runs the one test <name> with --output-on-failure; returns (passed, ctest's output)."""
        proc = run(["ctest", "--test-dir", self.bld, "-R", f"^{name}$", "--output-on-failure"])
        self.assertRegex(proc.stdout, rf"{name} \.+")  # it ran
        return proc.returncode == 0, proc.stdout + proc.stderr

    def test_failing_exit_fails_although_the_output_matches(self):
        passed, out = self.ctest("text_exit_3")
        self.assertFalse(passed, out)
        self.assertIn("expected text", out)  # the module's own output is shown
        self.assertIn(f"wasm_add_test(text_exit_3): {self.bld / 'exit_code.wasm'} exited with 3", re.sub(r"\s+", " ", out))

    def test_exit_0_with_the_text_passes(self):
        passed, out = self.ctest("text_exit_0")
        self.assertTrue(passed, out)

    def test_exit_0_without_the_text_fails(self):
        passed, out = self.ctest("no_text_exit_0")
        self.assertFalse(passed, out)
        self.assertIn("other text", out)
        self.assertIn("wasm_add_test(no_text_exit_0): the output matches none of PASS_REGULAR_EXPRESSION: "
                      "[expected text]", re.sub(r"\s+", " ", out))

    def test_stderr_counts_and_nothing_is_added_to_the_output(self):
        passed, out = self.ctest("stderr_text_exit_0")  # "^expected text\n$": the whole output
        self.assertTrue(passed, out)

    def test_any_one_of_the_expressions_passes_and_escapes_survive(self):
        passed, out = self.ctest("second_regex")
        self.assertTrue(passed, out)

    def test_without_a_regular_expression_the_exit_code_decides(self):
        self.assertFalse(self.ctest("no_regex_exit_3")[0])
        self.assertTrue(self.ctest("no_regex_exit_0")[0])

    def test_emscripten_glue_runs_under_node_with_its_exit_code(self):
        passed, out = self.ctest("throws_exit_0")
        self.assertTrue(passed, out)
        passed, out = self.ctest("throws_exit_3")
        self.assertFalse(passed, out)
        self.assertIn("caught: thrown 3", out)  # the glue ran the module, and its exception was caught
        self.assertIn(f"wasm_add_test(throws_exit_3): {self.bld / 'throws.wasm'} exited with 3", re.sub(r"\s+", " ", out))
        self.assertTrue(self.ctest("throws_no_regex")[0])
        # The glue, not the WASI runner, with the flag Emscripten 3.1's glue needs under Node.js 18+.
        shown = json.loads(run(["ctest", "--test-dir", self.bld, "--show-only=json-v1"]).stdout)
        commands = {t["name"]: t["command"] for t in shown["tests"]}
        self.assertEqual(commands["throws_no_regex"][1:], ["--no-experimental-fetch", str(self.bld / "throws.js"), "0"])


if __name__ == "__main__":
    unittest.main()
