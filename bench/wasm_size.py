#!/usr/bin/env python3
"""Optimised WebAssembly size: wasm_build_target(OPTIMIZE size) against the peers
(issue "wasm_build_target()": not larger than any of them; figures in
bench/README.md, "Optimised WebAssembly size"). Python 3 standard library only.

Side by side, in one run, from the same sources (bench/wasm-size/):

  C program (program.c: formatting, strings, allocation, sorting, strtod)
    buildbudget   wasm_build_target(program SOURCES program.c OPTIMIZE size)
    emcc -Oz      Debian's Emscripten, standalone wasm (-sSTANDALONE_WASM), so
                  that no JavaScript glue is needed and the .wasm is the whole
                  module; also emcc -Oz with its default JS output (the .wasm of it)
    clang -O2     clang --target=wasm32-wasi -O2, plain
  Rust crate (wordfreq/: String, Vec, HashMap, formatting)
    buildbudget   wasm_build_target(wordfreq CARGO_MANIFEST ... OPTIMIZE size)
    seed-001      cargo build --release with seed 001's profile alone: opt-level
                  "z", lto, codegen-units 1, panic abort, strip (given to cargo as
                  CARGO_PROFILE_RELEASE_* variables; no wasm-opt)

Each module's raw, gzip -9 and brotli (quality 11) sizes come from
`buildbudget wasm size --json`; each standalone C module is run once under
Node.js's WASI and must print the right report.

  python3 bench/wasm_size.py --prefix <installed BuildBudget> [--json out.json]
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent
BENCH = HERE / "wasm-size"


def sh(*cmd, env=None, cwd=None):
    proc = subprocess.run([str(c) for c in cmd], text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env, cwd=cwd)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def sizes(helper, module):
    return json.loads(sh(helper, "wasm", "size", "--json", module))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prefix", required=True, help="an installed BuildBudget")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    prefix = pathlib.Path(args.prefix).resolve()
    helper = prefix / "bin" / "buildbudget"
    runner = prefix / "lib" / "cmake" / "BuildBudget" / "templates" / "runners" / "wasi-run.mjs"
    work = pathlib.Path(tempfile.mkdtemp(prefix="bb-wasm-size-"))
    try:
        build = work / "build"
        sh("cmake", "-S", BENCH, "-B", build, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={prefix}")
        sh("cmake", "--build", build)
        modules = {"C: wasm_build_target(OPTIMIZE size)": build / "program.wasm"}

        emcc_dir = work / "emcc"
        emcc_dir.mkdir()
        sh("emcc", "-Oz", "-sSTANDALONE_WASM", BENCH / "program.c", "-o", emcc_dir / "standalone.wasm")
        modules["C: emcc -Oz -sSTANDALONE_WASM"] = emcc_dir / "standalone.wasm"
        # emcc's JS minifier needs acorn: Debian's node-acorn, where Node.js looks with NODE_PATH.
        emcc_env = dict(os.environ, NODE_PATH="/usr/share/nodejs")
        sh("emcc", "-Oz", BENCH / "program.c", "-o", emcc_dir / "program.js", env=emcc_env)
        modules["C: emcc -Oz (the .wasm beside its JS glue)"] = emcc_dir / "program.wasm"
        js_glue = (emcc_dir / "program.js").stat().st_size

        sh("clang", "--target=wasm32-wasi", "-O2", BENCH / "program.c", "-o", work / "clang-O2.wasm")
        modules["C: clang --target=wasm32-wasi -O2"] = work / "clang-O2.wasm"

        for name in ("C: wasm_build_target(OPTIMIZE size)", "C: emcc -Oz -sSTANDALONE_WASM",
                     "C: clang --target=wasm32-wasi -O2"):
            out = sh("node", "--no-warnings", runner, modules[name])
            if "numbers sum to 13.625" not in out:
                sys.exit(f"{name} printed the wrong report:\n{out}")

        crate = work / "wordfreq"
        shutil.copytree(BENCH / "wordfreq", crate)
        env = dict(os.environ, CARGO_TARGET_DIR=str(work / "seed-target"), RUSTC="/usr/bin/rustc",
                   CARGO_PROFILE_RELEASE_OPT_LEVEL="z", CARGO_PROFILE_RELEASE_LTO="true",
                   CARGO_PROFILE_RELEASE_CODEGEN_UNITS="1", CARGO_PROFILE_RELEASE_PANIC="abort",
                   CARGO_PROFILE_RELEASE_STRIP="symbols")
        sh("/usr/bin/cargo", "build", "--offline", "--release", "--target", "wasm32-unknown-unknown",
           "--manifest-path", crate / "Cargo.toml", env=env)
        modules["Rust: wasm_build_target(OPTIMIZE size)"] = build / "wordfreq.wasm"
        modules["Rust: seed-001 cargo profile alone"] = work / "seed-target" / "wasm32-unknown-unknown" / "release" / "wordfreq.wasm"

        figures = {name: sizes(helper, path) for name, path in modules.items()}
        rows = [(name, f["raw"], f["gzip"], f["brotli"]) for name, f in figures.items()]
        width = max(len(r[0]) for r in rows)
        print(f"{'module':<{width}} | {'raw':>8} | {'gzip -9':>8} | {'brotli':>8}")
        print("-" * (width + 33))
        for name, raw, gz, br in rows:
            print(f"{name:<{width}} | {raw:>8} | {gz:>8} | {br:>8}")
        print(f"(emcc's default output also needs its JS glue: {js_glue} bytes)")
        ours_c = figures["C: wasm_build_target(OPTIMIZE size)"]
        ours_rust = figures["Rust: wasm_build_target(OPTIMIZE size)"]
        verdicts = []
        for name, f in figures.items():
            ours = ours_c if name.startswith("C:") else ours_rust
            if f is ours:
                continue
            ratio = ours["raw"] / f["raw"]
            verdicts.append((name, ratio, ours["gzip"] / f["gzip"]))
            print(f"ours / {name}: raw {ratio:.3f}, gzip {ours['gzip'] / f['gzip']:.3f}")
        met = all(r <= 1.0 for _, r, _ in verdicts)
        print("target (not larger than any of them, raw): " + ("met" if met else "NOT met"))
        if args.json:
            pathlib.Path(args.json).write_text(json.dumps({"modules": figures, "js_glue_bytes": js_glue,
                                                           "met": met}, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
