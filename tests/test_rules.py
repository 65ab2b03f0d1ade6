"""The validation rules of a budget set (doc/design.md, "Memory budgets") and their messages
(doc/messages.md, "Memory budgets"), through `buildbudget budget validate`."""
import json
import unittest

from support import KiB, MiB, TestCase, clean_env, fresh_dir, helper

PLATFORM_MAX = {"embedded": 4 * MiB, "iot": 16 * MiB, "desktop": 128 * MiB, "server": 512 * MiB}


def validate(*args, env=None, cwd=None):
    return helper("budget", "validate", *args, env=env if env is not None else clean_env(), cwd=cwd)


class PlatformTotals(TestCase):
    def test_each_platform_maximum_is_an_error_one_byte_over(self):
        for platform, limit in PLATFORM_MAX.items():
            with self.subTest(platform=platform):
                self.assertOk(validate("--platform", platform, "--component", f"a={limit - 20 * MiB if limit > 32 * MiB else limit // 2}",
                                       "--component", f"b={20 * MiB if limit > 32 * MiB else limit // 2}"))
                proc = validate("--platform", platform, "--component", f"a={limit}", "--component", "b=1")
                self.assertFails(proc)
                self.assertLine(proc.stderr, f"command line: error: Total budget allocation ({limit + 1} bytes) "
                                             f"exceeds maximum ({limit} bytes) of platform {platform}")

    def test_default_platform_is_desktop(self):
        proc = validate("--component", "a=129MB")
        self.assertFails(proc)
        self.assertIn("exceeds maximum (134217728 bytes) of platform desktop", proc.stderr)

    def test_unknown_platform(self):
        proc = validate("--platform", "mainframe", "--component", "a=1MB")
        self.assertFails(proc)
        self.assertLine(proc.stderr, 'command line: error: Unknown platform "mainframe"; '
                                     "expected embedded, iot, desktop or server")

    def test_total_minimum_is_a_warning_on_desktop_and_server_only(self):
        for platform in ("desktop", "server"):
            proc = validate("--platform", platform, "--component", "a=1MB")
            self.assertOk(proc)
            self.assertLine(proc.stderr, "command line: warning: Total budget allocation (1048576 bytes) is below "
                                         f"minimum (16777216 bytes) of platform {platform}")
        for platform in ("embedded", "iot"):
            proc = validate("--platform", platform, "--component", "a=1MB")
            self.assertOk(proc)
            self.assertEqual(proc.stderr, "")


class PresetWrt(TestCase):
    def test_total_is_computed_not_copied(self):
        proc = validate("--preset", "wrt", "--json")
        self.assertOk(proc)
        result = json.loads(proc.stdout)["budget"]
        self.assertEqual(result["total_bytes"], 67633152)
        self.assertEqual(len(result["components"]), 16)
        self.assertEqual(sum(c["bytes"] for c in result["components"]), 67633152)
        self.assertEqual({c["source"] for c in result["components"]}, {"preset"})

    def test_seed_message_for_a_preset_maximum(self):
        proc = validate("--preset", "wrt", "--component", "wrt-runtime=48MB")
        self.assertFails(proc)
        self.assertLine(proc.stderr, "command line: error: Budget for wrt-runtime (50331648 bytes) exceeds maximum "
                                     "(33554432 bytes) of preset wrt")

    def test_preset_maxima(self):
        for name, limit in {"wrt-runtime": 32, "wrt-component": 24, "wrt-foundation": 16, "wrt-platform": 16,
                            "wrt-decoder": 8, "wrt-helper": 8}.items():
            with self.subTest(name=name):
                self.assertOk(validate("--preset", "wrt", "--component", f"{name}={limit}MB", "--platform", "server"))
                proc = validate("--preset", "wrt", "--component", f"{name}={limit * MiB + 1}", "--platform", "server")
                self.assertFails(proc)
                self.assertIn(f"Budget for {name} ({limit * MiB + 1} bytes) exceeds maximum ({limit * MiB} bytes)",
                              proc.stderr)

    def test_category_minima(self):
        for name, limit in {"wrt-runtime": (4 * MiB, "large"), "wrt-component": (4 * MiB, "large"),
                            "wrt-foundation": (2 * MiB, "foundation"), "wrt-platform": (2 * MiB, "foundation"),
                            "wrt-error": (256 * KiB, "other")}.items():
            minimum, category = limit
            with self.subTest(name=name):
                self.assertOk(validate("--preset", "wrt", "--component", f"{name}={minimum}"))
                proc = validate("--preset", "wrt", "--component", f"{name}={minimum - 1}")
                self.assertFails(proc)
                self.assertLine(proc.stderr, f"command line: error: Budget for {name} ({minimum - 1} bytes) is below "
                                             f"minimum ({minimum} bytes) for category {category}")

    def test_new_component_under_preset_wrt_is_other(self):
        proc = validate("--preset", "wrt", "--component", "extra=9MB")
        self.assertFails(proc)
        self.assertIn("Budget for extra (9437184 bytes) exceeds maximum (8388608 bytes) of preset wrt", proc.stderr)
        proc = validate("--preset", "wrt", "--component", "extra=100KB")
        self.assertIn("Budget for extra (102400 bytes) is below minimum (262144 bytes) for category other", proc.stderr)


class PresetNone(TestCase):
    def test_no_category_limits_unless_declared(self):
        self.assertOk(validate("--platform", "embedded", "--component", "tiny=1", "--component", "big=3MB"))
        proc = validate("--platform", "embedded", "--component", "tiny=1", "--category", "tiny=foundation")
        self.assertFails(proc)
        self.assertIn("Budget for tiny (1 bytes) is below minimum (2097152 bytes) for category foundation", proc.stderr)

    def test_explicit_min_and_max(self):
        proc = validate("--platform", "iot", "--component", "a=3MB", "--max", "a=2MB",
                        "--component", "b=1KB", "--min", "b=4KB")
        self.assertFails(proc)
        self.assertLine(proc.stderr, "command line: error: Budget for a (3145728 bytes) exceeds maximum "
                                     "(2097152 bytes) set by MAX")
        self.assertLine(proc.stderr, "command line: error: Budget for b (1024 bytes) is below minimum "
                                     "(4096 bytes) set by MIN")

    def test_min_above_max(self):
        proc = validate("--platform", "iot", "--component", "a=3MB", "--min", "a=4MB", "--max", "a=2MB")
        self.assertFails(proc)
        self.assertIn("Minimum for a (4194304 bytes, set by MIN) exceeds its maximum (2097152 bytes, set by MAX)",
                      proc.stderr)

    def test_unknown_preset_and_category(self):
        proc = validate("--preset", "tiny", "--component", "a=1MB", "--category", "a=huge")
        self.assertFails(proc)
        self.assertLine(proc.stderr, 'PRESET: error: Unknown preset "tiny"; expected wrt or none')
        self.assertLine(proc.stderr, 'command line: error: Unknown category "huge" for a; '
                                     "expected large, foundation or other")

    def test_option_naming_an_undeclared_component(self):
        proc = validate("--component", "a=1MB", "--max", "b=2MB")
        self.assertFails(proc)
        self.assertLine(proc.stderr, 'command line: error: MAX names "b", which is not a component; '
                                     "declare it with a size first")


class Identifiers(TestCase):
    def test_two_names_one_identifier(self):
        proc = validate("--component", "net-stack=1MB", "--component", "net.stack=1MB")
        self.assertFails(proc)
        self.assertLine(proc.stderr, 'command line: error: Component names "net-stack" and "net.stack" both map to '
                                     "the identifier NET_STACK; rename one of them")

    def test_name_without_letters(self):
        proc = validate("--component", "--=1MB")
        self.assertFails(proc)
        self.assertIn('Invalid component name "--": it needs at least one letter or digit', proc.stderr)


class Environment(TestCase):
    def test_override_and_source(self):
        proc = validate("--component", "wrt-runtime=1MB", "--json", env=clean_env(WRT_BUDGET_WRT_RUNTIME="3MB"))
        self.assertOk(proc)
        c = json.loads(proc.stdout)["budget"]["components"][0]
        self.assertEqual((c["bytes"], c["source"], c["location"]),
                         (3 * MiB, "env", "environment variable WRT_BUDGET_WRT_RUNTIME"))

    def test_variable_naming_no_component_suggests_the_nearest(self):
        proc = validate("--preset", "wrt", env=clean_env(WRT_BUDGET_WRT_RUNTIM="1MB"))
        self.assertOk(proc)
        self.assertLine(proc.stderr, "environment variable WRT_BUDGET_WRT_RUNTIM: warning: WRT_BUDGET_WRT_RUNTIM names "
                                     "no component; did you mean WRT_BUDGET_WRT_RUNTIME (component wrt-runtime)?")

    def test_custom_prefix(self):
        env = clean_env(FW_NET="2MB", WRT_BUDGET_NET="3MB")
        proc = validate("--env-prefix", "FW_", "--component", "net=1MB", "--json", env=env)
        self.assertOk(proc)
        self.assertEqual(json.loads(proc.stdout)["budget"]["components"][0]["bytes"], 2 * MiB)


class StrictAndVerbose(TestCase):
    ARGS = ("--platform", "desktop", "--component", "a=1MB")  # total below 16 MiB: a warning

    def test_strict_by_option_and_by_env(self):
        self.assertOk(validate(*self.ARGS))
        for proc in (validate(*self.ARGS, "--strict"), validate(*self.ARGS, env=clean_env(WRT_STRICT_VALIDATION=1))):
            self.assertFails(proc)
            self.assertLine(proc.stderr, "command line: error: Total budget allocation (1048576 bytes) is below "
                                         "minimum (16777216 bytes) of platform desktop")
        self.assertOk(validate(*self.ARGS, env=clean_env(WRT_STRICT_VALIDATION=0)))

    def test_strict_covers_env_warnings_too(self):
        proc = validate("--platform", "iot", "--component", "a=1MB", "--strict", env=clean_env(WRT_BUDGET_B="1"))
        self.assertFails(proc)
        self.assertIn("environment variable WRT_BUDGET_B: error: WRT_BUDGET_B names no component", proc.stderr)

    def test_verbose_by_option_and_by_env_shows_each_source(self):
        d = fresh_dir("rules", "verbose")
        (d / "b.toml").write_text("\n\nstorage = \"2MB\"\n")
        args = ("--platform", "iot", "--component", "net=1MB", "--component", "storage=1MB", "--component", "app=1MB",
                "--config", "b.toml")
        env = clean_env(WRT_BUDGET_APP="3MB")
        quiet = validate(*args, env=env, cwd=d)
        self.assertOk(quiet)
        self.assertNotIn("from", quiet.stdout)
        for proc in (validate(*args, "--verbose", env=env, cwd=d),
                     validate(*args, env=clean_env(WRT_BUDGET_APP="3MB", WRT_DEBUG_VALIDATION=1), cwd=d)):
            self.assertOk(proc)
            self.assertMatchesLine(proc.stdout, r"\s+net\s+1048576\s+1 MiB\s+-\s+-\s+cmake\s+command line")
            self.assertMatchesLine(proc.stdout, r"\s+storage\s+2097152\s+2 MiB\s+-\s+-\s+config\s+b\.toml:3:1")
            self.assertMatchesLine(proc.stdout, r"\s+app\s+3145728\s+3 MiB\s+-\s+-\s+env\s+"
                                                r"environment variable WRT_BUDGET_APP")
            self.assertMatchesLine(proc.stdout, r"\s+total\s+6291456\s+6 MiB")


class AllProblemsInOneRun(TestCase):
    def test_every_problem_is_reported(self):
        d = fresh_dir("rules", "all")
        (d / "memory_budget.toml").write_text('"wrt-runtime" = "48MB"\n"wrt-component" = "30MB"\n'
                                              '[wrt-debug]\nsize = "1MB"\ncolour = "red"\n')
        env = clean_env(WRT_BUDGET_WRT_MATH="lots", WRT_BUDGET_WRT_MAHT="1MB")
        proc = validate("--preset", "wrt", "--config", "memory_budget.toml", "--component", "wrt-error=-1", env=env,
                        cwd=d)
        self.assertFails(proc)
        lines = [l for l in proc.stderr.splitlines() if ": error: " in l or ": warning: " in l]
        self.assertEqual(lines, [
            'command line: error: Invalid size "-1" for wrt-error: a budget cannot be negative',
            'memory_budget.toml:5:1: error: Unknown key "colour" in [wrt-debug]; expected size, category, min, max '
            "or freestanding",
            "environment variable WRT_BUDGET_WRT_MAHT: warning: WRT_BUDGET_WRT_MAHT names no component; did you mean "
            "WRT_BUDGET_WRT_MATH (component wrt-math)?",
            'environment variable WRT_BUDGET_WRT_MATH: error: Invalid size "lots" for wrt-math: not a number; expected '
            'a whole number of bytes, or a number with a unit (B, KB, KiB, MB, MiB, GB or GiB, any case), such as '
            '524288, "512KB" or "1.5MB"',
            "memory_budget.toml:1:1: error: Budget for wrt-runtime (50331648 bytes) exceeds maximum (33554432 bytes) "
            "of preset wrt",
            "memory_budget.toml:2:1: error: Budget for wrt-component (31457280 bytes) exceeds maximum (25165824 bytes) "
            "of preset wrt",
        ])
        self.assertLine(proc.stderr, "Memory budget memory: 5 error(s), 1 warning(s)")


class Usage(TestCase):
    def test_usage_errors_exit_2(self):
        self.assertFails(helper("budget", "validate", "--no-such-flag"), code=2)
        self.assertFails(helper("budget", "validate", "--component", "noequals"), code=2)
        self.assertFails(helper(), code=2)

    def test_version(self):
        proc = helper("--version")
        self.assertOk(proc)
        self.assertRegex(proc.stdout.strip(), r"^\d+\.\d+\.\d+$")


if __name__ == "__main__":
    unittest.main()
