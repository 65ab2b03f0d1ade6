"""The documentation book (doc/) covers every public function and helper command, and its reference
sections are the modules' comment blocks as they are now.

- Every public CMake function (a function() in Modules/ whose name has no leading underscore) has a heading
  in doc/*.md naming it as `name()`.
- Every helper subcommand, as the helper's own --help lists them (recursively), has a heading in
  doc/*.md naming it as `buildbudget <command path>`.
- tools/doc-reference.py --check passes: each public function's reference region in doc/ is its comment
  block in Modules/, character for character; and the script finds a stale page, writes it back, and
  leaves an up-to-date page untouched."""
import importlib.util
import io
import os
import re
import shutil
import tempfile
import unittest
import contextlib
import pathlib

from support import SOURCE_DIR, TestCase, helper
from test_doc_anchors import headings

TOOL = SOURCE_DIR / "tools" / "doc-reference.py"


def load_tool():
    spec = importlib.util.spec_from_file_location("doc_reference", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def doc_headings():
    return [h for page in sorted((SOURCE_DIR / "doc").glob("*.md")) for h in headings(page.read_text())]


def subcommands(path=()):
    """Every command path the helper's --help lists, e.g. ("wasm", "size"), groups included."""
    out = helper(*path, "--help").stdout
    section = re.search(r"^Subcommands:\n((?:  .*\n?)*)", out, re.M)
    found = []
    for name in re.findall(r"^  (\S+)", section.group(1), re.M) if section else []:
        found.append((*path, name))
        found += subcommands((*path, name))
    return found


class Headings(TestCase):
    def test_every_public_function_has_a_heading(self):
        functions = load_tool().public_functions(SOURCE_DIR)
        self.assertIn("wasm_add_test", functions)
        self.assertIn("wrt_memory_budget_attach", functions)
        texts = doc_headings()
        for name in functions:
            with self.subTest(function=name):
                self.assertTrue(any(f"`{name}()`" in h for h in texts), f"no heading in doc/*.md names `{name}()`")

    def test_every_helper_subcommand_has_a_heading(self):
        commands = subcommands()
        self.assertIn(("wasm", "loader-names"), commands)
        self.assertIn(("buildmem", "cargo-config"), commands)
        texts = doc_headings()
        for path in commands:
            name = "buildbudget " + " ".join(path)
            with self.subTest(command=name):
                self.assertTrue(any(re.search(rf"`{re.escape(name)}[` ]", h) for h in texts),
                                f"no heading in doc/*.md names `{name}`")


class Reference(TestCase):
    def run_tool(self, *args):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = load_tool().main(list(args))
        return rc, err.getvalue()

    def test_pages_match_the_modules(self):
        rc, err = self.run_tool("--check")
        self.assertEqual(rc, 0, err)

    def test_stale_page_is_found_and_rewritten(self):
        # A copy of Modules/ and doc/ with one comment line changed: --check names the page and writes
        # nothing; a plain run rewrites that page only.
        root = pathlib.Path(tempfile.mkdtemp(prefix="doc-reference-"))
        self.addCleanup(shutil.rmtree, root)
        shutil.copytree(SOURCE_DIR / "Modules", root / "Modules")
        shutil.copytree(SOURCE_DIR / "doc", root / "doc")
        module = next(m for m in sorted((root / "Modules").rglob("*.cmake"))
                      if re.search(r"^# wasm_add_test\((?!\))", m.read_text(), re.M))
        module.write_text(re.sub(r"^(# wasm_add_test\(.*)$", r"\1\n# An added line.", module.read_text(),
                                 count=1, flags=re.M))
        page = next(p for p in (root / "doc").glob("*.md") if "<!-- reference: wasm_add_test -->" in p.read_text())
        before = {p: p.stat().st_mtime_ns for p in (root / "doc").glob("*.md")}
        rc, err = self.run_tool("--check", "--root", str(root))
        self.assertEqual(rc, 1)
        self.assertIn(f"doc/{page.name}: out of date", err)
        self.assertNotIn("An added line.", page.read_text())
        rc, err = self.run_tool("--root", str(root))
        self.assertEqual(rc, 0, err)
        self.assertIn("An added line.", page.read_text())
        for p, mtime in before.items():
            if p != page:
                self.assertEqual(p.stat().st_mtime_ns, mtime, f"{p.name} was rewritten though unchanged")
        self.assertEqual(self.run_tool("--check", "--root", str(root))[0], 0)

    def test_missing_region_and_unknown_name_are_errors(self):
        root = pathlib.Path(tempfile.mkdtemp(prefix="doc-reference-"))
        self.addCleanup(shutil.rmtree, root)
        shutil.copytree(SOURCE_DIR / "Modules", root / "Modules")
        (root / "doc").mkdir()
        (root / "doc" / "x.md").write_text("# X\n<!-- reference: no_such_function -->\n"
                                           "<!-- end reference: no_such_function -->\n")
        rc, err = self.run_tool("--check", "--root", str(root))
        self.assertEqual(rc, 1)
        self.assertIn("names no public function", err)
        self.assertIn("public function wasm_package() has no reference region", err)


if __name__ == "__main__":
    unittest.main()
