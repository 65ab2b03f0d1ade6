#include "wasm/treemap_data.hpp"

#include "report/format.hpp"

#include <algorithm>
#include <numeric>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace buildbudget::wasm {

using report::percent_text;
using report::share;

namespace {

/// Keeps the `max_items` largest of `nodes` (by bytes, the earlier one first on
/// a tie), in that order, and folds the rest into one node of kind "other"
/// (counted into the rests of `groupings` by each folded node's group_of).
void keep_largest(std::vector<report::TreemapNode>& nodes, std::size_t max_items, const char* what,
                  std::vector<report::TreemapGrouping>* groupings = nullptr) {
    std::vector<std::size_t> order(nodes.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return nodes[a].bytes > nodes[b].bytes; });
    std::vector<report::TreemapNode> kept;
    kept.reserve(std::min(nodes.size(), max_items + 1));
    std::uint64_t rest_bytes = 0;
    std::size_t rest = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (i < max_items) {
            kept.push_back(std::move(nodes[order[i]]));
        } else {
            const report::TreemapNode& folded = nodes[order[i]];
            rest_bytes += folded.bytes;
            ++rest;
            for (std::size_t g = 0; groupings && g < groupings->size() && g < folded.group_of.size(); ++g) {
                report::TreemapGrouping& grouping = (*groupings)[g];
                const std::int64_t at = folded.group_of[g];
                std::uint64_t& count = at < 0 ? grouping.rest_count : grouping.groups[at].rest_count;
                std::uint64_t& bytes = at < 0 ? grouping.rest_bytes : grouping.groups[at].rest_bytes;
                ++count;
                bytes += folded.bytes;
            }
        }
    }
    if (rest > 0) {
        report::TreemapNode other;
        other.name = "(" + std::to_string(rest) + " smaller " + what + ")";
        other.kind = "other";
        other.bytes = rest_bytes;
        other.detail = std::to_string(rest) + " " + what + " of at most " +
                       std::to_string(kept.empty() ? 0 : kept.back().bytes) + " bytes each";
        kept.push_back(std::move(other));
    }
    nodes = std::move(kept);
}

/// `path` split at "::" outside <>, () and [] ("std::__2::basic_string" ->
/// std, __2, basic_string; name_group() already left out template arguments).
std::vector<std::string_view> path_components(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t depth = 0, start = 0;
    for (std::size_t i = 0; i < path.size(); ++i) {
        const char c = path[i];
        if (c == '<' || c == '(' || c == '[') ++depth;
        if ((c == '>' || c == ')' || c == ']') && depth > 0) --depth;
        if (depth == 0 && c == ':' && i + 1 < path.size() && path[i + 1] == ':') {
            out.push_back(path.substr(start, i - start));
            start = i + 2;
            ++i;
        }
    }
    out.push_back(path.substr(start));
    return out;
}

/// The code section's groupings (report::TreemapGrouping): by namespace / crate
/// path, one level per path component, a chain of levels that hold nothing but
/// one deeper level shown as one box ("std::__2"); and by compile unit, one
/// level. Sets each function node's group_of (the functions in `m` order);
/// a grouping no function belongs to is left out.
void group_functions(const ModuleAnalysis& m, report::TreemapNode& code) {
    report::TreemapGrouping namespaces{"namespace", "::", {}, 0, 0};
    report::TreemapGrouping units{"compile unit", "", {}, 0, 0};
    std::unordered_map<std::string, std::int64_t> ns_index, unit_index;
    std::vector<std::int64_t> ns_of(m.functions.size(), -1), unit_of(m.functions.size(), -1);
    std::vector<std::size_t> subgroups, members;  // per namespace group
    for (std::size_t i = 0; i < m.functions.size(); ++i) {
        const FunctionInfo& f = m.functions[i];
        if (!f.group.empty()) {
            std::int64_t parent = -1;
            std::string prefix;
            for (const auto part : path_components(f.group)) {
                prefix.append(prefix.empty() ? "" : "::").append(part);
                const auto [it, added] = ns_index.try_emplace(prefix, static_cast<std::int64_t>(namespaces.groups.size()));
                if (added) {
                    namespaces.groups.push_back({parent, std::string(part), 0, 0});
                    subgroups.push_back(0);
                    members.push_back(0);
                    if (parent >= 0) ++subgroups[parent];
                }
                parent = it->second;
            }
            ns_of[i] = parent;
            ++members[parent];
        }
        if (!f.compile_unit.empty()) {
            const auto [it, added] = unit_index.try_emplace(f.compile_unit, static_cast<std::int64_t>(units.groups.size()));
            if (added) units.groups.push_back({-1, f.compile_unit, 0, 0});
            unit_of[i] = it->second;
        }
    }
    // Collapse: a level with no functions of its own and one deeper level
    // becomes part of that level's name. Parents come first, so each group's
    // parent already points past collapsed levels when the group is reached.
    std::vector<std::int64_t> renumbered(namespaces.groups.size(), -1);
    std::vector<report::TreemapGroup> kept;
    for (std::size_t g = 0; g < namespaces.groups.size(); ++g) {
        report::TreemapGroup& group = namespaces.groups[g];
        if (group.parent >= 0) {
            const auto p = static_cast<std::size_t>(group.parent);
            if (renumbered[p] < 0) {  // collapsed: take its name and parent
                group.name = namespaces.groups[p].name + "::" + group.name;
                group.parent = namespaces.groups[p].parent;
            }
        }
        if (members[g] == 0 && subgroups[g] == 1) continue;  // renumbered[g] stays -1
        renumbered[g] = static_cast<std::int64_t>(kept.size());
        kept.push_back({group.parent < 0 ? -1 : renumbered[group.parent], group.name, 0, 0});
    }
    namespaces.groups = std::move(kept);
    const bool by_namespace = !namespaces.groups.empty(), by_unit = !units.groups.empty();
    if (!by_namespace && !by_unit) return;
    for (std::size_t i = 0; i < code.children.size(); ++i) {
        if (by_namespace) code.children[i].group_of.push_back(ns_of[i] < 0 ? -1 : renumbered[ns_of[i]]);
        if (by_unit) code.children[i].group_of.push_back(unit_of[i]);
    }
    if (by_namespace) code.groupings.push_back(std::move(namespaces));
    if (by_unit) code.groupings.push_back(std::move(units));
}

report::TreemapNode module_node(const ModuleAnalysis& m, std::size_t max_items) {
    report::TreemapNode root;
    root.name = m.file;
    root.kind = "module";
    root.bytes = m.raw;
    root.detail = std::to_string(m.functions.size()) + " functions, " + std::to_string(m.data.size()) +
                  " data segments" + (m.gzip ? ", gzip " + std::to_string(*m.gzip) + " bytes" : std::string()) +
                  (m.brotli ? ", brotli " + std::to_string(*m.brotli) + " bytes" : std::string());
    for (const auto& s : m.sections) {
        report::TreemapNode node;
        node.name = s.custom ? s.name + " (custom)" : s.name;
        node.kind = s.custom ? "custom" : "section";
        node.bytes = s.bytes;
        node.detail = percent_text(share(s.bytes, m.raw)) + " of the file" +
                      (s.custom ? std::string(", ") + to_string(*s.custom) : std::string());
        if (s.id == 10 && node.children.empty()) {
            node.children.reserve(m.functions.size());
            for (const auto& f : m.functions) {
                report::TreemapNode fn;
                fn.name = f.demangled.empty() ? f.name : f.demangled;
                fn.kind = "function";
                fn.bytes = f.body_bytes;
                fn.detail = "function " + std::to_string(f.index) +
                            (f.type_index < m.signatures.size() ? " " + m.signatures[f.type_index] : std::string()) +
                            ", name from " + to_string(f.name_source) +
                            (fn.name != f.name ? ", mangled " + f.name : std::string()) +
                            (f.group.empty() ? std::string() : ", namespace " + f.group) +
                            (f.compile_unit.empty() ? std::string() : ", compile unit " + f.compile_unit);
                node.children.push_back(std::move(fn));
            }
            group_functions(m, node);
            keep_largest(node.children, max_items, "functions", &node.groupings);
        } else if (s.id == 11 && node.children.empty()) {
            node.children.reserve(m.data.size());
            for (std::size_t i = 0; i < m.data.size(); ++i) {
                const DataSegment& d = m.data[i];
                report::TreemapNode seg;
                seg.name = "data[" + std::to_string(i) + "]" + (d.name.empty() ? "" : " " + d.name);
                seg.kind = "data";
                seg.bytes = d.size;
                if (d.passive) {
                    seg.detail = "passive";
                } else if (d.address) {
                    seg.detail = "at " + report::hex_text(*d.address);
                }
                node.children.push_back(std::move(seg));
            }
            keep_largest(node.children, max_items, "data segments");
        }
        root.children.push_back(std::move(node));
    }
    return root;
}

}  // namespace

report::TreemapNode treemap_tree(const Analysis& analysis, std::size_t max_items) {
    if (analysis.modules.size() == 1) return module_node(analysis.modules.front(), max_items);
    report::TreemapNode root;
    root.name = "modules";
    root.kind = "other";
    root.detail = std::to_string(analysis.modules.size()) + " modules";
    for (const auto& m : analysis.modules) {
        root.children.push_back(module_node(m, max_items));
        root.bytes += m.raw;
    }
    return root;
}

}  // namespace buildbudget::wasm
