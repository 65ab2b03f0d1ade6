"""BuildBudget's consumer presets (templates/presets/CMakePresets.json) and `buildbudget presets`,
which writes them into a project's CMakePresets.json (doc/presets.md).

The installed helper merges them into a copy of test-projects/consumer-presets (which has a preset of
its own), and `cmake --workflow --preset embedded` there must configure, build and test the embedded
platform. The merge keeps the project's presets, refuses a name clash and invalid JSON without
touching the file, and leaves an up-to-date file alone."""
import json
import os
import pathlib
import re
import unittest

from support import CMAKE, GENERATOR, PREFIX, SOURCE_DIR, MiB, TestCase, clean_env, copy_project, fresh_dir, run

TEMPLATE = SOURCE_DIR / "templates" / "presets" / "CMakePresets.json"
KINDS = ("configurePresets", "buildPresets", "testPresets", "workflowPresets")
PLATFORMS = {"embedded": 4 * MiB, "iot": 16 * MiB, "desktop": 128 * MiB, "server": 512 * MiB}
LOWMEM = {"lowmem-4g": "4GiB", "lowmem-8g": "8GiB", "lowmem-16g": "16GiB"}
VENDOR = "buildbudget/presets"


def presets_command(project_dir):
    """The installed helper's `buildbudget presets --project-dir <dir>`: it finds the installed template."""
    return run([pathlib.Path(PREFIX) / "bin" / "buildbudget", "presets", "--project-dir", project_dir])


def by_name(presets, kind):
    return {p["name"]: p for p in presets.get(kind, [])}


class ConsumerPresets(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = copy_project("consumer-presets", "workflow", "src")
        cls.own = json.loads((cls.src / "CMakePresets.json").read_text())
        cls.merge = presets_command(cls.src)
        env = clean_env(CMAKE_PREFIX_PATH=PREFIX, CMAKE_GENERATOR=GENERATOR)
        cls.workflow = run([CMAKE, "--workflow", "--preset", "embedded"], cwd=cls.src, env=env)

    def test_the_embedded_workflow_configures_the_embedded_platform(self):
        self.assertOk(self.merge, "buildbudget presets")
        self.assertOk(self.workflow, "cmake --workflow --preset embedded")
        build = self.src / "build" / "embedded"
        self.assertRegex((build / "CMakeCache.txt").read_text(), r"(?m)^BUILDBUDGET_PLATFORM:\w+=embedded$")
        self.assertRegex((build / "CMakeCache.txt").read_text(), r"(?m)^CMAKE_BUILD_TYPE:\w+=Release$")
        header = (build / "buildbudget" / "app" / "app_budget.h").read_text()
        self.assertLine(header, '#define MEMORY_BUDGET_PLATFORM "embedded"')
        out = run([build / "show_platform"])
        self.assertOk(out)
        self.assertEqual(out.stdout, f"embedded {4 * MiB} {2 * MiB}\n")
        # The workflow's test step ran the project's test, which checks the same platform, and the
        # budget report (buildbudget.report).
        self.assertLine(self.workflow.stdout, "100% tests passed, 0 tests failed out of 2")

    def test_the_projects_own_presets_are_kept(self):
        self.assertOk(self.merge)
        merged = json.loads((self.src / "CMakePresets.json").read_text())
        template = json.loads(TEMPLATE.read_text())
        self.assertEqual(merged["version"], 6)  # raised from 3: workflow presets need 6
        self.assertIn('"version" raised from 3 to 6', self.merge.stdout)
        for kind in KINDS:
            own = self.own.get(kind, [])
            self.assertEqual(merged[kind], own + template[kind], kind)
        listed = run([CMAKE, "--list-presets=all"], cwd=self.src)
        self.assertOk(listed)
        for name in ("dev", "embedded", "wasm", "lowmem-4g"):
            self.assertIn(f'"{name}"', listed.stdout)

    def test_a_second_run_leaves_the_file_alone(self):
        self.assertOk(self.merge)
        path = self.src / "CMakePresets.json"
        before = (path.stat().st_mtime_ns, path.read_bytes())
        again = presets_command(self.src)
        self.assertOk(again)
        self.assertEqual(again.stdout, f"{path}: unchanged (BuildBudget's presets are there)\n")
        self.assertEqual((path.stat().st_mtime_ns, path.read_bytes()), before)

    def test_an_up_to_date_file_in_the_projects_own_layout_is_left_alone(self):
        # The same presets, indented by 4: the command compares presets, not text, and does not reformat.
        project = fresh_dir("layout")
        path = project / "CMakePresets.json"
        path.write_text(json.dumps(json.loads(TEMPLATE.read_text()), indent=4) + "\n")
        before = (path.stat().st_mtime_ns, path.read_bytes())
        proc = presets_command(project)
        self.assertOk(proc)
        self.assertEqual(proc.stdout, f"{path}: unchanged (BuildBudget's presets are there)\n")
        self.assertEqual((path.stat().st_mtime_ns, path.read_bytes()), before)

    def test_a_new_file_is_the_installed_template(self):
        project = fresh_dir("new")
        proc = presets_command(project)
        self.assertOk(proc)
        self.assertEqual((project / "CMakePresets.json").read_bytes(), TEMPLATE.read_bytes())
        self.assertLine(proc.stdout, f"{project / 'CMakePresets.json'}: created")

    def assertRefused(self, project, proc, before, message):
        """The command failed with exit 1 and `message` as a line, and left the file as it was."""
        self.assertFails(proc, 1, "buildbudget presets")
        self.assertLine(proc.stderr, message)
        self.assertLine(proc.stderr, f"buildbudget presets: {project / 'CMakePresets.json'} left as it was")
        self.assertEqual((project / "CMakePresets.json").read_bytes(), before)

    def test_a_name_clash_is_refused(self):
        project = fresh_dir("clash")
        text = json.dumps({"version": 6, "configurePresets": [
            {"name": "mine", "binaryDir": "${sourceDir}/out"},
            {"name": "embedded", "binaryDir": "${sourceDir}/out-embedded"}]}, indent=2).encode()
        (project / "CMakePresets.json").write_bytes(text)
        proc = presets_command(project)
        self.assertRefused(project, proc, text,
                           f"{project / 'CMakePresets.json'}: error: configurePresets embedded: the project has its "
                           f"own preset of this name (without the vendor key \"{VENDOR}\" that buildbudget presets "
                           "writes): rename it, or remove it to take BuildBudget's")

    def test_a_name_in_cmake_user_presets_is_a_clash(self):
        project = fresh_dir("user-clash")
        text = b'{"version": 6}\n'
        (project / "CMakePresets.json").write_bytes(text)
        (project / "CMakeUserPresets.json").write_text(json.dumps(
            {"version": 6, "workflowPresets": [{"name": "iot", "steps": [{"type": "configure", "name": "x"}]}]}))
        proc = presets_command(project)
        self.assertRefused(project, proc, text,
                           f"{project / 'CMakeUserPresets.json'}: error: workflowPresets iot: the project's "
                           "CMakeUserPresets.json has a preset of this name, and CMake refuses the same name in both "
                           "files: rename it, or remove it to take BuildBudget's")

    def test_invalid_json_is_refused_with_line_and_column(self):
        project = fresh_dir("invalid")
        text = b'{\n  "version": 6,\n  "configurePresets": [\n    {"name": "mine",, }\n  ]\n}\n'
        (project / "CMakePresets.json").write_bytes(text)
        proc = presets_command(project)
        self.assertRefused(project, proc, text,
                           f"{project / 'CMakePresets.json'}:4:21: error: not valid JSON: syntax error while parsing "
                           "object key - unexpected ','; expected string literal")

    def test_a_preset_of_an_earlier_run_is_replaced(self):
        project = fresh_dir("earlier")
        template = json.loads(TEMPLATE.read_text())
        old = json.loads(TEMPLATE.read_text())
        embedded = by_name(old, "configurePresets")["embedded"]
        embedded["cacheVariables"]["BUILDBUDGET_PLATFORM"] = "iot"  # as an older template might have had it
        (project / "CMakePresets.json").write_text(json.dumps(old, indent=2) + "\n")
        proc = presets_command(project)
        self.assertOk(proc)
        self.assertLine(proc.stdout, "  replaced (BuildBudget's, from an earlier run) configurePresets: embedded")
        self.assertEqual(json.loads((project / "CMakePresets.json").read_text()), template)


class Template(TestCase):
    """templates/presets/CMakePresets.json itself."""

    def setUp(self):
        self.presets = json.loads(TEMPLATE.read_text())

    def test_every_preset_has_configure_build_test_and_workflow(self):
        self.assertEqual(self.presets["version"], 6)
        self.assertEqual(self.presets["cmakeMinimumRequired"], {"major": 3, "minor": 25, "patch": 0})
        visible = [p["name"] for p in self.presets["configurePresets"] if not p.get("hidden")]
        self.assertEqual(visible, [*PLATFORMS, "wasm", *LOWMEM])
        for kind in KINDS[1:]:
            self.assertEqual([p["name"] for p in self.presets[kind]], visible, kind)
        for workflow in self.presets["workflowPresets"]:
            name = workflow["name"]
            self.assertEqual(workflow["steps"], [{"type": t, "name": name} for t in ("configure", "build", "test")])
        for kind in KINDS:
            for preset in self.presets[kind]:
                self.assertIn(VENDOR, preset["vendor"], f"{kind} {preset['name']}")

    def test_the_presets_set_the_package_variables(self):
        configure = by_name(self.presets, "configurePresets")
        for name in PLATFORMS:
            self.assertEqual(configure[name]["cacheVariables"], {"BUILDBUDGET_PLATFORM": name})
        for name, limit in LOWMEM.items():
            self.assertEqual(configure[name]["cacheVariables"], {"BUILDBUDGET_LOWMEM_MEMORY_LIMIT": limit})
            self.assertEqual(configure[name]["inherits"], "buildbudget-lowmem-base")
        self.assertEqual(configure["buildbudget-lowmem-base"]["generator"], "Ninja")  # lowmem_profile()'s job pools
        self.assertEqual(configure["wasm"]["cacheVariables"], {"BUILDBUDGET_WASM_LTO": "full"})
        # Nothing in the template depends on BuildBudget's own source tree or install.
        self.assertNotRegex(TEMPLATE.read_text(), re.escape(str(SOURCE_DIR)) + "|lowmem-inject")

    def test_cmake_accepts_the_template(self):
        project = fresh_dir("template")
        (project / "CMakePresets.json").write_bytes(TEMPLATE.read_bytes())
        proc = run([CMAKE, "--list-presets=all"], cwd=project)
        self.assertOk(proc)
        self.assertIn('"lowmem-16g"', proc.stdout)


if __name__ == "__main__":
    unittest.main()
