"""The lowmem-inject preset: BuildBudget's own build ran under lowmem_profile() from
cmake/lowmem-inject.cmake, without a call in its CMakeLists.txt.

Registered only when CMAKE_PROJECT_TOP_LEVEL_INCLUDES names that file, and run by the preset's test
step (label `lowmem`) after its build step: the build's own compiles and links were recorded, and the
plan has the preset's limit."""
import json
import os
import pathlib
import unittest

from support import TestCase

GiB = 1 << 30


class InjectedBuild(TestCase):
    def test_the_build_itself_was_recorded(self):
        build_dir = pathlib.Path(os.environ["BUILDBUDGET_TEST_LOWMEM_BUILD_DIR"])
        limit = os.environ["BUILDBUDGET_TEST_LOWMEM_LIMIT"]
        plan = json.loads((build_dir / "buildbudget-lowmem" / "plan.json").read_text())
        self.assertEqual(plan["memory_limit"], int(limit[:-3]) * GiB)
        log = [json.loads(line) for line in (build_dir / "buildbudget-lowmem" / "jobs.jsonl").read_text().splitlines()]
        sources = {pathlib.Path(r["source"]).name for r in log if r["kind"] == "compile"}
        self.assertIn("buildmem.cpp", sources)
        self.assertIn("buildbudget", [pathlib.Path(r["output"]).name for r in log if r["kind"] == "link"])


if __name__ == "__main__":
    unittest.main()
