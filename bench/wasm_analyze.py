#!/usr/bin/env python3
"""`buildbudget wasm analyze` against `wasm-objdump -x` on the same modules (target: at most 0.25x
its time, and a peak memory under 2x the module's size; figures in bench/README.md, "WebAssembly
analysis", and doc/helper-wasm-analyze.md, "Speed"). Python 3 standard library only.

Side by side, in one run, alternating, --runs (default 5) runs each, output to /dev/null; the
medians are compared:

  analyze   buildbudget wasm analyze --no-compression --json <module>
            (read, parse, name, find identical bodies, recommendations, the whole JSON report)
  objdump   wasm-objdump -x <module> (wabt: every section's details)
  cat       cat <module> > /dev/null: one read of the bytes from the page cache, the floor that
            the MB/s figures are set against

Each run's time is the wall clock from the spawn to the exit of the process, and its CPU time
(user + system, all threads, from the child's rusage: the steadier figure on a shared machine). The peak memory is
the maximum resident set size of one more run of each, through GNU time (`/usr/bin/time -f %M`).

Modules: sql.js 1.13.0's sql-wasm.wasm (Emscripten, 0.7 MB), esbuild-wasm 0.25.0's esbuild.wasm
(Go, 12 MB), and the largest found in npm packages: @duckdb/duckdb-wasm 1.32.0's duckdb-mvp.wasm
(Emscripten MAIN_MODULE, 39 MB, 62,171 functions with 75,111 exports naming them), z3-solver
5.2.0's z3-built.wasm (Emscripten with threads, 35 MB, a name section), @ffmpeg/core 0.12.10's
ffmpeg-core.wasm (Emscripten, 32 MB) and onnxruntime-web 1.31.1's ort-wasm-simd-threaded.jsep.wasm
(SIMD and threads, 30 MB): the modules the tests read. Fetched with `npm pack` at pinned versions
and checked against their sha1, as the tests fetch them; or the paths given.

  python3 bench/wasm_analyze.py --helper build/tools/buildbudget/buildbudget [module.wasm ...] [--runs 5]
      [--analyze-option=--no-call-graph ...] [--before OTHER_HELPER] [--json out.json]

--before OTHER_HELPER runs a second helper (e.g. one built from an earlier commit) in the same
alternation, with the same options, so that before and after are compared on the same machine
state: its time, ratio and peak RSS are printed beside the helper's.

With --first-and-second, instead: a default `analyze <module>` (gzip -9 and brotli -q 11 included)
twice with an empty compressed-size cache of its own ($XDG_CACHE_HOME in a temporary directory):
the first run's time to its text report (its "Recommendations" line, the last before the
compressed sizes) and to its exit, then the second run's time, served from the cache.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
os.environ.setdefault("BUILDBUDGET_WORK_DIR", str(pathlib.Path(tempfile.gettempdir()) / "buildbudget-bench" / "work"))
import test_wasm_analyze  # noqa: E402
import test_wasm_analyze_scale  # noqa: E402

MODULES = ["sql-wasm.wasm", "esbuild.wasm", *test_wasm_analyze_scale.LARGE_NPM_PACKAGES]


def fetch(name, cache):
    if name in test_wasm_analyze_scale.LARGE_NPM_PACKAGES:
        return test_wasm_analyze_scale.fetch_large_module(name, cache)
    return test_wasm_analyze.fetch_npm_module(name, cache)


def run(cmd):
    """(wall, cpu) seconds of one run of `cmd`: the wall clock from the spawn to the exit, and the
    CPU time (user + system, all its threads) from its rusage; its output to /dev/null."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{stderr.decode(errors='replace')}")
    return seconds, usage.ru_utime + usage.ru_stime


def peak_rss(cmd):
    """Peak RSS in bytes of one run of `cmd`, through GNU time's %M (the maximum resident set size
    of that process, KiB). Not os.wait4 here: a child forked by this script starts with its
    parent's high-water mark, which Linux keeps across exec."""
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "rss"
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out, *cmd], stdout=subprocess.DEVNULL, check=True)
        return int(out.read_text()) * 1024


def measure(helper, module, runs, options, before=None):
    commands = {
        "analyze": [helper, "wasm", "analyze", "--no-compression", "--json", *options, module],
        "objdump": ["wasm-objdump", "-x", module],
        "cat": ["cat", module],
    }
    if before:
        commands["before"] = [before, "wasm", "analyze", "--no-compression", "--json", *options, module]
    for cmd in commands.values():  # warm the page cache and the binaries once
        run(cmd)
    times = {k: [] for k in commands}
    cpu = {k: [] for k in commands}
    for _ in range(runs):  # alternating, so each sees the same machine
        for k, cmd in commands.items():
            wall, used = run(cmd)
            times[k].append(wall)
            cpu[k].append(used)
    rss = {k: peak_rss(commands[k]) for k in commands if k != "cat"}
    size = module.stat().st_size
    report = json.loads(subprocess.run([helper, "wasm", "analyze", "--no-compression", "--json", module],
                                       stdout=subprocess.PIPE, check=True).stdout)["modules"][0]
    median = {k: statistics.median(v) for k, v in times.items()}
    median_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    compared = {}
    if before:
        compared = {"before_ratio": median["before"] / median["objdump"], "before_peak_rss": rss["before"],
                    "before_rss_ratio": rss["before"] / size}
    return {**compared,
        "module": str(module), "bytes": size, "functions": report["counts"]["functions"],
        "data_segments": report["counts"]["data_segments"], "runs": runs,
        "seconds": times, "median_seconds": median, "cpu_seconds": cpu, "median_cpu_seconds": median_cpu,
        "ratio": median["analyze"] / median["objdump"], "cpu_ratio": median_cpu["analyze"] / median_cpu["objdump"],
        "analyze_mb_per_s": size / median["analyze"] / 1e6, "cat_mb_per_s": size / median["cat"] / 1e6,
        "analyze_peak_rss": rss["analyze"], "objdump_peak_rss": rss["objdump"],
        "rss_ratio": rss["analyze"] / size,
    }


def first_and_second(helper, module):
    """Seconds of a default analyze of `module` with an empty cache: to the text report's
    recommendations and to the exit; then of a second run, whose figures come from that cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}
        cmd = [str(helper), "wasm", "analyze", str(module)]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        text = None
        for line in proc.stdout:
            if text is None and line.startswith("Recommendations"):
                text = time.perf_counter() - start
        if proc.wait() != 0:
            sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}")
        first = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, check=True)
        return {"module": str(module), "bytes": module.stat().st_size, "text_seconds": text,
                "first_seconds": first, "second_seconds": time.perf_counter() - start}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="*", help="modules to measure (default: the four named above)")
    ap.add_argument("--helper", required=True, help="the buildbudget executable")
    ap.add_argument("--runs", type=int, default=5, help="runs of each command, alternating (medians are kept)")
    ap.add_argument("--cache", default=str(pathlib.Path(tempfile.gettempdir()) / "buildbudget-bench" / "npm-cache"),
                    help="where the npm tarballs are kept")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--analyze-option", action="append", default=[], metavar="OPTION",
                    help="one more option for analyze (repeatable), e.g. --analyze-option=--no-call-graph")
    ap.add_argument("--before", metavar="OTHER_HELPER",
                    help="another buildbudget executable to run in the same alternation (before/after)")
    ap.add_argument("--first-and-second", action="store_true",
                    help="time a default analyze (with compression) twice, the second from its cache")
    args = ap.parse_args()
    helper = pathlib.Path(args.helper).resolve()
    modules = [pathlib.Path(m) for m in args.modules] or [fetch(n, pathlib.Path(args.cache)) for n in MODULES]

    if args.first_and_second:
        print("default analyze (gzip -9, brotli -q 11), empty cache, then again from the cache\n")
        print("| module | MB | text report | first run | second run |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for m in modules:
            r = first_and_second(helper, m)
            print(f"| {m.name} | {r['bytes'] / 1e6:.1f} | {r['text_seconds'] * 1000:.0f} ms | "
                  f"{r['first_seconds']:.1f} s | {r['second_seconds'] * 1000:.0f} ms |")
        return

    before = str(pathlib.Path(args.before).resolve()) if args.before else None
    results = [measure(helper, m, args.runs, args.analyze_option, before) for m in modules]
    print(f"medians of {args.runs} runs, alternating analyze, wasm-objdump -x and cat; output to /dev/null"
          + (f"; analyze with {' '.join(args.analyze_option)}" if args.analyze_option else "")
          + (f"; before: {before}" if before else "") + "\n")
    print("times: wall clock (CPU time, user + system, in parentheses); ratios: of the wall clocks (of the CPU times)\n")
    extra = " | before | ratio before | RSS / size before" if before else ""
    print("| module | MB | functions | data segments | `analyze --no-compression --json` | `wasm-objdump -x` "
          "| ratio | analyze MB/s | `cat` MB/s | analyze peak RSS | RSS / size" + extra + " |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---:" + " | ---:" * (3 if before else 0) + " |")
    for r in results:
        m, c = r["median_seconds"], r["median_cpu_seconds"]
        row = (f"| {pathlib.Path(r['module']).name} | {r['bytes'] / 1e6:.1f} | {r['functions']} | {r['data_segments']} "
               f"| {m['analyze'] * 1000:.1f} ms ({c['analyze'] * 1000:.1f}) | {m['objdump'] * 1000:.1f} ms "
               f"({c['objdump'] * 1000:.1f}) | {r['ratio']:.3f} ({r['cpu_ratio']:.3f}) "
               f"| {r['analyze_mb_per_s']:.0f} | {r['cat_mb_per_s']:.0f} "
               f"| {r['analyze_peak_rss'] / 1e6:.1f} MB | {r['rss_ratio']:.2f}")
        if before:
            row += (f" | {m['before'] * 1000:.1f} ms ({c['before'] * 1000:.1f}) | {r['before_ratio']:.3f} "
                    f"({c['before'] / c['objdump']:.3f}) | {r['before_rss_ratio']:.2f}")
        print(row + " |")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    missed = [pathlib.Path(r["module"]).name for r in results if r["ratio"] > 0.25 or r["rss_ratio"] >= 2]
    if missed:
        print(f"\ntarget (ratio <= 0.25, peak RSS < 2x the module) missed on: {', '.join(missed)}")


if __name__ == "__main__":
    main()
