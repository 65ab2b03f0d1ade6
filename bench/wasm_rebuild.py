#!/usr/bin/env python3
"""Edit-rebuild of a real C program under wasm_build_target(... OPTIMIZE size): the SQLite
amalgamation (about 260,000 lines, from the npm package better-sqlite3@12.11.1) with a small
main.c beside it (bench/wasm-rebuild/main.c), built with ThinLTO and its cache (the default,
BUILDBUDGET_WASM_LTO=thin), with full LTO (=full) and without LTO (=none).

For each: the clean build's time, the time to rebuild after an edit of main.c (the printed text
changes), their ratio, and the optimised module's size. The target (doc/wasm-build.md): the
edit-rebuild takes at most 25 % of a clean build, and the module stays within 1 % of the
full-LTO one.

Usage: bench/wasm_rebuild.py --prefix <installed BuildBudget> [--work DIR] [--jobs N] [--runs N] [--lto thin,none,full]
(--runs repeats each configuration's clean build and edit-rebuild and adds the median ratio;
the prefix is where `cmake --install` put the package; the test suite's is
<build>/test-prefix). Needs npm (for `npm pack`), clang for wasm32-wasi, wasm-opt, Ninja."""
import argparse
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import time

HERE = pathlib.Path(__file__).resolve().parent
PACKAGE = "better-sqlite3@12.11.1"
MEMBERS = {"package/deps/sqlite3/sqlite3.c": "sqlite3.c", "package/deps/sqlite3/sqlite3.h": "sqlite3.h"}
# What SQLite needs for clang 14 and wasi-libc: no dlopen, no threads.
DEFINES = ["SQLITE_OMIT_LOAD_EXTENSION", "SQLITE_THREADSAFE=0"]

CMAKELISTS = """cmake_minimum_required(VERSION 3.20)
project(sqlite_wasm_bench C)
find_package(BuildBudget CONFIG REQUIRED)
wasm_build_target(sqlite_demo SOURCES sqlite3.c main.c INCLUDE_DIRECTORIES .
                  COMPILE_DEFINITIONS {defines} OPTIMIZE size)
"""


def run(cmd, cwd=None):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{proc.stdout}")
    return proc.stdout


def fetch_sqlite(work):
    """sqlite3.c and sqlite3.h from `npm pack better-sqlite3@12.11.1`, unpacked once into work/sqlite."""
    dest = work / "sqlite"
    if all((dest / name).is_file() for name in MEMBERS.values()):
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    tarball = run(["npm", "pack", PACKAGE, "--silent"], cwd=dest).strip().splitlines()[-1]
    with tarfile.open(dest / tarball) as tar:
        for member, name in MEMBERS.items():
            (dest / name).write_bytes(tar.extractfile(member).read())
    return dest


def timed_build(build_dir, jobs):
    """(wall seconds, CPU seconds of every process the build ran): on a shared machine the CPU time
    is the steadier figure, the wall time the one a user waits for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    run(["cmake", "--build", build_dir, "-j", str(jobs)])
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def measure(work, sqlite, prefix, lto, jobs):
    src = work / f"src-{lto}"
    bld = work / f"build-{lto}"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(bld, ignore_errors=True)
    src.mkdir(parents=True)
    for name in MEMBERS.values():
        shutil.copy(sqlite / name, src / name)
    shutil.copy(HERE / "wasm-rebuild" / "main.c", src / "main.c")
    (src / "CMakeLists.txt").write_text(CMAKELISTS.format(defines=" ".join(DEFINES)))
    run(["cmake", "-S", src, "-B", bld, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={prefix}",
         f"-DBUILDBUDGET_WASM_LTO={lto}"])
    clean = timed_build(bld, jobs)
    size_clean = (bld / "sqlite_demo.wasm").stat().st_size
    main = src / "main.c"
    main.write_text(main.read_text().replace('"sqlite %s ok\\n"', '"sqlite %s ok (edited)\\n"'))
    edit = timed_build(bld, jobs)
    out = run(["node", "--no-warnings", prefix / "lib/cmake/BuildBudget/templates/runners/wasi-run.mjs",
               bld / "sqlite_demo.wasm"])
    if "ok (edited)" not in out:
        sys.exit(f"the rebuilt module does not print the edit:\n{out}")
    return {"lto": lto, "clean": clean, "edit": edit, "bytes": size_clean}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefix", required=True, type=pathlib.Path, help="the installed BuildBudget package")
    parser.add_argument("--work", type=pathlib.Path, default=pathlib.Path("/tmp/buildbudget-bench-wasm-rebuild"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="clean build and edit-rebuild pairs per configuration")
    parser.add_argument("--lto", default="thin,none,full", help="the BUILDBUDGET_WASM_LTO values to measure")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sqlite = fetch_sqlite(args.work)
    lines = sum(1 for _ in open(sqlite / "sqlite3.c", "rb"))
    print(f"SQLite amalgamation from {PACKAGE}: {lines} lines; main.c edited between builds; -j{args.jobs}")
    ltos = args.lto.split(",")
    results = {lto: [measure(args.work, sqlite, args.prefix.resolve(), lto, args.jobs) for _ in range(args.runs)]
               for lto in ltos}
    print(f"{'LTO':<6} | {'':>5} | {'clean build':>11} | {'edit-rebuild':>12} | {'ratio':>6} | {'module bytes':>12}")
    for lto, runs in results.items():
        for i, kind in enumerate(("wall", "CPU")):
            for r in runs:
                clean, edit = r["clean"][i], r["edit"][i]
                print(f"{lto:<6} | {kind:>5} | {clean:10.1f}s | {edit:11.1f}s | {edit / clean:6.1%} | {r['bytes']:12}")
            if len(runs) > 1:
                ratio = statistics.median(r["edit"][i] / r["clean"][i] for r in runs)
                print(f"{lto:<6} | {kind:>5} | median of {len(runs)} runs:{'':>13} {ratio:6.1%} |")
    if "full" in results:
        full = results["full"][0]["bytes"]
        for lto in (l for l in ltos if l != "full"):
            size = results[lto][0]["bytes"]
            print(f"{lto} module / full-LTO module: {size / full:.4f} ({size - full:+d} bytes)")


if __name__ == "__main__":
    main()
