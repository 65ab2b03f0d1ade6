"""`buildbudget buildmem plan --distributed icecc` asks a real icecream scheduler for the farm
(doc/lowmem-distributed.md, "The remote capacity").

The test starts Debian's icecc-scheduler on loopback (-i lo, its own free port and network name)
and two iceccd that log in to it by address (-s 127.0.0.1:PORT): a "local" one, whose socket the
client and the helper use ($ICECC_TEST_SOCKET, icecream's own variable for daemons that share a
machine), and a "remote" one. ICECC_TESTS=1 is icecream's test mode: its broadcasts stay on the
loopback interface. The remote slots the helper reads must be the remote daemon's -m, not the
local one's. The test is a child subreaper, stops every process it started by its id and checks
that none is left.

Not here: a unit compiled through `icecc g++` on the remote daemon. icecream's scheduler places a
job only on a host whose reported load is below 1000, and a daemon reports 1000 while the machine's
CPUs are busy: on this 2-core machine shared by parallel tests, `icecc g++` with
ICECC_PREFERRED_HOST and an icecc-create-env environment waited 3.5 min for the placement once and
fell back to a local compile after the client's own 4 min another time (the scheduler's log
repeats "No suitable host found, delaying")."""
import json
import os
import re
import signal
import socket
import subprocess
import time
import unittest

from support import TestCase, become_subreaper, clean_env, descendant_pids, free_port, fresh_dir, helper

LOCAL_JOBS, REMOTE_JOBS = 2, 3
NETNAME = f"bbtest{os.getpid()}"


def free_port_pair():
    """A free TCP port P with P + 1 free too (the scheduler's line interface), and P free for UDP."""
    while True:
        port = free_port()
        try:
            with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                tcp.bind(("127.0.0.1", port + 1))
                udp.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue


def plan(env, *args):
    return helper("buildmem", "plan", "--memory-limit", "8GiB", "--cpus", "2", "--distributed", "icecc", *args, env=env)


class Farm(TestCase):
    @classmethod
    def setUpClass(cls):
        assert become_subreaper() == 0, "prctl(PR_SET_CHILD_SUBREAPER)"
        cls.work = fresh_dir("buildmem-icecream")
        os.chmod(cls.work, 0o777)  # the scheduler drops to the icecc user and writes its log here
        cls.env = clean_env(ICECC_TESTS="1")
        for name in ("ICECC_SCHEDULER", "ICECC_VERSION", "ICECC_PREFERRED_HOST", "ICECC_TEST_SOCKET"):
            cls.env.pop(name, None)
        cls.procs = []
        cls.port = free_port_pair()
        cls.scheduler_log = cls.work / "scheduler.log"
        cls.start(["icecc-scheduler", "-n", NETNAME, "-p", str(cls.port), "-i", "lo", "-l", str(cls.scheduler_log),
                   "-vvv"])
        while not cls.scheduler_log.exists() or "scheduler ready" not in cls.scheduler_log.read_text():
            cls.check_alive()
            time.sleep(0.05)
        cls.daemons = {}
        for role, jobs in (("local", LOCAL_JOBS), ("remote", REMOTE_JOBS)):
            name = f"bb-{role}-{os.getpid()}"
            daemon = {"name": name, "jobs": jobs, "socket": cls.work / f"{role}.socket",
                      "log": cls.work / f"iceccd-{role}.log"}
            env = dict(cls.env, ICECC_TEST_SOCKET=str(daemon["socket"]))
            cls.start(["iceccd", "-n", NETNAME, "-s", f"127.0.0.1:{cls.port}", "-N", name, "-m", str(jobs),
                       "-p", str(free_port()), "-b", str(cls.work / f"envs-{role}"), "-l", str(daemon["log"]), "-vvv"],
                      env=env)
            cls.daemons[role] = daemon
        # Both daemons logged in (the scheduler's log says so; a daemon retries every few seconds).
        for daemon in cls.daemons.values():
            while f"login {daemon['name']} " not in cls.scheduler_log.read_text():
                cls.check_alive()
                time.sleep(0.1)
        cls.local_env = dict(cls.env, ICECC_TEST_SOCKET=str(cls.daemons["local"]["socket"]))

    @classmethod
    def start(cls, cmd, env=None):
        proc = subprocess.Popen(cmd, env=env or cls.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        cls.procs.append(proc)

    @classmethod
    def check_alive(cls):
        for proc in cls.procs:
            if proc.poll() is not None:
                raise AssertionError(f"{proc.args[0]} exited ({proc.returncode}): {proc.stderr.read()}")

    @classmethod
    def tearDownClass(cls):
        """Stops the daemons, their children and the scheduler by their ids; reaps them all."""
        pids = set()
        for proc in cls.procs:
            pids |= {proc.pid} | descendant_pids(proc.pid)
        for proc in reversed(cls.procs):
            for pid in sorted({proc.pid} | descendant_pids(proc.pid)):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            proc.wait()
            proc.stderr.close()
        for pid in pids:
            try:
                os.waitpid(pid, 0)  # reparented to this subreaper
            except ChildProcessError:
                pass
        left = [pid for pid in pids if os.path.exists(f"/proc/{pid}")]
        assert left == [], f"icecream processes left: {left}"

    def farm_plan(self, *args):
        proc = plan(self.local_env, "--json", *args)
        self.assertOk(proc, "buildmem plan --distributed icecc")
        return json.loads(proc.stdout)["distributed"]

    def test_remote_slots_are_the_other_daemons_max_jobs(self):
        d = self.farm_plan("--icecc-scheduler", f"127.0.0.1:{self.port}")
        farm = d["icecream"]
        self.assertEqual(farm["scheduler"], f"127.0.0.1:{self.port}")
        self.assertEqual(farm["local_name"], self.daemons["local"]["name"])
        hosts = {h["name"]: (h["max_jobs"], h["local"], h["no_remote"]) for h in farm["hosts"]}
        self.assertEqual(hosts, {self.daemons["local"]["name"]: (LOCAL_JOBS, True, False),
                                 self.daemons["remote"]["name"]: (REMOTE_JOBS, False, False)})
        self.assertEqual((d["remote_slots"], d["remote_pump_slots"]), (REMOTE_JOBS, 0))  # icecc preprocesses here
        self.assertEqual(d["compile_jobs"], REMOTE_JOBS + d["local_compile_jobs"])
        reason = (f"icecream scheduler 127.0.0.1:{self.port} (--icecc-scheduler): 2 hosts with their max jobs: ")
        line = next(r for r in d["reasons"] if r.startswith("icecream scheduler"))
        self.assertTrue(line.startswith(reason), line)
        self.assertIn(f"{self.daemons['remote']['name']} {REMOTE_JOBS}", line)
        self.assertIn(f"{self.daemons['local']['name']} {LOCAL_JOBS} (local)", line)
        # The local daemon's -m bounds the compiles it keeps here: 2, as many as fit (8 GiB, 2 CPUs).
        local = self.daemons["local"]["name"]
        self.assertEqual(d["local_compile_jobs"], LOCAL_JOBS)
        self.assertIn(f"icecream's local daemon {local} runs up to {LOCAL_JOBS} compiles here at once (iceccd -m "
                      f"{LOCAL_JOBS}), also when the farm's hosts are gone: they fit in memory", d["reasons"])
        # With 2 GiB, one local compile fits (2 GiB - 512 MiB reserve - 3 x 128 MiB for the remote ones'
        # preprocessing, 1 GiB each): the daemon's -m 2 is one too many, and the plan says what to start it with.
        proc = helper("buildmem", "plan", "--memory-limit", "2GiB", "--cpus", "2", "--distributed", "icecc", "--json",
                      "--icecc-scheduler", f"127.0.0.1:{self.port}", env=self.local_env)
        self.assertOk(proc)
        small = json.loads(proc.stdout)["distributed"]
        self.assertEqual(small["local_compile_jobs"], 1)
        self.assertIn(f"icecream's local daemon {local} runs up to {LOCAL_JOBS} compiles here at once (iceccd -m "
                      f"{LOCAL_JOBS}), also when the farm's hosts are gone, more than the 1 local compile that memory "
                      f"holds: start it with -m 1", small["reasons"])
        # --remote-slots still overrides the scheduler.
        self.assertEqual(self.farm_plan("--remote-slots", "7")["remote_slots"], 7)

    def test_scheduler_is_found_as_the_local_daemon_finds_it(self):
        # No --icecc-scheduler: the -s of the iceccd that owns the client's socket.
        d = self.farm_plan()
        self.assertEqual(d["icecream"]["scheduler"], f"127.0.0.1:{self.port}")
        self.assertRegex(d["icecream"]["scheduler_source"],
                         rf"^the -s of the iceccd listening on {re.escape(str(self.daemons['local']['socket']))} "
                         rf"\(pid \d+\)$")
        self.assertEqual(d["remote_slots"], REMOTE_JOBS)
        # Seen from the other daemon's socket, the other one is remote.
        proc = plan(dict(self.env, ICECC_TEST_SOCKET=str(self.daemons["remote"]["socket"])), "--json")
        self.assertOk(proc)
        self.assertEqual(json.loads(proc.stdout)["distributed"]["remote_slots"], LOCAL_JOBS)


class NoScheduler(TestCase):
    def test_error_names_the_scheduler_and_the_override(self):
        port = free_port()  # nothing listens there
        env = clean_env()
        env.pop("ICECC_SCHEDULER", None)
        proc = plan(env, "--icecc-scheduler", f"127.0.0.1:{port}")
        self.assertFails(proc, 1)
        self.assertEqual(proc.stderr,
                         f"buildbudget: error: icecream scheduler 127.0.0.1:{port} (--icecc-scheduler): cannot connect "
                         "(Connection refused); expected a running icecc-scheduler there, or --remote-slots N with "
                         "the farm's job slots\n")
        proc = plan(env, "--icecc-scheduler", "127.0.0.1:x")
        self.assertFails(proc, 1)
        self.assertIn('--icecc-scheduler: bad port "x" in "127.0.0.1:x"; expected HOST[:PORT]', proc.stderr)
        proc = helper("buildmem", "plan", "--memory-limit", "8GiB", "--icecc-scheduler", "127.0.0.1", env=env)
        self.assertFails(proc, 1)
        self.assertIn("buildbudget: error: --icecc-scheduler: given without --distributed", proc.stderr)


if __name__ == "__main__":
    unittest.main()
