"""`buildbudget buildmem probe` and `buildbudget buildmem plan` (doc/helper-buildmem.md; the pool rule
in doc/lowmem.md, "The rule"; their messages in doc/messages.md, "Build memory").

The probe reads fake /proc and /sys trees built here (--root), laid out as the kernel's
cgroup-v1 and cgroup-v2 documentation and proc(5) describe them: cgroup v2 and v1 limits, the
hybrid layout of this very machine (v1 controllers plus an empty cgroup2 mount at
/sys/fs/cgroup/unified), no limit, CPU quotas, a limit above physical memory, a parent cgroup with
the lower limit, and missing or garbled files. On the real machine it must agree with
/proc/meminfo and os.sched_getaffinity(). The plan's pools are recomputed here from the rule the
README documents (not read back from the helper)."""
import json
import math
import os
import pathlib
import re
import unittest

from support import TestCase, WORK_DIR, fresh_dir, helper

GiB = 1 << 30
MiB = 1 << 20
V1_UNLIMITED = 9223372036854771712  # PAGE_COUNTER_MAX * 4096: cgroup v1's "no limit"

# doc/lowmem.md, "Estimates and memory classes": per-job estimates, their factors (compile, link) and the reserve rule.
COMPILE_BASE, LINK_BASE = 1 * GiB, 2 * GiB
DEBUG_FACTORS = {None: (1.0, 1.0), "off": (1.0, 1.0), "line-tables": (1.1, 1.25), "split": (1.4, 1.25),
                 "full": (1.5, 2.0)}
LTO_LINK_FACTORS = {"off": 1.0, "thin": 2.0, "full": 4.0}


def reserve_for(limit):
    return min(max(512 * MiB, limit // 10), limit // 2)


def expected_plan(limit, cpus, debug=None, lto="off", compile_memory=None, link_memory=None, reserve=None):
    cf, lf = DEBUG_FACTORS[debug]
    compile_memory = compile_memory or int(COMPILE_BASE * cf)
    link_memory = link_memory or int(LINK_BASE * lf * LTO_LINK_FACTORS[lto])
    reserve = reserve_for(limit) if reserve is None else reserve
    usable = limit - reserve
    compile_jobs = max(1, min(cpus, usable // compile_memory))
    link_jobs = max(1, min(cpus, usable // link_memory))
    return {"reserve": reserve, "compile_memory": compile_memory, "link_memory": link_memory,
            "compile_jobs": compile_jobs, "link_jobs": link_jobs, "linker_threads": max(1, cpus // link_jobs)}


class Tree:
    """A fake root: <dir>/proc and <dir>/sys."""

    def __init__(self, name, total=16 * GiB, available=12 * GiB, allowed="0-7", online="0-7"):
        self.dir = fresh_dir("roots", name)
        self.write("proc/meminfo", f"MemTotal:       {total // 1024} kB\nMemFree:         1024 kB\n"
                                   f"MemAvailable:   {available // 1024} kB\nCached:          2048 kB\n")
        self.write("proc/self/status", f"Name:\tbuildbudget\nState:\tR (running)\nCpus_allowed:\tff\n"
                                       f"Cpus_allowed_list:\t{allowed}\nMems_allowed_list:\t0\n")
        self.write("sys/devices/system/cpu/online", online + "\n")

    def write(self, path, text):
        p = self.dir / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def path(self, path):
        return str(self.dir / path)

    def v2(self, cgroup="/user.slice/build"):
        self.write("proc/self/cgroup", f"0::{cgroup}\n")
        self.write("proc/self/mountinfo",
                   "22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
                   "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
                   "rw,nsdelegate,memory_recursiveprot\n")
        self.write("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n")

    def v2_level(self, cgroup, max_="max", current=0, inactive=0, cpu_max="max 100000"):
        d = f"sys/fs/cgroup{cgroup}"
        self.write(f"{d}/cgroup.controllers", "cpu io memory pids\n")
        self.write(f"{d}/memory.max", f"{max_}\n")
        self.write(f"{d}/memory.current", f"{current}\n")
        self.write(f"{d}/memory.stat", f"anon 4096\nfile 8192\nkernel 0\nactive_file 100\n"
                                      f"inactive_file {inactive}\nslab 0\n")
        self.write(f"{d}/cpu.max", f"{cpu_max}\n")

    def v1(self, cgroup="/docker/abc"):
        self.write("proc/self/cgroup", f"12:memory:{cgroup}\n4:cpu,cpuacct:{cgroup}\n1:name=systemd:/\n")
        self.write("proc/self/mountinfo",
                   "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
                   "35 31 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup "
                   "rw,memory\n"
                   "36 31 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup "
                   "cgroup rw,cpu,cpuacct\n")

    def v1_level(self, cgroup, limit=V1_UNLIMITED, usage=0, inactive=0, quota=-1, period=100000):
        m = f"sys/fs/cgroup/memory{cgroup}"
        self.write(f"{m}/memory.limit_in_bytes", f"{limit}\n")
        self.write(f"{m}/memory.usage_in_bytes", f"{usage}\n")
        self.write(f"{m}/memory.stat", f"cache 0\nrss 0\ninactive_file 1\nhierarchical_memory_limit {limit}\n"
                                       f"total_cache 0\ntotal_inactive_file {inactive}\n")
        c = f"sys/fs/cgroup/cpu,cpuacct{cgroup}"
        self.write(f"{c}/cpu.cfs_quota_us", f"{quota}\n")
        self.write(f"{c}/cpu.cfs_period_us", f"{period}\n")


def meminfo(key):
    for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {key} in /proc/meminfo")


class Probe(TestCase):
    def probe(self, tree):
        proc = helper("buildmem", "probe", "--root", tree.dir, "--json")
        self.assertOk(proc, "probe")
        data = json.loads(proc.stdout)
        self.assertEqual(data["schema"], "buildbudget-buildmem-probe/1")
        return data

    def probe_error(self, tree):
        proc = helper("buildmem", "probe", "--root", tree.dir)
        self.assertFails(proc, 1, "probe")
        self.assertEqual(proc.stdout, "")
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
        return proc.stderr.strip()

    def test_cgroup_v2_limit_and_quota(self):
        t = Tree("v2", total=16 * GiB, available=10 * GiB, allowed="0-7", online="0-7")
        t.v2()
        t.v2_level("/user.slice")
        t.v2_level("/user.slice/build", max_=6 * GiB, current=2 * GiB, inactive=300 * MiB, cpu_max="250000 100000")
        d = self.probe(t)
        m, c = d["memory"], d["cpus"]
        self.assertEqual(m["cgroup"], "v2")
        self.assertEqual(m["limit"], 6 * GiB)
        self.assertEqual(m["cgroup_limit"], 6 * GiB)
        self.assertEqual(m["physical"], 16 * GiB)
        self.assertIn(t.path("sys/fs/cgroup/user.slice/build/memory.max"), m["limit_source"])
        self.assertEqual(m["available"], 6 * GiB - (2 * GiB - 300 * MiB))
        self.assertEqual(c["quota"], 2.5)
        self.assertEqual(c["count"], math.ceil(250000 / 100000))
        self.assertEqual(c["affinity"], 8)
        self.assertIn(t.path("sys/fs/cgroup/user.slice/build/cpu.max"), c["source"])
        # The text form says the same, one figure a line.
        text = helper("buildmem", "probe", "--root", t.dir)
        self.assertOk(text)
        self.assertRegex(text.stdout, rf"(?m)^Memory limit: +6 GiB \({6 * GiB} bytes\), from cgroup v2 memory\.max in ")
        self.assertRegex(text.stdout, r"(?m)^CPUs: +3, from cgroup v2 cpu\.max in ")
        self.assertRegex(text.stdout, r"(?m)^  cgroup quota: +2\.5 CPUs$")

    def test_cgroup_v1_limit_and_cfs_quota(self):
        t = Tree("v1", total=32 * GiB, available=30 * GiB, allowed="0-15", online="0-15")
        t.v1()
        t.v1_level("")
        t.v1_level("/docker")
        t.v1_level("/docker/abc", limit=3 * GiB, usage=1 * GiB, inactive=100 * MiB, quota=150000, period=100000)
        d = self.probe(t)
        self.assertEqual(d["memory"]["cgroup"], "v1")
        self.assertEqual(d["memory"]["limit"], 3 * GiB)
        self.assertIn(t.path("sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes"), d["memory"]["limit_source"])
        self.assertEqual(d["memory"]["available"], 3 * GiB - (1 * GiB - 100 * MiB))
        self.assertEqual(d["cpus"]["quota"], 1.5)
        self.assertEqual(d["cpus"]["count"], 2)
        self.assertIn("cpu.cfs_quota_us", d["cpus"]["source"])

    def test_hybrid_like_this_machine(self):
        # The layout of this machine's /proc/self/mountinfo: v1 controllers under /sys/fs/cgroup/<name>
        # and systemd's cgroup2 at /sys/fs/cgroup/unified, with no controllers enabled there.
        t = Tree("hybrid", total=24 * GiB, available=22 * GiB, allowed="0-1", online="0-1")
        t.write("proc/self/cgroup", "9:name=systemd:/\n4:memory:/process_api/job\n1:cpu:/\n0::/\n")
        t.write("proc/self/mountinfo",
                "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
                "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
                "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
                "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
                "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n")
        t.write("sys/fs/cgroup/unified/cgroup.controllers", "\n")
        for cgroup, limit in (("", V1_UNLIMITED), ("/process_api", 5 * GiB), ("/process_api/job", V1_UNLIMITED)):
            t.write(f"sys/fs/cgroup/memory{cgroup}/memory.limit_in_bytes", f"{limit}\n")
            t.write(f"sys/fs/cgroup/memory{cgroup}/memory.usage_in_bytes", f"{GiB}\n")
            t.write(f"sys/fs/cgroup/memory{cgroup}/memory.stat", "total_inactive_file 0\n")
        t.write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n")
        t.write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n")
        d = self.probe(t)
        self.assertEqual(d["memory"]["cgroup"], "v1")
        self.assertEqual(d["memory"]["limit"], 5 * GiB)  # the parent's limit binds
        self.assertIn(t.path("sys/fs/cgroup/memory/process_api/memory.limit_in_bytes"), d["memory"]["limit_source"])
        self.assertEqual(d["memory"]["available"], 4 * GiB)
        self.assertEqual(d["cpus"]["count"], 2)
        self.assertIsNone(d["cpus"]["quota"])

    def test_no_limit(self):
        t = Tree("v2-max", total=16 * GiB, available=9 * GiB)
        t.v2()
        t.v2_level("/user.slice")
        t.v2_level("/user.slice/build")
        d = self.probe(t)
        self.assertEqual(d["memory"]["cgroup"], "v2")
        self.assertIsNone(d["memory"]["cgroup_limit"])
        self.assertEqual(d["memory"]["limit"], 16 * GiB)
        self.assertIn(t.path("proc/meminfo"), d["memory"]["limit_source"])
        self.assertEqual(d["memory"]["available"], 9 * GiB)
        self.assertIn("MemAvailable", d["memory"]["available_source"])
        self.assertIsNone(d["cpus"]["quota"])
        self.assertEqual(d["cpus"]["count"], 8)

        t = Tree("v1-max", total=16 * GiB, available=9 * GiB)
        t.v1()
        for cgroup in ("", "/docker", "/docker/abc"):
            t.v1_level(cgroup, limit=V1_UNLIMITED)
        d = self.probe(t)
        self.assertEqual(d["memory"]["cgroup"], "v1")
        self.assertIsNone(d["memory"]["cgroup_limit"])
        self.assertEqual(d["memory"]["limit"], 16 * GiB)

    def test_limit_above_physical_memory(self):
        t = Tree("above", total=8 * GiB, available=7 * GiB)
        t.v2()
        t.v2_level("/user.slice")
        t.v2_level("/user.slice/build", max_=100 * GiB, current=GiB)
        d = self.probe(t)
        self.assertEqual(d["memory"]["cgroup_limit"], 100 * GiB)
        self.assertEqual(d["memory"]["limit"], 8 * GiB)
        self.assertIn("above physical memory", d["memory"]["limit_source"])
        self.assertEqual(d["memory"]["available"], 7 * GiB)

    def test_nested_parent_has_the_lower_limit(self):
        t = Tree("nested", total=64 * GiB, available=60 * GiB, allowed="0-31", online="0-31")
        t.v2("/ci/job/step")
        t.v2_level("/ci")
        t.v2_level("/ci/job", max_=4 * GiB, current=3 * GiB, inactive=GiB, cpu_max="400000 100000")
        t.v2_level("/ci/job/step", max_=16 * GiB, current=512 * MiB, cpu_max="max 100000")
        d = self.probe(t)
        self.assertEqual(d["memory"]["limit"], 4 * GiB)
        self.assertIn(t.path("sys/fs/cgroup/ci/job/memory.max"), d["memory"]["limit_source"])
        self.assertEqual(d["memory"]["available"], 4 * GiB - (3 * GiB - GiB))
        self.assertEqual(d["cpus"]["count"], 4)
        self.assertIn(t.path("sys/fs/cgroup/ci/job/cpu.max"), d["cpus"]["source"])

    def test_missing_or_garbled_files_are_named(self):
        t = Tree("errors")
        t.v2()
        t.v2_level("/user.slice")
        t.v2_level("/user.slice/build", max_="8G")
        max_file = t.path("sys/fs/cgroup/user.slice/build/memory.max")
        self.assertRegex(self.probe_error(t), rf'^buildbudget: error: {re.escape(max_file)}: expected a byte count '
                                              r'or "max", found "8G"$')
        os.remove(max_file)
        self.assertRegex(self.probe_error(t), rf"^buildbudget: error: {re.escape(max_file)}: missing")
        t.v2_level("/user.slice/build", cpu_max="fast")
        self.assertRegex(self.probe_error(t),
                         rf"^buildbudget: error: {re.escape(t.path('sys/fs/cgroup/user.slice/build/cpu.max'))}: "
                         r'expected "<quota> <period>"')
        t.v2_level("/user.slice/build")
        os.remove(t.path("sys/fs/cgroup/user.slice/build/memory.stat"))
        t.write("sys/fs/cgroup/user.slice/build/memory.max", f"{GiB}\n")
        self.assertRegex(self.probe_error(t), rf"^buildbudget: error: "
                                              rf"{re.escape(t.path('sys/fs/cgroup/user.slice/build/memory.stat'))}: missing")
        t.v2_level("/user.slice/build")
        t.write("proc/meminfo", "MemTotal: lots\n")
        self.assertRegex(self.probe_error(t), rf'^buildbudget: error: {re.escape(t.path("proc/meminfo"))}:1: expected '
                                              r'"MemTotal: <n> kB"')
        os.remove(t.path("proc/meminfo"))
        self.assertRegex(self.probe_error(t), rf"^buildbudget: error: {re.escape(t.path('proc/meminfo'))}: missing")
        t.write("proc/meminfo", "MemTotal: 1000 kB\nMemAvailable: 10 kB\n")
        t.write("sys/devices/system/cpu/online", "zero\n")
        self.assertRegex(self.probe_error(t),
                         rf"^buildbudget: error: {re.escape(t.path('sys/devices/system/cpu/online'))}: expected a CPU list")

    def test_real_machine(self):
        before = meminfo("MemAvailable")
        proc = helper("buildmem", "probe", "--json")
        after = meminfo("MemAvailable")
        self.assertOk(proc)
        d = json.loads(proc.stdout)
        m, c = d["memory"], d["cpus"]
        self.assertEqual(d["root"], "/")
        self.assertEqual(m["physical"], meminfo("MemTotal"))
        if m["cgroup_limit"] is None or m["cgroup_limit"] >= m["physical"]:
            self.assertEqual(m["limit"], meminfo("MemTotal"))
        else:
            self.assertEqual(m["limit"], m["cgroup_limit"])
            limit_file = m["limit_source"].split(" in ", 1)[1]
            self.assertEqual(int(pathlib.Path(limit_file).read_text()), m["cgroup_limit"])
        self.assertLessEqual(m["available"], m["limit"])
        if m["available_source"].startswith("MemAvailable"):
            self.assertLessEqual(abs(m["available"] - (before + after) // 2), 512 * MiB)
        affinity = len(os.sched_getaffinity(0))
        self.assertEqual(c["affinity"], affinity)
        self.assertEqual(c["online"], os.cpu_count())
        expected = affinity if c["quota"] is None else min(affinity, max(1, math.ceil(c["quota"])))
        self.assertEqual(c["count"], expected)
        # The cgroup layout the probe chose is the one /proc/self/cgroup lists for memory.
        lines = pathlib.Path("/proc/self/cgroup").read_text().splitlines()
        v1_memory = any(line.split(":")[1].split(",").count("memory") for line in lines)
        self.assertEqual(m["cgroup"], "v1" if v1_memory else ("v2" if any(l.startswith("0::") for l in lines) else None))


class Plan(TestCase):
    def plan(self, *args):
        proc = helper("buildmem", "plan", "--json", *args)
        self.assertOk(proc, "plan")
        data = json.loads(proc.stdout)
        self.assertEqual(data["schema"], "buildbudget-buildmem-plan/1")
        return data

    def assertPlan(self, data, expected):
        for key, value in expected.items():
            self.assertEqual(data[key], value, f"{key}: {data['reasons']}")

    def test_pool_arithmetic(self):
        for limit in (1 * GiB, 3 * GiB, 4 * GiB, 7 * GiB + 123 * MiB, 12 * GiB, 48 * GiB):
            for cpus in (1, 2, 6, 32):
                for debug in (None, "off", "line-tables", "split", "full"):
                    for lto in ("off", "thin", "full"):
                        with self.subTest(limit=limit, cpus=cpus, debug=debug, lto=lto):
                            args = ["--memory-limit", str(limit), "--cpus", str(cpus), "--lto", lto]
                            if debug:
                                args += ["--debug-info", debug]
                            data = self.plan(*args)
                            self.assertPlan(data, expected_plan(limit, cpus, debug, lto))
                            self.assertEqual(data["memory_limit"], limit)

    def test_classes_and_reasons(self):
        for limit, cls in ((8 * GiB - 1, "small"), (8 * GiB, "medium"), (16 * GiB, "medium"), (16 * GiB + 1, "large")):
            self.assertEqual(self.plan("--memory-limit", str(limit), "--cpus", "4")["memory_class"], cls)
        proc = helper("buildmem", "plan", "--memory-limit", "4GiB", "--cpus", "8", "--debug-info", "full")
        self.assertOk(proc)
        lines = proc.stdout.splitlines()
        self.assertEqual(lines[0], f"memory limit 4 GiB ({4 * GiB} bytes): --memory-limit 4GiB")
        self.assertIn("compile pool 2: (4 GiB limit - 512 MiB reserve) / 1.5 GiB per compile = 2", lines)
        self.assertIn("link pool 1: (4 GiB limit - 512 MiB reserve) / 4 GiB per link = 0, raised to 1 "
                      "(one job always runs)", lines)

    def test_clamps_to_cpus_and_to_one(self):
        data = self.plan("--memory-limit", "64GiB", "--cpus", "3")
        self.assertEqual((data["compile_jobs"], data["link_jobs"]), (3, 3))
        self.assertTrue(any(r.endswith("capped at 3 CPUs (--cpus 3)") for r in data["reasons"]), data["reasons"])
        data = self.plan("--memory-limit", "1GiB", "--cpus", "16", "--lto", "full", "--debug-info", "full")
        self.assertEqual((data["compile_jobs"], data["link_jobs"], data["linker_threads"]), (1, 1, 16))

    def test_explicit_values(self):
        data = self.plan("--memory-limit", "10GiB", "--cpus", "16", "--compile-memory", "700MiB",
                         "--link-memory", "3GiB", "--reserve", "1GiB")
        self.assertPlan(data, expected_plan(10 * GiB, 16, compile_memory=700 * MiB, link_memory=3 * GiB,
                                            reserve=1 * GiB))

    def test_auto_from_the_probe(self):
        t = Tree("plan-auto", total=32 * GiB, available=30 * GiB, allowed="0-11", online="0-11")
        t.v2()
        t.v2_level("/user.slice")
        t.v2_level("/user.slice/build", max_=6 * GiB, cpu_max="600000 100000")
        data = self.plan("--root", t.dir, "--debug-info", "split", "--lto", "thin")
        self.assertEqual(data["memory_limit"], 6 * GiB)
        self.assertEqual(data["cpus"], 6)
        self.assertIn("cpu.max", data["cpus_source"])
        self.assertIn("memory.max", data["memory_limit_source"])
        self.assertPlan(data, expected_plan(6 * GiB, 6, "split", "thin"))

    def test_log_estimates(self):
        work = fresh_dir("plan-log")
        records = [
            {"kind": "compile", "source": "a.cpp", "output": "a.o", "peak_rss": 300 * MiB, "signal": None},
            {"kind": "compile", "source": "heavy.cpp", "output": "heavy.o", "peak_rss": 1900 * MiB, "signal": None},
            {"kind": "link", "source": None, "output": "app", "peak_rss": 1100 * MiB, "signal": None},
            # Killed by the OOM killer: not a finished job.
            {"kind": "link", "source": None, "output": "big", "peak_rss": 3000 * MiB, "signal": 9},
            # heavy.cpp again, lighter after a fix: the latest record counts.
            {"kind": "compile", "source": "heavy.cpp", "output": "heavy.o", "peak_rss": 800 * MiB, "signal": None},
        ]
        log = work / "jobs.jsonl"
        log.write_text("".join(json.dumps({**r, "command": ["c++"], "start_ms": i, "end_ms": i + 1, "exit_code": 0,
                                           "waited_ms": 0}) + "\n" for i, r in enumerate(records)))
        data = self.plan("--memory-limit", "6GiB", "--cpus", "8", "--log", log)
        # Learned (doc/lowmem.md, "Learning from the last build"): heavy.cpp is the only job recorded twice,
        # fewer than 3, so the margin is 15 %; the reserve is max(64 MiB, 5 %); without admission a
        # pool is the largest k whose k heaviest jobs (beyond those recorded: the heaviest) fit together.
        def with_margin(n):
            return n + -(-n * 15 // 100)
        reserve = max(64 * MiB, 6 * GiB * 5 // 100)

        def fit(peaks):
            k, total = 0, 0
            while k < 8 and total + (peaks[k] if k < len(peaks) else peaks[0]) <= 6 * GiB - reserve:
                total += peaks[k] if k < len(peaks) else peaks[0]
                k += 1
            return max(1, k)
        compiles, links = [with_margin(800 * MiB), with_margin(300 * MiB)], [with_margin(1100 * MiB)]
        self.assertPlan(data, {"reserve": reserve, "compile_memory": compiles[0], "link_memory": links[0],
                               "compile_jobs": fit(compiles), "link_jobs": fit(links),
                               "linker_threads": max(1, 8 // fit(links))})
        self.assertEqual((data["learned_from"], data["margin_percent"]), (str(log), 15))
        self.assertTrue(any(f"heavy.cpp ({log}:5)" in r for r in data["reasons"]), data["reasons"])
        self.assertTrue(any(f"recorded link, app ({log}:3)" in r for r in data["reasons"]), data["reasons"])
        # An explicit value still wins over the log.
        self.assertEqual(self.plan("--memory-limit", "6GiB", "--cpus", "8", "--log", log,
                                   "--compile-memory", "2GiB")["compile_memory"], 2 * GiB)
        with log.open("a") as f:
            f.write('{"kind": "compile", "peak_rss": \n')
        proc = helper("buildmem", "plan", "--memory-limit", "6GiB", "--log", log)
        self.assertFails(proc, 1)
        self.assertRegex(proc.stderr, rf"^buildbudget: error: {re.escape(str(log))}:6:\d+: not valid JSON")

    def test_bad_input(self):
        proc = helper("buildmem", "plan", "--memory-limit", "4 lots")
        self.assertFails(proc, 1)
        self.assertRegex(proc.stderr, r'^buildbudget: error: --memory-limit: invalid size "4 lots"')
        proc = helper("buildmem", "plan", "--memory-limit", "4GiB", "--reserve", "4GiB")
        self.assertFails(proc, 1)
        self.assertRegex(proc.stderr, r"^buildbudget: error: --reserve: 4 GiB \(4294967296 bytes\) is not below the "
                                      r"memory limit")
        proc = helper("buildmem", "plan", "--memory-limit", "4GiB", "--cpus", "0")
        self.assertFails(proc, 1)
        self.assertIn("--cpus", proc.stderr)
        proc = helper("buildmem", "plan", "--debug-info", "some")
        self.assertFails(proc, 2)
        proc = helper("buildmem", "plan", "--root", WORK_DIR / "no-such-root")
        self.assertFails(proc, 1)
        self.assertRegex(proc.stderr, r"^buildbudget: error: \S+no-such-root/proc/meminfo: missing")


if __name__ == "__main__":
    unittest.main()
