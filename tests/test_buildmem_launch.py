"""`buildbudget buildmem launch` and `buildbudget buildmem report` (doc/lowmem.md, "The job launcher",
and "Admission") with real jobs: Python children that allocate and touch memory (alone, and
with a grandchild, so the whole process tree must be summed), checked against the VmRSS/VmHWM the
processes report about themselves; a real g++ compile and link, also chained through ccache; exit codes
and signals passed through; a job that kills itself with SIGKILL, named with its peak and the pool that
would have fit (computed here from the plan); memory-aware admission against a fake cgroup v2 tree whose
free memory the test edits, proven by the order of events (a held job's marker file is absent until the
fake memory is raised); and `report` on a log written here, with the concurrency peak computed by this
test's own sweep."""
import errno
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import unittest

from support import HELPER, MiB, TestCase, fresh_dir, helper

GiB = 1 << 30

# Writes the VmRSS and VmHWM lines of /proc/self/status (kB, the kernel's own counters) to argv[1].
REPORT_SELF = textwrap.dedent("""
    def report_self(path):
        fields = {}
        with open("/proc/self/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0]) * 1024
        with open(path, "w") as f:
            json.dump(fields, f)
""")

# Allocates and touches MiB megabytes (every page written), reports itself, holds the memory for a moment
# (so the launcher's samples see it), and exits.
ALLOCATE = "import json, sys, time\n" + REPORT_SELF + textwrap.dedent("""
    size = int(sys.argv[1]) << 20
    data = bytearray(b"\\x01") * size
    report_self(sys.argv[2])
    time.sleep(float(sys.argv[3]))
""")

# Touches sys.argv[1] MiB itself and starts a grandchild touching sys.argv[2] MiB; both hold their memory
# until the other has reported, so the tree's sum is resident at the same time.
PARENT_AND_GRANDCHILD = "import json, os, subprocess, sys, time\n" + REPORT_SELF + textwrap.dedent("""
    own, theirs, out = int(sys.argv[1]) << 20, sys.argv[2], sys.argv[3]
    data = bytearray(b"\\x01") * own
    child = subprocess.Popen([sys.executable, "-c", sys.argv[4], theirs, out + ".grandchild", "1.0"])
    while not os.path.exists(out + ".grandchild"):
        time.sleep(0.01)
    report_self(out + ".parent")
    sys.exit(child.wait())
""")

# Allocates argv[1] steps of argv[2] MiB each (every page written), holding each step argv[3] s, and writes to
# argv[4] the wall-clock ms (time.time(), the clock of the log's start_ms) before and after each step's allocation,
# and when it stopped holding them (the interpreter's exit frees them).
ALLOCATE_IN_STEPS = textwrap.dedent("""
    import json, sys, time
    steps, size, hold = int(sys.argv[1]), int(sys.argv[2]) << 20, float(sys.argv[3])
    marks, blocks = [], []
    for _ in range(steps):
        begin = time.time() * 1000
        blocks.append(bytearray(b"\\x01") * size)
        marks.append([begin, time.time() * 1000])
        time.sleep(hold)
    with open(sys.argv[4], "w") as f:
        json.dump({"steps": marks, "held_until": time.time() * 1000}, f)
""")

# The fields of a job log line, in their order (doc/lowmem.md, "The job log").
RECORD_FIELDS = ["kind", "source", "output", "command", "start_ms", "end_ms", "peak_rss", "exit_code", "signal",
                 "waited_ms", "oom_kills", "samples"]

# Allocates, reports, and kills itself with SIGKILL (what the kernel's OOM killer sends).
ALLOCATE_AND_DIE = "import json, os, signal, sys, time\n" + REPORT_SELF + textwrap.dedent("""
    data = bytearray(b"\\x01") * (int(sys.argv[1]) << 20)
    report_self(sys.argv[2])
    time.sleep(0.3)
    os.kill(os.getpid(), signal.SIGKILL)
""")

# Waits until the file argv[1] exists (released by the test), then exits 0.
WAIT_FOR = "import os, sys, time\nwhile not os.path.exists(sys.argv[1]):\n    time.sleep(0.02)\n"

# Creates the file argv[1].
TOUCH = "import sys\nopen(sys.argv[1], 'w').close()\n"

# Creates argv[1], waits until argv[2] exists, then becomes the command argv[3:] (a compile started later).
READY_WAIT_EXEC = ("import os, sys, time\nopen(sys.argv[1], 'w').close()\n"
                   "while not os.path.exists(sys.argv[2]):\n    time.sleep(0.02)\nos.execvp(sys.argv[3], sys.argv[3:])\n")

# The overhead allowed above what the processes themselves report: the launcher's own samples add
# nothing beyond the processes' RSS, but pages touched after a process reported itself (interpreter exit)
# and the forked launcher's copy before exec count.
OVERHEAD = 24 * MiB


class MemoryCgroup:
    """A real memory cgroup of this machine's hierarchy (cgroup v1's memory controller, else v2) with a
    hard limit, made as root (as CI runs) and removed afterwards. `oom_kill_file` holds its own count of
    OOM kills: v1 memory.oom_control, v2 memory.events."""

    def __init__(self, name, limit):
        v1 = pathlib.Path("/sys/fs/cgroup/memory")
        if v1.is_dir():
            self.path, limit_file, self.oom_kill_file = v1 / name, "memory.limit_in_bytes", "memory.oom_control"
        else:
            self.path, limit_file, self.oom_kill_file = pathlib.Path("/sys/fs/cgroup") / name, "memory.max", "memory.events"
        self.limit_file, self.limit = limit_file, limit

    def __enter__(self):
        self.path.mkdir(exist_ok=True)
        self.set_limit(self.limit)
        if (self.path / "memory.swap.max").exists():
            (self.path / "memory.swap.max").write_text("0")
        return self

    def set_limit(self, limit):
        (self.path / self.limit_file).write_text(str(limit))

    def oom_kills(self):
        return oom_kill_line((self.path / self.oom_kill_file).read_text())

    def argv(self, cmd):
        """`cmd` run inside the cgroup: the shell moves itself in, then execs it."""
        return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(self.path), *[str(c) for c in cmd]]

    def __exit__(self, *exc):
        self.path.rmdir()


def oom_kill_line(text):
    return int(next(line.split()[1] for line in text.splitlines() if line.startswith("oom_kill ")))


def write_plan(path, log, memory_limit=4 * GiB, reserve=512 * MiB, compile_memory=1 * GiB, link_memory=2 * GiB,
               compile_jobs=3, link_jobs=1, cpus=2, admission=False, timeout=600, probe_root="/"):
    plan = {"schema": "buildbudget-lowmem-plan/1", "log": str(log), "memory_limit": memory_limit, "reserve": reserve,
            "compile_memory": compile_memory, "link_memory": link_memory, "compile_jobs": compile_jobs,
            "link_jobs": link_jobs, "cpus": cpus,
            "admission": {"enabled": admission, "timeout_seconds": timeout, "probe_root": str(probe_root)}}
    pathlib.Path(path).write_text(json.dumps(plan))
    return plan


def read_log(log):
    return [json.loads(line) for line in pathlib.Path(log).read_text().splitlines() if line.strip()]


def launch_cmd(plan, kind, *command):
    return [HELPER, "buildmem", "launch", "--plan", str(plan), "--kind", kind, "--", *[str(c) for c in command]]


def launch(plan, kind, *command, cwd=None, env=None):
    return subprocess.run(launch_cmd(plan, kind, *command), cwd=cwd, env=env, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)


def wait_until(predicate, what, limit=120):
    """Polls `predicate` (an event the test waits for, not a timing assertion); fails after `limit` s."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class FakeRoot:
    """A probe root (doc/helper-buildmem.md, "buildbudget buildmem probe") for a cgroup v2 host: the process in /build, memory.max `limit`; the
    free memory as the probe sees it is limit - (memory.current - inactive_file), and never above
    MemAvailable (16 GiB here). The test sets it with set_free()."""

    def __init__(self, path, limit=4 * GiB):
        self.path = pathlib.Path(path)
        self.limit = limit
        self.write("proc/meminfo", f"MemTotal: {16 * GiB // 1024} kB\nMemFree: 1000 kB\n"
                                   f"MemAvailable: {16 * GiB // 1024} kB\n")
        self.write("proc/self/status", "Name:\tx\nCpus_allowed_list:\t0-1\n")
        self.write("sys/devices/system/cpu/online", "0-1\n")
        self.write("proc/self/cgroup", "0::/build\n")
        self.write("proc/self/mountinfo",
                   "31 23 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n")
        self.write("sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n")
        self.write("sys/fs/cgroup/build/cgroup.controllers", "cpu memory pids\n")
        self.write("sys/fs/cgroup/build/memory.max", f"{limit}\n")
        self.write("sys/fs/cgroup/build/memory.stat", "anon 1\nfile 2\ninactive_file 0\n")
        self.write("sys/fs/cgroup/build/cpu.max", "max 100000\n")
        self.set_free(limit)

    def write(self, rel, text):
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, p)  # a launcher reading it sees the old or the new file, never half of one

    def set_free(self, free):
        self.write("sys/fs/cgroup/build/memory.current", f"{self.limit - free}\n")


class BuildmemLaunch(TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("g++", "ccache"):
            if shutil.which(tool) is None:
                raise AssertionError(f"{tool} is not installed (apt-get install {tool})")

    def setUp(self):
        self.dir = fresh_dir("buildmem-launch", self._testMethodName)
        self.log = self.dir / "buildbudget-lowmem" / "jobs.jsonl"
        self.plan = self.dir / "buildbudget-lowmem" / "plan.json"
        self.plan.parent.mkdir(parents=True)
        self.plan_data = write_plan(self.plan, self.log)

    def py(self, script, *args):
        return [sys.executable, "-c", script, *[str(a) for a in args]]

    # --- peak RSS -------------------------------------------------------------------------------------

    def test_peak_of_a_child_touching_300_mib(self):
        out = self.dir / "self.json"
        proc = launch(self.plan, "compile", *self.py(ALLOCATE, 300, out, 0.3), "-o", "alloc.o")
        self.assertOk(proc)
        [rec] = read_log(self.log)
        reported = json.loads(out.read_text())
        self.assertGreaterEqual(reported["VmRSS"], 300 * MiB)
        self.assertGreaterEqual(rec["peak_rss"], reported["VmRSS"])
        self.assertLessEqual(rec["peak_rss"], reported["VmHWM"] + OVERHEAD)
        self.assertEqual(rec["kind"], "compile")
        self.assertEqual(rec["output"], "alloc.o")
        self.assertEqual(rec["exit_code"], 0)
        self.assertIsNone(rec["signal"])
        self.assertEqual(rec["waited_ms"], 0)
        self.assertLessEqual(rec["start_ms"], rec["end_ms"])
        self.assertGreaterEqual(rec["end_ms"] - rec["start_ms"], 300)  # it slept 0.3 s

    def test_the_whole_process_tree_is_counted(self):
        # The parent holds 100 MiB while its child holds 300 MiB: the tree's peak is above what any one
        # process had, which getrusage's ru_maxrss (a per-process maximum) cannot show.
        out = self.dir / "tree"
        proc = launch(self.plan, "compile", *self.py(PARENT_AND_GRANDCHILD, 100, 300, out, ALLOCATE))
        self.assertOk(proc)
        [rec] = read_log(self.log)
        parent = json.loads(pathlib.Path(str(out) + ".parent").read_text())
        grandchild = json.loads(pathlib.Path(str(out) + ".grandchild").read_text())
        together = parent["VmRSS"] + grandchild["VmRSS"]
        self.assertGreaterEqual(together, 400 * MiB)
        self.assertGreaterEqual(rec["peak_rss"], together - 2 * MiB)  # minus what either freed meanwhile
        self.assertLessEqual(rec["peak_rss"], parent["VmHWM"] + grandchild["VmHWM"] + OVERHEAD)
        self.assertGreater(rec["peak_rss"], max(parent["VmHWM"], grandchild["VmHWM"]) + 90 * MiB)

    # --- RSS over time ---------------------------------------------------------------------------------

    def assertSamplesWellFormed(self, rec):
        samples = rec["samples"]
        self.assertGreaterEqual(len(samples), 1)
        self.assertLessEqual(len(samples), 64)  # the bound (doc/lowmem.md, "The job log")
        for ms, rss in samples:
            self.assertIsInstance(ms, int)
            self.assertIsInstance(rss, int)
            self.assertTrue(0 <= ms <= rec["end_ms"] - rec["start_ms"], (ms, rec["end_ms"] - rec["start_ms"]))
            self.assertTrue(0 < rss <= rec["peak_rss"], (rss, rec["peak_rss"]))
        times = [ms for ms, _ in samples]
        self.assertEqual(times, sorted(set(times)))  # increasing

    def test_samples_follow_a_job_that_allocates_in_steps(self):
        # 4 steps of 40 MiB, each held 0.4 s: about 1.7 s of job, more polls than the bound keeps, so the
        # samples are thinned, yet each step must show, rising, from the job's start to its end.
        steps, size = 4, 40
        marks_file = self.dir / "marks.json"
        proc = launch(self.plan, "compile", *self.py(ALLOCATE_IN_STEPS, steps, size, 0.4, marks_file), "-o", "steps.o")
        self.assertOk(proc)
        [rec] = read_log(self.log)
        self.assertEqual(list(rec), RECORD_FIELDS)
        self.assertSamplesWellFormed(rec)
        written = json.loads(marks_file.read_text())
        marks = [[b - rec["start_ms"], e - rec["start_ms"]] for b, e in written["steps"]]
        samples = rec["samples"]
        # Between the end of step i's allocation and the start of step i+1's, the job holds i+1 blocks (and the
        # interpreter, well under OVERHEAD): every sample there is in that band, so the steps cannot overlap.
        # 5 ms each side for the clocks (the samples' steady clock against the wall clock of start_ms).
        for i, (_, done) in enumerate(marks):
            until = marks[i + 1][0] if i + 1 < steps else written["held_until"] - rec["start_ms"]
            held = [rss for ms, rss in samples if done + 5 <= ms <= until - 5]
            self.assertTrue(held, f"no sample while step {i + 1} was held ({done:.0f}..{until:.0f} ms): {samples}")
            for rss in held:
                self.assertGreaterEqual(rss, (i + 1) * size * MiB, f"step {i + 1}: {samples}")
                self.assertLess(rss, (i + 1) * size * MiB + OVERHEAD, f"step {i + 1}: {samples}")
        # The samples span the job: the first before the second step began (a loaded machine may start the
        # first poll late), the last after the last step was resident.
        self.assertLess(samples[0][0], marks[1][0], samples)
        self.assertGreater(samples[-1][0], marks[-1][1], samples)
        self.assertGreaterEqual(max(rss for _, rss in samples), steps * size * MiB)
        # The table report reads the log as before.
        report = helper("buildmem", "report", "--plan", self.plan)
        self.assertOk(report)
        self.assertIn("steps.o", report.stdout)

    def test_a_short_job_gets_at_least_one_sample(self):
        for _ in range(3):
            self.assertOk(launch(self.plan, "compile", "true", "-o", "t.o"))
        recs = read_log(self.log)
        self.assertEqual(len(self.log.read_text().splitlines()), 3)  # one line a job, as before
        for rec in recs:
            self.assertEqual(list(rec), RECORD_FIELDS)
            self.assertGreater(rec["peak_rss"], 0)
            self.assertSamplesWellFormed(rec)

    # --- real compilers -----------------------------------------------------------------------------------

    def test_real_gxx_compile_and_link(self):
        (self.dir / "inc").mkdir()
        (self.dir / "inc" / "v.h").write_text("#define VALUE 42\n")
        (self.dir / "x.cpp").write_text('#include <cstdio>\n#include "v.h"\n'
                                        'int main() { std::printf("%d\\n", VALUE); return 0; }\n')
        proc = launch(self.plan, "compile", "g++", "-Iinc", "-DX=1", "-MD", "-MT", "x.o", "-MF", "x.o.d", "-c",
                      "x.cpp", "-o", "x.o", cwd=self.dir)
        self.assertOk(proc)
        self.assertTrue((self.dir / "x.o").exists())
        self.assertTrue((self.dir / "x.o.d").exists())
        proc = launch(self.plan, "link", "g++", "x.o", "-o", "x", cwd=self.dir)
        self.assertOk(proc)
        self.assertEqual(subprocess.run([self.dir / "x"], stdout=subprocess.PIPE, text=True).stdout, "42\n")
        compile_rec, link_rec = read_log(self.log)
        self.assertEqual((compile_rec["kind"], compile_rec["source"], compile_rec["output"]), ("compile", "x.cpp", "x.o"))
        self.assertEqual(compile_rec["command"][:3], ["g++", "-Iinc", "-DX=1"])
        self.assertEqual((link_rec["kind"], link_rec["source"], link_rec["output"]), ("link", None, "x"))
        # The same compile's largest process (cc1plus), measured by getrusage in a separate Python: the
        # tree's peak is at least that (a run-to-run difference of a few MiB allowed).
        probe = subprocess.run([sys.executable, "-c", textwrap.dedent("""
            import resource, subprocess, sys
            subprocess.run(sys.argv[1:], check=True)
            print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
        """), "g++", "-Iinc", "-DX=1", "-c", "x.cpp", "-o", "y.o"], cwd=self.dir, stdout=subprocess.PIPE,
                               text=True, check=True)
        largest = int(probe.stdout)
        self.assertGreater(largest, 5 * MiB)
        self.assertGreaterEqual(compile_rec["peak_rss"], largest - 4 * MiB)
        self.assertLessEqual(compile_rec["peak_rss"], 3 * largest)

    def test_ccache_chained_after_the_launcher(self):
        (self.dir / "y.cpp").write_text("int f(int a) { return a * 3; }\n")
        env = dict(os.environ, CCACHE_DIR=str(self.dir / "ccache"), CCACHE_NOHASHDIR="1")
        for _ in range(2):
            proc = launch(self.plan, "compile", "ccache", "g++", "-c", "y.cpp", "-o", "y.o", cwd=self.dir, env=env)
            self.assertOk(proc)
            self.assertTrue((self.dir / "y.o").exists())
        records = read_log(self.log)
        self.assertEqual(len(records), 2)
        for rec in records:
            self.assertEqual((rec["source"], rec["output"]), ("y.cpp", "y.o"))
            self.assertEqual(rec["command"][:2], ["ccache", "g++"])
            self.assertGreater(rec["peak_rss"], 1 * MiB)
        # ccache really ran: one miss, then one hit.
        stats = subprocess.run(["ccache", "--print-stats"], env=env, stdout=subprocess.PIPE, text=True,
                               check=True).stdout
        counters = dict(line.split("\t", 1) for line in stats.splitlines() if "\t" in line)
        self.assertEqual(int(counters["cache_miss"]), 1, stats)
        self.assertEqual(int(counters["direct_cache_hit"]) + int(counters["preprocessed_cache_hit"]), 1, stats)

    # --- exit codes, signals, errors ------------------------------------------------------------------------

    def test_exit_codes_and_output_pass_through(self):
        proc = launch(self.plan, "compile", "sh", "-c", "echo to-out; echo to-err >&2; exit 3")
        self.assertEqual(proc.returncode, 3)
        self.assertEqual(proc.stdout, "to-out\n")
        self.assertEqual(proc.stderr, "to-err\n")
        proc = launch(self.plan, "link", "sh", "-c", "kill -TERM $$")
        self.assertEqual(proc.returncode, 128 + signal.SIGTERM)
        self.assertEqual(proc.stderr, "")  # only SIGKILL gets the OOM message
        first, second = read_log(self.log)
        self.assertEqual((first["exit_code"], first["signal"]), (3, None))
        self.assertEqual((second["exit_code"], second["signal"]), (143, signal.SIGTERM))

    def test_a_missing_command_exits_127_and_a_non_executable_126(self):
        proc = launch(self.plan, "compile", "no-such-compiler-xyz", "-c", "a.cpp")
        self.assertFails(proc, 127)
        self.assertEqual(proc.stderr, f"buildbudget: error: no-such-compiler-xyz: {os.strerror(errno.ENOENT)}\n")
        script = self.dir / "not-executable.sh"
        script.write_text("exit 0\n")
        proc = launch(self.plan, "compile", script)
        self.assertFails(proc, 126)
        self.assertEqual(proc.stderr, f"buildbudget: error: {script}: {os.strerror(errno.EACCES)}\n")
        self.assertFalse(self.log.exists())  # nothing ran, nothing recorded

    def test_bad_plans_and_usage(self):
        marker = self.dir / "ran"
        proc = launch(self.dir / "missing.json", "compile", *self.py(TOUCH, marker))
        self.assertFails(proc, 1)
        self.assertEqual(proc.stderr,
                         f"buildbudget: error: {self.dir / 'missing.json'}: cannot read: {os.strerror(errno.ENOENT)}\n")
        bad = self.dir / "bad.json"
        truncated = '{"schema": "buildbudget-lowmem-plan/1", "log": 5'
        bad.write_text(truncated)
        proc = launch(bad, "compile", *self.py(TOUCH, marker))
        self.assertFails(proc, 1)
        # nlohmann/json counts the end of input as the byte after the last one.
        self.assertIn(f"buildbudget: error: {bad}: byte {len(truncated) + 1}: not valid JSON", proc.stderr)
        bad.write_text(json.dumps(dict(self.plan_data, memory_limit="4GiB")))
        proc = launch(bad, "compile", *self.py(TOUCH, marker))
        self.assertFails(proc, 1)
        self.assertEqual(proc.stderr, f'buildbudget: error: {bad}: "memory_limit" must be a number of bytes '
                                      f'(a non-negative integer), got "4GiB"\n')
        self.assertFalse(marker.exists())  # a bad plan runs nothing
        proc = launch(self.plan, "archive", "true")
        self.assertFails(proc, 2)
        self.assertIn("--kind", proc.stderr)

    def test_sigkill_names_the_job_its_peak_and_the_pool_that_fits(self):
        plan = write_plan(self.plan, self.log, memory_limit=1 * GiB, reserve=256 * MiB, compile_jobs=4)
        out = self.dir / "self.json"
        proc = launch(self.plan, "compile", *self.py(ALLOCATE_AND_DIE, 200, out), "-o", "big.o", "src/big.cpp")
        self.assertFails(proc, 137)
        [rec] = read_log(self.log)
        self.assertEqual((rec["source"], rec["output"], rec["signal"], rec["exit_code"]),
                         ("src/big.cpp", "big.o", signal.SIGKILL, 137))
        reported = json.loads(out.read_text())
        self.assertGreaterEqual(rec["peak_rss"], reported["VmRSS"])
        self.assertLessEqual(rec["peak_rss"], reported["VmHWM"] + OVERHEAD)
        pool = max(1, (plan["memory_limit"] - plan["reserve"]) // rec["peak_rss"])
        self.assertEqual(pool, 3)  # 768 MiB / ~215 MiB
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        message = lines[0]
        self.assertTrue(message.startswith("buildbudget: error: compile of src/big.cpp (output big.o) was killed by "
                                           "SIGKILL, most likely by the kernel's OOM killer"), message)
        self.assertIn(f"({rec['peak_rss']} bytes)", message)
        self.assertIn(f"a compile pool of {pool} jobs would fit", message)
        self.assertIn(f"the plan {self.plan} has 4", message)
        self.assertIn(f"-j{pool}", message)

    def test_gcc_whose_cc1plus_the_oom_killer_kills(self):
        # GCC's driver survives the kill of cc1plus and exits 1 ("Killed signal terminated program
        # cc1plus"): the launcher sees a failed job while the kernel's oom_kill count rises. The count is
        # read under the plan's probe root; a stand-in cc1plus (found first through g++ -B) allocates
        # 150 MiB, raises the fake count as the kernel would, and dies by SIGKILL.
        root = self.dir / "root"
        (root / "proc").mkdir(parents=True)
        vmstat = root / "proc" / "vmstat"
        vmstat.write_text("nr_free_pages 1000\noom_kill 7\nnr_zone_active_file 3\n")
        plan = write_plan(self.plan, self.log, memory_limit=2 * GiB, reserve=512 * MiB, compile_jobs=2,
                          probe_root=root)
        fake = self.dir / "fake-gcc"
        fake.mkdir()
        (fake / "cc1plus").write_text(f"#!{sys.executable}\n" + textwrap.dedent(f"""
            import os, signal
            data = bytearray(b"\\x01") * (150 << 20)
            with open({str(vmstat)!r} + ".tmp", "w") as f:
                f.write("nr_free_pages 1000\\noom_kill 8\\nnr_zone_active_file 3\\n")
            os.replace({str(vmstat)!r} + ".tmp", {str(vmstat)!r})
            os.kill(os.getpid(), signal.SIGKILL)
        """))
        (fake / "cc1plus").chmod(0o755)
        (self.dir / "x.cpp").write_text("int main() { return 0; }\n")
        proc = launch(self.plan, "compile", "g++", f"-B{fake}/", "-c", "x.cpp", "-o", "x.o", cwd=self.dir)
        self.assertFails(proc, 1)
        self.assertIn("g++: fatal error: Killed signal terminated program cc1plus", proc.stderr)  # GCC's own
        [rec] = read_log(self.log)
        self.assertEqual((rec["exit_code"], rec["signal"], rec["oom_kills"]), (1, None, 1))
        self.assertGreaterEqual(rec["peak_rss"], 150 * MiB)
        pool = max(1, (plan["memory_limit"] - plan["reserve"]) // rec["peak_rss"])
        ours = [line for line in proc.stderr.splitlines() if line.startswith("buildbudget:")]
        self.assertEqual(len(ours), 1, proc.stderr)
        # This fake root has no cgroup files: the host-wide count, and the message says so.
        self.assertTrue(ours[0].startswith(
            f"buildbudget: error: compile of x.cpp (output x.o) failed (exit 1) while the kernel's OOM killer killed "
            f"1 process on the host (oom_kill in {root}/proc/vmstat: there is no memory cgroup OOM counter for this "
            f"build, so the host-wide count may be another program's kill), possibly one of its own"), ours[0])
        self.assertIn(f"({rec['peak_rss']} bytes); a compile pool of {pool} job", ours[0])
        # A plain compile error while the count stays: no OOM message, not counted as killed.
        (self.dir / "bad.cpp").write_text("int main() { return nope; }\n")
        proc = launch(self.plan, "compile", "g++", "-c", "bad.cpp", "-o", "bad.o", cwd=self.dir)
        self.assertFails(proc, 1)
        self.assertIn("bad.cpp:1:21: error:", proc.stderr)  # GCC's own message
        self.assertNotIn("buildbudget:", proc.stderr)
        self.assertEqual(read_log(self.log)[-1]["oom_kills"], 0)

    def test_an_oom_kill_in_another_cgroup_is_not_blamed_on_a_failing_compile(self):
        # Issue 14, defect 3: on a shared runner another cgroup's OOM kill raises the host's count
        # (/proc/vmstat) while a compile here fails with a plain error. The launcher runs in a real memory
        # cgroup of its own; a process in a second cgroup is OOM-killed while the compile waits; then the
        # compile fails with GCC's own error.
        (self.dir / "bad.cpp").write_text("int main() { return nope; }\n")
        ready, release = self.dir / "ready", self.dir / "release"
        write_plan(self.plan, self.log, memory_limit=2 * GiB)  # the cgroup's: no warning about a lower limit
        with MemoryCgroup(f"bb-launch-build-{os.getpid()}", 2 * GiB) as build, \
                MemoryCgroup(f"bb-launch-other-{os.getpid()}", 48 * MiB) as other:
            job = subprocess.Popen(build.argv(launch_cmd(self.plan, "compile", *self.py(
                READY_WAIT_EXEC, ready, release, "g++", "-c", "bad.cpp", "-o", "bad.o"))),
                cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_until(ready.exists, "the compile to start")
            host_before = oom_kill_line(pathlib.Path("/proc/vmstat").read_text())
            build_before, other_before = build.oom_kills(), other.oom_kills()
            victim = subprocess.run(other.argv([sys.executable, "-c", "data = bytearray(b'\\x01') * (400 << 20)"]),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(victim.returncode, -signal.SIGKILL, victim.stderr)
            # The kernel counted it: in the other cgroup and on the host, not in the compile's cgroup.
            self.assertEqual(other.oom_kills(), other_before + 1)
            self.assertGreater(oom_kill_line(pathlib.Path("/proc/vmstat").read_text()), host_before)
            self.assertEqual(build.oom_kills(), build_before)
            release.touch()
            out, err = job.communicate()
        self.assertEqual(job.returncode, 1, err)
        self.assertIn("bad.cpp:1:21: error:", err)  # GCC's own message
        self.assertNotIn("buildbudget:", err)
        [rec] = read_log(self.log)
        self.assertEqual((rec["source"], rec["exit_code"], rec["signal"], rec["oom_kills"]), ("bad.cpp", 1, None, 0))
        report = helper("buildmem", "report", "--plan", self.plan)
        self.assertOk(report)
        self.assertNotIn("OOM kill", report.stdout)
        self.assertLine(report.stdout, "Killed jobs: none")
        self.assertMatchesLine(report.stdout, r"bad\.cpp\s+\| bad\.o\s+\|.*\| exit 1")

    def test_an_oom_kill_in_the_jobs_own_cgroup_is_named_with_that_cgroup(self):
        # The same launcher in a real cgroup too small for the compile: a stand-in cc1plus (found first
        # through g++ -B) touches 300 MiB under a 128 MiB limit and the kernel OOM-kills it; GCC's driver
        # survives and exits 1, and the launcher reads the kill in its own cgroup's counter.
        fake = self.dir / "fake-gcc"
        fake.mkdir()
        (fake / "cc1plus").write_text(f"#!{sys.executable}\ndata = bytearray(b'\\x01') * (300 << 20)\n")
        (fake / "cc1plus").chmod(0o755)
        (self.dir / "x.cpp").write_text("int main() { return 0; }\n")
        write_plan(self.plan, self.log, memory_limit=128 * MiB, reserve=32 * MiB)  # the cgroup's limit
        with MemoryCgroup(f"bb-launch-own-{os.getpid()}", 128 * MiB) as build:
            before = build.oom_kills()
            proc = subprocess.run(build.argv(launch_cmd(self.plan, "compile", "g++", f"-B{fake}/", "-c", "x.cpp",
                                                        "-o", "x.o")),
                                  cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(build.oom_kills(), before + 1)
            counter = build.path / build.oom_kill_file
        self.assertFails(proc, 1)
        self.assertIn("g++: fatal error: Killed signal terminated program cc1plus", proc.stderr)
        [rec] = read_log(self.log)
        self.assertEqual((rec["exit_code"], rec["signal"], rec["oom_kills"]), (1, None, 1))
        ours = [line for line in proc.stderr.splitlines() if line.startswith("buildbudget:")]
        self.assertEqual(len(ours), 1, proc.stderr)
        self.assertTrue(ours[0].startswith(
            f"buildbudget: error: compile of x.cpp (output x.o) failed (exit 1) while the kernel's OOM killer killed "
            f"1 process in its cgroup (oom_kill in {counter}), most likely one of its own"), ours[0])

    def test_a_real_limit_below_the_plans_is_noticed_once_per_build(self):
        # Issue 14, defect 7: configure ran outside the cgroup (or its limit changed since), so the plan
        # says 4 GiB while the build runs under a real 3 GiB cgroup limit. Each "build" is a Python driver
        # running its jobs through the launcher one after another (as Ninja would, without the shell).
        plan = write_plan(self.plan, self.log, memory_limit=4 * GiB, reserve=512 * MiB, compile_memory=1 * GiB,
                          link_memory=2 * GiB, compile_jobs=3, link_jobs=1, cpus=2, admission=False)
        running = self.log.parent / "running"
        seen = self.dir / "seen.json"
        driver = textwrap.dedent("""
            import json, subprocess, sys
            results = []
            for job in json.loads(sys.argv[1]):
                p = subprocess.run(job, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                results.append({"code": p.returncode, "err": p.stderr})
            print(json.dumps(results))
        """)
        # The job lists the admission registrations while it runs: its own launcher's, once admission is on.
        list_running = f"import json, os; json.dump(os.listdir({str(running)!r}), open({str(seen)!r}, 'w'))"

        def build(cgroup, *jobs):
            proc = subprocess.run(cgroup.argv([sys.executable, "-c", driver, json.dumps(jobs)]), cwd=self.dir,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return json.loads(proc.stdout)

        limit = 3 * GiB
        reserve = min(plan["reserve"], limit // 2)
        compile_pool = min(max(1, (limit - reserve) // plan["compile_memory"]), plan["cpus"])
        link_pool = min(max(1, (limit - reserve) // plan["link_memory"]), plan["cpus"])
        self.assertEqual((compile_pool, link_pool), (2, 1))
        with MemoryCgroup(f"bb-launch-limit-{os.getpid()}", limit) as cgroup:
            first, second = build(cgroup, launch_cmd(self.plan, "compile", *self.py(list_running), "-o", "a.o"),
                                  launch_cmd(self.plan, "compile", "true", "-o", "b.o"))
            self.assertEqual((first["code"], second["code"]), (0, 0))
            warning = first["err"].splitlines()
            self.assertEqual(len(warning), 1, first["err"])
            self.assertEqual(second["err"], "")  # once per build, not once per job
            self.assertTrue(warning[0].startswith(
                f"buildbudget: warning: the memory limit is 3 GiB ({limit} bytes) now (cgroup v1 memory.limit_in_bytes "
                f"in {cgroup.path / 'memory.limit_in_bytes'})" if cgroup.limit_file == "memory.limit_in_bytes" else
                f"buildbudget: warning: the memory limit is 3 GiB ({limit} bytes) now (cgroup v2 memory.max in "
                f"{cgroup.path / 'memory.max'})"), warning[0])
            self.assertIn(f"below the 4 GiB the plan {self.plan} was made for", warning[0])
            self.assertIn(f"the pools would be compile {compile_pool} and link {link_pool} ((3 GiB limit - 512 MiB "
                          f"reserve) / 1 GiB per compile, 2 GiB per link, at most 2 CPUs), the plan has compile 3 and "
                          f"link 1", warning[0])
            self.assertIn("each job waits until the memory it is predicted to need is free (admission, off in the "
                          "plan)", warning[0])
            # Admission is on although the plan has it off: the job saw its launcher's registration.
            self.assertEqual(len([n for n in json.loads(seen.read_text()) if n.endswith(".json")]), 1)
            # The next build is told again, once; its killed job is judged by the real limit.
            out = self.dir / "self.json"
            third, fourth = build(cgroup, launch_cmd(self.plan, "compile", *self.py(ALLOCATE_AND_DIE, 200, out), "-o",
                                                     "big.o", "big.cpp"),
                                  launch_cmd(self.plan, "compile", "true", "-o", "c.o"))
        self.assertEqual((third["code"], fourth["code"]), (137, 0))
        lines = third["err"].splitlines()
        self.assertEqual(len(lines), 2, third["err"])
        self.assertTrue(lines[0].startswith("buildbudget: warning: the memory limit is 3 GiB"), lines[0])
        self.assertEqual(fourth["err"], "")
        peak = read_log(self.log)[-2]["peak_rss"]
        fits = (limit - reserve) // peak
        self.assertIn(f"a compile pool of {fits} jobs would fit ((3 GiB memory limit - 512 MiB reserve) / ", lines[1])
        self.assertEqual(len(list(self.log.parent.glob("limit-warned-*"))), 1)  # the first build's marker is gone
        # Outside the cgroup (no limit below the plan's): no warning, and the plan's admission (off) holds.
        proc = launch(self.plan, "compile", "true", "-o", "d.o")
        self.assertOk(proc)
        self.assertEqual(proc.stderr, "")

    def test_signals_to_the_launcher_reach_the_job(self):
        ready = self.dir / "ready"
        script = ("import os, signal, sys, time\n"
                  "signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))\n"
                  f"open({str(ready)!r}, 'w').close()\n"
                  "time.sleep(120)\n")
        p = subprocess.Popen(launch_cmd(self.plan, "compile", *self.py(script)), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        wait_until(ready.exists, "the job to start")
        p.send_signal(signal.SIGTERM)  # to the launcher only; it forwards to the job
        _, err = p.communicate()
        self.assertEqual(p.returncode, 42, err)
        [rec] = read_log(self.log)
        self.assertEqual((rec["exit_code"], rec["signal"]), (42, None))

    # --- admission --------------------------------------------------------------------------------------

    def admission_plan(self, root, timeout=600):
        return write_plan(self.plan, self.log, memory_limit=4 * GiB, compile_memory=1 * GiB, admission=True,
                          timeout=timeout, probe_root=root.path)

    def start_blocker(self):
        """A job that runs until released; returns (process, release file) once it is registered."""
        release = self.dir / "release"
        p = subprocess.Popen(launch_cmd(self.plan, "compile", *self.py(WAIT_FOR, release), "-o", "blocker.o"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        running = self.log.parent / "running"
        wait_until(lambda: (running / f"{p.pid}.json").exists(), "the blocker's registration")
        return p, release

    def finish(self, p):
        out, err = p.communicate()
        self.assertEqual(p.returncode, 0, err)
        return err

    def test_fake_probe_root_reads_as_the_test_computes(self):
        root = FakeRoot(self.dir / "root", limit=4 * GiB)
        root.set_free(1536 * MiB)
        proc = helper("buildmem", "probe", "--root", root.path, "--json")
        self.assertOk(proc)
        self.assertEqual(json.loads(proc.stdout)["memory"]["available"], 1536 * MiB)

    def test_admission_holds_a_job_until_the_memory_is_free(self):
        root = FakeRoot(self.dir / "root", limit=4 * GiB)
        self.admission_plan(root)
        blocker, release = self.start_blocker()
        # The blocker is predicted at 1 GiB (the plan's estimate) and holds a few MiB: ~1 GiB still to
        # come. 1.5 GiB free leaves ~0.5 GiB, less than the next job's 1 GiB.
        root.set_free(1536 * MiB)
        marker = self.dir / "second-ran"
        second = subprocess.Popen(launch_cmd(self.plan, "compile", *self.py(TOUCH, marker), "-o", "second.o"),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        note = second.stderr.readline()  # blocks until the launcher has decided to hold the job
        self.assertTrue(note.startswith("buildbudget: note: second.o waits for memory: 1.5 GiB free as the probe "
                                        "sees it,"), note)
        self.assertIn("1 running job, 1 GiB predicted", note)
        self.assertFalse(marker.exists())
        self.assertEqual(sorted(p.name for p in (self.log.parent / "running").glob("*.json")), [f"{blocker.pid}.json"])
        root.set_free(4 * GiB)  # ~3 GiB headroom now
        _, err = second.communicate()
        self.assertEqual(second.returncode, 0, note + err)
        self.assertTrue(marker.exists())
        self.assertEqual(err, "")  # no timeout note
        release.touch()
        self.finish(blocker)
        recs = {r["output"]: r for r in read_log(self.log)}
        self.assertEqual(recs["blocker.o"]["waited_ms"], 0)
        self.assertGreater(recs["second.o"]["waited_ms"], 0)
        self.assertEqual(list((self.log.parent / "running").glob("*.json")), [])  # both unregistered

    def test_admission_admits_at_once_when_nothing_else_runs(self):
        root = FakeRoot(self.dir / "root", limit=4 * GiB)
        root.set_free(10 * MiB)  # far below the 1 GiB predicted
        self.admission_plan(root, timeout=600)
        # A registration left by a launcher that died (a pid that does not exist) does not count.
        stale = self.log.parent / "running" / "999999999.json"
        stale.parent.mkdir(parents=True)
        stale.write_text('{"pid":999999999,"start_ticks":1,"name":"dead.o","predicted":8589934592,"since_ms":0}\n')
        marker = self.dir / "ran"
        proc = subprocess.run(launch_cmd(self.plan, "compile", *self.py(TOUCH, marker), "-o", "alone.o"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # No note: it was never held (a held job would wait out the 600 s admission timeout and say so).
        self.assertOk(proc)
        self.assertEqual(proc.stderr, "")
        self.assertTrue(marker.exists())
        self.assertFalse(stale.exists())

    def test_admission_timeout_runs_the_job_anyway_with_a_note(self):
        root = FakeRoot(self.dir / "root", limit=4 * GiB)
        self.admission_plan(root, timeout=1)
        blocker, release = self.start_blocker()
        root.set_free(512 * MiB)
        marker = self.dir / "ran"
        proc = subprocess.run(launch_cmd(self.plan, "compile", *self.py(TOUCH, marker), "-o", "late.o"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertOk(proc)
        self.assertTrue(marker.exists())
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 2, proc.stderr)
        self.assertTrue(lines[0].startswith("buildbudget: note: late.o waits for memory: 512 MiB free"), lines[0])
        self.assertTrue(lines[1].startswith("buildbudget: note: late.o admitted after waiting "), lines[1])
        self.assertIn("timeout_seconds 1)", lines[1])
        release.touch()
        self.finish(blocker)
        late = [r for r in read_log(self.log) if r["output"] == "late.o"][0]
        self.assertGreaterEqual(late["waited_ms"], 1000)

    def test_admission_predicts_from_the_last_recorded_peak(self):
        # A finished 300 MiB run of predicted.o is in the log: 0.5 GiB headroom now suffices for it,
        # where the plan's 1 GiB estimate would not.
        root = FakeRoot(self.dir / "root", limit=4 * GiB)
        self.admission_plan(root)
        with open(self.log, "a") as f:
            f.write(json.dumps({"kind": "compile", "source": "p.cpp", "output": "predicted.o", "command": ["g++"],
                                "start_ms": 1, "end_ms": 2, "peak_rss": 300 * MiB, "exit_code": 0, "signal": None,
                                "waited_ms": 0}) + "\n")
        blocker, release = self.start_blocker()
        root.set_free(1536 * MiB)
        proc = subprocess.run(launch_cmd(self.plan, "compile", "true", "-o", "predicted.o"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        self.assertOk(proc)
        self.assertEqual(proc.stderr, "")  # admitted at the first decision
        release.touch()
        self.finish(blocker)


def sweep(records):
    """The concurrency peak as doc/lowmem.md ("The job launcher") defines it: jobs occupy [start, max(end, start + 1)), ends
    before starts in the same millisecond; returns (peak bytes, time, outputs running then)."""
    events = []
    for i, r in enumerate(records):
        events.append((r["start_ms"], 1, i))
        events.append((max(r["end_ms"], r["start_ms"] + 1), 0, i))
    events.sort()
    running, total, best = set(), 0, (0, None, [])
    times = sorted({e[0] for e in events})
    for t in times:
        for at, is_start, i in events:
            if at != t:
                continue
            if is_start:
                running.add(i)
                total += records[i]["peak_rss"]
            else:
                running.discard(i)
                total -= records[i]["peak_rss"]
        if running and (best[1] is None or total > best[0]):
            best = (total, t, sorted(running))
    return best


class BuildmemReport(TestCase):
    def setUp(self):
        self.dir = fresh_dir("buildmem-report", self._testMethodName)
        self.log = self.dir / "jobs.jsonl"
        self.plan = self.dir / "plan.json"
        self.plan_data = write_plan(self.plan, self.log, memory_limit=8 * GiB, reserve=1 * GiB, compile_jobs=4,
                                    link_jobs=2, cpus=6)

    def records(self):
        """A build of 14 compiles on up to 3 workers and 2 links, one compile killed, one file rebuilt."""
        recs, t0 = [], 1_700_000_000_000
        workers = [t0, t0, t0]
        for i in range(14):
            w = min(range(3), key=lambda k: workers[k])
            start = workers[w]
            duration = 300 + (i * 137) % 900
            peak = (200 + (i * 89) % 700) * MiB
            recs.append({"kind": "compile", "source": f"src/f{i}.cpp", "output": f"obj/f{i}.o",
                         "command": ["ccache", "g++", "-c", f"src/f{i}.cpp", "-o", f"obj/f{i}.o"],
                         "start_ms": start, "end_ms": start + duration, "peak_rss": peak,
                         "exit_code": 137 if i == 5 else 0, "signal": 9 if i == 5 else None, "waited_ms": 0})
            workers[w] = start + duration
        end = max(workers)
        recs.append({"kind": "link", "source": None, "output": "bin/app", "command": ["g++", "-o", "bin/app"],
                     "start_ms": end, "end_ms": end + 2000, "peak_rss": 1800 * MiB, "exit_code": 0, "signal": None,
                     "waited_ms": 0})
        recs.append({"kind": "link", "source": None, "output": "bin/tool", "command": ["g++", "-o", "bin/tool"],
                     "start_ms": end, "end_ms": end + 500, "peak_rss": 400 * MiB, "exit_code": 0, "signal": None,
                     "waited_ms": 0})
        # A later rebuild of f3: the report shows this run, not the first one.
        recs.append(dict(recs[3], start_ms=end + 5000, end_ms=end + 5400, peak_rss=50 * MiB))
        return recs

    def write_log(self, recs):
        self.log.write_text("".join(json.dumps(r) + "\n" for r in recs))

    def test_json_report_against_this_tests_own_computation(self):
        recs = self.records()
        self.write_log(recs)
        proc = helper("buildmem", "report", "--plan", self.plan, "--json", "--top", "5")
        self.assertOk(proc)
        rep = json.loads(proc.stdout)
        self.assertEqual(rep["schema"], "buildbudget-buildmem-report/1")
        self.assertEqual(rep["log"], str(self.log))
        self.assertEqual(rep["records"], len(recs))
        latest = {}
        for r in recs:
            latest[(r["kind"], r["output"])] = r
        compiles = sorted((r for (k, _), r in latest.items() if k == "compile"), key=lambda r: (-r["peak_rss"], r["output"]))
        self.assertEqual(rep["compile_outputs"], 14)
        self.assertEqual([(c["output"], c["peak_rss"]) for c in rep["compiles"]],
                         [(c["output"], c["peak_rss"]) for c in compiles[:5]])
        self.assertEqual([l["output"] for l in rep["links"]], ["bin/app", "bin/tool"])
        peak, at, running = sweep(recs)
        self.assertEqual(rep["concurrency"]["peak_bytes"], peak)
        self.assertEqual(rep["concurrency"]["at_ms"], at)
        self.assertEqual(sorted(j["output"] for j in rep["concurrency"]["jobs"]), sorted(recs[i]["output"] for i in running))
        self.assertEqual(rep["concurrency"]["max_jobs"], 3)
        self.assertEqual([k["output"] for k in rep["killed"]], ["obj/f5.o"])
        # Pools: the heaviest finished latest run of each kind, (8 GiB - 1 GiB) / peak, capped at 6 CPUs.
        finished = [r for r in latest.values() if r["signal"] is None]
        for kind, planned in (("compile", 4), ("link", 2)):
            heaviest = max(r["peak_rss"] for r in finished if r["kind"] == kind)
            fit = max(1, (7 * GiB) // heaviest)
            pool = rep["pools"][kind]
            self.assertEqual((pool["heaviest"], pool["memory_fit"], pool["pool"], pool["planned"]),
                             (heaviest, fit, min(fit, 6), planned))

    def test_text_report(self):
        recs = self.records()
        self.write_log(recs)
        proc = helper("buildmem", "report", "--log", self.log, "--top", "3")
        self.assertOk(proc)
        text = proc.stdout
        self.assertLine(text, f"Job log: {self.log} (17 records: 15 compiles, 2 links)")
        self.assertLine(text, "Heaviest compiles (3 of 14, the latest run of each output, heaviest first):")
        heaviest = max((r for r in recs if r["kind"] == "compile"), key=lambda r: r["peak_rss"])
        self.assertMatchesLine(text, rf"{heaviest['source']}\s+\| {heaviest['output']}\s+\|.*\({heaviest['peak_rss']}\) \|.*")
        peak, _, running = sweep(recs)
        self.assertIn(f"({peak}) at ", text)
        self.assertIn(f", {len(running)} jobs: ", text)
        self.assertMatchesLine(text, r"compile \| src/f5\.cpp \| obj/f5\.o \| killed by SIGKILL \|.*")
        self.assertNotIn("Pools from the recorded peaks", text)  # no plan

    def test_bad_logs_and_usage(self):
        recs = self.records()[:3]
        self.log.write_text(json.dumps(recs[0]) + "\n" + json.dumps(recs[1])[:-1] + "\n" + json.dumps(recs[2]) + "\n")
        proc = helper("buildmem", "report", "--log", self.log)
        self.assertFails(proc, 1)
        self.assertTrue(proc.stderr.startswith(f"buildbudget: error: {self.log}:2:"), proc.stderr)
        self.assertIn("not valid JSON", proc.stderr)
        proc = helper("buildmem", "report", "--log", self.dir / "none.jsonl")
        self.assertFails(proc, 1)
        self.assertIn(f"{self.dir / 'none.jsonl'}: cannot read", proc.stderr)
        # With the plan, a build that has not run yet is not an error.
        fresh = self.dir / "fresh-plan.json"
        write_plan(fresh, self.dir / "not-built" / "jobs.jsonl")
        proc = helper("buildmem", "report", "--plan", fresh)
        self.assertOk(proc)
        self.assertIn("no job recorded yet", proc.stdout)
        self.assertFails(helper("buildmem", "report"), 2)
        self.assertFails(helper("buildmem", "report", "--plan", self.plan, "--log", self.log), 2)


if __name__ == "__main__":
    unittest.main()
