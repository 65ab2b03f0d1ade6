"""lowmem_profile() on a real third-party CMake project, unedited: googletest's sources as Debian's
googletest package ships them (/usr/src/googletest), injected with the package's
lowmem-inject.cmake through -DCMAKE_PROJECT_INCLUDE, inside a real memory cgroup whose limit the
project's default build does not fit.

googletest, with its samples (gtest_build_samples=ON, a cache option of the project), builds four
static libraries and ten test programs from 18 units. With its RelWithDebInfo flags (-O2 -g),
gtest-all.cc peaks at about 430 MiB and gmock-all.cc at about 300 MiB (GCC 12), the other units at
150-200 MiB, and Ninja's -j2 runs the two heavy ones side by side: at LIMIT the default build is
OOM-killed. The test shows, in one shared run:
  1. the default build (no injection, `ninja -j2`) is OOM-killed inside the limit;
  2. the first build with lowmem_profile() (MEMORY_LIMIT auto finds the cgroup's limit) plans from
     the estimates, finishes without an OOM kill and records every compile, every link and every
     static archive step (`ar`: doc/lowmem.md, "The job launcher");
  3. after `ninja -t clean`, the next configure of the same build tree learns from that build's job
     log (its plan text says so), plans more compiles at once than the estimates did, and the
     second build finishes without an OOM kill.
Needs root (it makes the cgroup), as CI has."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import unittest

from support import CMAKE, PREFIX, TestCase, WORK_DIR, clean_env

MiB = 1 << 20
SOURCE = pathlib.Path("/usr/src/googletest")
# Between what one heavy unit needs (gtest-all.cc with lowmem_profile()'s -g1, about 360 MiB) and
# what the default -j2 build needs (gmock-all.cc and gtest-all.cc at once, about 560 MiB measured).
LIMIT = 540 * MiB
OPTIONS = ("-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-Dgtest_build_samples=ON")
LIBRARY_UNITS = {"gtest-all.cc", "gtest_main.cc", "gmock-all.cc", "gmock_main.cc"}
ARCHIVES = {"libgtest.a", "libgtest_main.a", "libgmock.a", "libgmock_main.a"}
PROGRAMS = {f"sample{n}_unittest" for n in range(1, 11)}


def inject_file():
    """The shipped injection file, else (a package without it) the two lines it amounts to."""
    shipped = pathlib.Path(PREFIX) / "lib/cmake/BuildBudget/lowmem-inject.cmake"
    if shipped.exists():
        return shipped
    own = WORK_DIR / "lowmem-inject.cmake"
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text("include_guard(GLOBAL)\n"
                   f'find_package(BuildBudget CONFIG REQUIRED NO_DEFAULT_PATH PATHS "{PREFIX}")\n'
                   "lowmem_profile()\n")
    return own


class MemoryCgroup:
    """A real memory cgroup (the v1 memory controller, or v2) with a hard limit and no swap."""

    def __init__(self, name, limit):
        v1 = pathlib.Path("/sys/fs/cgroup/memory")
        if v1.is_dir():
            self.path, self.v1 = v1 / name, True
        else:
            self.path, self.v1 = pathlib.Path("/sys/fs/cgroup") / name, False
        self.limit = limit

    def __enter__(self):
        self.path.mkdir(exist_ok=True)
        (self.path / ("memory.limit_in_bytes" if self.v1 else "memory.max")).write_text(str(self.limit))
        if (self.path / "memory.swap.max").exists():
            (self.path / "memory.swap.max").write_text("0")
        return self

    def run(self, cmd, env):
        """Runs `cmd` inside the cgroup (the shell moves itself in, then execs it); no timeout."""
        return subprocess.run(["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(self.path),
                               *map(str, cmd)], env=env, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)

    def oom_kills(self):
        """The cgroup's own OOM kill count (v1 memory.oom_control, v2 memory.events)."""
        text = (self.path / ("memory.oom_control" if self.v1 else "memory.events")).read_text()
        return int(re.search(r"(?m)^oom_kill (\d+)$", text).group(1))

    def __exit__(self, *exc):
        self.path.rmdir()


class LowmemThirdParty(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = clean_env()
        for name in list(cls.env):
            if name.startswith(("CMAKE_", "BUILDBUDGET_", "CXXFLAGS", "CFLAGS", "LDFLAGS", "MAKEFLAGS", "NINJA_")):
                del cls.env[name]
        cls.inject = inject_file()
        cls.results = {}
        with MemoryCgroup(f"buildbudget-thirdparty-{os.getpid()}", LIMIT) as cgroup:
            cls.cgroup = cgroup
            default = WORK_DIR / "default"
            shutil.rmtree(default, ignore_errors=True)
            cls.results["default-configure"] = cls.configure(default)
            before = cgroup.oom_kills()
            cls.results["default"] = (cgroup.run(["ninja", "-C", default, "-j2"], cls.env), cgroup.oom_kills() - before)

            cls.build_dir = WORK_DIR / "lowmem"
            shutil.rmtree(cls.build_dir, ignore_errors=True)
            for step in ("first", "second"):
                if step == "second":
                    subprocess.run(["ninja", "-C", cls.build_dir, "-t", "clean"], env=cls.env, check=True,
                                   stdout=subprocess.DEVNULL)
                configure = cls.configure(cls.build_dir, f"-DCMAKE_PROJECT_INCLUDE={cls.inject}", cgroup=cgroup)
                plan = None
                if configure.returncode == 0:
                    plan = json.loads((cls.build_dir / "buildbudget-lowmem/plan.json").read_text())
                before = cgroup.oom_kills()
                built = cgroup.run(["ninja", "-C", cls.build_dir], cls.env) if plan else None
                cls.results[step] = (configure, plan, built, cgroup.oom_kills() - before)
                if step == "first":
                    cls.first_log = (cls.build_dir / "buildbudget-lowmem/jobs.jsonl").read_text() if plan else ""

    @classmethod
    def configure(cls, build_dir, *defs, cgroup=None):
        """Configures googletest unedited; inside `cgroup`, so that MEMORY_LIMIT auto finds its limit."""
        cmd = [CMAKE, "-S", SOURCE, "-B", build_dir, "-G", "Ninja", *OPTIONS, *defs]
        if cgroup:
            return cgroup.run(cmd, cls.env)
        return subprocess.run([str(c) for c in cmd], env=cls.env, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)

    def records(self, text):
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def test_the_source_is_the_debian_package(self):
        owner = subprocess.run(["dpkg", "-S", str(SOURCE / "googletest/src/gtest-all.cc")], text=True,
                               stdout=subprocess.PIPE)
        self.assertRegex(owner.stdout, r"^googletest:")

    def test_the_default_build_is_oom_killed(self):
        self.assertOk(self.results["default-configure"], "configure default")
        proc, kills = self.results["default"]
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertGreater(kills, 0, proc.stdout)
        self.assertIn("Killed signal terminated program cc1plus", proc.stdout)

    def test_first_build_from_the_estimates_finishes_and_records_compiles_and_archives(self):
        configure, plan, built, kills = self.results["first"]
        self.assertOk(configure, "configure with lowmem_profile()")
        self.assertEqual(plan["memory_limit"], LIMIT, configure.stdout)
        self.assertEqual(plan["compile_jobs"], 1, configure.stdout)
        self.assertRegex(configure.stdout, r"compile memory [^\n]* per job: estimate")
        self.assertNotIn("of earlier builds", configure.stdout)
        self.assertOk(built, "first build")
        self.assertEqual(kills, 0, built.stdout)
        records = self.records(self.first_log)
        compiles = [r for r in records if r["kind"] == "compile"]
        links = [r for r in records if r["kind"] == "link"]
        sources = {pathlib.Path(r["source"]).name for r in compiles}
        self.assertEqual(len(compiles), 18)
        self.assertLessEqual(LIBRARY_UNITS, sources)
        # Every static library's `ar` step went through the launcher, as a link job, and so did
        # every program's link.
        self.assertEqual({pathlib.Path(r["output"]).name for r in links}, ARCHIVES | PROGRAMS)
        for r in links:
            archiver = pathlib.Path(r["command"][0]).name == "ar"
            self.assertEqual(archiver, pathlib.Path(r["output"]).name in ARCHIVES, r)
        for r in records:
            self.assertEqual((r["exit_code"], r["signal"], r.get("oom_kills", 0)), (0, None, 0), r)

    def test_second_plan_learns_from_the_first_build(self):
        _, first_plan, _, _ = self.results["first"]
        configure, plan, built, kills = self.results["second"]
        self.assertOk(configure, "reconfigure")
        log = self.build_dir / "buildbudget-lowmem/jobs.jsonl"
        records = self.records(self.first_log)
        # The plan text names the log and what it learned from it.
        self.assertIn(f"job log {log} of earlier builds: {len(records)} records, the latest finished run of "
                      f"18 compiles and 10 links and 4 static archive steps", configure.stdout)
        heaviest = max((r for r in records if r["kind"] == "compile"), key=lambda r: r["peak_rss"])
        self.assertRegex(configure.stdout, rf"compile memory [^\n]* per job: the heaviest recorded compile, "
                                           rf"\S*{re.escape(pathlib.Path(heaviest['source']).name)} ")
        heaviest_link = max((r for r in records if r["kind"] == "link"), key=lambda r: r["peak_rss"])
        self.assertRegex(configure.stdout, rf"link memory [^\n]* per job: the heaviest recorded link, "
                                           rf"{re.escape(heaviest_link['output'])} ")
        # More compiles at once than the estimates gave, and the per-job figures are the recorded
        # peaks with the margin: far below the estimates.
        self.assertGreater(plan["compile_jobs"], first_plan["compile_jobs"])
        self.assertLess(plan["compile_memory"], first_plan["compile_memory"])
        self.assertGreater(plan["compile_memory"], heaviest["peak_rss"])
        self.assertLess(plan["link_memory"], first_plan["link_memory"] // 4)
        self.assertOk(built, "second build")
        self.assertEqual(kills, 0, built.stdout)
        # The second build recorded every job again.
        second = self.records(log.read_text())[len(records):]
        self.assertEqual(len(second), len(records))


if __name__ == "__main__":
    unittest.main()
