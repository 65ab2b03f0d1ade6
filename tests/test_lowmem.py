"""lowmem_profile(): job pools, linker and compiler flags, the job launcher, the env script and the
cargo config, read from the real build files a consumer's configure writes (test-projects/lowmem).

The memory and CPUs come from a fake /proc and /sys tree (BUILDBUDGET_LOWMEM_PROBE_ROOT), so the
expected pools are computed here from the documented rule (doc/lowmem.md, "The rule"), not read back
from the helper."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import unittest

from support import CMAKE, GENERATOR, PREFIX, TestCase, WORK_DIR, build, clean_env, configure, copy_project, run

GiB = 1 << 30
MiB = 1 << 20

# doc/lowmem.md, "Estimates and memory classes": per-job estimates and their multipliers (percent, floored at each step).
COMPILE_BASE, LINK_BASE = 1 * GiB, 2 * GiB
DEBUG_PERCENT = {None: (100, 100), "off": (100, 100), "line-tables": (110, 125), "split": (140, 125),
                 "full": (150, 200)}
LTO_LINK_PERCENT = {None: 100, "off": 100, "thin": 200, "full": 400}


def reserve_for(limit):
    return min(max(512 * MiB, limit * 10 // 100), limit // 2)


def expected_pools(limit, cpus, debug_info=None, lto=None):
    compile_percent, link_percent = DEBUG_PERCENT[debug_info]
    compile_memory = COMPILE_BASE * compile_percent // 100
    link_memory = LINK_BASE * link_percent // 100 * LTO_LINK_PERCENT[lto] // 100
    usable = limit - reserve_for(limit)
    pools = [max(1, min(cpus, usable // memory)) for memory in (compile_memory, link_memory)]
    return pools[0], pools[1], max(1, cpus // pools[1])


def fake_root(path, limit=None, physical=64 * GiB, cpus=8, usage=0):
    """A cgroup v2 machine: <path>/proc and <path>/sys, the process in cgroup /build."""
    if path.exists():
        shutil.rmtree(path)
    (path / "proc/self").mkdir(parents=True)
    cgroup = path / "sys/fs/cgroup/build"
    cgroup.mkdir(parents=True)
    (path / "sys/devices/system/cpu").mkdir(parents=True)
    (path / "proc/self/cgroup").write_text("0::/build\n")
    (path / "proc/self/mountinfo").write_text(
        "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw\n")
    kib = physical // 1024
    (path / "proc/meminfo").write_text(f"MemTotal:       {kib} kB\nMemFree:        {kib} kB\n"
                                       f"MemAvailable:   {kib} kB\n")
    (path / "proc/self/status").write_text(f"Name:\tcmake\nCpus_allowed_list:\t0-{cpus - 1}\n")
    (path / "sys/devices/system/cpu/online").write_text(f"0-{cpus - 1}\n")
    for d in (path / "sys/fs/cgroup", cgroup):
        (d / "memory.max").write_text("max\n")
        (d / "cpu.max").write_text("max 100000\n")
        (d / "memory.current").write_text(f"{usage}\n")
        (d / "memory.stat").write_text("anon 0\ninactive_file 0\n")
    if limit is not None:
        (cgroup / "memory.max").write_text(f"{limit}\n")
    return path


class MemoryCgroup:
    """A real memory cgroup (v1 memory controller or v2) with a hard limit and no swap, for running a
    build inside it as the kernel's OOM killer would treat it. Needs root, as CI has."""

    def __init__(self, name, limit):
        v1 = pathlib.Path("/sys/fs/cgroup/memory")
        if v1.is_dir():
            self.path, self.limit_file = v1 / name, "memory.limit_in_bytes"
        else:
            self.path, self.limit_file = pathlib.Path("/sys/fs/cgroup") / name, "memory.max"
        self.limit = limit

    def __enter__(self):
        self.path.mkdir(exist_ok=True)
        (self.path / self.limit_file).write_text(str(self.limit))
        if (self.path / "memory.swap.max").exists():
            (self.path / "memory.swap.max").write_text("0")
        return self

    def run(self, cmd, env=None):
        """Runs `cmd` inside the cgroup (the shell moves itself in, then execs it)."""
        return run(["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', self.path, *cmd], env=env)

    def __exit__(self, *exc):
        self.path.rmdir()


def ninja_pools(text):
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"(?m)^pool (\S+)\n  depth = (\d+)$", text)}


def rule_commands(text):
    """{rule: command} of rules.ninja."""
    return dict(re.findall(r"(?m)^rule (\S+)\n(?:  (?!command)[^\n]*\n)*  command = ([^\n]*)$", text))


def ninja_edges(text):
    """{output: (rule, {variable: value})} of build.ninja's build statements."""
    edges = {}
    for m in re.finditer(r"(?m)^build ([^:\n]+?): (\S+)[^\n]*\n((?:  [^\n]*\n)*)", text):
        variables = dict(re.findall(r"(?m)^  (\w+) = (.*)$", m.group(3)))
        edges[m.group(1).replace("$ ", " ")] = (m.group(2), variables)
    return edges


def linker_flag(flag):
    """A regex for one linker flag as CMake writes LINKER:<flag>: -Wl,<flag> (GCC) or -Xlinker <flag> (clang)."""
    return rf"(-Wl,|-Xlinker ){re.escape(flag)}(\s|$)"


class Lowmem(TestCase):
    def setUp(self):
        self.src = WORK_DIR / "lowmem-src"
        if not self.src.exists():
            copy_project("lowmem", "lowmem-src")

    def configure(self, name, *defs, generator=GENERATOR, root=None, env=None, fresh=True, src=None, prefix=True):
        """Configures test-projects/lowmem (or `src`) in WORK_DIR/<name> as a Release build; `prefix`:
        with the installed package on CMAKE_PREFIX_PATH."""
        bld = WORK_DIR / name
        if fresh and bld.exists():
            shutil.rmtree(bld)
        if root is not None:
            defs = defs + (f"BUILDBUDGET_LOWMEM_PROBE_ROOT={root}",)
        if prefix:
            defs = (f"CMAKE_PREFIX_PATH={PREFIX}",) + defs
        cmd = [CMAKE, "-S", src or self.src, "-B", bld, "-G", generator, "-DCMAKE_BUILD_TYPE=Release",
               *[f"-D{d}" for d in defs]]
        proc = run(cmd, env=env)
        self.assertOk(proc, f"configure {name}")
        return bld, proc

    def ninja(self, bld):
        """build.ninja and the rules and pools of CMakeFiles/rules.ninja."""
        return (bld / "build.ninja").read_text() + (bld / "CMakeFiles/rules.ninja").read_text()

    def link_flags(self, bld):
        edges = ninja_edges(self.ninja(bld))
        text = self.ninja(bld)
        commands = rule_commands(text)
        return next({**v, "command": commands[rule]} for out, (rule, v) in ninja_edges(text).items()
                    if out == "app" and rule.startswith("CXX_EXECUTABLE"))

    def compile_edges(self, bld):
        """{object: variables} of the compiles, each with its rule's `command` added."""
        text = self.ninja(bld)
        commands = rule_commands(text)
        return {out: {**v, "command": commands[rule]} for out, (rule, v) in ninja_edges(text).items()
                if re.fullmatch(r"(C|CXX)_COMPILER__(shapes|app)_\w+", rule)}

    def build_and_run(self, bld, env=None):
        self.assertOk(build(bld, env=env), f"build {bld.name}")
        out = run([bld / "app"])
        self.assertOk(out)
        # sum of k^2 for k = 1..10, FNV-1a("lowmem")
        h = 2166136261
        for c in b"lowmem":
            h = ((h ^ c) * 16777619) & 0xFFFFFFFF
        self.assertEqual(out.stdout, f"{sum(k * k for k in range(1, 11))} {h}\n")

    # -- pools --------------------------------------------------------------------------------------

    def test_pools_follow_the_cgroup_limit_and_cpus(self):
        for limit, cpus in ((6 * GiB, 8), (3 * GiB, 8), (40 * GiB, 4), (1 * GiB, 8)):
            with self.subTest(limit=limit, cpus=cpus):
                root = fake_root(WORK_DIR / "roots" / f"v2-{limit}-{cpus}", limit=limit, cpus=cpus)
                bld, proc = self.configure(f"pools-{limit}-{cpus}", "LOWMEM_ARGS=DEBUG_INFO;off", root=root)
                compile_jobs, link_jobs, _ = expected_pools(limit, cpus, "off")
                pools = ninja_pools(self.ninja(bld))
                self.assertEqual(pools.get("buildbudget_compile"), compile_jobs, proc.stdout)
                self.assertEqual(pools.get("buildbudget_link"), link_jobs, proc.stdout)
                # Every compile and the link run in their pool.
                compiles = self.compile_edges(bld)
                self.assertEqual(len(compiles), 3)
                for out, variables in compiles.items():
                    self.assertEqual(variables.get("pool"), "buildbudget_compile", out)
                self.assertEqual(self.link_flags(bld).get("pool"), "buildbudget_link")
                # The decision is printed with its reasons.
                self.assertRegex(proc.stdout, rf"lowmem_profile\(\): {compile_jobs} compile and {link_jobs} link "
                                 r"jobs at once")
                self.assertIn("memory.max", proc.stdout)
                result = (bld / "lowmem-result.txt").read_text().split()
                self.assertEqual(int(result[2]), compile_jobs)
                self.assertEqual(int(result[3]), link_jobs)

    def test_a_second_call_replaces_the_first(self):
        root = fake_root(WORK_DIR / "roots" / "twice", limit=6 * GiB)
        bld, proc = self.configure("twice", "CALL_TWICE=ON", "LOWMEM_ARGS=DEBUG_INFO;split", root=root)
        text = self.ninja(bld)
        self.assertEqual(len(re.findall(r"(?m)^pool buildbudget_compile$", text)), 1)
        self.assertEqual(len(re.findall(r"(?m)^pool buildbudget_link$", text)), 1)
        flags = self.link_flags(bld)["LINK_FLAGS"]
        self.assertEqual(flags.count("--no-keep-memory"), 1, flags)
        for out, variables in self.compile_edges(bld).items():
            self.assertEqual(variables["FLAGS"].count("-gsplit-dwarf"), 1, variables["FLAGS"])
            self.assertEqual(variables["command"].count("buildmem launch"), 1, variables["command"])
        self.build_and_run(bld)

    def test_other_generators_get_a_parallel_level(self):
        root = fake_root(WORK_DIR / "roots" / "make", limit=6 * GiB, cpus=8)
        bld, proc = self.configure("make", "LOWMEM_ARGS=DEBUG_INFO;off", generator="Unix Makefiles", root=root)
        compile_jobs, link_jobs, _ = expected_pools(6 * GiB, 8, "off")
        self.assertRegex(re.sub(r"\s+", " ", proc.stderr),
                         rf"the Unix Makefiles generator has no job pools.*--parallel {compile_jobs}\b.*"
                         rf"CMAKE_BUILD_PARALLEL_LEVEL={compile_jobs}\b")
        self.assertFalse((bld / "build.ninja").exists())
        self.build_and_run(bld)

    def test_memory_classes_choose_the_defaults(self):
        cases = {"small": (4 * GiB, ["-g1"], True), "medium": (12 * GiB, ["-g", "-gsplit-dwarf"], True),
                 "large": (32 * GiB, [], False)}
        for memory_class, (limit, flags, admission) in cases.items():
            with self.subTest(memory_class=memory_class):
                root = fake_root(WORK_DIR / "roots" / memory_class, limit=limit)
                bld, _ = self.configure(f"class-{memory_class}", root=root)
                result = (bld / "lowmem-result.txt").read_text().split()
                self.assertEqual(result[:2], [str(limit), memory_class])
                compile_flags = next(iter(self.compile_edges(bld).values()))["FLAGS"]
                for flag in flags:
                    self.assertIn(flag, compile_flags.split())
                for flag in ("-g", "-g1", "-gsplit-dwarf", "-g0"):
                    if flag not in flags:
                        self.assertNotIn(flag, compile_flags.split())
                plan = json.loads((bld / "buildbudget-lowmem/plan.json").read_text())
                self.assertEqual(plan["admission"]["enabled"], admission)
                self.assertEqual(plan["memory_limit"], limit)
                self.assertIs(plan["memory_limit_probed"], True)  # the launcher may note a larger limit

    def test_the_cache_variable_overrides_the_argument(self):
        root = fake_root(WORK_DIR / "roots" / "preset", limit=30 * GiB, cpus=8)
        bld, proc = self.configure("override", "LOWMEM_ARGS=MEMORY_LIMIT;20GiB;DEBUG_INFO;off",
                                   "BUILDBUDGET_LOWMEM_MEMORY_LIMIT=4GiB", root=root)
        result = (bld / "lowmem-result.txt").read_text().split()
        self.assertEqual(result[:2], [str(4 * GiB), "small"])
        compile_jobs, link_jobs, _ = expected_pools(4 * GiB, 8, "off")
        self.assertEqual(ninja_pools(self.ninja(bld))["buildbudget_compile"], compile_jobs)
        # A given limit may be below the machine's on purpose: the launcher says nothing of a larger one.
        self.assertIs(json.loads((bld / "buildbudget-lowmem/plan.json").read_text())["memory_limit_probed"], False)

    # -- flags ----------------------------------------------------------------------------------------

    LINKER_FLAGS = {
        "bfd": ["--no-keep-memory", "--reduce-memory-overheads"],
        "gold": ["--no-map-whole-files", "--no-keep-files-mapped"],
        "lld": ["--threads={threads}"],
        "mold": ["--thread-count={threads}"],
    }

    def test_flags_for_the_linker_in_use(self):
        limit, cpus = 6 * GiB, 8
        _, _, threads = expected_pools(limit, cpus, "off")
        root = fake_root(WORK_DIR / "roots" / "linkers", limit=limit, cpus=cpus)
        for compiler in ("gcc", "clang"):
            cxx = {"gcc": "g++", "clang": "clang++"}[compiler]
            for linker in ("bfd", "gold", "lld", "mold"):
                with self.subTest(compiler=compiler, linker=linker):
                    fuse = "" if linker == "bfd" else f"-fuse-ld={linker}"
                    bld, proc = self.configure(
                        f"linker-{compiler}-{linker}", "LOWMEM_ARGS=DEBUG_INFO;off", f"CMAKE_C_COMPILER={compiler}",
                        f"CMAKE_CXX_COMPILER={cxx}", f"CMAKE_EXE_LINKER_FLAGS={fuse}", root=root)
                    self.assertEqual((bld / "lowmem-result.txt").read_text().split()[4], linker)
                    flags = self.link_flags(bld)["LINK_FLAGS"]
                    for flag in self.LINKER_FLAGS[linker]:
                        self.assertRegex(flags, linker_flag(flag.format(threads=threads)))
                    for other, other_flags in self.LINKER_FLAGS.items():
                        if other != linker:
                            for flag in other_flags:
                                self.assertNotIn(flag.split("=")[0], flags)
                    # The real linker accepts them, and the program works.
                    self.build_and_run(bld)

    def test_debug_info_reaches_the_compile_and_link_lines(self):
        expected = {
            ("gcc", "off"): ["-g0"], ("gcc", "line-tables"): ["-g1"], ("gcc", "full"): ["-g"],
            ("gcc", "split"): ["-g", "-gsplit-dwarf"], ("clang", "line-tables"): ["-gline-tables-only"],
            ("clang", "split"): ["-g", "-gsplit-dwarf"],
        }
        root = fake_root(WORK_DIR / "roots" / "debug", limit=6 * GiB)
        for (compiler, debug_info), flags in expected.items():
            with self.subTest(compiler=compiler, debug_info=debug_info):
                cxx = {"gcc": "g++", "clang": "clang++"}[compiler]
                linker_flags = "-fuse-ld=lld" if debug_info == "split" and compiler == "clang" else ""
                bld, _ = self.configure(f"debug-{compiler}-{debug_info}", f"LOWMEM_ARGS=DEBUG_INFO;{debug_info}",
                                        f"CMAKE_C_COMPILER={compiler}", f"CMAKE_CXX_COMPILER={cxx}",
                                        f"CMAKE_EXE_LINKER_FLAGS={linker_flags}", root=root)
                for out, variables in self.compile_edges(bld).items():
                    words = variables["FLAGS"].split()
                    for flag in flags:
                        self.assertIn(flag, words, out)
                    # The profile's flag comes after the build type's, so it is the one that counts.
                    last_g = [w for w in words if re.fullmatch(r"-g\d?|-gline-tables-only", w)][-1]
                    self.assertEqual(last_g, [f for f in flags if f != "-gsplit-dwarf"][-1])
                link = self.link_flags(bld)["LINK_FLAGS"]
                if debug_info == "split" and compiler == "clang":
                    self.assertRegex(link, linker_flag("--gdb-index"))
                else:
                    self.assertNotIn("--gdb-index", link)  # GNU ld 2.40 has no --gdb-index
                self.build_and_run(bld)
                sections = run(["readelf", "-S", "-W", bld / "app"]).stdout
                if debug_info == "off":
                    self.assertNotIn(".debug_info", sections)
                else:
                    self.assertIn(".debug_line", sections)
                if debug_info == "split":
                    dwo = list(bld.rglob("*.dwo"))
                    self.assertEqual(len(dwo), 3, dwo)
                    if compiler == "clang":
                        self.assertIn(".gdb_index", sections)

    def test_lto(self):
        root = fake_root(WORK_DIR / "roots" / "lto", limit=6 * GiB, cpus=8)
        _, _, threads = expected_pools(6 * GiB, 8, "off", "thin")
        cases = [("clang", "thin", "-flto=thin", b"BC\xc0\xde"), ("clang", "full", "-flto=full", b"BC\xc0\xde"),
                 ("gcc", "thin", f"-flto={threads}", b".gnu.lto_"), ("gcc", "full", "-flto-partition=one", b".gnu.lto_")]
        for compiler, lto, flag, marker in cases:
            with self.subTest(compiler=compiler, lto=lto):
                cxx = {"gcc": "g++", "clang": "clang++"}[compiler]
                fuse = "-fuse-ld=lld" if compiler == "clang" else ""
                bld, proc = self.configure(f"lto-{compiler}-{lto}", f"LOWMEM_ARGS=DEBUG_INFO;off;LTO;{lto}",
                                           f"CMAKE_C_COMPILER={compiler}", f"CMAKE_CXX_COMPILER={cxx}",
                                           f"CMAKE_EXE_LINKER_FLAGS={fuse}", root=root)
                self.assertNotIn("LTO", proc.stderr)  # no "not available" warning
                if compiler == "gcc":
                    self.assertIn(f"linker threads {threads}: 8 CPUs", proc.stdout)
                    self.assertIn("(for LTO code generation)", proc.stdout)
                for variables in self.compile_edges(bld).values():
                    self.assertIn(flag, variables["FLAGS"].split())
                link = self.link_flags(bld)["LINK_FLAGS"]
                if compiler == "clang":
                    if lto == "thin":
                        self.assertRegex(link, linker_flag(f"--thinlto-jobs={threads}"))
                    else:
                        self.assertIn(flag, link.split())
                self.build_and_run(bld)
                obj = next(bld.rglob("checksum.c.o")).read_bytes()
                self.assertIn(marker, obj[:4] if marker.startswith(b"BC") else obj)

    def test_lto_off_wins_over_the_project(self):
        root = fake_root(WORK_DIR / "roots" / "ltooff", limit=6 * GiB)
        bld, _ = self.configure("lto-off", "PROJECT_IPO=ON", "LOWMEM_ARGS=LTO;off;DEBUG_INFO;off", root=root)
        for variables in self.compile_edges(bld).values():
            self.assertNotRegex(variables["FLAGS"], r"-flto")
        self.build_and_run(bld)
        self.assertNotIn(b".gnu.lto_", next(bld.rglob("checksum.c.o")).read_bytes())

    # -- where it is called: never half-applied ---------------------------------------------------------

    def assert_fully_applied(self, bld, proc, compile_jobs, link_jobs):
        """Pools, launcher on every compile and the link, the linker detected and its flags, -g1 last."""
        text = self.ninja(bld)
        self.assertEqual(ninja_pools(text), {"buildbudget_compile": compile_jobs, "buildbudget_link": link_jobs})
        plan = bld / "buildbudget-lowmem" / "plan.json"
        compiles = self.compile_edges(bld)
        self.assertEqual(len(compiles), 3, compiles)
        for out, variables in compiles.items():
            self.assertEqual(variables.get("pool"), "buildbudget_compile", out)
            self.assertIn(f"buildmem launch --plan {plan} --kind compile -- ", variables["command"], out)
            last_g = [w for w in variables["FLAGS"].split() if re.fullmatch(r"-g\d?", w)][-1]
            self.assertEqual(last_g, "-g1", out)
        link = self.link_flags(bld)
        self.assertEqual(link.get("pool"), "buildbudget_link")
        self.assertIn(f"buildmem launch --plan {plan} --kind link -- ", link["command"])
        for flag in self.LINKER_FLAGS["bfd"]:
            self.assertRegex(link["LINK_FLAGS"], linker_flag(flag))
        self.assertIn("link jobs at once (linker bfd, debug info line-tables)", proc.stdout)
        self.assertTrue(plan.is_file())

    def inject_file(self):
        return next(pathlib.Path(PREFIX).glob("lib*/cmake/BuildBudget/lowmem-inject.cmake"))

    def test_every_way_of_calling_it_applies_everything(self):
        """lowmem-inject.cmake before any language is enabled (CMAKE_PROJECT_TOP_LEVEL_INCLUDES, also with
        project(LANGUAGES NONE) and enable_language() later) and after project() (CMAKE_PROJECT_INCLUDE), and
        a direct call before and after project(): each gets everything."""
        limit, cpus = 6 * GiB, 8
        root = fake_root(WORK_DIR / "roots" / "where", limit=limit, cpus=cpus)
        compile_jobs, link_jobs, _ = expected_pools(limit, cpus, "line-tables")
        plain = self.src / "plain"
        inject = self.inject_file()
        cases = {
            "project-include": (plain, [f"CMAKE_PROJECT_INCLUDE={inject}"]),
            "top-level-includes": (plain, [f"CMAKE_PROJECT_TOP_LEVEL_INCLUDES={inject}"]),
            "languages-later": (plain, [f"CMAKE_PROJECT_TOP_LEVEL_INCLUDES={inject}", "PLAIN_LANGUAGES_LATER=ON"]),
            "before-project": (self.src, ["BEFORE_PROJECT=ON"]),
            "after-project": (self.src, []),
        }
        for where, (src, defs) in cases.items():
            with self.subTest(where=where):
                bld, proc = self.configure(f"where-{where}", *defs, root=root, src=src, prefix=src == self.src)
                self.assert_fully_applied(bld, proc, compile_jobs, link_jobs)
                self.assertEqual(proc.stdout.count("lowmem_profile() changes this build: "), 1, proc.stdout)

    def test_one_define_on_an_unedited_project(self):
        """The shipped lowmem-inject.cmake is the only -D (no CMAKE_PREFIX_PATH, no build type, the real
        probe) on a project that never heard of BuildBudget; its build is recorded and reported."""
        bld = WORK_DIR / "inject-one-define"
        if bld.exists():
            shutil.rmtree(bld)
        env = {k: v for k, v in clean_env().items() if k != "CMAKE_PREFIX_PATH"}
        proc = run([CMAKE, "-S", self.src / "plain", "-B", bld, "-G", GENERATOR,
                    f"-DCMAKE_PROJECT_TOP_LEVEL_INCLUDES={self.inject_file()}"], env=env)
        self.assertOk(proc, "configure with lowmem-inject.cmake")
        pools = ninja_pools(self.ninja(bld))
        self.assertEqual(sorted(pools), ["buildbudget_compile", "buildbudget_link"])
        for out, variables in self.compile_edges(bld).items():
            self.assertIn("buildmem launch --plan", variables["command"], out)
            self.assertEqual(variables.get("pool"), "buildbudget_compile", out)
        link = self.link_flags(bld)
        self.assertIn("--kind link", link["command"])
        for flag in self.LINKER_FLAGS["bfd"]:  # the machine's c++ links with GNU ld
            self.assertRegex(link["LINK_FLAGS"], linker_flag(flag))
        self.build_and_run(bld, env=env)
        log = [json.loads(line) for line in (bld / "buildbudget-lowmem/jobs.jsonl").read_text().splitlines()]
        self.assertEqual(sorted(pathlib.Path(r["source"]).name for r in log if r["kind"] == "compile"),
                         ["checksum.c", "main.cpp", "shapes.cpp"])
        self.assertIn("app", [pathlib.Path(r["output"]).name for r in log if r["kind"] == "link"])
        report = build(bld, "--target", "lowmem_report", env=env)
        self.assertOk(report)
        self.assertNotIn("no job recorded yet", report.stdout)
        for name in ("main.cpp", "shapes.cpp", "checksum.c", "app"):
            self.assertIn(name, report.stdout)

    # -- the summary of what it changes --------------------------------------------------------------

    SUMMARY = "-- lowmem_profile() changes this build: "
    POOLS = ("job pools buildbudget_compile={} and buildbudget_link={} (sized from the memory limit: "
             "-DBUILDBUDGET_LOWMEM_MEMORY_LIMIT=<size>)")

    def test_summary_lists_each_change_with_its_switch(self):
        root = fake_root(WORK_DIR / "roots" / "summary-small", limit=6 * GiB, cpus=8)
        compile_jobs, link_jobs, _ = expected_pools(6 * GiB, 8, "line-tables")
        _, proc = self.configure("summary-small", root=root)
        self.assertLine(proc.stdout, self.SUMMARY + "; ".join([
            self.POOLS.format(compile_jobs, link_jobs),
            "-g1 for debug info line-tables (off: -DBUILDBUDGET_LOWMEM_DEBUG_INFO=build-type)",
            "--no-keep-memory --reduce-memory-overheads for GNU ld (off: -DBUILDBUDGET_LOWMEM_LINKER_FLAGS=OFF)",
            "compiles and links through buildbudget buildmem launch (off: -DBUILDBUDGET_LOWMEM_LAUNCHER=OFF)",
            "admission: jobs wait for free memory (off: -DBUILDBUDGET_LOWMEM_ADMISSION=OFF)"]))
        self.assertEqual(proc.stdout.count("changes this build"), 1)
        # GNU ld without LTO uses no linker threads, so the plan does not mention them.
        self.assertNotIn("linker threads", proc.stdout)

        root = fake_root(WORK_DIR / "roots" / "summary-large", limit=40 * GiB, cpus=4)
        compile_jobs, link_jobs, threads = expected_pools(40 * GiB, 4, None, "thin")
        _, proc = self.configure("summary-clang", "LOWMEM_ARGS=LTO;thin;LAUNCHER;OFF", "CMAKE_C_COMPILER=clang",
                                 "CMAKE_CXX_COMPILER=clang++", "CMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld", root=root)
        self.assertLine(proc.stdout, self.SUMMARY + "; ".join([
            self.POOLS.format(compile_jobs, link_jobs),
            f"-flto=thin --thinlto-jobs={threads} for LTO thin (off: -DBUILDBUDGET_LOWMEM_LTO=off)",
            f"--threads={threads} for lld (off: -DBUILDBUDGET_LOWMEM_LINKER_FLAGS=OFF)"]))

    def test_each_switch_turns_its_change_off(self):
        """The cache variables win over the arguments and take each change out of the build files."""
        root = fake_root(WORK_DIR / "roots" / "switches", limit=6 * GiB, cpus=8)
        compile_jobs, link_jobs, _ = expected_pools(6 * GiB, 8, None, "off")
        bld, proc = self.configure("switches", "LOWMEM_ARGS=DEBUG_INFO;split;LINKER_FLAGS;ON",
                                   "BUILDBUDGET_LOWMEM_DEBUG_INFO=build-type", "BUILDBUDGET_LOWMEM_LTO=off",
                                   "BUILDBUDGET_LOWMEM_LINKER_FLAGS=OFF", "BUILDBUDGET_LOWMEM_LAUNCHER=OFF",
                                   root=root)
        self.assertLine(proc.stdout, self.SUMMARY + "; ".join([
            self.POOLS.format(compile_jobs, link_jobs),
            "CMAKE_INTERPROCEDURAL_OPTIMIZATION OFF for LTO off (off: no LTO argument or cache variable)"]))
        for out, variables in self.compile_edges(bld).items():
            self.assertEqual(variables["FLAGS"].split(), ["-O3", "-DNDEBUG"], out)
            self.assertNotIn("buildmem", variables["command"], out)
        link = self.link_flags(bld)
        self.assertNotIn("--no-keep-memory", link.get("LINK_FLAGS", ""))
        self.assertNotIn("buildmem", link["command"])
        self.build_and_run(bld)

    # -- launcher, report, env script, cargo ---------------------------------------------------------

    def test_launcher_records_every_job_and_chains_ccache(self):
        root = fake_root(WORK_DIR / "roots" / "launcher", limit=6 * GiB)
        ccache_dir = WORK_DIR / "ccache"
        env = clean_env(CCACHE_DIR=str(ccache_dir))
        bld, _ = self.configure("launcher", "LOWMEM_ARGS=DEBUG_INFO;off", "CMAKE_CXX_COMPILER_LAUNCHER=ccache",
                                root=root, env=env)
        compiles = self.compile_edges(bld)
        cxx = [v["command"] for out, v in compiles.items() if out.endswith(".cpp.o")]
        c = [v["command"] for out, v in compiles.items() if out.endswith(".c.o")]
        for command in cxx:
            self.assertRegex(command, r"buildmem launch --plan \S+plan\.json --kind compile -- ccache /\S+/(c\+\+|g\+\+) ")
        for command in c:
            self.assertRegex(command, r"buildmem launch --plan \S+plan\.json --kind compile -- /\S+/(cc|gcc) ")
        self.assertRegex(self.link_flags(bld)["command"], r"buildmem launch --plan \S+plan\.json --kind link -- /\S+")
        self.build_and_run(bld, env=env)
        log = [json.loads(line) for line in (bld / "buildbudget-lowmem/jobs.jsonl").read_text().splitlines()]
        compiled = sorted(pathlib.Path(r["source"]).name for r in log if r["kind"] == "compile")
        self.assertEqual(compiled, ["checksum.c", "main.cpp", "shapes.cpp"])
        links = [r for r in log if r["kind"] == "link"]
        # The static library's archive step (`ar`) is recorded as a link job too, before the program's link.
        self.assertEqual([pathlib.Path(r["output"]).name for r in links], ["libshapes.a", "app"])
        self.assertEqual(pathlib.Path(links[0]["command"][0]).name, "ar")
        for record in log:
            self.assertGreater(record["peak_rss"], 1 * MiB, record)
            self.assertLess(record["peak_rss"], 2 * GiB, record)
            self.assertEqual(record["exit_code"], 0)
        stats = run(["ccache", "--show-stats"], env=env).stdout
        self.assertRegex(stats, r"(?i)(cache miss|misses)\s*[:|]?\s*[1-9]")
        report = build(bld, "--target", "lowmem_report")
        self.assertOk(report)
        for name in ("main.cpp", "shapes.cpp", "checksum.c", "app"):
            self.assertIn(name, report.stdout)
        # The next configure sizes the pools from the recorded peaks.
        _, proc = self.configure("launcher", root=root, env=env, fresh=False)
        self.assertIn("jobs.jsonl", proc.stdout)

    def test_a_compile_killed_by_the_oom_killer_is_named(self):
        """A real OOM kill: the build runs in a memory cgroup too small for src/heavy.cpp (about 250 MiB)."""
        limit = 4 * GiB
        # The real probe root: GCC's driver survives the kill of cc1plus, and the launcher then
        # sees the kill in the kernel's oom_kill count (/proc/vmstat).
        bld, _ = self.configure("oom", "HEAVY=ON", "LOWMEM_ARGS=MEMORY_LIMIT;4GiB;DEBUG_INFO;off;ADMISSION;OFF")
        with MemoryCgroup(f"buildbudget-test-{os.getpid()}", 120 * MiB) as cgroup:
            proc = cgroup.run(["ninja", "-C", bld, "heavy"])
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        message = next((line for line in proc.stdout.splitlines() if line.startswith("buildbudget: error:")), "")
        self.assertRegex(message, r"^buildbudget: error: compile of \S*/src/heavy\.cpp \(output \S*heavy\.cpp\.o\) "
                                  r"(was killed by SIGKILL|failed \(exit 1\) while the kernel's OOM killer killed)")
        log = [json.loads(line) for line in (bld / "buildbudget-lowmem/jobs.jsonl").read_text().splitlines()]
        record = next(r for r in log if r["source"].endswith("heavy.cpp"))
        self.assertTrue(record["signal"] == 9 or record.get("oom_kills", 0) >= 1, record)
        # Its last peak is in the message, with the pool that would fit: (limit - reserve) / peak.
        self.assertIn(f"({record['peak_rss']} bytes)", message)
        fits = max(1, (limit - reserve_for(limit)) // record["peak_rss"])
        self.assertRegex(message, rf"a compile pool of {fits} jobs? would fit")

    def test_env_script(self):
        root = fake_root(WORK_DIR / "roots" / "env", limit=6 * GiB, cpus=8)
        script = WORK_DIR / "env dir" / "it's build-env.sh"
        bld, _ = self.configure("env", f"LOWMEM_ARGS=DEBUG_INFO;line-tables;LTO;off;ENV_SCRIPT;{script}", root=root)
        compile_jobs, link_jobs, _ = expected_pools(6 * GiB, 8, "line-tables", "off")
        shell = "dash" if shutil.which("dash") else "sh"
        names = ["BUILDBUDGET_MEMORY_LIMIT", "BUILDBUDGET_COMPILE_JOBS", "BUILDBUDGET_LINK_JOBS",
                 "CMAKE_BUILD_PARALLEL_LEVEL", "MAKEFLAGS", "CARGO_BUILD_JOBS", "CARGO_PROFILE_RELEASE_DEBUG",
                 "CARGO_PROFILE_RELEASE_LTO"]
        proc = subprocess.run([shell, "-c", '. "$1" && env', "sh", str(script)], text=True, capture_output=True,
                              env={"PATH": os.environ["PATH"]})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        exported = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
        self.assertEqual({n: exported.get(n) for n in names}, {
            "BUILDBUDGET_MEMORY_LIMIT": str(6 * GiB), "BUILDBUDGET_COMPILE_JOBS": str(compile_jobs),
            "BUILDBUDGET_LINK_JOBS": str(link_jobs), "CMAKE_BUILD_PARALLEL_LEVEL": str(compile_jobs),
            "MAKEFLAGS": f"-j{compile_jobs}", "CARGO_BUILD_JOBS": str(compile_jobs),
            "CARGO_PROFILE_RELEASE_DEBUG": "1", "CARGO_PROFILE_RELEASE_LTO": "false"})
        # Unchanged on the next configure: not rewritten.
        before = script.stat().st_mtime_ns
        self.configure("env", root=root, fresh=False)
        self.assertEqual(script.stat().st_mtime_ns, before)

    def test_cargo_config_keeps_the_users_keys(self):
        root = fake_root(WORK_DIR / "roots" / "cargo", limit=6 * GiB, cpus=8)
        config = WORK_DIR / "cargo-project" / ".cargo" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text('[alias]\nb2 = "build --release"\n\n[build]\njobs = 16\n')
        bld, _ = self.configure("cargo", f"LOWMEM_ARGS=DEBUG_INFO;line-tables;LTO;thin;CARGO_CONFIG;{config}",
                                root=root)
        compile_jobs, _, _ = expected_pools(6 * GiB, 8, "line-tables", "thin")
        text = config.read_text()
        self.assertRegex(text, rf"(?m)^jobs = {compile_jobs}$")
        self.assertRegex(text, r'(?m)^b2 = "build --release"$')
        self.assertRegex(text, r'(?m)^lto = "thin"$')

    def test_configure_errors(self):
        def configure_case(src, bld, *defs):
            return configure(src, bld, *defs)
        self.assertCMakeCases("lowmem", configure_case, 10)


if __name__ == "__main__":
    unittest.main()
