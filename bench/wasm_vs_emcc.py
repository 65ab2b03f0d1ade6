#!/usr/bin/env python3
"""WebAssembly size on real third-party code: wasm_build_target() against
`emcc -Oz -sSTANDALONE_WASM` (issue 13: at most 1.0x emcc's raw and gzip size).
Python 3 standard library only.

The program is test-projects/wasm-thirdparty: the SQLite amalgamation of npm
better-sqlite3 12.11.1 (fetched, pinned and sha1-checked as the tests fetch it)
with its small main.c, and the definitions of that project's
SQLITE_DEFINITIONS plus the NDEBUG that wasm_build_target() adds.

  shipped   the fixture built by the installed BuildBudget (CMake, Ninja),
            OPTIMIZE at its default (size); run once under Node.js's WASI
  emcc      Debian's emcc -Oz -sSTANDALONE_WASM on the same sources and
            definitions (the whole module, no JS glue)

Then where the difference goes, one change at a time, on the modules the
build itself linked (the input of its `buildbudget wasm optimize` step, from
`ninja -t commands`) and with the wasm-opt flags its size report lists:

  strip first   --strip-debug --strip-producers before -Oz instead of after
                (wasm-opt runs its passes in command-line order)
  +lmu          also --low-memory-unused (wasm-ld puts data at 1024, so the
                first KiB is unused; emcc passes it too)
  emcc flags    the fixture again (SQLITE_BUILD_OPTIONS) with the code
                generation flags emcc adds to its own clang command
                (COMPILE_OPTIONS -fno-inline-functions -mllvm -disable-lsr
                -mllvm -combiner-global-alias-analysis=false, and LINK_OPTIONS
                -Wl,-mllvm,-disable-lsr: with LTO the code is generated at
                the link)
  +int printf   and LINK_LIBRARIES c-printscan-no-floating-point: wasi-libc's
                printf without floating point, linked before libc (main.c
                prints text only; SQLite formats numbers itself). For
                Emscripten, LLVM turns such printf calls into iprintf.

and `buildbudget wasm analyze` splits the code of named builds (wasm-opt -g
on the same linked modules; emcc --profiling-funcs) into SQLite's and
main.c's functions (the symbols llvm-nm lists in the builds' objects) and
the C library's and runtime's. Sizes from `buildbudget wasm size --json`
(gzip level 9).

  python3 bench/wasm_vs_emcc.py --prefix <installed BuildBudget> [--json out.json] [--cache DIR]

About 7 minutes on 2 shared cores: three CMake builds and two emcc builds of SQLite.
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

# What emcc 3.1.6 adds to its clang command at -Oz besides the target and sysroot (its EMCC_DEBUG=1 log).
EMCC_COMPILE_FLAGS = ["-fno-inline-functions", "-mllvm", "-disable-lsr",
                      "-mllvm", "-combiner-global-alias-analysis=false"]


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
    runner = prefix / "lib" / "cmake" / "BuildBudget" / "Modules" / "runners" / "wasi-run.mjs"
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
        emcc_flags = ["COMPILE_OPTIONS", *EMCC_COMPILE_FLAGS, "LINK_OPTIONS", "-Wl,-mllvm,-disable-lsr"]
        jobs["emcc flags"] = pool.submit(build, "emcc-flags", "-DSQLITE_BUILD_OPTIONS=" + ";".join(emcc_flags))
        jobs["emcc names"] = pool.submit(emcc, "emcc-names.wasm", "--profiling-funcs")
        jobs["+int printf"] = pool.submit(build, "int-printf", "-DSQLITE_BUILD_OPTIONS=" + ";".join(
            emcc_flags + ["LINK_LIBRARIES", "c-printscan-no-floating-point"]))
        modules = {"emcc": jobs["emcc"].result(), "emcc names": jobs["emcc names"].result()}
        variants = {}
        for tag in ("shipped", "emcc flags", "+int printf"):
            b = jobs[tag].result()
            modules[tag] = b["module"]
            level = [f for f in b["flags"] if f.startswith("-O")]
            strip = [f for f in b["flags"] if f.startswith("--strip")]
            others = [f for f in b["flags"] if f not in level and f not in strip]
            variants[f"{tag}, strip first"] = (b["raw"], [*others, *strip, *level])
            variants[f"{tag}, strip first +lmu"] = (b["raw"], [*others, *strip, *level, "--low-memory-unused"])
            # Named (-g keeps the name section): as built, and the others with --low-memory-unused.
            extra = [] if tag == "shipped" else ["--low-memory-unused"]
            variants[f"named: {tag}"] = (b["raw"], [*others, "--strip-producers", *level, *extra, "-g"])
        for i, (name, (raw, passes)) in enumerate(variants.items()):
            variants[name] = pool.submit(wasm_opt, raw, f"variant-{i}.wasm", *passes)
        modules.update({name: job.result() for name, job in variants.items()})

        size = {name: json.loads(sh(helper, "wasm", "size", "--json", path))
                for name, path in modules.items() if not name.startswith(("named", "emcc names"))}
        base = size["emcc"]
        rows = [("emcc -Oz -sSTANDALONE_WASM", "emcc"), ("wasm_build_target() as shipped", "shipped"),
                ("  wasm-opt strips before -Oz", "shipped, strip first"),
                ("  + wasm-opt --low-memory-unused", "shipped, strip first +lmu"),
                ("wasm_build_target() with emcc's code generation flags", "emcc flags"),
                ("  wasm-opt strips before -Oz", "emcc flags, strip first"),
                ("  + wasm-opt --low-memory-unused", "emcc flags, strip first +lmu"),
                ("  + LINK_LIBRARIES c-printscan-no-floating-point", "+int printf"),
                ("    wasm-opt strips before -Oz", "+int printf, strip first"),
                ("    + wasm-opt --low-memory-unused", "+int printf, strip first +lmu")]
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
        for obj in jobs["shipped"].result()["objects"] + jobs["emcc flags"].result()["objects"]:  # (same objects in +int printf)
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

        named = {"shipped": code(modules["named: shipped"]), "emcc flags +lmu": code(modules["named: emcc flags"]),
                 "+int printf +lmu": code(modules["named: +int printf"]),
                 "emcc": code(modules["emcc names"])}
        print("\n| named build | SQLite + main.c code | functions | C library and runtime code | functions |\n"
              "| --- | ---: | ---: | ---: | ---: |")
        for name, functions in named.items():
            ours = {n: b for n, b in functions.items() if n in symbols}
            rest = {n: b for n, b in functions.items() if n not in symbols}
            figures["code"][name] = {"program": sum(ours.values()), "library": sum(rest.values())}
            print(f"| {name} | {sum(ours.values())} | {len(ours)} | {sum(rest.values())} | {len(rest)} |")
        best, peer = named["emcc flags +lmu"], named["emcc"]
        print("\nThe largest C library functions of the emcc flags +lmu build, and emcc's (bytes of code):")
        for n in sorted((n for n in best if n not in symbols), key=lambda n: -best[n])[:8]:
            print(f"  {n:32} {best[n]:6}  emcc: {peer.get(n, '-')}")
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        pool.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
