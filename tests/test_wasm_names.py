"""Names for stripped WebAssembly modules (doc/helper-wasm-analyze.md, "Names"): the symbol map
wasm_build_target() writes beside each optimised module, `wasm analyze`/`wasm dts` reading it (or
--symbols FILE, or an unstripped twin), libiberty demangling, and the grouping by namespace / crate
path and by DWARF compile unit. Checked against independent readings: wabt's wasm-objdump on an
unstripped build, binutils' c++filt (which demangles C++ and Rust), the sources the test compiled,
and llvm-dwarfdump on a module from Debian's emscripten package.

Modules from the wild, fetched with `npm pack` at pinned versions (support.fetch_npm_module): the
dprint TypeScript plugin (@dprint/typescript 0.101.0, 5 MB of Rust with its mangled names in the name
section) and web-tree-sitter 0.27.2's debug build (Emscripten C with a name section and DWARF 4)."""
import json
import pathlib
import re
import shutil
import subprocess
import unittest

import support
from support import SOURCE_DIR, TestCase, build, configure, copy_project, fresh_dir, helper, run

EXAMPLE = SOURCE_DIR / "examples" / "wasm-module"
# A module from the wild with DWARF and a name section: Emscripten's own test input, from Debian's
# emscripten package (clang 7, DWARF 4 with .debug_ranges).
EMSCRIPTEN_DWARF = pathlib.Path("/usr/share/emscripten/tests/other/wasm_sourcemap/foo.wasm")
# Pinned npm packages: (spec, tarball name, sha1 as the registry publishes it, member to extract).
WILD = {
    "dprint-typescript-plugin.wasm": ("@dprint/typescript@0.101.0", "dprint-typescript-0.101.0.tgz",
                                      "298d37e4353f4fda2d8ebf0f1e0e74184869a9ad", "package/plugin.wasm"),
    "web-tree-sitter-debug.wasm": ("web-tree-sitter@0.27.2", "web-tree-sitter-0.27.2.tgz",
                                   "2c47540b8929ac0d3f930bc22930989bef06b028", "package/debug/web-tree-sitter.wasm"),
}
# A Rust legacy symbol without escapes: _ZN, length-prefixed identifiers, the 17h<hash> one, E.
RUST_LEGACY = re.compile(r"_ZN((?:\d+[A-Za-z_][A-Za-z0-9_]*)+)17h[0-9a-f]{16}E")


def objdump_names(module):
    """{function index: name} from the name section, as wasm-objdump -x reads it."""
    text = subprocess.run(["wasm-objdump", "-x", "-j", "Code", str(module)], text=True, stdout=subprocess.PIPE,
                          check=True).stdout
    return {int(i): name for i, name in re.findall(r"- func\[(\d+)\] size=\d+ <(.*)>$", text, re.M)}


def cxxfilt(names):
    """The names as binutils' c++filt demangles them without implementation details (-i: no Rust hash)."""
    out = subprocess.run(["c++filt", "-i"], input="\n".join(names) + "\n", text=True, stdout=subprocess.PIPE,
                         check=True).stdout
    return out.splitlines()


def analyze(*args, cwd=None):
    proc = helper("wasm", "analyze", "--no-compression", "--json", *map(str, args), cwd=cwd)
    if proc.returncode != 0:
        raise AssertionError(f"wasm analyze failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout)["modules"][0]


def top(module, n=20):
    return sorted(module["functions"], key=lambda f: (-f["body_bytes"], f["index"]))[:n]


class OwnBuilds(TestCase):
    """examples/wasm-module's C++ (imgproc) and Rust (hasher) modules and bulk.c built by emcc
    (em_bulk) through wasm_build_target() with OPTIMIZE size, in test-projects/wasm-build (only
    those three targets are built)."""

    @classmethod
    def setUpClass(cls):
        cls.src = copy_project("wasm-build", "names", "src")
        cls.bld = cls.src.parent / "build"
        shutil.rmtree(cls.bld, ignore_errors=True)
        proc = configure(cls.src, cls.bld, f"WASM_EXAMPLE_DIR={EXAMPLE}")
        if proc.returncode != 0:
            raise AssertionError(f"configure failed:\n{proc.stdout}\n{proc.stderr}")
        proc = build(cls.bld, "--target", "imgproc", "hasher", "em_bulk")
        if proc.returncode != 0:
            raise AssertionError(f"build failed:\n{proc.stdout}\n{proc.stderr}")

    def twin(self, name, raw):
        """The unstripped twin: wasm-opt on the raw module with the flags the size report recorded, plus -g."""
        report = json.loads((self.bld / f"{name}.wasm.size.json").read_text())
        twin = self.bld / f"{name}.twin.wasm"
        self.assertOk(run(["wasm-opt", str(raw), *report["wasm_opt"]["flags"], "-g", "-o", str(twin)]), "wasm-opt -g")
        return twin

    def check_module(self, name, raw):
        module, symbols = self.bld / f"{name}.wasm", self.bld / f"{name}.wasm.symbols"
        self.assertTrue(symbols.is_file())
        headers = run(["wasm-objdump", "-h", str(module)]).stdout
        self.assertNotIn('"name"', headers)  # the module itself is stripped: no name section
        result = analyze(module)
        self.assertEqual(result["names_file"], str(symbols))
        twin_names = objdump_names(self.twin(name, raw))
        expected = dict(zip(twin_names, cxxfilt(list(twin_names.values()))))
        functions = top(result)
        self.assertEqual(len(functions), min(20, len(result["functions"])))
        for f in functions:
            with self.subTest(module=name, function=f["index"]):
                self.assertEqual(f["name_source"], "symbols")
                self.assertNotRegex(f["demangled"], r"^function\[\d+\]$")
                self.assertEqual(f["name"], twin_names[f["index"]])
                self.assertEqual(f["demangled"], expected[f["index"]])
        return result

    def test_cpp_module_is_named_and_grouped_by_namespace(self):
        result = self.check_module("imgproc", self.bld / "imgproc.wasm-build" / "base" / "imgproc.wasm")
        namespaces = {g["name"]: g for g in result["namespaces"]}
        # libc++'s std::__2 code and the C functions (global) are there; each group's bytes add up.
        for f in result["functions"]:
            group = f["namespace"] or "(global)"
            self.assertIn(group, namespaces)
        self.assertEqual(sum(g["body_bytes"] for g in namespaces.values()),
                         sum(f["body_bytes"] for f in result["functions"]))
        self.assertTrue(any(n.startswith("std::") for n in namespaces), sorted(namespaces))

    def test_rust_module_is_named_and_grouped_by_crate_path(self):
        raw = next((self.bld / "cargo").rglob("hasher.wasm")) if (self.bld / "cargo").exists() else None
        if raw is None:
            raw = next(p for p in self.bld.rglob("hasher.wasm") if "release" in p.parts)
        result = self.check_module("hasher", raw)
        # Rust's allocator, dlmalloc: legacy-mangled names whose crate path is the namespace, hash left out.
        allocator = [f for f in result["functions"] if f["demangled"].startswith("dlmalloc::")]
        self.assertTrue(allocator, [f["demangled"] for f in result["functions"]])
        for f in allocator:
            self.assertTrue(f["name"].startswith("_ZN"), f)
            self.assertEqual(f["namespace"], "dlmalloc::dlmalloc::Dlmalloc", f)
        namespaces = {g["name"] for g in result["namespaces"]}
        self.assertIn("dlmalloc::dlmalloc::Dlmalloc", namespaces)
        self.assertFalse([n for n in namespaces if re.search(r"::h[0-9a-f]{16}", n)], namespaces)

    def test_emscripten_module_is_named_from_emccs_own_map(self):
        # emcc's binaryen run is the module's optimisation: its --emit-symbol-map output is the map.
        emcc_map = self.bld / "em_bulk.wasm-build" / "base" / "em_bulk.wasm.symbols"
        self.assertEqual((self.bld / "em_bulk.wasm.symbols").read_text(), emcc_map.read_text())
        self.assertNotIn('"name"', run(["wasm-objdump", "-h", str(self.bld / "em_bulk.wasm")]).stdout)
        expected = dict(line.split(":", 1) for line in emcc_map.read_text().splitlines())
        result = analyze(self.bld / "em_bulk.wasm")
        for f in top(result):
            with self.subTest(function=f["index"]):
                self.assertEqual(f["name_source"], "symbols")
                self.assertEqual(f["name"], expected[str(f["index"])])

    def test_the_map_is_not_rewritten_when_unchanged_and_dts_uses_it(self):
        symbols = self.bld / "imgproc.wasm.symbols"
        before = symbols.stat().st_mtime_ns
        (self.bld / "imgproc.wasm").unlink()  # the step runs again: the same map is not rewritten
        self.assertOk(build(self.bld, "--target", "imgproc"))
        self.assertTrue((self.bld / "imgproc.wasm").is_file())
        self.assertEqual(symbols.stat().st_mtime_ns, before)
        dts = helper("wasm", "dts", str(self.bld / "imgproc.wasm"))
        self.assertOk(dts)
        self.assertRegex(dts.stdout, r"\(func \$blur\.command_export \(param")  # wasm-ld's wrapper, as the map names it


class Dwarf(TestCase):
    """Compile units from DWARF: two C++ sources the test writes, and a module from Debian's emscripten."""

    @classmethod
    def setUpClass(cls):
        cls.dir = fresh_dir("wasm-names", "dwarf")
        (cls.dir / "shapes.cpp").write_text(
            "namespace geo { namespace shapes {\n"
            "int area(int w, int h) { int s = 0; for (int i = 0; i < w; ++i) s += h ^ i; return s; }\n"
            "struct Box { int w; int grow(int by); };\n"
            "int Box::grow(int by) { for (int i = 0; i < by; ++i) w = w * 3 + i; return w; }\n"
            "}}\n"
            "extern \"C\" __attribute__((export_name(\"shape\"))) int shape(int n) {\n"
            "  geo::shapes::Box b{n}; return geo::shapes::area(n, n + 1) + b.grow(n); }\n")
        (cls.dir / "text.cpp").write_text(
            "namespace txt {\n"
            "int count(const char* s) { int n = 0; while (s[n]) ++n; return n * 7 + 1; }\n"
            "}\n"
            "extern \"C\" __attribute__((export_name(\"words\"))) int words(const char* s) { return txt::count(s); }\n")
        for src in ("shapes.cpp", "text.cpp"):
            proc = run(["clang++", "--target=wasm32-wasi", "-O1", "-g", "-fno-inline", "-fno-exceptions", "-c", src,
                        "-o", src + ".o"], cwd=cls.dir)
            if proc.returncode != 0:
                raise AssertionError(proc.stderr)
        proc = run(["clang++", "--target=wasm32-wasi", "-mexec-model=reactor", "shapes.cpp.o", "text.cpp.o",
                    "-o", "geo.wasm"], cwd=cls.dir)
        if proc.returncode != 0:
            raise AssertionError(proc.stderr)

    def test_functions_map_to_their_sources_and_namespaces(self):
        result = analyze(self.dir / "geo.wasm")
        self.assertEqual(result["dwarf_file"], str(self.dir / "geo.wasm"))
        by_name = {f["demangled"]: f for f in result["functions"]}
        expected = {"geo::shapes::area(int, int)": ("shapes.cpp", "geo::shapes"),
                    "geo::shapes::Box::grow(int)": ("shapes.cpp", "geo::shapes::Box"),
                    "shape": ("shapes.cpp", None),
                    "txt::count(char const*)": ("text.cpp", "txt"),
                    "words": ("text.cpp", None)}
        for name, (unit, namespace) in expected.items():
            with self.subTest(function=name):
                self.assertEqual((by_name[name]["compile_unit"], by_name[name]["namespace"]), (unit, namespace))
        units = {g["name"]: g["functions"] for g in result["compile_units"]}
        self.assertEqual((units["shapes.cpp"], units["text.cpp"]), (3, 2))
        # wasi-libc's functions (built without DWARF) have no unit.
        self.assertIn("(no compile unit)", units)
        text = helper("wasm", "analyze", "--no-compression", str(self.dir / "geo.wasm")).stdout
        self.assertRegex(text, r"(?m)^Compile unit +\| Functions")
        self.assertRegex(text, r"(?m)^geo::shapes +\| +1 \| +58 \|")

    def test_a_stripped_build_takes_names_and_units_from_its_twin(self):
        stripped = self.dir / "geo.stripped.wasm"
        shutil.copyfile(self.dir / "geo.wasm", stripped)
        self.assertOk(run(["wasm-strip", stripped.name], cwd=self.dir))  # wabt: every custom section goes
        self.assertNotIn('"name"', run(["wasm-objdump", "-h", str(stripped)]).stdout)
        result = analyze(stripped, "--symbols", self.dir / "geo.wasm")
        by_name = {f["demangled"]: f for f in result["functions"]}
        self.assertEqual(by_name["txt::count(char const*)"]["name_source"], "twin")
        self.assertEqual(by_name["txt::count(char const*)"]["compile_unit"], "text.cpp")

    def test_emscripten_module_from_debian(self):
        dump = run(["llvm-dwarfdump", "--debug-info", str(EMSCRIPTEN_DWARF)]).stdout
        unit = re.search(r"DW_TAG_compile_unit.*?DW_AT_name\s+\(\"([^\"]+)\"\)", dump, re.S).group(1)
        result = analyze(EMSCRIPTEN_DWARF)
        names = objdump_names(EMSCRIPTEN_DWARF)
        for f in top(result):
            self.assertEqual(f["name"], names[f["index"]])
        by_name = {f["name"]: f for f in result["functions"]}
        self.assertEqual(by_name["foo"]["compile_unit"], unit)


def rust_legacy_demangle(symbol):
    """The path of a plain Rust legacy symbol (identifiers only), without its hash; None for others."""
    m = RUST_LEGACY.fullmatch(symbol)
    if not m:
        return None
    rest, parts = m.group(1), []
    while rest:
        digits = re.match(r"\d+", rest).group()
        start = len(digits)
        parts.append(rest[start:start + int(digits)])
        rest = rest[start + int(digits):]
    return "::".join(parts)


def dwarfdump_units(module):
    """{function name: compile unit name} for the functions with code (DW_AT_low_pc) that
    llvm-dwarfdump lists, names that occur in more than one unit left out."""
    units, unit, in_subprogram, low_pc = {}, None, False, False
    for line in run(["llvm-dwarfdump", "--debug-info", str(module)]).stdout.splitlines():
        tag = re.search(r"DW_TAG_(\w+)", line)
        if tag:
            in_subprogram, low_pc = tag.group(1) == "subprogram", False
            if tag.group(1) == "compile_unit":
                unit = None
            continue
        name = re.search(r'DW_AT_name\s+\("([^"]+)"\)', line)
        if "DW_AT_low_pc" in line:
            low_pc = True
        elif name and unit is None:
            unit = name.group(1)
        elif name and in_subprogram and low_pc:
            units.setdefault(name.group(1), set()).add(unit)
    return {name: next(iter(u)) for name, u in units.items() if len(u) == 1}


class FromTheWild(TestCase):
    """Modules built by others, shipped on npm with names (and DWARF): every one of the top 20 functions
    gets its real name, demangled, in the right namespace or compile unit."""

    def test_rust_plugin_names_are_demangled_into_crate_paths(self):
        module = support.fetch_npm_module("dprint-typescript-plugin.wasm", WILD["dprint-typescript-plugin.wasm"])
        result = analyze(module)
        names = objdump_names(module)
        plain = 0
        for f in top(result):
            with self.subTest(function=f["index"]):
                self.assertEqual((f["name_source"], f["name"]), ("name", names[f["index"]]))
                self.assertNotRegex(f["demangled"], r"^function\[\d+\]$|17h[0-9a-f]{16}E$")
                path = rust_legacy_demangle(f["name"])
                if path is not None:
                    plain += 1
                    self.assertEqual(f["demangled"], path)
                    self.assertEqual(f["namespace"], path.rsplit("::", 1)[0])
        self.assertGreaterEqual(plain, 10, "too few plain Rust symbols among the top 20 to check")
        # The namespace table adds up to the code: every function is in exactly one group.
        self.assertEqual(sum(g["functions"] for g in result["namespaces"]), len(result["functions"]))
        self.assertEqual(sum(g["body_bytes"] for g in result["namespaces"]),
                         sum(f["body_bytes"] for f in result["functions"]))
        crates = {g["name"].split("::")[0] for g in result["namespaces"]}
        self.assertTrue({"dprint_plugin_typescript", "swc_ecma_lexer", "regex_automata", "core"} <= crates, crates)

    def test_emscripten_debug_build_maps_functions_to_compile_units(self):
        module = support.fetch_npm_module("web-tree-sitter-debug.wasm", WILD["web-tree-sitter-debug.wasm"])
        result = analyze(module)
        names = objdump_names(module)
        units = dwarfdump_units(module)
        checked = 0
        for f in top(result):
            with self.subTest(function=f["name"]):
                self.assertEqual((f["name_source"], f["name"]), ("name", names[f["index"]]))
                if f["name"] in units:
                    checked += 1
                    self.assertEqual(f["compile_unit"], units[f["name"]])
        self.assertGreaterEqual(checked, 15, "too few of the top 20 functions are in llvm-dwarfdump's units")
        self.assertEqual(result["dwarf_file"], str(module))
        self.assertIn("lib/src/lib.c", {g["name"] for g in result["compile_units"]})


class Errors(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = fresh_dir("wasm-names", "errors")
        (cls.dir / "m.c").write_text("int f(int x) { return x * 3; }\nint g(int x) { return f(x) + 1; }\n")
        (cls.dir / "other.c").write_text("int f(int x) { return x * 5 + 2; }\nint g(int x) { return f(x) - 1; }\n")
        for name in ("m", "other"):
            proc = run(["clang", "--target=wasm32-wasi", "-O0", "-nostdlib", "-Wl,--no-entry", "-Wl,--export-all",
                        f"{name}.c", "-o", f"{name}.wasm"], cwd=cls.dir)
            if proc.returncode != 0:
                raise AssertionError(proc.stderr)

    def test_malformed_map_line(self):
        (self.dir / "bad.symbols").write_text("0:__wasm_call_ctors\n1 f\n")
        proc = helper("wasm", "analyze", "--no-compression", "m.wasm", "--symbols", "bad.symbols", cwd=self.dir)
        self.assertFails(proc, 1)
        self.assertEqual(proc.stderr, 'buildbudget: error: bad.symbols:2: "1 f" has no \':\'; expected <index>:<name>, e.g. 12:main\n')
        (self.dir / "far.symbols").write_text("0:a\n\n9:b\n")
        proc = helper("wasm", "analyze", "--no-compression", "m.wasm", "--symbols", "far.symbols", cwd=self.dir)
        self.assertFails(proc, 1)
        self.assertRegex(proc.stderr, r"^buildbudget: error: far\.symbols:3: function index 9 is beyond the module's 3 functions")

    def test_a_map_beside_the_module_is_read_and_so_are_its_errors(self):
        beside = self.dir / "m.wasm.symbols"
        try:
            beside.write_text("1:renamed_f\n2:x:y\n")
            result = analyze("m.wasm", cwd=self.dir)
            self.assertEqual(result["names_file"], "m.wasm.symbols")
            beside.write_text("1:\n")
            proc = helper("wasm", "dts", "m.wasm", cwd=self.dir)
            self.assertFails(proc, 1)
            self.assertIn("buildbudget: error: m.wasm.symbols:1: function 1 has an empty name", proc.stderr)
        finally:
            beside.unlink()

    def test_a_twin_that_differs(self):
        proc = helper("wasm", "analyze", "--no-compression", "m.wasm", "--symbols", "other.wasm", cwd=self.dir)
        self.assertFails(proc, 1)
        self.assertRegex(proc.stderr, r"^buildbudget: error: other\.wasm is not a build of the same module as m\.wasm: the body of "
                                      r"function \d+ is \d+ bytes in other\.wasm and \d+ bytes in m\.wasm")


if __name__ == "__main__":
    unittest.main()
