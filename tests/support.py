"""Shared helpers of the BuildBudget test drivers (Python 3 standard library only).

CTest runs each test module with these environment variables (tests/CMakeLists.txt):
  BUILDBUDGET_SOURCE_DIR   the checkout
  BUILDBUDGET_HELPER       the built helper executable
  BUILDBUDGET_PREFIX       the package installed by the `package.install` fixture
  BUILDBUDGET_WORK_DIR     a scratch directory for this module
  BUILDBUDGET_GENERATOR    the CMake generator to use for fixture projects
"""
import os
import pathlib
import re
import shutil
import subprocess
import unittest

SOURCE_DIR = pathlib.Path(os.environ.get("BUILDBUDGET_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[1]))
HELPER = os.environ.get("BUILDBUDGET_HELPER", "")
PREFIX = os.environ.get("BUILDBUDGET_PREFIX", "")
WORK_DIR = pathlib.Path(os.environ.get("BUILDBUDGET_WORK_DIR", "/tmp/buildbudget-tests"))
GENERATOR = os.environ.get("BUILDBUDGET_GENERATOR", "Ninja")
CMAKE = os.environ.get("BUILDBUDGET_CMAKE", "cmake")
PROJECTS = SOURCE_DIR / "test-projects"

MiB = 1 << 20
KiB = 1 << 10


def clean_env(**extra):
    """The environment without any WRT_* variables of the caller, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WRT_")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(cmd, cwd=None, env=None, timeout=600):
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env or clean_env(), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def helper(*args, cwd=None, env=None):
    """Runs `buildbudget <args>`; returns the CompletedProcess."""
    if not HELPER:
        raise RuntimeError("BUILDBUDGET_HELPER is not set: run the tests through ctest")
    return run([HELPER, *args], cwd=cwd, env=env)


def fresh_dir(*parts):
    d = WORK_DIR.joinpath(*parts)
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def copy_project(name, *dest_parts):
    """Copies test-projects/<name> to a fresh scratch directory and returns it."""
    dest = WORK_DIR.joinpath(*dest_parts) if dest_parts else WORK_DIR / name
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(PROJECTS / name, dest)
    return dest


def configure(source, build, *defs, env=None, prefix=True):
    """cmake -S source -B build -G <generator> -D... (with the installed package on CMAKE_PREFIX_PATH)."""
    cmd = [CMAKE, "-S", source, "-B", build, "-G", GENERATOR]
    if prefix:
        cmd.append(f"-DCMAKE_PREFIX_PATH={PREFIX}")
    cmd += [f"-D{d}" for d in defs]
    return run(cmd, env=env)


def build(build_dir, *args, env=None):
    return run([CMAKE, "--build", build_dir, *args], env=env)


class TestCase(unittest.TestCase):
    maxDiff = None

    def assertOk(self, proc, what=""):
        self.assertEqual(proc.returncode, 0, f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")

    def assertFails(self, proc, code=1, what=""):
        self.assertEqual(proc.returncode, code,
                         f"{what} expected exit {code}, got {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")

    def assertLine(self, text, line):
        """`line` is one whole line of `text`."""
        self.assertIn(line, text.splitlines(), f"no line {line!r} in:\n{text}")

    def assertCMakeCases(self, project, configure_case, minimum):
        """RunCMake-style configure cases of test-projects/<project>/cases/: for each <case>.cmake,
        `configure_case(src, build_dir, "CASE=<case>")` must exit with <case>-result.txt and its
        stderr match the one-line regex in <case>-stderr.txt. CMake wraps messages at 80 columns and
        these name paths of any length, so white space is collapsed before matching."""
        cases_dir = PROJECTS / project / "cases"
        cases = sorted(p.name[:-len("-result.txt")] for p in cases_dir.glob("*-result.txt"))
        self.assertGreaterEqual(len(cases), minimum)
        src = copy_project(project, "cases", "src")
        for case in cases:
            with self.subTest(case=case):
                proc = configure_case(src, src.parent / f"build-{case}", f"CASE={case}")
                self.assertEqual(proc.returncode, int((cases_dir / f"{case}-result.txt").read_text()), proc.stderr)
                pattern = (cases_dir / f"{case}-stderr.txt").read_text().strip()
                self.assertRegex(re.sub(r"\s+", " ", proc.stderr), pattern)

    def assertMatchesLine(self, text, pattern):
        self.assertRegex(text, re.compile("^" + pattern + "$", re.M))
