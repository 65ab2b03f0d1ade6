"""wasm_build_target(CARGO_MANIFEST) with every Rust toolchain on the machine (doc/wasm.md,
Rust): whichever is first on PATH, the build uses a rustc whose sysroot has the target, with that
toolchain's own cargo; a rustc without the target chosen by BUILDBUDGET_RUSTC (rustup's stable here,
which has no wasm32 standard library) is a configure error that names the toolchains that have it and
how to select one, never a build with the wrong toolchain. test-projects/wasm-rust holds a cdylib for
wasm32-unknown-unknown and a WASI command for wasm32-wasip1 (wasm32-wasi to Debian's rustc 1.63)."""
import os
import pathlib
import re
import shutil
import subprocess
import unittest

from support import TestCase, build, clean_env, configure, copy_project, run

TARGETS = {"wasm32-unknown-unknown": ["wasm32-unknown-unknown"], "wasm32-wasip1": ["wasm32-wasip1", "wasm32-wasi"]}


def sysroot_of(rustc):
    return subprocess.run([str(rustc), "--print", "sysroot"], text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, check=True).stdout.strip()


def has_target(sysroot, target):
    """Whether <sysroot> holds <target>'s standard library, under any of the target's names."""
    return any(next(pathlib.Path(sysroot, "lib", "rustlib", name, "lib").glob("libstd-*.rlib"), None)
               for name in TARGETS[target])


def toolchains():
    """Every Rust toolchain on this machine, once each (by sysroot), in the package's search order
    (PATH, /usr/bin, ~/.cargo/bin): [(rustc, sysroot)]."""
    dirs = os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin", str(pathlib.Path.home() / ".cargo" / "bin")]
    found, seen = [], set()
    for d in dirs:
        rustc = pathlib.Path(d or ".", "rustc")
        if not (rustc.is_file() and os.access(rustc, os.X_OK)):
            continue
        sysroot = sysroot_of(rustc)
        if sysroot not in seen:
            seen.add(sysroot)
            found.append((rustc, sysroot))
    return found


def chosen(stdout, target):
    """(rustc, cargo, the rest of the line) of the package's status line for <target>."""
    m = re.search(rf"^-- BuildBudget: Rust for {target}: (\S+) \(rustc [^)]*\) with (\S+) \(cargo [^)]*\)(.*)$",
                  stdout, re.M)
    if not m:
        raise AssertionError(f"no status line for {target} in:\n{stdout}")
    return m.group(1), m.group(2), m.group(3)


class Toolchains(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.toolchains = toolchains()

    def test_the_machine_has_a_toolchain_with_each_target(self):
        for target in TARGETS:
            self.assertTrue([r for r, s in self.toolchains if has_target(s, target)],
                            f"no rustc here has {target}: run tools/quickstart.sh (libstd-rust-dev-wasm32)")

    def test_each_toolchain_first_on_path_builds_with_one_that_has_the_target(self):
        for i, (rustc, sysroot) in enumerate(self.toolchains):
            with self.subTest(first_on_path=str(rustc)):
                path = os.pathsep.join([str(rustc.parent), os.environ.get("PATH", "")])
                env = clean_env(PATH=path)
                src = copy_project("wasm-rust", "first", str(i), "src")
                bld = src.parent / "build"
                shutil.rmtree(bld, ignore_errors=True)  # a fresh search, not an earlier run's cached answer
                proc = configure(src, bld, env=env)
                self.assertOk(proc, "configure")
                for target in TARGETS:
                    used, cargo, rest = chosen(proc.stdout, target)
                    self.assertTrue(has_target(sysroot_of(used), target), f"{used} has no {target}")
                    # The cargo of that toolchain, not the first cargo on PATH.
                    self.assertEqual(pathlib.Path(cargo).parent, pathlib.Path(used).parent)
                    if has_target(sysroot, target):
                        self.assertEqual(sysroot_of(used), sysroot)  # the first one on PATH, when it can
                    else:
                        self.assertIn(f"; not {rustc}", rest)  # says which one it passed over, and why
                        self.assertIn(f"without the {target} standard library", rest)
                self.assertOk(build(bld, env=env), "build")
                exports = run(["wasm-objdump", "-x", "-j", "Export", bld / "sum.wasm"]).stdout
                self.assertIn('-> "sum"', exports)
                self.assertOk(run(["ctest", "--test-dir", bld, "--output-on-failure"], env=env), "ctest")

    def test_buildbudget_rustc_without_the_target_names_the_toolchains_that_have_it(self):
        lacking = [(r, s) for r, s in self.toolchains if not has_target(s, "wasm32-unknown-unknown")]
        having = [r for r, s in self.toolchains if has_target(s, "wasm32-unknown-unknown")]
        # rustup's stable (~/.cargo/bin) comes without the wasm32 targets on every machine this runs on.
        self.assertTrue(lacking, "no rustc without wasm32-unknown-unknown here (expected rustup's stable)")
        for i, (rustc, sysroot) in enumerate(lacking):
            with self.subTest(rustc=str(rustc)):
                src = copy_project("wasm-rust", "forced", str(i), "src")
                bld = src.parent / "build"
                shutil.rmtree(bld, ignore_errors=True)  # a fresh search, not an earlier run's cached answer
                proc = configure(src, bld, f"BUILDBUDGET_RUSTC={rustc}")
                self.assertFails(proc)
                text = re.sub(r"\s+", " ", proc.stderr)
                self.assertIn(f"BUILDBUDGET_RUSTC={rustc} has no standard library for wasm32-unknown-unknown", text)
                self.assertIn(f"sysroot {sysroot}: no wasm32-unknown-unknown standard library", text)
                self.assertIn("Other toolchains on this machine have it:", text)
                for other in having:
                    self.assertRegex(text, rf"{re.escape(str(other))}: rustc [0-9.]+[^,]*, sysroot \S+, cargo \S+")
                self.assertIn(f"-DBUILDBUDGET_RUSTC={having[0]}", text)


if __name__ == "__main__":
    unittest.main()
