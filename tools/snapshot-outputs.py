#!/usr/bin/env python3
"""Snapshots of every file BuildBudget generates into consumers' build trees, and their comparison
(Python 3 standard library only).

A refactoring that must not change any output (every generated output byte-identical
before and after) is checked by taking a snapshot with the package before the change, one after,
and comparing them:

  take      installs the package from a BuildBudget build tree (or uses an installed prefix), copies
            examples/ and test-projects/ of a checkout into the work directory, configures and builds
            a copy of each project (and each variant: the memory-budget, wasm-build and lowmem cases that
            configure successfully, lowmem_profile() argument sets, lowmem-inject.cmake on a project
            that knows nothing of BuildBudget) against it, the way tests/ do (CMAKE_PREFIX_PATH), and
            keeps every file the package generated in the build trees: generated headers, Rust, JSON
            and CMake scripts, env scripts, plan.json, cargo configs, wasm modules, npm packages
            (package.json, index.js, index.d.ts), the wasm sub-builds' CMakeLists, analysis reports,
            the LTO probe's source (CMakeFiles/buildbudget-*), CTestTestfile.cmake (the tests the
            package adds, without CMake's _BACKTRACE_TRIPLES). CMake's and Ninja's own files, compiler
            output (objects, archives, ELF files, depfiles), cargo's target directories, ThinLTO
            caches and what the lowmem launcher measures during a build (jobs.jsonl) are left out.
            The work directory, the prefix and the checkout are replaced by @WORK@, @PREFIX@ and
            @SOURCE@ in every kept file, which is copied to <out>/files/ and listed in
            <out>/manifest.txt ("<sha256>  <entry>/<path in its build tree>", sorted, as sha256sum).
            Projects whose configure or build failed are listed in <out>/failures.txt, with the log
            of every step in <out>/logs/.
  compare   prints the files only in one snapshot and the files that differ (a unified diff for
            text), and the failures of either; exits 1 if there is any difference or failure.

Use the same --work directory (the default) for both snapshots: compiled modules then see the same
paths, and only the package differs.

  tools/snapshot-outputs.py take --source <checkout> --package-build <its configured and built build
      tree> --out <dir> [--work <dir>] [--long] [--only <entry regex>] [--jobs N]
  tools/snapshot-outputs.py compare <before dir> <after dir> [--max-diff-lines N]

--long adds what takes minutes to build: the SQLite amalgamation of test-projects/wasm-thirdparty
(needs --sqlite-dir, the directory of sqlite3.c and sqlite3.h; tests/test_wasm_thirdparty.py caches
them in <build>/test-work/npm-cache/better-sqlite3-12.11.1), Debian's googletest (/usr/src/googletest)
under lowmem-inject.cmake, and the build of examples/lowmem (its configure is always taken).
lowmem_profile() probes a fake machine (6 GiB cgroup limit, 8 CPUs) so that plan.json and the env
scripts do not depend on this one.
"""
import argparse
import difflib
import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

# The tests' fake cgroup v2 machine (tests/test_lowmem.py), from this script's own checkout.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from test_lowmem import fake_root  # noqa: E402

GiB = 1 << 30

# CMake's, CTest's and Ninja's own files, and cargo's lock file: not the package's.
SKIP_NAMES = {"CMakeCache.txt", "build.ninja", "rules.ninja", ".ninja_log", ".ninja_deps", "cmake_install.cmake",
              "compile_commands.json", "install_manifest.txt", "Makefile", "DartConfiguration.tcl",
              "CMakeLists.txt.user", "Cargo.lock", "CACHEDIR.TAG", ".rustc_info.json",
              # What the lowmem launcher measured during the build (times, peak RSS), and its lock.
              "jobs.jsonl", ".lock"}
SKIP_DIRS = {"Testing", ".cmake"}
# Directories of caches: cargo's target directories (.rustc_info.json; newer cargo also writes
# CACHEDIR.TAG) and the linker's ThinLTO cache.
CACHE_MARKERS = (".rustc_info.json", "CACHEDIR.TAG", "llvmcache.timestamp")
# Compiler and linker output.
SKIP_SUFFIXES = (".o", ".obj", ".a", ".so", ".d", ".rlib", ".rmeta", ".dwo", ".gcno", ".gcda", ".pcm")
SKIP_MAGIC = (b"\x7fELF", b"!<arch>\n")


class Entry:
    """One configure (and build) of a project: `project` is its directory under the copied tree, of
    which the entry gets its own copy (or `source`, a directory elsewhere, used in place); `subdir`
    the directory in it to configure; `defs` its -D definitions (callables of the Context and the
    entry for the ones with paths); `build` whether to build it too (True, False or "long": with
    --long only); `prefix` whether to put the package on CMAKE_PREFIX_PATH; `long` whether only
    --long takes it; `setup` a callable run before the configure."""

    def __init__(self, name, project, *defs, build=True, prefix=True, long=False, setup=None, source=None,
                 subdir=None):
        self.name, self.project, self.defs, self.subdir = name, project, defs, subdir
        self.build, self.prefix, self.long, self.setup, self.source = build, prefix, long, setup, source


def seed_toml(ctx, entry):
    (ctx.source_dir(entry) / "memory_budget.toml").write_text(
        '# Custom memory budgets\n"wrt-runtime" = "32MB"\n"wrt-component" = "24MB"\n"wrt-foundation" = "16MB"\n')


def cargo_config(ctx, entry):
    config = ctx.build_dir(entry) / "cargo-project" / ".cargo" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[alias]\nb2 = "build --release"\n\n[build]\njobs = 16\n')


def lowmem_args(args):
    return lambda ctx, entry: (f"LOWMEM_ARGS={args(ctx, entry)}", "CMAKE_BUILD_TYPE=Release",
                               f"BUILDBUDGET_LOWMEM_PROBE_ROOT={ctx.probe_root}")


def probe(ctx, entry):
    return (f"BUILDBUDGET_LOWMEM_PROBE_ROOT={ctx.probe_root}",)


def wasm_example(ctx, entry):
    return (f"WASM_EXAMPLE_DIR={ctx.tree / 'examples' / 'wasm-module'}",)


def inject(ctx, entry):
    return (f"CMAKE_PROJECT_TOP_LEVEL_INCLUDES={ctx.inject_file()}", "CMAKE_BUILD_TYPE=Release",
            f"BUILDBUDGET_LOWMEM_PROBE_ROOT={ctx.probe_root}")


def googletest(ctx, entry):
    return (f"CMAKE_PROJECT_INCLUDE={ctx.inject_file()}", "CMAKE_BUILD_TYPE=RelWithDebInfo", "gtest_build_samples=ON",
            f"BUILDBUDGET_LOWMEM_PROBE_ROOT={ctx.probe_root}")


def sqlite(ctx, entry):
    if ctx.sqlite_dir is None:
        raise SystemExit("--long needs --sqlite-dir (the directory of sqlite3.c and sqlite3.h)")
    return ("CMAKE_BUILD_TYPE=Release", f"SQLITE_DIR={ctx.sqlite_dir}")


def memory_cases(*cases, toml=(), built=()):
    return [Entry(f"test-projects/memory-budget@{case}", "test-projects/memory-budget", f"CASE={case}",
                  setup=seed_toml if case in toml else None, build=case in built) for case in cases]


ENTRIES = [
    Entry("examples/embedded-firmware", "examples/embedded-firmware"),
    # Its build (heavy compiles; all the package writes comes from the configure) only with --long.
    Entry("examples/lowmem", "examples/lowmem", "LOWMEM_EXAMPLE_UNITS=3", "LOWMEM_EXAMPLE_WEIGHT=150", probe,
          build="long"),
    Entry("examples/wasm-module", "examples/wasm-module"),
    Entry("test-projects/budget-checks", "test-projects/budget-checks"),
    Entry("test-projects/budget-checks@integration_warning", "test-projects/budget-checks",
          "CASE=integration_warning", build=False),
    Entry("test-projects/consumer", "test-projects/consumer"),
    Entry("test-projects/json-strings", "test-projects/json-strings", build=False),
    Entry("test-projects/lowmem", "test-projects/lowmem", lowmem_args(lambda ctx, e: "")),
    Entry("test-projects/lowmem@split-thin-env", "test-projects/lowmem", lowmem_args(
        lambda ctx, e: f"MEMORY_LIMIT;6GiB;DEBUG_INFO;split;LTO;thin;LINKER_FLAGS;ON;"
                       f"ENV_SCRIPT;{ctx.build_dir(e) / 'build-env.sh'}")),
    Entry("test-projects/lowmem@line-tables-full-cargo", "test-projects/lowmem", lowmem_args(
        lambda ctx, e: f"DEBUG_INFO;line-tables;LTO;full;LAUNCHER;OFF;ADMISSION;OFF;"
                       f"CARGO_CONFIG;{ctx.build_dir(e) / 'cargo-project/.cargo/config.toml'}"),
          setup=cargo_config, build=False),
    Entry("test-projects/lowmem@targets_before", "test-projects/lowmem", "CASE=targets_before", probe, build=False),
    Entry("test-projects/lowmem/plain@inject", "test-projects/lowmem", inject, prefix=False, subdir="plain"),
    *memory_cases("form1", "form2", "defaults", "component_groups", "implicit_config", "platform_cache", "verbose",
                  "near_no_keyword", toml=("form2", "implicit_config"), built=("form1", "form2")),
    Entry("test-projects/platform", "test-projects/platform"),
    Entry("test-projects/platform@embedded", "test-projects/platform", "BUILDBUDGET_PLATFORM=embedded"),
    Entry("test-projects/wasm-add-test", "test-projects/wasm-add-test"),
    Entry("test-projects/wasm-build", "test-projects/wasm-build", wasm_example),
    *[Entry(f"test-projects/wasm-build@{case}", "test-projects/wasm-build", wasm_example, f"CASE={case}", *defs,
            build=built)
      for case, built, defs in (("multi", True, ()), ("property", True, ()), ("job_pools", True, (probe,)),
                                ("memory_component_bytes", True, ()), ("near_no_keyword", False, ()),
                                ("exceptions", True, ()), ("compile_error", False, ()))],
    Entry("test-projects/wasm-package", "test-projects/wasm-package", "CMAKE_BUILD_TYPE=Release", wasm_example),
    Entry("test-projects/wasm-rust", "test-projects/wasm-rust"),
    Entry("test-projects/wasm-thirdparty", "test-projects/wasm-thirdparty", sqlite, long=True),
    # As tests/test_lowmem_thirdparty.py configures it (without its memory cgroup: the probe root is fake).
    Entry("googletest@inject", None, googletest, prefix=False, long=True, source=pathlib.Path("/usr/src/googletest")),
]


class Context:
    def __init__(self, args):
        self.work = args.work.resolve()
        self.tree = self.work / "tree"
        self.builds = self.work / "build"
        self.probe_root = self.work / "probe-root"
        self.source = args.source.resolve()
        self.prefix = (args.prefix or self.work / "prefix").resolve()
        self.sqlite_dir = args.sqlite_dir.resolve() if args.sqlite_dir else None
        self.jobs = args.jobs

    def build_dir(self, entry):
        return self.builds / entry.name.replace("/", "+")

    def source_dir(self, entry):
        """The entry's own copy of its project (as tests/ copy them), or its `source`."""
        return entry.source or self.work / "src" / entry.name.replace("/", "+")

    def inject_file(self):
        found = sorted(self.prefix.glob("**/lowmem-inject.cmake"))
        if not found:
            raise SystemExit(f"no lowmem-inject.cmake under {self.prefix}")
        return found[0]

    def normalise(self, data):
        # Longest first: the prefix and the tree are inside the work directory.
        for path, name in sorted(((self.prefix, b"@PREFIX@"), (self.work, b"@WORK@"), (self.source, b"@SOURCE@")),
                                 key=lambda p: -len(str(p[0]))):
            data = data.replace(str(path).encode(), name)
        return data


def run_logged(cmd, log, env=None):
    with open(log, "a") as f:
        f.write("$ " + " ".join(str(c) for c in cmd) + "\n")
        f.flush()
        proc = subprocess.run([str(c) for c in cmd], stdout=f, stderr=subprocess.STDOUT, env=env)
        f.write(f"[exit {proc.returncode}]\n")
    return proc.returncode


def kept(path):
    if path.name in SKIP_NAMES or path.name.endswith(SKIP_SUFFIXES) or path.is_symlink():
        return False
    with open(path, "rb") as f:
        head = f.read(8)
    return not head.startswith(SKIP_MAGIC)


def generated_files(build_dir):
    """The files of `build_dir` that are kept (relative paths, sorted)."""
    out = []
    for root, dirs, files in os.walk(build_dir):
        root = pathlib.Path(root)
        if any((root / f).exists() for f in CACHE_MARKERS):
            dirs[:] = []
            continue
        if root.name == "CMakeFiles":  # CMake's, but for the package's own directories in it
            dirs[:] = sorted(d for d in dirs if d.startswith("buildbudget"))
            continue
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        out += [(root / f).relative_to(build_dir) for f in files if kept(root / f)]
    return sorted(out)


def take(args):
    ctx = Context(args)
    out = args.out.resolve()
    for directory, mark in ((out, "manifest.txt"), (ctx.work, "tree")):
        if directory.exists() and any(directory.iterdir()) and not (directory / mark).exists():
            what = "work directory" if mark == "tree" else "snapshot"
            raise SystemExit(f"{directory} is neither empty nor an earlier {what} (no {mark}); not replacing it")
    for directory in (out, ctx.work):
        shutil.rmtree(directory, ignore_errors=True)
    (out / "logs").mkdir(parents=True)
    ctx.work.mkdir(parents=True)
    commit = subprocess.run(["git", "-C", ctx.source, "describe", "--always", "--dirty"], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
    (out / "about.txt").write_text(f"source {ctx.source} at {commit or 'no git commit'}\n"
                                   f"package {args.package_build or args.prefix}\ncommand {' '.join(sys.argv)}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WRT_")}
    if args.package_build:
        if run_logged(["cmake", "--install", args.package_build, "--prefix", ctx.prefix], out / "logs" / "install.log"):
            raise SystemExit(f"cmake --install {args.package_build} failed: see {out / 'logs' / 'install.log'}")
    for top in ("examples", "test-projects"):
        shutil.copytree(ctx.source / top, ctx.tree / top, symlinks=True)
    fake_root(ctx.probe_root, limit=6 * GiB)  # its memory and CPUs do not depend on this machine
    only = re.compile(args.only) if args.only else None
    manifest, failures = [], []
    for entry in ENTRIES:
        if (entry.long and not args.long) or (only and not only.search(entry.name)):
            continue
        bld, source = ctx.build_dir(entry), ctx.source_dir(entry)
        bld.mkdir(parents=True, exist_ok=True)
        if not entry.source:
            shutil.copytree(ctx.tree / entry.project, source, symlinks=True)
        log = out / "logs" / (bld.name + ".log")
        if entry.setup:
            entry.setup(ctx, entry)
        defs = []
        for d in entry.defs:
            defs += d(ctx, entry) if callable(d) else [d]
        if entry.prefix:
            defs.insert(0, f"CMAKE_PREFIX_PATH={ctx.prefix}")
        started = time.monotonic()
        print(f"{entry.name}: ", end="", flush=True)
        configure = ["cmake", "-S", source / (entry.subdir or ""), "-B", bld, "-G", "Ninja", *[f"-D{d}" for d in defs]]
        failed = run_logged(configure, log, env)
        if failed:
            failures.append(f"{entry.name}: configure failed (logs/{log.name})")
        elif entry.build is True or (entry.build == "long" and args.long):
            failed = run_logged(["cmake", "--build", bld, "-j", str(ctx.jobs)], log, env)
            if failed:
                failures.append(f"{entry.name}: build failed (logs/{log.name})")
        files = generated_files(bld)
        for rel in files:
            data = ctx.normalise((bld / rel).read_bytes())
            if rel.name == "CTestTestfile.cmake":  # where each add_test() is in CMake's files: lines move
                data = re.sub(rb' _BACKTRACE_TRIPLES "[^"]*"', b"", data)
            dest = out / "files" / entry.name / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
            manifest.append(f"{hashlib.sha256(data).hexdigest()}  {entry.name}/{rel.as_posix()}")
        print(f"{'failed, ' if failed else ''}{len(files)} files, {time.monotonic() - started:.0f} s", flush=True)
    (out / "manifest.txt").write_text("".join(line + "\n" for line in sorted(manifest, key=lambda l: l[66:])))
    (out / "failures.txt").write_text("".join(f + "\n" for f in failures))
    print(f"{len(manifest)} files in {out / 'manifest.txt'}; {len(failures)} failure(s)"
          + "".join("\n  " + f for f in failures))
    return 1 if failures else 0


def read_manifest(snapshot):
    lines = (snapshot / "manifest.txt").read_text().splitlines()
    return {line[66:]: line[:64] for line in lines}


def compare(args):
    before, after = read_manifest(args.before), read_manifest(args.after)
    only_before = sorted(set(before) - set(after))
    only_after = sorted(set(after) - set(before))
    changed = sorted(p for p in set(before) & set(after) if before[p] != after[p])
    for title, paths in (("only in " + str(args.before), only_before), ("only in " + str(args.after), only_after)):
        if paths:
            print(f"{len(paths)} file(s) {title}:")
            print("".join(f"  {p}\n" for p in paths), end="")
    for path in changed:
        a, b = (s / "files" / path for s in (args.before, args.after))
        print(f"changed: {path}")
        try:
            diff = list(difflib.unified_diff(a.read_text().splitlines(), b.read_text().splitlines(),
                                             str(a), str(b), lineterm=""))
        except UnicodeDecodeError:
            print(f"  binary: {a.stat().st_size} -> {b.stat().st_size} bytes")
            continue
        for line in diff[:args.max_diff_lines]:
            print("  " + line)
        if len(diff) > args.max_diff_lines:
            print(f"  ... {len(diff) - args.max_diff_lines} more diff lines")
    failed = [f for f in (args.before / "failures.txt", args.after / "failures.txt") if f.read_text()]
    for failures in failed:
        print(f"incomplete, {failures}:\n{failures.read_text()}", end="")
    same = len(set(before) & set(after)) - len(changed)
    print(f"{same} identical, {len(changed)} changed, {len(only_before)} only before, {len(only_after)} only after")
    return 1 if changed or only_before or only_after or failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("take", help="build the projects and snapshot their generated files")
    t.add_argument("--source", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parents[1],
                   help="the checkout whose examples/ and test-projects/ are built (default: this one)")
    package = t.add_mutually_exclusive_group(required=True)
    package.add_argument("--package-build", type=pathlib.Path,
                         help="a built BuildBudget build tree, installed into <work>/prefix")
    package.add_argument("--prefix", type=pathlib.Path, help="an installed BuildBudget package")
    t.add_argument("--out", type=pathlib.Path, required=True, help="the snapshot directory (replaced)")
    t.add_argument("--work", type=pathlib.Path, default=pathlib.Path("/tmp/buildbudget-snapshot-work"),
                   help="where the projects are copied and built (replaced; default %(default)s)")
    t.add_argument("--long", action="store_true", help="also the projects that take minutes (SQLite, googletest)")
    t.add_argument("--sqlite-dir", type=pathlib.Path, help="sqlite3.c and sqlite3.h, for --long")
    t.add_argument("--only", help="only the entries whose name matches this regular expression")
    t.add_argument("--jobs", type=int, default=2, help="cmake --build -j (default %(default)s)")
    c = sub.add_parser("compare", help="compare two snapshots")
    c.add_argument("before", type=pathlib.Path)
    c.add_argument("after", type=pathlib.Path)
    c.add_argument("--max-diff-lines", type=int, default=40)
    args = parser.parse_args()
    return take(args) if args.command == "take" else compare(args)


if __name__ == "__main__":
    sys.exit(main())
