"""`buildbudget wasm analyze`'s compressed sizes without the wait (doc/helper-wasm-analyze.md,
"Compressed sizes and the cache"): the text report before the gzip and brotli
figures, the figures cached by content hash under $XDG_CACHE_HOME/buildbudget (--no-cache turns it
off) or taken from the `wasm optimize` size report beside the module when its sha256 matches, and a
progress line on stderr only when stderr is a terminal.

That a figure comes from the cache or the size report is proved by content: the test plants a
deliberately wrong figure there and checks that analyze reports it, and that --no-cache (or a
different hash) gives the real one, checked against Python's gzip and against `wasm size`, which
measures what MAX_GZIP_SIZE / MAX_BROTLI_SIZE hold. Every test has its own XDG_CACHE_HOME, so the
tests run in parallel and never touch the user's cache.

Modules: sql.js 1.13.0's sql-wasm.wasm and esbuild-wasm 0.25.0's esbuild.wasm (the pinned npm
packages of test_wasm_analyze), and a small module written here."""
import fcntl
import gzip
import hashlib
import json
import os
import pathlib
import pty
import re
import struct
import subprocess
import tempfile
import termios
import unittest

import support
from support import TestCase, fresh_dir, run
from test_wasm_analyze import fetch_npm_module


def leb128(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def small_module():
    """A valid module of one custom section ("blob", 48 KiB of text that compresses, unlike random bytes)."""
    payload = "".join(f"line {i}: the quick brown fox {i * 7919 % 1000} jumps\n" for i in range(1200)).encode()
    name = b"blob"
    body = leb128(len(name)) + name + payload
    return b"\0asm\1\0\0\0" + b"\0" + leb128(len(body)) + body


class AnalyzeCache(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = fresh_dir("wasm-analyze-cache")
        cls.sql = fetch_npm_module("sql-wasm.wasm")
        cls.small = cls.dir / "small.wasm"
        cls.small.write_bytes(small_module())
        # What `wasm size` (wasm::measure, the build's figures) says: the reference for every figure here.
        cls.real = {}
        for path in (cls.sql, cls.small):
            proc = support.helper("wasm", "size", "--json", path)
            if proc.returncode != 0:
                raise AssertionError(f"wasm size {path} failed:\n{proc.stderr}")
            j = json.loads(proc.stdout)
            cls.real[path] = (j["gzip"], j["brotli"])

    def cache_home(self):
        """A fresh XDG_CACHE_HOME for one test."""
        home = pathlib.Path(tempfile.mkdtemp(prefix="xdg-", dir=self.dir))
        return home

    def analyze(self, cache_home, *args):
        env = support.clean_env(XDG_CACHE_HOME=cache_home)
        return run([os.environ["BUILDBUDGET_HELPER"], "wasm", "analyze", *map(str, args)], cwd=self.dir, env=env)

    def figures(self, cache_home, path, *args):
        proc = self.analyze(cache_home, "--json", *args, path)
        self.assertOk(proc)
        m = json.loads(proc.stdout)["modules"][0]
        return m["gzip"], m["brotli"]

    @staticmethod
    def entries(cache_home, data):
        """{"gzip"|"brotli": path} of the cache entries of `data`."""
        sha = hashlib.sha256(data).hexdigest()
        found = {}
        for p in sorted((cache_home / "buildbudget" / "compressed-size").glob(f"*/{sha}.json")):
            found[p.parent.name.split("-")[0]] = p
        return found

    # --- The figures and the cache --------------------------------------------------------------

    def test_first_run_matches_python_and_wasm_size_and_writes_the_cache(self):
        home = self.cache_home()
        data = self.sql.read_bytes()
        gz, br = self.figures(home, self.sql)
        self.assertEqual(gz, len(gzip.compress(data, 9)))
        self.assertEqual((gz, br), self.real[self.sql])
        entries = self.entries(home, data)
        self.assertEqual(sorted(entries), ["brotli", "gzip"])
        # The key names the library version and every setting (gzip level 9, brotli quality 11, windows).
        self.assertRegex(entries["gzip"].parent.name, r"^gzip-zlib-[\w.]+-level9-window15-memlevel8-default$")
        self.assertRegex(entries["brotli"].parent.name, r"^brotli-\d+\.\d+\.\d+-quality11-window22-generic$")
        for kind, figure in (("gzip", gz), ("brotli", br)):
            entry = json.loads(entries[kind].read_text())
            self.assertEqual(entry, {"schema": "buildbudget-compressed-size/1",
                                     "sha256": hashlib.sha256(data).hexdigest(),
                                     "settings": entries[kind].parent.name, "raw": len(data), "bytes": figure})
        # No temporary file is left in the cache.
        self.assertEqual(sorted(p.name for p in entries["gzip"].parent.iterdir()), [entries["gzip"].name])

    def test_a_cached_figure_is_used_and_no_cache_computes(self):
        home = self.cache_home()
        data = self.small.read_bytes()
        real = self.real[self.small]
        self.assertEqual(self.figures(home, self.small), real)
        entries = self.entries(home, data)
        for kind, planted in (("gzip", 11111), ("brotli", 2222)):
            entry = json.loads(entries[kind].read_text())
            entry["bytes"] = planted
            entries[kind].write_text(json.dumps(entry))
        self.assertEqual(self.figures(home, self.small), (11111, 2222))
        # --no-cache computes both and neither reads nor writes the cache.
        self.assertEqual(self.figures(home, self.small, "--no-cache"), real)
        self.assertEqual(json.loads(entries["gzip"].read_text())["bytes"], 11111)
        # The text report shows the cached figures too.
        text = self.analyze(home, self.small)
        self.assertOk(text)
        self.assertMatchesLine(text.stdout, re.escape(f"{self.small} |") + r" .* \(11111\) \| .* \| .* \(2222\) \| .*")

    def test_a_corrupt_or_foreign_entry_is_recomputed_and_rewritten(self):
        home = self.cache_home()
        data = self.small.read_bytes()
        real = self.real[self.small]
        self.figures(home, self.small)
        entries = self.entries(home, data)
        good = {kind: entries[kind].read_text() for kind in entries}
        entries["gzip"].write_text('{"schema": "buildbudget-compressed-size/1", "bytes": ')  # cut short
        foreign = json.loads(good["brotli"])
        foreign["raw"] += 1  # another content's entry: not trusted
        foreign["bytes"] = 5
        entries["brotli"].write_text(json.dumps(foreign))
        proc = self.analyze(home, "--json", self.small)
        self.assertOk(proc)
        self.assertEqual(proc.stderr, "")
        m = json.loads(proc.stdout)["modules"][0]
        self.assertEqual((m["gzip"], m["brotli"]), real)
        self.assertEqual({kind: entries[kind].read_text() for kind in entries}, good)

    def test_an_unwritable_cache_warns_once_and_the_run_succeeds(self):
        home = self.cache_home()
        (home / "buildbudget").write_text("a file where the cache directory should be\n")
        proc = self.analyze(home, "--json", self.small, self.sql)
        self.assertOk(proc)
        warnings = [line for line in proc.stderr.splitlines() if line.startswith("buildbudget: warning:")]
        self.assertEqual(len(warnings), 1, proc.stderr)
        self.assertRegex(warnings[0], r"^buildbudget: warning: the compressed sizes are not cached: cannot create directory " +
                         re.escape(str(home / "buildbudget")) + r"/compressed-size/.*: Not a directory$")
        modules = json.loads(proc.stdout)["modules"]
        self.assertEqual([(m["gzip"], m["brotli"]) for m in modules], [self.real[self.small], self.real[self.sql]])

    def test_the_cache_follows_xdg_cache_home_else_home(self):
        home = self.cache_home()
        env = support.clean_env(HOME=home)
        env.pop("XDG_CACHE_HOME", None)
        proc = run([os.environ["BUILDBUDGET_HELPER"], "wasm", "analyze", "--json", self.small], env=env)
        self.assertOk(proc)
        self.assertEqual(sorted(self.entries(home / ".cache", self.small.read_bytes())), ["brotli", "gzip"])
        # A relative XDG_CACHE_HOME is ignored (XDG Base Directory Specification).
        other = self.cache_home()
        env = support.clean_env(HOME=other, XDG_CACHE_HOME="relative")
        proc = run([os.environ["BUILDBUDGET_HELPER"], "wasm", "analyze", "--json", self.small], cwd=other, env=env)
        self.assertOk(proc)
        self.assertEqual(sorted(self.entries(other / ".cache", self.small.read_bytes())), ["brotli", "gzip"])
        self.assertFalse((other / "relative").exists())

    # --- The size report of `wasm optimize` -----------------------------------------------------

    def test_the_size_report_is_reused_when_its_hash_matches(self):
        home = self.cache_home()
        work = pathlib.Path(tempfile.mkdtemp(prefix="report-", dir=self.dir))
        module, report = work / "m.wasm", work / "m.wasm.size.json"
        # What wasm_build_target() runs (--skip-brotli: the report's brotli is null).
        proc = support.helper("wasm", "optimize", "--input", self.small, "--output", module, "--level", "none",
                              "--name", "m", "--skip-brotli", "--report", report)
        self.assertOk(proc)
        data = module.read_bytes()
        j = json.loads(report.read_text())
        self.assertEqual(j["sha256"], hashlib.sha256(data).hexdigest())
        self.assertIsNone(j["brotli"])
        real = self.real[self.small]
        self.assertEqual(j["gzip"], real[0])

        j["gzip"] = 33333
        report.write_text(json.dumps(j, indent=2))
        self.assertEqual(self.figures(home, module), (33333, real[1]))
        # Only brotli was computed (and cached); gzip came from the report.
        self.assertEqual(sorted(self.entries(home, data)), ["brotli"])
        # Both figures from the report: nothing is computed.
        j["brotli"] = 4444
        report.write_text(json.dumps(j, indent=2))
        self.assertEqual(self.figures(self.cache_home(), module), (33333, 4444))
        # Another content's report (the module was rebuilt since): not used.
        j["sha256"] = hashlib.sha256(b"another module").hexdigest()
        report.write_text(json.dumps(j, indent=2))
        self.assertEqual(self.figures(self.cache_home(), module), real)
        # --no-cache does not take the report's figures either.
        j["sha256"] = hashlib.sha256(data).hexdigest()
        report.write_text(json.dumps(j, indent=2))
        self.assertEqual(self.figures(self.cache_home(), module, "--no-cache"), real)

    # --- The order of the text and the progress line --------------------------------------------

    def test_the_text_comes_first_and_is_the_same_on_every_run(self):
        home = self.cache_home()
        first = self.analyze(home, "--top", "3", self.small, self.sql)
        second = self.analyze(home, "--top", "3", self.small, self.sql)  # from the cache
        self.assertOk(first)
        self.assertOk(second)
        self.assertEqual(first.stdout, second.stdout)
        plain = self.analyze(home, "--top", "3", "--no-compression", self.small, self.sql)
        self.assertOk(plain)
        # The parse's report, then the compressed sizes in their own table at the end.
        head, sep, tail = first.stdout.partition("\nCompressed sizes:\n")
        self.assertTrue(sep, first.stdout)
        self.assertEqual(plain.stdout, head + "\nCompressed sizes: not computed (--no-compression)\n")
        self.assertIn("\nRecommendations", head)
        rows = re.findall(r"^(\S+) +\| .*\((\d+)\) \| .*\((\d+)\) \| +[\d.]+% \| .*\((\d+)\) \| +[\d.]+%$", tail, re.M)
        expected = [(str(p), len(p.read_bytes()), *self.real[p]) for p in (self.small, self.sql)]
        expected.append(("total", *(sum(row[i] for row in expected) for i in (1, 2, 3))))
        self.assertEqual([(name, *map(int, figures)) for name, *figures in rows], expected)

    def test_the_report_is_printed_before_the_compression_ends(self):
        # esbuild.wasm's brotli -q 11 takes half a minute: the text must be out long before. The
        # run is stopped once the text is read, so the test costs the parse only.
        esbuild = fetch_npm_module("esbuild.wasm")
        proc = subprocess.Popen([os.environ["BUILDBUDGET_HELPER"], "wasm", "analyze", "--no-cache", esbuild],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                env=support.clean_env(XDG_CACHE_HOME=self.cache_home()))
        try:
            seen = []
            for line in proc.stdout:
                seen.append(line)
                if line.startswith("Recommendations"):
                    break
            self.assertIsNone(proc.poll(), "analyze ended before its text was read")
            self.assertTrue(seen and seen[-1].startswith("Recommendations"), "".join(seen))
            self.assertNotIn("Compressed sizes:\n", seen)
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()

    def run_with_terminal_stderr(self, *args, env, columns=300):
        """Runs analyze with stderr on a pseudo-terminal `columns` wide and stdout on a pipe: (exit code,
        stdout, terminal bytes)."""
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        try:
            proc = subprocess.Popen([os.environ["BUILDBUDGET_HELPER"], "wasm", "analyze", *map(str, args)],
                                    stdout=subprocess.PIPE, stderr=slave, env=env, cwd=self.dir)
        finally:
            os.close(slave)
        terminal = bytearray()
        try:
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                terminal += chunk
        finally:
            os.close(master)
        out = proc.stdout.read()
        proc.stdout.close()
        return proc.wait(), out.decode(), bytes(terminal)

    def test_progress_line_only_on_a_terminal(self):
        env = support.clean_env(XDG_CACHE_HOME=self.cache_home())
        code, out, terminal = self.run_with_terminal_stderr("--no-cache", "--json", self.small, env=env)
        self.assertEqual(code, 0, terminal)
        self.assertEqual(json.loads(out)["modules"][0]["gzip"], self.real[self.small][0])
        text = terminal.decode()
        lines = re.findall(r"\r(compressing [^\r]*?) *(?=\r)", text)
        self.assertTrue(lines, repr(text))
        for line in lines:
            self.assertRegex(line, rf"^compressing {re.escape(str(self.small))} \(gzip -9, brotli -q 11\): "
                                   r"[0-2] of 2 done, \d+ s$")
        # Cleared when done: the last thing on the terminal is the line blanked out.
        self.assertRegex(text, r"\r +\r$")
        # Cut to the terminal's width (less one column), so it never wraps.
        code, out, terminal = self.run_with_terminal_stderr("--no-cache", "--json", self.small, env=env, columns=30)
        self.assertEqual(code, 0, terminal)
        lines = re.findall(r"\r([^\r]+)(?=\r)", terminal.decode())
        self.assertTrue(lines)
        self.assertEqual({len(line) for line in lines}, {29})
        self.assertTrue(lines[0].startswith("compressing "), lines)
        # Nothing on stderr when it is a pipe, nor when nothing is left to compute.
        piped = self.analyze(self.cache_home(), "--no-cache", "--json", self.small)
        self.assertOk(piped)
        self.assertEqual(piped.stderr, "")
        self.assertOk(self.analyze(env["XDG_CACHE_HOME"], "--json", self.small))  # fills the cache
        code, out, terminal = self.run_with_terminal_stderr("--json", self.small, env=env)
        self.assertEqual((code, terminal), (0, b""))


if __name__ == "__main__":
    unittest.main()
