"""The HTML treemap page of `buildbudget wasm analyze --html` (doc/helper-wasm-analyze.md, "The
treemap page") in real headless Chromium.

A C++ module with functions of clearly different sizes (and demangled template names with `<`
and `>`) is built at test time with clang for wasm32-wasi; the page the real helper writes for it
is opened in Chromium and checked from what the page's JavaScript drew (`--dump-dom`): one
element per visible node, the section sizes against wabt's `wasm-objdump -h`, the function sizes
against `wasm-objdump -x`, rectangle areas proportional to bytes, tooltips. A screenshot
(`--screenshot`, kept in the work directory) is decoded to check that the boxes are painted in the
colours of their kinds. Clicks, the breadcrumb, Esc, the URL fragment and a resize are driven
through the DevTools protocol (`--remote-debugging-pipe`). A page holding 5000 functions (the
page's own JavaScript with a synthetic tree) is laid out and timed.

Functions with namespaces are nested in namespace boxes: the template's `Box<T>::get` here, and in
a second module, two C++ sources built with DWARF (-g), nested namespaces (one level per path
component, a level with nothing but one deeper level merged into it) and compile units, switched
in the page with its "Group code by" control; a module whose functions have no names with
namespaces stays flat."""
import fcntl
import html.parser
import json
import os
import re
import select
import shutil
import struct
import subprocess
import time
import unittest
import zlib

from support import TestCase, clean_env, fresh_dir, helper, run

# Statement counts: the functions' bodies differ by about 5x from one to the next.
SIZES = {"big_function": 1500, "medium_function": 300, "small_function": 60}


def module_source():
    out = ["// Functions of clearly different sizes, a template (demangled names with < and >) and a table.",
           "template <typename T> struct Box { T v; __attribute__((noinline)) T get(int k) const { return v * k + 3; } };",
           "const int lookup[2048] = {" + ", ".join(str((i * 7919) % 1000 + 1) for i in range(2048)) + "};"]
    for name, count in SIZES.items():
        out.append(f'extern "C" __attribute__((noinline, export_name("{name}"))) int {name}(int x) {{')
        out.append("  volatile int v = x;")
        out += [f"  v = v * {2 * i + 3} + {i * 7 + 1};" for i in range(count)]
        out.append("  return v;\n}")
    out.append("int main(int argc, char**) {\n  Box<int> b{argc}; Box<long> c{argc};\n"
               "  return big_function(argc) + medium_function(argc) + small_function(argc) + lookup[argc] +\n"
               "         b.get(argc) + (int)c.get(argc);\n}")
    return "\n".join(out) + "\n"


# Two sources with nested namespaces, built with -g: the namespace tree img > {filter, io} and the
# chain app > detail > Parser (no functions of its own above Parser: one box "app::detail::Parser");
# compile units a.cpp and b.cpp.
GROUPED_SOURCES = {
    "a.cpp": """namespace img { namespace filter {
__attribute__((noinline)) int blur(int x) { volatile int v = x;
  for (int i = 0; i < 3; ++i) { v = v * 3 + 1; v = v * 5 + 2; v = v * 7 + 3; v = v * 9 + 4; } return v; }
__attribute__((noinline)) int sharpen(int x) { volatile int v = x; v = v * 3 + 1; v = v * 11 + 5; return v; }
} }
namespace app { namespace detail { struct Parser { __attribute__((noinline)) int parse(int x) const; }; } }
int app::detail::Parser::parse(int x) const { volatile int v = x; v = v * 13 + 7; v = v * 17 + 9; v = v * 19 + 2; return v; }
""",
    "b.cpp": """namespace img { namespace filter { int blur(int); int sharpen(int); } namespace io {
__attribute__((noinline)) int load(int x) { volatile int v = x; v = v * 23 + 1; v = v * 29 + 4; return v; }
} }
namespace app { namespace detail { struct Parser { int parse(int x) const; }; } }
int main(int argc, char**) {
  app::detail::Parser p;
  return img::filter::blur(argc) + img::filter::sharpen(argc) + img::io::load(argc) + p.parse(argc);
}
"""}


def objdump_sections(path):
    """{name: whole section bytes} from `wasm-objdump -h`: id byte, size field and payload, i.e.
    from the previous section's end (8 for the first: magic and version) to this one's end."""
    proc = run(["wasm-objdump", "-h", path])
    if proc.returncode != 0:
        raise AssertionError(proc.stderr)
    out, prev_end = {}, 8
    for m in re.finditer(r"^\s*(\w+) start=0x([0-9a-f]+) end=0x([0-9a-f]+) \(size=0x([0-9a-f]+)\)(?: count: \d+)?"
                         r"(?: \"(.*)\")?$", proc.stdout, re.M):
        kind, end = m.group(1), int(m.group(3), 16)
        name = f"{m.group(5)} (custom)" if kind == "Custom" else kind.lower()
        out[name] = end - prev_end
        prev_end = end
    return out


def objdump_function_sizes(path):
    """{name: body bytes} from the Code part of `wasm-objdump -x` ("func[N] size=S <name>")."""
    proc = run(["wasm-objdump", "-x", "-j", "Code", path])
    if proc.returncode != 0:
        raise AssertionError(proc.stderr)
    return {m.group(2): int(m.group(1)) for m in re.finditer(r"^ - func\[\d+\] size=(\d+) <(.*)>$", proc.stdout, re.M)}


class Dom(html.parser.HTMLParser):
    """The treemap's boxes (div.tm) with their data attributes and pixel rectangles, and the
    attributes of a few elements by id, from a dumped DOM."""

    def __init__(self, text):
        super().__init__()
        self.boxes, self.ids, self.html_class, self.text = [], {}, "", None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "span" and self.boxes and a.get("class") in ("l", "s"):
            self.text = self.boxes[-1]["label"]
            self.text.append("")
        if tag == "html":
            self.html_class = a.get("class") or ""
        if "id" in a:
            self.ids[a["id"]] = a
        if tag == "div" and "tm" in (a.get("class") or "").split():
            style = dict(re.findall(r"(left|top|width|height):\s*(-?\d+)px", a.get("style", "")))
            self.boxes.append({"name": a.get("data-name"), "kind": a.get("data-kind"),
                               "bytes": int(a.get("data-bytes", "-1")), "depth": int(a.get("data-depth", "-1")),
                               "own": a.get("data-own") == "1", "title": a.get("title", ""),
                               "class": a.get("class"), "label": [], **{k: int(v) for k, v in style.items()}})

    def handle_endtag(self, tag):
        if tag == "span":
            self.text = None

    def handle_data(self, data):
        if self.text is not None:
            self.text[-1] += data


def human(n):
    """1.5 KiB, 12.06 KiB, 3 MiB: at most two decimals, trailing zeros dropped."""
    value, unit = n, "B"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            break
        value /= 1024
    return f"{value:.2f}".rstrip("0").rstrip(".") + " " + unit


def inside(inner, outer):
    return (outer["left"] <= inner["left"] and inner["left"] + inner["width"] <= outer["left"] + outer["width"] and
            outer["top"] <= inner["top"] and inner["top"] + inner["height"] <= outer["top"] + outer["height"])


def png_pixels(data):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA, non-interlaced PNG
    (PNG spec §11.2.2 IHDR, §9 filters)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    i, idat, width = 8, b"", None
    while i < len(data):
        length, ctype = struct.unpack(">I4s", data[i:i + 8])
        chunk = data[i + 8:i + 8 + length]
        if ctype == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
            bpp = 3 if color == 2 else 4
        elif ctype == b"IDAT":
            idat += chunk
        i += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 0xFF
            elif f == 2:
                line[x] = (line[x] + b) & 0xFF
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return width, height, rows


class DevTools:
    """Headless Chromium driven through the DevTools protocol over --remote-debugging-pipe:
    JSON messages ending in a NUL byte, read by Chromium from fd 3 and written to fd 4."""

    def __init__(self, profile, width, height):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child_fds():  # in the child: the two pipe ends become fds 3 and 4 (and stay open across exec)
            a = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile / 'chrome'}",
             "--remote-debugging-pipe", f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=clean_env(HOME=profile), preexec_fn=child_fds, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.next_id, self.buffer, self.session = 0, b"", None

    def close(self):
        try:
            self.call("Browser.close")
        except (AssertionError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)

    def call(self, method, session=True, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + 30
        while True:
            while b"\0" not in self.buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                    raise AssertionError(f"no answer from Chromium to {method}")
                chunk = os.read(self.from_chrome, 1 << 16)
                if not chunk:
                    raise AssertionError(f"Chromium closed the pipe during {method}")
                self.buffer += chunk
            text, self.buffer = self.buffer.split(b"\0", 1)
            reply = json.loads(text)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply["result"]

    def open(self, url, width, height, scripts=True):
        target = self.call("Target.createTarget", session=False, url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", session=False, targetId=target, flatten=True)["sessionId"]
        self.resize(width, height)
        if not scripts:  # the page's scripts only; Runtime.evaluate still works
            self.call("Emulation.setScriptExecutionDisabled", value=True)
        self.call("Page.navigate", url=url)

    def resize(self, width, height):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def js(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=20):
        deadline, error = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            try:
                value = self.js(expression)
            except AssertionError as e:  # e.g. still the blank page before the navigation
                value, error = None, e
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what} ({expression}); last error: {error}")

    def click(self, x, y):
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def key(self, key, code, keycode):
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=code, windowsVirtualKeyCode=keycode)


# What the page shows now: the zoom, the URL fragment, the path and the drawn boxes.
STATE_JS = """(() => {
  const map = document.getElementById("treemap");
  const box = el => { const r = el.getBoundingClientRect();
    return {name: el.dataset.name, kind: el.dataset.kind, bytes: +el.dataset.bytes, depth: +el.dataset.depth,
            own: el.dataset.own === "1", x: r.left, y: r.top, w: r.width, h: r.height}; };
  return {zoom: map.dataset.zoom, drawn: +map.dataset.drawn, ms: +map.dataset.ms, hash: location.hash,
          width: map.clientWidth, height: map.clientHeight, right: map.getBoundingClientRect().right,
          path: Array.from(document.querySelectorAll("#treemap-path > *")).map(e => [e.tagName, e.textContent]),
          status: document.getElementById("treemap-status").textContent,
          boxes: Array.from(map.querySelectorAll(".tm")).map(box)};
})()"""


class WasmTreemap(TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("clang++", "wasm-objdump", "wat2wasm", "chromium"):
            if shutil.which(tool) is None:
                raise unittest.SkipTest(f"{tool} is not installed")
        cls.dir = fresh_dir("wasm-treemap")
        (cls.dir / "sizes.cpp").write_text(module_source())
        # Compiled with -O2, linked without -O: clang's driver would otherwise run wasm-opt on the
        # linked module, which drops the name section.
        for args in (["-O2", "-fno-exceptions", "-c", "sizes.cpp", "-o", "sizes.o"], ["sizes.o", "-o", "sizes.wasm"]):
            proc = run(["clang++", "--target=wasm32-wasi", *args], cwd=cls.dir)
            if proc.returncode != 0:
                raise AssertionError(f"clang++ {' '.join(args)} failed:\n{proc.stderr}")
        cls.module = cls.dir / "sizes.wasm"
        cls.page = cls.dir / "sizes.html"
        proc = helper("wasm", "analyze", "sizes.wasm", "--html", "sizes.html", cwd=cls.dir)
        if proc.returncode != 0:
            raise AssertionError(f"wasm analyze --html failed:\n{proc.stdout}\n{proc.stderr}")
        cls.sections = objdump_sections(cls.module)
        cls.functions = objdump_function_sizes(cls.module)
        for name, text in GROUPED_SOURCES.items():
            (cls.dir / name).write_text(text)
        for args in (["-O1", "-g", "-fno-exceptions", "-c", "a.cpp", "-o", "a.o"],
                     ["-O1", "-g", "-fno-exceptions", "-c", "b.cpp", "-o", "b.o"], ["-g", "a.o", "b.o", "-o", "ab.wasm"]):
            proc = run(["clang++", "--target=wasm32-wasi", *args], cwd=cls.dir)
            if proc.returncode != 0:
                raise AssertionError(f"clang++ {' '.join(args)} failed:\n{proc.stderr}")
        proc = helper("wasm", "analyze", "ab.wasm", "--no-compression", "--html", "ab.html", cwd=cls.dir)
        if proc.returncode != 0:
            raise AssertionError(f"wasm analyze --html ab.wasm failed:\n{proc.stdout}\n{proc.stderr}")
        cls.grouped_functions = objdump_function_sizes(cls.dir / "ab.wasm")

    def chromium(self, name, *args, url=None):
        """Runs headless Chromium on the page with a fresh profile; returns stdout."""
        profile = fresh_dir("wasm-treemap", "profiles", name)
        proc = run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile / 'chrome'}",
                    "--virtual-time-budget=5000", *args, url or self.page.as_uri()],
                   env=clean_env(HOME=profile), timeout=120)
        self.assertOk(proc, "chromium")
        return proc.stdout

    def embedded_tree(self, page_text):
        m = re.search(r'<script type="application/json" id="treemap-data">(.*?)</script>', page_text, re.S)
        self.assertIsNotNone(m)
        return json.loads(m.group(1))["root"]

    def test_the_page_is_self_contained(self):
        text = self.page.read_text(encoding="utf-8")
        for ref in ("src=", "href=", "http:", "https:", "url(", "@import", "<link"):
            self.assertNotIn(ref, text)
        root = self.embedded_tree(text)
        names = {f["n"] for s in root["c"] for f in s.get("c", [])}
        # wasm-ld wrote demangled C++ names; in the page's JSON they are \u003c-escaped.
        self.assertIn("Box<int>::get(int) const", names)
        self.assertIn("Box\\u003cint\\u003e::get(int) const", text)
        self.assertNotIn("Box<int>", text.split('id="treemap-data">', 1)[1].split("</script>", 1)[0])

    def test_chromium_draws_one_box_per_visible_node(self):
        dom = Dom(self.chromium("dump", "--window-size=1200,800", "--dump-dom"))
        self.assertIn("js", dom.html_class.split())
        boxes = dom.boxes
        self.assertEqual(int(dom.ids["treemap"]["data-drawn"]), len(boxes))
        self.assertEqual(dom.ids["treemap"]["data-zoom"], "0")
        self.assertNotIn("open", dom.ids["treemap-table"])  # the fallback table is closed when the map is drawn
        for b in boxes:
            self.assertGreaterEqual(min(b["width"], b["height"]), 3, b)
        by_name = {b["name"]: b for b in boxes if not b["own"]}
        self.assertEqual(len(by_name), len([b for b in boxes if not b["own"]]), "a node was drawn twice")

        # Sections: the page's section nodes are wasm-objdump's sections, byte for byte.
        tree = self.embedded_tree(self.page.read_text(encoding="utf-8"))
        self.assertEqual({s["n"]: s["b"] for s in tree["c"]}, self.sections)
        self.assertEqual(tree["b"], self.module.stat().st_size)
        drawn_sections = [b for b in boxes if b["depth"] == 1 and not b["own"]]
        self.assertGreaterEqual(len(drawn_sections), 5)
        for b in drawn_sections:
            self.assertEqual(b["bytes"], self.sections[b["name"]], b["name"])
            self.assertIn(b["kind"], ("section", "custom"))

        # Functions: sizes as wasm-objdump -x prints them, all inside the code section's box; the
        # template's methods inside the box of their namespace (class) Box, the others directly.
        code = by_name["code"]
        functions = [b for b in boxes if b["kind"] == "function"]
        box_class = by_name["Box"]
        self.assertEqual((box_class["kind"], box_class["depth"]), ("namespace", 2))
        self.assertTrue(inside(box_class, code))
        for b in functions:
            self.assertEqual(b["bytes"], self.functions[b["name"]], b["name"])
            self.assertEqual(b["depth"], 3 if b["name"].startswith("Box<") else 2, b["name"])
            self.assertTrue(inside(b, box_class if b["name"].startswith("Box<") else code), b)
        self.assertEqual(box_class["bytes"], sum(v for k, v in self.functions.items() if k.startswith("Box<")))
        big = by_name["big_function"]
        self.assertEqual(max(functions, key=lambda b: b["width"] * b["height"])["name"], "big_function")
        self.assertIn("Box<int>::get(int) const", by_name)
        # Areas in proportion to bytes: the code section's children fill its box below the
        # header strip (2 px padding), each in proportion to its bytes (rounding to whole pixels).
        children = [b for b in boxes if b["depth"] == 2 and inside(b, code)]
        area = sum(b["width"] * b["height"] for b in children)
        inner = (code["width"] - 4) * (code["height"] - 17 - 2)
        self.assertLessEqual(area, inner)
        self.assertGreater(area, 0.97 * inner)
        for b in children:
            if min(b["width"], b["height"]) >= 20:
                expected = inner * b["bytes"] / code["bytes"]
                self.assertAlmostEqual(b["width"] * b["height"] / expected, 1.0, delta=0.08, msg=b["name"])
        medium, small = by_name["medium_function"], by_name["small_function"]
        ratio = (big["width"] * big["height"]) / (medium["width"] * medium["height"])
        self.assertAlmostEqual(ratio / (big["bytes"] / medium["bytes"]), 1.0, delta=0.08)
        self.assertGreater(big["bytes"], 3 * medium["bytes"])
        self.assertGreater(medium["bytes"], 3 * small["bytes"])
        # The code section's own bytes (count and size fields) are its hatched remainder.
        own = [b for b in children if b["own"]]
        self.assertLessEqual(len(own), 1)
        # Labels: the big function's name and size are written in its box.
        self.assertEqual(big["label"], ["big_function", human(big["bytes"])])

    def test_screenshot_is_painted_in_the_kinds_colours(self):
        png = self.dir / "sizes.png"  # kept in the work directory for a look, not in the source tree
        self.chromium("shot", "--window-size=1200,800", "--hide-scrollbars", f"--screenshot={png}")
        width, height, rows = png_pixels(png.read_bytes())
        self.assertEqual((width, height), (1200, 800))
        counts = {}
        for row in rows:
            for px in row:
                counts[px] = counts.get(px, 0) + 1
        # The fills of the page's style: function #f7bd7e, section header #9dbfe3, custom #cfaed0, data #a6d28f.
        function, section, custom, data = (247, 189, 126), (157, 191, 227), (207, 174, 208), (166, 210, 143)
        self.assertGreater(counts.get(function, 0), 20000, sorted(counts.items(), key=lambda kv: -kv[1])[:8])
        self.assertGreater(counts.get(custom, 0), 5000)
        self.assertGreater(counts.get(section, 0), 200)
        self.assertGreater(counts.get(data, 0), 200)

    def test_click_zoom_breadcrumb_escape_and_resize(self):
        tree = self.embedded_tree(self.page.read_text(encoding="utf-8"))
        code_index = 1 + sum(1 + len(s.get("c", [])) for s in tree["c"][:[s["n"] for s in tree["c"]].index("code")])
        browser = DevTools(fresh_dir("wasm-treemap", "profiles", "devtools"), 1200, 800)
        try:
            browser.open(self.page.as_uri(), 1200, 800)
            browser.wait_for("document.getElementById('treemap').dataset.drawn > 0", "the first drawing")
            state = browser.js(STATE_JS)
            self.assertEqual((state["zoom"], state["hash"]), ("0", ""))
            size = self.module.stat().st_size
            self.assertEqual(state["path"], [["SPAN", f"sizes.wasm: {size:,} bytes ({human(size)})"]])
            code = next(b for b in state["boxes"] if b["name"] == "code")
            big = next(b for b in state["boxes"] if b["name"] == "big_function")
            # Hovering shows the node in the status line and gives it its tooltip, with the numbers.
            # (The page sets the title on the hover event, which Chromium may deliver after the
            # dispatch returns: wait for it.)
            browser.call("Input.dispatchMouseEvent", type="mouseMoved", x=big["x"] + 5, y=big["y"] + 5)
            title = browser.wait_for("document.querySelector('.tm[data-name=\"big_function\"]').title",
                                     "the hovered box's tooltip").split("\n")
            self.assertEqual(title[:2], ["big_function", f"{big['bytes']:,} bytes ({human(big['bytes'])})"])
            self.assertEqual(title[2], f"{100 * big['bytes'] / code['bytes']:.1f}% of code, "
                                       f"{100 * big['bytes'] / tree['b']:.1f}% of the total")
            self.assertTrue(title[3].startswith("function "), title)  # the detail
            self.assertEqual(browser.js(STATE_JS)["status"], " · ".join(title))
            # A click on the code section's header strip zooms into it.
            browser.click(code["x"] + 6, code["y"] + 8)
            state = browser.wait_for(f"(s => s.zoom === '{code_index}' && s)({STATE_JS})", "the zoom into code")
            self.assertEqual(state["hash"], f"#n={code_index}")
            self.assertEqual([tag for tag, _ in state["path"]], ["BUTTON", "SPAN"])
            self.assertTrue(state["path"][1][1].startswith("code: "), state["path"])
            top = [b for b in state["boxes"] if b["depth"] == 1]
            self.assertTrue(top and all(b["kind"] in ("function", "namespace", "other") or b["own"] for b in top), top)
            zoomed_big = next(b for b in top if b["name"] == "big_function")
            self.assertGreater(zoomed_big["w"] * zoomed_big["h"], 2 * big["w"] * big["h"])
            # A click on a function (a leaf) in the zoomed view keeps the zoom.
            browser.click(zoomed_big["x"] + 10, zoomed_big["y"] + 10)
            self.assertEqual(browser.js(STATE_JS)["zoom"], str(code_index))
            # The breadcrumb's module button goes back up.
            button = browser.js("(r => [r.left + 3, r.top + r.height / 2])"
                                "(document.querySelector('#treemap-path button').getBoundingClientRect())")
            browser.click(*button)
            state = browser.wait_for(f"(s => s.zoom === '0' && s)({STATE_JS})", "the way back up")
            self.assertEqual(state["path"][0][0], "SPAN")
            # The URL fragment zooms too (a reload or a shared link), and Esc goes up.
            browser.js(f"location.hash = '#n={code_index}'")
            browser.wait_for(f"document.getElementById('treemap').dataset.zoom === '{code_index}'", "#n= zoom")
            browser.key("Escape", "Escape", 27)
            browser.wait_for("document.getElementById('treemap').dataset.zoom === '0'", "Esc")
            # A smaller window: the map is drawn again, inside the new width.
            before = browser.js(STATE_JS)
            browser.resize(700, 500)
            state = browser.wait_for(f"(s => s.width < {before['width']} && s.boxes.length > 0 && "
                                     f"s.boxes.every(b => b.x + b.w <= s.right) && s)({STATE_JS})",
                                     "the redraw after a resize")
            self.assertTrue(any(b["name"] == "big_function" for b in state["boxes"]))
            self.assertLess(state["width"], 700)
            self.assertGreaterEqual(state["height"], 320)
        finally:
            browser.close()

    def test_without_javascript_the_table_says_it(self):
        browser = DevTools(fresh_dir("wasm-treemap", "profiles", "nojs"), 1200, 800)
        try:
            browser.open(self.page.as_uri(), 1200, 800, scripts=False)
            browser.wait_for("document.readyState === 'complete' && document.title.startsWith('WebAssembly size')",
                             "the page without scripts")
            state = browser.js("""({
              boxes: document.querySelectorAll('.tm').length,
              open: document.getElementById('treemap-table').open,
              map: getComputedStyle(document.getElementById('treemap')).display,
              note: document.querySelector('noscript').textContent,
              tables: Array.from(document.querySelectorAll('#treemap-table table')).map(t =>
                Array.from(t.tBodies[0].rows).map(r => Array.from(r.cells).map(c => c.textContent)))})""")
        finally:
            browser.close()
        self.assertEqual((state["boxes"], state["open"], state["map"]), (0, True, "none"))
        self.assertIn("JavaScript is off", state["note"])
        top, largest = state["tables"]
        # The top level: every section with wasm-objdump's size, largest first, then the 8-byte header.
        self.assertEqual([(name, int(size.split(" ")[0].replace(",", ""))) for name, _, size, _ in top[:-1]],
                         sorted(self.sections.items(), key=lambda kv: -kv[1]))
        self.assertEqual(top[-1][0], "rest of sizes.wasm")
        self.assertEqual(top[-1][2], "8 bytes")
        # The largest items: big_function first, with its path and wasm-objdump's size.
        big = self.functions["big_function"]
        self.assertEqual(largest[0][:3], ["code \u203a big_function", "function", f"{big:,} bytes ({human(big)})"])
        self.assertEqual(len(largest), 25)

    def test_names_that_look_like_markup_stay_names(self):
        """Export names (the names of a module without a name section) that try to end the data
        script, open a comment or break a JavaScript line: the page still draws them as names."""
        names = ["</script><script>document.title='pwned'</script>", "<!--<script>", "line\u2028sep\u2029end"]

        def wat_string(name):  # WAT string escapes for the line separators (\u{...})
            return name.replace("\u2028", "\\u{2028}").replace("\u2029", "\\u{2029}")

        wat = "(module\n" + "".join('  (func (export "%s") (result i32) i32.const 3%s)\n'
                                     % (wat_string(n), " i32.const 4 i32.add" * (k + 1))
                                     for k, n in enumerate(names)) + ")\n"
        (self.dir / "names.wat").write_text(wat)
        self.assertOk(run(["wat2wasm", "names.wat", "-o", "names.wasm"], cwd=self.dir), "wat2wasm")
        self.assertOk(helper("wasm", "analyze", "names.wasm", "--html", "names.html", cwd=self.dir), "wasm analyze")
        dom_text = self.chromium("names", "--window-size=1000,700", "--dump-dom", url=(self.dir / "names.html").as_uri())
        dom = Dom(dom_text)
        self.assertNotIn("pwned", re.search(r"<title>(.*?)</title>", dom_text, re.S).group(1))
        self.assertEqual(len(re.findall(r"<script\b", dom_text)), 2)
        drawn = {b["name"] for b in dom.boxes if b["kind"] == "function"}
        self.assertEqual(drawn, set(names))

    def test_without_names_the_code_section_stays_flat(self):
        """The sizes module stripped (wasm-strip: no name section, so only the exports name
        functions, none with a namespace): no groupings in the data, no control, every function
        directly in the code section."""
        shutil.copyfile(self.module, self.dir / "stripped.wasm")
        self.assertOk(run(["wasm-strip", "stripped.wasm"], cwd=self.dir), "wasm-strip")
        self.assertOk(helper("wasm", "analyze", "stripped.wasm", "--no-compression", "--html", "stripped.html",
                             cwd=self.dir), "wasm analyze")
        page = self.dir / "stripped.html"
        tree = self.embedded_tree(page.read_text(encoding="utf-8"))
        self.assertEqual([s["n"] for s in tree["c"] if "G" in s or any("g" in f for f in s.get("c", []))], [])
        dom = Dom(self.chromium("stripped", "--window-size=1200,800", "--dump-dom", url=page.as_uri()))
        self.assertNotIn("class", dom.ids["treemap-grouping"])  # the control is only shown with class "on"
        functions = [b for b in dom.boxes if b["kind"] == "function"]
        self.assertIn("big_function", {b["name"] for b in functions})
        self.assertEqual({b["depth"] for b in functions}, {2})
        self.assertEqual([b for b in dom.boxes if b["kind"] in ("namespace", "compile unit")], [])

    def test_functions_nest_in_namespaces_or_compile_units_as_chosen(self):
        page = self.dir / "ab.html"
        tree = self.embedded_tree(page.read_text(encoding="utf-8"))
        code_node = next(s for s in tree["c"] if s["n"] == "code")
        self.assertEqual([g["k"] for g in code_node["G"]], ["namespace", "compile unit"])
        code_index = 1 + sum(1 + len(s.get("c", [])) for s in tree["c"][:tree["c"].index(code_node)])
        fn = self.grouped_functions
        blur, sharpen, load, parse = (fn["img::filter::blur(int)"], fn["img::filter::sharpen(int)"],
                                      fn["img::io::load(int)"], fn["app::detail::Parser::parse(int) const"])
        browser = DevTools(fresh_dir("wasm-treemap", "profiles", "groups"), 1400, 900)

        def drawn():
            state = browser.js(STATE_JS)
            return state, {(b["name"], b["kind"]): b for b in state["boxes"] if not b["own"]}

        def within(inner, outer):
            return (outer["x"] <= inner["x"] and inner["x"] + inner["w"] <= outer["x"] + outer["w"] and
                    outer["y"] <= inner["y"] and inner["y"] + inner["h"] <= outer["y"] + outer["h"])

        def choose(value):
            browser.js("(s => { s.value = %s; s.dispatchEvent(new Event('change')); })"
                       "(document.getElementById('treemap-group'))" % json.dumps(value))
        try:
            browser.open(page.as_uri(), 1400, 900)
            browser.wait_for("document.getElementById('treemap').dataset.drawn > 0", "the first drawing")
            self.assertEqual(browser.js("Array.from(document.getElementById('treemap-group').options, o => o.value)"),
                             ["namespace", "compile unit", ""])
            self.assertTrue(browser.js("document.getElementById('treemap-grouping').offsetHeight > 0"))
            # By namespace (the default): code > img > filter > blur, sharpen; img > io > load;
            # code > app::detail::Parser > parse; global functions (main) directly in code.
            state, box = drawn()
            code = box[("code", "section")]
            img, filt, io = box[("img", "namespace")], box[("filter", "namespace")], box[("io", "namespace")]
            parser = box[("app::detail::Parser", "namespace")]
            self.assertNotIn(("app", "namespace"), box)
            self.assertEqual([(b["depth"], b["bytes"]) for b in (img, filt, io, parser)],
                             [(2, blur + sharpen + load), (3, blur + sharpen), (3, load), (2, parse)])
            for inner, outer in ((img, code), (filt, img), (io, img), (parser, code),
                                 (box[("img::filter::blur(int)", "function")], filt),
                                 (box[("img::filter::sharpen(int)", "function")], filt),
                                 (box[("img::io::load(int)", "function")], io),
                                 (box[("app::detail::Parser::parse(int) const", "function")], parser),
                                 (box[("main", "function")], code)):
                self.assertTrue(within(inner, outer), (inner, outer))
            self.assertEqual(box[("img::filter::blur(int)", "function")]["depth"], 4)
            self.assertEqual(box[("main", "function")]["depth"], 2)
            self.assertEqual(box[("main", "function")]["bytes"], fn["main"])
            # By compile unit: a.cpp holds blur, sharpen and parse, b.cpp load and main.
            choose("compile unit")
            state, box = browser.wait_for(f"(s => s.boxes.some(b => b.kind === 'compile unit') && s)({STATE_JS})",
                                          "the compile units"), drawn()[1]
            self.assertEqual([k for k in box if k[1] == "namespace"], [])
            a, b = box[("a.cpp", "compile unit")], box[("b.cpp", "compile unit")]
            self.assertEqual((a["depth"], a["bytes"], b["depth"]), (2, blur + sharpen + parse, 2))
            self.assertEqual(b["bytes"], load + fn["main"])
            for name, unit in (("img::filter::blur(int)", a), ("app::detail::Parser::parse(int) const", a),
                               ("img::io::load(int)", b), ("main", b)):
                self.assertTrue(within(box[(name, "function")], unit), name)
                self.assertEqual(box[(name, "function")]["depth"], 3)
            self.assertEqual(browser.js("document.getElementById('treemap-legend').textContent").count("namespace"), 0)
            # Zoom into a.cpp; choosing another grouping goes up to the code section.
            browser.click(a["x"] + 6, a["y"] + 8)
            state = browser.wait_for(f"(s => s.path.length === 3 && s)({STATE_JS})", "the zoom into a.cpp")
            self.assertTrue(state["path"][2][1].startswith("a.cpp: "), state["path"])
            unit_hash = state["hash"]
            self.assertRegex(unit_hash, r"^#n=\d+$")
            choose("namespace")
            state = browser.wait_for(f"(s => s.zoom === '{code_index}' && s)({STATE_JS})", "the zoom back to code")
            self.assertEqual(state["hash"], f"#n={code_index}")
            self.assertIn("img", {b["name"] for b in state["boxes"] if b["kind"] == "namespace"})
            # The fragment of the compile unit's box picks its grouping again (Back, a shared link).
            browser.js(f"location.hash = '{unit_hash}'")
            browser.wait_for("document.getElementById('treemap-group').value === 'compile unit'", "#n= of a.cpp")
            state = browser.js(STATE_JS)
            self.assertEqual(state["path"][-1][1].split(":")[0], "a.cpp")
            # Flat: every function directly in code, no group boxes.
            browser.js("location.hash = ''")
            browser.wait_for("document.getElementById('treemap').dataset.zoom === '0'", "the way up")
            choose("")
            state, box = drawn()
            self.assertEqual([k for k in box if k[1] in ("namespace", "compile unit")], [])
            self.assertEqual({b["depth"] for b in state["boxes"] if b["kind"] == "function"}, {2})
            self.assertIn(("img::filter::blur(int)", "function"), box)
        finally:
            browser.close()

    def test_five_thousand_functions_are_drawn_at_once(self):
        """The page's own script with a synthetic tree of 5000 functions (more than `wasm analyze`
        puts in one section): the layout draws every box that is at least 3 px wide and high."""
        text = self.page.read_text(encoding="utf-8")
        functions = [{"n": f"fn_{i}", "k": "function", "b": 40 + (i * 7919) % 4000} for i in range(5000)]
        code = {"n": "code", "k": "section", "b": sum(f["b"] for f in functions) + 10, "c": functions}
        root = {"n": "big.wasm", "k": "module", "b": code["b"] + 108,
                "c": [code, {"n": "type", "k": "section", "b": 100}]}
        data = json.dumps({"schema": "buildbudget-treemap/1", "root": root}, separators=(",", ":"))
        big = self.dir / "big.html"
        big.write_text(re.sub(r'(<script type="application/json" id="treemap-data">).*?(</script>)',
                              lambda m: m.group(1) + data + m.group(2), text, count=1, flags=re.S), encoding="utf-8")
        dom = Dom(self.chromium("big", "--window-size=1200,800", "--dump-dom", url=big.as_uri()))
        fns = [b for b in dom.boxes if b["kind"] == "function"]
        self.assertGreater(len(fns), 3000)
        self.assertEqual(int(dom.ids["treemap"]["data-drawn"]), len(dom.boxes))
        self.assertTrue(all(min(b["width"], b["height"]) >= 3 for b in dom.boxes))
        # The largest function is there, and no box is drawn outside the code section's box.
        self.assertIn(max(functions, key=lambda f: f["b"])["n"], {b["name"] for b in fns})
        code_box = next(b for b in dom.boxes if b["name"] == "code")
        self.assertTrue(all(inside(b, code_box) for b in fns))
        # The draw time is reported, not asserted (times belong in benchmarks, not tests).
        ms = float(dom.ids["treemap"]["data-ms"])
        print(f"\n[treemap] 5000 functions: {len(dom.boxes)} boxes drawn in {ms:.0f} ms; page "
              f"{big.stat().st_size} bytes", flush=True)

        # The same functions in 20 namespaces ns<k> > sub<j> (two levels), 600 more folded into
        # "(600 smaller functions)": by namespace, each function is drawn inside its sub<j> box
        # inside its ns<k> box, and each group's share of the folded ones is a box of its own in it.
        groups = [[-1, f"ns{k}", 0, 0] for k in range(20)] + [[k, f"sub{j}", 10, 40000] for k in range(20)
                                                             for j in range(2)]
        for i, f in enumerate(functions):
            f["g"] = [20 + 2 * (i % 20) + (i // 20) % 2]
        fold = {"n": "(600 smaller functions)", "k": "other", "b": 40 * 40000 + 40000}
        code = {"n": "code", "k": "section", "b": code["b"] + fold["b"], "c": functions + [fold],
                "G": [{"k": "namespace", "s": "::", "g": groups, "r": [200, 40000]}]}
        root["c"][0], root["b"] = code, code["b"] + 108
        data = json.dumps({"schema": "buildbudget-treemap/1", "root": root}, separators=(",", ":"))
        nested = self.dir / "nested.html"
        nested.write_text(re.sub(r'(<script type="application/json" id="treemap-data">).*?(</script>)',
                                 lambda m: m.group(1) + data + m.group(2), text, count=1, flags=re.S), encoding="utf-8")
        dom = Dom(self.chromium("nested", "--window-size=1200,800", "--dump-dom", url=nested.as_uri()))
        group_boxes = [b for b in dom.boxes if b["kind"] == "namespace"]
        self.assertEqual(sorted(b["name"] for b in group_boxes if b["depth"] == 2), sorted(f"ns{k}" for k in range(20)))
        self.assertEqual(len([b for b in group_boxes if b["depth"] == 3]), 40)
        tops = {b["name"]: b for b in group_boxes if b["depth"] == 2}
        subs = [b for b in group_boxes if b["depth"] == 3]
        fns = [b for b in dom.boxes if b["kind"] == "function"]
        self.assertGreater(len(fns), 2000)
        for b in fns:
            i = int(b["name"][3:])
            k, j = i % 20, (i // 20) % 2
            self.assertEqual(b["depth"], 4)
            sub = [s for s in subs if s["name"] == f"sub{j}" and inside(s, tops[f"ns{k}"]) and inside(b, s)]
            self.assertEqual(len(sub), 1, b)
        # Each sub<j> box: its functions and its 10 folded ones (40000 bytes).
        rests = [b for b in dom.boxes if b["name"] == "(10 smaller functions)"]
        self.assertEqual(len(rests), 40)
        self.assertTrue(all(b["depth"] == 4 and b["bytes"] == 40000 for b in rests))
        self.assertEqual(len([b for b in dom.boxes if b["name"] == "(200 smaller functions)" and b["depth"] == 2]), 1)
        self.assertEqual(tops["ns0"]["bytes"], sum(f["b"] for i, f in enumerate(functions) if i % 20 == 0) + 80000)
        ms = float(dom.ids["treemap"]["data-ms"])
        print(f"[treemap] 5000 functions in 60 namespaces: {len(dom.boxes)} boxes drawn in {ms:.0f} ms; page "
              f"{nested.stat().st_size} bytes", flush=True)


if __name__ == "__main__":
    unittest.main()
