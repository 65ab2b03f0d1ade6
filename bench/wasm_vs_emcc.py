#!/usr/bin/env python3
"""WebAssembly size on real third-party code: wasm_build_target() against
`emcc -Oz -sSTANDALONE_WASM` (the target: at most 1.0x emcc's raw and gzip size).
Python 3 standard library only.

The program is test-projects/wasm-thirdparty: the SQLite amalgamation of npm
better-sqlite3 12.11.1 (fetched, pinned and sha1-checked as the tests fetch it)
with its small main.c, and the definitions of that project's
SQLITE_DEFINITIONS plus the NDEBUG that wasm_build_target() adds.

  shipped      the fixture built by the installed BuildBudget (CMake, Ninja),
               OPTIMIZE at its default (size), ThinLTO (the default
               BUILDBUDGET_WASM_LTO=thin); run once under Node.js's WASI
  full LTO     the same with -DBUILDBUDGET_WASM_LTO=full
  no LTO       the same with -DBUILDBUDGET_WASM_LTO=none (as emcc -Oz)
  +int printf  no LTO, and LINK_LIBRARIES c-printscan-no-floating-point
               (SQLITE_BUILD_OPTIONS): wasi-libc's printf without floating
               point, linked before libc (main.c prints text only; SQLite
               formats numbers itself). For Emscripten, LLVM turns such printf
               calls into iprintf. The program's choice, not a default.
  emcc         Debian's emcc -Oz -sSTANDALONE_WASM on the same sources and
               definitions (the whole module, no JS glue)

OPTIMIZE size already has what emcc does for size (doc/wasm-build.md, "What
each OPTIMIZE level passes"): emcc's code generation flags, wasm-opt
--low-memory-unused, and stripping before -Oz. To see what one of them is
worth, build the installed package of an earlier commit.

`buildbudget wasm analyze` splits the code of named builds (wasm-opt -g on
the modules the builds linked, the input of their `buildbudget wasm optimize`
step from `ninja -t commands`, with the wasm-opt flags of their size report;
emcc --profiling-funcs) into SQLite's and main.c's functions (the symbols
llvm-nm lists in the builds' objects) and the C library's and runtime's.
Sizes from `buildbudget wasm size --json` (gzip level 9).

  python3 bench/wasm_vs_emcc.py --prefix <installed BuildBudget> [--json out.json] [--cache DIR]

About 8 minutes on 2 shared cores: four CMake builds and two emcc builds of SQLite.
"""
import argparse
import collections
import concurrent.futures
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent
PROJECT = SOURCE / "test-projects" / "wasm-thirdparty"
sys.path.insert(0, str(SOURCE / "tests"))
from test_wasm_thirdparty import SQLITE_CACHE, sqlite_sources  # noqa: E402  (the tests' pinned npm fetch)


def sh(*cmd, env=None, cwd=None):
    proc = subprocess.run([str(c) for c in cmd], text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env, cwd=cwd)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def definitions():
    """-D options: the fixture's SQLITE_DEFINITIONS and wasm_build_target()'s NDEBUG."""
    text = (PROJECT / "CMakeLists.txt").read_text()
    found = re.search(r"^set\(SQLITE_DEFINITIONS ([^)]*)\)", text, re.M)
    if not found:
        sys.exit(f"{PROJECT / 'CMakeLists.txt'}: no set(SQLITE_DEFINITIONS ...)")
    return ["-DNDEBUG"] + [f"-D{d}" for d in found.group(1).split()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prefix", required=True, help="an installed BuildBudget")
    ap.add_argument("--cache", default=str(SQLITE_CACHE), help="where the npm tarball is kept")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    prefix = pathlib.Path(args.prefix).resolve()
    helper = prefix / "bin" / "buildbudget"
    runner = prefix / "lib" / "cmake" / "BuildBudget" / "templates" / "runners" / "wasi-run.mjs"
    sources = sqlite_sources(pathlib.Path(args.cache))
    defs = definitions() + [f"-I{sources}"]
    c_files = [PROJECT / "main.c", sources / "sqlite3.c"]
    work = pathlib.Path(tempfile.mkdtemp(prefix="bb-wasm-vs-emcc-"))
    pool = concurrent.futures.ThreadPoolExecutor(2)
    try:
        def build(tag, *options):
            """The fixture built by BuildBudget: the module, the linked module its optimize step
            reads, the wasm-opt flags of its size report and the objects of its link."""
            bld = work / tag
            sh("cmake", "-S", PROJECT, "-B", bld, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={prefix}",
               "-DCMAKE_BUILD_TYPE=Release", f"-DSQLITE_DIR={sources}", *options)
            sh("cmake", "--build", bld, "--target", "sqlite")
            out = sh("node", "--no-warnings", runner, bld / "sqlite.wasm", "SELECT 6 * 7, sqlite_version()")
            if not out.startswith("42|"):
                sys.exit(f"{bld / 'sqlite.wasm'} printed {out!r}, expected 42|<version>")
            commands = sh("ninja", "-C", bld, "-t", "commands", "sqlite")
            found = re.search(r"wasm optimize --input (\S+)", commands)
            if not found:
                sys.exit(f"no `buildbudget wasm optimize --input` among the commands of {bld}: update the bench")
            raw = pathlib.Path(found.group(1))
            link = next((line for line in commands.splitlines() if f"-o {raw}" in line), "")
            objects = [pathlib.Path(w) for w in link.split() if w.endswith(".o")]
            flags = json.loads((bld / "sqlite.wasm.size.json").read_text())["wasm_opt"]["flags"]
            return {"module": bld / "sqlite.wasm", "raw": raw, "flags": flags, "objects": objects}

        def emcc(name, *extra):
            sh("emcc", "-Oz", "-sSTANDALONE_WASM", *extra, *defs, *c_files, "-o", work / name)
            return work / name

        def wasm_opt(raw, name, *passes):
            sh("wasm-opt", raw, *passes, "-o", work / name)
            return work / name

        jobs = {"shipped": pool.submit(build, "shipped"), "emcc": pool.submit(emcc, "emcc.wasm")}
        jobs["full LTO"] = pool.submit(build, "full-lto", "-DBUILDBUDGET_WASM_LTO=full")
        jobs["no LTO"] = pool.submit(build, "no-lto", "-DBUILDBUDGET_WASM_LTO=none")
        jobs["emcc names"] = pool.submit(emcc, "emcc-names.wasm", "--profiling-funcs")
        jobs["+int printf"] = pool.submit(build, "int-printf", "-DBUILDBUDGET_WASM_LTO=none",
                                          "-DSQLITE_BUILD_OPTIONS=LINK_LIBRARIES;c-printscan-no-floating-point")
        modules = {"emcc": jobs["emcc"].result(), "emcc names": jobs["emcc names"].result()}
        variants = {}
        for tag in ("shipped", "full LTO", "no LTO", "+int printf"):
            b = jobs[tag].result()
            modules[tag] = b["module"]
            # Named (-g keeps the name section): the build's own wasm-opt flags without --strip-debug.
            passes = [f for f in b["flags"] if f != "--strip-debug"]
            variants[f"named: {tag}"] = (b["raw"], [*passes, "-g"])
        for i, (name, (raw, passes)) in enumerate(variants.items()):
            variants[name] = pool.submit(wasm_opt, raw, f"variant-{i}.wasm", *passes)
        modules.update({name: job.result() for name, job in variants.items()})

        size = {name: json.loads(sh(helper, "wasm", "size", "--json", path))
                for name, path in modules.items() if not name.startswith(("named", "emcc names"))}
        base = size["emcc"]
        rows = [("emcc -Oz -sSTANDALONE_WASM", "emcc"), ("wasm_build_target() as shipped (ThinLTO)", "shipped"),
                ("  with BUILDBUDGET_WASM_LTO=full", "full LTO"), ("  with BUILDBUDGET_WASM_LTO=none", "no LTO"),
                ("  none + LINK_LIBRARIES c-printscan-no-floating-point", "+int printf")]
        print("| module | raw | gzip -9 | raw / emcc | gzip / emcc |\n| --- | ---: | ---: | ---: | ---: |")
        figures = {"sizes": {}, "code": {}}
        for label, name in rows:
            s = size[name]
            figures["sizes"][name] = {"raw": s["raw"], "gzip": s["gzip"], "raw_ratio": s["raw"] / base["raw"],
                                      "gzip_ratio": s["gzip"] / base["gzip"]}
            print(f"| {label} | {s['raw']} | {s['gzip']} | {s['raw'] / base['raw']:.3f} | "
                  f"{s['gzip'] / base['gzip']:.3f} |")

        # Code bytes of SQLite + main.c and of everything else, from named builds.
        symbols = set()
        for obj in jobs["shipped"].result()["objects"] + jobs["no LTO"].result()["objects"]:  # (as the others')
            for line in sh("llvm-nm-14", "--defined-only", obj).splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[1] in "Tt":
                    symbols.add(parts[2])
        if not symbols:
            sys.exit("llvm-nm found no functions in the objects of the links: update the bench")

        def code(path):
            report = json.loads(sh(helper, "wasm", "analyze", "--json", "--top", "0", "--no-compression", path))
            # ThinLTO renames the local functions it imports into another module to <name>.llvm.<hash>.
            functions = collections.Counter()
            for f in report["modules"][0]["functions"]:
                functions[re.sub(r"\.llvm\.\d+$", "", f["name"])] += f["body_bytes"]
            return functions

        named = {"shipped": code(modules["named: shipped"]), "full LTO": code(modules["named: full LTO"]),
                 "no LTO": code(modules["named: no LTO"]),
                 "+int printf": code(modules["named: +int printf"]),
                 "emcc": code(modules["emcc names"])}
        print("\n| named build | SQLite + main.c code | functions | C library and runtime code | functions |\n"
              "| --- | ---: | ---: | ---: | ---: |")
        for name, functions in named.items():
            ours = {n: b for n, b in functions.items() if n in symbols}
            rest = {n: b for n, b in functions.items() if n not in symbols}
            figures["code"][name] = {"program": sum(ours.values()), "library": sum(rest.values())}
            print(f"| {name} | {sum(ours.values())} | {len(ours)} | {sum(rest.values())} | {len(rest)} |")
        best, peer = named["no LTO"], named["emcc"]
        print("\nThe largest C library functions of the no-LTO build, and emcc's (bytes of code):")
        for n in sorted((n for n in best if n not in symbols), key=lambda n: -best[n])[:8]:
            print(f"  {n:32} {best[n]:6}  emcc: {peer.get(n, '-')}")
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        pool.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
