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
import time
import unittest

from support import TestCase, WORK_DIR, free_port, fresh_dir, helper, run

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


LIB_RS = "pub fn add(a: u32, b: u32) -> u32 { a + b }\n"
WRAPPED_MAIN_RS = "fn main() { println!(\"sum={}\", bbwrap::add(1, 2)); }\n"


def live_processes_with(variable):
    """Pids of live (not zombie) processes whose environment holds `variable` (NAME=value)."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if state != "Z" and variable.encode() in environ:
            found.append(int(proc.name))
    return found


class RustcWrapper(TestCase):
    """Cargo's rustc through the job launcher, behind sccache when it is there (doc/lowmem.md, "Cargo"):
    `cargo-config --plan` writes [build] rustc-wrapper and `plan --write-env --rustc-wrapper` exports
    RUSTC_WRAPPER, both naming <build>/buildbudget-lowmem/rustc-wrapper. With every toolchain on the machine,
    with Debian's sccache on PATH and with a PATH without it: the release build of a std-only crate (a
    library and a program) succeeds through the config, and again after `cargo clean` through the env
    script; the job log records each rustc compile with the memory of rustc itself (sccache runs rustc in
    its server, so a launcher in front of sccache would see only the client's few MiB); with sccache, the
    second build's library is a cache hit (no rustc ran, no record) and `buildmem report` shows sccache's
    own hit and miss counts. Re-running both commands leaves the three files alone (bytes and mtime)."""

    @classmethod
    def setUpClass(cls):
        # A PATH without sccache: /usr/bin's programs but that one (/bin is /usr/bin on Debian 12).
        cls.no_sccache = fresh_dir("cargo-wrapper", "no-sccache-bin")
        for program in pathlib.Path("/usr/bin").iterdir():
            if program.name != "sccache":
                (cls.no_sccache / program.name).symlink_to(program)
        if not shutil.which("sccache", path="/usr/bin"):
            raise AssertionError("sccache is not installed (tools/quickstart.sh installs Debian's package)")

    def case(self, name, toolchain, with_sccache):
        root = fresh_dir("cargo-wrapper", name)
        (root / "src").mkdir()
        (root / "Cargo.toml").write_text('[package]\nname = "bbwrap"\nversion = "0.1.0"\nedition = "2018"\n\n'
                                         "[dependencies]\n")
        (root / "src/lib.rs").write_text(LIB_RS)
        (root / "src/main.rs").write_text(WRAPPED_MAIN_RS)
        path = toolchain["path"]
        if not with_sccache:
            path = path.replace("/usr/bin:/bin", str(self.no_sccache))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CARGO", "RUST", "SCCACHE"))}
        env.update(PATH=path, RUSTC=toolchain["rustc"], CARGO_HOME=str(root / "cargo-home"),
                   CARGO_NET_OFFLINE="true", CARGO_TERM_COLOR="never", RUSTUP_HOME=str(HOME / ".rustup"),
                   SCCACHE_DIR=str(root / "sccache"), SCCACHE_SERVER_PORT=str(free_port()))
        return root, env

    def generate(self, root, env):
        build = root / "build"
        plan = build / "buildbudget-lowmem/plan.json"
        outputs = []
        proc = helper("buildmem", "plan", "--memory-limit", "4GiB", "--cpus", "2", "--write-plan", plan,
                      "--write-env", build / "build-env.sh", "--rustc-wrapper", env=env)
        self.assertOk(proc, "plan --write-env --rustc-wrapper")
        outputs.append(proc.stdout)
        proc = helper("buildmem", "cargo-config", "--file", root / ".cargo/config.toml", "--jobs", "2",
                      "--plan", plan, "--json", env=env)
        self.assertOk(proc, "cargo-config --plan")
        return plan, json.loads(proc.stdout)

    def stop_sccache(self, env):
        run(["/usr/bin/sccache", "--stop-server"], env=env)
        # The server exits just after it answers: wait for it (generously, for a loaded machine).
        deadline = time.monotonic() + 60
        while live_processes_with("SCCACHE_DIR=" + env["SCCACHE_DIR"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(live_processes_with("SCCACHE_DIR=" + env["SCCACHE_DIR"]), [], "an sccache server is left")

    def compiles(self, log, skip=0):
        records = [json.loads(l) for l in log.read_text().splitlines()[skip:]]
        sources = sorted(next(a for a in r["command"] if a.endswith(".rs")) for r in records)
        for r in records:
            self.assertEqual((r["kind"], r["exit_code"]), ("compile", 0), r["command"])
            self.assertIn("bbwrap", r["command"])  # --crate-name bbwrap: a crate, not cargo's query
            # Keyed by its source and its cargo unit (the lib and the bin are two jobs of one crate name).
            self.assertEqual(r["source"], next(a for a in r["command"] if a.endswith(".rs")), r["command"])
            self.assertRegex(r["output"], r"/deps/bbwrap-[0-9a-f]{16}$", r["command"])
            # rustc's own memory (tens of MiB at least), not sccache's client (about 6 MiB).
            self.assertGreater(r["peak_rss"], 20 << 20, r["command"])
        return sources

    def test_cargo_build_through_the_launcher_with_and_without_sccache(self):
        for name, toolchain in all_toolchains().items():
            for with_sccache in (True, False):
                with self.subTest(toolchain=name, sccache=with_sccache):
                    root, env = self.case(f"{name}-{'sccache' if with_sccache else 'plain'}", toolchain, with_sccache)
                    self.addCleanup(self.stop_sccache, env)
                    plan, report = self.generate(root, env)
                    wrapper = plan.parent / "rustc-wrapper"
                    self.assertEqual(report["rustc_wrapper"], str(wrapper))
                    self.assertEqual(report["sccache"], "/usr/bin/sccache" if with_sccache else None)
                    config = root / ".cargo/config.toml"
                    self.assertIn(f'rustc-wrapper = "{wrapper}"\n', config.read_text())
                    script = root / "build/build-env.sh"
                    self.assertIn(f"RUSTC_WRAPPER='{wrapper}'; export RUSTC_WRAPPER", script.read_text())
                    files = [config, script, wrapper, plan]
                    before = [(f.read_bytes(), f.stat().st_mtime_ns) for f in files]

                    # Through the config, then through the env script alone: each builds, `cargo clean`s and
                    # builds again. sccache hashes the CARGO_* environment, so the env script's CARGO_BUILD_JOBS
                    # makes its first build a miss too.
                    log = plan.parent / "jobs.jsonl"
                    for way in ("config", "env script"):
                        for run_number in (1, 2):
                            seen = len(log.read_text().splitlines()) if log.exists() else 0
                            command = [toolchain["cargo"], "build", "--release"]
                            if way == "env script":
                                config.rename(root / ".cargo/off.toml")
                                command = ["dash", "-c", '. "$1" && shift && exec "$@"', "sh", script, *command]
                            build = run(command, cwd=root, env=env)
                            if way == "env script":
                                (root / ".cargo/off.toml").rename(config)
                            self.assertOk(build, f"cargo build ({way}, build {run_number})")
                            self.assertEqual(run([root / "target/release/bbwrap"]).stdout, "sum=3\n")
                            # With sccache the library's second build is a cache hit: no rustc ran for it
                            # (sccache does not cache programs).
                            self.assertEqual(self.compiles(log, seen), ["src/main.rs"] if with_sccache and run_number == 2
                                             else ["src/lib.rs", "src/main.rs"], f"{way}, build {run_number}")
                            self.assertOk(run([toolchain["cargo"], "clean"], cwd=root, env=env))

                    shown = helper("buildmem", "report", "--plan", plan, "--json", env=env)
                    self.assertOk(shown, "buildmem report")
                    shown = json.loads(shown.stdout)
                    text = helper("buildmem", "report", "--plan", plan, env=env).stdout
                    # `buildbudget report` on the build tree shows the same figures (report.json, report.md).
                    summary = helper("report", "--build-dir", root / "build", "--out-dir", root / "report", env=env)
                    self.assertOk(summary, "buildbudget report")
                    memory = json.loads((root / "report/report.json").read_text())["build_memory"]
                    markdown = (root / "report/report.md").read_text()
                    if with_sccache:
                        stats = json.loads(run(["/usr/bin/sccache", "--show-stats", "--stats-format", "json"],
                                               env=env).stdout)["stats"]
                        hits = sum(stats["cache_hits"]["counts"].values())
                        misses = sum(stats["cache_misses"]["counts"].values())
                        self.assertEqual((hits, misses), (2, 2))  # the library: missed, then hit, twice
                        self.assertEqual((shown["sccache"]["hits"], shown["sccache"]["misses"],
                                          shown["sccache"]["running"]), (hits, misses, True))
                        counts = (f"2 hits (Rust 2), 2 misses (Rust 2), {stats['requests_not_cacheable']} not "
                                  f"cacheable, of {stats['compile_requests']} compile requests")
                        self.assertIn(counts, text)
                        self.assertEqual(memory["sccache"], shown["sccache"])
                        self.assertIn(counts, markdown)
                    else:
                        self.assertNotIn("sccache", shown)
                        self.assertNotIn("sccache", text)
                        self.assertNotIn("sccache", memory)
                        self.assertNotIn("sccache", markdown)

                    # Again: nothing is rewritten.
                    self.generate(root, env)
                    self.assertEqual([(f.read_bytes(), f.stat().st_mtime_ns) for f in files], before)

    def test_a_wrapper_of_the_users_own_is_kept(self):
        toolchain = TOOLCHAINS["rustup"]
        root, env = self.case("own-wrapper", toolchain, True)
        config = root / ".cargo/config.toml"
        config.parent.mkdir()
        plan = root / "build/buildbudget-lowmem/plan.json"
        wrapper = plan.parent / "rustc-wrapper"
        self.assertOk(helper("buildmem", "plan", "--memory-limit", "4GiB", "--write-plan", plan,
                             "--write-env", root / "build/build-env.sh", "--rustc-wrapper", env=env))
        config.write_text('[build]\nrustc-wrapper = "/opt/tools/mywrap"  # ours\n')
        proc = helper("buildmem", "cargo-config", "--file", config, "--plan", plan, env=env)
        self.assertOk(proc)
        self.assertEqual(config.read_text(), '[build]\nrustc-wrapper = "/opt/tools/mywrap"  # ours\n')
        self.assertIn('buildbudget: note: [build] rustc-wrapper = "/opt/tools/mywrap" is kept: cargo runs one wrapper, so rustc '
                      "jobs are not recorded in the job log", proc.stdout)
        # sccache as the user's wrapper: replaced by ours, which runs it.
        config.write_text('[build]\nrustc-wrapper = "sccache"\n')
        proc = helper("buildmem", "cargo-config", "--file", config, "--plan", plan, env={**env, "RUSTC_WRAPPER": "x"})
        self.assertOk(proc)
        self.assertEqual(config.read_text(), f'[build]\nrustc-wrapper = "{wrapper}"\n')
        self.assertIn(f'buildbudget: note: [build] rustc-wrapper = "sccache" is replaced by {wrapper}', proc.stdout)
        self.assertIn("buildbudget: note: RUSTC_WRAPPER is set: cargo runs it instead of [build] rustc-wrapper", proc.stdout)
        # Another build tree's wrapper: replaced (the last configure records the jobs).
        other = "/work/other build/buildbudget-lowmem/rustc-wrapper"
        config.write_text(f'[build]\nrustc-wrapper = "{other}"\n')
        proc = helper("buildmem", "cargo-config", "--file", config, "--plan", plan, env=env)
        self.assertOk(proc)
        self.assertEqual(config.read_text(), f'[build]\nrustc-wrapper = "{wrapper}"\n')
        self.assertIn(f'buildbudget: note: [build] rustc-wrapper = "{other}", another build tree\'s, is replaced by {wrapper}',
                      proc.stdout)
        # LAUNCHER OFF: BuildBudget's wrapper is taken out ("": no wrapper, for Debian's cargo and rustup's), a
        # wrapper of the user's own stays.
        proc = helper("buildmem", "cargo-config", "--file", config, "--no-rustc-wrapper", env=env)
        self.assertOk(proc)
        self.assertEqual(config.read_text(), '[build]\nrustc-wrapper = ""\n')
        self.assertIn(f'buildbudget: note: [build] rustc-wrapper = "": BuildBudget\'s wrapper {wrapper} is taken out', proc.stdout)
        (root / "src/lib.rs").unlink()
        (root / "src/main.rs").write_text("fn main() {}\n")
        for toolchain in TOOLCHAINS.values():
            self.assertOk(run([toolchain["cargo"], "build", "-q"], cwd=root, env={**env, "PATH": toolchain["path"],
                                                                                   "RUSTC": toolchain["rustc"]}))
        self.assertFalse((plan.parent / "jobs.jsonl").exists())  # no rustc ran through the launcher
        config.write_text('[build]\nrustc-wrapper = "/opt/tools/mywrap"\n')
        self.assertOk(helper("buildmem", "cargo-config", "--file", config, "--no-rustc-wrapper", env=env))
        self.assertEqual(config.read_text(), '[build]\nrustc-wrapper = "/opt/tools/mywrap"\n')
        # The env script keeps a RUSTC_WRAPPER of the user's own, and replaces sccache and another tree's wrapper.
        for before, after in (("", str(wrapper)), ("sccache", str(wrapper)), (other, str(wrapper)),
                              ("/opt/tools/mywrap", "/opt/tools/mywrap")):
            shell = run(["dash", "-c", '. "$1" && printf %s "$RUSTC_WRAPPER"', "sh", root / "build/build-env.sh"],
                        env={**env, "RUSTC_WRAPPER": before})
            self.assertEqual(shell.stdout, after)

    def test_cargo_jobs_are_the_local_pool_with_a_compile_farm(self):
        """distcc and icecream compile C and C++ only: rustc runs here, so CARGO_BUILD_JOBS stays the local plan's
        compile pool (2 CPUs) beside a farm pool of 8, and a reason line says why."""
        root, env = self.case("farm", TOOLCHAINS["debian"], True)
        env["DISTCC_HOSTS"] = "127.0.0.1:3632/8"
        plan = root / "build/buildbudget-lowmem/plan.json"
        proc = helper("buildmem", "plan", "--memory-limit", "16GiB", "--cpus", "2", "--distributed", "distcc",
                      "--write-plan", plan, "--write-env", root / "build/build-env.sh", "--rustc-wrapper", env=env)
        self.assertOk(proc)
        self.assertIn("cargo jobs 2: the local plan's compile pool, since rustc runs on this machine (distcc "
                      "distributes C and C++ compiles only); the farm's pool is for those\n", proc.stdout)
        self.assertIn("CARGO_BUILD_JOBS='2'\n", (root / "build/build-env.sh").read_text())


if __name__ == "__main__":
    unittest.main()
