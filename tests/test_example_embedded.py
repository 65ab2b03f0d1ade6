"""examples/embedded-firmware, built against the installed package as its README says."""
import json
import re
import unittest

from support import KiB, MiB, SOURCE_DIR, CMAKE, TestCase, build, clean_env, configure, fresh_dir, run

BUDGETS = {"net": MiB, "storage": 512 * KiB, "app": 1536 * KiB}


def table(stdout):
    rows = {}
    for line in stdout.splitlines()[1:]:
        m = re.fullmatch(r"(\w+)\s+(\d+)\s+(\d+)", line)
        if m:
            rows[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return rows


class EmbeddedFirmware(TestCase):
    def build_example(self, name, env=None):
        bld = fresh_dir("example", name)
        proc = configure(SOURCE_DIR / "examples" / "embedded-firmware", bld, env=env)
        return bld, proc

    def test_builds_runs_and_prints_its_budget_table(self):
        bld, proc = self.build_example("default")
        self.assertOk(proc)
        self.assertOk(build(bld))
        out = run([bld / "firmware"])
        self.assertOk(out)
        lines = out.stdout.splitlines()
        self.assertRegex(lines[0], r"^component\s+budget_bytes\s+pool_bytes$")
        rows = table(out.stdout)
        self.assertEqual({k: v[0] for k, v in rows.items() if k != "total"}, BUDGETS)
        for name, (budget, pool) in rows.items():
            self.assertLessEqual(pool, budget, name)
            self.assertGreater(pool, budget * 9 // 10, f"{name}: the pool should use most of its budget")
        self.assertEqual(rows["total"], (sum(BUDGETS.values()), sum(v[1] for k, v in rows.items() if k != "total")))
        self.assertEqual(lines[-1], f"platform embedded: {3 * MiB} of {4 * MiB} bytes")
        selftest = run([bld / "firmware", "--selftest"])
        self.assertOk(selftest)
        self.assertEqual(selftest.stdout.strip().splitlines()[-1], "selftest ok")
        self.assertOk(run(["ctest", "--test-dir", bld, "--output-on-failure"]))

    def test_budget_checks_hold_every_component(self):
        bld, proc = self.build_example("checks")
        self.assertOk(proc)
        self.assertNotIn("may need memory system integration", proc.stderr)
        self.assertOk(build(bld))
        checks = run(["ctest", "--test-dir", bld, "-L", "budget", "--output-on-failure"])
        self.assertOk(checks)
        # The three checks, then the report of every budget (the buildbudget.report fixture).
        self.assertRegex(checks.stdout, r"100% tests passed, 0 tests failed out of 4")
        self.assertRegex(checks.stdout, r"4/4 Test\s+#\d+: buildbudget\.report \.+\s+Passed")
        pools = table(run([bld / "firmware"]).stdout)
        reports = bld / "buildbudget-reports"
        footprint = json.loads((reports / "fw.footprint.json").read_text())
        self.assertEqual([c["name"] for c in footprint["components"]], list(BUDGETS))
        for c in footprint["components"]:
            with self.subTest(component=c["name"]):
                self.assertTrue(c["passed"])
                self.assertEqual(c["budget_bytes"], BUDGETS[c["name"]])
                # The pool is a static of the component's library: static RAM holds it and fits the budget.
                self.assertGreaterEqual(c["measured_bytes"], pools[c["name"]][1])
                self.assertLessEqual(c["measured_bytes"], BUDGETS[c["name"]])
        freestanding = json.loads((reports / "fw.freestanding.json").read_text())
        self.assertEqual([(c["name"], c["denied"]) for c in freestanding["components"]], [("storage", [])])
        peak = json.loads((reports / "fw.heap_peak.json").read_text())["components"][0]
        self.assertTrue(peak["passed"])
        self.assertLess(peak["measured_bytes"], BUDGETS["app"])

    def test_pools_follow_the_budget(self):
        bld, proc = self.build_example("smaller-net", env=clean_env(WRT_BUDGET_NET="256KB"))
        self.assertOk(proc)
        self.assertOk(build(bld))
        rows = table(run([bld / "firmware"]).stdout)
        self.assertEqual(rows["net"][0], 256 * KiB)
        self.assertLessEqual(rows["net"][1], 256 * KiB)

    def test_over_the_platform_fails_configure(self):
        _, proc = self.build_example("over", env=clean_env(WRT_BUDGET_NET="3MB"))
        self.assertFails(proc)
        self.assertIn("CMakeLists.txt: wrt_memory_budget(fw): error: Total budget allocation (5242880 bytes) exceeds "
                      "maximum (4194304 bytes) of platform embedded", proc.stderr)


if __name__ == "__main__":
    unittest.main()
