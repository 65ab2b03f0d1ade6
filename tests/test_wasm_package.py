"""wasm_package() (doc/wasm-package.md): npm packages of wasm_build_target() modules, with a module file each and
UNIFIED, checked the way their users use them: `npm pack` (the real npm), `npm install` of the packed
tarball into a fresh project, Node.js importing it by its package name and calling an export of
every module, the real TypeScript compiler (`tsc --strict`) on a consumer of the declarations, and
headless Chromium loading a page that imports the package from a local HTTP server, once with the
right MIME type (streaming instantiation) and once with a wrong one (the ArrayBuffer fallback); the
page posts its result back to the server, and the test waits for it in real time (Chromium's
virtual time ran out while the modules compiled on a loaded machine).
Expected values come from outside the package: FNV-1a computed here, wasm-objdump's export lists."""
import json
import math
import re
import shutil
import tarfile
import time
import unittest

from support import (SOURCE_DIR, Quiet, TestCase, WrongMime, build, chromium_result, configure, copy_project,
                     fresh_dir, package_page_result, run, serve)

EXAMPLE = SOURCE_DIR / "examples" / "wasm-module"


def configure_fixture(src, bld, *defs):
    return configure(src, bld, "CMAKE_BUILD_TYPE=Release", f"WASM_EXAMPLE_DIR={EXAMPLE}", *defs)


def fnv1a(data):
    """32-bit FNV-1a (the hasher crate's function), computed independently."""
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def function_exports(module):
    """Function export names as wabt's wasm-objdump lists them."""
    out = run(["wasm-objdump", "-x", "-j", "export", module]).stdout
    return set(re.findall(r'^ - func\[\d+\].* -> "([^"]+)"$', out, re.M))


# Calls one export of every module through the package's loader functions and prints the results
# as JSON: the FNV-1a hashes of three strings, a blurred uniform image (stays uniform), counter_add
# twice (state kept in one instance) and counter_wide (a BigInt).
USE_JS = r"""
const results = {};
const h = await hasher();
results.hashes = ['', 'a', 'foobar'].map((text) => {
  const bytes = new TextEncoder().encode(text);
  const ptr = bytes.length ? h.alloc(bytes.length) : 0;
  if (bytes.length) new Uint8Array(h.memory.buffer, ptr, bytes.length).set(bytes);
  const value = h.fnv1a(ptr, bytes.length) >>> 0;
  if (bytes.length) h.dealloc(ptr, bytes.length);
  return value;
});
const im = await imgproc();
const src = im.malloc(64), dst = im.malloc(64);
new Uint8Array(im.memory.buffer, src, 64).fill(77);
im.blur(src, dst, 8, 8);
results.blurred = Array.from(new Uint8Array(im.memory.buffer, dst, 64));
im.free(src); im.free(dst);
const c = await counter();
c.counter_add(5);
results.counter = c.counter_add(37);
results.wide = (c.counter_wide(1, 2)).toString();
results.wideType = typeof c.counter_wide(0, 0);
results.sameInstance = (await hasher()) === h && h === im;
"""


def check_results(test, results, unified):
    test.assertEqual(results["hashes"], [fnv1a(b""), fnv1a(b"a"), fnv1a(b"foobar")])
    test.assertEqual(results["blurred"], [77] * 64)
    test.assertEqual(results["counter"], 42)
    test.assertEqual(results["wide"], str((1 << 32) | 2))
    test.assertEqual(results["wideType"], "bigint")
    # UNIFIED: every loader function resolves to the one instance; else each module has its own.
    test.assertEqual(results["sameInstance"], unified)


# Runs the WASI command program src/wasi_command.c through the package's loader function
# wasiCommand with argv, an environment and line sinks; OVERRIDE_RANDOM also passes one
# wasi_snapshot_preview1 function of its own (random_get, filling with 0xab), which must leave the
# loader's other WASI functions in place. Sets `results` to the lines, the exit status and the
# name of what _start threw.
COMMAND_JS = r"""
const stdout = [], stderr = [];
let exports;
const imports = OVERRIDE_RANDOM ? { wasi_snapshot_preview1: {
  random_get(pointer, length) { new Uint8Array(exports.memory.buffer, pointer, length).fill(0xab); return 0; },
} } : {};
exports = await wasiCommand(imports, {
  args: ['wasi_command', 'h\u00e9llo w\u00f6rld', '3'],
  env: { GREETING: 'hi there' },
  stdout: (line) => stdout.push(line),
  stderr: (line) => stderr.push(line),
});
let status = 0, thrown = 'nothing';
try {
  exports._start();
} catch (e) {
  thrown = e.name;
  if (e instanceof WasiExit) status = e.code;
}
const results = { stdout, stderr, status, thrown };
"""


def wasi_errno(name):
    """A WASI errno value from wasi-libc's own header (__WASI_ERRNO_<name>), not from the loader."""
    text = open("/usr/include/wasm32-wasi/wasi/api.h").read()
    return int(re.search(rf"#define __WASI_ERRNO_{name} \(UINT16_C\((\d+)\)\)", text).group(1))


def check_command(test, results, before, after, random=None):
    """The output of wasi_command.c run by COMMAND_JS between the times `before` and `after`
    (Python's clock, seconds): its arguments, environment, clocks, random bytes (`random`, a hex
    string, when an override fixed them), fopen() failing with wasi-libc's ENOTCAPABLE (there are
    no preopened directories), stderr, the last line without a newline, and exit status 3."""
    out = results["stdout"]
    test.assertEqual(out[:6], ["argc=3", "argv[0]=wasi_command", "argv[1]=h\u00e9llo w\u00f6rld", "argv[2]=3",
                               "GREETING=hi there", "MISSING=(unset)"])
    seconds = int(re.fullmatch(r"time=(\d+)", out[6]).group(1))
    test.assertTrue(math.floor(before) <= seconds <= math.ceil(after), (before, seconds, after))
    test.assertEqual(out[7:9], ["monotonic=forward", "realtime_resolution_ns=1000000"])
    if random is None:
        test.assertRegex(out[9], r"^random=[0-9a-f]{32}$")
        test.assertNotEqual(out[9], "random=" + "0" * 32)
    else:
        test.assertEqual(out[9], f"random={random}")
    test.assertEqual(out[10:], ["done"])  # printed without a newline: passed on when the program ended
    test.assertEqual(len(results["stderr"]), 2, results["stderr"])
    test.assertRegex(results["stderr"][0], rf"^fopen input\.txt: \S.* \(errno {wasi_errno('NOTCAPABLE')}\)$")
    test.assertEqual(results["stderr"][1], "written to stderr")
    test.assertEqual((results["status"], results["thrown"]), (3, "WasiExit"))


class Packages(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = copy_project("wasm-package", "src")
        cls.bld = cls.src.parent / "build"
        if cls.bld.exists():
            shutil.rmtree(cls.bld)
        proc = configure_fixture(cls.src, cls.bld)
        if proc.returncode != 0:
            raise AssertionError(proc.stdout + proc.stderr)
        proc = build(cls.bld)
        if proc.returncode != 0:
            raise AssertionError(proc.stdout + proc.stderr)
        cls.tarballs = {}
        for name in ("separate", "unified", "command"):
            proc = build(cls.bld, "--target", f"{name}_pack")
            if proc.returncode != 0:
                raise AssertionError(proc.stdout + proc.stderr)
        cls.tarballs["separate"] = cls.bld / "bbtest-separate-1.0.0-rc.1.tgz"
        cls.tarballs["unified"] = cls.bld / "bbtest-unified-2.3.4.tgz"  # VERSION from project()
        cls.tarballs["command"] = cls.bld / "bbtest-command-1.0.0.tgz"
        # A consumer project with both packages installed from their tarballs, as a user would.
        cls.consumer = fresh_dir("consumer")
        (cls.consumer / "package.json").write_text(json.dumps({"name": "consumer", "private": True,
                                                               "type": "module"}))
        proc = run(["npm", "install", "--offline", "--no-audit", "--no-fund",
                    *[str(t) for t in cls.tarballs.values()]], cwd=cls.consumer)
        if proc.returncode != 0:
            raise AssertionError(proc.stdout + proc.stderr)

    def package_json(self, name):
        return json.loads((self.bld / f"{name}.npm" / "package.json").read_text())

    def test_package_json(self):
        p = self.package_json("separate")
        self.assertEqual(p["name"], "@bbtest/separate")
        self.assertEqual(p["version"], "1.0.0-rc.1")
        self.assertEqual(p["description"], "imgproc, hasher and counter, one file each")
        self.assertEqual(p["type"], "module")
        self.assertEqual(p["types"], "./index.d.ts")
        self.assertEqual(p["exports"]["."], {"types": "./index.d.ts", "default": "./index.js"})
        for m in ("imgproc", "hasher", "counter"):
            self.assertIn(f"{m}.wasm", p["files"])
            self.assertIn(f"{m}.d.ts", p["files"])
            self.assertEqual(p["exports"][f"./{m}.wasm"], f"./{m}.wasm")
        u = self.package_json("unified")
        self.assertEqual((u["name"], u["version"]), ("@bbtest/unified", "2.3.4"))
        self.assertEqual([f for f in u["files"] if f.endswith(".wasm")], ["unified.wasm"])

    def test_npm_pack_holds_exactly_the_listed_files(self):
        for name, tarball in self.tarballs.items():
            with self.subTest(package=name), tarfile.open(tarball) as t:
                packed = sorted(m.name[len("package/"):] for m in t.getmembers() if m.isfile())
                self.assertEqual(packed, sorted(self.package_json(name)["files"]))

    def test_the_modules_in_the_package_are_the_built_ones(self):
        for m in ("imgproc", "hasher", "counter"):
            self.assertEqual((self.bld / "separate.npm" / f"{m}.wasm").read_bytes(),
                             (self.bld / f"{m}.wasm").read_bytes())

    def test_unified_module_exports_every_function_of_the_parts_and_is_smaller(self):
        unified = self.bld / "unified.npm" / "unified.wasm"
        parts = set()
        for m in ("imgproc", "hasher", "counter"):
            parts |= function_exports(self.bld / f"{m}.wasm") - {"_start", "_initialize"}
        self.assertEqual(function_exports(unified) - {"_initialize"}, parts)
        self.assertIn("_initialize", function_exports(unified))  # a reactor: the loader calls it once
        separate = sum((self.bld / f"{m}.wasm").stat().st_size for m in ("imgproc", "hasher", "counter"))
        self.assertLess(unified.stat().st_size, separate)

    def test_node_imports_the_installed_packages_and_calls_every_module(self):
        for name, unified in (("separate", False), ("unified", True)):
            with self.subTest(package=name):
                script = self.consumer / f"use-{name}.mjs"
                script.write_text(f"import {{ imgproc, hasher, counter }} from '@bbtest/{name}';\n"
                                  + USE_JS + "console.log(JSON.stringify(results));\n")
                proc = run(["node", script], cwd=self.consumer)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                check_results(self, json.loads(proc.stdout), unified)

    def run_command_in_node(self, script_name, override_random):
        script = self.consumer / script_name
        script.write_text("import { wasiCommand, WasiExit } from '@bbtest/command';\n"
                          f"const OVERRIDE_RANDOM = {'true' if override_random else 'false'};\n"
                          + COMMAND_JS + "console.log(JSON.stringify(results));\n")
        before = time.time()
        proc = run(["node", script], cwd=self.consumer)
        after = time.time()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout), before, after

    def test_node_runs_a_wasi_command_program_through_the_loader(self):
        results, before, after = self.run_command_in_node("use-command.mjs", override_random=False)
        check_command(self, results, before, after)

    def test_overriding_one_wasi_function_keeps_the_others(self):
        results, before, after = self.run_command_in_node("use-command-override.mjs", override_random=True)
        check_command(self, results, before, after, random="ab" * 16)

    def test_wasi_output_goes_to_the_console_by_default(self):
        # No options: argv is the module's file name, nothing in the environment, stdout and stderr
        # line by line to console.log and console.error; _start returns (status 0) and the last
        # line, printed without a newline, still comes out.
        script = self.consumer / "use-command-console.mjs"
        script.write_text("import { wasiCommand } from '@bbtest/command';\n(await wasiCommand())._start();\n")
        proc = run(["node", script], cwd=self.consumer)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = proc.stdout.splitlines()
        self.assertEqual(lines[:4], ["argc=1", "argv[0]=wasi_command.wasm", "GREETING=(unset)", "MISSING=(unset)"])
        self.assertEqual(lines[-1], "done")
        self.assertEqual(proc.stderr.splitlines()[1:], ["written to stderr"])
        self.assertRegex(proc.stderr.splitlines()[0], r"^fopen input\.txt: ")

    def test_typescript_consumer_type_checks_with_tsc_strict(self):
        ts = self.consumer / "use.ts"
        ts.write_text(
            "import { imgproc, hasher, counter, WasiExit } from '@bbtest/separate';\n"
            "import { wasiCommand } from '@bbtest/command';\n"
            "import * as unified from '@bbtest/unified';\n"
            "export async function main(): Promise<string> {\n"
            "  const h = await hasher();\n"
            "  const hash: number = h.fnv1a(h.alloc(1), 1);\n"
            "  const c = await unified.counter();\n"
            "  const wide: bigint = c.counter_wide(1, 2);\n"
            "  const total: number = (await counter()).counter_add(1);\n"
            "  const im = await imgproc();\n"
            "  im.blur(im.malloc(4), im.malloc(4), 2, 2);\n"
            "  const pages: number = im.memory.buffer.byteLength / 65536;\n"
            "  // @ts-expect-error counter_wide returns a bigint, not a number\n"
            "  const wrong: number = c.counter_wide(1, 2);\n"
            "  // @ts-expect-error blur takes four numbers\n"
            "  im.blur(1, 2, 3);\n"
            "  // @ts-expect-error no such export\n"
            "  h.no_such_export();\n"
            "  const e: Error = new WasiExit();\n"
            "  const lines: string[] = [];\n"
            "  await wasiCommand({}, { args: ['x'], env: { A: 'b' }, stdout: (line: string) => lines.push(line) });\n"
            "  // @ts-expect-error args is an array of strings\n"
            "  await wasiCommand({}, { args: 'x' });\n"
            "  // @ts-expect-error no such loader option\n"
            "  await wasiCommand({}, { preopens: {} });\n"
            "  return `${hash} ${wide} ${total} ${pages} ${wrong} ${e.message}`;\n"
            "}\n")
        proc = run(["tsc", "--strict", "--noEmit", "--target", "es2022", "--module", "nodenext",
                    "--moduleResolution", "nodenext", ts], cwd=self.consumer)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        # The check bites: the same misuse without @ts-expect-error fails.
        bad = self.consumer / "bad.ts"
        bad.write_text("import { counter } from '@bbtest/separate';\n"
                       "export async function f(): Promise<number> { return (await counter()).counter_wide(1, 2); }\n")
        proc = run(["tsc", "--strict", "--noEmit", "--target", "es2022", "--module", "nodenext",
                    "--moduleResolution", "nodenext", bad], cwd=self.consumer)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("Type 'bigint' is not assignable to type 'number'", proc.stdout)

    def test_headless_chromium_loads_the_package_from_a_local_server(self):
        site = fresh_dir("site")
        shutil.copytree(self.consumer / "node_modules", site / "node_modules")
        for name, unified in (("separate", False), ("unified", True)):
            page = site / f"{name}.html"
            page.write_text(
                "<!doctype html><html><head><meta charset=utf-8>\n"
                f'<script type="importmap">{{"imports": {{"@bbtest/{name}": '
                f'"./node_modules/@bbtest/{name}/index.js"}}}}</script></head>\n'
                "<body><script>const report = (text) => fetch('/result', {method: 'POST', body: text});</script>\n"
                "<script type=\"module\" onerror=\"report('error: the module script did not load')\">\n"
                f"import {{ imgproc, hasher, counter }} from '@bbtest/{name}';\n"
                "try {\n" + USE_JS +
                "await report(JSON.stringify(results));\n"
                "} catch (e) { await report('error: ' + e); }\n"
                "</script></body></html>\n")
            for handler in (Quiet, WrongMime):
                with self.subTest(package=name, server=handler.__name__):
                    server = serve(site, handler)
                    try:
                        text = chromium_result(server, f"{name}.html", f"{name}-{handler.__name__}")
                    finally:
                        server.shutdown()
                        server.server_close()
                    self.assertFalse(text.startswith("error"), text)
                    check_results(self, json.loads(text), unified)

    def test_headless_chromium_runs_a_wasi_command_program_through_the_loader(self):
        before = time.time()
        text = package_page_result(self.consumer / "node_modules", "@bbtest/command",
                                   "import { wasiCommand, WasiExit } from '@bbtest/command';\n"
                                   "const OVERRIDE_RANDOM = true;\n", COMMAND_JS, "command")
        after = time.time()
        self.assertFalse(text.startswith("error"), text)
        check_command(self, json.loads(text), before, after, random="ab" * 16)

    def test_second_build_rewrites_nothing(self):
        files = [p for p in (self.bld / "separate.npm").iterdir()] + [p for p in (self.bld / "unified.npm").iterdir()]
        before = {p: p.stat().st_mtime_ns for p in files}
        self.assertOk(configure_fixture(self.src, self.bld))
        proc = build(self.bld)
        self.assertOk(proc)
        self.assertEqual({p: p.stat().st_mtime_ns for p in files}, before)
        self.assertNotIn("Linking", proc.stdout)


class Failures(TestCase):
    def test_unified_modules_exporting_the_same_name_fail_naming_both(self):
        src = copy_project("wasm-package", "clash", "src")
        bld = src.parent / "build"
        self.assertOk(configure_fixture(src, bld, "CLASH=ON"))
        proc = build(bld, "--target", "clashing")
        self.assertNotEqual(proc.returncode, 0)
        self.assertRegex(proc.stdout, r'buildbudget: error: the function export "alloc" is in both \S*hasher\.wasm and '
                                      r'\S*clash\.wasm; a module linked from both can export each name once')


class Cases(TestCase):
    """Configure-time misuse, one case per file in test-projects/wasm-package/cases/."""

    def test_cases(self):
        self.assertCMakeCases("wasm-package", configure_fixture, 8)


if __name__ == "__main__":
    unittest.main()
