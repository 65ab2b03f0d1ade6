"""Real third-party code in the suite (doc/wasm-build.md): the SQLite amalgamation, about 280,000 lines of C
that BuildBudget's authors did not write (sqlite3.c and sqlite3.h of npm better-sqlite3 12.11.1,
fetched with `npm pack` at that pinned version, sha1-checked and cached like the analyze tests'
modules), built by wasm_build_target() beside a small main.c of ours (test-projects/wasm-thirdparty),
run under wasm_add_test() on the statements of queries.sql, and packaged by wasm_package(); the
package is installed from its tarball and run through its loader in Node.js and in headless Chromium.
The module is built once for all the tests (setUpClass), at the default OPTIMIZE level.

Every expected row comes from Python's own sqlite3 module (a different SQLite build, run on the same
statements), never from the module's output."""
import json
import shutil
import sqlite3
import unittest

import support
from support import PROJECTS, TestCase, build, configure, copy_project, fresh_dir, package_page_result, run

# (spec, tarball, sha1 as the registry publishes it); members package/deps/sqlite3/sqlite3.{c,h}.
BETTER_SQLITE3 = ("better-sqlite3@12.11.1", "better-sqlite3-12.11.1.tgz", "067846efabf7671957fc8a9e8df3be39c6cc0b84")
SQLITE_CACHE = support.NPM_CACHE_DIR / "better-sqlite3-12.11.1"
STATEMENTS = (PROJECTS / "wasm-thirdparty" / "queries.sql").read_text().splitlines()
FAILING = "SELECT * FROM missing"


def sqlite_sources(cache_dir=SQLITE_CACHE):
    """The directory holding the pinned amalgamation's sqlite3.c and sqlite3.h (also used by
    bench/wasm_vs_emcc.py)."""
    for name in ("sqlite3.c", "sqlite3.h"):
        support.fetch_npm_module(name, BETTER_SQLITE3 + (f"package/deps/sqlite3/{name}",), cache_dir)
    return cache_dir


def expected(statements):
    """What main.c prints for `statements`, computed by Python's sqlite3: (stdout lines, stderr lines,
    exit status). Rows are the columns' text joined by "|", NULL as "NULL"; the statements give
    integers and text only (SQLite's and Python's texts of a float differ)."""
    db = sqlite3.connect(":memory:", isolation_level=None)  # autocommit, as the C API: BEGIN is a statement
    out, err = [], []
    for sql in statements:
        try:
            rows = db.execute(sql).fetchall()
        except sqlite3.Error as e:
            err.append(f"error: {e}")
            continue
        for row in rows:
            for value in row:
                if not isinstance(value, (int, str, type(None))):
                    raise AssertionError(f"{sql!r} gives a {type(value).__name__}; keep queries.sql to integers and text")
            out.append("|".join("NULL" if v is None else str(v) for v in row))
    db.close()
    return out, err, len(err)


# Runs the module through the package's loader with `statements` as arguments and sets `results` to
# its stdout and stderr lines and exit status.
RUN_JS = r"""
const stdout = [], stderr = [];
const exports = await sqlite({}, { args: ['sqlite', ...STATEMENTS], stdout: (line) => stdout.push(line),
                                   stderr: (line) => stderr.push(line) });
let status = 0;
try {
  exports._start();
} catch (e) {
  if (!(e instanceof WasiExit)) throw e;
  status = e.code;
}
const results = { stdout, stderr, status };
"""


class SQLite(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sources = sqlite_sources()
        cls.src = copy_project("wasm-thirdparty", "src")
        cls.bld = cls.src.parent / "build"
        if cls.bld.exists():
            shutil.rmtree(cls.bld)
        for proc in (configure(cls.src, cls.bld, "CMAKE_BUILD_TYPE=Release", f"SQLITE_DIR={cls.sources}"),
                     build(cls.bld), build(cls.bld, "--target", "sqlite_npm_pack")):
            if proc.returncode != 0:
                raise AssertionError(proc.stdout + proc.stderr)
        cls.consumer = fresh_dir("consumer")
        (cls.consumer / "package.json").write_text(json.dumps({"name": "consumer", "private": True,
                                                               "type": "module"}))
        proc = run(["npm", "install", "--offline", "--no-audit", "--no-fund", cls.bld / "bbtest-sqlite-1.0.0.tgz"],
                   cwd=cls.consumer)
        if proc.returncode != 0:
            raise AssertionError(proc.stdout + proc.stderr)
        cls.statements = STATEMENTS + [FAILING]

    def test_the_amalgamation_is_real_third_party_code(self):
        self.assertGreater(len((self.sources / "sqlite3.c").read_text().splitlines()), 50000)
        self.assertIn('#define SQLITE_VERSION        "3.53.2"', (self.sources / "sqlite3.h").read_text())

    def test_wasm_add_test_runs_the_module_and_it_prints_what_python_sqlite3_computes(self):
        proc = run(["ctest", "--test-dir", self.bld, "--output-on-failure"])
        self.assertOk(proc, "ctest")
        self.assertIn("100% tests passed, 0 tests failed out of 2", proc.stdout)  # and buildbudget.report
        # The very command CTest ran, run again here for its whole output.
        tests = json.loads(run(["ctest", "--test-dir", self.bld, "--show-only=json-v1"]).stdout)["tests"]
        [test] = [t for t in tests if t["name"] == "sqlite_runs"]
        proc = run(test["command"], cwd=self.bld)
        out, err, status = expected(STATEMENTS)
        self.assertEqual((proc.stdout.splitlines(), proc.stderr.splitlines(), proc.returncode), (out, err, status))
        self.assertIn("168|997", out)  # the regex wasm_add_test() checks: 168 primes below 1000

    def test_the_package_holds_the_built_module(self):
        self.assertEqual((self.consumer / "node_modules" / "@bbtest" / "sqlite" / "sqlite.wasm").read_bytes(),
                         (self.bld / "sqlite.wasm").read_bytes())

    def test_node_runs_the_package_through_its_loader(self):
        script = self.consumer / "use-sqlite.mjs"
        script.write_text("import { sqlite, WasiExit } from '@bbtest/sqlite';\n"
                          f"const STATEMENTS = {json.dumps(self.statements)};\n"
                          + RUN_JS + "console.log(JSON.stringify(results));\n")
        proc = run(["node", script], cwd=self.consumer)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        results = json.loads(proc.stdout)
        out, err, status = expected(self.statements)
        self.assertEqual(err, ["error: no such table: missing"])
        self.assertEqual((results["stdout"], results["stderr"], results["status"]), (out, err, status))

    def test_headless_chromium_runs_the_package_through_its_loader(self):
        text = package_page_result(self.consumer / "node_modules", "@bbtest/sqlite",
                                   "import { sqlite, WasiExit } from '@bbtest/sqlite';\n"
                                   f"const STATEMENTS = {json.dumps(self.statements)};\n", RUN_JS, "sqlite")
        self.assertFalse(text.startswith("error"), text)
        results = json.loads(text)
        out, err, status = expected(self.statements)
        self.assertEqual((results["stdout"], results["stderr"], results["status"]), (out, err, status))


if __name__ == "__main__":
    unittest.main()
