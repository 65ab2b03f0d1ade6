#!/usr/bin/env python3
"""`buildbudget wasm analyze` against `wasm-objdump -x` on the same large modules (target: faster;
figures in bench/README.md, "WebAssembly analysis"). Python 3 standard library only, plus a C++
compiler for the compression timing.

Side by side, in one run, alternating, best of --runs (default 3) each, output to /dev/null:

  analyze   buildbudget wasm analyze --no-compression --json <module>
            (read, parse, name, hash every body for duplicates, recommendations, the whole JSON report)
  objdump   wasm-objdump -x <module> (wabt: every section's details)

Then, separately, the compressed sizes `analyze` adds without --no-compression: the helper's own
wasm::gzip_compress (zlib level 9) and wasm::brotli_compress (quality 11), compiled here from
tools/buildbudget/src/wasm/size.cpp with -O2 and timed in-process (best of --compression-runs),
and one full `analyze --json` whose gzip/brotli sizes must equal the in-process ones.

Modules: esbuild-wasm 0.25.0's esbuild.wasm (12 MB, Go) and sql.js 1.13.0's sql-wasm.wasm
(Emscripten), fetched with `npm pack` at pinned versions as tests/test_wasm_analyze.py does, or the
paths given.

  python3 bench/wasm_analyze.py --helper build/tools/buildbudget/buildbudget [module.wasm ...] [--json out.json]
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent
sys.path.insert(0, str(SOURCE / "tests"))
os.environ.setdefault("BUILDBUDGET_WORK_DIR", str(pathlib.Path(tempfile.gettempdir()) / "buildbudget-bench" / "work"))
from test_wasm_analyze import fetch_npm_module  # noqa: E402  (the tests' pinned npm fetch)

COMPRESS_CPP = r"""
// Times the helper's own compression functions (wasm/size.hpp) on one file.
#include "wasm/size.hpp"
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>
int main(int argc, char** argv) {
    std::ifstream in(argv[1], std::ios::binary);
    const std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const int runs = std::atoi(argv[2]);
    double best_gzip = 1e300, best_brotli = 1e300;
    std::size_t gzip = 0, brotli = 0;
    for (int i = 0; i < runs; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        gzip = buildbudget::wasm::gzip_compress(data.data(), data.size()).size();
        auto t1 = std::chrono::steady_clock::now();
        brotli = buildbudget::wasm::brotli_compress(data.data(), data.size()).size();
        auto t2 = std::chrono::steady_clock::now();
        best_gzip = std::min(best_gzip, std::chrono::duration<double>(t1 - t0).count());
        best_brotli = std::min(best_brotli, std::chrono::duration<double>(t2 - t1).count());
    }
    std::printf("{\"gzip\": %zu, \"brotli\": %zu, \"gzip_seconds\": %.6f, \"brotli_seconds\": %.6f}\n", gzip, brotli,
                best_gzip, best_brotli);
}
"""


def timed(cmd):
    """Seconds of one run of `cmd` (wall clock), its output to /dev/null."""
    start = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stderr.decode(errors='replace')}")
    return seconds


def build_compressor(work):
    src = SOURCE / "tools" / "buildbudget" / "src"
    (work / "compress.cpp").write_text(COMPRESS_CPP)
    exe = work / "compress"
    proc = subprocess.run(["c++", "-O2", "-std=c++17", f"-I{src}", work / "compress.cpp", src / "wasm" / "size.cpp",
                           src / "wasm" / "reader.cpp", "-lz", "-lbrotlienc", "-o", exe],
                          text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        sys.exit(f"compiling the compression timer failed:\n{proc.stderr}")
    return exe


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("modules", nargs="*", help="modules to measure (default: esbuild.wasm and sql-wasm.wasm)")
    ap.add_argument("--helper", required=True, help="the buildbudget executable")
    ap.add_argument("--runs", type=int, default=3, help="runs of analyze and of wasm-objdump (best is kept)")
    ap.add_argument("--compression-runs", type=int, default=1, help="runs of gzip and of brotli (best is kept)")
    ap.add_argument("--cache", default=str(pathlib.Path(tempfile.gettempdir()) / "buildbudget-bench" / "npm-cache"),
                    help="where the npm tarballs are kept")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    helper = pathlib.Path(args.helper).resolve()
    modules = [pathlib.Path(m) for m in args.modules] or [
        fetch_npm_module("esbuild.wasm", pathlib.Path(args.cache)),
        fetch_npm_module("sql-wasm.wasm", pathlib.Path(args.cache))]

    results = []
    with tempfile.TemporaryDirectory(prefix="bb-wasm-analyze-") as tmp:
        compressor = build_compressor(pathlib.Path(tmp))
        for module in modules:
            analyze, objdump = [], []
            for _ in range(args.runs):  # alternating, so both see the same machine
                analyze.append(timed([helper, "wasm", "analyze", "--no-compression", "--json", module]))
                objdump.append(timed(["wasm-objdump", "-x", module]))
            proc = subprocess.run([compressor, module, str(args.compression_runs)], text=True,
                                  stdout=subprocess.PIPE, check=True)
            compression = json.loads(proc.stdout)
            start = time.perf_counter()
            full = json.loads(subprocess.run([helper, "wasm", "analyze", "--json", module], text=True,
                                             stdout=subprocess.PIPE, check=True).stdout)
            full_seconds = time.perf_counter() - start
            m = full["modules"][0]
            if (m["gzip"], m["brotli"]) != (compression["gzip"], compression["brotli"]):
                sys.exit(f"{module}: analyze says gzip {m['gzip']} brotli {m['brotli']}, the compression timer "
                         f"{compression['gzip']} {compression['brotli']}")
            results.append({
                "module": str(module), "bytes": module.stat().st_size,
                "functions": m["counts"]["functions"], "data_segments": m["counts"]["data_segments"],
                "analyze_seconds": min(analyze), "objdump_seconds": min(objdump),
                "gzip_seconds": compression["gzip_seconds"], "brotli_seconds": compression["brotli_seconds"],
                "full_analyze_seconds": full_seconds, "gzip": m["gzip"], "brotli": m["brotli"]})

    print(f"best of {args.runs} runs (analyze and wasm-objdump alternating), output to /dev/null\n")
    print("| module | bytes | functions | data segments | `analyze --no-compression --json` | `wasm-objdump -x` "
          "| ratio | faster? |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        ratio = r["analyze_seconds"] / r["objdump_seconds"]
        print(f"| {pathlib.Path(r['module']).name} | {r['bytes']} | {r['functions']} | {r['data_segments']} "
              f"| {r['analyze_seconds'] * 1000:.0f} ms | {r['objdump_seconds'] * 1000:.0f} ms "
              f"| {ratio:.3f} | {'yes' if ratio < 1 else 'no'} |")
    print(f"\ncompressed sizes (the helper's gzip_compress / brotli_compress, best of {args.compression_runs}), "
          "and one full `analyze --json`:\n")
    print("| module | gzip -9 | time | brotli -q 11 | time | full `analyze --json` |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {pathlib.Path(r['module']).name} | {r['gzip']} | {r['gzip_seconds'] * 1000:.0f} ms "
              f"| {r['brotli']} | {r['brotli_seconds']:.2f} s | {r['full_analyze_seconds']:.2f} s |")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
