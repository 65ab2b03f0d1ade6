#include "report/treemap_html.hpp"

#include "common/templates.hpp"
#include "report/html_text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string_view>

namespace buildbudget::report {
namespace {

/// How many leaves the fallback table lists.
constexpr std::size_t largest_items_listed = 25;

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
    return script_safe(doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
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
    out += "<table>\n<caption>Top level of " + escape_html(root.name) + ": " + bytes_text(root.bytes) + "</caption>\n";
    out += "<thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Kind</th><th scope=\"col\">Bytes</th>"
           "<th scope=\"col\">% of total</th></tr></thead>\n<tbody>\n";
    std::vector<const TreemapNode*> top;
    top.reserve(root.children.size());
    for (const auto& child : root.children) top.push_back(&child);
    std::stable_sort(top.begin(), top.end(), [](const auto* a, const auto* b) { return a->bytes > b->bytes; });
    const auto row = [&](const std::string& name, const std::string& kind, std::uint64_t bytes) {
        out += "<tr><td>" + name + "</td><td>" + kind + "</td><td class=\"n\">" + bytes_text(bytes) +
               "</td><td class=\"n\">" + percent_text(bytes, total) + "</td></tr>\n";
    };
    for (const auto* child : top) row(escape_html(child->name), escape_html(child->kind), child->bytes);
    const std::uint64_t in_children = children_bytes(root);
    if (!root.children.empty() && root.bytes > in_children) {
        row("<i>rest of " + escape_html(root.name) + "</i>", "", root.bytes - in_children);
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
            out += "<tr><td>" + escape_html(leaf.path) + "</td><td>" + escape_html(leaf.node->kind) + "</td><td class=\"n\">" +
                   bytes_text(leaf.node->bytes) + "</td><td class=\"n\">" +
                   percent_text(leaf.node->bytes, leaf.parent->bytes) + "</td><td class=\"n\">" +
                   percent_text(leaf.node->bytes, total) + "</td></tr>\n";
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
        for (const auto& line : summary_lines) summary += "<li>" + escape_html(line) + "</li>\n";
        summary += "</ul>\n";
    }
    return render_template(page_template, {{"TITLE", escape_html(title)},
                                           {"SUMMARY", summary},
                                           {"TABLES", fallback_tables(root)},
                                           {"DATA", script_safe_json(root)}});
}

std::string render_treemap_html(const std::string& title, const std::vector<std::string>& summary_lines,
                                const TreemapNode& root) {
    return render_treemap_html(read_template(treemap_template), title, summary_lines, root);
}

}  // namespace buildbudget::report
