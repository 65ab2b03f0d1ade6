#include "report/treemap_html.hpp"

#include "budget/size.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <string_view>

namespace buildbudget::report {
namespace {

/// How many leaves the fallback table lists.
constexpr std::size_t largest_items_listed = 25;

/// `s` with every byte that does not start a well-formed UTF-8 sequence
/// (Unicode 15 §3.9, Table 3-7: no overlong forms, no surrogates, nothing
/// above U+10FFFF) replaced by U+FFFD, one replacement per bad byte.
std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    const auto byte = [&](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0U; };
    const auto cont = [&](std::size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) {
        const unsigned b = byte(i);
        return i < s.size() && b >= lo && b <= hi;
    };
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned b = byte(i);
        std::size_t len = 0;
        if (b < 0x80) {
            len = 1;
        } else if (b >= 0xC2 && b <= 0xDF) {
            len = cont(i + 1) ? 2 : 0;
        } else if (b >= 0xE0 && b <= 0xEF) {
            const unsigned lo = b == 0xE0 ? 0xA0 : 0x80;
            const unsigned hi = b == 0xED ? 0x9F : 0xBF;
            len = cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
        } else if (b >= 0xF0 && b <= 0xF4) {
            const unsigned lo = b == 0xF0 ? 0x90 : 0x80;
            const unsigned hi = b == 0xF4 ? 0x8F : 0xBF;
            len = cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
        }
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s, i, len);
            i += len;
        }
    }
    return out;
}

/// Text and attribute escaping for HTML (the five characters of XML's
/// predefined entities), after making the text valid UTF-8.
std::string html(std::string_view s) {
    const std::string text = valid_utf8(s);
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

/// "1234567" -> "1,234,567" (the page's JavaScript groups the same way).
std::string grouped(std::uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

/// "1,000 bytes", "12,345 bytes (12.06 KiB)".
std::string bytes_text(std::uint64_t n) {
    std::string out = grouped(n) + " bytes";
    if (n >= 1024) out += " (" + format_size(n) + ")";
    return out;
}

/// "12.3%" (one decimal, rounded half up), "–" when `whole` is 0.
std::string percent(std::uint64_t part, std::uint64_t whole) {
    if (whole == 0) return "\xE2\x80\x93";
    const auto tenths =
        static_cast<std::uint64_t>(std::floor(1000.0 * static_cast<double>(part) / static_cast<double>(whole) + 0.5));
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "%";
}

nlohmann::ordered_json to_json(const TreemapNode& node) {
    nlohmann::ordered_json j;
    j["n"] = node.name;
    j["k"] = node.kind;
    j["b"] = node.bytes;
    if (!node.detail.empty()) j["d"] = node.detail;
    if (!node.children.empty()) {
        auto& children = j["c"] = nlohmann::ordered_json::array();
        for (const auto& child : node.children) children.push_back(to_json(child));
    }
    return j;
}

/// The tree as JSON that can sit inside a <script> element: invalid UTF-8
/// replaced by U+FFFD (nlohmann's error_handler_t::replace, so dump() cannot
/// throw), and `<`, `>`, `&` (so neither "</script" nor "<!--" can appear;
/// HTML §4.12.1.3 "Restrictions for contents of script elements") and
/// U+2028/U+2029 (line terminators in JavaScript before ES2019) as \u escapes.
/// Those characters can only occur inside JSON strings, where the escapes
/// mean the same characters.
std::string script_safe_json(const TreemapNode& root) {
    const nlohmann::ordered_json doc = {{"schema", "buildbudget-treemap/1"}, {"root", to_json(root)}};
    const std::string text = doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    std::string out;
    out.reserve(text.size() + text.size() / 16);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '<') {
            out += "\\u003c";
        } else if (c == '>') {
            out += "\\u003e";
        } else if (c == '&') {
            out += "\\u0026";
        } else if (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
                   (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
            out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::uint64_t children_bytes(const TreemapNode& node) {
    std::uint64_t sum = 0;
    for (const auto& child : node.children) sum += child.bytes;
    return sum;
}

struct Leaf {
    const TreemapNode* node;
    const TreemapNode* parent;
    std::string path;  // "code › main" (the root left out)
};

/// Leaves below the top level, in pre-order.
void collect_leaves(const TreemapNode& node, const std::string& path, int depth, std::vector<Leaf>& out) {
    for (const auto& child : node.children) {
        const std::string child_path = path.empty() ? child.name : path + " \xE2\x80\xBA " + child.name;
        if (child.children.empty()) {
            if (depth >= 1) out.push_back({&child, &node, child_path});
        } else {
            collect_leaves(child, child_path, depth + 1, out);
        }
    }
}

/// The <details> fallback: the top level (largest first) and the largest
/// leaves, with the same numbers the treemap's tooltips show.
std::string fallback_tables(const TreemapNode& root) {
    const std::uint64_t total = root.bytes;
    std::string out;
    out += "<details id=\"treemap-table\" open>\n<summary>Table: the top level and the largest items</summary>\n";
    out += "<table>\n<caption>Top level of " + html(root.name) + ": " + bytes_text(root.bytes) + "</caption>\n";
    out += "<thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Kind</th><th scope=\"col\">Bytes</th>"
           "<th scope=\"col\">% of total</th></tr></thead>\n<tbody>\n";
    std::vector<const TreemapNode*> top;
    top.reserve(root.children.size());
    for (const auto& child : root.children) top.push_back(&child);
    std::stable_sort(top.begin(), top.end(), [](const auto* a, const auto* b) { return a->bytes > b->bytes; });
    const auto row = [&](const std::string& name, const std::string& kind, std::uint64_t bytes) {
        out += "<tr><td>" + name + "</td><td>" + kind + "</td><td class=\"n\">" + bytes_text(bytes) +
               "</td><td class=\"n\">" + percent(bytes, total) + "</td></tr>\n";
    };
    for (const auto* child : top) row(html(child->name), html(child->kind), child->bytes);
    const std::uint64_t in_children = children_bytes(root);
    if (!root.children.empty() && root.bytes > in_children) {
        row("<i>rest of " + html(root.name) + "</i>", "", root.bytes - in_children);
    }
    out += "</tbody>\n</table>\n";

    std::vector<Leaf> leaves;
    collect_leaves(root, "", 0, leaves);
    std::stable_sort(leaves.begin(), leaves.end(),
                     [](const Leaf& a, const Leaf& b) { return a.node->bytes > b.node->bytes; });
    if (leaves.size() > largest_items_listed) leaves.resize(largest_items_listed);
    if (!leaves.empty()) {
        out += "<table>\n<caption>The " + std::to_string(leaves.size()) + " largest items</caption>\n";
        out += "<thead><tr><th scope=\"col\">Item</th><th scope=\"col\">Kind</th><th scope=\"col\">Bytes</th>"
               "<th scope=\"col\">% of parent</th><th scope=\"col\">% of total</th></tr></thead>\n<tbody>\n";
        for (const auto& leaf : leaves) {
            out += "<tr><td>" + html(leaf.path) + "</td><td>" + html(leaf.node->kind) + "</td><td class=\"n\">" +
                   bytes_text(leaf.node->bytes) + "</td><td class=\"n\">" +
                   percent(leaf.node->bytes, leaf.parent->bytes) + "</td><td class=\"n\">" +
                   percent(leaf.node->bytes, total) + "</td></tr>\n";
        }
        out += "</tbody>\n</table>\n";
    }
    out += "</details>\n";
    return out;
}

// Colours by kind (light fills under dark text; --c the node, --t its tint
// behind its children), the layout of the page and of the treemap's boxes.
constexpr std::string_view page_style = R"CSS(
:root{color-scheme:light}
body{margin:14px 18px;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1b1b1b;background:#f7f7f7}
h1{font-size:19px;margin:0 0 4px;overflow-wrap:anywhere}
.summary{margin:0 0 8px;padding-left:20px;color:#333}
.bar,#treemap-status{display:none}
.js .bar{display:flex}
.js #treemap-status{display:block}
.bar{flex-wrap:wrap;gap:4px 16px;align-items:baseline;margin:4px 0}
#treemap-path{font-size:13px;overflow-wrap:anywhere}
#treemap-path button{font:inherit;border:0;background:none;color:#0645ad;cursor:pointer;padding:0;text-decoration:underline}
#treemap-path [aria-current]{font-weight:600}
#treemap-legend{font-size:12px;color:#333}
#treemap-legend span{margin-right:10px;white-space:nowrap}
#treemap-legend i{display:inline-block;width:11px;height:11px;margin-right:4px;border:1px solid rgba(0,0,0,.35);background:var(--c);vertical-align:-1px}
#treemap{display:none;position:relative;height:max(320px,calc(100vh - 180px));overflow:hidden;background:#fff;border:1px solid #8a8a8a}
.js #treemap{display:block}
#treemap-status{min-height:1.4em;margin:4px 0 8px;font-size:13px;color:#333;overflow-wrap:anywhere}
.tm{position:absolute;box-sizing:border-box;overflow:hidden;border:1px solid rgba(0,0,0,.28);background:var(--c);cursor:pointer;font-size:12px;line-height:16px;color:#111}
.tm.p{background:var(--t)}
.tm.o{background:repeating-linear-gradient(135deg,var(--t) 0 4px,var(--c) 4px 6px)}
.tm:hover{outline:2px solid #111;outline-offset:-2px}
.l{display:block;padding:0 3px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.p>.l{height:16px;background:var(--c);font-weight:600}
.l small{font-size:11px;font-weight:400;color:#333;margin-left:6px}
.s{display:block;padding:0 3px;font-size:11px;color:#333;white-space:nowrap}
.k-module{--c:#bdbdbd;--t:#eeeeee}
.k-section{--c:#9dbfe3;--t:#e6eff8}
.k-custom{--c:#cfaed0;--t:#f3e9f3}
.k-function{--c:#f7bd7e;--t:#fdeedd}
.k-data{--c:#a6d28f;--t:#e7f3e0}
.k-other{--c:#cfcac6;--t:#f2f0ee}
details{margin:8px 0}
summary{cursor:pointer}
table{border-collapse:collapse;font-size:13px;margin:8px 0 12px;background:#fff}
caption{text-align:left;font-weight:600;padding:2px 0}
th,td{border:1px solid #cfcfcf;padding:2px 8px;text-align:left;overflow-wrap:anywhere}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
)CSS";

// The treemap. Layout: the squarified algorithm of M. Bruls, K. Huizing and
// J. J. van Wijk, "Squarified Treemaps", Proc. Joint Eurographics and IEEE TCVG
// Symposium on Visualization (VisSym 2000), pp. 33-42.
constexpr std::string_view page_script = R"JS(
(function () {
"use strict";
// Squarified treemaps: M. Bruls, K. Huizing, J. J. van Wijk, "Squarified
// Treemaps", VisSym 2000, pp. 33-42. Children, largest first, are put in rows
// along the shorter side of the space left; a child joins the current row as
// long as that does not make the row's worst aspect ratio worse.
var MIN_SIDE = 3, HEADER = 17, PAD = 2, LABEL_W = 34, LABEL_H = 15;
var KINDS = ["section", "custom", "function", "data", "other", "module"];
var doc = document, map = doc.getElementById("treemap");
var pathNav = doc.getElementById("treemap-path"), statusLine = doc.getElementById("treemap-status");
var nodes = [], shown = [], zoom = null, lastW = -1, lastH = -1, pending = 0;
var HINT = "Click a rectangle to zoom in; the path above or Esc goes back up.";

// The tree: {n: name, k: kind, b: bytes, d: detail, c: children}. A node whose
// children sum to less than its bytes gets a hatched child for the rest.
function build(j, parent) {
  var kind = String(j.k), n = {i: nodes.length, name: String(j.n), kind: kind,
    cls: KINDS.indexOf(kind) >= 0 ? kind : "other", bytes: Math.max(0, +j.b || 0),
    detail: j.d ? String(j.d) : "", parent: parent, kids: [], own: false, value: 0};
  nodes.push(n);
  var sum = 0, c = Array.isArray(j.c) ? j.c : [];
  for (var k = 0; k < c.length; k++) { var kid = build(c[k], n); n.kids.push(kid); sum += kid.value; }
  n.value = Math.max(n.bytes, sum);
  if (n.kids.length && n.bytes > sum) {
    n.kids.push({i: -1, name: n.name, kind: n.kind, cls: n.cls, bytes: n.bytes - sum, detail: "",
      parent: n, kids: [], own: true, value: n.bytes - sum});
  }
  n.kids.sort(function (a, b) { return b.value - a.value; });  // stable: ties keep their order
  return n;
}

function grouped(b) { return String(b).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
function human(b) {
  var units = ["B", "KiB", "MiB", "GiB"], i = 0, v = b;
  while (i < units.length - 1 && v >= 1024) { v /= 1024; i++; }
  return v.toFixed(2).replace(/\.?0+$/, "") + " " + units[i];
}
function bytesText(b) { return grouped(b) + " bytes" + (b >= 1024 ? " (" + human(b) + ")" : ""); }
function percent(part, whole) {
  return whole > 0 ? (Math.floor(part * 1000 / whole + 0.5) / 10).toFixed(1) + "%" : "\u2013";
}
function describe(n) {
  var total = nodes[0].bytes, lines = [n.own ? n.name + ": bytes in none of its parts" : n.name, bytesText(n.bytes)];
  var p = n.parent;
  if (!p) lines.push("the whole " + n.kind);
  else if (!p.parent) lines.push(percent(n.bytes, total) + " of the total");
  else lines.push(percent(n.bytes, p.bytes) + " of " + p.name + ", " + percent(n.bytes, total) + " of the total");
  if (n.detail) lines.push(n.detail);
  return lines.join("\n");
}

function ratio(sum, largest, smallest, side) {
  var s2 = sum * sum, q = side * side;
  return Math.max(q * largest / s2, s2 / (q * smallest));
}
// [x, y, w, h] for each item (sorted by value, largest first, all > 0) in the rectangle.
function squarify(items, x, y, w, h) {
  var total = 0, i;
  for (i = 0; i < items.length; i++) total += items[i].value;
  var scale = w * h / total, out = new Array(items.length), start = 0;
  while (start < items.length) {
    var side = Math.min(w, h);
    if (!(side > 0)) break;
    var first = items[start].value * scale, sum = first, worst = ratio(sum, first, first, side), end = start + 1;
    for (; end < items.length; end++) {
      var area = items[end].value * scale, next = ratio(sum + area, first, area, side);
      if (next > worst) break;
      sum += area; worst = next;
    }
    var thick = sum / side, off = 0;
    for (i = start; i < end; i++) {
      var len = items[i].value * scale / thick;
      out[i] = w >= h ? [x, y + off, thick, len] : [x + off, y, len, thick];
      off += len;
    }
    if (w >= h) { x += thick; w -= thick; } else { y += thick; h -= thick; }
    start = end;
  }
  return out;
}

function layout(parent, x, y, w, h, depth, out) {
  if (w < MIN_SIDE || h < MIN_SIDE) return;
  var items = parent.kids.filter(function (k) { return k.value > 0; });
  if (!items.length) return;
  var rects = squarify(items, x, y, w, h);
  for (var i = 0; i < items.length; i++) if (rects[i]) box(items[i], rects[i], depth, out);
}

function esc(s) {
  return s.replace(/[&<>"]/g, function (c) { return c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;"; });
}

// One node's <div> (as markup: one innerHTML for the whole map is the
// fastest way to make thousands of elements), then its children inside it;
// only rectangles of at least MIN_SIDE pixels on both sides are drawn.
// data-i is the node's place in `shown`; its tooltip is made on hover.
function box(n, r, depth, out) {
  var x0 = Math.round(r[0]), y0 = Math.round(r[1]);
  var w = Math.round(r[0] + r[2]) - x0, h = Math.round(r[1] + r[3]) - y0;
  if (w < MIN_SIDE || h < MIN_SIDE) return;
  var parent = n.kids.length > 0;
  var header = parent && w >= LABEL_W && h >= HEADER + PAD + 2 * MIN_SIDE;
  var html = '<div class="tm k-' + n.cls + (parent ? " p" : "") + (n.own ? " o" : "") +
    '" style="left:' + x0 + "px;top:" + y0 + "px;width:" + w + "px;height:" + h + 'px" data-i="' + shown.length +
    '" data-name="' + esc(n.name) + '" data-kind="' + esc(n.kind) + '" data-bytes="' + n.bytes +
    '" data-depth="' + depth + (n.own ? '" data-own="1">' : '">');
  shown.push(n);
  if (!n.own && w >= LABEL_W && h >= LABEL_H && (header || !parent)) {
    html += '<span class="l">' + esc(n.name) + (parent ? "<small>" + human(n.bytes) + "</small>" : "") + "</span>";
    if (!parent && h >= 2 * LABEL_H + 2) html += '<span class="s">' + human(n.bytes) + "</span>";
  }
  out.push(html + "</div>");
  if (parent) {
    var top = header ? HEADER : PAD;
    layout(n, x0 + PAD, y0 + top, w - 2 * PAD, h - top - PAD, depth + 1, out);
  }
}

function crumbs() {
  var chain = [];
  for (var n = zoom; n; n = n.parent) chain.unshift(n);
  pathNav.replaceChildren();
  chain.forEach(function (c, k) {
    if (k) pathNav.appendChild(doc.createTextNode(" \u203a "));
    var last = k === chain.length - 1, el = doc.createElement(last ? "span" : "button");
    el.textContent = c.name;
    if (last) {
      el.setAttribute("aria-current", "location");
      el.textContent = c.name + ": " + bytesText(c.bytes) + (c.parent ? ", " + percent(c.bytes, nodes[0].bytes) + " of the total" : "");
    } else {
      el.type = "button";
      el.title = "Back to " + c.name;
      el.addEventListener("click", function () { go(c); });
    }
    pathNav.appendChild(el);
  });
}

// The map fills the window below what is above it (at least 320 px high), so
// the whole page fits one screen when the summary is short.
function fit() {
  var top = map.getBoundingClientRect().top + window.scrollY;
  map.style.height = Math.max(320, Math.floor(window.innerHeight - top - 64)) + "px";
}

function draw() {
  var t0 = performance.now();
  fit();
  lastW = map.clientWidth; lastH = map.clientHeight;
  var out = [];
  shown = [];
  layout(zoom, 0, 0, lastW, lastH, 1, out);
  map.innerHTML = out.join("");
  map.setAttribute("data-zoom", String(zoom.i));
  map.setAttribute("data-drawn", String(shown.length));
  map.setAttribute("data-ms", (performance.now() - t0).toFixed(1));
  crumbs();
}

function fromHash() {
  var m = /^#n=(\d+)$/.exec(location.hash), n = m ? nodes[+m[1]] : null;
  return n && n.kids.length ? n : nodes[0];
}
function go(n) {
  if (!n || n === zoom) return;
  zoom = n;
  draw();
  var hash = n.parent ? "#n=" + n.i : "";
  if (location.hash !== hash) {
    try { location.hash = hash; } catch (e) { /* a sandboxed frame: the zoom still works */ }
  }
}

var data = JSON.parse(doc.getElementById("treemap-data").textContent);
build(data.root, null);
doc.documentElement.className += " js";
doc.getElementById("treemap-table").open = false;
var legend = doc.getElementById("treemap-legend"), present = {};
nodes.forEach(function (n) { present[n.cls] = true; });
KINDS.forEach(function (k) {
  if (k === "module" || !present[k]) return;
  var item = doc.createElement("span"), swatch = doc.createElement("i");
  item.className = "k-" + k;
  item.appendChild(swatch);
  item.appendChild(doc.createTextNode(k));
  legend.appendChild(item);
});
statusLine.textContent = HINT;
zoom = fromHash();
draw();

function nodeOf(e) {
  var el = e.target.closest(".tm");
  return el ? {el: el, node: shown[+el.getAttribute("data-i")]} : null;
}
map.addEventListener("click", function (e) {
  var hit = nodeOf(e);
  if (hit && hit.node) go(hit.node.kids.length ? hit.node : hit.node.parent);
});
map.addEventListener("mouseover", function (e) {
  var hit = nodeOf(e);
  if (!hit || !hit.node) return;
  var text = describe(hit.node);
  if (!hit.el.title) hit.el.title = text;  // the browser's tooltip, made when first needed
  statusLine.textContent = text.replace(/\n/g, " \u00b7 ");
});
map.addEventListener("mouseleave", function () { statusLine.textContent = HINT; });
doc.addEventListener("keydown", function (e) {
  if (e.key === "Escape" && zoom.parent) go(zoom.parent);
});
window.addEventListener("hashchange", function () { go(fromHash()); });
function schedule() {
  if (pending) return;
  pending = requestAnimationFrame(function () {
    pending = 0;
    fit();
    if (map.clientWidth !== lastW || map.clientHeight !== lastH) draw();
  });
}
window.addEventListener("resize", schedule);
if (window.ResizeObserver) new ResizeObserver(schedule).observe(map);
})();
)JS";

}  // namespace

std::string render_treemap_html(const std::string& title, const std::vector<std::string>& summary_lines,
                                const TreemapNode& root) {
    const std::string json = script_safe_json(root);
    const std::string heading = html(title);
    std::string out;
    out.reserve(json.size() + page_style.size() + page_script.size() + 4096);
    out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    // Nothing but the page itself: no fetch, no image, no font, no frame.
    out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n";
    out += "<meta name=\"generator\" content=\"buildbudget wasm analyze\">\n";
    out += "<title>" + heading + "</title>\n<style>";
    out += page_style;
    out += "</style>\n</head>\n<body>\n<h1>" + heading + "</h1>\n";
    if (!summary_lines.empty()) {
        out += "<ul class=\"summary\">\n";
        for (const auto& line : summary_lines) out += "<li>" + html(line) + "</li>\n";
        out += "</ul>\n";
    }
    out += "<noscript><p>JavaScript is off, so there is no treemap: the table below lists the top level and "
           "the largest items.</p></noscript>\n";
    out += "<div class=\"bar\"><nav id=\"treemap-path\" aria-label=\"Zoom path\"></nav>"
           "<div id=\"treemap-legend\"></div></div>\n";
    out += "<div id=\"treemap\" role=\"group\" aria-label=\"Treemap of " + heading +
           " (the table below has the same numbers)\"></div>\n";
    out += "<p id=\"treemap-status\" aria-live=\"polite\"></p>\n";
    out += fallback_tables(root);
    out += "<script type=\"application/json\" id=\"treemap-data\">" + json + "</script>\n";
    out += "<script>";
    out += page_script;
    out += "</script>\n</body>\n</html>\n";
    return out;
}

}  // namespace buildbudget::report
