"""The platform chosen by a preset (BUILDBUDGET_PLATFORM) reaches a consumer's budget.

Run by the presets' test step (label `platform`): with `cmake --workflow --preset embedded`
the top-level BUILDBUDGET_PLATFORM is `embedded`, and so must be the consumer's."""
import os
import unittest

from support import MiB, TestCase, build, configure, copy_project, run

MAXIMUM = {"embedded": 4 * MiB, "iot": 16 * MiB, "desktop": 128 * MiB, "server": 512 * MiB}


class PresetPlatform(TestCase):
    def test_consumer_gets_the_preset_platform(self):
        platform = os.environ.get("BUILDBUDGET_TEST_PLATFORM") or "desktop"
        src = copy_project("platform", "platform", platform, "src")
        bld = src.parent / "build"
        defs = [f"BUILDBUDGET_PLATFORM={platform}"] if os.environ.get("BUILDBUDGET_TEST_PLATFORM") else []
        proc = configure(src, bld, *defs)
        self.assertOk(proc)
        self.assertOk(build(bld))
        out = run([bld / "show_platform"])
        self.assertOk(out)
        self.assertEqual(out.stdout, f"{platform} {MAXIMUM[platform]} {4 * MiB}\n")


if __name__ == "__main__":
    unittest.main()
