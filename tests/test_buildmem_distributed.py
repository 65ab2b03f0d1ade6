"""`buildbudget buildmem plan --distributed` against the real distcc (doc/lowmem-distributed.md).

The helper's reading of a distcc host list is compared with distcc's own: `distcc --show-hosts`
prints the hosts distcc would use (as written) and `distcc -j` the sum of their job limits, with
distcc's defaults (4 per host, 2 for localhost) where no /LIMIT is written. Then two real distccd
daemons on free loopback ports compile a C file sent through `distcc`; their logs must say they
compiled it. The test makes itself a child subreaper, so the daemons' pre-forked children are
reparented to it and reaped, and checks by process id that nothing it started is left."""
import json
import os
import signal
import socket
import subprocess
import time
import unittest

from support import CMAKE, TestCase, become_subreaper, child_pids, clean_env, free_port, fresh_dir, helper, run

# Host lists in every form distcc(1) documents, without --randomize (its order is random).
HOST_LISTS = [
    "a",
    "localhost a b/2",
    "localhost/3 127.0.0.1:3700/5 [::1]:3701 @ssh-host/6:/usr/bin/distccd u@other",
    "fast/8,lzo slow:4000/1,cpp,lzo # a comment\n  old/2:4200",
    "--localslots=3 --localslots_cpp=12 a/7,auth",
    "localhost/3,cpp localhost,lzo",  # the second is a TCP host named localhost, as distcc reads it
]
# Lists distcc refuses too ("bad multiplier", "unrecognized option").
BAD_LISTS = {"a b/0": "DISTCC_HOSTS:1:3: bad limit \"/0\"", "a,foo": "DISTCC_HOSTS:1:1: unknown option \",foo\""}


def distcc_env(work, hosts):
    env = {k: v for k, v in clean_env().items() if not k.startswith("DISTCC_")}
    (work / "distcc-dir").mkdir(exist_ok=True)
    env.update(DISTCC_HOSTS=hosts, DISTCC_DIR=str(work / "distcc-dir"))
    return env


def plan_json(env, *args):
    proc = helper("buildmem", "plan", "--json", "--memory-limit", "8GiB", "--cpus", "4", "--distributed", "distcc",
                  *args, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["distributed"]


class HostLists(TestCase):
    def test_hosts_and_limits_match_distcc(self):
        work = fresh_dir("distributed-lists")
        for hosts in HOST_LISTS:
            with self.subTest(hosts=hosts):
                env = distcc_env(work, hosts)
                shown = run(["distcc", "--show-hosts"], env=env)
                self.assertOk(shown, "distcc --show-hosts")
                level = run(["distcc", "-j"], env=env)
                self.assertOk(level, "distcc -j")
                d = plan_json(env)
                self.assertEqual([h["spec"] for h in d["host_list"]["hosts"]], shown.stdout.split())
                listed = d["host_list"]
                self.assertEqual(listed["local_slots"] + listed["remote_slots"], int(level.stdout))
                self.assertEqual(d["remote_slots"], listed["remote_slots"])

    def test_cmake_out_carries_the_distributed_pools(self):
        work = fresh_dir("distributed-cmake-out")
        env = distcc_env(work, "localhost/2 a/3 b/5,cpp")
        args = ["--memory-limit", "8GiB", "--cpus", "4"]
        self.assertOk(helper("buildmem", "plan", *args, "--distributed", "auto", "--cmake-out", work / "plan.cmake",
                             env=env))
        script = work / "print.cmake"
        script.write_text(f'include("{work / "plan.cmake"}")\n'
                          'foreach(k ENGINE REMOTE_SLOTS LOCAL_COMPILE_JOBS COMPILE_JOBS LINK_JOBS)\n'
                          '  message("${k}=${BUILDBUDGET_PLAN_DISTRIBUTED_${k}}")\nendforeach()\n'
                          'message("REASONS=${BUILDBUDGET_PLAN_REASONS}")\n')
        proc = run([CMAKE, "-P", script])
        self.assertOk(proc, "cmake -P")
        d = plan_json(env)
        for key in ("remote_slots", "local_compile_jobs", "compile_jobs", "link_jobs"):
            self.assertLine(proc.stderr, f"{key.upper()}={d[key]}")
        self.assertLine(proc.stderr, "ENGINE=distcc")
        self.assertEqual((d["remote_slots"], d["remote_pump_slots"], d["local_compile_jobs"]), (8, 5, 2))
        self.assertIn(d["reasons"][-1], proc.stderr)
        # Without --distributed the outputs are the local plan's, as before.
        local = helper("buildmem", "plan", "--json", *args, env=env)
        self.assertIsNone(json.loads(local.stdout)["distributed"])
        self.assertOk(helper("buildmem", "plan", *args, "--cmake-out", work / "local.cmake", env=env))
        self.assertNotIn("DISTRIBUTED", (work / "local.cmake").read_text())

    def test_icecream_from_the_launcher_takes_the_given_slots(self):
        work = fresh_dir("distributed-icecc")
        env = distcc_env(work, "a/99")  # a distcc list too: the launcher decides first
        proc = helper("buildmem", "plan", "--json", "--memory-limit", "8GiB", "--cpus", "4", "--distributed", "auto",
                      "--compiler-launcher", "/usr/bin/ccache;/usr/bin/icecc", "--remote-slots", "6", env=env)
        self.assertOk(proc)
        d = json.loads(proc.stdout)["distributed"]
        self.assertEqual((d["engine"], d["remote_slots"], d["remote_pump_slots"], d["host_list"]), ("icecc", 6, 0, None))
        # icecc preprocesses here (-fdirectives-only / -frewrite-includes), so no slot costs only the client.
        self.assertIn(f"local cost of a remote compile {d['preprocess_memory'] >> 20} MiB: icecream preprocesses here",
                      "\n".join(d["reasons"]))
        # Without --remote-slots the scheduler is asked (tests/test_buildmem_icecream.py); none listens here.
        port = free_port()
        proc = helper("buildmem", "plan", "--memory-limit", "8GiB", "--distributed", "icecc", "--icecc-scheduler",
                      f"127.0.0.1:{port}", env=env)
        self.assertFails(proc, 1)
        self.assertIn(f"buildbudget: error: icecream scheduler 127.0.0.1:{port} (--icecc-scheduler): cannot connect",
                      proc.stderr)

    def test_lists_distcc_refuses_are_refused_with_where(self):
        work = fresh_dir("distributed-bad")
        for hosts, message in BAD_LISTS.items():
            with self.subTest(hosts=hosts):
                env = distcc_env(work, hosts)
                self.assertIn("ERROR", run(["distcc", "-j"], env=env).stderr)
                proc = helper("buildmem", "plan", "--memory-limit", "8GiB", "--distributed", "distcc", env=env)
                self.assertFails(proc, 1, "plan with " + hosts)
                self.assertIn("buildbudget: error: " + message, proc.stderr)


class TwoDaemons(TestCase):
    def setUp(self):
        self.assertEqual(become_subreaper(), 0, "prctl(PR_SET_CHILD_SUBREAPER)")
        self.work = fresh_dir("distributed-daemons")
        os.chmod(self.work, 0o777)  # distccd started by root runs as the distccd user
        self.daemons = []
        for n in range(2):
            port = free_port()
            log = self.work / f"distccd-{n}.log"
            log.touch()
            os.chmod(log, 0o666)
            proc = subprocess.Popen(["distccd", "--daemon", "--no-detach", "--allow", "127.0.0.1", "--listen",
                                     "127.0.0.1", "--port", str(port), "--jobs", "1", "--log-file", str(log)],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.daemons.append({"proc": proc, "port": port, "log": log, "pids": {proc.pid}})
            self.addCleanup(self.stop, self.daemons[-1])
        for daemon in self.daemons:
            self.wait_listening(daemon)

    def wait_listening(self, daemon):
        while True:
            if daemon["proc"].poll() is not None:
                self.fail(f"distccd on port {daemon['port']} exited: {daemon['proc'].stderr.read()} "
                          f"{daemon['log'].read_text()}")
            try:
                socket.create_connection(("127.0.0.1", daemon["port"])).close()
                break
            except OSError:
                time.sleep(0.05)
        daemon["pids"].update(child_pids(daemon["proc"].pid))

    def stop(self, daemon):
        """Stops a daemon and its pre-forked children by their ids, reaps them all."""
        daemon["pids"].update(child_pids(daemon["proc"].pid))
        for pid in sorted(daemon["pids"]):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        daemon["proc"].wait()
        daemon["proc"].stderr.close()
        for pid in daemon["pids"] - {daemon["proc"].pid}:
            try:
                os.waitpid(pid, 0)  # reparented to this subreaper
            except ChildProcessError:
                pass
        left = [pid for pid in daemon["pids"] if os.path.exists(f"/proc/{pid}")]
        self.assertEqual(left, [], f"distccd processes left on port {daemon['port']}")

    def test_units_are_compiled_by_the_daemons(self):
        source = self.work / "unit.c"
        source.write_text("int twice(int x) { return 2 * x; }\n")
        first, second = (f"127.0.0.1:{d['port']}/1" for d in self.daemons)
        # The plan counts both daemons' slots as remote capacity.
        d = plan_json(distcc_env(self.work, f"{first} {second}"))
        self.assertEqual(d["remote_slots"], 2)
        self.assertEqual(d["compile_jobs"], 2)  # no localhost in the list: nothing compiles locally
        # distcc prefers the first host of the list; without fallback a unit compiled means a daemon compiled it.
        for order, daemon in (((first, second), self.daemons[0]), ((second, first), self.daemons[1])):
            env = distcc_env(self.work, " ".join(order))
            env["DISTCC_FALLBACK"] = "0"
            obj = self.work / f"unit-{daemon['port']}.o"
            self.assertOk(run(["distcc", "gcc", "-O2", "-c", source, "-o", obj], cwd=self.work, env=env),
                          "distcc gcc -c unit.c")
            self.assertIn("twice", run(["nm", obj]).stdout)
            log = daemon["log"].read_text()
            self.assertRegex(log, r"COMPILE_OK exit:0 .*/unit\.c", f"distccd log on port {daemon['port']}")
        for daemon in self.daemons:
            self.assertEqual(daemon["log"].read_text().count("COMPILE_OK"), 1, daemon["log"].read_text())


if __name__ == "__main__":
    unittest.main()
