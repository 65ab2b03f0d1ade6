"""examples/lowmem, built against the installed package as its README says (a small variant: 3 units)."""
import json
import os
import re
import shlex
import shutil
import subprocess
import unittest

from support import MiB, SOURCE_DIR, TestCase, build, configure, fresh_dir, run

EXAMPLE = SOURCE_DIR / "examples" / "lowmem"
UNITS = 3
WEIGHT = 150
M64 = (1 << 64) - 1


# The checksums as examples/lowmem/src/heavy.hpp and main.cpp specify them, computed here in Python.
def splitmix(z):
    z = (z + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def unit_checksum(unit, weight, seed=0x5EED, steps=4096, alts=16):
    table = sorted((f"u{unit}k{i}", i) for i in range(weight))
    h = 14695981039346656037
    for key, value in table:
        for byte in key.encode():
            h = ((h ^ byte) * 1099511628211) & M64
        h = ((h ^ value) * 1099511628211) & M64
    twins = sum(1 for key, _ in table if re.fullmatch(r"u[0-9]+k([0-9])\1[0-9]*", key))
    ops = []
    for k in range(alts):
        hk = splitmix(1000 * unit + k)
        ops.append((hk | 1, hk >> 7, 1 + hk % 63))

    def apply(k, x):
        mul, add, rot = ops[k]
        x = (x * mul + add) & M64
        return ((x << rot) | (x >> (64 - rot))) & M64

    s = x = h ^ (twins << 32) ^ seed
    for _ in range(steps):
        s = splitmix(s)
        first = apply(s % alts, x)
        x = apply((s >> 16) % alts, first) ^ first
    return x


def expected_output(units, weight):
    lines = [f"lowmem_demo: {units} units, {weight} table entries each"]
    total = 0
    for unit in range(units):
        checksum = unit_checksum(unit, weight)
        lines.append(f"unit {unit} {checksum:016x}")
        total = (((total << 5) | (total >> 59)) & M64) ^ checksum
    lines.append(f"total {total:016x}")
    return lines


def objects_of(build_ninja):
    """The object files build.ninja compiles, each with the pool of its edge."""
    edges = re.findall(r"^build ([^:\n]+\.o): CXX_COMPILER_\S+ [^\n]*\n((?:  [^\n]*\n)*)", build_ninja, re.M)
    return {out: (re.search(r"^  pool = (\S+)$", body, re.M) or [None, None])[1] for out, body in edges}


def peak_alone(command, cwd):
    """Peak RSS (bytes) of one compile run here, from wait4()'s ru_maxrss (which covers cc1plus)."""
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, command
    return usage.ru_maxrss * 1024


class LowmemExample(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bld = fresh_dir("example", "lowmem")
        cls.configured = configure(EXAMPLE, cls.bld, f"LOWMEM_EXAMPLE_UNITS={UNITS}",
                                   f"LOWMEM_EXAMPLE_WEIGHT={WEIGHT}", "CMAKE_EXPORT_COMPILE_COMMANDS=ON")
        cls.built = build(cls.bld) if cls.configured.returncode == 0 else None

    def setUp(self):
        self.assertOk(self.configured, "configure")
        self.assertOk(self.built, "build")
        self.plan = json.loads((self.bld / "buildbudget-lowmem" / "plan.json").read_text())

    def records(self):
        lines = (self.bld / "buildbudget-lowmem" / "jobs.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def test_program_prints_the_checksums_computed_independently(self):
        out = run([self.bld / "lowmem_demo"])
        self.assertOk(out)
        self.assertEqual(out.stdout.splitlines(), expected_output(UNITS, WEIGHT))
        self.assertOk(run(["ctest", "--test-dir", self.bld, "--output-on-failure"]), "ctest")

    def test_configure_prints_the_decision(self):
        stderr_and_out = self.configured.stdout + self.configured.stderr
        jobs = self.plan["compile_jobs"]
        self.assertRegex(stderr_and_out, rf"lowmem_profile\(\): {jobs} compile and {self.plan['link_jobs']} link "
                                         r"jobs at once \(linker bfd, debug info line-tables, LTO off\)")
        self.assertRegex(stderr_and_out, rf"compile pool {jobs}: ")
        self.assertGreaterEqual(jobs, 1)
        self.assertLessEqual(jobs, len(os.sched_getaffinity(0)))
        self.assertTrue(self.plan["admission"]["enabled"])

    def test_build_ninja_puts_every_compile_and_link_in_the_pools(self):
        build_ninja = (self.bld / "build.ninja").read_text()
        rules = (self.bld / "CMakeFiles" / "rules.ninja").read_text()  # build.ninja includes it
        self.assertIn("include CMakeFiles/rules.ninja", build_ninja)
        self.assertIn(f"pool buildbudget_compile\n  depth = {self.plan['compile_jobs']}\n", rules)
        self.assertIn(f"pool buildbudget_link\n  depth = {self.plan['link_jobs']}\n", rules)
        objects = objects_of(build_ninja)
        self.assertEqual(len(objects), UNITS + 1, objects)
        for out, pool in objects.items():
            self.assertEqual(pool, "buildbudget_compile", out)
        for target in ("liblowmem_heavy.so", "lowmem_demo"):
            body = re.search(rf"^build {re.escape(target)}: CXX_\w+_LINKER_\S+ [^\n]*\n((?:  [^\n]*\n)*)",
                             build_ninja, re.M)
            self.assertIsNotNone(body, target)
            self.assertIn("  pool = buildbudget_link\n", body.group(1), target)
        # The flags and the launcher reach the commands: line tables after the build type's -g, GNU ld's
        # memory flags, and every compile and link run by `buildbudget buildmem launch`.
        commands = json.loads((self.bld / "compile_commands.json").read_text())
        for entry in commands:
            words = shlex.split(entry["command"])
            self.assertEqual([w for w in words if w.startswith("-g")][-1], "-g1", entry["file"])
        self.assertRegex(build_ninja, r"LINK_FLAGS = [^\n]*-Wl,--no-keep-memory -Wl,--reduce-memory-overheads")
        launch = f"buildmem launch --plan {self.bld}/buildbudget-lowmem/plan.json --kind"
        self.assertEqual(len(re.findall(rf"command = [^\n]*{re.escape(launch)} compile -- ", rules)), 2)
        self.assertEqual(len(re.findall(rf"command = [^\n]*{re.escape(launch)} link -- ", rules)), 2)

    def test_job_log_records_every_object_with_a_plausible_peak(self):
        records = self.records()
        objects = set(objects_of((self.bld / "build.ninja").read_text()))
        compiles = {r["output"]: r for r in records if r["kind"] == "compile"}
        self.assertEqual(set(compiles), objects)
        links = {r["output"]: r for r in records if r["kind"] == "link"}
        self.assertEqual(set(links), {"liblowmem_heavy.so", "lowmem_demo"})
        for r in records:
            self.assertEqual((r["exit_code"], r["signal"]), (0, None), r["output"])
            self.assertGreaterEqual(r["end_ms"], r["start_ms"], r["output"])
        # Measured here, independently: one heavy unit and main.cpp compiled alone with the same commands.
        commands = {os.path.basename(c["file"]): c for c in json.loads((self.bld / "compile_commands.json").read_text())}
        heavy_alone = peak_alone(shlex.split(commands["unit_01.cpp"]["command"].replace(
            "unit_01.cpp.o", "unit_01.again.o")), commands["unit_01.cpp"]["directory"])
        main_alone = peak_alone(shlex.split(commands["main.cpp"]["command"].replace(
            "main.cpp.o", "main.again.o")), commands["main.cpp"]["directory"])
        self.assertGreater(heavy_alone, 3 * main_alone)
        for out, r in compiles.items():
            with self.subTest(output=out):
                self.assertEqual(r["source"], str(self.bld / "gen" / os.path.basename(out)[:-2])
                                 if "/gen/" in out else str(EXAMPLE / "src" / "main.cpp"))
                alone = main_alone if out.endswith("main.cpp.o") else heavy_alone
                # The launcher's peak is the compile's whole process tree (driver, cc1plus, as): the
                # compiler's own peak, give or take what one run differs from the next.
                self.assertGreater(r["peak_rss"], 0.8 * alone)
                self.assertLess(r["peak_rss"], 1.25 * alone + 16 * MiB)
        for out, r in links.items():
            self.assertGreater(r["peak_rss"], 4 * MiB, out)
            self.assertLess(r["peak_rss"], heavy_alone, out)

    def test_lowmem_report_lists_the_heaviest_unit_first(self):
        proc = build(self.bld, "--target", "lowmem_report")
        self.assertOk(proc)
        text = proc.stdout
        self.assertRegex(text, rf"\({2 + UNITS + 1} records: {UNITS + 1} compiles, 2 links\)")
        section = text.split("Heaviest compiles", 1)[1].split("Heaviest links", 1)[0]
        # The sources' common directory is named once in the title ("; sources under <dir>/").
        under = re.search(r"heaviest first(?:; sources under (/\S*/))?\):", section).group(1) or ""
        rows = [under + line for line in section.splitlines()
                if " | " in line and not line.startswith("Source ")]
        self.assertEqual(len(rows), UNITS + 1, section)
        heaviest = max((r for r in self.records() if r["kind"] == "compile"), key=lambda r: r["peak_rss"])
        self.assertTrue(rows[0].startswith(heaviest["source"] + " "), rows[0])
        self.assertRegex(rows[0], rf"^{re.escape(str(self.bld))}/gen/unit_0[0-9]\.cpp ")
        self.assertIn(f"({heaviest['peak_rss']})", rows[0])
        self.assertTrue(rows[-1].startswith(str(EXAMPLE / "src" / "main.cpp")), rows[-1])
        self.assertIn("Killed jobs: none", text)

    def test_next_configure_sizes_the_pools_from_the_recorded_peaks(self):
        # A new tree holding this build's job log, as a re-configure of this tree would find it (a new
        # tree, so that this one's plan stays as the other tests read it).
        heaviest = max((r for r in self.records() if r["kind"] == "compile" and r["exit_code"] == 0),
                       key=lambda r: r["peak_rss"])
        again = fresh_dir("example", "lowmem-again")
        (again / "buildbudget-lowmem").mkdir()
        shutil.copy(self.bld / "buildbudget-lowmem" / "jobs.jsonl", again / "buildbudget-lowmem" / "jobs.jsonl")
        proc = configure(EXAMPLE, again, f"LOWMEM_EXAMPLE_UNITS={UNITS}", f"LOWMEM_EXAMPLE_WEIGHT={WEIGHT}")
        self.assertOk(proc)
        plan = json.loads((again / "buildbudget-lowmem" / "plan.json").read_text())
        # The heaviest peak plus the learned margin (doc/lowmem.md, "Learning from the last build").
        margin = int(re.search(r"margin (\d+)% on each recorded peak", proc.stdout).group(1))
        self.assertEqual(plan["compile_memory"], heaviest["peak_rss"] + -(-heaviest["peak_rss"] * margin // 100))
        self.assertRegex(proc.stdout, r"compile memory [^\n]* per job: the heaviest recorded compile, [^\n]*"
                         + re.escape(os.path.basename(heaviest["source"])))

    def test_env_script_exports_the_same_limits(self):
        script = self.bld / "build-env.sh"
        out = run(["sh", "-c", '. "$1" && echo "$CMAKE_BUILD_PARALLEL_LEVEL $BUILDBUDGET_COMPILE_JOBS '
                   '$BUILDBUDGET_LINK_JOBS $BUILDBUDGET_MEMORY_LIMIT"', "sh", script])
        self.assertOk(out)
        p = self.plan
        self.assertEqual(out.stdout.split(), [str(p["compile_jobs"]), str(p["compile_jobs"]), str(p["link_jobs"]),
                                              str(p["memory_limit"])])


class LowmemExampleConfigurations(TestCase):
    def test_without_the_profile_there_are_no_pools_and_no_launcher(self):
        bld = fresh_dir("example", "lowmem-off")
        proc = configure(EXAMPLE, bld, "LOWMEM_EXAMPLE_UNITS=2", "LOWMEM_EXAMPLE_PROFILE=OFF")
        self.assertOk(proc)
        text = (bld / "build.ninja").read_text() + (bld / "CMakeFiles" / "rules.ninja").read_text()
        self.assertNotIn("buildbudget_compile", text)
        self.assertNotIn("buildmem launch", text)
        self.assertNotIn("lowmem_report", text)
        self.assertFalse((bld / "build-env.sh").exists())

    def test_a_one_gib_limit_gives_pools_of_one(self):
        bld = fresh_dir("example", "lowmem-1g")
        proc = configure(EXAMPLE, bld, "LOWMEM_EXAMPLE_UNITS=2", "BUILDBUDGET_LOWMEM_MEMORY_LIMIT=1GiB")
        self.assertOk(proc)
        rules = (bld / "CMakeFiles" / "rules.ninja").read_text()
        self.assertIn("pool buildbudget_compile\n  depth = 1\n", rules)
        self.assertIn("pool buildbudget_link\n  depth = 1\n", rules)
        plan = json.loads((bld / "buildbudget-lowmem" / "plan.json").read_text())
        self.assertEqual(plan["memory_limit"], 1 << 30)

    def test_a_bad_weight_fails_configure(self):
        proc = configure(EXAMPLE, fresh_dir("example", "lowmem-bad"), "LOWMEM_EXAMPLE_WEIGHT=lots")
        self.assertFails(proc)
        self.assertIn("LOWMEM_EXAMPLE_WEIGHT must be a positive integer, not 'lots'", proc.stderr)


if __name__ == "__main__":
    unittest.main()
