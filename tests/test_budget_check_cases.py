"""wrt_memory_budget_attach() and wrt_memory_budget_add_test() misuse: one configure-time case per
file in test-projects/budget-checks/cases/, with the expected exit code and stderr regex next to it,
in the manner of CMake's RunCMake tests."""
import re
import unittest

from support import PROJECTS, TestCase, configure, copy_project

CASES = PROJECTS / "budget-checks" / "cases"


class ExpectedResults(TestCase):
    def test_cases(self):
        cases = sorted(p.name[:-len("-result.txt")] for p in CASES.glob("*-result.txt"))
        self.assertGreaterEqual(len(cases), 10)
        src = copy_project("budget-checks", "cases", "src")
        for case in cases:
            with self.subTest(case=case):
                proc = configure(src, src.parent / f"build-{case}", f"CASE={case}")
                expected = int((CASES / f"{case}-result.txt").read_text())
                self.assertEqual(proc.returncode, expected, proc.stderr)
                pattern = (CASES / f"{case}-stderr.txt").read_text().rstrip("\n")
                self.assertRegex(proc.stderr, re.compile(pattern, re.S))


if __name__ == "__main__":
    unittest.main()
