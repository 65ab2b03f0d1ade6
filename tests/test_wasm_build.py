"""wasm_build_target() and wasm_add_test() (doc/wasm.md) in an ordinary host build tree:
test-projects/wasm-build built against the installed package with the real clang for
wasm32-wasi, real cargo, real wasm-opt and Node.js's WASI. Module contents are checked
with wabt's wasm-objdump, an independent reader."""
import gzip
import hashlib
import json
import os
import pathlib
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

from support import (CMAKE, KiB, MiB, PREFIX, SOURCE_DIR, TestCase, build, clean_env, configure,
                     copy_project, fresh_dir, run)

EXAMPLE = SOURCE_DIR / "examples" / "wasm-module"


def configure_fixture(src, bld, *defs, env=None):
    """configure() of a copy of the fixture, with the example's sources it builds."""
    return configure(src, bld, f"WASM_EXAMPLE_DIR={EXAMPLE}", *defs, env=env)


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


def memory_layout(module):
    """(the data segments as (address, size) pairs, the initial stack pointer) of a module wasm-ld
    linked, as wasm-objdump reads them: its active data segments and its first mutable i32 global,
    which is the stack pointer in what clang and rustc link."""
    sections = objdump("-h", module)
    data = objdump("-x", "-j", "Data", module) if re.search(r"^\s*Data start=", sections, re.M) else ""
    segments = [(int(start), int(size)) for size, start in
                re.findall(r"- segment\[\d+\](?: <[^>]*>)? memory=0 size=(\d+) - init i32=(\d+)", data)]
    stack = re.search(r"- global\[\d+\] i32 mutable=1 .*- init i32=(\d+)", objdump("-x", "-j", "Global", module))
    return segments, int(stack.group(1))


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
                # No module here has a brotli limit: the build measures no brotli size (--skip-brotli).
                self.assertIsNone(report["brotli"])
                self.assertEqual(report["sha256"], hashlib.sha256(data).hexdigest())

    def test_analyze_takes_the_gzip_size_from_the_build(self):
        # `wasm analyze` finds the report beside the module (doc/helper-wasm-analyze.md, "Compressed sizes
        # and the cache"): with an empty cache it computes and caches brotli only, the build's gzip reused.
        cache = pathlib.Path(tempfile.mkdtemp(prefix="xdg-", dir=self.bld.parent))
        module = self.bld / "imgproc.wasm"
        proc = run([os.environ["BUILDBUDGET_HELPER"], "wasm", "analyze", "--json", module],
                   env=clean_env(XDG_CACHE_HOME=cache))
        self.assertOk(proc)
        m = json.loads(proc.stdout)["modules"][0]
        self.assertEqual(m["gzip"], json.loads((self.bld / "imgproc.wasm.size.json").read_text())["gzip"])
        sha = hashlib.sha256(module.read_bytes()).hexdigest()
        cached = sorted(p.parent.name.split("-")[0] for p in (cache / "buildbudget").rglob(f"{sha}.json"))
        self.assertEqual(cached, ["brotli"])

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
        runs = run(["node", "--no-warnings", SOURCE_DIR / "templates" / "runners" / "wasi-run.mjs",
                    self.bld / "imgproc.simd.wasm", "--selftest"])
        self.assertOk(runs)
        self.assertIn("imgproc ok", runs.stdout)

    def test_wasm_opt_shrinks_the_linked_module(self):
        raw = self.bld / "imgproc.wasm-build" / "base" / "imgproc.wasm"
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
        # C, C++, SIMD, Rust and Emscripten modules alike: nothing left to run.
        self.assertIn("ninja: no work to do.", build(self.bld, "--", "-n").stdout)
        self.assertNotRegex(again.stdout, r"cargo\S* build")
        self.assertEqual([m.stat().st_mtime_ns for m in modules], before)

    def test_wasm_file_property(self):
        src = copy_project("wasm-build", "property", "src")
        bld = src.parent / "build"
        proc = configure_fixture(src, bld, "CASE=property")
        self.assertOk(proc)
        # The package's names, and the deprecated ones (doc/wasm.md, "Deprecated property names") alike.
        for prefix in ("BUILDBUDGET_", ""):
            self.assertLine(proc.stdout, f"-- {prefix}WASM_FILE={bld / 'imgproc.wasm'}")
            self.assertLine(proc.stdout, f"-- {prefix}WASM_SIMD_FILE={bld / 'imgproc.simd.wasm'}")
            self.assertLine(proc.stdout, f"-- {prefix}WASM_OPTIMIZE=size")
        # A target declared with only the deprecated WASM_FILE runs that file.
        self.assertOk(build(bld, "--target", "imgproc"), "build")
        ctest = pathlib.Path(CMAKE).with_name("ctest")
        tested = run([ctest, "--test-dir", bld, "-R", "^prebuilt_runs$", "-V"])
        self.assertOk(tested, "ctest")
        self.assertIn("imgproc ok", tested.stdout)


    def test_low_memory_unused_only_where_the_first_kib_is_unused(self):
        # wasm-opt --low-memory-unused (doc/wasm-build.md, "What each OPTIMIZE level passes") is
        # correct where nothing lives below address 1024. clang's wasm-ld puts the data at 1024
        # and the stack after it; rustc links with --stack-first, so its stack reaches down to 0.
        for name in ("imgproc.wasm", "imgproc.simd.wasm", "bulk.wasm", "defs.wasm"):
            with self.subTest(module=name):
                report = json.loads((self.bld / f"{name}.size.json").read_text())
                segments, stack = memory_layout(report["input"])
                self.assertTrue(segments)
                self.assertGreaterEqual(min(a for a, _ in segments), 1024)
                self.assertGreater(stack, max(a + n for a, n in segments))
                self.assertIn("--low-memory-unused", report["wasm_opt"]["flags"])
        for name in ("hello_rs.wasm", "hasher.wasm"):
            with self.subTest(module=name):
                report = json.loads((self.bld / f"{name}.size.json").read_text())
                segments, stack = memory_layout(report["input"])
                self.assertGreaterEqual(stack, 1024)  # the stack comes first, from 0 up to here
                self.assertTrue(all(a >= stack for a, _ in segments))
                self.assertNotIn("--low-memory-unused", report["wasm_opt"]["flags"])
                self.assertEqual(report["wasm_opt"]["flags"][-1], "-Oz")

    def test_wasm_opt_strips_before_the_level_passes(self):
        # wasm-opt runs its passes in command-line order; the -O passes work on the stripped module.
        flags = json.loads((self.bld / "imgproc.wasm.size.json").read_text())["wasm_opt"]["flags"]
        self.assertLess(flags.index("--strip-debug"), flags.index("-Oz"))
        self.assertEqual(flags[-1], "-Oz")

    def test_size_level_has_emccs_code_generation_flags(self):
        # emcc 3.1.6 at -Oz: -fno-inline-functions, and the back-end options -disable-lsr and
        # -combiner-global-alias-analysis=false, which must reach the link where LTO generates code.
        def commands(target):
            out = run(["ninja", "-C", self.bld, "-t", "commands", target])
            self.assertOk(out)
            return out.stdout.splitlines()
        c = commands("imgproc")
        compiles = [l for l in c if " -c " in l and "imgproc.cpp" in l]
        links = [l for l in c if "-Wl,--gc-sections" in l]
        self.assertTrue(compiles and links, c)
        for line in compiles:
            self.assertIn("-fno-inline-functions", line)
            self.assertIn("-mllvm -disable-lsr", line)
        for line in links:
            self.assertIn("-Wl,-mllvm,-disable-lsr", line)
            self.assertIn("-Wl,-mllvm,-combiner-global-alias-analysis=false", line)
        # Not at balanced; and not given to emcc, which adds its own (an LLVM option twice is an error).
        for target in ("defs", "em_bulk"):
            with self.subTest(target=target):
                text = "\n".join(commands(target))
                self.assertNotIn("-mllvm", text)
                self.assertNotIn("-fno-inline-functions", text)

    def test_lto_none_generates_the_code_at_the_compile(self):
        # BUILDBUDGET_WASM_LTO=none (doc/wasm-build.md, "Against emcc -Oz"): no -flto
        # anywhere, and the back-end options stay on the compile, where the code is generated.
        src = copy_project("wasm-build", "lto none", "src")
        bld = src.parent / "build"
        self.assertOk(configure_fixture(src, bld, "CASE=multi", "BUILDBUDGET_WASM_LTO=none"))
        out = run(["ninja", "-C", bld, "-t", "commands", "multi"])
        self.assertOk(out)
        lines = out.stdout.splitlines()
        compiles = [l for l in lines if " -c " in l and "/src/multi/" in l]
        links = [l for l in lines if "-Wl,--gc-sections" in l]
        self.assertEqual((len(compiles), len(links)), (4, 2), out.stdout)  # 2 sources, 2 variants
        for line in compiles:
            self.assertIn("-Oz -fno-inline-functions -mllvm -disable-lsr", line)
        for line in compiles + links:
            self.assertNotIn("-flto", line)
        for line in links:
            self.assertNotIn("-mllvm", line)
            self.assertNotIn("thinlto", line)
        bad = configure_fixture(copy_project("wasm-build", "lto bad", "src"), fresh_dir("lto bad", "build"), "CASE=multi",
                                "BUILDBUDGET_WASM_LTO=fast")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn('BUILDBUDGET_WASM_LTO is "fast"; expected thin, full or none', bad.stderr)

    def test_emscripten_module_gets_no_second_wasm_opt_pass(self):
        # emcc -Oz ran binaryen at the link; `wasm optimize` only measures (doc/wasm-build.md).
        report = json.loads((self.bld / "em_bulk.wasm.size.json").read_text())
        self.assertEqual(report["wasm_opt"]["optimized_by"], "emcc -Oz")
        self.assertEqual(report["wasm_opt"]["flags"], [])
        self.assertEqual(report["raw"], report["input_raw"])

    def test_first_build_prints_the_size_table(self):
        self.assertIn("Size budget of imgproc (", self.first.stdout)
        self.assertRegex(self.first.stdout, r"imgproc \(raw\)\s+\|\s+64 KiB \(65536\)")


def ninja(bld, *args, env=None):
    """cmake --build <bld> -- <ninja args>: the output of a Ninja build."""
    return build(bld, "--", *args, env=env)


def wasm_opt_logger(work):
    """A wasm-opt that logs each run writing a module (-o), then runs the real one, in a directory
    with links to clang and clang++: clang's wasm driver looks for wasm-opt beside itself first,
    then on PATH. Returns (the directory, to put first on PATH and to take clang from, the log)."""
    real = shutil.which("wasm-opt")
    log = work / "wasm-opt runs.log"
    bin_dir = work / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("clang", "clang++"):
        (bin_dir / name).symlink_to(shutil.which(f"{name}-14") or shutil.which(name))
    wrapper = bin_dir / "wasm-opt"
    wrapper.write_text("#!/bin/sh\ncase \" $* \" in *' -o '*) printf '%s\\n' \"$*\" >> \"$WASM_OPT_LOG\";; esac\n"
                       f'exec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return bin_dir, log


class EditRebuild(TestCase):
    """cases/multi.cmake (two sources, a header, a SIMD variant) built inside the build graph, with a
    logging wasm-opt first on PATH for the configure and every build, in directories with spaces."""

    @classmethod
    def setUpClass(cls):
        cls.src = copy_project("wasm-build", "edit rebuild", "source dir")
        cls.bld = cls.src.parent / "build dir"
        shutil.rmtree(cls.bld, ignore_errors=True)
        bin_dir, cls.log = wasm_opt_logger(fresh_dir("edit rebuild", "tools"))
        cls.env = clean_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", WASM_OPT_LOG=cls.log)
        proc = configure_fixture(cls.src, cls.bld, "CASE=multi", f"BUILDBUDGET_WASM_CLANG={bin_dir / 'clang'}",
                                 f"BUILDBUDGET_WASM_CLANGXX={bin_dir / 'clang++'}", env=cls.env)
        if proc.returncode != 0:
            raise AssertionError(f"configure failed:\n{proc.stdout}\n{proc.stderr}")
        cls.first = build(cls.bld, env=cls.env)
        if cls.first.returncode != 0:
            raise AssertionError(f"build failed:\n{cls.first.stdout}\n{cls.first.stderr}")
        cls.first_runs = cls.log.read_text().splitlines()

    def rebuild(self):
        out = ninja(self.bld, "-d", "explain", env=self.env)
        self.assertOk(out)
        return out.stdout + out.stderr

    def ran(self, text):
        """The descriptions of the edges a Ninja build ran ("[2/5] <description>")."""
        return re.findall(r"^\[\d+/\d+\] (.*)$", text, re.M)

    def touch(self, relative):
        path = self.src / relative
        path.write_text(path.read_text() + "\n")  # a new mtime and the same program

    def test_one_wasm_opt_pass_per_module_variant(self):
        # clang's wasm driver runs wasm-opt itself when the link line has an -O flag; only
        # `buildbudget wasm optimize` may.
        self.assertEqual(len(self.first_runs), 2, self.first_runs)
        self.assertEqual(sorted(re.search(r"(\S+\.wasm) ", r).group(1).rsplit("/", 1)[-1] for r in self.first_runs),
                         ["multi.simd.wasm", "multi.wasm"])
        for line in self.first_runs:
            self.assertIn("multi.wasm-build/", line)  # the linked module, never the output
            self.assertIn(" --low-memory-unused ", line)  # a C module: data at 1024, the stack after it

    def test_linked_module_is_as_wasm_ld_wrote_it(self):
        # wasm-ld writes a "name" section; wasm-opt drops it when it rewrites a module (no -g). The
        # step's input still has it, so nothing ran wasm-opt between the link and the step; this
        # holds wherever clang would find a wasm-opt (beside itself first, then on PATH).
        for variant in ("multi.wasm", "multi.simd.wasm"):
            with self.subTest(variant=variant):
                report = json.loads((self.bld / f"{variant}.size.json").read_text())
                self.assertIn('"name"', objdump("-h", report["input"]))
                self.assertEqual(report["input_raw"], pathlib.Path(report["input"]).stat().st_size)

    def test_warnings_reach_the_console_of_a_successful_build(self):
        self.assertIn("twice.c: a compiler warning on the console", self.first.stdout)
        self.assertRegex(self.first.stdout, r"twice\.c:2:2: warning:")

    def test_compiles_are_build_graph_edges(self):
        ran = self.ran(self.first.stdout)
        self.assertIn("Building wasm32 C object multi.wasm-build/base/src/multi/main.c.o", ran)
        self.assertIn("Building wasm32 C object multi.wasm-build/simd/src/multi/twice.c.o", ran)
        self.assertIn("Linking wasm32 module multi.wasm-build/base/multi.wasm", ran)

    def test_no_op_build_runs_nothing(self):
        dry = ninja(self.bld, "-n", env=self.env)
        self.assertOk(dry)
        self.assertIn("ninja: no work to do.", dry.stdout)
        again = ninja(self.bld, env=self.env)
        self.assertIn("ninja: no work to do.", again.stdout)
        self.assertNotIn("Size budget", again.stdout)

    def test_edit_rebuilds_only_its_object_then_link_and_optimise(self):
        module = self.bld / "multi.wasm"
        before = module.stat().st_mtime_ns
        self.touch("src/multi/twice.c")
        ran = self.ran(self.rebuild())
        self.assertEqual(sorted(ran), sorted([
            "Building wasm32 C object multi.wasm-build/base/src/multi/twice.c.o",
            "Building wasm32 C object multi.wasm-build/simd/src/multi/twice.c.o",
            "Linking wasm32 module multi.wasm-build/base/multi.wasm",
            "Linking wasm32 module multi.wasm-build/simd/multi.simd.wasm",
            "Optimising and measuring WebAssembly module multi",
            "Optimising and measuring WebAssembly module multi.simd"]))
        self.assertEqual(module.stat().st_mtime_ns, before)  # the same bytes: not rewritten

    def test_relink_to_the_same_module_says_unchanged(self):
        self.touch("src/multi/twice.c")
        text = self.rebuild()
        self.assertMatchesLine(text, re.escape(f"multi: {self.bld / 'multi.wasm'} is unchanged, ") +
                               r"[\d.]+ \w*B \(\d+\) raw \(wasm-opt -Oz, from .*\)")
        self.assertNotIn("Size budget", text)
        self.assertNotRegex(text, r"multi: .* is [\d.]+ \w*B \(\d+\) raw, ")

    def test_header_edit_rebuilds_its_includer(self):
        self.touch("src/multi/twice.h")
        ran = self.ran(self.rebuild())
        self.assertIn("Building wasm32 C object multi.wasm-build/base/src/multi/main.c.o", ran)
        self.assertNotIn("Building wasm32 C object multi.wasm-build/base/src/multi/twice.c.o", ran)

    def test_module_runs(self):
        self.assertOk(run(["ctest", "--test-dir", self.bld, "--output-on-failure"], env=self.env))


class BuildGraph(TestCase):
    def test_make_reaches_a_no_op_build_after_an_unchanged_relink(self):
        # Make has no restat: the unchanged module gets a new time, so the next build runs nothing.
        src = copy_project("wasm-build", "make", "source dir")
        bld = src.parent / "build dir"
        self.assertOk(run([CMAKE, "-S", src, "-B", bld, "-G", "Unix Makefiles", f"-DCMAKE_PREFIX_PATH={PREFIX}",
                           f"-DWASM_EXAMPLE_DIR={EXAMPLE}", "-DCASE=multi"]))
        self.assertOk(build(bld))
        twice = src / "src" / "multi" / "twice.c"
        twice.write_text(twice.read_text() + "\n")
        relinked = build(bld)
        self.assertOk(relinked)
        self.assertIn(f"multi: {bld / 'multi.wasm'} is unchanged, ", relinked.stdout)
        again = build(bld)
        self.assertOk(again)
        self.assertNotIn("Optimising", again.stdout)
        self.assertNotIn("Building wasm32", again.stdout)

    def test_compile_error_is_shown_as_clang_prints_it(self):
        src = copy_project("wasm-build", "compile error", "source dir")
        bld = src.parent / "build dir"
        self.assertOk(configure_fixture(src, bld, "CASE=compile_error"))
        out = build(bld)
        self.assertNotEqual(out.returncode, 0)
        text = out.stdout + out.stderr
        self.assertRegex(text, r"broken\.c:3:12: error: use of undeclared identifier 'undeclared_variable'")
        self.assertNotIn("Stopping after outputting logs", text)
        self.assertNotIn("Command failed", text)
        self.assertFalse(list(bld.rglob("*-out.log")), "no ExternalProject log files")

    def test_lowmem_profile_pools_reach_the_wasm_commands(self):
        src = copy_project("wasm-build", "job pools", "src")
        bld = src.parent / "build"
        self.assertOk(configure_fixture(src, bld, "CASE=job_pools"))
        ninja_file = (bld / "build.ninja").read_text()
        edges = re.split(r"\n(?=build )", ninja_file)
        compiles = [e for e in edges if "Building wasm32 C object" in e]
        links = [e for e in edges if "Linking wasm32 module" in e]
        self.assertEqual(len(compiles), 2)
        self.assertEqual(len(links), 1)
        for edge in compiles:
            self.assertRegex(edge, r"\n  pool = buildbudget_compile\n")
        self.assertRegex(links[0], r"\n  pool = buildbudget_link\n")
        self.assertRegex((bld / "CMakeFiles" / "rules.ninja").read_text(), r"pool buildbudget_compile\n  depth = \d+")


class Exceptions(TestCase):
    """cases/exceptions.cmake: nlohmann/json, which reports parse errors by throwing, built with
    BACKEND emscripten and -fexceptions (doc/wasm-build.md "Backends")."""

    @classmethod
    def setUpClass(cls):
        cls.src = copy_project("wasm-build", "exceptions", "source dir")
        cls.bld = cls.src.parent / "build dir"
        shutil.rmtree(cls.bld, ignore_errors=True)
        cls.configured = configure_fixture(cls.src, cls.bld, "CASE=exceptions")
        if cls.configured.returncode != 0:
            raise AssertionError(f"configure failed:\n{cls.configured.stdout}\n{cls.configured.stderr}")
        cls.built = build(cls.bld)
        if cls.built.returncode != 0:
            raise AssertionError(f"build failed:\n{cls.built.stdout}\n{cls.built.stderr}")

    def test_glue_lands_beside_the_module_and_in_wasm_js_file(self):
        self.assertIn(f"-- BUILDBUDGET_WASM_JS_FILE={self.bld / 'em_json.js'}", self.configured.stdout)
        self.assertEqual((self.bld / "em_json.wasm").read_bytes()[:4], b"\0asm")
        self.assertIn("em_json.wasm", (self.bld / "em_json.js").read_text())

    def test_module_catches_the_librarys_exceptions_under_node(self):
        out = run(["node", "--no-experimental-fetch", self.bld / "em_json.js", '{"a":[1,2]}', "{bad"],
                  cwd=self.src)
        self.assertOk(out)
        self.assertEqual(out.stdout.splitlines(),
                         ['parsed {"a":[1,2]}', "caught parse error 101 at byte 2", "json ok, 1 caught"])

    def test_wasm_add_test_runs_it_through_its_glue(self):
        out = run(["ctest", "--test-dir", self.bld, "--output-on-failure"])
        self.assertOk(out)
        self.assertRegex(out.stdout, r"em_json_runs \.+\s+Passed")

    def test_emcc_link_is_the_one_optimisation_pass(self):
        report = json.loads((self.bld / "em_json.wasm.size.json").read_text())
        self.assertEqual(report["wasm_opt"]["optimized_by"], "emcc -Oz")
        self.assertRegex(self.built.stdout, r"Size budget of em_json \(.*, optimised by emcc -Oz at the link\)")


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
        toolchain = SOURCE_DIR / "templates" / "toolchains" / "wasm32-wasi.cmake"
        self.assertOk(configure(work, work / "build", f"CMAKE_TOOLCHAIN_FILE={toolchain}", prefix=False))
        self.assertOk(build(work / "build"))
        self.assertEqual((work / "build" / "hello.wasm").read_bytes()[:4], b"\0asm")
        self.assertOk(run(["ctest", "--test-dir", work / "build", "--output-on-failure"]))

    def test_toolchain_file_at_its_old_place_still_works_and_says_where_it_went(self):
        # Modules/toolchains/ was its place before templates/; kept for one release.
        work = fresh_dir("toolchain old place")
        (work / "hello.c").write_text("int main(void) { return 0; }\n")
        (work / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.20)\nproject(t C)\nadd_executable(hello hello.c)\n")
        package = pathlib.Path(PREFIX) / "lib" / "cmake" / "BuildBudget"
        old = package / "Modules" / "toolchains" / "wasm32-wasi.cmake"
        proc = configure(work, work / "build", f"CMAKE_TOOLCHAIN_FILE={old}", prefix=False)
        self.assertOk(proc)
        self.assertIn("CMake Deprecation Warning", proc.stderr)
        self.assertIn(f"has moved to {package / 'templates' / 'toolchains' / 'wasm32-wasi.cmake'}",
                      " ".join(proc.stderr.split()))
        self.assertOk(build(work / "build"))
        self.assertEqual((work / "build" / "hello.wasm").read_bytes()[:4], b"\0asm")


class Cases(TestCase):
    """Configure-time misuse, one case per file in test-projects/wasm-build/cases/."""

    def test_cases(self):
        self.assertCMakeCases("wasm-build", configure_fixture, 5)


if __name__ == "__main__":
    unittest.main()
