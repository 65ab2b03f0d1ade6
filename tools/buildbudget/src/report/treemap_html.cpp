#include "report/treemap_html.hpp"

#include "budget/size.hpp"
#include "common/templates.hpp"

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
    if (!node.groupings.empty()) {
        auto& groupings = j["G"] = nlohmann::ordered_json::array();
        for (const auto& grouping : node.groupings) {
            nlohmann::ordered_json g;
            g["k"] = grouping.kind;
            g["s"] = grouping.separator;
            auto& groups = g["g"] = nlohmann::ordered_json::array();
            for (const auto& group : grouping.groups) {
                groups.push_back({group.parent, group.name, group.rest_count, group.rest_bytes});
            }
            g["r"] = {grouping.rest_count, grouping.rest_bytes};
            groupings.push_back(std::move(g));
        }
    }
    if (!node.group_of.empty()) j["g"] = node.group_of;
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

}  // namespace

std::string render_treemap_html(std::string_view page_template, const std::string& title,
                                const std::vector<std::string>& summary_lines, const TreemapNode& root) {
    std::string summary;
    if (!summary_lines.empty()) {
        summary += "<ul class=\"summary\">\n";
        for (const auto& line : summary_lines) summary += "<li>" + html(line) + "</li>\n";
        summary += "</ul>\n";
    }
    return render_template(page_template, {{"TITLE", html(title)},
                                           {"SUMMARY", summary},
                                           {"TABLES", fallback_tables(root)},
                                           {"DATA", script_safe_json(root)}});
}

std::string render_treemap_html(const std::string& title, const std::vector<std::string>& summary_lines,
                                const TreemapNode& root) {
    return render_treemap_html(read_template(treemap_template), title, summary_lines, root);
}

}  // namespace buildbudget::report
