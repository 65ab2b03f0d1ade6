"""wrt_memory_budget() in a consumer's CMake project (test-projects/memory-budget), with the installed package."""
import json
import pathlib
import re
import time
import unittest

from support import KiB, MiB, TestCase, build, clean_env, configure, copy_project, run

SEED_TOML = '# Custom memory budgets\n"wrt-runtime" = "32MB"\n"wrt-component" = "24MB"\n"wrt-foundation" = "16MB"\n'


def setup(case, *defs, env=None, name=None, toml=None):
    """Copies the fixture, writes memory_budget.toml if given, configures CASE; returns (src, build, proc)."""
    name = name or case
    src = copy_project("memory-budget", "cmake", name, "src")
    if toml is not None:
        (src / "memory_budget.toml").write_text(toml)
    bld = src.parent / "build"
    proc = configure(src, bld, f"CASE={case}", *defs, env=env)
    return src, bld, proc


def status(proc, key):
    m = re.search(rf"^-- {re.escape(key)}=(.*)$", proc.stdout, re.M)
    if not m:
        raise AssertionError(f"no '-- {key}=' in:\n{proc.stdout}")
    return m.group(1)


class ExpectedResults(TestCase):
    """Every cases/<name>.cmake with <name>-result.txt and <name>-stderr.txt, as CMake's RunCMake does it."""

    def test_cases(self):
        self.assertCMakeCases("memory-budget", configure, 10)


class FormOne(TestCase):
    def test_exactly_as_written_builds_and_runs(self):
        src, bld, proc = setup("form1")
        self.assertOk(proc)
        self.assertIn("-- Memory budget fw: 3 components, 3145728 bytes (3 MiB) of 4194304 (platform embedded)",
                      proc.stdout)
        for name in ("fw_budget.h", "memory_constants.rs", "fw_budget.json"):
            self.assertTrue((bld / "gen" / name).is_file(), name)
        self.assertOk(build(bld))
        out = run([bld / "firmware"])
        self.assertOk(out)
        self.assertEqual(out.stdout, f"net {MiB}\nstorage {512 * KiB}\napp {1536 * KiB}\ntotal {3 * MiB}\n")

    def test_reconfigure_touches_nothing_and_nothing_rebuilds(self):
        src, bld, proc = setup("form1", name="form1-reconfigure")
        self.assertOk(proc)
        self.assertOk(build(bld))
        outputs = [bld / "gen" / n for n in ("fw_budget.h", "memory_constants.rs", "fw_budget.json")]
        before = [p.stat().st_mtime_ns for p in outputs]
        time.sleep(1.1)
        self.assertOk(configure(src, bld))
        self.assertEqual([p.stat().st_mtime_ns for p in outputs], before)
        again = build(bld)
        self.assertOk(again)
        self.assertIn("no work to do", again.stdout)

    def test_build_directory_with_spaces(self):
        src = copy_project("memory-budget", "cmake", "with spaces", "source dir")
        bld = src.parent / "build dir with spaces"
        proc = configure(src, bld, "CASE=form1")
        self.assertOk(proc)
        self.assertOk(build(bld))
        self.assertOk(run([bld / "firmware"]))
        self.assertIn("#define BUDGET_APP 1572864ULL", (bld / "gen" / "fw_budget.h").read_text())


class FormTwo(TestCase):
    def test_exactly_as_written_with_the_seed_config(self):
        _, bld, proc = setup("form2", toml=SEED_TOML)
        self.assertOk(proc)
        total = 67633152 + (16 + 12 + 8) * MiB
        self.assertIn(f"-- result: {total} {32 * MiB} desktop", proc.stdout)
        data = json.loads((bld / "buildbudget" / "wrt" / "wrt_budget.json").read_text())
        runtime = next(c for c in data["components"] if c["name"] == "wrt-runtime")
        self.assertEqual((runtime["source"], runtime["location"]), ("config", "memory_budget.toml:2:1"))

    def test_over_budget_config_fails_configure_in_seed_wording(self):
        _, _, proc = setup("form2", name="form2-over", toml='"wrt-runtime" = "48MB"\n"wrt-sync" = "100MB"\n')
        self.assertFails(proc)
        self.assertLine(proc.stderr, "memory_budget.toml:1:1: error: Budget for wrt-runtime (50331648 bytes) exceeds "
                                     "maximum (33554432 bytes) of preset wrt")
        self.assertLine(proc.stderr, "memory_budget.toml:2:1: error: Budget for wrt-sync (104857600 bytes) exceeds "
                                     "maximum (8388608 bytes) of preset wrt")
        total = 67633152 + (48 - 16) * MiB + (100 - 1) * MiB
        self.assertLine(proc.stderr, f"memory_budget.toml: error: Total budget allocation ({total} bytes) exceeds "
                                     "maximum (134217728 bytes) of platform desktop")
        self.assertIn("wrt_memory_budget(wrt): the memory budget is invalid", proc.stderr)

    def test_config_file_is_a_configure_dependency(self):
        src, bld, proc = setup("form2", name="form2-dependency", toml=SEED_TOML)
        self.assertOk(proc)
        self.assertOk(build(bld))
        header = bld / "buildbudget" / "wrt" / "wrt_budget.h"
        self.assertIn("#define BUDGET_WRT_RUNTIME 33554432ULL", header.read_text())
        time.sleep(1.1)
        (src / "memory_budget.toml").write_text(SEED_TOML.replace('"32MB"', '"20MB"'))
        proc = build(bld)
        self.assertOk(proc)
        self.assertIn("Re-running CMake", proc.stdout)
        self.assertIn("#define BUDGET_WRT_RUNTIME 20971520ULL", header.read_text())
        time.sleep(1.1)
        (src / "memory_budget.toml").write_text(SEED_TOML.replace('"32MB"', '"50MB"'))
        proc = build(bld)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("memory_budget.toml:2:1: error: Budget for wrt-runtime (52428800 bytes) exceeds maximum "
                      "(33554432 bytes) of preset wrt", proc.stdout + proc.stderr)
        self.assertIn("#define BUDGET_WRT_RUNTIME 20971520ULL", header.read_text())  # the last good one stays

    def test_environment_overrides_at_configure(self):
        env = clean_env(WRT_BUDGET_WRT_RUNTIME="20MB", WRT_BUDGET_WRT_RUNTIM="1")
        _, bld, proc = setup("form2", name="form2-env", toml=SEED_TOML, env=env)
        self.assertOk(proc)
        self.assertIn(f" {20 * MiB} desktop", proc.stdout)
        self.assertIn("environment variable WRT_BUDGET_WRT_RUNTIM: warning: WRT_BUDGET_WRT_RUNTIM names no component; "
                      "did you mean WRT_BUDGET_WRT_RUNTIME (component wrt-runtime)?", proc.stderr)
        env["WRT_STRICT_VALIDATION"] = "1"
        _, _, proc = setup("form2", name="form2-env-strict", toml=SEED_TOML, env=env)
        self.assertFails(proc)
        self.assertIn("environment variable WRT_BUDGET_WRT_RUNTIM: error:", proc.stderr)


class Defaults(TestCase):
    def test_outputs_under_the_build_tree_and_variables(self):
        _, bld, proc = setup("defaults")
        self.assertOk(proc)
        base = bld / "buildbudget" / "app"
        self.assertEqual(status(proc, "app_BUDGET_HEADER"), str(base / "app_budget.h"))
        self.assertEqual(status(proc, "app_BUDGET_RUST"), str(base / "memory_constants.rs"))
        self.assertEqual(status(proc, "app_BUDGET_JSON"), str(base / "app_budget.json"))
        self.assertEqual(status(proc, "app_BUDGET_INCLUDE_DIR"), str(base))
        self.assertEqual(status(proc, "include"), f"$<BUILD_INTERFACE:{base}>")
        self.assertEqual(status(proc, "app_BUDGET_PLATFORM"), "iot")
        self.assertEqual(status(proc, "app_TOTAL_MEMORY_BUDGET"), str(3 * MiB))
        self.assertEqual(status(proc, "app_BUDGET_COMPONENTS"), "ui;net stack")
        self.assertEqual(status(proc, "app_BUDGET_UI"), str(2 * MiB))
        self.assertEqual(status(proc, "app_BUDGET_NET_STACK"), str(MiB))
        for p in ("app_budget.h", "memory_constants.rs", "app_budget.json"):
            self.assertTrue((base / p).is_file())

    def test_component_groups(self):
        _, bld, proc = setup("component_groups")
        self.assertOk(proc)
        data = json.loads(pathlib.Path(status(proc, "json")).read_text())
        by = {c["name"]: c for c in data["components"]}
        self.assertEqual(by["log"]["bytes"], 300 * KiB)
        self.assertEqual((by["dsp"]["category"], by["dsp"]["min"]["bytes"], by["dsp"]["max"]["bytes"],
                          by["dsp"]["targets"]), ("large", 4 * MiB, 5 * MiB, ["dsp_lib", "dsp_tests"]))
        self.assertEqual((by["boot"]["min"]["bytes"], by["boot"]["freestanding"]), (32 * KiB, True))
        header = (bld / "buildbudget" / "grp" / "grp_budget.h").read_text()
        self.assertIn("#define GRP_BUDGET_DSP 4718592ULL", header)
        # TARGETS in a COMPONENT group attach the targets: the footprint check measures both.
        self.assertNotIn("may need memory system integration", proc.stderr)
        tests = run(["ctest", "--test-dir", bld, "-N", "-V", "-R", r"^grp\.footprint$"]).stdout
        self.assertIn('"--artifact" "dsp=' + str(bld / "libdsp_lib.a") + '"', tests)
        self.assertIn('"--artifact" "dsp=' + str(bld / "dsp_tests") + '"', tests)

    def test_implicit_memory_budget_toml_and_no_config(self):
        _, _, proc = setup("implicit_config", toml='"wrt-runtime" = "20MB"\n')
        self.assertOk(proc)
        self.assertIn(f"-- ic={20 * MiB} nc={16 * MiB}", proc.stdout)


class PlatformAndVerbosity(TestCase):
    def test_platform_from_the_cache_variable(self):
        _, _, proc = setup("platform_cache", "BUILDBUDGET_PLATFORM=embedded")
        self.assertOk(proc)
        self.assertEqual(status(proc, "platform"), "embedded")
        _, _, proc = setup("platform_cache", name="platform_default")
        self.assertOk(proc)
        self.assertEqual(status(proc, "platform"), "desktop")

    def test_strict_by_environment(self):
        _, _, proc = setup("platform_cache", env=clean_env(WRT_STRICT_VALIDATION="1"), name="strict_env")
        self.assertFails(proc)
        self.assertIn("error: Total budget allocation (2097152 bytes) is below minimum (16777216 bytes)", proc.stderr)

    def test_verbose_by_option_and_by_environment(self):
        for name, env in (("verbose", clean_env()), ("verbose_env", clean_env(WRT_DEBUG_VALIDATION="1"))):
            case = "verbose" if name == "verbose" else "platform_cache"
            _, _, proc = setup(case, env=env, name=name)
            self.assertOk(proc)
            self.assertRegex(proc.stdout, r"(?m)^-- +a +\d+ +[\d.]+ MiB +- +- +cmake +cases/\w+\.cmake: "
                                          r"wrt_memory_budget\(\w+\)$")
            self.assertRegex(proc.stdout, r"(?m)^-- +total +\d+")
        _, _, quiet = setup("platform_cache", name="not_verbose")
        self.assertNotRegex(quiet.stdout, r"(?m)^-- +total +\d+")


if __name__ == "__main__":
    unittest.main()
