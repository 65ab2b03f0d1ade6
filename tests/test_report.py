"""`buildbudget report` (doc/helper-report.md) on the examples' real builds: the figures are the
check reports', size reports' and job log's own numbers; baseline deltas and exit codes over the whole
matrix (unchanged, grew within a limit, grew over it, new component, removed component, missing files);
history; bad input named by file; report.md's tables; outputs not rewritten when unchanged. In CMake
(doc/helper-report.md, "In CMake"): `ctest -L budget` runs the buildbudget.report fixture's test after the
budget tests and leaves the report, also after a failing check (and fails with it), the buildbudget_report
target, BUILDBUDGET_REPORT_BASELINE. The page of the examples' builds in headless Chromium, and report.md
rendered by cmark-gfm."""
import html.parser
import json
import os
import re
import shutil
import subprocess
import unittest

import test_report_page as report_page  # its Chromium driver and DOM reader (a module: its tests stay there)
from support import SOURCE_DIR, WORK_DIR, TestCase, build, configure, fresh_dir, helper, run

EXAMPLES = SOURCE_DIR / "examples"


def md_tables(text):
    """The GFM tables of `text`: a list of (header, rows), cells with their backslash escapes undone."""
    def cells(line):
        parts = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        return [re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", p.strip()) for p in parts]
    tables, lines, i = [], text.splitlines(), 0
    while i + 1 < len(lines):
        if lines[i].startswith("|") and re.fullmatch(r"\|( ---:? \|)+", lines[i + 1]):
            header, rows, i = cells(lines[i]), [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            tables.append((header, rows))
        else:
            i += 1
    return tables


class HtmlTables(html.parser.HTMLParser):
    """The tables of rendered HTML: a list of (header cells, rows of cells), each cell's text."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.cell = [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("th", "td"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.cell is not None:
            header, rows = self.tables[-1]
            (header if tag == "th" else rows[-1]).append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.tables and self.tables[-1][1] and not self.tables[-1][1][-1]:
            self.tables[-1][1].pop()  # the header row

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def exact(cell):
    """The exact bytes of a size cell, "1023.52 KiB (1048080)" -> 1048080; None for "-"."""
    if cell == "-":
        return None
    m = re.search(r"\((\d+)\)$", cell)
    assert m, cell
    return int(m.group(1))


def line_column(text):
    """The 1-based line and column just past `text` (where a parser stops on a cut-off file)."""
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


class Report(TestCase):
    @classmethod
    def setUpClass(cls):
        # The three examples, each built once; the lowmem one small (2 light units).
        cls.fw = fresh_dir("report", "fw")
        cls.wasm = fresh_dir("report", "wasm")
        cls.lowmem = fresh_dir("report", "lowmem")
        for src, bld, defs in ((EXAMPLES / "embedded-firmware", cls.fw, ()),
                               (EXAMPLES / "wasm-module", cls.wasm, ()),
                               (EXAMPLES / "lowmem", cls.lowmem, ("LOWMEM_EXAMPLE_UNITS=2", "LOWMEM_EXAMPLE_WEIGHT=20"))):
            for step in (configure(src, bld, *defs), build(bld)):
                if step.returncode != 0:
                    raise AssertionError(f"{src}: {step.args}\n{step.stdout}\n{step.stderr}")
        # `ctest -L budget` in each: the budget checks, then the buildbudget.report fixture's cleanup test.
        cls.ctest = {}
        for bld in (cls.fw, cls.wasm, cls.lowmem):
            cls.ctest[bld] = run(["ctest", "--test-dir", bld, "-L", "budget"])
            if cls.ctest[bld].returncode != 0:
                raise AssertionError(cls.ctest[bld].stdout + cls.ctest[bld].stderr)
        cls.reports = cls.fw / "buildbudget-reports"

    def report(self, *args, code=0):
        proc = helper("report", *map(str, args))
        self.assertEqual(proc.returncode, code, f"exit {proc.returncode}, expected {code}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def load(self, out):
        return json.loads((out / "report.json").read_text())

    def figures(self, doc):
        return {f["key"]: f for f in doc["figures"]}

    # --- what the examples' builds left -----------------------------------------------------------------

    def test_budgets_are_the_check_reports_numbers(self):
        proc = self.report("--build-dir", self.fw)
        out = self.fw / "buildbudget-report"
        self.assertIn(str(out / "report.html"), proc.stdout)
        doc = self.load(out)
        self.assertEqual(doc["schema"], "buildbudget-report/1")
        self.assertEqual(doc["status"], "ok")
        self.assertEqual(doc["build_dir"], str(self.fw))
        head = run(["git", "-C", SOURCE_DIR, "rev-parse", "HEAD"])
        self.assertEqual(doc["commit"], head.stdout.strip() if head.returncode == 0 else None)
        footprint = json.loads((self.reports / "fw.footprint.json").read_text())
        peak = json.loads((self.reports / "fw.heap_peak.json").read_text())
        budgets = {(b["set"], b["component"]): b for b in doc["budgets"]}
        self.assertEqual(sorted(budgets), [("fw", "app"), ("fw", "net"), ("fw", "storage")])
        figures = self.figures(doc)
        for c in footprint["components"]:
            with self.subTest(component=c["name"]):
                b = budgets[("fw", c["name"])]
                self.assertEqual(b["static_ram_bytes"], c["measured_bytes"])
                self.assertEqual(b["budget_bytes"], c["budget_bytes"])
                self.assertEqual(b["status"], "ok")
                f = figures[f"budget/fw/{c['name']}/static_ram"]
                self.assertEqual((f["value"], f["limit"]), (c["measured_bytes"], c["budget_bytes"]))
        app = peak["components"][0]
        self.assertEqual(budgets[("fw", "app")]["heap_peak_bytes"], app["measured_bytes"])
        self.assertEqual(figures["budget/fw/app/heap_peak"]["value"], app["measured_bytes"])
        self.assertIsNone(budgets[("fw", "net")]["heap_peak_bytes"])
        self.assertEqual(sorted(c["check"] for c in budgets[("fw", "storage")]["checks"]), ["footprint", "freestanding"])
        self.assertEqual(doc["summary"], {"over": 0, "errors": 0, "grew": 0, "shrank": 0, "new": 0, "removed": 0,
                                          "growth_limit": 0})

        # report.md: the budgets table holds the same numbers.
        md = (out / "report.md").read_text()
        self.assertEqual(md.splitlines()[0], "## BuildBudget report")
        self.assertTrue(md.splitlines()[2].startswith("**Within budget**: 3 budgets"), md)
        tables = {tuple(h): rows for h, rows in md_tables(md)}
        rows = tables[("Set", "Component", "Budget", "Static RAM", "Heap peak", "Headroom", "Status")]
        self.assertEqual({(r[1], exact(r[2]), exact(r[3]), exact(r[4]), r[6]) for r in rows},
                         {(name, b["budget_bytes"], b["static_ram_bytes"], b["heap_peak_bytes"], "ok")
                          for (_, name), b in budgets.items()})
        self.assertIn("<details><summary>Budgets: 3 components, 0 over</summary>", md)
        self.assertTrue((out / "report.html").read_text().startswith("<!DOCTYPE html>"))

        # Run again: nothing changed, nothing rewritten.
        before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
        self.report("--build-dir", self.fw)
        self.assertEqual({p.name: p.stat().st_mtime_ns for p in out.iterdir()}, before)

    def test_wasm_modules_are_the_size_reports_numbers(self):
        out = WORK_DIR / "report" / "wasm-out"
        self.report("--build-dir", self.wasm, "--out-dir", out)
        doc = self.load(out)
        sizes = {}
        for p in self.wasm.rglob("*.size.json"):
            if "CMakeFiles" not in p.parts:
                j = json.loads(p.read_text())
                sizes[j["name"]] = j
        self.assertEqual(sorted(m["name"] for m in doc["wasm"]), sorted(sizes))
        self.assertIn("imgproc", sizes)
        self.assertIn("hasher", sizes)
        figures = self.figures(doc)
        for m in doc["wasm"]:
            with self.subTest(module=m["name"]):
                s = sizes[m["name"]]
                self.assertEqual((m["raw"], m["gzip"], m["brotli"], m["file"]), (s["raw"], s["gzip"], s["brotli"], s["file"]))
                limits = {l["kind"]: l["limit_bytes"] for l in s.get("limits", [])}
                for kind in ("raw", "gzip", "brotli"):
                    self.assertEqual(m["limits"][kind], limits.get(kind))
                    if s[kind] is None:
                        self.assertNotIn(f"wasm/{m['name']}/{kind}", figures)
                    else:
                        self.assertEqual(figures[f"wasm/{m['name']}/{kind}"]["value"], s[kind])
                        self.assertEqual(figures[f"wasm/{m['name']}/{kind}"]["limit"], limits.get(kind))
                self.assertEqual(m["status"], "ok")
        # wasm analyze covered imgproc and hasher (examples/wasm-module/CMakeLists.txt): their treemap,
        # relative to the report's directory.
        by_name = {m["name"]: m for m in doc["wasm"]}
        for name in ("imgproc", "hasher"):
            self.assertEqual(by_name[name]["analysis"], str(self.wasm / "wasm-analysis.json"))
            self.assertEqual((out / by_name[name]["treemap"]).resolve(), (self.wasm / "wasm-analysis.html").resolve())
        self.assertIsNone(by_name["imgproc.simd"]["treemap"])
        tables = {tuple(h): rows for h, rows in md_tables((out / "report.md").read_text())}
        rows = tables[("Module", "Raw", "Raw limit", "gzip", "gzip limit", "brotli", "brotli limit", "Status")]
        self.assertEqual({r[0]: (exact(r[1]), exact(r[3]), exact(r[5])) for r in rows},
                         {n: (s["raw"], s["gzip"], s["brotli"]) for n, s in sizes.items()})

    def test_build_memory_is_the_job_logs_numbers(self):
        self.report("--build-dir", self.lowmem)
        doc = self.load(self.lowmem / "buildbudget-report")
        log = self.lowmem / "buildbudget-lowmem" / "jobs.jsonl"
        plan = json.loads((self.lowmem / "buildbudget-lowmem" / "plan.json").read_text())
        records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        bm = doc["build_memory"]
        self.assertEqual(bm["log"], str(log))
        self.assertEqual(bm["memory_limit_bytes"], plan["memory_limit"])
        self.assertEqual(bm["pools"], {"compile": plan["compile_jobs"], "link": plan["link_jobs"]})
        self.assertEqual(len(bm["jobs"]), len(records))  # one build
        first = min(r["start_ms"] for r in records)
        expected = sorted((r["start_ms"] - first, r["end_ms"] - first, r["peak_rss"], r["kind"], r.get("samples", []))
                          for r in records)
        got = sorted((j["start_ms"], j["end_ms"], j["peak_rss"], j["kind"], j["samples"]) for j in bm["jobs"])
        self.assertEqual(got, expected)
        self.assertTrue(any(j["samples"] for j in bm["jobs"]), "the launcher records samples")
        self.assertFalse(any(j["killed"] or j["oom"] for j in bm["jobs"]))
        # The peak: the highest sum of peaks of jobs running at once (half-open intervals).
        events = sorted([(r["start_ms"], 1, r["peak_rss"]) for r in records] +
                        [(max(r["end_ms"], r["start_ms"] + 1), 0, -r["peak_rss"]) for r in records])
        level = peak = 0
        for _, _, d in events:
            level += d
            peak = max(peak, level)
        self.assertEqual(bm["peak_bytes"], peak)
        self.assertEqual(self.figures(doc)["build/peak"]["value"], peak)
        tables = {tuple(h): rows for h, rows in md_tables((self.lowmem / "buildbudget-report" / "report.md").read_text())}
        rows = tables[("Job", "Kind", "Peak RSS", "Time", "Status")]
        self.assertEqual(sorted(exact(r[2]) for r in rows), sorted(r["peak_rss"] for r in records))

    # --- baselines ------------------------------------------------------------------------------------------

    def inputs(self, name, edit=None, drop=()):
        """Copies of the firmware's check reports in a fresh directory, `edit`ed (a function of the name and
        the parsed report), without the files in `drop`."""
        d = fresh_dir("report", "matrix", name)
        for p in sorted(self.reports.glob("*.json")):
            if p.name in drop:
                continue
            j = json.loads(p.read_text())
            if edit:
                edit(p.name, j)
            (d / p.name).write_text(json.dumps(j, indent=2))
        return d

    def run_on(self, d, *args, code=0):
        proc = self.report(*sorted(d.glob("*.json")), "--out-dir", d / "out", *args, code=code)
        return proc, self.load(d / "out")

    def baseline(self):
        d = self.inputs("baseline")
        self.run_on(d)
        return d / "out" / "report.json"

    @staticmethod
    def grow(component, by):
        def edit(name, j):
            if name == "fw.footprint.json":
                for c in j["components"]:
                    if c["name"] == component:
                        c["measured_bytes"] += by
                        c["passed"] = c["measured_bytes"] <= c["budget_bytes"]
        return edit

    def test_baseline_matrix(self):
        base = self.baseline()
        base_doc = json.loads(base.read_text())
        net = self.figures(base_doc)["budget/fw/net/static_ram"]["value"]

        with self.subTest("unchanged"):
            _, doc = self.run_on(self.inputs("same"), "--baseline", base, "--fail-above-bytes", "0")
            self.assertEqual({f["change"] for f in doc["figures"]}, {"same"})
            self.assertEqual({f["delta"] for f in doc["figures"]}, {0})
            self.assertEqual(doc["status"], "ok")
            self.assertEqual(doc["baseline"]["file"], str(base))

        with self.subTest("grew within the limit"):
            proc, doc = self.run_on(self.inputs("within", self.grow("net", 100)), "--baseline", base,
                                    "--fail-above-bytes", "1KB", "--fail-above-percent", "1")
            f = self.figures(doc)["budget/fw/net/static_ram"]
            self.assertEqual((f["change"], f["baseline"], f["delta"], f["value"]), ("grew", net, 100, net + 100))
            self.assertEqual(doc["summary"]["grew"], 1)
            self.assertEqual(doc["growth"], [])
            self.assertIn("1 grew", proc.stdout)
            tables = {tuple(h): rows for h, rows in md_tables((self.inputs_dir("within") / "out" / "report.md").read_text())}
            rows = tables[("", "What", "Now", "Limit", "Baseline", "Change")]
            self.assertEqual([(r[0], r[1], exact(r[2]), exact(r[4]), r[5].split(" ")[0]) for r in rows],
                             [("grew", "fw net static RAM", net + 100, net, "+100")])

        with self.subTest("grew over the bytes limit"):
            proc, doc = self.run_on(self.inputs("over-bytes", self.grow("net", 100)), "--baseline", base,
                                    "--fail-above-bytes", "50", code=1)
            self.assertEqual(doc["status"], "over")
            self.assertEqual([g["key"] for g in doc["growth"]], ["budget/fw/net/static_ram"])
            self.assertIn(f"fw net static RAM: grew from {net} to {net + 100} bytes (+100 bytes, +0.01%), "
                          "more than --fail-above-bytes 50 bytes", proc.stderr)
            md = (self.inputs_dir("over-bytes") / "out" / "report.md").read_text()
            self.assertTrue(md.splitlines()[2].startswith("**Grew over the limit**: 1 growth limit crossed (3 budgets)"), md)

        with self.subTest("grew over the percent limit"):
            storage = self.figures(base_doc)["budget/fw/storage/static_ram"]["value"]
            proc, doc = self.run_on(self.inputs("over-percent", self.grow("storage", -storage // 2)), "--baseline", base,
                                    "--fail-above-percent", "0.01")
            self.assertEqual(self.figures(doc)["budget/fw/storage/static_ram"]["change"], "shrank")
            proc, doc = self.run_on(self.inputs("over-percent", self.grow("net", 200)), "--baseline", base,
                                    "--fail-above-percent", "0.01", code=1)
            self.assertIn("more than --fail-above-percent 0.01%", proc.stderr)

        with self.subTest("over budget"):
            proc, doc = self.run_on(self.inputs("over-budget", self.grow("net", 1000)), "--baseline", base, code=1)
            self.assertEqual(doc["status"], "over")
            self.assertEqual({(b["component"], b["status"]) for b in doc["budgets"]},
                             {("net", "over"), ("app", "ok"), ("storage", "ok")})
            self.assertEqual(doc["summary"]["over"], 1)
            tables = {tuple(h): rows for h, rows in md_tables((self.inputs_dir("over-budget") / "out" / "report.md").read_text())}
            self.assertEqual([(r[0], r[1]) for r in tables[("", "What", "Now", "Limit", "Baseline", "Change")]],
                             [("**over budget**", "fw net static RAM")])

        def add_component(name, j):
            if name == "fw.footprint.json":
                extra = dict(j["components"][0], name="dsp", budget_bytes=4096, measured_bytes=1000)
                j["components"].append(extra)

        with self.subTest("new component"):
            _, doc = self.run_on(self.inputs("new", add_component), "--baseline", base, "--fail-above-bytes", "2000")
            f = self.figures(doc)["budget/fw/dsp/static_ram"]
            self.assertEqual((f["change"], f["baseline"], f["delta"], f["value"]), ("new", None, None, 1000))
            self.assertEqual(doc["status"], "ok")
            # A new figure grew from nothing: --fail-above-bytes holds it, as wasm analyze does a new module.
            proc, doc = self.run_on(self.inputs("new", add_component), "--baseline", base, "--fail-above-bytes", "999",
                                    code=1)
            self.assertIn("fw dsp static RAM: grew from 0 to 1000 bytes (+1000 bytes, new), more than --fail-above-bytes",
                          proc.stderr)

        def drop_storage(name, j):
            if name == "fw.footprint.json":
                j["components"] = [c for c in j["components"] if c["name"] != "storage"]

        with self.subTest("removed component"):
            _, doc = self.run_on(self.inputs("removed", drop_storage), "--baseline", base, "--fail-above-bytes", "0")
            f = self.figures(doc)["budget/fw/storage/static_ram"]
            self.assertEqual((f["change"], f["value"], f["baseline"], f["delta"]),
                             ("removed", None, self.figures(base_doc)["budget/fw/storage/static_ram"]["value"], None))
            self.assertEqual(doc["summary"]["removed"], 1)
            self.assertEqual(doc["status"], "ok")

        with self.subTest("missing files"):
            # The heap-peak check's report is gone: its figure is removed, the rest unchanged.
            _, doc = self.run_on(self.inputs("missing", drop=("fw.heap_peak.json",)), "--baseline", base)
            self.assertEqual(self.figures(doc)["budget/fw/app/heap_peak"]["change"], "removed")
            self.assertEqual(doc["summary"]["removed"], 1)
            self.assertEqual(doc["status"], "ok")
            # A baseline that is not there, an input that is not there: exit 1 naming the file.
            d = self.inputs("missing-baseline")
            proc = self.report(*sorted(d.glob("*.json")), "--out-dir", d / "out", "--baseline", d / "nowhere.json", code=1)
            self.assertIn(f"buildbudget: error: {d / 'nowhere.json'}: cannot read: No such file or directory", proc.stderr)
            proc = self.report(d / "gone.json", "--out-dir", d / "out", code=1)
            self.assertIn(f"{d / 'gone.json'}: cannot read: No such file or directory", proc.stderr)

    def inputs_dir(self, name):
        return WORK_DIR / "report" / "matrix" / name

    def test_history(self):
        hist = fresh_dir("report", "history")
        base = json.loads(self.baseline().read_text())
        for i, (commit, created, value) in enumerate((("b" * 40, "2026-01-02T00:00:00Z", 1000),
                                                      ("a" * 40, "2026-01-01T00:00:00Z", 900))):
            old = dict(base, commit=commit, created=created)
            old["figures"] = [dict(f, value=value if f["key"] == "budget/fw/net/static_ram" else f["value"])
                              for f in base["figures"]]
            (hist / f"{commit}.json").write_text(json.dumps(old))
        out = WORK_DIR / "report" / "history-out"
        self.report("--build-dir", self.fw, "--out-dir", out, "--history", hist)
        doc = self.load(out)
        own = hist / f"{doc['commit'] or doc['created'].replace('-', '').replace(':', '')}.json"
        self.assertTrue(own.is_file())
        net = self.figures(doc)["budget/fw/net/static_ram"]
        self.assertEqual(net["history"], [["a" * 40, 900], ["b" * 40, 1000], [doc["commit"] or doc["created"], net["value"]]])
        self.report("--build-dir", self.fw, "--out-dir", out, "--history", hist, "--history-count", "2")
        net = self.figures(self.load(out))["budget/fw/net/static_ram"]
        self.assertEqual([h[1] for h in net["history"]], [1000, net["value"]])
        self.assertEqual(len(list(hist.glob("*.json"))), 3, "one file per commit")

        # A directory that is not there yet is made; a report of another version in it stops the run.
        new = WORK_DIR / "report" / "history-new"
        shutil.rmtree(new, ignore_errors=True)
        self.report("--build-dir", self.fw, "--out-dir", out, "--history", new)
        self.assertEqual([p.name for p in new.iterdir()], [own.name])
        (new / own.name).unlink()
        bad = new / "old.json"
        bad.write_text(json.dumps({"schema": "buildbudget-report/2", "figures": []}))
        proc = self.report("--build-dir", self.fw, "--out-dir", out, "--history", new, code=1)
        self.assertIn(f"buildbudget: error: {bad}: schema buildbudget-report/2, expected buildbudget-report/1", proc.stderr)
        self.assertEqual([p.name for p in new.iterdir()], ["old.json"], "nothing written")

    # --- bad input --------------------------------------------------------------------------------------------

    def test_corrupt_json_names_file_line_and_column(self):
        d = self.inputs("corrupt")
        text = (d / "fw.footprint.json").read_text()
        cut = text[: len(text) // 2]
        (d / "fw.footprint.json").write_text(cut)
        line, column = line_column(cut)
        proc = self.report("--build-dir", d, code=1)
        self.assertRegex(proc.stderr, rf"^buildbudget: error: {re.escape(str(d / 'fw.footprint.json'))}:{line}:{column}: "
                                      r"not valid JSON: syntax error")
        self.assertFalse((d / "buildbudget-report" / "report.json").exists(), "nothing written")

    def test_other_schema_version(self):
        d = self.inputs("schema")
        old = d / "old-report.json"
        old.write_text(json.dumps({"schema": "buildbudget-report/2", "figures": []}))
        proc = self.report(d / "fw.footprint.json", "--out-dir", d / "out", "--baseline", old, code=1)
        self.assertIn(f"buildbudget: error: {old}: schema buildbudget-report/2, expected buildbudget-report/1", proc.stderr)
        check = json.loads((d / "fw.footprint.json").read_text())
        check["schema"] = "buildbudget-check-report/2"
        (d / "fw.footprint.json").write_text(json.dumps(check))
        proc = self.report("--build-dir", d, code=1)
        self.assertIn(f"{d / 'fw.footprint.json'}: schema buildbudget-check-report/2, expected buildbudget-check-report/1",
                      proc.stderr)

    def test_job_log_cut_off_mid_line(self):
        d = fresh_dir("report", "cut-log")
        log = d / "buildbudget-lowmem" / "jobs.jsonl"
        log.parent.mkdir()
        text = (self.lowmem / "buildbudget-lowmem" / "jobs.jsonl").read_text()
        lines = text.splitlines()
        log.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])
        proc = self.report("--build-dir", d, code=1)
        self.assertRegex(proc.stderr, rf"^buildbudget: error: {re.escape(str(log))}:{len(lines)}:\d+: not valid JSON")

    def test_usage_errors_exit_2(self):
        d = self.inputs("usage")
        for args in (("--fail-above-bytes", "1KB"), ("--baseline", d / "x.json", "--fail-above-percent", "lots"),
                     ("--history-count", "3"), ("--no-such-option",)):
            with self.subTest(args=args):
                self.report("--build-dir", d, *args, code=2)


    # --- in CMake (doc/helper-report.md, "In CMake") ------------------------------------------------------

    def ran(self, ctest_stdout):
        """The tests a ctest run ran, in the order they finished, with their outcome."""
        return re.findall(r"^\s*\d+/\d+ Test\s+#\d+: (\S+) \.+\s*(\*\*\*Failed|Passed)", ctest_stdout, re.M)

    def ctest_tests(self, bld):
        """ctest --show-only=json-v1: each test's name -> its properties, and its command as "command"."""
        shown = json.loads(run(["ctest", "--test-dir", bld, "--show-only=json-v1"]).stdout)
        return {t["name"]: dict({p["name"]: p["value"] for p in t.get("properties", [])}, command=t["command"])
                for t in shown["tests"]}

    def test_ctest_label_budget_leaves_the_report(self):
        for bld in (self.fw, self.wasm, self.lowmem):
            with self.subTest(example=bld.name):
                ran = self.ran(self.ctest[bld].stdout)
                # The report ran last, after every budget test (the fixture's cleanup).
                self.assertEqual(ran[-1], ("buildbudget.report", "Passed"), self.ctest[bld].stdout)
                tests = self.ctest_tests(bld)
                budget = sorted(n for n, p in tests.items() if "budget" in p.get("LABELS", []))
                self.assertEqual(sorted(n for n, _ in ran), budget)
                self.assertEqual(tests["buildbudget.report"]["FIXTURES_CLEANUP"], ["buildbudget.report"])
                for name in budget:
                    if name != "buildbudget.report":
                        self.assertEqual(tests[name]["FIXTURES_REQUIRED"], ["buildbudget.report"], name)
                out = bld / "buildbudget-report"
                self.assertEqual(sorted(p.name for p in out.iterdir()), ["report.html", "report.json", "report.md"])
                doc = self.load(out)
                self.assertEqual((doc["build_dir"], doc["status"], doc["baseline"]), (str(bld), "ok", None))
        self.assertEqual([n for n, _ in self.ran(self.ctest[self.fw].stdout)][:-1].count("fw.footprint"), 1)
        self.assertTrue(self.load(self.wasm / "buildbudget-report")["wasm"])
        self.assertTrue(self.load(self.lowmem / "buildbudget-report")["build_memory"]["jobs"])
        # One budget test alone brings the report with it.
        alone = run(["ctest", "--test-dir", self.fw, "-R", r"^fw\.freestanding$"])
        self.assertEqual(self.ran(alone.stdout), [("fw.freestanding", "Passed"), ("buildbudget.report", "Passed")])

    def test_the_buildbudget_report_target(self):
        out = self.wasm / "buildbudget-report"
        by_ctest = self.load(out)
        shutil.rmtree(out)
        proc = build(self.wasm, "--target", "buildbudget_report")
        self.assertOk(proc, "cmake --build --target buildbudget_report")
        self.assertIn(f"BuildBudget report: {out / 'report.html'}", proc.stdout)
        self.assertEqual(sorted(p.name for p in out.iterdir()), ["report.html", "report.json", "report.md"])
        self.assertEqual(self.load(out), by_ctest)

    def test_baseline_cache_variable(self):
        # The wasm example against a baseline in which imgproc was 100 bytes smaller: the change shows.
        d = fresh_dir("report", "cmake-baseline")
        base = self.load(self.wasm / "buildbudget-report")
        for f in base["figures"]:
            if f["key"] == "wasm/imgproc/raw":
                raw = f["value"]
                f["value"] -= 100
        (d / "main.json").write_text(json.dumps(base, indent=2))
        try:
            self.assertOk(configure(EXAMPLES / "wasm-module", self.wasm, f"BUILDBUDGET_REPORT_BASELINE={d / 'main.json'}"))
            proc = run(["ctest", "--test-dir", self.wasm, "-L", "budget"])
            self.assertOk(proc, "ctest -L budget")
            doc = self.load(self.wasm / "buildbudget-report")
            self.assertEqual(doc["baseline"]["file"], str(d / "main.json"))
            f = self.figures(doc)["wasm/imgproc/raw"]
            self.assertEqual((f["value"], f["baseline"], f["delta"], f["change"]), (raw, raw - 100, 100, "grew"))
            self.assertEqual(self.ctest_tests(self.wasm)["buildbudget.report"]["command"][1:],
                             ["report", "--build-dir", str(self.wasm), "--baseline", str(d / "main.json")])
            # The growth limits: 100 bytes of growth crosses 50 bytes, not 200 bytes nor 1000 %.
            self.assertOk(configure(EXAMPLES / "wasm-module", self.wasm, "BUILDBUDGET_REPORT_FAIL_ABOVE_BYTES=50"))
            self.assertEqual(self.ctest_tests(self.wasm)["buildbudget.report"]["command"][1:],
                             ["report", "--build-dir", str(self.wasm), "--baseline", str(d / "main.json"),
                              "--fail-above-bytes", "50"])
            proc = run(["ctest", "--test-dir", self.wasm, "-L", "budget"])
            self.assertEqual(proc.returncode, 8, proc.stdout + proc.stderr)
            self.assertEqual(self.ran(proc.stdout), [("buildbudget.report", "***Failed")])
            self.assertOk(configure(EXAMPLES / "wasm-module", self.wasm, "BUILDBUDGET_REPORT_FAIL_ABOVE_BYTES=200",
                                    "BUILDBUDGET_REPORT_FAIL_ABOVE_PERCENT=1000"))
            self.assertOk(run(["ctest", "--test-dir", self.wasm, "-L", "budget"]))
            # Without a baseline the limits are not passed (the command would refuse them).
            self.assertOk(configure(EXAMPLES / "wasm-module", self.wasm, "BUILDBUDGET_REPORT_BASELINE="))
            self.assertEqual(self.ctest_tests(self.wasm)["buildbudget.report"]["command"][1:],
                             ["report", "--build-dir", str(self.wasm)])
        finally:
            # Back to no baseline and no limits, and the report ctest leaves without them (the other tests read it).
            self.assertOk(configure(EXAMPLES / "wasm-module", self.wasm, "BUILDBUDGET_REPORT_BASELINE=",
                                    "BUILDBUDGET_REPORT_FAIL_ABOVE_BYTES=", "BUILDBUDGET_REPORT_FAIL_ABOVE_PERCENT="))
            self.assertOk(run(["ctest", "--test-dir", self.wasm, "-L", "budget"]))
        self.assertEqual(self.ctest_tests(self.wasm)["buildbudget.report"]["command"][1:],
                         ["report", "--build-dir", str(self.wasm)])

    def test_a_failing_budget_test_still_runs_the_report_which_fails(self):
        # test-projects/report-fixture: one component of 4 KiB, 1000 bytes of static RAM, then 5000.
        src = SOURCE_DIR / "test-projects" / "report-fixture"
        bld = fresh_dir("report", "fixture")
        self.assertOk(configure(src, bld))
        self.assertOk(build(bld))
        proc = run(["ctest", "--test-dir", bld, "-L", "budget"])
        self.assertOk(proc, "ctest -L budget")
        base = WORK_DIR / "report" / "fixture-main.json"
        shutil.copyfile(bld / "buildbudget-report" / "report.json", base)
        self.assertOk(configure(src, bld, "REPORT_FIXTURE_BYTES=5000", f"BUILDBUDGET_REPORT_BASELINE={base}"))
        self.assertOk(build(bld))
        proc = run(["ctest", "--test-dir", bld, "-L", "budget"])
        self.assertEqual(proc.returncode, 8, proc.stdout + proc.stderr)
        self.assertEqual(self.ran(proc.stdout), [("fw.footprint", "***Failed"), ("buildbudget.report", "***Failed")])
        doc = self.load(bld / "buildbudget-report")
        self.assertEqual(doc["status"], "over")
        f = self.figures(doc)["budget/fw/net/static_ram"]
        self.assertEqual((f["baseline"], f["value"], f["change"]), (1000, 5000, "grew"))
        md = (bld / "buildbudget-report" / "report.md").read_text()
        self.assertTrue(md.splitlines()[2].startswith("**Over budget**"), md)
        # The test fails because the report does: the command alone exits 1 too.
        self.report("--build-dir", bld, "--baseline", base, code=1)

    # --- the page and report.md of the examples' real builds ----------------------------------------------

    def test_the_page_of_the_examples_in_chromium(self):
        # The pages `ctest -L budget` left, loaded from file:// in headless Chromium (test_report_page.py's
        # driver): one bar per component and module with report.json's bytes, one band per job; the
        # tables' numbers. A screenshot of each page stays in the work directory (report/<example>.png).
        for bld in (self.fw, self.wasm, self.lowmem):
            with self.subTest(example=bld.name):
                page = bld / "buildbudget-report" / "report.html"
                doc = self.load(page.parent)
                dom = report_page.Dom(report_page.ReportPage.chromium(
                    f"examples-{bld.name}", "--window-size=1200,900", "--dump-dom", page=page))
                names = [f"{b['set']}/{b['component']}" for b in doc["budgets"]]
                self.assertEqual([(t["data-name"], int(t["data-bytes"])) for t in dom.kind("budget", measure="budget")],
                                 [(n, b["budget_bytes"]) for n, b in zip(names, doc["budgets"])])
                for measure in ("static_ram", "heap_peak"):
                    self.assertEqual([(t["data-name"], int(t["data-bytes"])) for t in dom.kind("budget", measure=measure)],
                                     [(n, b[f"{measure}_bytes"]) for n, b in zip(names, doc["budgets"])
                                      if b[f"{measure}_bytes"] is not None])
                for n, b in zip(names, doc["budgets"]):
                    self.assertEqual(int(dom.row("budget", n)["static_ram"]["data-bytes"]), b["static_ram_bytes"])
                for measure in ("raw", "gzip", "brotli"):
                    self.assertEqual([(t["data-name"], int(t["data-bytes"])) for t in dom.kind("wasm", measure=measure)],
                                     [(m["name"], m[measure]) for m in doc["wasm"] if m[measure] is not None])
                for m in doc["wasm"]:
                    self.assertEqual(int(dom.row("wasm", m["name"])["raw"]["data-bytes"]), m["raw"])
                    limits = [(int(t["data-bytes"])) for t in dom.kind("wasm-limit", name=m["name"])]
                    self.assertEqual(sorted(limits), sorted(v for k, v in m["limits"].items()
                                                            if k != "linear_memory" and v is not None))
                self.assertEqual([t["data-name"] for t in dom.kind("treemap")],
                                 [m["name"] for m in doc["wasm"] if m["treemap"]])
                jobs = (doc["build_memory"] or {}).get("jobs", [])
                self.assertEqual([(j["data-name"], int(j["data-bytes"])) for j in dom.kind("job")],
                                 [(j["name"], j["peak_rss"]) for j in jobs])
                self.assertEqual(dom.kind("oom"), [])
                shot = WORK_DIR / "report" / f"{bld.name}.png"
                report_page.ReportPage.chromium(f"examples-{bld.name}-shot", "--window-size=1200,1400",
                                                "--hide-scrollbars", f"--screenshot={shot}", page=page)
                self.assertEqual(shot.read_bytes()[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(len(self.load(self.fw / "buildbudget-report")["budgets"]), 3)
        self.assertGreaterEqual(len(self.load(self.wasm / "buildbudget-report")["wasm"]), 3)

    def test_report_md_in_a_gfm_renderer(self):
        # cmark-gfm (Debian's, GitHub's own renderer) with the table extension: every table of report.md
        # is a table, its cells are the ones md_tables() reads, and their numbers are report.json's.
        for bld in (self.fw, self.wasm, self.lowmem):
            with self.subTest(example=bld.name):
                md = (bld / "buildbudget-report" / "report.md").read_text()
                doc = self.load(bld / "buildbudget-report")
                proc = run(["cmark-gfm", "-e", "table", bld / "buildbudget-report" / "report.md"])
                self.assertOk(proc, "cmark-gfm")
                rendered = HtmlTables(proc.stdout).tables
                self.assertEqual(rendered, [(h, rows) for h, rows in md_tables(md)])
                tables = {tuple(h): rows for h, rows in rendered}
                self.assertIn("<h2>BuildBudget report</h2>", proc.stdout)
                budgets = tables.get(("Set", "Component", "Budget", "Static RAM", "Heap peak", "Headroom", "Status"), [])
                self.assertEqual([(r[0], r[1], exact(r[2]), exact(r[3]), exact(r[4]), r[6]) for r in budgets],
                                 [(b["set"], b["component"], b["budget_bytes"], b["static_ram_bytes"],
                                   b["heap_peak_bytes"], b["status"]) for b in doc["budgets"]])
                wasm = tables.get(("Module", "Raw", "Raw limit", "gzip", "gzip limit", "brotli", "brotli limit",
                                   "Status"), [])
                self.assertEqual([(r[0], exact(r[1]), exact(r[2]), exact(r[3]), exact(r[4]), exact(r[5]), exact(r[6]))
                                  for r in wasm],
                                 [(m["name"], m["raw"], m["limits"]["raw"], m["gzip"], m["limits"]["gzip"], m["brotli"],
                                   m["limits"]["brotli"]) for m in doc["wasm"]])
                jobs = tables.get(("Job", "Kind", "Peak RSS", "Time", "Status"), [])
                self.assertEqual(sorted((r[0], exact(r[2])) for r in jobs),
                                 sorted((j["name"], j["peak_rss"]) for j in (doc["build_memory"] or {}).get("jobs", [])))
                figures = tables[("Figure", "Now", "Limit", "Baseline", "Change", "")]
                self.assertEqual([(exact(r[1]), exact(r[2])) for r in figures],
                                 [(f["value"], f["limit"]) for f in doc["figures"]])
                self.assertTrue(budgets or wasm or jobs)

class ReportCases(TestCase):
    def test_configure_cases(self):
        # test-projects/report-fixture/cases: the configure errors of the report target and test.
        self.assertCMakeCases("report-fixture", configure, 1)


if __name__ == "__main__":
    unittest.main()
