"""wasm_build_target() and wasm_add_test() (SPEC §3) in an ordinary host build tree:
test-projects/wasm-build built against the installed package with the real clang for
wasm32-wasi, real cargo, real wasm-opt and Node.js's WASI. Module contents are checked
with wabt's wasm-objdump, an independent reader."""
import gzip
import json
import os
import pathlib
import re
import shutil
import stat
import subprocess
import unittest

from support import (CMAKE, KiB, MiB, SOURCE_DIR, TestCase, build, configure, copy_project, fresh_dir,
                     run)

EXAMPLE = SOURCE_DIR / "examples" / "wasm-module"


def configure_fixture(src, bld, *defs):
    """configure() of a copy of the fixture, with the example's sources it builds."""
    return configure(src, bld, f"WASM_EXAMPLE_DIR={EXAMPLE}", *defs)


def objdump(*args):
    return subprocess.run(["wasm-objdump", *map(str, args)], text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=True).stdout


def simd_instructions(module):
    """Lines of the disassembly that are SIMD (v128) instructions."""
    return [l for l in objdump("-d", module).splitlines() if re.search(r"\b(v128|[if](8|16|32|64)x\d+)\.", l)]


def memory_limits(module):
    """(initial pages, maximum pages or None) of memory 0, as wasm-objdump reads them."""
    m = re.search(r"- memory\[0\] pages: initial=(\d+)(?: max=(\d+))?", objdump("-x", "-j", "Memory", module))
    return int(m.group(1)), (int(m.group(2)) if m.group(2) else None)


class Built(TestCase):
    """The fixture configured and built once, in directories with spaces."""

    @classmethod
    def setUpClass(cls):
        cls.src = copy_project("wasm-build", "built", "source dir")
        cls.bld = cls.src.parent / "build dir"
        shutil.rmtree(cls.bld, ignore_errors=True)  # never measure what an earlier run built
        cls.configured = configure_fixture(cls.src, cls.bld)
        if cls.configured.returncode != 0:
            raise AssertionError(f"configure failed:\n{cls.configured.stdout}\n{cls.configured.stderr}")
        cls.first = build(cls.bld)
        if cls.first.returncode != 0:
            raise AssertionError(f"build failed:\n{cls.first.stdout}\n{cls.first.stderr}")

    def test_modules_land_beside_the_build_with_their_reports(self):
        for name in ("imgproc.wasm", "imgproc.simd.wasm", "bulk.wasm", "hasher.wasm", "hello_rs.wasm", "em_bulk.wasm"):
            with self.subTest(module=name):
                module = self.bld / name
                self.assertTrue(module.is_file())
                report = json.loads((self.bld / f"{name}.size.json").read_text())
                data = module.read_bytes()
                self.assertEqual(report["raw"], len(data))
                # gzip level 9: the same deflate stream Python's zlib makes, give or take the header.
                self.assertLessEqual(abs(report["gzip"] - len(gzip.compress(data, 9, mtime=0))), 16)
                self.assertLess(report["brotli"], report["raw"])

    def test_tests_run_under_wasi(self):
        out = run(["ctest", "--test-dir", self.bld, "--output-on-failure"])
        self.assertOk(out)
        for test in ("imgproc_runs", "bulk_runs", "defs_runs", "hello_rs_runs", "em_bulk_runs"):
            self.assertRegex(out.stdout, rf"{test} \.+\s+Passed")

    def test_exports_and_simd_variant(self):
        exports = objdump("-x", "-j", "Export", self.bld / "imgproc.wasm")
        for symbol in ("blur", "sharpen", "_start", "memory"):
            self.assertIn(f'-> "{symbol}"', exports)
        self.assertEqual(simd_instructions(self.bld / "imgproc.wasm"), [])
        self.assertGreater(len(simd_instructions(self.bld / "imgproc.simd.wasm")), 0)
        runs = run(["node", "--no-warnings", SOURCE_DIR / "Modules" / "runners" / "wasi-run.mjs",
                    self.bld / "imgproc.simd.wasm", "--selftest"])
        self.assertOk(runs)
        self.assertIn("imgproc ok", runs.stdout)

    def test_wasm_opt_shrinks_the_linked_module(self):
        raw = self.bld / "imgproc.wasm-build" / "build" / "imgproc.wasm"
        self.assertLess((self.bld / "imgproc.wasm").stat().st_size, raw.stat().st_size)

    def test_bulk_memory_module_went_through_wasm_opt(self):
        disassembly = objdump("-d", self.bld / "bulk.wasm")
        self.assertIn("memory.copy", disassembly)
        self.assertIn("memory.fill", disassembly)
        report = json.loads((self.bld / "bulk.wasm.size.json").read_text())
        self.assertIn("--enable-bulk-memory", report["wasm_opt"]["flags"])

    def test_memory_budget_sets_the_maximum(self):
        initial, maximum = memory_limits(self.bld / "imgproc.wasm")
        self.assertEqual(maximum, 2 * MiB // 65536)
        self.assertLessEqual(initial, maximum)
        self.assertEqual(memory_limits(self.bld / "hello_rs.wasm")[1], 32)

    def test_emscripten_backend_and_memory_component(self):
        # Emscripten's runtime exports its stack helpers; wasi-libc's modules do not.
        self.assertIn('-> "stackAlloc"', objdump("-x", "-j", "Export", self.bld / "em_bulk.wasm"))
        self.assertNotIn("stackAlloc", objdump("-x", "-j", "Export", self.bld / "bulk.wasm"))
        self.assertEqual(memory_limits(self.bld / "em_bulk.wasm")[1], MiB // 65536)  # web/codec is 1MB
        # MEMORY_COMPONENT also attaches the module to the component: web.footprint measures it.
        out = run(["ctest", "--test-dir", self.bld, "-R", r"^web\.footprint$", "--output-on-failure", "-V"])
        self.assertOk(out)
        self.assertIn("codec=" + str(self.bld / "em_bulk.wasm"), out.stdout)

    def test_second_build_with_nothing_changed_runs_neither_cargo_nor_wasm_opt(self):
        modules = [self.bld / n for n in ("imgproc.wasm", "hasher.wasm", "hello_rs.wasm")]
        before = [m.stat().st_mtime_ns for m in modules]
        again = build(self.bld, "--", "-v")
        self.assertOk(again)
        self.assertNotIn("wasm optimize", again.stdout)
        self.assertNotRegex(again.stdout, r"cargo\S* build")
        self.assertEqual([m.stat().st_mtime_ns for m in modules], before)

    def test_wasm_file_property(self):
        src = copy_project("wasm-build", "property", "src")
        proc = configure_fixture(src, src.parent / "build", "CASE=property")
        self.assertOk(proc)
        self.assertIn(f"-- WASM_FILE={src.parent / 'build' / 'imgproc.wasm'}", proc.stdout)
        self.assertIn(f"-- WASM_SIMD_FILE={src.parent / 'build' / 'imgproc.simd.wasm'}", proc.stdout)


class Failures(TestCase):
    def test_over_the_size_limit_fails_the_build_with_the_table(self):
        src = copy_project("wasm-build", "over", "src")
        bld = src.parent / "build"
        self.assertOk(configure_fixture(src, bld, "OVER_BUDGET=ON", "WITH_RUST=OFF"))
        out = build(bld)
        self.assertNotEqual(out.returncode, 0)
        text = out.stdout + out.stderr
        self.assertRegex(text, r"Component\s+\|\s+Target Size\s+\|\s+Actual Size\s+\|\s+✓/✗")
        self.assertRegex(text, r"too_big \(raw\)\s+\|\s+1 KiB \(1024\)\s+\|.*\|\s+✗")
        self.assertRegex(text, r"too_big \(gzip\)\s+\|\s+512 B \(512\)\s+\|.*\|\s+✗")
        self.assertFalse((bld / "too_big.wasm").exists())
        self.assertNotEqual(build(bld).returncode, 0)  # and again: a failed check is never taken as done

    def test_missing_wasm_opt_says_how_to_install_binaryen(self):
        src = copy_project("wasm-build", "no-wasm-opt", "src")
        bld = src.parent / "build"
        self.assertOk(configure_fixture(src, bld, "WITH_RUST=OFF", "BUILDBUDGET_WASM_OPT=/nonexistent/wasm-opt"))
        out = build(bld)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn('wasm-opt not found (looked for "/nonexistent/wasm-opt"): install binaryen '
                      "(apt-get install binaryen)", out.stdout + out.stderr)

    def test_wasm_opt_failure_shows_its_own_message(self):
        work = fresh_dir("wasm-opt-fails")
        fake = work / "wasm-opt"
        fake.write_text("#!/bin/sh\necho 'wasm-opt: [parse exception: boom at 42]' >&2\nexit 3\n")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        src = copy_project("wasm-build", "wasm-opt-fails", "src")
        bld = src.parent / "build"
        self.assertOk(configure_fixture(src, bld, "WITH_RUST=OFF", f"BUILDBUDGET_WASM_OPT={fake}"))
        out = build(bld)
        self.assertNotEqual(out.returncode, 0)
        text = out.stdout + out.stderr
        self.assertIn("wasm-opt failed (exit 3)", text)
        self.assertIn("wasm-opt: [parse exception: boom at 42]", text)

    def test_missing_rust_target_names_the_target_the_rustc_and_the_fix(self):
        # A rustc whose sysroot has no wasm standard library (as rustup's without `rustup target add`).
        work = fresh_dir("rustc-without-target")
        (work / "sysroot" / "lib" / "rustlib").mkdir(parents=True)
        rustc = work / "rustc"
        rustc.write_text("#!/bin/sh\ncase \"$*\" in\n"
                         "  *--version*) echo 'rustc 1.99.0 (test)';;\n"
                         f"  *'--print sysroot --print target-list'*) echo '{work}/sysroot'; "
                         "printf 'wasm32-unknown-unknown\\nwasm32-wasi\\n';;\n"
                         "  *) exit 1;;\nesac\n")
        rustc.chmod(rustc.stat().st_mode | stat.S_IXUSR)
        src = copy_project("wasm-build", "no-target", "src")
        proc = configure_fixture(src, src.parent / "build", f"BUILDBUDGET_RUSTC={rustc}")
        self.assertFails(proc)
        text = re.sub(r"\s+", " ", proc.stderr)
        self.assertIn(f"Rust for wasm32-unknown-unknown: BUILDBUDGET_RUSTC={rustc} has no standard library for "
                      "wasm32-unknown-unknown", text)
        self.assertIn(f"{rustc}: rustc 1.99.0 (test), sysroot {work}/sysroot: no wasm32-unknown-unknown standard "
                      "library", text)
        self.assertIn("rustup target add wasm32-unknown-unknown", text)


class Toolchain(TestCase):
    def test_toolchain_file_on_its_own(self):
        work = fresh_dir("toolchain")
        (work / "hello.c").write_text('#include <stdio.h>\nint main(int c, char** v) { printf("hello %s\\n", '
                                      'c > 1 ? v[1] : "?"); return 0; }\n')
        (work / "CMakeLists.txt").write_text(
            "cmake_minimum_required(VERSION 3.20)\nproject(t C)\nenable_testing()\nadd_executable(hello hello.c)\n"
            "add_test(NAME hello COMMAND hello wasm)\n"
            'set_tests_properties(hello PROPERTIES PASS_REGULAR_EXPRESSION "hello wasm")\n')
        toolchain = SOURCE_DIR / "Modules" / "toolchains" / "wasm32-wasi.cmake"
        self.assertOk(configure(work, work / "build", f"CMAKE_TOOLCHAIN_FILE={toolchain}", prefix=False))
        self.assertOk(build(work / "build"))
        self.assertEqual((work / "build" / "hello.wasm").read_bytes()[:4], b"\0asm")
        self.assertOk(run(["ctest", "--test-dir", work / "build", "--output-on-failure"]))


class Cases(TestCase):
    """Configure-time misuse, one case per file in test-projects/wasm-build/cases/."""

    def test_cases(self):
        self.assertCMakeCases("wasm-build", configure_fixture, 5)


if __name__ == "__main__":
    unittest.main()
