"""CMakePresets.json: the platform presets, and one whole workflow run as a user would."""
import json
import unittest

from support import CMAKE, SOURCE_DIR, TestCase, clean_env, run

PLATFORMS = ("embedded", "iot", "desktop", "server")
LOWMEM = {"lowmem-4g": "4GiB", "lowmem-8g": "8GiB", "lowmem-16g": "16GiB"}


class Presets(TestCase):
    def setUp(self):
        self.presets = json.loads((SOURCE_DIR / "CMakePresets.json").read_text())

    def test_platform_presets_set_buildbudget_platform(self):
        configure = {p["name"]: p for p in self.presets["configurePresets"]}
        for name in PLATFORMS:
            with self.subTest(preset=name):
                self.assertEqual(configure[name]["cacheVariables"]["BUILDBUDGET_PLATFORM"], name)
                self.assertFalse(configure[name].get("hidden", False))
                for kind in ("buildPresets", "testPresets", "workflowPresets"):
                    self.assertIn(name, [p["name"] for p in self.presets[kind]], kind)

    def test_lowmem_presets_set_the_memory_limit(self):
        configure = {p["name"]: p for p in self.presets["configurePresets"]}
        tests = {p["name"]: p for p in self.presets["testPresets"]}
        for name, limit in LOWMEM.items():
            with self.subTest(preset=name):
                self.assertEqual(configure[name]["cacheVariables"]["BUILDBUDGET_LOWMEM_MEMORY_LIMIT"], limit)
                self.assertEqual(tests[name]["filter"]["include"]["label"], "lowmem")
                for kind in ("buildPresets", "workflowPresets"):
                    self.assertIn(name, [p["name"] for p in self.presets[kind]], kind)

    def test_lowmem_inject_preset_injects_the_shipped_file(self):
        configure = {p["name"]: p for p in self.presets["configurePresets"]}
        preset = configure["lowmem-inject"]
        self.assertIn(preset["inherits"], LOWMEM)
        self.assertEqual(preset["cacheVariables"]["CMAKE_PROJECT_TOP_LEVEL_INCLUDES"],
                         "${sourceDir}/cmake/lowmem-inject.cmake")
        self.assertTrue((SOURCE_DIR / "cmake" / "lowmem-inject.cmake").is_file())
        tests = {p["name"]: p for p in self.presets["testPresets"]}
        self.assertEqual(tests["lowmem-inject"]["filter"]["include"]["label"], "lowmem")
        for kind in ("buildPresets", "workflowPresets"):
            self.assertIn("lowmem-inject", [p["name"] for p in self.presets[kind]], kind)

    def test_presets_leave_out_the_helper_unit_tests(self):
        """Their test step runs one check; building the helper's unit tests would only cost time."""
        configure = {p["name"]: p for p in self.presets["configurePresets"]}
        self.assertEqual(configure["buildbudget-base"]["cacheVariables"]["BUILDBUDGET_HELPER_TESTS"], "OFF")

    def test_cmake_accepts_the_file(self):
        proc = run([CMAKE, "--list-presets=all"], cwd=SOURCE_DIR)
        self.assertOk(proc)
        for name in (*PLATFORMS, *LOWMEM, "lowmem-inject"):
            self.assertIn(f'"{name}"', proc.stdout)

    def test_embedded_workflow(self):
        proc = run([CMAKE, "--workflow", "--preset", "embedded", "--fresh"], cwd=SOURCE_DIR, env=clean_env())
        self.assertOk(proc, "cmake --workflow --preset embedded")
        cache = (SOURCE_DIR / "build" / "embedded" / "CMakeCache.txt").read_text()
        self.assertIn("BUILDBUDGET_PLATFORM", cache)
        self.assertIn("BUILDBUDGET_HELPER_TESTS:BOOL=OFF", cache)
        self.assertNotIn("buildbudget_unit_tests", (SOURCE_DIR / "build" / "embedded" / "build.ninja").read_text())
        self.assertRegex(proc.stdout, r"(?m)^100% tests passed, 0 tests failed out of [1-9]\d*$")
        self.assertIn("platform.preset", proc.stdout)


if __name__ == "__main__":
    unittest.main()
