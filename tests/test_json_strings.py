"""JSON that the CMake modules still write themselves (_buildbudget_json_string() in
Modules/BuildBudget.cmake): a text with every control character U+0001..U+001F, quotes and
backslashes must come out as valid JSON that Python's json module reads back unchanged."""
import json
import unittest

from support import TestCase, configure, copy_project


class JsonStrings(TestCase):
    def test_package_json_description_with_control_characters(self):
        src = copy_project("json-strings", "src")
        bld = src.parent / "build"
        self.assertOk(configure(src, bld), "configure")
        text = (bld / "pkg.npm" / "package.json").read_text(encoding="utf-8")
        expected = "a" + "".join(chr(c) for c in range(1, 32)) + '"q" back\\slash \u00e9 end'
        self.assertEqual(json.loads(text)["description"], expected)
        # Only the two-character escapes JSON names for \t \n \r; the others as \u00XX.
        self.assertIn(r"\u0001\u0002", text)
        self.assertIn(r"\u0008\t\n\u000b\u000c\r\u000e", text)
        self.assertIn(r"\u001f\"q\" back\\slash", text)


if __name__ == "__main__":
    unittest.main()
