"""The package's templates/ (templates/README.md): installed beside the modules, found by the
installed helper from its own location before the source tree's, and a missing one is an error
naming every path searched."""
import os
import pathlib
import shutil
import unittest

from support import PREFIX, SOURCE_DIR, TestCase, clean_env, fresh_dir, run

TEMPLATES = SOURCE_DIR / "templates"
INSTALLED = pathlib.Path(PREFIX) / "lib" / "cmake" / "BuildBudget" / "templates"
# The smallest module: magic and version, no sections.
EMPTY_MODULE = b"\0asm\x01\0\0\0"


class Templates(TestCase):
    def test_every_template_is_installed_as_it_is(self):
        files = sorted(p.relative_to(TEMPLATES) for p in TEMPLATES.rglob("*") if p.is_file())
        self.assertIn(pathlib.Path("treemap/treemap.html"), files)
        for rel in files:
            with self.subTest(file=str(rel)):
                self.assertEqual((INSTALLED / rel).read_bytes(), (TEMPLATES / rel).read_bytes())

    def test_the_installed_helper_reads_the_installed_templates(self):
        # A copy of the installed package whose treemap template carries a marker: the copied
        # helper must render that one, not its source tree's.
        prefix = fresh_dir("templates", "prefix")
        shutil.copytree(pathlib.Path(PREFIX) / "bin", prefix / "bin")
        shutil.copytree(INSTALLED, prefix / "lib" / "cmake" / "BuildBudget" / "templates")
        page = prefix / "lib" / "cmake" / "BuildBudget" / "templates" / "treemap" / "treemap.html"
        page.write_text(page.read_text().replace("<body>\n", "<body>\n<!-- installed copy -->\n", 1))
        work = fresh_dir("templates", "installed")
        (work / "empty.wasm").write_bytes(EMPTY_MODULE)
        env = clean_env()
        env.pop("BUILDBUDGET_TEMPLATES_DIR", None)
        proc = run([prefix / "bin" / "buildbudget", "wasm", "analyze", "empty.wasm", "--html", "empty.html"],
                   cwd=work, env=env)
        self.assertOk(proc)
        self.assertIn("<body>\n<!-- installed copy -->\n<h1>WebAssembly size: empty.wasm</h1>\n",
                      (work / "empty.html").read_text())

    def test_a_missing_template_names_the_paths_searched_and_writes_nothing(self):
        work = fresh_dir("templates", "missing")
        (work / "empty.wasm").write_bytes(EMPTY_MODULE)
        proc = run([pathlib.Path(PREFIX) / "bin" / "buildbudget", "wasm", "analyze", "empty.wasm",
                    "--html", "empty.html"], cwd=work,
                   env=clean_env(BUILDBUDGET_TEMPLATES_DIR=work / "no-templates"))
        self.assertFails(proc, 1)
        self.assertEqual(proc.stderr, f"buildbudget: error: the package's template treemap/treemap.html is missing (searched "
                                      f"{work}/no-templates/treemap/treemap.html); reinstall BuildBudget, or set "
                                      f"BUILDBUDGET_TEMPLATES_DIR to its templates directory\n")
        self.assertEqual(proc.stdout, "")
        self.assertFalse((work / "empty.html").exists())


if __name__ == "__main__":
    unittest.main()
