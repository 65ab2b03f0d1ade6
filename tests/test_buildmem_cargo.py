"""`buildbudget buildmem cargo-config` (SPEC §5 "Cargo", §7) with the real cargo: Debian's cargo 1.65
driving rustc 1.63 (/usr/bin) and rustup's current cargo (~/.cargo/bin).

A std-only scratch crate (no crates.io here) gets a .cargo/config.toml with the user's own keys
([alias], [env], [target.<host>] rustflags, comments); the helper adds the memory settings, and
`cargo build -v` must succeed without a single warning ("unused config key" included) while its
rustc command lines show that every key took effect (-C debuginfo, -C lto, the linker flag, the
user's --cfg), `--timings` shows the job limit (jobs=N), the binary shows [env] and the user's
rustflags, and the [alias] still runs. A second run leaves the file alone (bytes and mtime); a
malformed file is reported as file:line:column and left untouched.

split-debuginfo, measured here: cargo 1.65 with rustc 1.63 drops `split-debuginfo = "unpacked"`
without a word (no -C split-debuginfo on the rustc line), while Rust 1.95 passes it and writes .dwo
files; so the helper writes it only for Rust >= 1.65."""
import json
import os
import pathlib
import re
import shutil
import unittest

from support import TestCase, WORK_DIR, fresh_dir, helper, run

HOME = pathlib.Path.home()
TOOLCHAINS = {
    "debian": {"cargo": "/usr/bin/cargo", "rustc": "/usr/bin/rustc", "path": "/usr/bin:/bin"},
    "rustup": {"cargo": str(HOME / ".cargo/bin/cargo"), "rustc": str(HOME / ".cargo/bin/rustc"),
               "path": f"{HOME / '.cargo/bin'}:/usr/bin:/bin"},
}

MAIN_RS = r"""#![allow(unknown_lints)]
#![allow(unexpected_cfgs)]
fn main() {
    println!("greeting={}", env!("BB_GREETING"));
    #[cfg(bb_user_flag)]
    println!("user flag on");
}
"""

USER_CONFIG = """# The project's own cargo settings.
[alias]
bb = "build -v"   # a short alias

[env]
BB_GREETING = "hello from env"

[target.{host}]
rustflags = ["--cfg", "bb_user_flag"]
"""


def rustc_info(toolchain):
    proc = run([toolchain["rustc"], "-vV"])
    if proc.returncode != 0:
        raise AssertionError(proc.stderr)
    release = re.search(r"(?m)^release: (\S+)$", proc.stdout).group(1)
    host = re.search(r"(?m)^host: (\S+)$", proc.stdout).group(1)
    return release, host


class CargoConfig(TestCase):
    def env(self, toolchain, cargo_home):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CARGO", "RUST")) or k == "RUSTUP_HOME"}
        env.update(PATH=toolchain["path"], RUSTC=toolchain["rustc"], CARGO_HOME=str(cargo_home),
                   CARGO_NET_OFFLINE="true", CARGO_TERM_COLOR="never")
        env.setdefault("RUSTUP_HOME", str(HOME / ".rustup"))
        return env

    def project(self, name, host):
        root = fresh_dir("cargo", name)
        (root / "src").mkdir()
        (root / "Cargo.toml").write_text('[package]\nname = "bbhello"\nversion = "0.1.0"\nedition = "2018"\n\n'
                                         "[dependencies]\n")
        (root / "src/main.rs").write_text(MAIN_RS)
        config = root / ".cargo/config.toml"
        config.parent.mkdir()
        config.write_text(USER_CONFIG.format(host=host))
        return root, config

    def cargo(self, toolchain, root, *args):
        env = self.env(toolchain, root / "cargo-home")
        return run([toolchain["cargo"], *args], cwd=root, env=env, timeout=900)

    def assertNoWarnings(self, proc):
        self.assertOk(proc, "cargo")
        self.assertNotIn("unused config key", proc.stderr)
        self.assertNotRegex(proc.stderr, r"(?im)^warning", proc.stderr)

    def rustc_line(self, stderr):
        lines = [l for l in stderr.splitlines() if "Running `" in l and "--crate-name bbhello" in l]
        self.assertEqual(len(lines), 1, stderr)
        return lines[0]

    def test_settings_take_effect_and_user_keys_survive(self):
        for name, toolchain in TOOLCHAINS.items():
            with self.subTest(toolchain=name):
                release, host = rustc_info(toolchain)
                root, config = self.project(f"effect-{name}", host)
                proc = helper("buildmem", "cargo-config", "--file", config, "--jobs", "1",
                              "--debug-info", "line-tables", "--lto", "thin", "--cargo-version", release,
                              "--target", host, "--rustflag=-C", "--rustflag=link-arg=-Wl,--no-keep-memory")
                self.assertOk(proc, "cargo-config")
                self.assertEqual(proc.stdout.splitlines()[0], f"{config}: written")
                text = config.read_text()
                # The user's text is still there, comments included.
                for line in ("# The project's own cargo settings.", 'bb = "build -v"   # a short alias',
                             'BB_GREETING = "hello from env"'):
                    self.assertIn(line + "\n", text)

                build = self.cargo(toolchain, root, "build", "-v", "--timings")
                self.assertNoWarnings(build)
                line = self.rustc_line(build.stderr)
                self.assertIn("-C debuginfo=1", line)
                self.assertIn("-C lto=thin", line)
                self.assertIn("link-arg=-Wl,--no-keep-memory", line)
                self.assertIn("--cfg bb_user_flag", line)  # the user's flags, merged with ours
                timings = "".join(p.read_text() for p in (root / "target/cargo-timings").glob("cargo-timing*.html"))
                self.assertRegex(timings, r"jobs=1 ncpu=\d+")
                binary = run([root / "target/debug/bbhello"])
                self.assertEqual(binary.stdout.splitlines(), ["greeting=hello from env", "user flag on"])

                release_build = self.cargo(toolchain, root, "build", "--release", "-v")
                self.assertNoWarnings(release_build)
                line = self.rustc_line(release_build.stderr)
                self.assertIn("-C debuginfo=1", line)
                self.assertIn("-C lto=thin", line)

                alias = self.cargo(toolchain, root, "bb")
                self.assertNoWarnings(alias)
                self.assertIn("Fresh bbhello", alias.stderr)  # `build -v` ran, and had nothing to do

                # Again: the file is not rewritten.
                before = (config.read_bytes(), config.stat().st_mtime_ns)
                again = helper("buildmem", "cargo-config", "--file", config, "--jobs", "1",
                               "--debug-info", "line-tables", "--lto", "thin", "--cargo-version", release,
                               "--target", host, "--rustflag=-C", "--rustflag=link-arg=-Wl,--no-keep-memory")
                self.assertOk(again)
                self.assertEqual(again.stdout.splitlines()[0], f"{config}: unchanged")
                self.assertEqual((config.read_bytes(), config.stat().st_mtime_ns), before)

    def test_split_debuginfo_by_version(self):
        for name, toolchain in TOOLCHAINS.items():
            with self.subTest(toolchain=name):
                release, host = rustc_info(toolchain)
                major, minor = (int(x) for x in release.split(".")[:2])
                supported = (major, minor) >= (1, 65)
                root, config = self.project(f"split-{name}", host)
                proc = helper("buildmem", "cargo-config", "--file", config, "--jobs", "2", "--debug-info", "split",
                              "--lto", "off", "--cargo-version", release, "--json")
                self.assertOk(proc, "cargo-config")
                report = json.loads(proc.stdout)
                self.assertEqual(report["result"], "written")
                text = config.read_text()
                build = self.cargo(toolchain, root, "build", "-v")
                self.assertNoWarnings(build)
                line = self.rustc_line(build.stderr)
                self.assertIn("-C debuginfo=2", line)
                dwo = list((root / "target/debug/deps").glob("bbhello-*.dwo"))
                if supported:
                    self.assertRegex(text, r'(?m)^split-debuginfo = "unpacked"$')
                    self.assertIn("-C split-debuginfo=unpacked", line)
                    self.assertTrue(dwo, "no .dwo files")
                else:
                    self.assertNotIn("split-debuginfo", text)
                    self.assertTrue(any("no split-debuginfo" in n for n in report["notes"]), report["notes"])
                    self.assertFalse(dwo)
                    # Why: this cargo drops the key without a word.
                    config.write_text(text.replace("debug = 2\n", 'debug = 2\nsplit-debuginfo = "unpacked"\n', 1))
                    forced = self.cargo(toolchain, root, "build", "-v")
                    self.assertNoWarnings(forced)
                    self.assertNotIn("split-debuginfo", self.rustc_line(forced.stderr))

    def test_malformed_file_is_named_and_left_alone(self):
        release, host = rustc_info(TOOLCHAINS["rustup"])
        root, config = self.project("malformed", host)
        config.write_text('[alias]\nbb = "build"\n[build\njobs = 2\n')
        before = (config.read_bytes(), config.stat().st_mtime_ns)
        proc = helper("buildmem", "cargo-config", "--file", config, "--jobs", "2")
        self.assertFails(proc, 1)
        self.assertRegex(proc.stderr, rf"^buildbudget: error: {re.escape(str(config))}:3:7: .*expected")
        self.assertEqual((config.read_bytes(), config.stat().st_mtime_ns), before)
        # A key of the wrong type is named too.
        config.write_text("[profile]\ndev = 3\n")
        proc = helper("buildmem", "cargo-config", "--file", config, "--debug-info", "off")
        self.assertFails(proc, 1)
        self.assertEqual(proc.stderr.strip(), f"buildbudget: error: {config}:2:7: expected [profile.dev] to be a "
                                              "table, found an integer")
        proc = helper("buildmem", "cargo-config", "--file", config, "--cargo-version", "one")
        self.assertFails(proc, 1)
        self.assertIn("--cargo-version", proc.stderr)


if __name__ == "__main__":
    unittest.main()
