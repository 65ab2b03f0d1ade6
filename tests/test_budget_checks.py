"""CTest budget checks (doc/memory-budget.md, "Budget checks"): wrt_memory_budget_attach(),
wrt_memory_budget_add_test() and the helper's footprint, freestanding and peak checks, on the real
artifacts of test-projects/budget-checks built against the installed package.

The expected figures come from the fixture's sources (array sizes) and from an
independent measurement (binutils' `size -A`), never from the helper itself."""
import json
import re
import shutil
import subprocess
import unittest
import xml.etree.ElementTree as ET

from support import (HELPER, KiB, MiB, PROJECTS, TestCase, build, configure, copy_project, fresh_dir, run)

FIXTURE = PROJECTS / "budget-checks"


def readelf_sections(path):
    """{object: [(name, type, size, flags)]} from binutils' `readelf -S -W` (an archive lists each member)."""
    out = subprocess.run(["readelf", "-S", "-W", str(path)], text=True, stdout=subprocess.PIPE, check=True).stdout
    objects, current = {}, objects_key(path)
    for line in out.splitlines():
        m = re.match(r"^File: .*\((\S+)\)$", line)
        if m:
            current = m.group(1)
            continue
        m = re.match(r"^\s*\[\s*\d+\] (\S+)\s+(\S+)\s+[0-9a-f]{8,}\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([A-Za-z]*)\s+\d+\s+\d+\s+\d+$",
                     line)
        if m:
            objects.setdefault(current, []).append((m.group(1), m.group(2), int(m.group(3), 16), m.group(4)))
    return objects


def objects_key(path):
    return path.name


def static_ram(sections):
    """Allocated and writable sections (SHF_ALLOC + SHF_WRITE: data and bss), as readelf shows their flags."""
    return sum(size for _, _, size, flags in sections if "A" in flags and "W" in flags)


def text(sections):
    """Allocated executable sections (SHF_ALLOC + SHF_EXECINSTR)."""
    return sum(size for _, _, size, flags in sections if "A" in flags and "X" in flags)


def ctest(build_dir, *args):
    return run(["ctest", "--test-dir", build_dir, "--output-on-failure", *args])


class Fixture(TestCase):
    """Configures and builds the fixture once; each test reads what the checks produced."""

    @classmethod
    def setUpClass(cls):
        cls.src = copy_project("budget-checks", "fixture", "source dir")
        cls.bld = cls.src.parent / "build dir"
        shutil.rmtree(cls.bld, ignore_errors=True)  # never measure what an earlier run built
        cls.configure = configure(cls.src, cls.bld)
        if cls.configure.returncode != 0:
            raise AssertionError(f"configure failed:\n{cls.configure.stdout}\n{cls.configure.stderr}")
        built = build(cls.bld)
        if built.returncode != 0:
            raise AssertionError(f"build failed:\n{built.stdout}\n{built.stderr}")
        cls.ctest = ctest(cls.bld, "-L", "budget")
        cls.reports = cls.bld / "buildbudget-reports"

    def result_of(self, test):
        m = re.search(rf"Test\s+#\d+: {re.escape(test)} \.+\s*(\*\*\*Failed|Passed)", self.ctest.stdout)
        self.assertIsNotNone(m, f"{test} did not run:\n{self.ctest.stdout}")
        return m.group(1).strip("*")

    def report(self, name):
        return json.loads((self.reports / f"{name}.json").read_text())

    def component(self, report, name):
        return next(c for c in report["components"] if c["name"] == name)

    def junit(self, name):
        return ET.parse(self.reports / f"{name}.xml").getroot()


class Tests(Fixture):
    def test_every_check_is_a_budget_test_and_the_right_ones_fail(self):
        listed = run(["ctest", "--test-dir", self.bld, "-N", "-L", "budget"]).stdout
        names = set(re.findall(r"Test\s+#\d+: (\S+)", listed))
        # and the report of every budget, which fails as the bad checks do (doc/helper-report.md, "In CMake")
        self.assertEqual(names, {"ok.footprint", "ok.freestanding", "ok.app_peak", "ok.wasm_memory",
                                 "bad.footprint", "bad.freestanding", "bad.hog_peak", "bad.wasm_memory",
                                 "buildbudget.report"})
        for name in names:
            with self.subTest(test=name):
                self.assertEqual(self.result_of(name), "Passed" if name.startswith("ok.") else "Failed")

    def test_integration_warning_names_only_the_unlinked_component(self):
        warnings = re.findall(r"(\w+) may need memory system integration", self.configure.stderr)
        self.assertEqual(warnings, ["sensor"], self.configure.stderr)
        self.assertIn("target sensor does not link bad_budget", re.sub(r"\s+", " ", self.configure.stderr))


class Footprint(Fixture):
    def test_over_budget_bss_fails_with_the_bytes_the_budget_and_the_largest_symbols(self):
        measured = readelf_sections(self.bld / "libsensor.a")
        expected = sum(static_ram(s) for s in measured.values())
        self.assertEqual(expected, 65536 + 32768 + 1024)  # the fixture's arrays: nothing else is static RAM
        line = (f"buildbudget: error: bad.footprint: component sensor: static RAM {expected} bytes (.data 1024 + .bss 98304) "
                f"is over its budget of {64 * KiB} bytes by {expected - 64 * KiB} bytes; largest: "
                "sample_buffer in libsensor.a(sample.c.o) 65536 bytes, history in libsensor.a(history.c.o) "
                "32768 bytes, calibration in libsensor.a(history.c.o) 1024 bytes")
        self.assertLine(self.ctest.stdout, line)

    def test_every_member_object_is_measured(self):
        report = self.report("ok.footprint")
        net = self.component(report, "net")
        [artifact] = net["artifacts"]
        self.assertEqual(artifact["kind"], "static library")
        objects = {o["name"]: o for o in artifact["objects"]}
        measured = readelf_sections(self.bld / "libnet_stack.a")
        self.assertEqual(set(objects), set(measured))
        for name, sections in measured.items():
            with self.subTest(object=name):
                self.assertEqual(objects[name]["static_ram"], static_ram(sections))
                self.assertEqual(objects[name]["text"], text(sections))
        self.assertEqual(net["measured_bytes"], 262144 + 131072 + 4096)
        self.assertTrue(net["passed"])

    def test_shared_library_and_wasm_module(self):
        report = self.report("ok.footprint")
        codec = self.component(report, "codec")
        self.assertEqual(codec["artifacts"][0]["kind"], "shared library")
        [sections] = readelf_sections(self.bld / "libcodec.so").values()
        self.assertEqual(codec["measured_bytes"], static_ram(sections))
        self.assertGreaterEqual(codec["sizes"]["data"], 16384)  # int codec_table[4096] = {7}
        wasm = self.component(report, "wasm")
        [module] = wasm["artifacts"]
        self.assertEqual(module["kind"], "WebAssembly module")
        # int lookup[1024] = {1, 2, 3} and -z stack-size=16384: whatever part of the array wasm-ld keeps
        # in the data segment (it drops trailing zeros), data + stack is all of it.
        segments = re.findall(r"- segment\[\d+\](?: <[^>]*>)? memory=0 size=(\d+)",
                              subprocess.run(["wasm-objdump", "-x", "-j", "Data", self.bld / "grow_small.wasm"],
                                             text=True, stdout=subprocess.PIPE, check=True).stdout)
        self.assertEqual(wasm["sizes"]["data"], sum(map(int, segments)))
        self.assertEqual(wasm["sizes"]["static_ram"], 4096 + 16384)
        self.assertEqual(module["wasm"]["initial_memory_bytes"] % 65536, 0)
        self.assertGreaterEqual(module["wasm"]["initial_memory_bytes"], 1024 + 4096 + 16384)

    def test_junit_file(self):
        root = self.junit("bad.footprint")
        [suite] = root.findall("testsuite")
        self.assertEqual(suite.get("name"), "bad.footprint")
        self.assertEqual((suite.get("tests"), suite.get("failures"), suite.get("errors")), ("2", "1", "0"))
        cases = {c.get("name"): c for c in suite.findall("testcase")}
        self.assertEqual(set(cases), {"sensor", "alloc"})
        self.assertIsNone(cases["alloc"].find("failure"))
        failure = cases["sensor"].find("failure")
        self.assertIn("static RAM 99328 bytes", failure.get("message"))
        self.assertIn("sensor", suite.find("system-out").text)
        ok = self.junit("ok.footprint").find("testsuite")
        self.assertEqual((ok.get("tests"), ok.get("failures")), ("4", "0"))

    def test_baseline_prints_the_delta_per_component(self):
        baseline = fresh_dir("fixture", "baseline")
        shutil.copy(self.reports / "bad.footprint.json", baseline / "bad.footprint.json")
        src = copy_project("budget-checks", "fixture-baseline", "src")
        bld = src.parent / "build"
        self.assertOk(configure(src, bld, "SENSOR_HISTORY_BYTES=16384", f"BUILDBUDGET_BASELINE_DIR={baseline}"))
        self.assertOk(build(bld))
        out = ctest(bld, "-R", r"^bad\.footprint$")
        self.assertFails(out, 8)
        before, now = 99328, 99328 - 16384
        self.assertIn(f"Against the baseline {baseline}/bad.footprint.json (static RAM, bytes):", out.stdout)
        self.assertRegex(out.stdout, rf"sensor\s+\|\s+{before} \|\s+{now} \| -16384 \(-16\.5%\)")
        self.assertRegex(out.stdout, r"alloc\s+\|\s+0 \|\s+0 \|\s+0")


class Freestanding(Fixture):
    def test_malloc_and_operator_new_are_named_with_their_objects(self):
        self.assertLine(self.ctest.stdout,
                        "buildbudget: error: bad.freestanding: FREESTANDING component alloc uses what it must not: "
                        "liballoc_lib.a(pool.c.o) needs malloc (heap); "
                        "liballoc_lib.a(node.cpp.o) needs operator new[](unsigned long) (heap)")
        denied = self.component(self.report("bad.freestanding"), "alloc")["denied"]
        self.assertEqual({(d["symbol"], d["object"]) for d in denied},
                         {("malloc", "liballoc_lib.a(pool.c.o)"), ("_Znam", "liballoc_lib.a(node.cpp.o)")})

    def test_clean_component_passes(self):
        storage = self.component(self.report("ok.freestanding"), "storage")
        self.assertEqual(storage["denied"], [])
        self.assertTrue(storage["passed"])

    def test_deny_and_allow_per_component(self):
        lib = self.bld / "libstorage.a"
        out = run([HELPER, "freestanding", "--artifact", f"storage={lib}", "--deny", "storage=memcpy"])
        self.assertFails(out)
        self.assertIn("libstorage.a(block.c.o) needs memcpy (denied by DENY)", out.stderr)
        alloc = self.bld / "liballoc_lib.a"
        out = run([HELPER, "freestanding", "--artifact", f"alloc={alloc}", "--allow", "alloc=malloc",
                   "--allow", "alloc=_Znam"])
        self.assertOk(out)


class RunTimePeak(Fixture):
    def test_heap_peak_over_budget_fails_and_prints_the_peak(self):
        hog = self.component(self.report("bad.hog_peak"), "hog")
        self.assertFalse(hog["passed"])
        peak = hog["measured_bytes"]
        self.assertGreaterEqual(peak, 3 * MiB)            # heap_hog 3145728 holds one 3 MiB block
        self.assertLess(peak, 3 * MiB + 64 * KiB)
        self.assertRegex(self.ctest.stdout,
                         rf"buildbudget: error: bad\.hog_peak: component hog: heap peak {peak} bytes \(heap_hog, pid \d+\) is over "
                         rf"its budget of {MiB} bytes by {peak - MiB} bytes")
        self.assertRegex(self.ctest.stdout, rf"hog\s+\| {MiB} \|\s+{peak} \| heap_hog, pid \d+ \| ✗")

    def test_heap_peak_under_budget_passes(self):
        app = self.component(self.report("ok.app_peak"), "app")
        self.assertTrue(app["passed"])
        self.assertGreaterEqual(app["measured_bytes"], 256 * KiB)   # firmware --selftest: a 256 KiB frame
        self.assertLess(app["measured_bytes"], 256 * KiB + 128 * KiB)
        self.assertEqual(app["exit_code"], 0)

    def test_wasm_module_final_linear_memory(self):
        small = self.component(self.report("ok.wasm_memory"), "wasm")
        self.assertTrue(small["passed"])
        self.assertEqual(small["measured_bytes"], small["initial_memory_bytes"] + 2 * 65536)  # grows 2 pages
        big = self.component(self.report("bad.wasm_memory"), "wasm")
        self.assertFalse(big["passed"])
        self.assertEqual(big["measured_bytes"], big["initial_memory_bytes"] + 8 * 65536)
        self.assertIn(f"component wasm: linear memory {big['measured_bytes']} bytes", big["message"])

    def test_a_failing_command_fails_the_check_with_its_exit_code(self):
        budget = self.bld / "buildbudget" / "bad" / "bad_budget.json"
        out = run([HELPER, "peak", "--budget", budget, "--component", "hog", "--preload",
                   next(self.preload_candidates()), "--", "sh", "-c", "exit 3"])
        self.assertFails(out)
        self.assertIn("the command sh exited with 3", out.stderr)
        out = run([HELPER, "peak", "--budget", budget, "--component", "hog", "--preload",
                   next(self.preload_candidates()), "--", "/nonexistent/program"])
        self.assertFails(out)
        self.assertIn("cannot run /nonexistent/program: No such file or directory", out.stderr)

    def preload_candidates(self):
        from support import PREFIX
        import pathlib
        return (str(p) for p in pathlib.Path(PREFIX).rglob("libbuildbudget_heapcount.so"))


if __name__ == "__main__":
    unittest.main()
