"""`buildbudget wasm analyze`'s call graph (doc/helper-wasm-analyze.md, "Retained sizes and --why";
its messages in doc/messages.md, "WebAssembly"), checked against independent sources:

- the instruction decoder against wabt's `wasm-objdump -d` (the call, return_call and ref.func targets
  of every function), on a module with every opcode that wabt's own opcode table
  (/usr/include/wabt/opcode.def) lists for the proposals the reader accepts, and on sql.js's
  sql-wasm.wasm (Emscripten, from the same pinned npm package as test_wasm_analyze);
- retained sizes against a real experiment: a C program with three exports sharing helpers, linked by
  wasm-ld --gc-sections with all exports and again without one; the code that went must be the
  export's retained size, to the byte;
- garbage against a link with --no-gc-sections (a function nothing calls stays in the module);
- --why's paths and dominators on the same program; malformed bodies against the offsets of the bytes
  this test wrote."""
import json
import re
import shutil
import subprocess
import unittest

import support
from support import TestCase, fresh_dir, helper, run

SQL_WASM = ("sql.js@1.13.0", "sql.js-1.13.0.tgz", "f73cba7eaba0bc881f466c9149e00cf598fb01e0",
            "package/dist/sql-wasm.wasm")
OPCODE_DEF = "/usr/include/wabt/opcode.def"

# Three exports: alpha keeps alpha_mid and alpha_leaf to itself; alpha and beta share `shared`; gamma
# calls `twice` through a function pointer (so `twice` sits in the table); `unused` is called by nothing.
PROGRAM_C = r"""
__attribute__((noinline)) int shared(int x) { return x * 3 + 1; }
__attribute__((noinline)) int alpha_leaf(int x) { return shared(x) ^ (x << 2); }
__attribute__((noinline)) int alpha_mid(int x) { int s = 0; for (int i = 0; i < x; ++i) s += alpha_leaf(i); return s; }
int alpha(int x) { return alpha_mid(x) + 7; }
int beta(int x) { return shared(x) - 2; }
__attribute__((noinline)) int twice(int x) { return 2 * x; }
int (*volatile pick)(int) = twice;
int gamma(int x) { return pick(x) + 1; }
__attribute__((noinline)) int unused(int x) { return x * x * x - 5; }
"""


def objdump_code(path):
    """From `wasm-objdump -d`: ({function index: set of call / return_call / ref.func targets}, the
    number of instructions). Each instruction is one line "<offset>: <bytes> | <text>"; long ones
    continue on lines with no text, and local declarations are "local[...]" lines."""
    proc = run(["wasm-objdump", "-d", path])
    if proc.returncode != 0:
        raise AssertionError(f"wasm-objdump -d {path} failed:\n{proc.stderr}")
    targets, current, instructions = {}, None, 0
    for line in proc.stdout.splitlines():
        m = re.match(r"^[0-9a-f]+ func\[(\d+)\]", line)
        if m:
            current = targets.setdefault(int(m.group(1)), set())
            continue
        m = re.match(r"^\s*[0-9a-f]+: [^|]*\| +(\S.*)$", line)
        if not m or m.group(1).startswith("local["):
            continue
        instructions += 1
        m = re.match(r"(?:call|return_call|ref\.func) (\d+)", m.group(1))
        if m:
            current.add(int(m.group(1)))
    return targets, instructions


def wabt_opcodes():
    """(prefix, code, memory access size, text name) of every opcode in wabt's table."""
    ops = []
    with open(OPCODE_DEF) as f:
        text = f.read()
    for line in text.splitlines():
        m = re.match(r'WABT_OPCODE\(([^)]*)\)', line)
        if not m:
            continue
        fields = [f.strip() for f in m.group(1).split(",")]
        ops.append((int(fields[5], 0), int(fields[6], 0), int(fields[4], 0), fields[8].strip('"')))
    return ops


def opcode_text(prefix, code, mem, name):
    """The instruction in the text format with made-up immediates, or None when it is not in the
    proposals the reader accepts (GC, typed function references, wabt's interpreter-only opcodes) or
    is a structured instruction that the hand-written part covers."""
    if prefix == 0:
        if code > 0xD2 or name in ("block", "loop", "if", "else", "end", "try", "catch", "catch_all", "delegate",
                                   "br_table", "call_ref", "rethrow") or (name == "select" and code == 0x1C):
            return None
    elif prefix not in (0xFC, 0xFD, 0xFE):
        return None
    if name in ("br", "br_if", "local.get", "local.set", "local.tee", "global.get", "global.set", "table.get",
                "table.set", "table.grow", "table.size", "table.fill", "throw", "data.drop", "elem.drop",
                "memory.init", "table.init"):
        return name + " 0"
    if name == "table.copy":
        return name + " 0 0"
    if name in ("call", "return_call", "ref.func"):
        return name + " $f3"
    if name in ("call_indirect", "return_call_indirect"):
        return name + " (type 0)"
    if name.endswith(".const"):
        return name + (" i32x4 1 2 3 4" if name == "v128.const" else " 7")
    if name == "ref.null":
        return "ref.null func"
    if name == "i8x16.shuffle":
        return name + " 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"
    if re.search(r"(extract|replace)_lane|_lane$", name):  # a lane index (not relaxed_laneselect)
        return name + " 1"
    return name


class WasmCallGraph(TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("wasm-objdump", "wat2wasm", "clang", "wasm-ld", "npm"):
            if shutil.which(tool) is None:
                raise AssertionError(f"{tool} is not installed (see tools/quickstart.sh)")
        cls.dir = fresh_dir("wasm-callgraph")
        (cls.dir / "program.c").write_text(PROGRAM_C)
        cls.tool(["clang", "--target=wasm32-wasi", "-O1", "-c", "program.c", "-o", "program.o"])
        exports = ["--export=alpha", "--export=beta", "--export=gamma"]
        # wasm-ld keeps relocated LEB128s at their padded 5 bytes, so a body's size does not change
        # when the indices it names do: body bytes compare exactly across links.
        cls.link("all.wasm", *exports)
        cls.link("no-alpha.wasm", "--export=beta", "--export=gamma")
        cls.link("no-gamma.wasm", "--export=alpha", "--export=beta")
        cls.link("no-gc.wasm", *exports, "--no-gc-sections")
        cls.reports = {name: cls.analyze_json(cls.dir / name)
                       for name in ("all.wasm", "no-alpha.wasm", "no-gamma.wasm", "no-gc.wasm")}

    @classmethod
    def tool(cls, cmd):
        proc = subprocess.run(cmd, cwd=cls.dir, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stderr}")

    @classmethod
    def link(cls, out, *args):
        cls.tool(["wasm-ld", "--no-entry", *args, "program.o", "-o", out])

    @staticmethod
    def analyze_json(path):
        proc = helper("wasm", "analyze", "--no-compression", "--json", path)
        if proc.returncode != 0:
            raise AssertionError(f"analyze {path} failed ({proc.returncode}):\n{proc.stderr}")
        return json.loads(proc.stdout)["modules"][0]

    def code_bytes(self, name):
        return sum(f["body_bytes"] for f in self.reports[name]["functions"])

    def export(self, name, export):
        return next(e for e in self.reports[name]["call_graph"]["exports"] if e["name"] == export)

    # --- The decoder --------------------------------------------------------------------------

    def assertCalleesMatchObjdump(self, path, report):
        expected, instructions = objdump_code(path)
        # The same number of instructions: an immediate skipped wrongly would be read as instructions.
        self.assertEqual(report["call_graph"]["instructions"], instructions)
        got = {f["index"]: set(f["callees"]) for f in report["functions"]}
        self.assertEqual(got.keys(), expected.keys())
        for index in sorted(expected):
            self.assertEqual(got[index], expected[index], f"{path.name}: callees of function {index}")

    def test_every_opcode_against_objdump(self):
        lines = []
        ops = [op for op in wabt_opcodes() if opcode_text(*op) is not None]
        prefixes = {prefix for prefix, _, _, _ in ops}
        self.assertEqual(prefixes, {0, 0xFC, 0xFD, 0xFE})
        self.assertGreater(len([op for op in ops if op[0] == 0xFD]), 250)  # SIMD and relaxed SIMD
        for k, op in enumerate(ops):
            lines.append(opcode_text(*op))
            lines.append(f"call $f{k % 3}")  # a call after each: a wrongly skipped immediate shows
        structured = """
            block nop end  loop nop end  block (result i32) i32.const 1 end drop  block (type $t1) end
            i32.const 0 if nop else nop end
            try nop catch 0 nop catch_all call $f2 end
            try call $f1 delegate 0
            try nop catch 0 rethrow 0 end
            block block br_table 0 1 0 end end
            select (result i32)
        """
        wat = f"""(module
  (type $t0 (func))
  (type $t1 (func (param) (result)))
  (tag (param))
  (memory 1 1 shared)
  (table 2 funcref)
  (global (mut i32) (i32.const 0))
  (elem (i32.const 0) $f0 $f1)
  (elem declare func $f3)
  (data "abc")
  (func $f0) (func $f1) (func $f2) (func $f3)
  (func $all (export "all") (local i32)
    {structured}
    {chr(10).join(lines)}
  )
  (func $tail (export "tail") return_call $f2)
  (func $ref (export "ref") ref.func $f3 drop)
)"""
        (self.dir / "opcodes.wat").write_text(wat)
        proc = run(["wat2wasm", "--enable-all", "--no-check", "opcodes.wat", "-o", "opcodes.wasm"], cwd=self.dir)
        self.assertOk(proc, "wat2wasm")
        report = self.analyze_json(self.dir / "opcodes.wasm")
        self.assertCalleesMatchObjdump(self.dir / "opcodes.wasm", report)
        by_name = {f["name"]: f for f in report["functions"]}
        self.assertEqual(by_name["all"]["callees"], [0, 1, 2, 3])
        self.assertEqual(report["call_graph"]["call_indirect_sites"], 2)  # call_indirect, return_call_indirect

    def test_sql_js_against_objdump(self):
        path = support.fetch_npm_module("sql-wasm.wasm", SQL_WASM)
        report = self.analyze_json(path)
        self.assertCalleesMatchObjdump(path, report)
        graph = report["call_graph"]
        # Emscripten: the function pointer table (one element segment) and 51 function exports are roots.
        self.assertEqual(graph["roots"], 52)
        self.assertEqual(graph["garbage_functions"], 0)
        self.assertEqual(graph["reachable_functions"], report["counts"]["functions"])

    # --- Retained sizes against wasm-ld --gc-sections ------------------------------------------

    def test_retained_size_is_what_relinking_without_the_export_removes(self):
        alpha = self.export("all.wasm", "alpha")
        removed = self.code_bytes("all.wasm") - self.code_bytes("no-alpha.wasm")
        self.assertEqual(alpha["retained_bytes"], removed)
        self.assertEqual(alpha["retained_functions"], 3)  # alpha, alpha_mid, alpha_leaf; not `shared`
        gone = ({f["name"] for f in self.reports["all.wasm"]["functions"]} -
                {f["name"] for f in self.reports["no-alpha.wasm"]["functions"]})
        self.assertEqual(gone, {"alpha", "alpha_mid", "alpha_leaf"})
        # beta shares `shared` with alpha: only its own body goes.
        by_name = {f["name"]: f for f in self.reports["all.wasm"]["functions"]}
        self.assertEqual(self.export("all.wasm", "beta")["retained_bytes"], by_name["beta"]["body_bytes"])
        self.assertEqual(by_name["alpha_mid"]["retained_bytes"],
                         by_name["alpha_mid"]["body_bytes"] + by_name["alpha_leaf"]["body_bytes"])

    def test_a_function_in_the_table_is_kept_by_the_table(self):
        # The binary does not say which code took `twice`'s address (here gamma, through data), so the
        # table keeps it: gamma's retained size leaves it out, while relinking without gamma removes
        # both. The documented limit: retained sizes are a lower bound when functions are in tables.
        by_name = {f["name"]: f for f in self.reports["all.wasm"]["functions"]}
        removed = self.code_bytes("all.wasm") - self.code_bytes("no-gamma.wasm")
        gamma = self.export("all.wasm", "gamma")
        self.assertEqual(gamma["retained_bytes"], by_name["gamma"]["body_bytes"])
        self.assertEqual(removed, gamma["retained_bytes"] + by_name["twice"]["body_bytes"])
        self.assertEqual(self.reports["all.wasm"]["call_graph"]["call_indirect_sites"], 1)

    def test_text_table_and_recommendation(self):
        proc = helper("wasm", "analyze", "--no-compression", self.dir / "all.wasm")
        self.assertOk(proc)
        alpha = self.export("all.wasm", "alpha")
        self.assertIn("Exports by retained size (3, largest first):", proc.stdout)
        self.assertMatchesLine(proc.stdout, rf"alpha\s+\| alpha\s+\|\s+{alpha['retained_bytes']} \|\s+[\d.]+% \|\s+3")
        # A 160-byte module is under the 64 KiB floor of lazy-export: no recommendation.
        self.assertNotIn("[lazy-export]", proc.stdout)

    def test_lazy_export_recommendation(self):
        # A module over lazy-export's 64 KiB floor: `big` alone keeps 1600 helpers alive, `small` one.
        helpers = "".join(
            f"__attribute__((noinline)) int h{i}(int x) {{ x = x * {2 * i + 3} + {i}; x ^= x >> {i % 13 + 1}; "
            f"x = x * {i + 7} - (x >> 3); x ^= x << {i % 7 + 1}; return x + {i * 5}; }}\n" for i in range(1600))
        calls = " + ".join(f"h{i}(x)" for i in range(1600))
        (self.dir / "big.c").write_text(helpers + f"int big(int x) {{ return {calls}; }}\nint small(int x) {{ return x + 1; }}\n")
        self.tool(["clang", "--target=wasm32-wasi", "-O1", "-c", "big.c", "-o", "big.o"])
        self.tool(["wasm-ld", "--no-entry", "--export=big", "--export=small", "big.o", "-o", "big.wasm"])
        self.tool(["wasm-ld", "--no-entry", "--export=small", "big.o", "-o", "small-only.wasm"])
        proc = helper("wasm", "analyze", "--no-compression", "--json", self.dir / "big.wasm")
        self.assertOk(proc)
        report = json.loads(proc.stdout)
        module = report["modules"][0]
        big = next(e for e in module["call_graph"]["exports"] if e["name"] == "big")
        removed = (sum(f["body_bytes"] for f in module["functions"]) -
                   sum(f["body_bytes"] for f in self.analyze_json(self.dir / "small-only.wasm")["functions"]))
        self.assertEqual(big["retained_bytes"], removed)
        self.assertEqual(big["retained_functions"], 1601)
        lazy = [r for r in report["recommendations"] if r["id"] == "lazy-export"]
        self.assertEqual(len(lazy), 1)  # not `small`
        self.assertEqual(lazy[0]["figures"]["export"], "big")
        self.assertEqual(lazy[0]["figures"]["retained_bytes"], removed)
        self.assertIn(f"export big retains {big['percent_of_code']:.2f}% of the code", lazy[0]["message"])
        self.assertTrue(lazy[0]["message"].endswith(
            f"a separate lazily loaded module for it would cut the first load by {removed} bytes"))

    # --- Garbage ------------------------------------------------------------------------------

    def test_garbage_is_what_gc_sections_would_remove(self):
        graph = self.reports["no-gc.wasm"]["call_graph"]
        names = {f["index"]: f["name"] for f in self.reports["no-gc.wasm"]["functions"]}
        self.assertEqual({names[i] for i in graph["garbage"]}, {"unused", "__wasm_call_ctors"})
        kept = {f["name"] for f in self.reports["all.wasm"]["functions"]}
        self.assertFalse({"unused", "__wasm_call_ctors"} & kept)  # --gc-sections removed exactly those
        sizes = {f["name"]: f["body_bytes"] for f in self.reports["no-gc.wasm"]["functions"]}
        self.assertEqual(graph["garbage_bytes"], sizes["unused"] + sizes["__wasm_call_ctors"])
        self.assertEqual(self.reports["all.wasm"]["call_graph"]["garbage"], [])
        proc = helper("wasm", "analyze", "--no-compression", self.dir / "no-gc.wasm")
        self.assertOk(proc)
        self.assertIn(f"unreachable (garbage): 2 functions, {graph['garbage_bytes']} body bytes", proc.stdout)
        self.assertIn("[unreachable-code]", proc.stdout)

    # --- --why --------------------------------------------------------------------------------

    def test_why_by_name_and_index(self):
        path = self.dir / "all.wasm"
        proc = helper("wasm", "analyze", "--why", "alpha_leaf", path)
        self.assertOk(proc)
        self.assertIn('dominated by (every path passes through): alpha_mid <- alpha <- export "alpha"', proc.stdout)
        self.assertLine(proc.stdout, '    export "alpha" -> alpha -> alpha_mid -> alpha_leaf')
        index = next(f["index"] for f in self.reports["all.wasm"]["functions"] if f["name"] == "shared")
        proc = helper("wasm", "analyze", "--why", str(index), path)
        self.assertOk(proc)
        self.assertIn(f"shared (function {index},", proc.stdout)
        self.assertIn("reached from 2 callers", proc.stdout)
        self.assertLine(proc.stdout, '    export "beta" -> beta -> shared')
        self.assertLine(proc.stdout, '    export "alpha" -> alpha -> alpha_mid -> alpha_leaf -> shared')
        proc = helper("wasm", "analyze", "--why", "twice", path)
        self.assertLine(proc.stdout, "    element segment 0 -> twice")
        proc = helper("wasm", "analyze", "--why", "unused", self.dir / "no-gc.wasm")
        self.assertIn("unreachable: no export, start function, element segment or global leads to it", proc.stdout)

    def test_why_unknown_function(self):
        proc = helper("wasm", "analyze", "--why", "nosuch", self.dir / "all.wasm")
        self.assertFails(proc, 1)
        self.assertIn(f'buildbudget: error: --why: no function "nosuch" in {self.dir / "all.wasm"}', proc.stderr)
        proc = helper("wasm", "analyze", "--why", "alpha", "--json", self.dir / "all.wasm")
        self.assertFails(proc, 2)

    # --- Malformed bodies ---------------------------------------------------------------------

    def test_malformed_body_gives_its_offset(self):
        wat = '(module (func (export "f") i32.const 5 drop) (func (export "g") i32.const 6 drop i32.const 7 drop))'
        (self.dir / "small.wat").write_text(wat)
        self.assertOk(run(["wat2wasm", "small.wat", "-o", "small.wasm"], cwd=self.dir))
        data = (self.dir / "small.wasm").read_bytes()
        old = b"\x41\x06\x1a\x41\x07\x1a\x0b"  # g: i32.const 6, drop, i32.const 7, drop, end
        cases = {  # the replacement (same size), where the problem is in it, the message
            "opcode": (b"\x41\x06\x1a\xff\x07\x1a\x0b", 3, "function 1: unknown opcode 0xFF"),
            # 0xFD 0x9A: a gap in the SIMD opcode table
            "simd": (b"\x41\x06\x1a\xfd\x9a\x01\x0b", 3, "function 1: unknown opcode 0xFD 154"),
            "leb": (b"\x41\x80\x80\x80\x80\x80\x0b", 1,
                    "function 1: bad LEB128 reading an i32 constant: longer than 5 bytes"),
            # block, nop, end: the block's end is the body's last byte, the body's own end is missing
            "unclosed": (b"\x41\x06\x1a\x02\x40\x01\x0b", 7,
                         "function 1: the body ends inside an unclosed block (missing end)"),
        }
        self.assertEqual(data.count(old), 1)
        for case, (new, shift, message) in cases.items():
            with self.subTest(case=case):
                at = data.index(old) + shift
                path = self.dir / f"bad-{case}.wasm"
                path.write_bytes(data.replace(old, new))
                proc = helper("wasm", "analyze", "--no-compression", path)
                self.assertFails(proc, 1)
                self.assertEqual(proc.stderr, f"buildbudget: error: {path}: {message} at byte offset {at}\n")
                self.assertEqual(proc.stdout, "")
                # --no-call-graph does not decode bodies: the sizes are still reported.
                proc = helper("wasm", "analyze", "--no-compression", "--no-call-graph", "--json", path)
                self.assertOk(proc)
                self.assertIsNone(json.loads(proc.stdout)["modules"][0]["call_graph"])


if __name__ == "__main__":
    unittest.main()
