#!/usr/bin/env python3
"""Configure-time cost of BuildBudget's wrt_memory_budget() (Python 3 standard library only).

What it measures
----------------
Two consumer projects that differ only in how they declare the 16 WRT
components (wrt-foundation 8MB ... wrt-helper 256KB, 64.5 MiB in all):

  without  cmake_minimum_required(VERSION 3.20), project(consumer C CXX), 16
           set() calls with precomputed byte values and a configure_file() of a
           header template holding them as @VAR@ values; no find_package().
           This is how a project without BuildBudget declares its budgets.
  with     the same project, but find_package(BuildBudget 0.1 CONFIG REQUIRED)
           and wrt_memory_budget(wrt PRESET wrt) (the preset is the 16
           components), whose wrt_budget target is linked to the executable.

Both add_executable() the same tiny main.cpp, which includes wrt_budget.h and
checks TOTAL_MEMORY_BUDGET. Before timing, each project is configured, built
and run once (untimed) to check that both are valid and equivalent, that the
"with" project found the package under test, and to warm the caches.

Two scenarios are timed, N runs each, with the two projects alternating in the
same loop (without, with, without, with, ...) so that both see the same
machine noise:

  fresh         rm -rf the build directory (untimed), then
                `cmake -S <src> -B <build> -G Ninja` (timed). Includes the
                C and C++ compiler checks that every new build directory runs.
  re-configure  `cmake -S <src> -B <build>` on the existing build directory,
                which is what happens after editing a CMakeLists.txt.

Each command is timed with time.perf_counter() around subprocess.run(). Per
scenario the script reports the median and min of each project, the added
time (with - without) and the ratio (with / without - 1) in percent, and
whether the project's target, "BuildBudget adds under 10 % to configure
time", is met. The verdict uses the medians; when the mins would give the
other verdict, the report says the figures are too noisy to be sure. It also
gives the median of the paired differences (run i of "with" minus run i of
"without", which ran just before it).

It also times the helper on its own, since every configure of the "with"
project runs it once: the installed bin/buildbudget, N times, as
`buildbudget budget validate --preset wrt`, and N times with the arguments
wrt_memory_budget() passes (--name wrt, --origin, --env-prefix and the
header, Rust and JSON outputs and the CMake result script, --cmake-out).

The projects and build directories live in a temporary directory that is
removed at the end. WRT_* variables of the caller's environment are dropped
(they would change the budget), and CMAKE_PREFIX_PATH is set to the package
prefix for both projects alike.

How to run
----------
  bench/configure_time.py                             # builds + installs the checkout first
  bench/configure_time.py --prefix /tmp/bench-prefix  # an installed BuildBudget
  bench/configure_time.py --prefix /tmp/bench-prefix --runs 10 --json results.json

Without --prefix the package is built and installed from the checkout that
contains this script, into a temporary directory, with
`cmake -S <checkout> -B <tmp> -G Ninja -DBUILD_TESTING=OFF`, `cmake --build`
and `cmake --install --prefix <tmp>` (Release, the project's default build type). Needs cmake (3.20+), ninja
and a C and C++ compiler on PATH.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

KiB = 1 << 10
MiB = 1 << 20

# The 16 WRT components, as the `wrt` preset declares them.
COMPONENTS = [
    ("wrt-foundation", 8 * MiB), ("wrt-runtime", 16 * MiB), ("wrt-component", 12 * MiB),
    ("wrt-decoder", 4 * MiB), ("wrt-format", 2 * MiB), ("wrt-host", 4 * MiB),
    ("wrt-debug", 2 * MiB), ("wrt-platform", 8 * MiB), ("wrt-instructions", 4 * MiB),
    ("wrt-logging", 1 * MiB), ("wrt-intercept", 1 * MiB), ("wrt-panic", 512 * KiB),
    ("wrt-sync", 1 * MiB), ("wrt-math", 512 * KiB), ("wrt-error", 256 * KiB),
    ("wrt-helper", 256 * KiB),
]
TOTAL = sum(size for _, size in COMPONENTS)  # 67633152 bytes, 64.5 MiB
TARGET_PERCENT = 10.0
CHECKOUT = pathlib.Path(__file__).resolve().parents[1]
VARIANTS = ("without", "with")
SCENARIOS = ("fresh", "re-configure")

MAIN_CPP = f"""\
#include "wrt_budget.h"

int main() {{ return TOTAL_MEMORY_BUDGET == {TOTAL}ULL ? 0 : 1; }}
"""


def identifier(name):
    return "BUDGET_" + "".join(c if c.isalnum() else "_" for c in name.upper())


def without_project():
    """CMakeLists.txt and header template of the consumer without BuildBudget."""
    sets = "\n".join(f"set({identifier(n)} {size})" for n, size in COMPONENTS)
    cmake = f"""\
cmake_minimum_required(VERSION 3.20)
project(consumer C CXX)

# The 16 WRT components in bytes, declared without BuildBudget.
{sets}
configure_file(wrt_budget.h.in ${{CMAKE_CURRENT_BINARY_DIR}}/gen/wrt_budget.h @ONLY)

add_executable(app main.cpp)
target_include_directories(app PRIVATE ${{CMAKE_CURRENT_BINARY_DIR}}/gen)
"""
    defines = "\n".join(f"#define {identifier(n)} @{identifier(n)}@ULL /* {n} */" for n, _ in COMPONENTS)
    total = " + \\\n  ".join(identifier(n) for n, _ in COMPONENTS)
    header = f"""\
/* Memory budget "wrt", declared by hand (no BuildBudget). */
#ifndef WRT_BUDGET_H
#define WRT_BUDGET_H

{defines}
#define TOTAL_MEMORY_BUDGET ( \\
  {total})

#endif
"""
    return {"CMakeLists.txt": cmake, "wrt_budget.h.in": header, "main.cpp": MAIN_CPP}


def with_project():
    """CMakeLists.txt of the consumer that uses BuildBudget."""
    cmake = """\
cmake_minimum_required(VERSION 3.20)
project(consumer C CXX)

# The 16 WRT components: the `wrt` preset, validated by BuildBudget.
find_package(BuildBudget 0.1 CONFIG REQUIRED)
wrt_memory_budget(wrt PRESET wrt)

add_executable(app main.cpp)
target_link_libraries(app PRIVATE wrt_budget)
"""
    return {"CMakeLists.txt": cmake, "main.cpp": MAIN_CPP}


def log(message):
    print(message, file=sys.stderr, flush=True)


def fail(message, proc=None):
    log(f"configure_time.py: error: {message}")
    if proc is not None:
        for stream in (proc.stdout, proc.stderr):
            if stream:
                log(stream.rstrip()[-4000:])
    sys.exit(1)


def run(cmd, env, cwd=None):
    return subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def checked(cmd, env, cwd=None):
    proc = run(cmd, env, cwd)
    if proc.returncode != 0:
        fail(f"`{' '.join(map(str, cmd))}` exited with {proc.returncode}", proc)
    return proc


def timed(cmd, env, cwd=None):
    """Seconds taken by one run of `cmd`; fails the benchmark when it fails."""
    start = time.perf_counter()
    proc = run(cmd, env, cwd)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        fail(f"`{' '.join(map(str, cmd))}` exited with {proc.returncode}", proc)
    return elapsed


def tool_version(cmd):
    try:
        return subprocess.run(cmd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def install_package(cmake, work, env):
    """Builds and installs BuildBudget from CHECKOUT; returns the prefix."""
    build, prefix = work / "package-build", work / "package-prefix"
    log(f"building and installing BuildBudget from {CHECKOUT} into {prefix} ...")
    checked([cmake, "-S", CHECKOUT, "-B", build, "-G", "Ninja", "-DBUILD_TESTING=OFF"], env)
    checked([cmake, "--build", build], env)
    checked([cmake, "--install", build, "--prefix", prefix], env)
    return prefix


def write_project(directory, files):
    directory.mkdir(parents=True)
    for name, text in files.items():
        (directory / name).write_text(text)


def cache_value(build, key):
    for line in (build / "CMakeCache.txt").read_text().splitlines():
        if line.startswith(key + ":"):
            return line.split("=", 1)[1]
    return None


def sanity_check(cmake, projects, prefix, env):
    """Configures, builds and runs both projects once (untimed; also a warm-up)."""
    for variant, (src, build) in projects.items():
        checked([cmake, "-S", src, "-B", build, "-G", "Ninja"], env)
        checked([cmake, "--build", build], env)
        if run([build / "app"], env).returncode != 0:
            fail(f"the {variant} project's executable does not see TOTAL_MEMORY_BUDGET == {TOTAL}")
    found = cache_value(projects["with"][1], "BuildBudget_DIR")
    expected = (prefix / "lib" / "cmake" / "BuildBudget").resolve()
    if found is None or pathlib.Path(found).resolve() != expected:
        fail(f"the with project found BuildBudget in {found}, not in {expected}")
    if cache_value(projects["without"][1], "BuildBudget_DIR") is not None:
        fail("the without project loaded BuildBudget")


def summary(samples):
    return {"median_ms": statistics.median(samples) * 1e3, "min_ms": min(samples) * 1e3}


def compare(without, with_):
    """Added time and ratio of `with` over `without`, by median and by min."""
    out = {}
    for stat in ("median", "min"):
        a, b = without[f"{stat}_ms"], with_[f"{stat}_ms"]
        out[f"added_{stat}_ms"] = b - a
        out[f"ratio_{stat}_percent"] = (b / a - 1.0) * 100.0
    out["target_met"] = out["ratio_median_percent"] < TARGET_PERCENT
    return out


def main():
    parser = argparse.ArgumentParser(
        description="Configure time of a consumer of the 16 WRT components, with and without "
                    "wrt_memory_budget(), side by side.")
    parser.add_argument("--prefix", type=pathlib.Path, metavar="DIR",
                        help="an installed BuildBudget (default: build and install this checkout into a temp dir)")
    parser.add_argument("--runs", type=int, default=10, metavar="N", help="runs per project and scenario (default 10)")
    parser.add_argument("--json", type=pathlib.Path, metavar="FILE", help="write the results and raw samples to this file")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    cmake = shutil.which("cmake")
    if cmake is None:
        fail("cmake is not on PATH")
    if shutil.which("ninja") is None:
        fail("ninja is not on PATH")

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("WRT_")}
    with tempfile.TemporaryDirectory(prefix="buildbudget-bench-") as tmp:
        work = pathlib.Path(tmp)
        if args.prefix is not None:
            prefix = args.prefix.resolve()
            if not (prefix / "lib" / "cmake" / "BuildBudget" / "BuildBudgetConfig.cmake").is_file():
                fail(f"{prefix} holds no installed BuildBudget (lib/cmake/BuildBudget/BuildBudgetConfig.cmake)")
        else:
            prefix = install_package(cmake, work, base_env)
        helper = prefix / "bin" / "buildbudget"
        if not os.access(helper, os.X_OK):
            fail(f"{helper} is missing or not executable")
        env = dict(base_env, CMAKE_PREFIX_PATH=str(prefix))

        projects = {}
        for variant, files in (("without", without_project()), ("with", with_project())):
            src = work / variant / "src"
            write_project(src, files)
            projects[variant] = (src, work / variant / "build")
        log("checking both consumer projects (configure, build, run; untimed) ...")
        sanity_check(cmake, projects, prefix, env)

        samples = {s: {v: [] for v in VARIANTS} for s in SCENARIOS}
        log(f"fresh configure, {args.runs} runs each, alternating ...")
        for _ in range(args.runs):
            for variant in VARIANTS:
                src, build = projects[variant]
                shutil.rmtree(build, ignore_errors=True)
                samples["fresh"][variant].append(timed([cmake, "-S", src, "-B", build, "-G", "Ninja"], env))
        log(f"re-configure, {args.runs} runs each, alternating ...")
        for _ in range(args.runs):
            for variant in VARIANTS:
                src, build = projects[variant]
                samples["re-configure"][variant].append(timed([cmake, "-S", src, "-B", build], env))

        log(f"helper, {args.runs} runs each ...")
        helper_dir = work / "helper"
        helper_dir.mkdir()
        # The second command mirrors the module's execute_process().
        as_called = [helper, "budget", "validate", "--name", "wrt", "--preset", "wrt",
                     "--origin", "CMakeLists.txt: wrt_memory_budget(wrt)", "--env-prefix", "WRT_BUDGET_",
                     "--header-out", helper_dir / "wrt_budget.h", "--rust-out", helper_dir / "memory_constants.rs",
                     "--json-out", helper_dir / "wrt_budget.json", "--cmake-out", helper_dir / "wrt_budget.cmake"]
        helper_cmds = {
            "budget validate --preset wrt": [helper, "budget", "validate", "--preset", "wrt"],
            f"as wrt_memory_budget() calls it ({sum(str(a).endswith('-out') for a in as_called)} outputs)": as_called,
        }
        helper_samples = {name: [timed(cmd, env, cwd=helper_dir) for _ in range(args.runs)]
                          for name, cmd in helper_cmds.items()}

    results = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "cmake": tool_version([cmake, "--version"]), "ninja": tool_version(["ninja", "--version"]),
        },
        "prefix": str(prefix) if args.prefix is not None else "(built from the checkout, temporary)",
        "runs": args.runs,
        "target_percent": TARGET_PERCENT,
        "scenarios": {},
        "helper": {},
    }
    for scenario in SCENARIOS:
        entry = {v: summary(samples[scenario][v]) for v in VARIANTS}
        entry.update(compare(entry["without"], entry["with"]))
        # ABAB pairs: run i of `with` ran right after run i of `without`.
        paired = statistics.median(b - a for a, b in zip(samples[scenario]["without"], samples[scenario]["with"]))
        entry["paired_added_median_ms"] = paired * 1e3
        entry["paired_ratio_median_percent"] = entry["paired_added_median_ms"] / entry["without"]["median_ms"] * 100.0
        for v in VARIANTS:
            entry[v]["samples_ms"] = [round(s * 1e3, 3) for s in samples[scenario][v]]
        results["scenarios"][scenario] = entry
    reconf_without = results["scenarios"]["re-configure"]["without"]["median_ms"]
    for name, s in helper_samples.items():
        entry = summary(s)
        entry["percent_of_reconfigure_without"] = entry["median_ms"] / reconf_without * 100.0
        entry["samples_ms"] = [round(x * 1e3, 3) for x in s]
        results["helper"][name] = entry

    print_report(results)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        log(f"results written to {args.json}")
    return 0


def print_report(r):
    m = r["machine"]
    print(f"BuildBudget configure-time benchmark, {r['date']}")
    print(f"{m['cores']} cores, {m['platform']}, {m['cmake']}, ninja {m['ninja']}")
    print(f"package: {r['prefix']}; {r['runs']} runs per project and scenario, alternating without/with")
    print()
    header = ("scenario", "without med/min", "with med/min", "added med/min", "ratio med/min", f"< {r['target_percent']:g} %?")
    rows = [header]
    for name, s in r["scenarios"].items():
        rows.append((
            name,
            f"{s['without']['median_ms']:.1f} / {s['without']['min_ms']:.1f} ms",
            f"{s['with']['median_ms']:.1f} / {s['with']['min_ms']:.1f} ms",
            f"{s['added_median_ms']:+.1f} / {s['added_min_ms']:+.1f} ms",
            f"{s['ratio_median_percent']:+.1f} / {s['ratio_min_percent']:+.1f} %",
            "met" if s["target_met"] else "NOT met",
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    for name, s in r["scenarios"].items():
        verdict = "met" if s["target_met"] else "NOT met"
        line = (f"{name}: with adds {s['ratio_median_percent']:+.1f} % (median; median of the paired "
                f"differences {s['paired_added_median_ms']:+.1f} ms = {s['paired_ratio_median_percent']:+.1f} %); "
                f"target < {r['target_percent']:g} % {verdict}")
        if (s["ratio_min_percent"] < r["target_percent"]) != s["target_met"]:
            line += (f" (but {s['ratio_min_percent']:+.1f} % by min: too noisy to be sure, "
                     f"run again or with more --runs)")
        print(line)
    print()
    print("helper alone (installed bin/buildbudget):")
    for name, s in r["helper"].items():
        print(f"  {name}: median {s['median_ms']:.1f} ms, min {s['min_ms']:.1f} ms "
              f"({s['percent_of_reconfigure_without']:.1f} % of the without re-configure median)")


if __name__ == "__main__":
    sys.exit(main())
