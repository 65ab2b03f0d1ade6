"""wrt_memory_budget_attach() and wrt_memory_budget_add_test() misuse: one configure-time case per
file in test-projects/budget-checks/cases/, with the expected exit code and stderr regex next to it,
in the manner of CMake's RunCMake tests."""
import unittest

from support import TestCase, configure


class ExpectedResults(TestCase):
    def test_cases(self):
        self.assertCMakeCases("budget-checks", configure, 10)


if __name__ == "__main__":
    unittest.main()
