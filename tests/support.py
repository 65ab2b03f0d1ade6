"""Shared helpers of the BuildBudget test drivers (Python 3 standard library only).

CTest runs each test module with these environment variables (tests/CMakeLists.txt):
  BUILDBUDGET_SOURCE_DIR   the checkout
  BUILDBUDGET_HELPER       the built helper executable
  BUILDBUDGET_PREFIX       the package installed by the `package.install` fixture
  BUILDBUDGET_WORK_DIR     a scratch directory for this module
  BUILDBUDGET_GENERATOR    the CMake generator to use for fixture projects
"""
import ctypes
import functools
import hashlib
import http.server
import os
import pathlib
import queue
import re
import shutil
import signal
import socket
import subprocess
import tarfile
import threading
import time
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

# Where fetch_npm_module() keeps the pinned npm tarballs between runs (beside the work directory).
NPM_CACHE_DIR = WORK_DIR.parent / "npm-cache"


def clean_env(**extra):
    """The environment without any WRT_* variables of the caller, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WRT_")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(cmd, cwd=None, env=None, timeout=None):
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env or clean_env(), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def helper(*args, cwd=None, env=None):
    """Runs `buildbudget <args>`; returns the CompletedProcess."""
    if not HELPER:
        raise RuntimeError("BUILDBUDGET_HELPER is not set: run the tests through ctest")
    return run([HELPER, *args], cwd=cwd, env=env)


def fetch_npm_module(name, pinned, cache_dir=NPM_CACHE_DIR):
    """The file `name` from a pinned npm package: `pinned` is (spec, tarball name, sha1 as the registry
    publishes it, member to extract). `npm pack` of the pinned version into `cache_dir` (kept between
    runs), checked against the pinned sha1, and the member extracted with tarfile to cache_dir/name."""
    spec, tarball, sha1, member = pinned
    cache_dir.mkdir(parents=True, exist_ok=True)
    tgz = cache_dir / tarball
    if not tgz.exists() or hashlib.sha1(tgz.read_bytes()).hexdigest() != sha1:
        proc = subprocess.run(["npm", "pack", spec, "--pack-destination", str(cache_dir)], text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, "npm_config_cache": str(cache_dir / "npm"),
                                   "npm_config_update_notifier": "false"})
        if proc.returncode != 0:
            raise AssertionError(f"npm pack {spec} failed:\n{proc.stderr}")
        digest = hashlib.sha1(tgz.read_bytes()).hexdigest()
        if digest != sha1:
            raise AssertionError(f"{tgz}: sha1 {digest}, expected {sha1}")
    out = cache_dir / name
    if not out.exists():
        with tarfile.open(tgz) as tar:
            data = tar.extractfile(member).read()
        tmp = out.with_suffix(f".tmp.{os.getpid()}")
        tmp.write_bytes(data)
        tmp.replace(out)
    return out


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


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_pids(pid):
    """The process ids whose parent is `pid` (from /proc/<pid>/stat)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def descendant_pids(pid):
    """Every process below `pid`, recursively, as a set."""
    found = set()
    for child in child_pids(pid):
        found |= {child} | descendant_pids(child)
    return found


def process_name(pid):
    """The command name of process `pid` (/proc/<pid>/comm), or "" once it is gone."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


class DaemonProcess:
    """A daemon a test started (a compile farm's distccd or iceccd, icecream's scheduler), outside the
    build's cgroup; stop() ends it with everything below it, by process id, and reaps them."""

    def __init__(self, cmd, env=None):
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.pids = {self.proc.pid}
        self.stopped = False

    def check_alive(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.proc.args} exited ({self.proc.returncode}): {self.proc.stderr.read()}")

    def compiling(self):
        """How many compilers run under the daemon now (units in flight)."""
        return sum(process_name(pid) in ("cc1plus", "cc1") for pid in descendant_pids(self.proc.pid))

    def stop(self, sig=signal.SIGTERM):
        """Signals the daemon, its children and the compilers they run, by pid; waits for and reaps them
        all (the test must be a subreaper: become_subreaper()). Returns the pids still there (none)."""
        if self.stopped:
            return []
        self.stopped = True
        self.pids |= descendant_pids(self.proc.pid)
        for pid in sorted(self.pids):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.proc.stderr.close()
        for pid in self.pids - {self.proc.pid}:
            # Once its parent is gone it is this subreaper's child, reaped here.
            while os.path.exists(f"/proc/{pid}"):
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.01)
        return [pid for pid in self.pids if os.path.exists(f"/proc/{pid}")]


def become_subreaper():
    """prctl(PR_SET_CHILD_SUBREAPER): daemons that detach from the processes a test starts become this
    process's children, so the test can reap them and prove none is left. Returns prctl's result (0)."""
    return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER, <linux/prctl.h>


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
        """The RunCMake-style configure cases of test-projects/<project>/cases/, the one runner of
        every case directory (as CMake's Tests/RunCMake has one run_cmake()): each <case>.cmake with
        a <case>-result.txt beside it (at least `minimum` of them) is configured by
        `configure_case(src, build_dir, "CASE=<case>")` in one copy of the project; the exit code must
        be the number in <case>-result.txt and stderr must match the regular expression in
        <case>-stderr.txt (searched, `.` matching any character, the file's trailing newlines ignored):
        - an expectation of several lines is matched against stderr as CMake printed it: its line
          breaks and indentation must be there (the message header, the text indented by two
          spaces, the call stack);
        - an expectation of one line is matched against stderr with every run of white space
          collapsed to one space: CMake wraps message text at 80 columns, and a path of any length
          in the message moves the breaks."""
        cases_dir = PROJECTS / project / "cases"
        cases = sorted(p.name[:-len("-result.txt")] for p in cases_dir.glob("*-result.txt"))
        self.assertGreaterEqual(len(cases), minimum)
        src = copy_project(project, "cases", "src")
        for case in cases:
            with self.subTest(case=case):
                proc = configure_case(src, src.parent / f"build-{case}", f"CASE={case}")
                self.assertEqual(proc.returncode, int((cases_dir / f"{case}-result.txt").read_text()), proc.stderr)
                expectation = (cases_dir / f"{case}-stderr.txt").read_text().rstrip("\n")
                if "\n" in expectation:
                    self.assertRegex(proc.stderr, re.compile(expectation, re.S))
                else:
                    self.assertRegex(re.sub(r"\s+", " ", proc.stderr), re.compile(expectation.strip(), re.S),
                                     f"{case}-stderr.txt, white space collapsed; stderr as printed:\n{proc.stderr}")

    def assertMatchesLine(self, text, pattern):
        self.assertRegex(text, re.compile("^" + pattern + "$", re.M))


# --- headless Chromium ------------------------------------------------------------------------

# How long a browser test waits, in real seconds, for the page to post its result.
BROWSER_RESULT_TIMEOUT = 180


class Quiet(http.server.SimpleHTTPRequestHandler):
    """Serves a directory without logging; the page posts its result (JSON or "error: ...") to any
    path, and the test takes it from server.results."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.send_response(204)
        self.end_headers()
        self.server.results.put(body)


class WrongMime(Quiet):
    """Serves .wasm as application/octet-stream: instantiateStreaming rejects it with a TypeError."""
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/octet-stream"}


def serve(directory, handler=Quiet):
    """A local HTTP server of `directory` on a free port, serving from a daemon thread; call
    shutdown() and server_close() when done."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    server.results = queue.Queue()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def chromium_result(server, page, profile):
    """Opens `page` (a path on `server`) in headless Chromium with a fresh profile under the work
    directory's chromium-home/<profile> and returns the text the page posted, waiting in real time
    (Chromium's virtual time ran out while modules compiled on a loaded machine)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise AssertionError("chromium is not installed (tools/quickstart.sh installs it)")
    home = fresh_dir("chromium-home", profile)
    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={home / 'profile'}", "--enable-logging=stderr",
         f"http://127.0.0.1:{server.server_address[1]}/{page}"],
        env={**os.environ, "HOME": str(home)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        result = server.results.get(timeout=BROWSER_RESULT_TIMEOUT)
    except queue.Empty:
        result = None
    finally:
        proc.terminate()
        try:
            _, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
    if result is None:
        raise AssertionError(f"{page} posted no result within {BROWSER_RESULT_TIMEOUT} s; "
                             f"Chromium said:\n{stderr[-3000:]}")
    return result


def package_page_result(node_modules, package, imports, body, profile):
    """Headless Chromium runs the npm package `package` from a copy of `node_modules`: a page maps the
    name to its index.js (an import map), runs the module script `imports` + `body` (which leaves its
    result in `results`) and posts JSON.stringify(results), or "error: ..." when it throws or does not
    load; returns that text (chromium_result(), profile `profile`)."""
    site = fresh_dir("site", profile)
    shutil.copytree(node_modules, site / "node_modules")
    (site / "page.html").write_text(
        "<!doctype html><html><head><meta charset=utf-8>\n"
        f'<script type="importmap">{{"imports": {{"{package}": "./node_modules/{package}/index.js"}}}}'
        "</script></head>\n"
        "<body><script>const report = (text) => fetch('/result', {method: 'POST', body: text});</script>\n"
        "<script type=\"module\" onerror=\"report('error: the module script did not load')\">\n"
        + imports + "try {\n" + body + "await report(JSON.stringify(results));\n"
        "} catch (e) { await report('error: ' + e); }\n"
        "</script></body></html>\n")
    server = serve(site)
    try:
        return chromium_result(server, "page.html", profile)
    finally:
        server.shutdown()
        server.server_close()
