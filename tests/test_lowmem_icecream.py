"""lowmem_profile(DISTRIBUTED icecc) with a real icecream farm on loopback: Debian's icecc-scheduler, a
local iceccd (--no-remote, the one the client talks to) and a remote iceccd that compiles the units,
the build inside a memory cgroup and the daemons outside it (doc/lowmem-distributed.md).

The remote daemon stands in for an idle machine. icecream's scheduler places a job only on a daemon
whose load is below 1000, and iceccd's load is 1000 minus the idle share of the whole machine from
/proc/stat (daemon/load.cpp, daemon/main.cpp maybe_stats): on a busy machine (this one runs parallel
tests on 2 cores) a daemon reads 1000 and never gets a job. So the remote iceccd runs in its own mount
namespace with a copy of /proc/stat bind-mounted over /proc/stat (as lxcfs does for containers): its
ticks never change, and load.cpp then counts the machine as idle. The local daemon needs no such help:
the scheduler gives the submitter's own daemon a job whatever its load when no other host can take it
(scheduler/scheduler.cpp, "Ignore the load on the submitter itself"), up to its -m.
All daemons have the address 127.0.0.1, which icecc's client takes for "this machine";
ICECC_TEST_REMOTEBUILD=1 (icecream's own test variable) makes it send a job to a daemon with
a port all the same, as icecream's test suite does.

test-projects/lowmem-icecream (three units of about 270 MiB under g++ in a static library, a light program)
is configured once inside a 768 MiB cgroup and built four times (setUpClass, shared):
  1. both daemons up: the pools are the farm's (compile 3 = 2 remote, the remote daemon's -m, each
     counted here at the preprocessor's 128 MiB since icecc preprocesses locally, + 1 local, which the
     local daemon's -m 1 matches as configure advises; link 1), units compiled on the remote daemon (its
     log says so) are the job log's "ran": "remote" with its host, "preprocessed": "local" and a local
     peak within what the plan counts, links ran locally one at a time, and icecc's debug log stays
     off the build's output (only the user's own ICECC_LOGFILE gets it);
  1b. with ICECC=disable (icecc(1): no daemon, only a lock file per CPU), the light unit again: the
     launcher compiles it without icecc, at the full compile memory, recorded "ran": "local";
  2. from clean, killing the remote daemon (its children and compilers, by pid) once it compiles:
     the units in flight fall back (icecc compiles them here, in the local daemon's one slot), the
     build finishes under the limit with no OOM kill, and lowmem_report names the host;
  3. from clean with the local daemon stopped: the launcher compiles every unit itself, without
     icecc, through admission at the full compile memory (3 x 300 MiB do not fit: one waits).
The test is a child subreaper, stops every process it started by its id, reaps them and checks that
none is left. Needs root (cgroup, mount namespaces, iceccd's chroot)."""
import json
import os
import re
import signal
import subprocess
import time
import unittest

from support import (CMAKE, PREFIX, PROJECTS, DaemonProcess, TestCase, become_subreaper, clean_env, free_port,
                     fresh_dir)
from test_buildmem_icecream import free_port_pair
from test_lowmem_distributed import assert_finished_with_fallbacks, assert_links_local_one_at_a_time
from test_lowmem_thirdparty import MemoryCgroup

MiB = 1 << 20
LIMIT = 768 * MiB
HEAVY = {"unit1.cpp", "unit2.cpp", "unit3.cpp"}
UNITS = HEAVY | {"main.cpp"}
NINJA = ["ninja", "-j", "8"]  # above the pools, so that the pools limit the jobs
NETNAME = f"bbfarm{os.getpid()}"


class Process(DaemonProcess):
    """A daemon this test started, with its own log file."""

    def __init__(self, cmd, env, log):
        self.log = log
        super().__init__(cmd, env)

    def text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Iceccd(Process):
    """An iceccd; with `idle`, in its own mount namespace, where it sees a frozen /proc/stat (an idle machine)."""

    def __init__(self, work, role, jobs, scheduler_port, env, *options, idle=False):
        self.name = f"bb-{role}-{os.getpid()}"
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.socket = work / f"{role}.socket"
        cmd = ["iceccd", "-n", NETNAME, "-s", f"127.0.0.1:{scheduler_port}", "-N", self.name, "-m", str(jobs),
               "-p", str(self.port), "-b", str(work / f"envs-{role}"), "-l", str(work / f"iceccd-{role}.log"),
               "-vvv", *options]
        if idle:
            stat = work / f"proc-stat-{role}"
            with open("/proc/stat", "rb") as f:
                stat.write_bytes(f.read())
            cmd = ["unshare", "--mount", "--propagation", "private",
                   "sh", "-c", 'mount --bind "$0" /proc/stat && exec "$@"', str(stat), *cmd]
        super().__init__(cmd, dict(env, ICECC_TEST_SOCKET=str(self.socket)), work / f"iceccd-{role}.log")

    def remote_compiles(self):
        """The units the daemon compiled for others, from its log ("remote compile for file F")."""
        return [os.path.basename(f) for f in re.findall(r"remote compile for file (\S+)", self.text())]


class LowmemIcecream(TestCase):
    @classmethod
    def setUpClass(cls):
        assert become_subreaper() == 0, "prctl(PR_SET_CHILD_SUBREAPER)"
        cls.work = fresh_dir("icecream-farm")
        os.chmod(cls.work, 0o777)  # the scheduler and the daemons drop to the icecc user and write here
        cls.processes, cls.left = [], []
        try:
            cls.start_farm()
            cls.run_builds()
        finally:
            for process in reversed(cls.processes):
                cls.left += process.stop()

    @classmethod
    def start_farm(cls):
        env = {k: v for k, v in clean_env(ICECC_TESTS="1").items() if not k.startswith("ICECC_") or k == "ICECC_TESTS"}
        port = free_port_pair()
        scheduler = Process(["icecc-scheduler", "-n", NETNAME, "-p", str(port), "-i", "lo", "-l",
                             str(cls.work / "scheduler.log"), "-vvv"], env, cls.work / "scheduler.log")
        cls.processes.append(scheduler)
        while "scheduler ready" not in scheduler.text():
            scheduler.check_alive()
            time.sleep(0.05)
        # The local daemon's -m is the plan's local compile slots (1), as configure advises: it bounds every
        # compile icecc keeps here, fallbacks included, and the plan counts only 1 at the full compile memory.
        cls.local = Iceccd(cls.work, "local", 1, port, env, "--no-remote")
        cls.remote = Iceccd(cls.work, "remote", 2, port, env, idle=True)
        cls.processes += [cls.local, cls.remote]
        # Both logged in (a daemon retries every few seconds), and listening on their sockets.
        for daemon in (cls.local, cls.remote):
            while f"login {daemon.name} " not in scheduler.text() or not daemon.socket.exists():
                daemon.check_alive()
                time.sleep(0.1)
        cls.env = {k: v for k, v in env.items()
                   if not k.startswith(("CMAKE_", "BUILDBUDGET_", "DISTCC_", "CCACHE_", "CXXFLAGS", "LDFLAGS",
                                        "MAKEFLAGS", "NINJA_"))}
        cls.env.update(ICECC_TEST_SOCKET=str(cls.local.socket), ICECC_TEST_REMOTEBUILD="1")

    @classmethod
    def run_builds(cls):
        cls.build_dir = cls.work / "build"
        cls.log = cls.build_dir / "buildbudget-lowmem/jobs.jsonl"
        cls.results = {}
        with MemoryCgroup(f"buildbudget-icecream-{os.getpid()}", LIMIT) as cgroup:
            configure = [CMAKE, "-S", PROJECTS / "lowmem-icecream", "-B", cls.build_dir, "-G", "Ninja",
                         f"-DCMAKE_PREFIX_PATH={PREFIX}"]
            cls.results["configure"] = cgroup.run(configure, cls.env)
            if cls.results["configure"].returncode != 0:
                return
            # 1. Both daemons up; the user's own ICECC_LOGFILE.
            user_log = cls.work / "user-icecc.log"
            before = cgroup.oom_kills()
            built = cgroup.run([*NINJA, "-C", cls.build_dir], dict(cls.env, ICECC_LOGFILE=str(user_log)))
            cls.results["first"] = (built, cgroup.oom_kills() - before, cls.records(), cls.remote.remote_compiles(),
                                    user_log.read_text() if user_log.exists() else "", cls.local.text())

            # 1b. ICECC=disable (icecc(1)) for the light unit: compiled without icecc.
            main_object = next(cls.build_dir.glob("**/main.cpp.o"))
            main_object.unlink()
            disabled_log = cls.work / "disabled-icecc.log"
            start = len(cls.records())
            built = cgroup.run([*NINJA, "-C", cls.build_dir, main_object.relative_to(cls.build_dir)],
                               dict(cls.env, ICECC="disable", ICECC_LOGFILE=str(disabled_log)))
            cls.results["disabled"] = (built, cls.records()[start:], disabled_log.exists())

            # 2. From clean: the remote daemon is killed once it compiles a unit.
            subprocess.run(["ninja", "-C", str(cls.build_dir), "-t", "clean"], env=cls.env, check=True,
                           stdout=subprocess.DEVNULL)
            start = len(cls.records())
            before = cgroup.oom_kills()
            ninja = subprocess.Popen(["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(cgroup.path),
                                      *NINJA, "-C", str(cls.build_dir)],
                                     env=cls.env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            killed = False
            while ninja.poll() is None and cls.remote.compiling() == 0:
                time.sleep(0.02)
            if ninja.poll() is None:
                cls.left += cls.remote.stop(signal.SIGKILL)
                killed = True
            output = ninja.communicate()[0]
            cls.results["second"] = (ninja.returncode, output, cgroup.oom_kills() - before, cls.records()[start:],
                                     killed)
            cls.results["report"] = subprocess.run([CMAKE, "--build", str(cls.build_dir), "--target", "lowmem_report"],
                                                   env=cls.env, text=True, stdout=subprocess.PIPE,
                                                   stderr=subprocess.STDOUT)
            cls.results["report-records"] = cls.records()

            # 3. From clean, without the local daemon.
            cls.left += cls.local.stop()
            subprocess.run(["ninja", "-C", str(cls.build_dir), "-t", "clean"], env=cls.env, check=True,
                           stdout=subprocess.DEVNULL)
            start = len(cls.records())
            before = cgroup.oom_kills()
            built = cgroup.run([*NINJA, "-C", cls.build_dir], cls.env)
            cls.results["third"] = (built, cgroup.oom_kills() - before, cls.records()[start:])

    @classmethod
    def records(cls):
        if not cls.log.exists():
            return []
        return [json.loads(line) for line in cls.log.read_text().splitlines() if line.strip()]

    def setUp(self):
        self.assertOk(self.results["configure"], "configure")

    def test_the_pools_are_the_farms(self):
        text = "".join(p.read_text() for p in self.build_dir.rglob("*.ninja"))
        pools = {name: int(depth) for name, depth in re.findall(r"(?m)^pool (\w+)\n\s+depth = (\d+)", text)}
        self.assertEqual(pools, {"buildbudget_compile": 3, "buildbudget_link": 1})
        out = self.results["configure"].stdout
        self.assertIn("remote slots 2: the sum of the other icecream hosts' max jobs", out)
        # icecc preprocesses here: max(300 MiB / 8, 128 MiB) per remote compile, (640 MiB - 256 MiB) / 300 MiB = 1.
        self.assertIn("local cost of a remote compile 128 MiB: icecream preprocesses here", out)
        self.assertIn("distributed compile pool 3: 2 remote + 1 local", out)
        # The local daemon runs with the -m the plan advises: no "start it with -m 1".
        self.assertIn(f"icecream's local daemon {self.local.name} runs up to 1 compile here at once (iceccd -m 1), "
                      "also when the farm's hosts are gone: they fit in memory", out)
        plan = json.loads((self.build_dir / "buildbudget-lowmem/plan.json").read_text())
        self.assertEqual(plan["distributed"]["engine"], "icecc")
        self.assertEqual((plan["distributed"]["remote_compile_memory"], plan["distributed"]["pump"]), (128 * MiB, False))

    def test_units_compiled_remotely_are_the_remote_daemons(self):
        built, oom_kills, records, compiled, user_log, local_log = self.results["first"]
        self.assertOk(built, "build with both daemons")
        self.assertEqual(oom_kills, 0)
        compiles = [r for r in records if r["kind"] == "compile"]
        self.assertEqual({os.path.basename(r["source"]) for r in compiles}, UNITS)
        remote = sorted(os.path.basename(r["source"]) for r in compiles if r["distributed"]["ran"] == "remote")
        # What the remote daemon's log says it compiled is what the job log says ran there, on its host.
        self.assertEqual(remote, sorted(compiled), built.stdout)
        self.assertGreaterEqual(len(remote), 1, "no unit was compiled on the remote daemon")
        # A remote compile's local peak (icecc's preprocessing, about 28 MiB here) is within what the launcher
        # admits it at, the plan's cost of a remote compile.
        remote_cost = json.loads((self.build_dir / "buildbudget-lowmem/plan.json").read_text())["distributed"][
            "remote_compile_memory"]
        for record in compiles:
            ran = record["distributed"]
            self.assertEqual(ran["engine"], "icecc")
            self.assertIn(ran["ran"], ("remote", "local"), record)
            self.assertEqual(ran["host"], self.remote.host if ran["ran"] == "remote" else None)
            if ran["ran"] == "remote":
                self.assertLessEqual(record["peak_rss"], remote_cost, record)
            self.assertIsNone(ran["failed_host"])
            # icecc preprocesses every unit it sends here first (client/cpp.cpp call_cpp()): a remote compile's
            # record says so; a unit the local daemon compiled was not distributed, and says nothing.
            self.assertEqual(ran["preprocessed"], "local" if ran["ran"] == "remote" else None, record)
        # icecc's debug log stays off the build's output; the user's own ICECC_LOGFILE still gets it.
        self.assertNotIn("ICECC[", built.stdout)
        self.assertEqual(user_log.count(f"Have to use host {self.remote.host} "), len(remote))
        # The launcher looks for the local daemon's socket without connecting to it (iceccd logs an error
        # for a client that leaves before its greeting).
        self.assertNotIn("flush_writebuf() failed", local_log)
        assert_links_local_one_at_a_time(self, [r for r in records if r["kind"] == "link"], "icecc")

    def test_the_remote_daemon_killed_mid_build_falls_back(self):
        returncode, output, oom_kills, records, killed = self.results["second"]
        self.assertTrue(killed, "the build ended before the remote daemon compiled")
        _, fallbacks = assert_finished_with_fallbacks(self, returncode, output, oom_kills, records, UNITS)
        for record in records:
            if record["kind"] == "compile":
                farm = record["distributed"]
                self.assertEqual(farm["preprocessed"], "local" if farm["ran"] == "remote" else None, record)
        for record in fallbacks:
            self.assertEqual(record["distributed"]["failed_host"], self.remote.host)
            self.assertEqual(record["exit_code"], 0)
            if os.path.basename(record["source"]) in HEAVY:
                self.assertGreater(record["peak_rss"], 100 * MiB, "a fallback's peak is the local compile's")
        self.assertRegex(output, rf"icecc could not compile it on host {re.escape(self.remote.host)} \(icecc: "
                                 r"\"got exception Error \d+ - [^\"]+\"\) and compiled it locally, in a slot of its "
                                 r"local daemon \(iceccd -m\)")
        report = self.results["report"]
        self.assertOk(report, "lowmem_report")
        self.assertRegex(report.stdout, rf"Compile farm \(icecc, every record of the log\): .*{len(fallbacks)} fell "
                                        r"back to a local compile")
        self.assertIn(f"{self.remote.host} {len(fallbacks)}", report.stdout)
        # Every remote compile of the log so far was preprocessed here, none on its host.
        remote = sum(r.get("distributed", {}).get("ran") == "remote" for r in self.results["report-records"])
        self.assertGreaterEqual(remote, 1)
        self.assertIn(f"Where the remote compiles were preprocessed: {remote} here (icecream, plain distcc, or distcc "
                      "pump mode without the include server's includes), 0 on their hosts (distcc pump mode)\n",
                      report.stdout)

    def test_without_the_local_daemon_the_launcher_compiles_through_admission(self):
        built, oom_kills, records = self.results["third"]
        self.assertOk(built, "build without the local daemon")
        self.assertEqual(oom_kills, 0, built.stdout)
        compiles = [r for r in records if r["kind"] == "compile"]
        self.assertEqual({os.path.basename(r["source"]) for r in compiles}, UNITS)
        for record in compiles:
            self.assertEqual(record["distributed"]["ran"], "fallback", record)
            self.assertEqual(record["distributed"]["failed_host"], "local iceccd")
        heavy = [r for r in compiles if os.path.basename(r["source"]) in HEAVY]
        for record in heavy:
            self.assertGreater(record["peak_rss"], 100 * MiB)
        self.assertIn(f"icecream's local daemon is not listening where icecc looks for it ({self.local.socket}); "
                      "compiling it locally without icecc when 300 MiB is free (admission)", built.stdout)
        # Three local compiles of 300 MiB do not fit in 768 MiB - 128 MiB: admission held one back.
        spans = [(r["start_ms"] + r["samples"][0][0], r["end_ms"]) for r in heavy if r["samples"]]
        self.assertLessEqual(max(sum(s <= t < e for s, e in spans) for t, _ in spans), 2)
        self.assertTrue(any(r["waited_ms"] > 0 for r in heavy), "no compile was held by admission")

    def test_icecc_disabled_compiles_without_icecc(self):
        built, records, icecc_logged = self.results["disabled"]
        self.assertOk(built, "build with ICECC=disable")
        self.assertEqual([os.path.basename(r["source"]) for r in records], ["main.cpp"])
        self.assertEqual(records[0]["distributed"], {"engine": "icecc", "ran": "local", "host": None,
                                                     "failed_host": None, "preprocessed": None})
        # icecc never ran: the launcher did not pass its log on to the user's ICECC_LOGFILE.
        self.assertFalse(icecc_logged)

    def test_no_process_is_left(self):
        self.assertEqual(self.left, [], "icecream processes left")
        for process in self.processes:
            self.assertIsNotNone(process.proc.returncode)


if __name__ == "__main__":
    unittest.main()
