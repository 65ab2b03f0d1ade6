"""The helper's diagnostics that no line of a file locates are written in the program-name form GCC
uses ("gcc: error: ..."): `buildbudget: error: <input>: <problem>` (also `warning`, `note`), so a
build log says which tool wrote them and they are not taken for the compiler's (doc/messages.md).
One bad input for each command, each line of its stderr checked."""
import unittest

from support import TestCase, clean_env, fresh_dir, helper

# A WebAssembly module with no sections: valid, and enough for every wasm command to read it.
EMPTY_MODULE = b"\0asm\1\0\0\0"


class ProgramNamePrefix(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = fresh_dir("diagnostics")
        (cls.dir / "empty.wasm").write_bytes(EMPTY_MODULE)
        (cls.dir / "empty-build").mkdir()

    def assertDiagnostics(self, stderr, severity, what):
        """Each line of `stderr` is a `buildbudget: <severity>: ` line, and one at least of `severity`."""
        lines = stderr.splitlines()
        for line in lines:
            self.assertRegex(line, r"^buildbudget: (error|warning|note): ", what)
        self.assertTrue(any(line.startswith(f"buildbudget: {severity}: ") for line in lines), f"{what}: {stderr!r}")

    def test_each_command_names_itself_in_its_errors(self):
        cases = [
            (["size", "--what", "MAX_SIZE", "12XB"], '"12XB"'),
            (["footprint", "nosuch.a"], "nosuch.a"),
            (["footprint", "--budget", "nosuch.json", "--artifact", "a=b.a"], "nosuch.json"),
            (["freestanding", "--artifact", "a=nosuch.a"], "nosuch.a"),
            (["peak", "--budget", "nosuch.json", "--component", "c", "--", "true"], "nosuch.json"),
            (["wasm", "size", "missing.wasm"], "missing.wasm"),
            (["wasm", "optimize", "--input", "missing.wasm", "--output", "out.wasm"], "missing.wasm"),
            (["wasm", "optimize", "--input", "empty.wasm", "--output", "out.wasm", "--wasm-opt", "/nonexistent"],
             "/nonexistent"),
            (["wasm", "analyze", "missing.wasm"], "missing.wasm"),
            (["wasm", "analyze", "empty.wasm", "--baseline", "nosuch.json"], "nosuch.json"),
            (["wasm", "dts", "missing.wasm"], "missing.wasm"),
            (["wasm", "exports", "missing.wasm"], "missing.wasm"),
            (["wasm", "loader-names", "--", "img-proc", "img_proc"], "img_proc"),
            (["wasm", "cargo-select", "--metadata", "nosuch.json", "--manifest", "Cargo.toml", "--cmake-out",
              "out.cmake"], "nosuch.json"),
            (["buildmem", "launch", "--plan", "nosuch.json", "--kind", "compile", "--", "true"], "nosuch.json"),
            (["presets", "--project-dir", "nosuch-dir"], "nosuch-dir"),
            (["report", "--build-dir", "empty-build", "--baseline", "nosuch.json"], "nosuch.json"),
        ]
        for args, named in cases:
            with self.subTest(args=" ".join(args)):
                proc = helper(*args, cwd=self.dir)
                self.assertFails(proc, 1, " ".join(args))
                self.assertDiagnostics(proc.stderr, "error", " ".join(args))
                self.assertIn(named, proc.stderr)

    def test_a_warning_names_the_helper(self):
        proc = helper("report", "--build-dir", "empty-build", cwd=self.dir)
        self.assertOk(proc)
        self.assertDiagnostics(proc.stderr, "warning", "report")
        self.assertIn("empty-build: no budget checks, wasm size reports or job log found", proc.stderr)
        env = {k: v for k, v in clean_env().items() if k not in ("HOME", "XDG_CACHE_HOME")}
        proc = helper("wasm", "analyze", "empty.wasm", cwd=self.dir, env=env)
        self.assertOk(proc)
        self.assertEqual(proc.stderr, "buildbudget: warning: the compressed sizes are not cached: neither "
                                      "XDG_CACHE_HOME nor HOME is set\n")


if __name__ == "__main__":
    unittest.main()
