"""lowmem_profile(DISTRIBUTED distcc) with two real distccd on loopback, the build inside a memory
cgroup and the daemons outside it, as a farm is outside the runner (doc/lowmem-distributed.md).

test-projects/lowmem-distributed (four units that each include <regex>, about 270 MiB under g++, a
static library and a program) is configured once inside a 1 GiB cgroup with DISTCC_HOSTS naming
both daemons with /2 limits, and built three times (setUpClass, the expensive part shared):
  1. with both daemons: the pools are the farm's (compile 4 = 2 + 2 remote slots, link 1 from local
     memory), the daemons' logs say they compiled every unit, the job log says remote and which host,
     links ran locally one at a time;
  2. again from clean, killing both daemons (their pre-forked children and compilers, by pid) once
     each compiles a unit: the farm is gone mid-build with four units in flight, whose local
     compiles (4 x 270 MiB) do not fit at once; the build finishes under the limit with no OOM
     kill, admission holding a fallback back until memory is free, and lowmem_report and
     `buildbudget report`'s summary count the fallbacks and name the hosts;
  3. one unit again against the dead daemon with fallback off, once by DISTCC_FALLBACK=0 in the
     environment and once by -DBUILDBUDGET_LOWMEM_DISTRIBUTED_FALLBACK=OFF: the build fails with
     the message naming the host and how to allow fallback.
Between 1 and 2, a small unit goes through the launcher with ccache in front (the client becomes
ccache's CCACHE_PREFIX) and with distcc in the command already (not added twice).
LowmemDistributedLocalhostAndPump builds the same project with `localhost/1` in the list and in pump mode
under distcc-pump (its docstring). The test makes itself a child subreaper, so the daemons' children are reparented to it and reaped,
and checks by process id that nothing it started is left. Needs root (cgroup, distccd's user)."""
import json
import os
import re
import signal
import socket
import subprocess
import time
import unittest

from support import (CMAKE, PREFIX, PROJECTS, DaemonProcess, TestCase, become_subreaper, child_pids, clean_env,
                     free_port, fresh_dir, helper)
from test_lowmem_thirdparty import MemoryCgroup

MiB = 1 << 20
# Two units at once fit (2 x 270 MiB + the build's own), four local compiles (what distcc's own
# fallback would run with this compile pool) do not.
LIMIT = 1024 * MiB
UNITS = {f"unit{n}.cpp" for n in range(1, 5)}
# Ninja's own -j is set above the pools, so that the pools are what limits the jobs.
NINJA = ["ninja", "-j", "8"]


class Daemon(DaemonProcess):
    """One distccd on a free loopback port, outside the build's cgroup."""

    def __init__(self, work, n):
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.log = work / f"distccd-{n}.log"
        self.log.touch()
        os.chmod(self.log, 0o666)
        super().__init__(["distccd", "--daemon", "--no-detach", "--allow", "127.0.0.1", "--listen", "127.0.0.1",
                          "--port", str(self.port), "--jobs", "2", "--log-file", str(self.log)])

    def wait_listening(self):
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"distccd on port {self.port} exited: {self.proc.stderr.read()}")
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                break
            except OSError:
                time.sleep(0.05)
        self.pids.update(child_pids(self.proc.pid))

    def compiled(self):
        return self.log.read_text().count("COMPILE_OK")


def assert_links_local_one_at_a_time(test, links, client):
    """The project's two links ran locally, never through the farm's client, one at a time (the link pool
    of 1)."""
    test.assertEqual(len(links), 2)
    for record in links:
        test.assertNotIn("distributed", record)
        test.assertFalse(any(client in word for word in record["command"]), record["command"])
    spans = sorted((r["start_ms"], r["end_ms"]) for r in links)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        test.assertLessEqual(end, start, "two links ran at once")


def assert_finished_with_fallbacks(test, returncode, output, oom_kills, records, units):
    """The build whose farm failed under it finished, without an OOM kill, and compiled every one of `units`
    (file names); returns its compile records, and those of them that fell back (at least one)."""
    test.assertEqual(returncode, 0, output)
    test.assertEqual(oom_kills, 0, output)
    compiles = [r for r in records if r["kind"] == "compile"]
    test.assertEqual({os.path.basename(r["source"]) for r in compiles}, units)
    fallbacks = [r for r in compiles if r["distributed"]["ran"] == "fallback"]
    test.assertGreaterEqual(len(fallbacks), 1, output)
    return compiles, fallbacks


class FarmBuild:
    """What both classes read of their daemons (cls.daemons) and job log (cls.log)."""

    @classmethod
    def start_daemons(cls):
        """Starts the two loopback distccd (cls.daemons) and sets the build's paths; returns the build's
        environment, without the caller's CMake, compiler, distcc and ccache settings."""
        cls.daemons = [Daemon(cls.work, n) for n in range(2)]
        for daemon in cls.daemons:
            daemon.wait_listening()
        env = {k: v for k, v in clean_env().items()
               if not k.startswith(("CMAKE_", "BUILDBUDGET_", "DISTCC_", "CCACHE_", "CXXFLAGS", "LDFLAGS",
                                    "MAKEFLAGS", "NINJA_", "INCLUDE_SERVER_"))}
        (cls.work / "distcc-dir").mkdir()
        env["DISTCC_DIR"] = str(cls.work / "distcc-dir")
        cls.build_dir = cls.work / "build"
        cls.log = cls.build_dir / "buildbudget-lowmem/jobs.jsonl"
        cls.results = {}
        return env

    @classmethod
    def compiled_by_daemons(cls, before, expected):
        """Each daemon's COMPILE_OK count, once they add up to `before` + `expected`: distccd's child logs
        COMPILE_OK after it has sent the object back, so the client (and the build) can end first. Waits at
        most 120 s (generous, for a loaded machine), then returns the counts as they are."""
        deadline = time.monotonic() + 120
        while sum(counts := [d.compiled() for d in cls.daemons]) < before + expected and time.monotonic() < deadline:
            time.sleep(0.05)
        return counts

    @classmethod
    def records(cls):
        if not cls.log.exists():
            return []
        return [json.loads(line) for line in cls.log.read_text().splitlines() if line.strip()]


class LowmemDistributed(FarmBuild, TestCase):
    @classmethod
    def setUpClass(cls):
        assert become_subreaper() == 0, "prctl(PR_SET_CHILD_SUBREAPER)"
        cls.work = fresh_dir("farm")
        os.chmod(cls.work, 0o777)  # distccd started by root runs as the distccd user
        cls.daemons = []
        cls.left = []
        try:
            cls.run_builds()
        finally:
            for daemon in cls.daemons:
                cls.left += daemon.stop()

    @classmethod
    def run_builds(cls):
        env = cls.start_daemons()
        first, second = cls.daemons
        env["DISTCC_HOSTS"] = f"{first.host}/2 {second.host}/2"
        cls.env = env
        with MemoryCgroup(f"buildbudget-farm-{os.getpid()}", LIMIT) as cgroup:
            cls.cgroup = cgroup
            configure = [CMAKE, "-S", PROJECTS / "lowmem-distributed", "-B", cls.build_dir, "-G", "Ninja",
                         f"-DCMAKE_PREFIX_PATH={PREFIX}"]
            cls.results["configure"] = cgroup.run(configure, env)
            if cls.results["configure"].returncode != 0:
                return
            # 1. Both daemons up.
            before = cgroup.oom_kills()
            built = cgroup.run([*NINJA, "-C", cls.build_dir], env)
            cls.results["first"] = (built, cgroup.oom_kills() - before, cls.records())
            cls.first_compiled = cls.compiled_by_daemons(0, len(UNITS))

            # The chain: ccache in front gets the client as CCACHE_PREFIX; a command that runs distcc
            # itself is not given it twice. A small unit, outside Ninja, with the same plan.
            small = cls.work / "small.c"
            small.write_text("int twice(int x) { return 2 * x; }\n")
            plan = cls.build_dir / "buildbudget-lowmem/plan.json"
            ccache_env = dict(env, CCACHE_DIR=str(cls.work / "ccache"))
            cls.chained = {}
            for name, chain in (("ccache", ["ccache"]), ("own-distcc", ["distcc"])):
                before_compiled = sum(d.compiled() for d in cls.daemons)
                launched = cgroup.run([os.environ["BUILDBUDGET_HELPER"], "buildmem", "launch", "--plan", plan, "--kind",
                                       "compile", "--", *chain, "cc", "-c", small, "-o", cls.work / f"{name}.o"],
                                      ccache_env)
                compiled = sum(cls.compiled_by_daemons(before_compiled, 1)) - before_compiled
                cls.chained[name] = (launched, cls.records()[-1], compiled)
            # rustc (cargo's jobs through the rustc wrapper) is not sent to distcc, which compiles C and C++ only.
            crate = cls.work / "farm_crate.rs"
            crate.write_text("fn main() {}\n")
            before_compiled = sum(d.compiled() for d in cls.daemons)
            launched = cgroup.run([os.environ["BUILDBUDGET_HELPER"], "buildmem", "launch", "--plan", plan, "--kind",
                                   "compile", "--", "rustc", "--crate-name", "farm_crate", crate, "--crate-type", "bin",
                                   "--out-dir", cls.work / "rust-out"], env)
            cls.rustc = (launched, cls.records()[-1], sum(d.compiled() for d in cls.daemons) - before_compiled)

            # 2. From clean: the farm disappears mid-build. Both daemons are killed once they compile all
            #    four units (two each, their --jobs): the four fail to distribute at once, and their local
            #    compiles (about 300 MiB each) would not all fit in the limit together.
            subprocess.run(["ninja", "-C", str(cls.build_dir), "-t", "clean"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            start_records = len(cls.records())
            before = cgroup.oom_kills()
            ninja = subprocess.Popen(["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(cgroup.path),
                                      *NINJA, "-C", str(cls.build_dir)],
                                     env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            killed = []
            while ninja.poll() is None and first.compiling() + second.compiling() < len(UNITS):
                time.sleep(0.02)
            if ninja.poll() is None:
                for daemon in (first, second):
                    cls.left += daemon.stop(signal.SIGKILL)
                    killed.append(daemon.host)
            output = ninja.communicate()[0]
            cls.results["second"] = (ninja.returncode, output, cgroup.oom_kills() - before,
                                     cls.records()[start_records:], killed)
            cls.results["report"] = subprocess.run([CMAKE, "--build", str(cls.build_dir), "--target", "lowmem_report"],
                                                   env=env, text=True, stdout=subprocess.PIPE,
                                                   stderr=subprocess.STDOUT)

            cls.results["summary"] = helper("report", "--build-dir", cls.build_dir, "--out-dir", cls.work / "report",
                                            env=env)

            # 3. Fallback off, against the dead daemon alone.
            dead = dict(env, DISTCC_HOSTS=f"{first.host}/2")
            unit = cls.build_dir / "CMakeFiles/matching.dir/src/unit1.cpp.o"
            unit.unlink()
            cls.results["env-off"] = cgroup.run(["ninja", "-C", cls.build_dir, unit.relative_to(cls.build_dir)],
                                                dict(dead, DISTCC_FALLBACK="0"))
            cls.results["reconfigure-off"] = cgroup.run(configure + ["-DBUILDBUDGET_LOWMEM_DISTRIBUTED_FALLBACK=OFF"],
                                                        env)
            cls.results["option-off"] = cgroup.run(["ninja", "-C", cls.build_dir, unit.relative_to(cls.build_dir)],
                                                   dead)

    def setUp(self):
        self.assertOk(self.results["configure"], "configure")

    def pool_depths(self):
        text = "".join(p.read_text() for p in self.build_dir.rglob("*.ninja"))
        return {name: int(depth) for name, depth in re.findall(r"(?m)^pool (\w+)\n\s+depth = (\d+)", text)}

    def test_the_pools_are_the_farms_compile_pool_and_the_local_link_pool(self):
        self.assertEqual(self.pool_depths(), {"buildbudget_compile": 4, "buildbudget_link": 1})
        out = self.results["configure"].stdout
        self.assertIn("remote slots 4: the sum of the remote hosts' limits in $DISTCC_HOSTS", out)
        self.assertIn("distributed compile pool 4: 4 remote + 0 local", out)
        self.assertIn("compiles through distcc", out)
        plan = json.loads((self.build_dir / "buildbudget-lowmem/plan.json").read_text())
        self.assertEqual(plan["compile_jobs"], 4)
        self.assertEqual(plan["link_jobs"], 1)
        self.assertEqual(plan["distributed"]["engine"], "distcc")
        self.assertEqual(plan["distributed"]["remote_slots"], 4)
        self.assertEqual(plan["distributed"]["remote_compile_memory"], 128 * MiB)
        self.assertTrue(os.path.isabs(plan["distributed"]["client"]))

    def test_units_are_compiled_by_the_daemons_and_links_stay_local(self):
        built, oom_kills, records = self.results["first"]
        self.assertEqual(built.returncode, 0, built.stdout)
        self.assertEqual(oom_kills, 0)
        compiles = [r for r in records if r["kind"] == "compile"]
        links = [r for r in records if r["kind"] == "link"]
        self.assertEqual({os.path.basename(r["source"]) for r in compiles}, UNITS)
        self.assertEqual(sum(self.first_compiled), len(UNITS), "COMPILE_OK lines in the daemons' logs")
        hosts = [d.host for d in self.daemons]
        for record in compiles:
            self.assertEqual(record["distributed"]["ran"], "remote", record)
            self.assertIn(record["distributed"]["host"], hosts)
        # The job log names the host that compiled each unit: as many as each daemon's log says.
        for daemon, compiled in zip(self.daemons, self.first_compiled):
            self.assertEqual(sum(r["distributed"]["host"] == daemon.host for r in compiles), compiled, daemon.host)
        assert_links_local_one_at_a_time(self, links, "distcc")
        # Compiles ran four at a time: the farm's pool, more than the local compile pool (2) would allow.
        self.assertEqual(max(sum(r["start_ms"] <= c["start_ms"] < r["end_ms"] for r in compiles) for c in compiles), 4)

    def test_the_client_is_chained_after_ccache_and_never_twice(self):
        hosts = [d.host for d in self.daemons]
        for name, (launched, record, compiled) in self.chained.items():
            with self.subTest(name):
                self.assertOk(launched, name)
                self.assertEqual(compiled, 1, f"{name}: units the daemons compiled")
                self.assertEqual(record["distributed"]["ran"], "remote")
                self.assertIn(record["distributed"]["host"], hosts)
                self.assertEqual(record["command"].count("distcc"), 1 if name == "own-distcc" else 0)

    def test_rustc_is_not_sent_to_distcc(self):
        launched, record, compiled = self.rustc
        self.assertOk(launched, "rustc through the launcher with a distcc plan")
        self.assertEqual(record["source"], str(self.work / "farm_crate.rs"))
        self.assertNotIn("distributed", record)
        self.assertNotIn("distcc", " ".join(record["command"]))
        self.assertEqual(compiled, 0)

    def test_daemons_killed_mid_build_fall_back_locally_through_admission(self):
        returncode, output, oom_kills, records, killed = self.results["second"]
        hosts = [d.host for d in self.daemons]
        self.assertEqual(killed, hosts, "both daemons killed while compiling")
        fallback_spans = [(r["start_ms"] + r["samples"][0][0], r["end_ms"]) for r in records
                          if r.get("distributed", {}).get("ran") == "fallback" and r["samples"]]
        self.assertLessEqual(max(sum(s <= t < e for s, e in fallback_spans) for t, _ in fallback_spans), 3,
                             "local compiles at once: 3 x 300 MiB fit in the limit, 4 do not")
        compiles, fallbacks = assert_finished_with_fallbacks(self, returncode, output, oom_kills, records, UNITS)
        # Four local compiles at once (4 x 270 MiB) do not fit in the limit: admission held one back.
        self.assertGreaterEqual(len(fallbacks), 4, output)
        self.assertTrue(any(r["waited_ms"] > 0 for r in fallbacks), "no fallback was held by admission")
        for record in fallbacks:
            self.assertIn(record["distributed"]["failed_host"], hosts)
            self.assertEqual(record["exit_code"], 0)
            self.assertGreater(record["peak_rss"], 100 * MiB, "a fallback's peak is the local compile's")
        for record in compiles:
            if record["distributed"]["ran"] == "remote":
                self.assertIn(record["distributed"]["host"], hosts)
        self.assertRegex(output, r"distcc could not send it to host 127\.0\.0\.1:\d+ \(distcc exit \d+\); "
                                 r"compiling it locally when 300 MiB is free \(admission\)")
        # The first daemon, killed first, is named by the compiles it failed (sent elsewhere or fallen back).
        failed = {}
        for record in compiles:
            if record["distributed"]["failed_host"]:
                failed[record["distributed"]["failed_host"]] = failed.get(record["distributed"]["failed_host"], 0) + 1
        self.assertIn(hosts[0], failed)
        report = self.results["report"]
        self.assertOk(report, "lowmem_report")
        self.assertRegex(report.stdout, r"Compile farm \(distcc, every record of the log\): \d+ remote .*, "
                                        rf"{len(fallbacks)} fell back to a local compile, 0 failed to distribute; ")
        self.assertIn("; hosts that failed (the compiles each failed, which went to another host or fell back): " +
                      ", ".join(f"{host} {n}" for host, n in sorted(failed.items())) + "\n", report.stdout)

    def test_the_budget_reports_summary_counts_the_fallbacks(self):
        summary = self.results["summary"]
        self.assertOk(summary, "buildbudget report")
        records = self.results["second"][3]
        fallbacks = [r for r in records if r.get("distributed", {}).get("ran") == "fallback"]
        failed_hosts = {r["distributed"]["failed_host"] for r in fallbacks}
        farm = json.loads((self.work / "report/report.json").read_text())["build_memory"]["distributed"]
        self.assertEqual(farm["fallback"], len(fallbacks))
        self.assertEqual(set(farm["failed_hosts"]), failed_hosts)
        # report.md and report.html say it in lowmem_report's words, for the last build.
        markdown = (self.work / "report/report.md").read_text()
        line = re.search(rf"\n\n(Compile farm \(the last build\): \d+ remote, 0 local, {len(fallbacks)} fell back to a "
                         r"local compile, 0 failed to distribute; hosts that failed \(the compiles each failed, which "
                         r"went to another host or fell back\): 127\.0\.0\.1:\d+ \d+(, 127\.0\.0\.1:\d+ \d+)?)\.\n\n",
                         markdown)
        self.assertIsNotNone(line, markdown)
        self.assertIn(f'<p class="fact" id="build-memory-farm">{line.group(1)}.</p>',
                      (self.work / "report/report.html").read_text())

    def test_with_fallback_off_the_error_names_the_host(self):
        dead = self.daemons[0].host
        env_off = self.results["env-off"]
        self.assertNotEqual(env_off.returncode, 0, env_off.stdout)
        self.assertIn(f"distcc could not send it to host {dead} (distcc exit ", env_off.stdout)
        self.assertIn("fallback to a local compile is off (DISTCC_FALLBACK=0 in the build's environment); "
                      "allow it with DISTCC_FALLBACK unset", env_off.stdout)
        self.assertOk(self.results["reconfigure-off"], "configure with DISTRIBUTED_FALLBACK OFF")
        option_off = self.results["option-off"]
        self.assertNotEqual(option_off.returncode, 0, option_off.stdout)
        self.assertIn(f"distcc could not send it to host {dead} (distcc exit ", option_off.stdout)
        self.assertIn("(lowmem_profile() DISTRIBUTED_FALLBACK OFF); allow it with DISTRIBUTED_FALLBACK ON or "
                      "-DBUILDBUDGET_LOWMEM_DISTRIBUTED_FALLBACK=ON", option_off.stdout)
        failed = [r for r in self.records() if r.get("distributed", {}).get("ran") == "failed"]
        self.assertEqual([r["distributed"]["failed_host"] for r in failed], [dead, dead])

    def test_configure_errors(self):
        def configure_case(src, build_dir, *defs):
            return subprocess.run([CMAKE, "-S", src, "-B", build_dir, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={PREFIX}",
                                   *(f"-D{d}" for d in defs)], env=self.env, text=True, capture_output=True)
        self.assertCMakeCases("lowmem-distributed", configure_case, 6)

    def test_no_process_is_left(self):
        self.assertEqual(self.left, [], "distccd processes left")
        for daemon in self.daemons:
            self.assertIsNotNone(daemon.proc.returncode)


def reap_orphans(keep):
    """Reaps this subreaper's exited children that no Popen here waits for (`keep`: their pids), such as
    distcc-pump's include server once distcc-pump has killed it: distcc-pump waits with `kill -0` until the
    include server is gone, which a zombie never is. Returns the pids reaped."""
    reaped = []
    for pid in child_pids(os.getpid()):
        if pid in keep:
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state == "Z":
            try:
                os.waitpid(pid, 0)
                reaped.append(pid)
            except ChildProcessError:
                pass
    return reaped


class LowmemDistributedLocalhostAndPump(FarmBuild, TestCase):
    """The same project and limit with two more host lists, each read by the plan at configure time
    (doc/lowmem-distributed.md, "distcc's localhost slots" and "distcc's pump mode"):
      1. `localhost/1` before the two daemons: the pool is distcc's own `distcc -j` (1 + 2 + 2 = 5), the
         unit distcc compiled on localhost is recorded `ran: local` at a local compile's peak, the others
         `remote` on the daemons whose logs count them;
      2. both daemons with `,cpp,lzo` (pump mode), the build run under Debian's distcc-pump: the plan counts
         16 MiB (the client) per remote compile. Debian 12's include server fails on every unit (its C
         extension under Python 3.11: "PY_SSIZE_T_CLEAN macro must be defined for '#' formats"), so distcc
         preprocesses locally; the daemons still compile every unit, and the launcher says once that the
         build's remote compiles cost the preprocessor and admits them at that cost;
      3. one compile with the pump plan outside distcc-pump: the launcher says at once that
         INCLUDE_SERVER_PORT is not set."""

    @classmethod
    def setUpClass(cls):
        assert become_subreaper() == 0, "prctl(PR_SET_CHILD_SUBREAPER)"
        cls.work = fresh_dir("farm-localhost-pump")
        os.chmod(cls.work, 0o777)
        cls.daemons = []
        cls.left = []
        cls.include_servers = set()
        try:
            cls.run_builds()
        finally:
            for daemon in cls.daemons:
                cls.left += daemon.stop()
            cls.left += [pid for pid in cls.include_servers if os.path.exists(f"/proc/{pid}")]

    @classmethod
    def run_builds(cls):
        env = cls.start_daemons()
        first, second = cls.daemons
        configure = [CMAKE, "-S", PROJECTS / "lowmem-distributed", "-B", cls.build_dir, "-G", "Ninja",
                     f"-DCMAKE_PREFIX_PATH={PREFIX}"]
        with MemoryCgroup(f"buildbudget-farm-pump-{os.getpid()}", LIMIT) as cgroup:
            # 1. localhost/1 first in the list.
            cls.local_env = dict(env, DISTCC_HOSTS=f"localhost/1 {first.host}/2 {second.host}/2")
            cls.distcc_j = subprocess.run(["distcc", "-j"], env=cls.local_env, text=True, capture_output=True)
            cls.results["localhost-configure"] = cgroup.run(configure, cls.local_env)
            if cls.results["localhost-configure"].returncode != 0:
                return
            cls.localhost_pools = cls.pool_depths()
            before = cgroup.oom_kills()
            built = cgroup.run([*NINJA, "-C", cls.build_dir], cls.local_env)
            records = cls.records()
            remote = sum(r.get("distributed", {}).get("ran") == "remote" for r in records)
            cls.results["localhost"] = (built, cgroup.oom_kills() - before, records, cls.compiled_by_daemons(0, remote))

            # 2. Pump mode, under distcc-pump.
            cls.pump_env = dict(env, DISTCC_HOSTS=f"{first.host}/2,cpp,lzo {second.host}/2,cpp,lzo")
            cls.results["pump-configure"] = cgroup.run(configure, cls.pump_env)
            if cls.results["pump-configure"].returncode != 0:
                return
            cls.pump_pools = cls.pool_depths()
            subprocess.run(["ninja", "-C", str(cls.build_dir), "-t", "clean"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            start_records = len(cls.records())
            compiled_before = sum(d.compiled() for d in cls.daemons)
            before = cgroup.oom_kills()
            output = cls.work / "pump-output.txt"
            with open(output, "w") as out:
                pump = subprocess.Popen(["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(cgroup.path),
                                         "distcc-pump", *NINJA, "-C", str(cls.build_dir)],
                                        env=cls.pump_env, text=True, stdout=out, stderr=subprocess.STDOUT)
                keep = {pump.pid} | {d.proc.pid for d in cls.daemons}
                while pump.poll() is None:
                    for pid in child_pids(os.getpid()):
                        try:
                            with open(f"/proc/{pid}/cmdline", "rb") as f:
                                if b"include_server" in f.read():
                                    cls.include_servers.add(pid)
                        except OSError:
                            pass
                    reap_orphans(keep)
                    time.sleep(0.02)
            reap_orphans(keep)
            records = cls.records()[start_records:]
            remote = sum(r.get("distributed", {}).get("ran") == "remote" for r in records)
            compiled = sum(cls.compiled_by_daemons(compiled_before, remote)) - compiled_before
            cls.results["pump"] = (pump.returncode, output.read_text(), cgroup.oom_kills() - before, records, compiled)
            # lowmem_report (every record so far) and `buildbudget report` (the last build) count where distcc
            # preprocessed the remote compiles.
            cls.results["pump-reports"] = (
                cls.records(),
                subprocess.run([CMAKE, "--build", str(cls.build_dir), "--target", "lowmem_report"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT),
                helper("report", "--build-dir", cls.build_dir, "--out-dir", cls.work / "pump-report", env=env))

            # 3. The pump plan outside distcc-pump: one small unit through the launcher.
            small = cls.work / "small.c"
            small.write_text("int twice(int x) { return 2 * x; }\n")
            cls.results["no-pump"] = cgroup.run(
                [os.environ["BUILDBUDGET_HELPER"], "buildmem", "launch", "--plan",
                 cls.build_dir / "buildbudget-lowmem/plan.json", "--kind", "compile", "--", "cc", "-c", small, "-o",
                 cls.work / "small.o"], cls.pump_env)
            cls.results["no-pump-record"] = cls.records()[-1]

    @classmethod
    def pool_depths(cls):
        text = "".join(p.read_text() for p in cls.build_dir.rglob("*.ninja"))
        return {name: int(depth) for name, depth in re.findall(r"(?m)^pool (\w+)\n\s+depth = (\d+)", text)}

    def setUp(self):
        self.assertOk(self.results["localhost-configure"], "configure with localhost/1")

    def test_localhost_slots_are_distccs_own_and_its_local_compiles_are_recorded_local(self):
        self.assertOk(self.distcc_j, "distcc -j")
        self.assertEqual(self.localhost_pools, {"buildbudget_compile": int(self.distcc_j.stdout), "buildbudget_link": 1})
        out = self.results["localhost-configure"].stdout
        self.assertIn("$DISTCC_HOSTS: 2 remote hosts (2 + 2 slots), 1 localhost slot", out)
        self.assertIn("local compile slots 1: (1 GiB limit - 128 MiB reserve - 512 MiB for 4 remote compiles) / "
                      "300 MiB per compile = 1", out)
        self.assertIn("distributed compile pool 5: 4 remote + 1 local", out)
        self.assertNotIn("here at once", out)  # localhost/1 is within the local compile slots
        built, oom_kills, records, compiled = self.results["localhost"]
        self.assertOk(built, "build with localhost/1")
        self.assertEqual(oom_kills, 0)
        compiles = [r for r in records if r["kind"] == "compile"]
        self.assertEqual({os.path.basename(r["source"]) for r in compiles}, UNITS)
        local = [r for r in compiles if r["distributed"]["ran"] == "local"]
        remote = [r for r in compiles if r["distributed"]["ran"] == "remote"]
        self.assertEqual(len(local) + len(remote), len(UNITS), compiles)
        # localhost comes first in the list: distcc compiles here whenever its one slot is free.
        self.assertGreaterEqual(len(local), 1)
        for record in local:
            self.assertIsNone(record["distributed"]["host"])
            # The real local cost: the whole compile (about 270 MiB), not the 128 MiB counted for preprocessing.
            self.assertGreater(record["peak_rss"], 150 * MiB, record)
        # Every other unit was compiled by a daemon, as many on each as its log counts.
        self.assertEqual(sum(compiled), len(remote), "COMPILE_OK lines in the daemons' logs")
        for daemon, count in zip(self.daemons, compiled):
            self.assertEqual(sum(r["distributed"]["host"] == daemon.host for r in remote), count, daemon.host)
        for record in remote:
            self.assertLess(record["peak_rss"], 150 * MiB, record)
        # Two local compiles never overlapped: distcc holds its localhost slot (one) for each.
        spans = sorted((r["start_ms"], r["end_ms"]) for r in local)
        for (_, end), (start, _) in zip(spans, spans[1:]):
            self.assertLessEqual(end, start)

    def test_pump_mode_is_planned_at_the_clients_cost_and_a_local_preprocessing_is_told(self):
        self.assertOk(self.results["pump-configure"], "configure with ,cpp hosts")
        out = self.results["pump-configure"].stdout
        self.assertIn("4 pump-mode (,cpp) slots", out)
        self.assertIn("local cost of a remote compile 16 MiB: pump mode (,cpp) preprocesses on the remote host, only "
                      "the client runs locally", out)
        self.assertEqual(self.pump_pools, {"buildbudget_compile": 4, "buildbudget_link": 1})
        plan = json.loads((self.build_dir / "buildbudget-lowmem/plan.json").read_text())
        self.assertTrue(plan["distributed"]["pump"])
        self.assertEqual(plan["distributed"]["remote_compile_memory"], 16 * MiB)

        returncode, output, oom_kills, records, compiled = self.results["pump"]
        self.assertEqual(returncode, 0, output)
        self.assertEqual(oom_kills, 0, output)
        self.assertIn("__________Using 2 distcc servers in pump mode", output)
        compiles = [r for r in records if r["kind"] == "compile"]
        self.assertEqual({os.path.basename(r["source"]) for r in compiles}, UNITS)
        hosts = [d.host for d in self.daemons]
        for record in compiles:
            self.assertEqual(record["distributed"]["ran"], "remote", record)
            self.assertIn(record["distributed"]["host"], hosts)
        self.assertEqual(compiled, len(UNITS), "COMPILE_OK lines in the daemons' logs")
        # Debian 12's include server fails on every unit, and distcc preprocesses them locally.
        self.assertIn("PY_SSIZE_T_CLEAN macro must be defined", output)
        warnings = re.findall(r"buildbudget: warning: .*distcc preprocessed it locally.*", output)
        self.assertEqual(len(warnings), 1, output)  # once per build
        # distcc's reason: "include server gave up analyzing", or "failed to talk to include server '<socket>'"
        # for a unit sent while the include server was busy failing on another.
        self.assertRegex(warnings[0], r"\(distcc: \"(include server gave up analyzing|failed to talk to include "
                                      r"server '[^']+')\"\); the plan counts pump "
                                      r"mode for its ,cpp hosts \(16 MiB per remote compile, the client only\), so this "
                                      r"build's remote compiles are admitted at 128 MiB, the preprocessor's cost, from "
                                      r"now on; run the build under distcc-pump with a working include server")
        # Each job's local peak is the preprocessor's, as in plain mode, not the client's alone: 12 MiB lies
        # between the two. Measured here on these units (<regex>): distcc's client alone (GNU time, `distcc g++
        # -c unit.ii`, nothing to preprocess) 3.7 MiB, `g++ -E` 21.6 MiB, and the launcher's records 27 MiB for
        # each remote compile of both the plain-mode (localhost) build and this one. With an include server
        # that works (an experiment, not run here: Debian 12's with its three failing C functions replaced in
        # Python), the launcher recorded 5.2 MiB for one such unit under distcc-pump, under the bound.
        for record in compiles:
            self.assertGreater(record["peak_rss"], 12 * MiB, record)

    def test_each_remote_compile_says_where_distcc_preprocessed_it_and_the_reports_count_them(self):
        # Plain mode (the localhost/1 build) preprocesses every remote compile here; distcc's own localhost
        # compiles are local through and through, and say nothing of it.
        _, _, records, _ = self.results["localhost"]
        for record in records:
            if record["kind"] == "compile":
                farm = record["distributed"]
                self.assertEqual(farm["preprocessed"], "local" if farm["ran"] == "remote" else None, record)
        # Under distcc-pump, Debian 12's include server fails on every unit: each was preprocessed here too,
        # and so was the unit compiled outside distcc-pump.
        for record in self.results["pump"][3]:
            if record["kind"] == "compile":
                self.assertEqual(record["distributed"]["preprocessed"], "local", record)
        self.assertEqual(self.results["no-pump-record"]["distributed"]["preprocessed"], "local")

        records, lowmem_report, summary = self.results["pump-reports"]
        self.assertOk(lowmem_report, "lowmem_report")
        remote = sum(r.get("distributed", {}).get("ran") == "remote" for r in records)
        self.assertGreaterEqual(remote, len(UNITS))
        self.assertIn(f"Where the remote compiles were preprocessed: {remote} here (icecream, plain distcc, or distcc "
                      "pump mode without the include server's includes), 0 on their hosts (distcc pump mode)",
                      lowmem_report.stdout)
        self.assertOk(summary, "buildbudget report")
        farm = json.loads((self.work / "pump-report/report.json").read_text())["build_memory"]["distributed"]
        self.assertGreaterEqual(farm["remote"], len(UNITS))
        self.assertEqual(farm["preprocessed"], {"local": farm["remote"], "remote": 0})
        self.assertIn(f"\n\nWhere the remote compiles were preprocessed: {farm['remote']} here (icecream, plain distcc, or "
                      "distcc pump mode without the include server's includes), 0 on their hosts (distcc pump mode).\n",
                      (self.work / "pump-report/report.md").read_text())

    def test_pump_mode_outside_distcc_pump_is_told_at_once(self):
        launched = self.results["no-pump"]
        self.assertOk(launched, "a compile with the pump plan outside distcc-pump")
        self.assertIn("buildbudget: warning: ", launched.stdout)
        self.assertIn(": INCLUDE_SERVER_PORT is not set (the build does not run under distcc-pump), so distcc "
                      "preprocesses locally; the plan counts pump mode for its ,cpp hosts (16 MiB per remote compile, "
                      "the client only), so this build's remote compiles are admitted at 128 MiB", launched.stdout)
        self.assertEqual(self.results["no-pump-record"]["distributed"]["ran"], "remote")

    def test_no_process_is_left(self):
        self.assertEqual(self.left, [], "distccd or include server processes left")
        self.assertTrue(self.include_servers, "distcc-pump's include server was seen")
        for daemon in self.daemons:
            self.assertIsNotNone(daemon.proc.returncode)


if __name__ == "__main__":
    unittest.main()
