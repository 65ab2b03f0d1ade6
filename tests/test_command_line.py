"""The helper's command line: `main.cpp` builds only the subcommand family its first argument names
(doc/layout.md, "Inside the helper"), so each family must parse on its own, and `--help`, `--version`
and a name that is no family must still see all of them."""
import re
import unittest

from support import TestCase, helper

FAMILIES = ["budget", "footprint", "freestanding", "peak", "wasm", "size", "buildmem", "presets", "report"]


class CommandLine(TestCase):
    def test_help_lists_every_family(self):
        proc = helper("--help")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        listed = re.findall(r"^  ([a-z]+) ", proc.stdout, re.M)
        self.assertEqual(listed, FAMILIES, proc.stdout)

    def test_each_family_parses_alone(self):
        for family in FAMILIES:
            with self.subTest(family=family):
                proc = helper(family, "--help")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertRegex(proc.stdout, rf"(?m)^Usage: \S+ {family} \[OPTIONS\]")

    def test_a_subcommand_of_a_family_runs(self):
        proc = helper("size", "64KB", "1.5MB")
        self.assertEqual((proc.returncode, proc.stdout), (0, "65536\n1572864\n"), proc.stderr)
        proc = helper("wasm", "--help")
        self.assertRegex(proc.stdout, r"(?m)^  analyze ")

    def test_version_and_an_unknown_family(self):
        proc = helper("--version")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"^\d+\.\d+\.\d+\n$")
        proc = helper("sizes", "64KB")  # not a family: every family is built, and CLI11 refuses it
        self.assertEqual(proc.returncode, 2, proc.stdout)
        self.assertIn("Run with --help for more information.", proc.stderr)


if __name__ == "__main__":
    unittest.main()
