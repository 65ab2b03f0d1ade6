#include "wasm/treemap_data.hpp"

#include "report/format.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

namespace buildbudget::wasm {

using report::percent_text;
using report::share;

namespace {

/// Keeps the `max_items` largest of `nodes` (by bytes, the earlier one first on
/// a tie), in that order, and folds the rest into one node of kind "other".
void keep_largest(std::vector<report::TreemapNode>& nodes, std::size_t max_items, const char* what) {
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
            rest_bytes += nodes[order[i]].bytes;
            ++rest;
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
            keep_largest(node.children, max_items, "functions");
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
