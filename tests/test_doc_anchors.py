"""Every `README.md#<anchor>` that the CMake modules print in their messages (e.g. the unknown-argument
errors of _buildbudget_check_arguments()) names a section the README has, by GitHub's rule for heading
anchors: lower case, punctuation other than `-` and `_` dropped, spaces as `-`."""
import re
import unittest

from support import SOURCE_DIR, TestCase


def anchors(markdown):
    found, fenced = set(), False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"#{1,6} (.*)", line)):
            found.add(re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-"))
    return found


class Anchors(TestCase):
    def test_module_messages_point_at_readme_sections(self):
        known = anchors((SOURCE_DIR / "README.md").read_text())
        used = {}
        for module in sorted((SOURCE_DIR / "Modules").rglob("*.cmake")):
            for anchor in re.findall(r"README\.md#([\w-]+)", module.read_text()):
                used.setdefault(anchor, module.name)
        self.assertIn("webassembly-wasm_build_target-and-wasm_add_test", used)
        for anchor, module in used.items():
            with self.subTest(anchor=anchor):
                self.assertIn(anchor, known, f"{module} points at README.md#{anchor}, which no heading makes")


if __name__ == "__main__":
    unittest.main()
