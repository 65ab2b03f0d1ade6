#!/usr/bin/env python3
"""What the job launcher of lowmem_profile() costs in an unconstrained build (Python 3 standard library only).

What it measures
----------------
A real third-party project, googletest's sources as Debian's googletest package ships them
(/usr/src/googletest, unedited, RelWithDebInfo, with its samples: 18 compiles, 10 links and 4
static archive steps), is configured twice with lowmem_profile() injected through the package's
lowmem-inject.cmake (-DCMAKE_PROJECT_INCLUDE), without a memory limit:

  on   the launcher on (the default): every compile, link and archive step runs through
       `buildbudget buildmem launch`, which samples the job's process tree and appends its record
       to the job log;
  off  -DBUILDBUDGET_LOWMEM_LAUNCHER=OFF: the same pools and flags, no launcher.

Then it builds each tree from clean (`ninja -t clean`, then `ninja`), alternating on, off, on,
off, ... --runs times each, so that a change in the machine's load hits both alike. Per build: the
wall time (time.perf_counter() around `ninja`), the CPU time of the build (user + system of every
process it ran, getrusage(RUSAGE_CHILDREN)) and the CPU time the rest of the machine used
meanwhile (/proc/stat busy time minus the build's). The launcher's overhead is the difference of
the medians, as a share of the "off" median (target: at most 3 % of the wall time).

On a machine shared with other work the build times move by more than the launcher costs, so it
also measures the launcher's two costs alone, in CPU time, which the load hardly moves:
  fixed cost  `buildbudget buildmem launch --plan <the on tree's plan> --kind compile -- /bin/true`
              against `/bin/true` alone, --calls times each, alternating (per call, ms): the
              launcher's start, the plan's read, the admission lookup in a job log of the real
              size (a copy: the build tree's own log is left alone) and the record's append;
  sampling    the launcher around `sleep --sleep` against `sleep` alone: the CPU the launcher
              spends sampling the job's process tree (every 10 ms for the first 0.5 s, then every
              50 ms), per second of job.
The estimate is fixed cost x jobs + sampling x the jobs' total duration (from the on tree's job
log), as a share of the off build's median CPU and wall time.

How to run
----------
  python3 bench/launcher_overhead.py --prefix <installed BuildBudget>
  python3 bench/launcher_overhead.py --prefix <prefix> --runs 5 --json overhead.json

--work DIR keeps the build trees (default: a temporary directory, removed at the end).
Needs cmake (3.21+), ninja, g++ and Debian's googletest package.
"""
import argparse
import json
import os
import pathlib
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

GOOGLETEST = pathlib.Path("/usr/src/googletest")


def log(message):
    print(message, file=sys.stderr, flush=True)


def cpu_busy_seconds():
    """CPU-seconds the whole machine has spent busy since boot (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]
    return busy / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def checked(cmd, env):
    proc = subprocess.run([str(c) for c in cmd], env=env, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise SystemExit(f"launcher_overhead.py: error: `{' '.join(map(str, cmd))}` exited with "
                         f"{proc.returncode}:\n{proc.stdout[-4000:]}")
    return proc.stdout


def measured(cmd, env):
    """(wall seconds, build CPU seconds, others' CPU seconds) of running `cmd`."""
    busy, own = cpu_busy_seconds(), children_cpu_seconds()
    start = time.perf_counter()
    checked(cmd, env)
    wall = time.perf_counter() - start
    own = children_cpu_seconds() - own
    return wall, own, max(0.0, cpu_busy_seconds() - busy - own)


def summary(values):
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "runs": [round(v, 3) for v in values]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefix", required=True, help="an installed BuildBudget")
    parser.add_argument("--runs", type=int, default=3, help="clean builds of each tree (default 3)")
    parser.add_argument("--calls", type=int, default=200, help="launcher calls of the fixed-cost measurement")
    parser.add_argument("--sleep", type=float, default=5.0, help="seconds of the sampling-cost job (default 5)")
    parser.add_argument("--work", help="keep the build trees here (default: a temporary directory, removed)")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    args = parser.parse_args()
    inject = pathlib.Path(args.prefix) / "lib/cmake/BuildBudget/lowmem-inject.cmake"
    helper = pathlib.Path(args.prefix) / "bin/buildbudget"
    for needed in (inject, helper, GOOGLETEST / "CMakeLists.txt"):
        if not needed.exists():
            parser.error(f"{needed} is missing")
    if args.runs < 1 or args.calls < 1 or args.sleep <= 0:
        parser.error("--runs, --calls and --sleep must be positive")
    tmp = None
    if args.work:
        work = pathlib.Path(args.work).resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="buildbudget-launcher-bench-")
        work = pathlib.Path(tmp.name)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CMAKE_", "BUILDBUDGET_", "CXXFLAGS", "LDFLAGS", "MAKEFLAGS", "NINJA_", "CCACHE"))}
    try:
        trees = {}
        for variant, launcher in (("on", "ON"), ("off", "OFF")):
            tree = work / variant
            if tree.exists():
                shutil.rmtree(tree)
            checked(["cmake", "-S", GOOGLETEST, "-B", tree, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                     "-Dgtest_build_samples=ON", f"-DCMAKE_PROJECT_INCLUDE={inject}",
                     f"-DBUILDBUDGET_LOWMEM_LAUNCHER={launcher}"], env)
            trees[variant] = tree
        rules = (trees["off"] / "CMakeFiles/rules.ninja").read_text()
        if "buildmem launch" in rules:
            raise SystemExit("launcher_overhead.py: error: the off tree still runs the launcher")
        results = {v: {"wall": [], "cpu": [], "others": []} for v in trees}
        for run in range(args.runs):
            for variant in ("on", "off"):
                checked(["ninja", "-C", trees[variant], "-t", "clean"], env)
                wall, cpu, others = measured(["ninja", "-C", trees[variant]], env)
                for key, value in (("wall", wall), ("cpu", cpu), ("others", others)):
                    results[variant][key].append(value)
                log(f"run {run + 1}/{args.runs} {variant}: {wall:.1f} s wall, {cpu:.1f} s CPU "
                    f"(others {others:.1f} s)")
        job_log = trees["on"] / "buildbudget-lowmem/jobs.jsonl"
        jobs = sum(1 for line in job_log.read_text().splitlines() if line.strip()) // args.runs

        # The fixed cost per job: the launcher around /bin/true, against /bin/true alone.
        plan = json.loads((trees["on"] / "buildbudget-lowmem/plan.json").read_text())
        scratch = work / "fixed-cost"
        scratch.mkdir(exist_ok=True)
        shutil.copy(job_log, scratch / "jobs.jsonl")  # a log of the real size, for the admission lookup
        plan["log"] = str(scratch / "jobs.jsonl")
        (scratch / "plan.json").write_text(json.dumps(plan))
        with_launcher = [helper, "buildmem", "launch", "--plan", scratch / "plan.json", "--kind", "compile", "--",
                         "/bin/true"]
        fixed = {"launcher": [], "true": []}
        for _ in range(args.calls):
            for name, cmd in (("launcher", with_launcher), ("true", ["/bin/true"])):
                own = children_cpu_seconds()
                start = time.perf_counter()
                subprocess.run([str(c) for c in cmd], env=env, check=True)
                fixed[name].append((time.perf_counter() - start, children_cpu_seconds() - own))
        per_call = {name: {"wall_ms": round(1000 * statistics.median(w for w, _ in values), 3),
                           "cpu_ms": round(1000 * sum(c for _, c in values) / len(values), 3)}
                    for name, values in fixed.items()}
        sampling = {}
        for name, cmd in (("launcher", with_launcher[:-1] + ["sleep", str(args.sleep)]),
                          ("sleep", ["sleep", str(args.sleep)])):
            own = children_cpu_seconds()
            subprocess.run([str(c) for c in cmd], env=env, check=True)
            sampling[name] = children_cpu_seconds() - own
        sampling_ms_per_s = max(0.0, 1000 * (sampling["launcher"] - sampling["sleep"]) / args.sleep)
        records = [json.loads(line) for line in job_log.read_text().splitlines() if line.strip()]
        job_seconds = sum(r["end_ms"] - r["start_ms"] for r in records) / 1000 / args.runs

        report = {"schema": "buildbudget-bench-launcher-overhead/1", "date": time.strftime("%Y-%m-%d"),
                  "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                              "compiler": checked(["g++", "--version"], env).splitlines()[0]},
                  "project": str(GOOGLETEST), "jobs_per_build": jobs, "runs": args.runs,
                  "builds": {v: {k: summary(values) for k, values in r.items()} for v, r in results.items()},
                  "fixed_cost_per_job": per_call, "sampling_cpu_ms_per_job_second": round(sampling_ms_per_s, 3),
                  "job_seconds_per_build": round(job_seconds, 1),
                  "plan": {k: plan[k] for k in ("compile_jobs", "link_jobs")}}
        on, off = report["builds"]["on"], report["builds"]["off"]
        for key in ("wall", "cpu"):
            report[f"{key}_overhead_percent"] = round(100 * (on[key]["median"] - off[key]["median"]) /
                                                      off[key]["median"], 2)
        launcher_ms = per_call["launcher"]["wall_ms"] - per_call["true"]["wall_ms"]
        launcher_cpu_ms = per_call["launcher"]["cpu_ms"] - per_call["true"]["cpu_ms"]
        report["fixed_cost_share_of_wall_percent"] = round(
            100 * launcher_ms / 1000 * jobs / off["wall"]["median"], 3)
        estimate_cpu = launcher_cpu_ms / 1000 * jobs + sampling_ms_per_s / 1000 * job_seconds
        report["estimated_cpu_seconds"] = round(estimate_cpu, 3)
        report["estimated_share_of_cpu_percent"] = round(100 * estimate_cpu / off["cpu"]["median"], 3)
        report["estimated_share_of_wall_percent"] = round(100 * estimate_cpu / off["wall"]["median"], 3)

        print(f"googletest ({GOOGLETEST}) with its samples, {jobs} jobs a build, pools "
              f"{plan['compile_jobs']} compile / {plan['link_jobs']} link, {args.runs} clean builds each, alternating")
        print("launcher | wall: median (min-max) | CPU of the build: median (min-max) | others' CPU: median")
        for variant in ("on", "off"):
            b = report["builds"][variant]
            print(f"{variant:8} | {b['wall']['median']:.1f} s ({b['wall']['min']:.1f}-{b['wall']['max']:.1f}) | "
                  f"{b['cpu']['median']:.1f} s ({b['cpu']['min']:.1f}-{b['cpu']['max']:.1f}) | "
                  f"{b['others']['median']:.1f} s")
        print(f"overhead of the medians: wall {report['wall_overhead_percent']:+.2f} %, "
              f"CPU {report['cpu_overhead_percent']:+.2f} % (target: at most 3 % of the wall time)")
        print(f"fixed cost per job: {launcher_ms:.2f} ms wall, {launcher_cpu_ms:.2f} ms CPU "
              f"(launcher around /bin/true {per_call['launcher']['wall_ms']:.2f} ms, /bin/true alone "
              f"{per_call['true']['wall_ms']:.2f} ms, {args.calls} calls each); x {jobs} jobs = "
              f"{report['fixed_cost_share_of_wall_percent']:.3f} % of the off build's wall time")
        print(f"sampling: {sampling_ms_per_s:.2f} ms CPU per second of job (around sleep {args.sleep:g}); "
              f"x {job_seconds:.1f} job-seconds a build")
        print(f"estimated launcher CPU a build: {estimate_cpu:.2f} s = "
              f"{report['estimated_share_of_cpu_percent']:.2f} % of the off build's CPU, "
              f"{report['estimated_share_of_wall_percent']:.2f} % of its wall time (at most, were none of it "
              f"in parallel with the jobs)")
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        return 0
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
