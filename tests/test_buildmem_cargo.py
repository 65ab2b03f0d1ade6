"""`buildbudget buildmem cargo-config` (doc/lowmem.md, "Cargo"; its messages in doc/messages.md,
"Build memory") with the real cargo: Debian's cargo 1.65 driving rustc 1.63 (/usr/bin) and rustup's
current cargo (~/.cargo/bin).

A std-only scratch crate (no crates.io here) gets a .cargo/config.toml with the user's own keys
([alias], [env], [target.<host>] rustflags, comments); the helper adds the memory settings, and
`cargo build -v` must succeed without a single warning ("unused config key" included) while its
rustc command lines show that every key took effect (-C debuginfo, -C lto, the linker flag, the
user's --cfg), `--timings` shows the job limit (jobs=N), the binary shows [env] and the user's
rustflags, and the [alias] still runs. A second run leaves the file alone (bytes and mtime); a
malformed file is reported as file:line:column and left untouched.

split-debuginfo, measured here: cargo 1.65 with rustc 1.63 drops `split-debuginfo = "unpacked"`
without a word (no -C split-debuginfo on the rustc line), while Rust 1.95 passes it and writes .dwo
files; so the helper writes it only for Rust >= 1.65.

The linker flags (doc/lowmem.md, "Cargo"): `--rustc` asks each toolchain on the machine (Debian's and every
rustup toolchain) which linker it really runs, and the crate must then build with the written flags,
with and without split-debuginfo. Expected, from rustc's own rules rather than the helper's probe: Rust
1.90 and later link x86_64-unknown-linux-gnu with their own rust-lld (`--threads=N`), older ones with
`cc` and the system's GNU ld (`--no-keep-memory --reduce-memory-overheads`); a config's own `linker =
"clang"` with `-fuse-ld=mold`, or `-fuse-ld=gold`, gets mold's or gold's flags; GNU ld flags left by an
older helper are replaced where rustc links with lld, whose `--reduce-memory-overheads` error broke every
build."""
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


def all_toolchains():
    """Debian's toolchain and each installed rustup toolchain (its own binaries, not the proxies)."""
    found = {"debian": TOOLCHAINS["debian"]}
    for bin_dir in sorted((HOME / ".rustup/toolchains").glob("*/bin")):
        if (bin_dir / "cargo").exists() and (bin_dir / "rustc").exists():
            found["rustup-" + bin_dir.parent.name] = {
                "cargo": str(bin_dir / "cargo"), "rustc": str(bin_dir / "rustc"), "path": f"{bin_dir}:/usr/bin:/bin"}
    if len(found) < 2:
        raise AssertionError("no rustup toolchain under ~/.rustup/toolchains (CI machines have stable)")
    return found


def version_tuple(release):
    return tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", release).groups())


def memory_flags(kind, threads, through_cc=True):
    options = {"bfd": ["--no-keep-memory", "--reduce-memory-overheads"],
               "gold": ["--no-map-whole-files", "--no-keep-files-mapped"],
               "lld": [f"--threads={threads}"], "mold": [f"--thread-count={threads}"]}[kind]
    flags = []
    for option in options:
        flags += ["-C", "link-arg=" + ("-Wl," + option if through_cc else option)]
    return flags


def default_linker(release, host):
    """The linker rustc runs by default: rust-lld from Rust 1.90 on x86_64-unknown-linux-gnu (the Rust
    blog, "Rust 1.90.0": "LLD is now the default linker on x86_64-unknown-linux-gnu"), else `cc`, which on
    Debian runs GNU ld (binutils' ld.bfd as /usr/bin/ld)."""
    if host == "x86_64-unknown-linux-gnu" and version_tuple(release) >= (1, 90):
        return "lld"
    ld = run(["ld", "--version"])
    if not ld.stdout.startswith("GNU ld "):
        raise AssertionError(f"/usr/bin/ld is not GNU ld: {ld.stdout[:80]}")
    return "bfd"


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
        return run([toolchain["cargo"], *args], cwd=root, env=env)

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

    def linker_config(self, toolchain, root, config, threads, *extra):
        proc = helper("buildmem", "cargo-config", "--file", config, "--jobs", "2", "--rustc", toolchain["rustc"],
                      "--linker-threads", threads, *extra, "--json", cwd=root, env=self.env(toolchain, root / "h"))
        self.assertOk(proc, "cargo-config")
        return json.loads(proc.stdout)

    def assertBuildsWith(self, toolchain, root, flags, rustc_warning=None):
        """cargo build passes without a warning (but `rustc_warning`, about the user's own choice, and the
        count of it), and the rustc line carries `flags`."""
        build = self.cargo(toolchain, root, "build", "-v")
        if rustc_warning and rustc_warning in build.stderr:
            build.stderr = re.sub(r"(?m)^warning: .*generated 1 warning$", "", build.stderr.replace(rustc_warning, ""))
        self.assertNoWarnings(build)
        line = self.rustc_line(build.stderr)
        for flag in flags[1::2]:
            self.assertIn(flag, line)
        binary = run([root / "target/debug/bbhello"])
        self.assertEqual(binary.stdout.splitlines()[0], "greeting=hello from env")

    def test_linker_flags_of_the_linker_rustc_runs(self):
        for name, toolchain in all_toolchains().items():
            release, host = rustc_info(toolchain)
            kind = default_linker(release, host)
            for debug_info in ("split", "line-tables", "off"):
                with self.subTest(toolchain=name, release=release, debug_info=debug_info):
                    root, config = self.project(f"linker-{name}-{debug_info}", host)
                    report = self.linker_config(toolchain, root, config, 2, "--debug-info", debug_info)
                    expected = memory_flags(kind, 2)
                    [linker] = report["linkers"]
                    self.assertEqual((linker["target"], linker["linker"], linker["rustflags"]),
                                     (host, {"bfd": "GNU ld", "lld": "lld"}[kind], expected), report)
                    self.assertEqual(linker["self_contained"], kind == "lld")
                    self.assertEqual(report["rust_version"], release.split("-")[0])
                    data = config.read_text()
                    self.assertIn("rustflags = [" + ", ".join(json.dumps(f) for f in ["--cfg", "bb_user_flag"] + expected)
                                  + "]", data)
                    self.assertEqual("split-debuginfo" in data,
                                     debug_info == "split" and version_tuple(release) >= (1, 65))
                    self.assertBuildsWith(toolchain, root, expected)

    def test_the_users_own_linker_choice(self):
        # linker = "clang" with -fuse-ld=mold, and -fuse-ld=gold through cc: the probe links as cargo
        # will, with the user's flags, and each linker gets its own flags (3 threads here).
        cases = {
            "mold": ('linker = "clang"\nrustflags = ["-C", "link-arg=-fuse-ld=mold"]\n', "mold", "clang"),
            "gold": ('rustflags = ["-C", "link-arg=-fuse-ld=gold"]\n', "gold", "cc"),
        }
        for name, toolchain in all_toolchains().items():
            release, host = rustc_info(toolchain)
            for case, (target_keys, kind, program) in cases.items():
                with self.subTest(toolchain=name, linker=case):
                    root, config = self.project(f"own-{name}-{case}", host)
                    config.write_text(f'[env]\nBB_GREETING = "hello from env"\n\n[target.{host}]\n{target_keys}')
                    report = self.linker_config(toolchain, root, config, 3)
                    [linker] = report["linkers"]
                    expected = memory_flags(kind, 3)
                    self.assertEqual((linker["linker"], linker["program"], linker["rustflags"]),
                                     ({"mold": "mold", "gold": "gold"}[kind], program, expected), report)
                    # Rust 1.90 and later warn about gold themselves (the user's choice, not ours).
                    self.assertBuildsWith(toolchain, root, expected,
                                          "warning: the gold linker is deprecated" if kind == "gold" else None)

    def test_flags_of_another_linker_are_replaced(self):
        # What the helper wrote before it asked rustc: GNU ld's flags, which rust-lld rejects
        # ("unknown argument '--reduce-memory-overheads'").
        for name, toolchain in all_toolchains().items():
            release, host = rustc_info(toolchain)
            kind = default_linker(release, host)
            with self.subTest(toolchain=name):
                root, config = self.project(f"stale-{name}", host)
                stale = memory_flags("bfd", 0)
                config.write_text(USER_CONFIG.format(host=host).replace(
                    '["--cfg", "bb_user_flag"]', json.dumps(["--cfg", "bb_user_flag"] + stale)))
                if kind == "lld":
                    broken = self.cargo(toolchain, root, "build")
                    self.assertNotEqual(broken.returncode, 0)
                    self.assertIn("--reduce-memory-overheads", broken.stderr)
                report = self.linker_config(toolchain, root, config, 2)
                expected = memory_flags(kind, 2)
                self.assertEqual(report["linkers"][0]["rustflags"], expected)
                self.assertIn("rustflags = " + json.dumps(["--cfg", "bb_user_flag"] + expected),
                              config.read_text())
                if kind == "lld":
                    self.assertTrue(any("removed -C link-arg=-Wl,--no-keep-memory" in n for n in report["notes"]),
                                    report["notes"])
                self.assertBuildsWith(toolchain, root, expected)

    def test_each_build_target_gets_the_flags_of_its_own_linker(self):
        # [build] target with wasm32-wasi and the host: Debian's rustc links wasm32 with its rust-lld run
        # directly (-flavor wasm), which takes --threads=N as is (a -Wl, form would be an unknown argument),
        # and the host through cc and GNU ld. Debian's rustc has the wasm32-wasi standard library
        # (tools/quickstart.sh installs it).
        toolchain = TOOLCHAINS["debian"]
        release, host = rustc_info(toolchain)
        sysroot = run([toolchain["rustc"], "--print", "sysroot"]).stdout.strip()
        if not pathlib.Path(sysroot, "lib/rustlib/wasm32-wasi").is_dir():
            raise AssertionError(f"{toolchain['rustc']} has no wasm32-wasi standard library (tools/quickstart.sh)")
        root, config = self.project("targets-debian", host)
        config.write_text(USER_CONFIG.format(host=host) + f'\n[build]\ntarget = ["wasm32-wasi", "{host}"]\n')
        report = self.linker_config(toolchain, root, config, 2)
        linkers = {l["target"]: l for l in report["linkers"]}
        self.assertEqual(sorted(linkers), sorted(["wasm32-wasi", host]))
        self.assertEqual((linkers["wasm32-wasi"]["linker"], linkers["wasm32-wasi"]["through_cc"],
                          linkers["wasm32-wasi"]["rustflags"]), ("lld", False, memory_flags("lld", 2, through_cc=False)))
        self.assertEqual(linkers[host]["rustflags"], memory_flags("bfd", 2))
        build = self.cargo(toolchain, root, "build", "-v")
        self.assertNoWarnings(build)
        lines = [l for l in build.stderr.splitlines() if "Running `" in l and "--crate-name bbhello" in l]
        self.assertEqual(len(lines), 2, build.stderr)
        wasm_line = next(l for l in lines if "--target wasm32-wasi" in l)
        host_line = next(l for l in lines if f"--target {host}" in l)
        self.assertIn("-C link-arg=--threads=2", wasm_line)
        self.assertIn("-C link-arg=-Wl,--reduce-memory-overheads", host_line)
        self.assertTrue((root / "target/wasm32-wasi/debug/bbhello.wasm").is_file())
        self.assertEqual(run([root / f"target/{host}/debug/bbhello"]).stdout.splitlines()[0], "greeting=hello from env")

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
