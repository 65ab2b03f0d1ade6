"""Sizes (doc/memory-budget.md, "Declaring a budget set") as a user writes them: CMake arguments,
TOML values, env values."""
import json
import unittest

from support import KiB, MiB, TestCase, clean_env, fresh_dir, helper

EXPECTED = ('expected a whole number of bytes, or a number with a unit (B, KB, KiB, MB, MiB, GB or GiB, any case), '
            'such as 524288, "512KB" or "1.5MB"')


def validate_json(*args, env=None, cwd=None):
    proc = helper("budget", "validate", "--json", *args, env=env, cwd=cwd)
    return proc, json.loads(proc.stdout)


def bytes_of(result, name):
    return next(c["bytes"] for c in result["budget"]["components"] if c["name"] == name)


class Units(TestCase):
    def test_every_unit_spelling(self):
        cases = {
            "1048576": 1048576, "0": 0, "1B": 1, "2b": 2,
            "512KB": 512 * KiB, "512KiB": 512 * KiB, "512kb": 512 * KiB, "512kib": 512 * KiB, "512 Kb": 512 * KiB,
            "3MB": 3 * MiB, "3MiB": 3 * MiB, "3mb": 3 * MiB, "1.5MB": 1536 * KiB, "0.5mib": 512 * KiB,
            "1GB": 1 << 30, "1GiB": 1 << 30, "0.25gb": 256 * MiB,
        }
        args = []
        for i, text in enumerate(cases):
            args += ["--component", f"c{i}={text}"]
        proc, result = validate_json("--platform", "server", *args, env=clean_env())
        # Valid sizes; the sum is over the server's 512 MiB, which is beside the point here.
        self.assertEqual([d["message"] for d in result["diagnostics"] if "Invalid size" in d["message"]], [])
        for i, (text, expected) in enumerate(cases.items()):
            with self.subTest(text=text):
                self.assertEqual(bytes_of(result, f"c{i}"), expected)

    def test_largest_size_is_two_to_the_63_minus_1(self):
        proc = helper("budget", "validate", "--platform", "server", "--component", "a=9223372036854775807")
        # Valid as a size, so the only error is the platform total.
        self.assertFails(proc)
        self.assertIn("Total budget allocation (9223372036854775807 bytes) exceeds maximum (536870912 bytes)",
                      proc.stderr)
        self.assertNotIn("Invalid size", proc.stderr)


class BadSizes(TestCase):
    def check(self, text, reason):
        proc = helper("budget", "validate", "--component", f"net={text}", env=clean_env())
        self.assertFails(proc)
        self.assertLine(proc.stderr, f'command line: error: Invalid size "{text}" for net: {reason}')

    def test_negative(self):
        self.check("-1MB", "a budget cannot be negative")

    def test_fractional_bytes(self):
        self.check("0.3KB", "that is 307.2 bytes, not a whole number of bytes; give the size in a smaller unit")
        self.check("1.5", "that is 1.5 bytes, not a whole number of bytes; give the size in a smaller unit")

    def test_unknown_unit(self):
        self.check("5XB", 'unknown unit "XB"; expected B, KB, KiB, MB, MiB, GB or GiB (any case)')
        self.check("5 K", 'unknown unit "K"; expected B, KB, KiB, MB, MiB, GB or GiB (any case)')

    def test_overflow(self):
        self.check("9223372036854775808", "larger than the largest budget, 2^63-1 bytes")
        self.check("8589934592GB", "larger than the largest budget, 2^63-1 bytes")

    def test_empty(self):
        self.check("", "the value is empty; " + EXPECTED)

    def test_non_numeric(self):
        self.check("lots", "not a number; " + EXPECTED)


class TomlSizes(TestCase):
    def test_integer_and_string_values(self):
        d = fresh_dir("sizes", "toml")
        (d / "b.toml").write_text('a = 1048576\nb = "1.5MB"\nc = "64 kib"\n')
        proc, result = validate_json("--config", "b.toml", "--platform", "embedded", cwd=d, env=clean_env())
        self.assertOk(proc)
        self.assertEqual([bytes_of(result, n) for n in "abc"], [MiB, 1536 * KiB, 64 * KiB])

    def test_bad_toml_values_name_line_and_column(self):
        d = fresh_dir("sizes", "toml-bad")
        (d / "b.toml").write_text('# budgets\na = -5\n  b = 1.5\nc = true\nd = "0.1KB"\n')
        proc = helper("budget", "validate", "--config", "b.toml", cwd=d, env=clean_env())
        self.assertFails(proc)
        self.assertLine(proc.stderr, "b.toml:2:1: error: Invalid size -5 for a: a budget cannot be negative")
        self.assertLine(proc.stderr, "b.toml:3:3: error: Invalid size 1.5 for b: a bare number must be whole bytes; "
                                     'write a fraction as a string with a unit, such as "1.5MB"')
        self.assertLine(proc.stderr, "b.toml:4:1: error: Invalid size for c: expected an integer number of bytes or "
                                     'a string such as "512KB"')
        self.assertIn('b.toml:5:1: error: Invalid size "0.1KB" for d: that is 102.4 bytes', proc.stderr)


class EnvSizes(TestCase):
    def test_env_value_units_and_errors(self):
        env = clean_env(WRT_BUDGET_NET="2MiB", WRT_BUDGET_APP="many", WRT_BUDGET_LOG="")
        proc = helper("budget", "validate", "--component", "net=1MB", "--component", "app=1MB",
                      "--component", "log=1MB", env=env)
        self.assertFails(proc)
        self.assertLine(proc.stderr, 'environment variable WRT_BUDGET_APP: error: Invalid size "many" for app: '
                                     "not a number; " + EXPECTED)
        self.assertLine(proc.stderr, 'environment variable WRT_BUDGET_LOG: error: Invalid size "" for log: '
                                     "the value is empty; " + EXPECTED)
        self.assertNotIn("WRT_BUDGET_NET", proc.stderr)


if __name__ == "__main__":
    unittest.main()
