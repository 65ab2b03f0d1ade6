"""The TOML config file (doc/memory-budget.md, "Config file") and the precedence of all four inputs."""
import json
import unittest

from support import KiB, MiB, TestCase, clean_env, fresh_dir, helper


def validate(d, *args, env=None):
    return helper("budget", "validate", *args, cwd=d, env=env if env is not None else clean_env())


def budget_of(proc):
    return json.loads(proc.stdout)["budget"]


class SeedFormat(TestCase):
    def test_seed_000_file_with_comments_anywhere(self):
        d = fresh_dir("config", "seed")
        (d / "memory_budget.toml").write_text(
            "# Custom memory budgets\n"
            '"wrt-runtime" = "32MB"   # the runtime\n'
            "\n"
            '   "wrt-component" = "24MB"\n'
            '"wrt-foundation" = "16MB" # trailing\n'
            "# end\n")
        proc = validate(d, "--preset", "wrt", "--config", "memory_budget.toml", "--json")
        self.assertOk(proc)
        by_name = {c["name"]: c for c in budget_of(proc)["components"]}
        self.assertEqual(by_name["wrt-runtime"]["bytes"], 32 * MiB)
        self.assertEqual(by_name["wrt-runtime"]["location"], "memory_budget.toml:2:1")
        self.assertEqual(by_name["wrt-component"]["location"], "memory_budget.toml:4:4")
        self.assertEqual(by_name["wrt-foundation"]["source"], "config")
        self.assertEqual(by_name["wrt-decoder"]["source"], "preset")
        # 64.5 MiB + (32-16) + (24-12) + (16-8) MiB
        self.assertEqual(budget_of(proc)["total_bytes"], 67633152 + 36 * MiB)


class Tables(TestCase):
    def test_component_tables_and_budget_table(self):
        d = fresh_dir("config", "tables")
        (d / "b.toml").write_text(
            "net = \"1MB\"\n"
            "[storage]\nsize = \"512KB\"\ncategory = \"other\"\nmin = \"300KB\"\nmax = \"1MB\"\nfreestanding = true\n"
            "[budget]\nplatform = \"embedded\"\ntotal_max = \"2MB\"\n")
        proc = validate(d, "--config", "b.toml", "--json")
        self.assertOk(proc)
        b = budget_of(proc)
        self.assertEqual(b["platform"], "embedded")
        self.assertEqual([c["name"] for c in b["components"]], ["net", "storage"])
        storage = b["components"][1]
        self.assertEqual((storage["bytes"], storage["category"], storage["min"], storage["max"], storage["freestanding"]),
                         (512 * KiB, "other", {"bytes": 300 * KiB, "rule": "set by min"},
                          {"bytes": MiB, "rule": "set by max"}, True))
        self.assertEqual(b["total_max"], {"bytes": 2 * MiB, "rule": "set by total_max"})

    def test_project_total_limits(self):
        d = fresh_dir("config", "totals")
        (d / "b.toml").write_text("[budget]\ntotal_max = \"1MB\"\ntotal_min = \"4MB\"\n")
        proc = validate(d, "--config", "b.toml", "--platform", "iot", "--component", "a=2MB")
        self.assertFails(proc)
        self.assertLine(proc.stderr, "b.toml:2:1: error: Total budget allocation (2097152 bytes) exceeds maximum "
                                     "(1048576 bytes) set by total_max")
        self.assertLine(proc.stderr, "b.toml:3:1: warning: Total budget allocation (2097152 bytes) is below minimum "
                                     "(4194304 bytes) set by total_min")

    def test_table_for_an_existing_component_needs_no_size(self):
        d = fresh_dir("config", "existing")
        (d / "b.toml").write_text("[wrt-runtime]\nmax = \"20MB\"\n")
        proc = validate(d, "--preset", "wrt", "--config", "b.toml", "--component", "wrt-runtime=24MB")
        self.assertFails(proc)
        self.assertLine(proc.stderr, "command line: error: Budget for wrt-runtime (25165824 bytes) exceeds maximum "
                                     "(20971520 bytes) set by max")

    def test_new_component_table_without_size(self):
        d = fresh_dir("config", "nosize")
        (d / "b.toml").write_text("\n[cache]\ncategory = \"other\"\n")
        proc = validate(d, "--config", "b.toml")
        self.assertFails(proc)
        self.assertLine(proc.stderr, 'b.toml:2:2: error: Component cache is new here and has no size; '
                                     'add size = "..." to [cache]')

    def test_probable_typo_of_a_preset_name_warns(self):
        d = fresh_dir("config", "typo")
        (d / "b.toml").write_text('"wrt-runtme" = "5MB"\n')
        proc = validate(d, "--preset", "wrt", "--config", "b.toml", "--platform", "server")
        self.assertOk(proc)
        self.assertLine(proc.stderr, "b.toml:1:1: warning: Component wrt-runtme is not declared elsewhere and is added "
                                     "as a new component; did you mean wrt-runtime?")


class BadFiles(TestCase):
    def test_syntax_error_has_line_and_column(self):
        d = fresh_dir("config", "syntax")
        (d / "b.toml").write_text('net = "1MB"\nstorage = "512KB\n')
        proc = validate(d, "--config", "b.toml")
        self.assertFails(proc)
        self.assertRegex(proc.stderr, r"(?m)^b\.toml:2:\d+: error: TOML syntax error: .+$")
        self.assertNotIn("Total budget", proc.stderr)

    def test_duplicate_key_is_a_syntax_error(self):
        d = fresh_dir("config", "dup")
        (d / "b.toml").write_text('net = "1MB"\nnet = "2MB"\n')
        proc = validate(d, "--config", "b.toml")
        self.assertFails(proc)
        self.assertRegex(proc.stderr, r"(?m)^b\.toml:2:\d+: error: TOML syntax error: .*net.*$")

    def test_unknown_keys(self):
        d = fresh_dir("config", "unknown")
        (d / "b.toml").write_text('[net]\nsize = "1MB"\n  budgett = 5\n[budget]\nplatfrom = "iot"\n')
        proc = validate(d, "--config", "b.toml")
        self.assertFails(proc)
        self.assertLine(proc.stderr, 'b.toml:3:3: error: Unknown key "budgett" in [net]; expected size, category, '
                                     "min, max or freestanding")
        self.assertLine(proc.stderr, 'b.toml:5:1: error: Unknown key "platfrom" in [budget]; expected platform, '
                                     "total_max or total_min")

    def test_wrong_types(self):
        d = fresh_dir("config", "types")
        (d / "b.toml").write_text('[net]\nsize = "1MB"\ncategory = 3\nfreestanding = "yes"\n'
                                  '[budget]\nplatform = "moon"\n')
        proc = validate(d, "--config", "b.toml")
        self.assertFails(proc)
        self.assertLine(proc.stderr, "b.toml:3:1: error: Expected a string for the category of net")
        self.assertLine(proc.stderr, "b.toml:4:1: error: Expected true or false for freestanding of net")
        self.assertLine(proc.stderr, 'b.toml:6:1: error: Unknown platform "moon"; '
                                     "expected embedded, iot, desktop or server")

    def test_missing_file(self):
        d = fresh_dir("config", "missing")
        proc = validate(d, "--config", "nope.toml")
        self.assertFails(proc)
        self.assertLine(proc.stderr, "nope.toml: error: Cannot read the config file: no such file or not readable")


class Precedence(TestCase):
    def test_preset_then_arguments_then_config_then_env(self):
        d = fresh_dir("config", "precedence")
        (d / "b.toml").write_text('"wrt-component" = "13MB"\n"wrt-host" = "5MB"\n')
        env = clean_env(WRT_BUDGET_WRT_HOST="6MB")
        proc = validate(d, "--preset", "wrt", "--config", "b.toml", "--json",
                        "--component", "wrt-runtime=17MB", "--component", "wrt-component=14MB",
                        "--component", "wrt-host=7MB", env=env)
        self.assertOk(proc)
        by_name = {c["name"]: (c["bytes"], c["source"]) for c in budget_of(proc)["components"]}
        self.assertEqual(by_name["wrt-decoder"], (4 * MiB, "preset"))
        self.assertEqual(by_name["wrt-runtime"], (17 * MiB, "cmake"))
        self.assertEqual(by_name["wrt-component"], (13 * MiB, "config"))
        self.assertEqual(by_name["wrt-host"], (6 * MiB, "env"))

    def test_config_platform_wins_over_argument(self):
        d = fresh_dir("config", "platform")
        (d / "b.toml").write_text('[budget]\nplatform = "iot"\n')
        proc = validate(d, "--config", "b.toml", "--platform", "embedded", "--component", "a=8MB")
        self.assertOk(proc)
        self.assertIn("(platform iot)", proc.stdout)


if __name__ == "__main__":
    unittest.main()
