#!/usr/bin/env python3
"""The same heavy build several ways inside one memory limit (Python 3 standard library only).

What it measures
----------------
--project example (the default) builds examples/lowmem, below; --project googletest builds a real
third-party project instead: googletest's sources as Debian's googletest package ships them
(/usr/src/googletest, unedited, with its samples: -Dgtest_build_samples=ON, RelWithDebInfo), 18
units, 4 static libraries and 10 test programs. lowmem_profile() is then injected with the
package's lowmem-inject.cmake (-DCMAKE_PROJECT_INCLUDE), and two more ways are useful:

  j1       the default build's flags, `ninja -j1`.
  learned  the lowmem way's build tree again after `ninja -t clean`: its configure learns from the
           job log of the lowmem build (doc/lowmem.md, "Learning from the last build"), then `ninja`.
           Needs the lowmem way before it in --ways.

--default-jobs N gives the default way `ninja -jN` (the issue's "default -j2"; without it, Ninja's
own default, 3 on 2 CPUs). The default limit of googletest is 540 MiB, where its default -j2 build
is OOM-killed (tests/test_lowmem_thirdparty.py uses the same). The "total" column is the example's
only.

examples/lowmem (LOWMEM_EXAMPLE_UNITS heavy C++ translation units, each a
GCC -O2 compile of about a gigabyte, linked into a shared library and a
program) is configured and built from scratch three ways, each inside a new
memory cgroup with the same limit, set below what the default build needs:

  default  plain CMake + Ninja: -DLOWMEM_EXAMPLE_PROFILE=OFF (no
           lowmem_profile() call), the example's RelWithDebInfo (-O2 -g),
           `ninja` with its default parallelism (CPUs + 1 on 2 CPUs, else
           CPUs + 2).
  seeds    what the seed documents prescribe for builds that run out of
           memory (../shared/seeds 002 and 003), applied to this build:
           one job at a time (`ninja -j1`; seed 003 "jobs = 1"), no debug
           information (-g0; seed 003 "Desabilitação de debug info"), GNU ld's
           -Wl,--no-keep-memory -Wl,--reduce-memory-overheads (seed 002) for
           the shared library and the program, and `ulimit -v` set to the
           memory limit (seed 002 sets it to its container's memory, 6 GiB),
           also with -DLOWMEM_EXAMPLE_PROFILE=OFF.
  lowmem   the example as shipped: lowmem_profile(MEMORY_LIMIT auto
           DEBUG_INFO line-tables LTO off LAUNCHER ON ADMISSION ON ...), then
           plain `ninja`. The configure step runs inside the cgroup too, so
           MEMORY_LIMIT auto finds the limit (through /proc/self/cgroup), and
           the job pools, flags and the launcher's admission follow from it.

Before the three, two reference measurements without a limit (--no-reference
skips the second):

  unit     one heavy unit compiled alone with the default build's command
           (from its compile_commands.json): peak RSS from wait4()'s
           ru_maxrss, which covers cc1plus.
  reference the default build in a cgroup without a limit: the memory it
           needs (the cgroup's peak) and its wall time.

The limit (--limit, default 2.5 x the unit's peak, rounded down to a MiB)
sits between what two such compiles need and what Ninja's default three need
on this 2-CPU machine: the default build cannot fit, one job at a time fits
easily, and lowmem_profile()'s estimate (1.1 GiB per compile with line
tables, a reserve of the larger of 512 MiB and 10 %) gives a pool of 2 when
the limit is at least 2.75 GiB. With other CPU counts or another compiler,
give --limit.

Per way it reports: whether the build finished; the jobs that failed (Ninja's
FAILED: lines) and those killed (g++'s "Killed signal terminated program",
the launcher's "was killed by SIGKILL" message); the OOM kills the cgroup
counted; the cgroup's peak memory (cgroup v1 memory.max_usage_in_bytes; v2
memory.peak, else the largest memory.current sampled every 20 ms; both count
the page cache the build touched as well as RSS); the build's wall time
(time.perf_counter() around `ninja`; the configure step, timed apart, is not
included); the CPU time the build used (user + system of every process it
ran, from getrusage(RUSAGE_CHILDREN)) and the CPU time the rest of the machine
used meanwhile (the busy time in /proc/stat minus the build's: other
processes slow a parallel build more than a -j1 one, so a wall time is only
comparable with the others' CPU beside it); and for a finished build the
program's "total" line, which must be the same for all ways. The lowmem row also gives the pools from
buildbudget-lowmem/plan.json and the heaviest compile from the launcher's
job log.

Cgroups: this machine (and most containers run as root) has cgroup v1's
memory controller at /sys/fs/cgroup/memory; cgroup v2 is supported too. Each
step gets its own cgroup, made under --cgroup-parent (default: the memory
cgroup this script runs in, so the limits of its ancestors still hold), named
buildbudget-bench-<pid>-<way>-<step>. Its limit is memory.limit_in_bytes (and
memory.memsw.limit_in_bytes when swap is accounted) in v1, memory.max (and
memory.swap.max 0) in v2. The command joins it by writing its own pid to
cgroup.procs before exec. Every cgroup made is removed at the end, also after
an error or Ctrl-C (processes still in it are killed first). Needs root.

How to run
----------
  sudo bench/lowmem_build.py --prefix <installed BuildBudget>
  sudo bench/lowmem_build.py --prefix <prefix> --limit 2.9GiB --json lowmem.json
  sudo bench/lowmem_build.py --ways lowmem --units 4 --weight 600   # a quick look

Without --prefix the package is built and installed from the checkout that
contains this script, into the work directory. --work DIR keeps the build
trees and logs (default: a temporary directory, removed at the end). Needs
cmake (3.21+), ninja, g++ and root.
"""
import argparse
import json
import os
import pathlib
import platform
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

CHECKOUT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE = CHECKOUT / "examples" / "lowmem"
KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
SEED_LINK_FLAGS = "-Wl,--no-keep-memory -Wl,--reduce-memory-overheads"
WAYS = ("default", "seeds", "lowmem", "j1", "learned")
GOOGLETEST = pathlib.Path("/usr/src/googletest")
UNIT_FILE = {"example": "unit_00.cpp", "googletest": "gtest-all.cc"}
UNITS = {"": 1, "B": 1, "K": KiB, "KB": KiB, "KIB": KiB, "M": MiB, "MB": MiB, "MIB": MiB,
         "G": GiB, "GB": GiB, "GIB": GiB}


def log(message):
    print(message, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


def parse_size(text):
    """'2.9GiB', '3000M', '3145728000' -> bytes. K/M/G and KB/MB/GB are powers of 1024 here."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    if not m or m.group(2).upper() not in UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (expected e.g. 2.9GiB, 3000MiB or a byte count)")
    return int(float(m.group(1)) * UNITS[m.group(2).upper()])


def human(n):
    if n is None:
        return "-"
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n} B"


def read(path):
    with open(path) as f:
        return f.read()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------- cgroups

def own_memory_cgroup():
    """(version, directory of the memory cgroup this process is in, mount point of that hierarchy)."""
    mounts = []  # (fstype, mount point, mount root, super options)
    for line in read("/proc/self/mountinfo").splitlines():
        fields = line.split()
        sep = fields.index("-")
        mounts.append((fields[sep + 1], fields[4], fields[3], fields[sep + 3] if len(fields) > sep + 3 else ""))
    memberships = [line.split(":", 2) for line in read("/proc/self/cgroup").splitlines() if line]

    def directory(mount_point, mount_root, path):
        rel = os.path.relpath(path, mount_root) if path.startswith(mount_root) else path.lstrip("/")
        return os.path.normpath(os.path.join(mount_point, "" if rel == "." else rel))

    for fstype, point, root, opts in mounts:
        if fstype == "cgroup" and "memory" in opts.split(","):
            for _, controllers, path in memberships:
                if "memory" in controllers.split(","):
                    return "v1", directory(point, root, path), point
    for fstype, point, root, _ in mounts:
        if fstype == "cgroup2" and "memory" in read(os.path.join(point, "cgroup.controllers")).split():
            for hid, controllers, path in memberships:
                if hid == "0" and controllers == "":
                    return "v2", directory(point, root, path), point
    raise BenchError("no cgroup memory controller: /proc/self/mountinfo has neither a cgroup v1 'memory' "
                     "hierarchy nor a cgroup2 mount whose cgroup.controllers lists memory")


class Cgroup:
    """A memory cgroup made for one step, with a limit (None: no limit), removed by remove()."""

    made = []  # every cgroup made and not yet removed, for the clean-up at exit

    def __init__(self, version, parent, name, limit):
        self.version, self.limit = version, limit
        self.path = os.path.join(parent, name)
        self._sampled, self._sampler, self._stop = 0, None, threading.Event()
        if version == "v2":
            control = os.path.join(parent, "cgroup.subtree_control")
            if "memory" not in read(control).split():
                try:
                    write(control, "+memory")
                except OSError as e:
                    raise BenchError(f"{control}: cannot enable the memory controller for children ({e.strerror}); "
                                     "a cgroup v2 parent with processes of its own cannot have controlled "
                                     "children: give --cgroup-parent a cgroup without processes") from e
        try:
            os.mkdir(self.path)
        except OSError as e:
            raise BenchError(f"{self.path}: cannot create the cgroup ({e.strerror}); the benchmark needs root") from e
        Cgroup.made.append(self)
        if limit is not None:
            if version == "v1":
                write(self.file("memory.limit_in_bytes"), str(limit))
                if os.path.exists(self.file("memory.memsw.limit_in_bytes")):
                    try:  # no swapping around the limit, where swap is accounted
                        write(self.file("memory.memsw.limit_in_bytes"), str(limit))
                    except OSError:
                        pass
            else:
                write(self.file("memory.max"), str(limit))
                if os.path.exists(self.file("memory.swap.max")):
                    write(self.file("memory.swap.max"), "0")

    def file(self, name):
        return os.path.join(self.path, name)

    def wrap(self, cmd, ulimit_v=None):
        """`cmd` run by a shell that first moves itself into this cgroup (and sets ulimit -v in KiB)."""
        script = 'echo $$ > "$0" || exit 125\n'
        if ulimit_v is not None:
            script += f"ulimit -v {int(ulimit_v)} || exit 125\n"
        return ["/bin/sh", "-c", script + 'exec "$@"', self.file("cgroup.procs"), *map(str, cmd)]

    def start_sampling(self):
        """cgroup v2 without memory.peak: the largest memory.current, sampled every 20 ms."""
        if self.version == "v2" and not os.path.exists(self.file("memory.peak")):
            def sample():
                while not self._stop.wait(0.02):
                    try:
                        self._sampled = max(self._sampled, int(read(self.file("memory.current"))))
                    except (OSError, ValueError):
                        pass
            self._sampler = threading.Thread(target=sample, daemon=True)
            self._sampler.start()

    def peak(self):
        if self._sampler:
            self._stop.set()
            self._sampler.join()
            self._sampler = None
        if self.version == "v1":
            return int(read(self.file("memory.max_usage_in_bytes")))
        if os.path.exists(self.file("memory.peak")):
            return int(read(self.file("memory.peak")))
        return self._sampled

    def oom_kills(self):
        name = "memory.oom_control" if self.version == "v1" else "memory.events"
        try:
            for line in read(self.file(name)).splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except OSError:
            pass
        return None

    def remove(self):
        if self not in Cgroup.made:
            return
        if self._sampler:
            self._stop.set()
            self._sampler.join()
        for _ in range(50):
            try:
                pids = [int(p) for p in read(self.file("cgroup.procs")).split()]
            except OSError:
                pids = []
            for pid in pids:  # the build's own processes, left behind
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.rmdir(self.path)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)
        else:
            log(f"lowmem_build.py: warning: could not remove the cgroup {self.path}")
        Cgroup.made.remove(self)

    @classmethod
    def remove_all(cls):
        for cgroup in list(cls.made):
            cgroup.remove()


# ---------------------------------------------------------------- steps

def run(cmd, env, log_file=None, cwd=None):
    """Runs `cmd`; returns (exit code, output, seconds). The output also goes to `log_file`."""
    start = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    if log_file:
        with open(log_file, "a") as f:
            f.write(f"$ {shlex.join(str(c) for c in cmd)}\n{proc.stdout}[exit {proc.returncode}, {elapsed:.1f} s]\n")
    return proc.returncode, proc.stdout, elapsed


def checked(cmd, env, log_file=None):
    rc, out, _ = run(cmd, env, log_file)
    if rc != 0:
        raise BenchError(f"`{shlex.join(map(str, cmd))}` exited with {rc}:\n{out[-4000:]}")
    return out


def install_package(args, env, work):
    build, prefix = work / "package-build", work / "package-prefix"
    log(f"building and installing BuildBudget from {CHECKOUT} into {prefix} ...")
    checked([args.cmake, "-S", CHECKOUT, "-B", build, "-G", "Ninja", "-DBUILD_TESTING=OFF"], env)
    checked([args.cmake, "--build", build], env)
    checked([args.cmake, "--install", build, "--prefix", prefix], env)
    return prefix


def configure_args(args, way, build):
    if args.project == "googletest":
        cmd = [args.cmake, "-S", GOOGLETEST, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
               "-Dgtest_build_samples=ON", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"]
        if way in ("lowmem", "learned"):
            cmd.append(f"-DCMAKE_PROJECT_INCLUDE={args.prefix}/lib/cmake/BuildBudget/lowmem-inject.cmake")
    else:
        cmd = [args.cmake, "-S", EXAMPLE, "-B", build, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={args.prefix}",
               f"-DLOWMEM_EXAMPLE_UNITS={args.units}", f"-DLOWMEM_EXAMPLE_WEIGHT={args.weight}",
               "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"]
        if way in ("default", "reference", "seeds", "j1"):
            cmd.append("-DLOWMEM_EXAMPLE_PROFILE=OFF")
    if way == "seeds":
        cmd += ["-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g0 -DNDEBUG",
                f"-DCMAKE_SHARED_LINKER_FLAGS={SEED_LINK_FLAGS}", f"-DCMAKE_EXE_LINKER_FLAGS={SEED_LINK_FLAGS}"]
    return cmd


def ninja_args(args, way, build):
    if way in ("seeds", "j1"):
        return [args.ninja, "-C", build, "-j1"]
    if way == "default" and args.default_jobs:
        return [args.ninja, "-C", build, f"-j{args.default_jobs}"]
    return [args.ninja, "-C", build]


def cpu_busy_seconds():
    """CPU-seconds the whole machine has spent busy since boot (/proc/stat: all but idle and iowait)."""
    fields = [int(v) for v in read("/proc/stat").splitlines()[0].split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def killed_jobs(output):
    """The failed outputs (Ninja's FAILED: lines) and the lines that say a job was killed."""
    failed = re.findall(r"^FAILED: (.*)$", output, re.M)
    killed = [line.strip() for line in output.splitlines()
              if "Killed signal terminated program" in line or "was killed by SIGKILL" in line]
    return failed, killed


def program_total(args, build, env):
    if args.project != "example":
        return None
    rc, out, _ = run([build / "lowmem_demo"], env)
    m = re.search(r"^total ([0-9a-f]{16})$", out, re.M)
    return m.group(1) if rc == 0 and m else f"program failed (exit {rc}): {out[-200:]}"


def unit_peak(args, env, build, log_file):
    """Peak RSS (bytes) of compiling the first heavy unit alone with the build's own command."""
    commands = json.loads((build / "compile_commands.json").read_text())
    entry = next(c for c in commands if c["file"].endswith(UNIT_FILE[args.project]))
    cmd = shlex.split(entry["command"])
    out = cmd.index("-o")
    cmd[out + 1] = str(build / "bench-unit_00.o")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=entry["directory"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    with open(log_file, "a") as f:
        f.write(f"$ {shlex.join(cmd)}\n{output}[exit {proc.returncode}, {elapsed:.1f} s, "
                f"ru_maxrss {usage.ru_maxrss} KiB]\n")
    if proc.returncode != 0:
        raise BenchError(f"compiling {UNIT_FILE[args.project]} alone failed ({proc.returncode}):\n{output[-4000:]}")
    return usage.ru_maxrss * KiB, elapsed, shlex.join(cmd)


def build_way(args, env, way, limit, cg_version, cg_parent, work):
    """Configures and builds the example one way inside a fresh cgroup per step; returns the result dict."""
    build = work / ("lowmem" if way == "learned" else way)
    if way == "learned":
        # The lowmem way's tree and job log: clean its outputs, so that everything is built again.
        if not (build / "buildbudget-lowmem" / "jobs.jsonl").exists():
            raise BenchError("the learned way needs the lowmem way's build (--ways ...,lowmem,learned)")
        checked([args.ninja, "-C", build, "-t", "clean"], env)
        lowmem_records = sum(1 for line in (build / "buildbudget-lowmem" / "jobs.jsonl").read_text().splitlines()
                             if line.strip())
    elif build.exists():
        shutil.rmtree(build)
    log_file = work / f"{way}.log"
    log_file.write_text("")
    result = {"way": way, "limit": limit, "build_dir": str(build), "log": str(log_file)}
    tag = f"buildbudget-bench-{os.getpid()}-{way}"

    cgroup = Cgroup(cg_version, cg_parent, f"{tag}-configure", limit)
    try:
        rc, out, seconds = run(cgroup.wrap(configure_args(args, way, build)), env, log_file)
    finally:
        cgroup.remove()
    result["configure_seconds"] = round(seconds, 2)
    if rc != 0:
        raise BenchError(f"{way}: configure failed ({rc}), see {log_file}:\n{out[-3000:]}")
    if way in ("lowmem", "learned"):
        plan = json.loads((build / "buildbudget-lowmem" / "plan.json").read_text())
        result["plan"] = {k: plan[k] for k in ("memory_limit", "reserve", "compile_memory", "link_memory",
                                                "compile_jobs", "link_jobs", "cpus")}
        result["plan"]["admission"] = plan["admission"]["enabled"]
        reasons = re.findall(r"^   (.*)$", out, re.M)
        result["plan_reasons"] = reasons

    cgroup = Cgroup(cg_version, cg_parent, f"{tag}-build", limit)
    try:
        cgroup.start_sampling()
        ulimit_v = limit // KiB if way == "seeds" and limit is not None else None
        busy, own = cpu_busy_seconds(), children_cpu_seconds()
        rc, out, seconds = run(cgroup.wrap(ninja_args(args, way, build), ulimit_v), env, log_file)
        own = children_cpu_seconds() - own
        result["build_cpu_seconds"] = round(own, 1)
        result["others_cpu_seconds"] = round(max(0.0, cpu_busy_seconds() - busy - own), 1)
        result["peak"] = cgroup.peak()
        result["oom_kills"] = cgroup.oom_kills()
    finally:
        cgroup.remove()
    failed, killed = killed_jobs(out)
    result.update(finished=rc == 0, exit_code=rc, build_seconds=round(seconds, 2), failed=failed, killed=killed)
    result["total"] = program_total(args, build, env) if rc == 0 else None
    job_log = build / "buildbudget-lowmem" / "jobs.jsonl"
    if job_log.exists():
        records = [json.loads(line) for line in job_log.read_text().splitlines() if line.strip()]
        if way == "learned":  # this build's records only
            records = records[lowmem_records:]
        compiles = [r for r in records if r["kind"] == "compile"]
        result["jobs_recorded"] = len(records)
        if compiles:
            heaviest = max(compiles, key=lambda r: r["peak_rss"])
            result["heaviest_compile"] = {"source": heaviest["source"], "peak_rss": heaviest["peak_rss"],
                                          "seconds": round((heaviest["end_ms"] - heaviest["start_ms"]) / 1000, 2)}
    return result


# ---------------------------------------------------------------- report

def table(results):
    rows = [("way", "finished", "failed jobs", "OOM kills", "cgroup peak", "build wall time", "CPU: build / others",
             "total")]
    for r in results:
        if r["finished"]:
            jobs = "-"
        else:
            names = [os.path.basename(f) for f in r["failed"]]
            jobs = f"{len(r['failed'])} failed: " + ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        rows.append((r["way"], "yes" if r["finished"] else f"no (exit {r['exit_code']})", jobs,
                     "-" if r["oom_kills"] is None else str(r["oom_kills"]), human(r["peak"]),
                     f"{r['build_seconds']:.1f} s", f"{r['build_cpu_seconds']:.0f} s / {r['others_cpu_seconds']:.0f} s",
                     r["total"] or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefix", help="an installed BuildBudget (default: build and install the checkout)")
    parser.add_argument("--limit", type=parse_size,
                        help="the cgroup memory limit of every way (default: 2.5 x the peak of one unit compiled alone)")
    parser.add_argument("--ways", default="default,seeds,lowmem",
                        help="comma-separated subset of default,seeds,lowmem,j1,learned (default: the first three)")
    parser.add_argument("--project", choices=("example", "googletest"), default="example",
                        help="examples/lowmem (default) or googletest from /usr/src/googletest")
    parser.add_argument("--default-jobs", type=int, help="the default way runs `ninja -jN` (default: Ninja's own)")
    parser.add_argument("--units", type=int, default=16, help="LOWMEM_EXAMPLE_UNITS (default 16)")
    parser.add_argument("--weight", type=int, default=1700, help="LOWMEM_EXAMPLE_WEIGHT (default 1700)")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the default build without a limit (the memory it needs)")
    parser.add_argument("--cgroup-parent", help="where to make the cgroups (default: this process's memory cgroup)")
    parser.add_argument("--work", help="keep build trees and logs here (default: a temporary directory, removed)")
    parser.add_argument("--json", help="also write the results as JSON to this file ('-': standard output, the table then goes to standard error)")
    parser.add_argument("--cmake", default="cmake")
    parser.add_argument("--ninja", default="ninja")
    args = parser.parse_args()
    ways = [w for w in args.ways.split(",") if w]
    for w in ways:
        if w not in WAYS:
            parser.error(f"--ways: unknown way {w!r}; expected default, seeds, lowmem, j1 or learned")
    if "learned" in ways and ("lowmem" not in ways or ways.index("lowmem") > ways.index("learned")):
        parser.error("--ways: learned needs lowmem before it")
    if args.project == "googletest" and not (GOOGLETEST / "CMakeLists.txt").exists():
        parser.error(f"--project googletest: {GOOGLETEST} is missing (apt-get install googletest)")
    if args.units < 1 or args.weight < 1:
        parser.error("--units and --weight must be positive")
    if os.geteuid() != 0:
        parser.error("needs root: it makes memory cgroups")

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupted)

    tmp = None
    if args.work:
        work = pathlib.Path(args.work).resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="buildbudget-lowmem-bench-")
        work = pathlib.Path(tmp.name)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CMAKE_", "BUILDBUDGET_", "CXXFLAGS", "LDFLAGS", "MAKEFLAGS", "NINJA_"))}
    try:
        cg_version, own, _ = own_memory_cgroup()
        cg_parent = args.cgroup_parent or own
        log(f"cgroup {cg_version}: making the build's cgroups under {cg_parent}")
        if args.prefix is None:
            args.prefix = str(install_package(args, env, work))
        report = {"schema": "buildbudget-bench-lowmem/1", "date": time.strftime("%Y-%m-%d"),
                  "machine": {"cpus": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
                              "memory": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
                              "kernel": platform.release(), "cgroup": cg_version,
                              "compiler": subprocess.run(["g++", "--version"], text=True, stdout=subprocess.PIPE
                                                         ).stdout.splitlines()[0],
                              "ninja": subprocess.run([args.ninja, "--version"], text=True,
                                                      stdout=subprocess.PIPE).stdout.strip()},
                  "units": args.units, "weight": args.weight, "prefix": args.prefix}

        # The reference: one unit alone, and (unless --no-reference) the default build without a limit.
        if args.no_reference:
            ref_build = work / "unit"
            if ref_build.exists():
                shutil.rmtree(ref_build)
            checked(configure_args(args, "default", ref_build), env, work / "unit.log")
        else:
            log("reference: the default build without a memory limit ...")
            ref = build_way(args, env, "reference", None, cg_version, cg_parent, work)
            ref["way"] = "default, no limit"
            report["reference"] = ref
            log(f"  needs {human(ref['peak'])}, {ref['build_seconds']:.1f} s")
            if not ref["finished"]:
                raise BenchError(f"the default build fails even without a limit; see {ref['log']}")
            ref_build = work / "reference"
        peak, seconds, command = unit_peak(args, env, ref_build, work / "unit.log")
        report["unit"] = {"peak_rss": peak, "seconds": round(seconds, 2), "command": command}
        log(f"one unit alone: peak RSS {human(peak)}, {seconds:.1f} s")
        if args.limit:
            limit, source = args.limit, "--limit"
        elif args.project == "googletest":
            limit, source = 540 * MiB, "googletest's default: its default -j2 build is OOM-killed there"
        else:
            limit, source = int(peak * 2.5) // MiB * MiB, "2.5 x the peak of one unit compiled alone"
        report["limit"] = limit
        report["limit_source"] = source
        if "reference" in report and report["reference"]["peak"] <= limit:
            log(f"lowmem_build.py: warning: the limit {human(limit)} is not below what the default build needed "
                f"({human(report['reference']['peak'])}): the default build may finish")

        results = []
        for way in ways:
            log(f"{way}: building inside a {human(limit)} limit ...")
            r = build_way(args, env, way, limit, cg_version, cg_parent, work)
            log(f"  {'finished' if r['finished'] else 'failed'}, peak {human(r['peak'])}, {r['build_seconds']:.1f} s")
            results.append(r)
        report["ways"] = results
        totals = {r["total"] for r in results + ([report["reference"]] if "reference" in report else [])
                  if r["finished"]}
        report["same_program_output"] = len(totals) <= 1

        text_out = sys.stderr if args.json == "-" else sys.stdout  # "-": standard output is the JSON alone

        def say(*parts):
            print(*parts, file=text_out)

        if args.project == "googletest":
            say(f"googletest ({GOOGLETEST}, with its samples); {UNIT_FILE[args.project]} alone peaks at "
                f"{human(peak)} ({seconds:.1f} s)")
        else:
            say(f"examples/lowmem: {args.units} units of weight {args.weight}; one unit alone peaks at "
                f"{human(peak)} ({seconds:.1f} s)")
        if "reference" in report:
            ref = report["reference"]
            say(f"default build without a limit: cgroup peak {human(ref['peak'])}, {ref['build_seconds']:.1f} s "
                  f"(CPU: build {ref['build_cpu_seconds']:.0f} s, others {ref['others_cpu_seconds']:.0f} s)")
        say(f"memory limit of every way: {human(limit)} ({limit} bytes, {report['limit_source']}), "
              f"cgroup {cg_version}\n")
        say(table(results))
        for r in results:
            if "plan" in r:
                p = r["plan"]
                say(f"\n{r['way']}: pools {p['compile_jobs']} compile / {p['link_jobs']} link, "
                      f"estimate {human(p['compile_memory'])} per compile, admission "
                      f"{'on' if p['admission'] else 'off'}")
            if "heaviest_compile" in r:
                h = r["heaviest_compile"]
                say(f"{r['way']}: heaviest compile {os.path.basename(h['source'])} "
                      f"{human(h['peak_rss'])} in {h['seconds']} s ({r['jobs_recorded']} jobs recorded)")
            for line in r["killed"][:4]:
                say(f"{r['way']}: {line}")
        if not report["same_program_output"]:
            say(f"\nwarning: the finished builds print different totals: {sorted(totals)}")
        if args.json == "-":
            print(json.dumps(report, indent=2))
        elif args.json:
            pathlib.Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        return 0
    except BenchError as e:
        log(f"lowmem_build.py: error: {e}")
        return 1
    except KeyboardInterrupt:
        log("lowmem_build.py: interrupted; removing the cgroups")
        return 130
    finally:
        Cgroup.remove_all()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
