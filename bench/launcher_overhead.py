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

Per job, side by side (--per-job)
--------------------------------
To compare launchers (e.g. the helper of a commit against its parent's, to keep the launcher's
per-job cost within 2x of the parent's), --per-job NAME=HELPER (given twice or more) skips the builds and measures each
helper binary's cost per job alone, in one run, alternating helper by helper and call by call, so the
machine's load hits all alike. Each helper gets its own plan (admission on, as lowmem_profile() has it in
the small and medium classes, so every call reads the job log to predict the job's memory) and its own
job log, filled first with --prefill records of the small compile written by that helper itself (its own
line format, e.g. with or without RSS samples). Per call of each helper, the wall time and the CPU time
(user + system of the launcher and its job, getrusage(RUSAGE_CHILDREN)), for two jobs:
  true     `buildmem launch ... -- /bin/true`: the launcher's fixed cost;
  compile  `buildmem launch ... -- g++ -c small.cpp -o small.o` (a file including <cstdio>, about 40 ms
           of compile): a short job, sampled every 10 ms, whose record carries its samples;
against the same commands alone. The launcher's cost is the difference of the medians (wall) and of the
means (CPU), and each helper's cost is given as a ratio to the first helper's.

How to run
----------
  python3 bench/launcher_overhead.py --prefix <installed BuildBudget>
  python3 bench/launcher_overhead.py --prefix <prefix> --runs 5 --json overhead.json
  python3 bench/launcher_overhead.py --per-job before=<old build>/tools/buildbudget/buildbudget \
      --per-job after=<new build>/tools/buildbudget/buildbudget --calls 100 --json per-job.json

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


def checked(cmd, env, cwd=None):
    proc = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, text=True, stdout=subprocess.PIPE,
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


SMALL_CPP = "#include <cstdio>\nint main() { std::printf(\"%d\\n\", 42); return 0; }\n"


def timed_call(cmd, env, cwd):
    """(wall seconds, CPU seconds of the command and its children) of one run of `cmd`."""
    own = children_cpu_seconds()
    start = time.perf_counter()
    subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, check=True)
    return time.perf_counter() - start, children_cpu_seconds() - own


def per_job(helpers, calls, prefill, work, env):
    """Each helper's cost per job, side by side (see "Per job, side by side" above)."""
    (work / "small.cpp").write_text(SMALL_CPP)
    jobs = {"true": ["/bin/true"], "compile": ["g++", "-c", "small.cpp", "-o", "small.o"]}
    launchers = {}
    for name, helper in helpers.items():
        tree = work / f"per-job-{name}"
        if tree.exists():
            shutil.rmtree(tree)
        tree.mkdir(parents=True)
        plan = {"schema": "buildbudget-lowmem-plan/1", "log": str(tree / "jobs.jsonl"), "memory_limit": 64 << 30,
                "reserve": 1 << 30, "compile_memory": 1 << 30, "link_memory": 2 << 30, "compile_jobs": 2,
                "link_jobs": 1, "cpus": os.cpu_count(),
                "admission": {"enabled": True, "timeout_seconds": 600, "probe_root": "/"}}
        (tree / "plan.json").write_text(json.dumps(plan))
        launchers[name] = [helper, "buildmem", "launch", "--plan", tree / "plan.json", "--kind", "compile", "--"]
        for _ in range(prefill):
            checked(launchers[name] + jobs["compile"], env, cwd=work)
    variants = {"alone": []} | {name: launchers[name] for name in helpers}
    calls_of = {(v, job): [] for v in variants for job in jobs}
    for call in range(calls):
        for job, cmd in jobs.items():
            for variant, prefix in variants.items():
                calls_of[(variant, job)].append(timed_call(prefix + cmd, env, work))
        if (call + 1) % 25 == 0:
            log(f"per job: {call + 1}/{calls} calls")
    result = {"calls": calls, "prefill": prefill, "helpers": {k: str(v) for k, v in helpers.items()}, "jobs": {}}
    for job in jobs:
        alone = calls_of[("alone", job)]
        base_wall = statistics.median(w for w, _ in alone)
        base_cpu = statistics.mean(c for _, c in alone)
        entry = {"alone": {"wall_ms": round(1000 * base_wall, 3), "cpu_ms": round(1000 * base_cpu, 3)}}
        for name in helpers:
            values = calls_of[(name, job)]
            wall = statistics.median(w for w, _ in values)
            cpu = statistics.mean(c for _, c in values)
            entry[name] = {"wall_ms": round(1000 * wall, 3), "cpu_ms": round(1000 * cpu, 3),
                           "launcher_wall_ms": round(1000 * (wall - base_wall), 3),
                           "launcher_cpu_ms": round(1000 * (cpu - base_cpu), 3)}
        first = entry[next(iter(helpers))]
        for name in helpers:
            for key in ("wall", "cpu"):
                cost, first_cost = entry[name][f"launcher_{key}_ms"], first[f"launcher_{key}_ms"]
                entry[name][f"{key}_ratio"] = round(cost / first_cost, 3) if first_cost > 0 else None
        result["jobs"][job] = entry
    for name in helpers:
        lines = (work / f"per-job-{name}" / "jobs.jsonl").read_text().splitlines()
        result.setdefault("log", {})[name] = {"records": len(lines),
                                              "bytes_per_record": round(sum(len(l) + 1 for l in lines) / len(lines))}
    return result


def print_per_job(result):
    names = list(result["helpers"])
    print(f"launcher cost per job, {result['calls']} calls each, alternating; job logs prefilled with "
          f"{result['prefill']} compiles (admission on)")
    print("job     | helper | wall median (ms) | launcher wall (ms) | ratio | CPU mean (ms) | launcher CPU (ms) | ratio")
    for job, entry in result["jobs"].items():
        a = entry["alone"]
        print(f"{job:7} | alone  | {a['wall_ms']:16.2f} | {'':18} | {'':5} | {a['cpu_ms']:13.2f} | {'':17} |")
        for name in names:
            e = entry[name]
            ratio = lambda r: "-" if r is None else f"{r:.2f}"
            print(f"{job:7} | {name:6} | {e['wall_ms']:16.2f} | {e['launcher_wall_ms']:18.2f} | "
                  f"{ratio(e['wall_ratio']):>5} | {e['cpu_ms']:13.2f} | {e['launcher_cpu_ms']:17.2f} | "
                  f"{ratio(e['cpu_ratio']):>5}")
    for name in names:
        print(f"{name}: job log {result['log'][name]['records']} records, "
              f"{result['log'][name]['bytes_per_record']} bytes a record")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefix", help="an installed BuildBudget (required without --per-job)")
    parser.add_argument("--per-job", action="append", default=[], metavar="NAME=HELPER",
                        help="only compare these helper binaries' cost per job, side by side (twice or more)")
    parser.add_argument("--prefill", type=int, default=32,
                        help="--per-job: compiles written to each helper's job log first (default 32)")
    parser.add_argument("--runs", type=int, default=3, help="clean builds of each tree (default 3)")
    parser.add_argument("--calls", type=int, default=200, help="launcher calls of the fixed-cost measurement")
    parser.add_argument("--sleep", type=float, default=5.0, help="seconds of the sampling-cost job (default 5)")
    parser.add_argument("--work", help="keep the build trees here (default: a temporary directory, removed)")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    args = parser.parse_args()
    if args.per_job:
        helpers = {}
        for spec in args.per_job:
            name, _, path = spec.partition("=")
            if not name or not path or not pathlib.Path(path).is_file():
                parser.error(f"--per-job {spec}: expected NAME=HELPER, the path of a buildbudget binary")
            helpers[name] = pathlib.Path(path).resolve()
        if len(helpers) < 2 or args.calls < 1 or args.prefill < 1:
            parser.error("--per-job needs two helpers or more, and --calls and --prefill must be positive")
        with tempfile.TemporaryDirectory(prefix="buildbudget-launcher-bench-") as tmp:
            work = pathlib.Path(args.work).resolve() if args.work else pathlib.Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("BUILDBUDGET_", "CCACHE"))}
            result = per_job(helpers, args.calls, args.prefill, work, env)
        result |= {"schema": "buildbudget-bench-launcher-per-job/1", "date": time.strftime("%Y-%m-%d"),
                   "machine": {"cpus": os.cpu_count(), "kernel": platform.release()}}
        print_per_job(result)
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
        return 0
    if not args.prefix:
        parser.error("--prefix is required (without --per-job)")
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
