"""The memory limit chosen by a lowmem-* preset (BUILDBUDGET_LOWMEM_MEMORY_LIMIT) reaches a consumer's
lowmem_profile().

Run by the lowmem presets' test step (label `lowmem`): with `cmake --workflow --preset lowmem-4g` the
top-level BUILDBUDGET_LOWMEM_MEMORY_LIMIT is 4GiB, and the consumer's profile must use it, whatever
memory this machine has."""
import os
import unittest

from support import GENERATOR, TestCase, configure, copy_project

GiB = 1 << 30
CLASSES = {"4GiB": "small", "8GiB": "medium", "16GiB": "medium"}


class PresetLowmem(TestCase):
    def test_consumer_gets_the_preset_limit(self):
        limit = os.environ.get("BUILDBUDGET_TEST_LOWMEM_LIMIT") or "4GiB"
        src = copy_project("lowmem", "lowmem-preset", limit, "src")
        bld = src.parent / "build"
        proc = configure(src, bld, f"BUILDBUDGET_LOWMEM_MEMORY_LIMIT={limit}", "LOWMEM_ARGS=MEMORY_LIMIT;auto")
        self.assertOk(proc)
        memory_limit, memory_class, compile_jobs, link_jobs, _ = (bld / "lowmem-result.txt").read_text().split()
        self.assertEqual(int(memory_limit), int(limit[:-3]) * GiB)
        self.assertEqual(memory_class, CLASSES[limit])
        self.assertGreaterEqual(int(compile_jobs), 1)
        self.assertLessEqual(int(compile_jobs), len(os.sched_getaffinity(0)))
        if GENERATOR == "Ninja":
            # CMake writes the pools into CMakeFiles/rules.ninja.
            rules = (bld / "CMakeFiles" / "rules.ninja").read_text()
            self.assertIn(f"pool buildbudget_compile\n  depth = {compile_jobs}\n", rules)


if __name__ == "__main__":
    unittest.main()
