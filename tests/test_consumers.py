"""The package as a consumer outside the repo gets it: installed, add_subdirectory, FetchContent."""
import os
import re
import shutil
import unittest

from support import CMAKE, PREFIX, SOURCE_DIR, WORK_DIR, TestCase, build, clean_env, configure, copy_project, run

EXPECTED_RUN = "embedded 3145728 1572864\n"


def assert_budget_checks(test, bld):
    """`ctest -L budget` runs the footprint and heap-peak checks of the consumer, and both pass."""
    out = run(["ctest", "--test-dir", bld, "-L", "budget", "--output-on-failure"])
    test.assertOk(out)
    test.assertIn("100% tests passed, 0 tests failed out of 3", out.stdout)  # and buildbudget.report
    test.assertRegex(out.stdout, r"fw\.footprint \.+\s+Passed")
    test.assertRegex(out.stdout, r"fw\.app_peak \.+\s+Passed")


def helper_path(proc):
    return re.search(r"^-- helper=(.*)$", proc.stdout, re.M).group(1)


class Installed(TestCase):
    def test_find_package_with_prefix_path(self):
        src = copy_project("consumer", "consumers", "installed", "src")
        bld = src.parent / "build"
        proc = configure(src, bld)
        self.assertOk(proc)
        self.assertIn("-- BuildBudget_VERSION=0.1.0", proc.stdout)
        self.assertEqual(helper_path(proc), os.path.join(PREFIX, "bin", "buildbudget"))
        self.assertOk(build(bld))
        out = run([bld / "firmware"])
        self.assertOk(out)
        self.assertEqual(out.stdout, EXPECTED_RUN)
        assert_budget_checks(self, bld)

    def test_version_file(self):
        src = copy_project("consumer", "consumers", "version", "src")
        for requested, ok in (("0.1", True), ("0.1.0", True), ("0.2", False), ("1.0", False)):
            with self.subTest(requested=requested):
                bld = src.parent / f"build-{requested}"
                proc = configure(src, bld, f"REQUESTED_VERSION={requested}")
                if ok:
                    self.assertOk(proc)
                else:
                    self.assertFails(proc)
                    self.assertIn(f'compatible with requested version "{requested}"', proc.stderr)
                    self.assertIn("BuildBudgetConfig.cmake, version: 0.1.0", proc.stderr)

    def test_installed_layout(self):
        for rel in ("bin/buildbudget", "lib/cmake/BuildBudget/BuildBudgetConfig.cmake",
                    "lib/cmake/BuildBudget/BuildBudgetConfigVersion.cmake",
                    "lib/cmake/BuildBudget/BuildBudgetTargets.cmake",
                    "lib/cmake/BuildBudget/Modules/BuildBudget.cmake",
                    "lib/cmake/BuildBudget/Modules/BuildBudgetMemory.cmake",
                    "lib/cmake/BuildBudget/templates/runners/wasi-run.mjs",
                    "lib/buildbudget/libbuildbudget_heapcount.so"):
            self.assertTrue(os.path.exists(os.path.join(PREFIX, rel)), rel)
        self.assertTrue(os.access(os.path.join(PREFIX, "bin", "buildbudget"), os.X_OK))


class SourceTree(TestCase):
    """add_subdirectory and FetchContent: the helper is built at configure time, once for its sources,
    and kept in BUILDBUDGET_HELPER_CACHE (default $XDG_CACHE_HOME/buildbudget/helpers) for every build
    tree (cmake/BuildBudgetBootstrap.cmake)."""

    def check(self, mode, cache, builds_helper, defs=(), env=None):
        src = copy_project("consumer", "consumers", mode, "src")
        bld = src.parent / "build"
        shutil.rmtree(bld, ignore_errors=True)
        proc = configure(src, bld, f"BUILDBUDGET_CONSUME={mode}", f"BUILDBUDGET_CHECKOUT={SOURCE_DIR}", *defs,
                         prefix=False, env=env)
        self.assertOk(proc)
        self.assertEqual(proc.stdout.count("BuildBudget: building the buildbudget helper"), int(builds_helper))
        helper = helper_path(proc)
        self.assertRegex(helper, "^" + re.escape(str(cache)) + r"/helper-[0-9a-f]{16}/build/buildbudget$")
        stamp = os.stat(helper).st_mtime_ns
        self.assertOk(build(bld))
        out = run([bld / "firmware"])
        self.assertOk(out)
        self.assertEqual(out.stdout, EXPECTED_RUN)
        assert_budget_checks(self, bld)
        # Again: the helper is reused, not rebuilt.
        again = configure(src, bld, prefix=False, env=env)
        self.assertOk(again)
        self.assertNotIn("building the buildbudget helper", again.stdout)
        self.assertEqual(helper_path(again), helper)
        self.assertEqual(os.stat(helper).st_mtime_ns, stamp)
        # The consumer's build does not build or install BuildBudget's own targets or tests.
        targets = run([CMAKE, "--build", bld, "--target", "help"])
        self.assertNotRegex(targets.stdout, r"(?m)^buildbudget(_core)?:")
        return helper, stamp

    def test_add_subdirectory_then_fetchcontent_share_one_helper(self):
        xdg = WORK_DIR / "consumers" / "xdg-cache"
        shutil.rmtree(xdg, ignore_errors=True)
        cache = xdg / "buildbudget" / "helpers"
        # add_subdirectory, with the cache named: the helper is built there, once.
        helper, stamp = self.check("subdirectory", cache, True, defs=[f"BUILDBUDGET_HELPER_CACHE={cache}"])
        # FetchContent in another build tree, with the default ($XDG_CACHE_HOME): the same helper, not rebuilt.
        again, _ = self.check("fetchcontent", cache, False, env=clean_env(XDG_CACHE_HOME=xdg))
        self.assertEqual(again, helper)
        self.assertEqual(os.stat(helper).st_mtime_ns, stamp)


if __name__ == "__main__":
    unittest.main()
