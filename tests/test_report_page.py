"""The budget report's page (doc/helper-report.md, "The page") in real headless Chromium.

A realistic report.json (schema buildbudget-report/1: components near, over and within their
budgets, WebAssembly modules against their limits, a build whose jobs carry RSS samples, one of
them ended by the OOM killer, a baseline and history) is written here and rendered by the helper's
report::report_html() (through the test-only buildbudget_report_page, so the report's numbers are
exact), and `buildbudget report` runs on a build tree written by hand; Chromium loads each page
from file:// and the test checks what its script drew (`--dump-dom`): one bar per component and module with the report's bytes, bar lengths in
proportion, the jobs stacked by the memory they held (the stack's peak recomputed here), the pools
and the memory limit, the OOM marker; the tables' numbers; the build's compile-farm and sccache
lines; the page without JavaScript; hostile names. Screenshots in the light and dark schemes are
kept in the work directory (report-page/report.png, report-dark.png)."""
import html.parser
import json
import os
import re
import shutil
import socket
import unittest

from support import TestCase, clean_env, fresh_dir, helper, run
from test_wasm_treemap import DevTools, png_pixels

MiB = 1 << 20
GiB = 1 << 30
RENDER = os.environ.get("BUILDBUDGET_REPORT_PAGE", "")


def ramp(duration, top, every=200):
    """RSS samples [ms since the job's start, bytes] rising to `top` over `duration`."""
    n = max(1, duration // every)
    return [[k * every, top * (k + 1) // n] for k in range(n)]


def job(kind, name, start, end, peak, samples=(), exit_code=0, oom=False):
    return {"kind": kind, "name": name, "start_ms": start, "end_ms": end, "peak_rss": peak, "exit_code": exit_code,
            "killed": oom, "oom": oom, "samples": list(samples)}


def rss_at(j, t):
    """The memory job j held at time t: its last sample at or before t (the first before any), else its peak."""
    if not j["samples"]:
        return j["peak_rss"]
    held = j["samples"][0][1]
    for ms, rss in j["samples"]:
        if j["start_ms"] + ms <= t:
            held = rss
    return held


def stack_peak(jobs):
    """The highest sum of memory held by jobs running at once, and the most jobs of each kind at once."""
    times = set()
    for j in jobs:
        times |= {j["start_ms"], j["end_ms"]}
        times |= {j["start_ms"] + ms for ms, _ in j["samples"] if j["start_ms"] < j["start_ms"] + ms < j["end_ms"]}
    peak, most = 0, {"compile": 0, "link": 0}
    for t in sorted(times):
        running = [j for j in jobs if j["start_ms"] <= t < j["end_ms"]]
        peak = max(peak, sum(rss_at(j, t) for j in running))
        for kind in most:
            most[kind] = max(most[kind], sum(1 for j in running if j["kind"] == kind))
    return peak, most


def figure(key, label, value, limit, baseline=None, history=()):
    change = None if baseline is None else "same" if value == baseline else "grew" if value > baseline else "shrank"
    return {"key": key, "label": label, "value": value, "limit": limit, "unit": "bytes", "baseline": baseline,
            "delta": None if baseline is None else value - baseline, "change": change, "history": list(history)}


def realistic_report():
    jobs = [job("compile", "src/net/socket.cpp", 0, 2400, 610 * MiB, ramp(2400, 600 * MiB)),
            job("compile", "src/ui/widgets.cpp", 100, 2000, 480 * MiB),
            job("compile", "src/core/big_tables.cpp", 2050, 3800, 1600 * MiB, ramp(1750, 1500 * MiB, 250),
                exit_code=1, oom=True),
            job("compile", "src/core/engine.cpp", 2500, 4000, 700 * MiB, ramp(1500, 690 * MiB, 300)),
            job("link", "firmware.elf", 4100, 5200, 900 * MiB)]
    peak, _ = stack_peak(jobs)
    commits = ["9a1e0c2", "b7d3f41", "c04a9e7", "3f1c74f"]
    budgets = [("fw", "core", 262144, 120000, 150000, "ok"), ("fw", "log", 16384, None, None, "unchecked"),
               ("fw", "net", 1048576, 1000000, 76816, "ok"), ("fw", "ui", 65536, 70000, 30000, "over")]
    wasm = [("clash", 6367, 2656, 1800, {"raw": 8192, "gzip": 2048, "brotli": None}, "clash.treemap.html"),
            ("imgproc", 48211, 20500, 17100, {"raw": 65536, "gzip": None, "brotli": 18000}, None),
            ("tiny", 412, 301, 280, {"raw": None, "gzip": None, "brotli": None}, None)]
    figures = [
        figure("budget/fw/core/static_ram", "fw core static RAM", 120000, 262144, 120000),
        figure("budget/fw/net/static_ram", "fw net static RAM", 1000000, 1048576, 990000,
               zip(commits, [950000, 970000, 990000, 1000000])),
        figure("budget/fw/ui/static_ram", "fw ui static RAM", 70000, 65536, 60000,
               zip(commits, [58000, 59000, 60000, 70000])),
        figure("wasm/clash/raw", "clash raw", 6367, 8192, 6400, zip(commits, [6600, 6500, 6400, 6367])),
        figure("wasm/clash/gzip", "clash gzip", 2656, 2048, 2000, zip(commits[2:], [2000, 2656])),
        figure("wasm/imgproc/raw", "imgproc raw", 48211, 65536),
        figure("build/peak", "build memory peak", peak, 2 * GiB, peak - 100 * MiB,
               zip(commits[1:], [peak - 300 * MiB, peak - 100 * MiB, peak]))]
    figures[5]["change"] = "new"
    for f in figures:
        f["history"] = [list(p) for p in f["history"]]
    return {
        "schema": "buildbudget-report/1", "tool": "buildbudget 0.1.0", "commit": commits[-1] + "0a9d2e1b",
        "created": "2026-12-06T21:00:00Z", "build_dir": "/home/dev/fw/build", "status": "over",
        "baseline": {"file": "/home/dev/fw/main-report/report.json", "commit": commits[-2] + "5b1d03aa",
                     "created": "2026-12-06T18:12:40Z", "fail_above_bytes": None, "fail_above_percent": None},
        "budgets": [{"set": s, "component": c, "budget_bytes": b, "static_ram_bytes": r, "heap_peak_bytes": h,
                     "status": st, "checks": []} for s, c, b, r, h, st in budgets],
        "wasm": [{"name": n, "file": f"/home/dev/fw/build/{n}.wasm", "raw": r, "gzip": g, "brotli": b, "limits": lim,
                  "status": "over" if n == "clash" else "ok", "analysis": None, "treemap": t}
                 for n, r, g, b, lim, t in wasm],
        "build_memory": {"log": "/home/dev/fw/build/buildbudget-jobs.jsonl", "memory_limit_bytes": 2 * GiB,
                         "pools": {"compile": 2, "link": 1}, "peak_bytes": peak, "jobs": jobs},
        "figures": figures,
        "summary": {"over": 2, "errors": 0, "grew": 3, "shrank": 1, "new": 1, "removed": 0}}


class Dom(html.parser.HTMLParser):
    """Every element with a data-kind (attributes, and the text of its <title> and its own text) and
    the table rows (data-row) with their cells by data-col, from a dumped DOM."""

    def __init__(self, text):
        super().__init__()
        self.marks, self.rows, self.ids, self.stack, self.html_attrs, self.tags = [], [], {}, [], {}, {}
        self.texts = {}  # the text inside each element with an id, by id
        self.title = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = {k: v if v is not None else "" for k, v in attrs}
        a["tag"] = tag
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "html":
            self.html_attrs = a
        if "id" in a:
            self.ids[a["id"]] = a
        if "data-kind" in a:
            a.update(title="", text="")
            self.marks.append(a)
        if tag == "tr" and "data-row" in a:
            a["cells"] = {}
            self.rows.append(a)
        if tag == "td" and "data-col" in a and self.rows:
            a["text"] = ""
            self.rows[-1]["cells"][a["data-col"]] = a
        if tag not in ("br", "meta", "img", "input", "link", "hr"):
            self.stack.append(a)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        if self.title is None and self.stack and self.stack[-1]["tag"] == "title":
            self.title = data
        inside_title = any(e["tag"] == "title" for e in self.stack)
        for e in reversed(self.stack):
            if "data-kind" in e:
                e["title" if inside_title else "text"] += data
                break
        for e in reversed(self.stack):
            if e["tag"] == "td" and "data-col" in e:
                e["text"] += data
                break
        for e in self.stack:
            if "id" in e:
                self.texts[e["id"]] = self.texts.get(e["id"], "") + data

    def kind(self, kind, **match):
        return [m for m in self.marks if m.get("data-kind") == kind and
                all(m.get("data-" + k.replace("_", "-")) == v for k, v in match.items())]

    def row(self, kind, name):
        rows = [r for r in self.rows if r["data-row"] == kind and r.get("data-name") == name]
        if len(rows) != 1:
            raise AssertionError(f"{len(rows)} rows {kind} {name}")
        return rows[0]["cells"]


def band(d):
    """A job's outline (M x y, then H x / V y steps, Z) as its x extent and its height at the middle of each
    horizontal step: the vertical distance between the two horizontal edges spanning that x."""
    steps = re.findall(r"([MHVZ])\s*(-?[\d.]+)?(?:\s+(-?[\d.]+))?", d)
    x = y = 0.0
    edges, xs = [], []
    for cmd, a, b in steps:
        if cmd == "M":
            x, y = float(a), float(b)
        elif cmd == "H":
            edges.append((min(x, float(a)), max(x, float(a)), y))
            x = float(a)
        elif cmd == "V":
            y = float(a)
        xs.append(x)
    heights = []
    for x0, x1, _ in edges:
        mid = (x0 + x1) / 2
        ys = [e[2] for e in edges if e[0] < mid < e[1]]
        heights.append(max(ys) - min(ys))
    return min(xs), max(xs), heights


class ReportPage(TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("chromium") is None:
            raise AssertionError("chromium is not installed (tools/quickstart.sh installs it)")
        if not RENDER:
            raise AssertionError("BUILDBUDGET_REPORT_PAGE is not set: run the tests through ctest")
        cls.dir = fresh_dir("report-page")
        cls.report = realistic_report()
        cls.page = cls.render("report", cls.report)
        cls.dom = Dom(cls.chromium("dump", "--window-size=1200,900", "--dump-dom"))

    @classmethod
    def render(cls, name, report):
        (cls.dir / f"{name}.json").write_text(json.dumps(report, indent=1))
        proc = run([RENDER, cls.dir / f"{name}.json", cls.dir / f"{name}.html"])
        if proc.returncode != 0:
            raise AssertionError(f"rendering {name}.json failed:\n{proc.stderr}")
        return cls.dir / f"{name}.html"

    @classmethod
    def chromium(cls, profile, *args, page=None):
        """Headless Chromium on the page (file://) with a fresh profile; returns stdout."""
        home = fresh_dir("report-page-profiles", profile)
        proc = run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={home / 'chrome'}",
                    "--virtual-time-budget=5000", *args, (page or cls.page).as_uri()], env=clean_env(HOME=home),
                   timeout=300)
        if proc.returncode != 0:
            raise AssertionError(f"chromium failed ({proc.returncode}):\n{proc.stderr}")
        return proc.stdout

    def test_one_budget_bar_per_component_with_its_bytes(self):
        tracks = self.dom.kind("budget", measure="budget")
        expected = [b for b in self.report["budgets"]]
        self.assertEqual([t["data-name"] for t in tracks], [f"{b['set']}/{b['component']}" for b in expected])
        levels = {"fw/core": "ok", "fw/log": "unchecked", "fw/net": "near", "fw/ui": "over"}
        for b, track in zip(expected, tracks):
            name = track["data-name"]
            self.assertEqual(int(track["data-bytes"]), b["budget_bytes"])
            self.assertEqual(track["data-level"], levels[name])
            self.assertIn(f"{b['budget_bytes']:,} bytes", track["title"])  # hover: exact bytes
            for measure in ("static_ram", "heap_peak"):
                bars = self.dom.kind("budget", measure=measure, name=name)
                value = b[f"{measure}_bytes"]
                self.assertEqual(len(bars), 0 if value is None else 1, (name, measure))
                if value is None:
                    continue
                self.assertEqual(int(bars[0]["data-bytes"]), value)
                self.assertIn(f"{value:,} bytes", bars[0]["title"])
                # The budget is the full length; the bar's length is in proportion (0.1 px rounding).
                scale = float(track["width"]) / b["budget_bytes"]
                if value <= b["budget_bytes"]:
                    self.assertAlmostEqual(float(bars[0]["width"]), value * scale, delta=0.15)
            headroom = self.dom.kind("budget", measure="headroom", name=name)
            measured = [v for v in (b["static_ram_bytes"], b["heap_peak_bytes"]) if v is not None]
            if measured and max(measured) <= b["budget_bytes"]:
                self.assertEqual(int(headroom[0]["data-bytes"]), b["budget_bytes"] - max(measured))
                self.assertIn(levels[name], headroom[0]["class"].split())
            else:
                self.assertEqual(headroom, [])
        # Over its budget: the bar is longer than the budget and marked.
        ui = self.dom.kind("budget", measure="static_ram", name="fw/ui")[0]
        self.assertIn("over", ui["class"].split())
        self.assertGreater(float(ui["width"]), float(self.dom.kind("budget", measure="budget", name="fw/ui")[0]["width"]))

    def test_one_bar_per_module_and_measure_against_its_limits(self):
        for m in self.report["wasm"]:
            for measure in ("raw", "gzip", "brotli"):
                bars = self.dom.kind("wasm", name=m["name"], measure=measure)
                self.assertEqual(len(bars), 1, (m["name"], measure))
                self.assertEqual(int(bars[0]["data-bytes"]), m[measure])
                self.assertIn(f"{m[measure]:,} bytes", bars[0]["title"])
                limit = m["limits"][measure]
                lines = self.dom.kind("wasm-limit", name=m["name"], measure=measure)
                self.assertEqual(len(lines), 0 if limit is None else 1)
                level = "" if limit is None else "over" if m[measure] > limit else \
                    "near" if m[measure] > 0.9 * limit else "ok"
                self.assertEqual(bars[0].get("data-level", ""), level, (m["name"], measure))
                if limit is not None:
                    self.assertEqual(int(lines[0]["data-bytes"]), limit)
        self.assertEqual(len(self.dom.kind("wasm", measure="raw")), len(self.report["wasm"]))
        links = self.dom.kind("treemap")
        self.assertEqual([(a["data-name"], a["href"]) for a in links], [("clash", "clash.treemap.html")])

    def test_a_sparkline_per_figure_with_history(self):
        trends = self.dom.kind("trend")
        with_history = [f for f in self.report["figures"] if len(f["history"]) >= 2]
        self.assertEqual([t["data-name"] for t in trends], [f["key"] for f in with_history])
        for f, t in zip(with_history, trends):
            self.assertEqual(int(t["data-points"]), len(f["history"]))
            self.assertEqual(int(t["data-bytes"]), f["history"][-1][1])

    def test_jobs_are_stacked_by_memory_against_the_pools_and_the_limit(self):
        bm = self.report["build_memory"]
        jobs = self.dom.kind("job")
        self.assertEqual([j["data-name"] for j in jobs], [j["name"] for j in bm["jobs"]])
        for want, got in zip(bm["jobs"], jobs):
            self.assertEqual((int(got["data-start-ms"]), int(got["data-end-ms"]), int(got["data-bytes"])),
                             (want["start_ms"], want["end_ms"], want["peak_rss"]))
            self.assertIn(want["kind"], got["class"].split())
            self.assertIn(f"{want['peak_rss']:,} bytes", got["title"])
        peak, most = stack_peak(bm["jobs"])
        svg = self.dom.ids["build-memory-svg"]
        self.assertEqual(int(svg["data-stack-bytes"]), peak)
        self.assertEqual((svg["role"], svg["aria-label"]),
                         ("img", "Build memory over time (the table below has the numbers)"))
        # A job without samples holds its peak over its whole span: every piece of its band is as high;
        # two such jobs' bands are as high as their peaks are large.
        heights = {}
        for j in jobs:
            if j["data-samples"] == "0":
                left, right, hs = band(j["d"])
                self.assertTrue(hs, j["data-name"])
                self.assertLess(max(hs) - min(hs), 0.25, (j["data-name"], hs))  # coordinates to 0.1 px
                heights[j["data-name"]] = (max(hs), right - left)
        # From its start to its end (1100 and 1900 ms), as high as its peak (900 and 480 MiB).
        (link_h, link_w), (ui_h, ui_w) = heights["firmware.elf"], heights["src/ui/widgets.cpp"]
        self.assertAlmostEqual(link_h / ui_h, 900 / 480, delta=0.01)
        self.assertAlmostEqual(link_w / ui_w, 1100 / 1900, delta=0.01)
        limit = self.dom.kind("memory-limit")
        self.assertEqual([(m["tag"], int(m["data-bytes"])) for m in limit], [("line", bm["memory_limit_bytes"])])
        pools = {m["data-name"]: int(m["data-jobs"]) for m in self.dom.kind("pool")}
        self.assertEqual(pools, bm["pools"])
        running = {m["data-name"]: int(m["data-jobs"]) for m in self.dom.kind("running")}
        self.assertEqual(running, most)

    def test_a_long_log_is_drawn_to_the_pixel(self):
        # 1200 jobs with 64 samples each, four at a time: far more moments than pixels.
        report = realistic_report()
        report["build_memory"]["jobs"] = [
            job("compile", f"src/f{i}.cpp", (i // 4) * 300 + i % 4 * 20, (i // 4) * 300 + 900 + i % 7 * 60,
                (200 + i % 13 * 40) * MiB, ramp(900, (190 + i % 13 * 40) * MiB, 14)) for i in range(1200)]
        page = self.render("long", report)
        dom = Dom(self.chromium("long", "--window-size=1200,900", "--dump-dom", page=page))
        jobs = dom.kind("job")
        self.assertEqual(len(jobs), 1200)
        for j in jobs:
            left, right, heights = band(j["d"])
            self.assertGreaterEqual(right - left, 0.9, j["data-name"])  # at least a pixel
            # At most one step a pixel on the top edge and one on the bottom.
            self.assertLessEqual(len(heights), 2 * (right - left + 2), j["data-name"])

    def test_the_page_of_buildbudget_report_on_a_build_tree(self):
        # What the package's capabilities leave in a build tree, written by hand: two budget checks,
        # a module's size report, the lowmem plan (a memory limit far above the jobs) and its job log
        # with one job the OOM killer ended and a.cpp compiled on a distcc host (preprocessed here),
        # and cargo's rustc wrapper's sccache shims (sccache ran; no server answers on the port).
        tree = fresh_dir("report-page", "build")

        def write(rel, doc):
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            (tree / rel).write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2))

        def check(check, measure, components):
            return {"schema": "buildbudget-check-report/1", "set": "fw", "check": check, "measure": measure,
                    "passed": all(m <= b for _, b, m in components),
                    "components": [{"name": n, "passed": m <= b, "error": False, "budget_bytes": b,
                                    "measured_bytes": m, "message": ""} for n, b, m in components]}

        write("buildbudget-reports/fw.footprint.json",
              check("footprint", "static RAM", [("net", 1048576, 1000000), ("storage", 1048576, 1048575),
                                                ("ui", 65536, 70000)]))
        write("buildbudget-reports/fw.heap_peak.json", check("peak", "heap peak", [("net", 1048576, 76816)]))
        write("wasm/clash.wasm.size.json",
              {"schema": "buildbudget-wasm-size/1", "name": "clash", "file": str(tree / "wasm" / "clash.wasm"),
               "raw": 6367, "gzip": 2656, "brotli": 1800, "sections": [],
               "limits": [{"kind": "raw", "limit_bytes": 8192, "actual_bytes": 6367, "passed": True},
                          {"kind": "gzip", "limit_bytes": 2048, "actual_bytes": 2656, "passed": False}],
               "passed": False})
        write("buildbudget-lowmem/plan.json", {"schema": "buildbudget-lowmem-plan/1", "memory_limit": 64 * GiB,
                                               "compile_jobs": 2, "link_jobs": 1, "log": "jobs.jsonl"})
        epoch = 1_765_000_000_000
        records = [("compile", "a.cpp", "a.o", 0, 1500, 400 * MiB, 0, 0, ramp(1500, 400 * MiB)),
                   ("compile", "big.cpp", "big.o", 50, 1200, 900 * MiB, 1, 1, ramp(1150, 900 * MiB, 100)),
                   ("link", None, "app", 1600, 2100, 300 * MiB, 0, 0, [])]
        farm = {"a.cpp": {"engine": "distcc", "ran": "remote", "host": "127.0.0.1:3632", "failed_host": None,
                          "preprocessed": "local"},
                "big.cpp": {"engine": "distcc", "ran": "local", "host": None, "failed_host": None, "preprocessed": None}}
        write("buildbudget-lowmem/jobs.jsonl", "".join(json.dumps(
            {"kind": k, "source": src, "output": out, "command": ["c++", "-c", src or "", "-o", out],
             "start_ms": epoch + s, "end_ms": epoch + e, "peak_rss": peak, "exit_code": code, "signal": None,
             "waited_ms": 0, "oom_kills": kills, "samples": samples, **({"distributed": farm[src]} if src in farm else {})})
            + "\n" for k, src, out, s, e, peak, code, kills, samples in records))
        (tree / "buildbudget-lowmem" / "rustc-wrapper.d").mkdir()
        with socket.socket() as sock:  # a port nothing listens on: no sccache server, so sccache is not run
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        proc = helper("report", "--build-dir", tree, env=clean_env(SCCACHE_SERVER_PORT=port))
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)  # ui and clash's gzip are over
        page = tree / "buildbudget-report" / "report.html"
        dom = Dom(self.chromium("command", "--window-size=1200,900", "--dump-dom", page=page))
        self.assertEqual([(t["data-name"], int(t["data-bytes"])) for t in dom.kind("budget", measure="budget")],
                         [("fw/net", 1048576), ("fw/storage", 1048576), ("fw/ui", 65536)])
        ram = dom.kind("budget", measure="static_ram")
        self.assertEqual([(b["data-name"], int(b["data-bytes"])) for b in ram],
                         [("fw/net", 1000000), ("fw/storage", 1048575), ("fw/ui", 70000)])
        # One byte under its budget is not "100.0%" of it.
        self.assertEqual(ram[1]["title"], "fw/storage: static RAM 1,048,575 bytes (1024 KiB), 99.9% of the budget")
        self.assertEqual([int(b["data-bytes"]) for b in dom.kind("budget", measure="heap_peak")], [76816])
        self.assertEqual([(b["data-measure"], int(b["data-bytes"]), b.get("data-level", "")) for b in dom.kind("wasm")],
                         [("raw", 6367, "ok"), ("gzip", 2656, "over"), ("brotli", 1800, "")])
        self.assertEqual([(j["data-name"], j["data-job-kind"]) for j in dom.kind("job")],
                         [("a.cpp", "compile"), ("big.cpp", "compile"), ("app", "link")])
        self.assertEqual([m["data-name"] for m in dom.kind("oom")], ["big.cpp"])
        self.assertEqual({m["data-name"]: int(m["data-jobs"]) for m in dom.kind("pool")}, {"compile": 2, "link": 1})
        # 64 GiB would flatten 1.3 GB of jobs: the limit is named above the scale, not drawn.
        limit = dom.kind("memory-limit")
        self.assertEqual([(m["tag"], int(m["data-bytes"])) for m in limit], [("text", 64 * GiB)])
        self.assertIn("above the chart's scale", limit[0]["title"])
        self.assertEqual(int(dom.row("job", "big.cpp")["peak_rss"]["data-bytes"]), 900 * MiB)
        self.assertEqual(dom.row("job", "big.cpp")["killed"]["text"], "\u2715 OOM-killed")
        # The build's facts of report.json under its chart: where the farm's remote compile was preprocessed,
        # and sccache's line (no counts without a server).
        memory = json.loads((page.parent / "report.json").read_text())["build_memory"]
        self.assertEqual((memory["distributed"]["preprocessed"], memory["sccache"]["running"]),
                         ({"local": 1, "remote": 0}, False))
        self.assertEqual(dom.texts.get("build-memory-preprocessed"),
                         "Where the remote compiles were preprocessed: 1 here (icecream, plain distcc, or distcc pump "
                         "mode without the include server's includes), 0 on their hosts (distcc pump mode).")
        self.assertEqual(dom.texts.get("build-memory-sccache"),
                         f"sccache: no server runs on port {port} (its hit and miss counts end with the server, which "
                         "stops after 10 idle minutes by default)")

    def test_the_oom_killed_job_is_marked(self):
        killed = [j for j in self.report["build_memory"]["jobs"] if j["oom"]]
        markers = self.dom.kind("oom")
        self.assertEqual([m["data-name"] for m in markers], [j["name"] for j in killed])
        self.assertEqual(markers[0]["text"], "\u2715")
        self.assertIn("oom-marker", markers[0]["class"].split())
        self.assertIn("killed by the OOM killer", markers[0]["title"])
        path = self.dom.kind("job", name=killed[0]["name"])[0]
        self.assertIn("killed", path["class"].split())
        self.assertEqual(path["data-killed"], "oom")
        self.assertEqual(self.dom.kind("job", killed="oom"), [path])
        cells = self.dom.row("job", killed[0]["name"])
        self.assertEqual(cells["killed"]["text"], "\u2715 OOM-killed")
        self.assertEqual(cells["exit_code"]["text"], "1")

    def test_the_tables_hold_the_values(self):
        for b in self.report["budgets"]:
            cells = self.dom.row("budget", f"{b['set']}/{b['component']}")
            for col in ("budget", "static_ram", "heap_peak"):
                value = b["budget_bytes" if col == "budget" else f"{col}_bytes"]
                if value is None:
                    self.assertEqual(cells[col]["text"], "\u2013")
                else:
                    self.assertEqual(int(cells[col]["data-bytes"]), value)
                    self.assertTrue(cells[col]["text"].startswith(f"{value:,} bytes"), cells[col]["text"])
        for m in self.report["wasm"]:
            cells = self.dom.row("wasm", m["name"])
            for measure in ("raw", "gzip", "brotli"):
                self.assertEqual(int(cells[measure]["data-bytes"]), m[measure])
                limit = m["limits"][measure]
                self.assertEqual(cells[f"{measure}_limit"].get("data-bytes"), None if limit is None else str(limit))
        for j in self.report["build_memory"]["jobs"]:
            cells = self.dom.row("job", j["name"])
            self.assertEqual(int(cells["peak_rss"]["data-bytes"]), j["peak_rss"])
            self.assertEqual((cells["start_ms"]["text"], cells["end_ms"]["text"]), (str(j["start_ms"]), str(j["end_ms"])))
        for f in self.report["figures"]:
            cells = self.dom.row("change", f["key"])
            self.assertEqual(int(cells["value"]["data-bytes"]), f["value"])
            if f["delta"] is not None:
                self.assertEqual(int(cells["delta"]["data-bytes"]), f["delta"])
        ui = self.dom.row("change", "budget/fw/ui/static_ram")
        self.assertEqual(ui["change"]["text"], "\u25b2 grew crossed its limit")
        self.assertEqual(self.dom.row("change", "wasm/clash/gzip")["change"]["text"], "\u25b2 grew crossed its limit")
        self.assertEqual(self.dom.row("change", "wasm/clash/raw")["change"]["text"], "shrank")
        self.assertEqual(self.dom.row("change", "wasm/imgproc/raw")["change"]["text"], "new")
        # Deltas beside the charts: the figures that changed.
        deltas = {m["data-name"]: m["data-change"] for m in self.dom.kind("delta")}
        self.assertEqual(deltas["budget/fw/ui/static_ram"], "grew")
        self.assertEqual(deltas["wasm/clash/raw"], "shrank")
        self.assertEqual(deltas["wasm/imgproc/raw"], "new")
        self.assertNotIn("budget/fw/core/static_ram", deltas)  # the same as the baseline

    def test_without_javascript_the_tables_are_open_and_nothing_is_drawn(self):
        # --dump-dom needs scripts; through the DevTools protocol, the page's own scripts are off.
        tools = DevTools(fresh_dir("report-page-profiles", "nojs"), 1200, 900)
        try:
            tools.open(self.page.as_uri(), 1200, 900, scripts=False)
            tools.wait_for("document.readyState === 'complete' && !!document.getElementById('changes')", "the page",
                           timeout=120)
            dom = Dom(tools.js("document.documentElement.outerHTML"))
            self.assertEqual(tools.js("document.querySelectorAll('details.numbers[open]').length"), 4)
        finally:
            tools.close()
        self.assertEqual(dom.marks, [])
        self.assertNotIn("data-drawn", dom.html_attrs)
        self.assertEqual(len(dom.rows), len(self.dom.rows))
        text = self.page.read_text(encoding="utf-8")
        self.assertEqual(text.count('<details class="numbers" open>'), 4)
        self.assertEqual(int(self.dom.html_attrs["data-drawn"]), len(self.dom.marks))

    def test_hostile_names_are_text(self):
        evil = '</script><!--<img src=x onerror="document.title=1">'
        report = realistic_report()
        report["budgets"][0]["component"] = evil
        report["wasm"][0]["name"] = evil
        report["wasm"][0]["treemap"] = "javascript:document.title=2"
        report["build_memory"]["jobs"][2]["name"] = evil
        page = self.render("hostile", report)
        dom = Dom(self.chromium("hostile", "--window-size=1200,900", "--dump-dom", page=page))
        self.assertEqual(len(dom.kind("budget", measure="budget", name=f"fw/{evil}")), 1)
        self.assertEqual(len(dom.kind("wasm", measure="raw", name=evil)), 1)
        self.assertEqual(len(dom.kind("oom", name=evil)), 1)
        self.assertEqual(dom.kind("treemap"), [])  # no javascript: link
        self.assertEqual(dom.row("wasm", evil)["treemap"]["text"], "\u2013")
        self.assertEqual(dom.tags.get("img", 0), 0)  # the name made no element
        self.assertEqual(dom.title, "BuildBudget report \u2014 3f1c74f0a9d2")  # and ran no script

    def test_screenshots_in_the_light_and_dark_schemes(self):
        light, dark = self.dir / "report.png", self.dir / "report-dark.png"
        self.chromium("shot", "--window-size=1200,1900", "--hide-scrollbars", f"--screenshot={light}")
        self.chromium("shot-dark", "--window-size=1200,1900", "--hide-scrollbars", "--force-dark-mode",
                      f"--screenshot={dark}")
        for png, background in ((light, (0xf6, 0xf6, 0xf6)), (dark, (0x14, 0x14, 0x14))):
            width, height, rows = png_pixels(png.read_bytes())
            self.assertEqual((width, height), (1200, 1900))
            self.assertEqual(rows[3][3], background, png)
        # Painted: the light page has the compile jobs' blue and the over budget red.
        _, _, rows = png_pixels(light.read_bytes())
        colours = {p for row in rows for p in row}
        for colour in ((0x5b, 0x8d, 0xef), (0xcf, 0x22, 0x2e)):
            self.assertIn(colour, colours)


if __name__ == "__main__":
    unittest.main()
