#!/usr/bin/env python3
"""What the call graph costs `buildbudget wasm analyze` (the decoding of every function body, the
graph, the Lengauer-Tarjan dominator tree, retained sizes, garbage and the JSON's "callees" and
"call_graph"; doc/helper-wasm-analyze.md, "Retained sizes and --why"; figures in bench/README.md,
"WebAssembly retained sizes"). Python 3 standard library only.

Side by side, in one run, alternating, --runs (default 5) runs each, output to /dev/null:

  with      buildbudget wasm analyze --no-compression --json <module>
  without   the same with --no-call-graph (no body is decoded)

The call graph's cost is the difference of the medians. Each run is measured two ways: the wall
clock from spawn to exit, and the CPU time the process used (user + system, from the kernel's
rusage of the child; on a machine shared with other work the CPU time is the steadier figure). The
decoding speed is the defined functions' body bytes (from the JSON) per second of that difference;
with --threads-check the default (two threads from 4 MiB, analysis.cpp) is also set against
`taskset -c 0` (one CPU: the second thread cannot run in parallel).

--objdump-check also checks the decoder on each module against `wasm-objdump -d` (streamed: its
output is gigabytes on the large modules, and takes minutes): the same number of instructions, and
for every function the same set of call / return_call / ref.func targets.

Modules: sql.js 1.13.0's sql-wasm.wasm (0.7 MB), esbuild-wasm 0.25.0's esbuild.wasm (Go, 12 MB),
@ffmpeg/core 0.12.10's ffmpeg-core.wasm (Emscripten, 32 MB) and onnxruntime-web 1.31.1's
ort-wasm-simd-threaded.jsep.wasm (SIMD and threads, 30 MB), fetched with `npm pack` at pinned
versions and checked against their sha1, as the tests fetch them; or the paths given.

  python3 bench/wasm_retained.py --helper build/tools/buildbudget/buildbudget [module.wasm ...] [--runs 5]
      [--threads-check] [--objdump-check] [--json out.json]
"""
import argparse
import json
import os
import re
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
os.environ.setdefault("BUILDBUDGET_WORK_DIR", str(pathlib.Path(tempfile.gettempdir()) / "buildbudget-bench" / "work"))
import support  # noqa: E402  (the tests' pinned npm fetch)
import test_wasm_analyze  # noqa: E402

try:  # the two large modules of doc/helper-wasm-analyze.md's "Speed", when that test is present
    import test_wasm_analyze_scale  # noqa: E402
    LARGE = test_wasm_analyze_scale.LARGE_NPM_PACKAGES
except ImportError:
    LARGE = {}

MODULES = ["sql-wasm.wasm", "esbuild.wasm", *LARGE]


def fetch(name, cache):
    if name in LARGE:
        return support.fetch_npm_module(name, LARGE[name], cache)
    return test_wasm_analyze.fetch_npm_module(name, cache)


def run(cmd):
    """(wall seconds, CPU seconds) of one run of `cmd`, its output to /dev/null."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def objdump_check(path, module):
    """Streams `wasm-objdump -d path` and compares it with the report's module; returns the mismatches."""
    proc = subprocess.Popen(["wasm-objdump", "-d", str(path)], stdout=subprocess.PIPE, text=True, bufsize=1 << 20)
    func = re.compile(r"^[0-9a-f]+ func\[(\d+)\]")
    insn = re.compile(r"^\s*[0-9a-f]+: [^|]*\| +(\S.*)$")
    call = re.compile(r"(?:call|return_call|ref\.func) (\d+)")
    targets, current, instructions = {}, None, 0
    for line in proc.stdout:
        m = func.match(line)
        if m:
            current = targets.setdefault(int(m.group(1)), set())
            continue
        m = insn.match(line)
        if not m or m.group(1).startswith("local["):
            continue
        instructions += 1
        m = call.match(m.group(1))
        if m:
            current.add(int(m.group(1)))
    if proc.wait() != 0:
        sys.exit(f"wasm-objdump -d {path} failed")
    got = {f["index"]: set(f["callees"]) for f in module["functions"]}
    problems = [f"function {k}: callees {sorted(got.get(k, []))}, objdump {sorted(v)}"
                for k, v in targets.items() if got.get(k) != v]
    if module["call_graph"]["instructions"] != instructions:
        problems.insert(0, f"instructions: {module['call_graph']['instructions']}, objdump {instructions}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--helper", required=True, help="the buildbudget executable")
    parser.add_argument("modules", nargs="*", help="modules to measure (default: the pinned npm modules)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache", default=str(support.NPM_CACHE_DIR), help="the npm tarball cache (default: the tests')")
    parser.add_argument("--threads-check", action="store_true",
                        help="also time the default against one CPU (taskset -c 0)")
    parser.add_argument("--objdump-check", action="store_true",
                        help="also check every function's callees and the instruction count against wasm-objdump -d")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    paths = [pathlib.Path(m) for m in args.modules] or [fetch(name, pathlib.Path(args.cache)) for name in MODULES]
    rows = []
    for path in paths:
        analyze = [args.helper, "wasm", "analyze", "--no-compression", "--json", path]
        report = json.loads(subprocess.run([str(c) for c in analyze], check=True, stdout=subprocess.PIPE).stdout)
        module = report["modules"][0]
        code = sum(f["body_bytes"] for f in module["functions"])
        variants = {"with": analyze, "without": analyze[:4] + ["--no-call-graph"] + analyze[4:]}
        if args.threads_check and shutil.which("taskset"):
            variants["one_cpu"] = ["taskset", "-c", "0", *analyze]
        times = {k: [] for k in variants}
        run(analyze)  # page cache warm
        for _ in range(args.runs):
            for k, cmd in variants.items():
                times[k].append(run(cmd))
        med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in times.items()}
        graph_wall = med["with"][0] - med["without"][0]
        graph_cpu = med["with"][1] - med["without"][1]
        row = {
            "module": path.name, "bytes": path.stat().st_size, "code_bytes": code,
            "functions": len(module["functions"]), "instructions": module["call_graph"]["instructions"],
            "edges": module["call_graph"]["edges"],
            "with_wall_s": round(med["with"][0], 4), "without_wall_s": round(med["without"][0], 4),
            "with_cpu_s": round(med["with"][1], 4), "without_cpu_s": round(med["without"][1], 4),
            "call_graph_wall_s": round(graph_wall, 4), "call_graph_cpu_s": round(graph_cpu, 4),
            "call_graph_share_wall": round(graph_wall / med["with"][0], 3) if med["with"][0] else None,
            "code_mb_per_cpu_s": round(code / 1e6 / graph_cpu, 1) if graph_cpu > 0 else None,
        }
        if "one_cpu" in med:
            row["one_cpu_wall_s"] = round(med["one_cpu"][0], 4)
        if args.objdump_check:
            problems = objdump_check(path, module)
            row["objdump_check"] = "same" if not problems else problems[:10]
        rows.append(row)
        print(json.dumps(row), flush=True)

    print(f"\n{'module':34} {'MB':>6} {'code MB':>8} {'analyze s':>10} {'--no-call-graph s':>18} {'graph s':>8} "
          f"{'share':>6} {'graph CPU s':>12} {'MB/CPU s':>9}")
    for r in rows:
        print(f"{r['module']:34} {r['bytes'] / 1e6:6.1f} {r['code_bytes'] / 1e6:8.1f} {r['with_wall_s']:10.3f} "
              f"{r['without_wall_s']:18.3f} {r['call_graph_wall_s']:8.3f} {r['call_graph_share_wall'] or 0:6.1%} "
              f"{r['call_graph_cpu_s']:12.3f} {r['code_mb_per_cpu_s'] or 0:9.0f}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"runs": args.runs, "modules": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
