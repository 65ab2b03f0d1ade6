#include "wasm/callgraph.hpp"

#include <algorithm>
#include <utility>

namespace buildbudget::wasm {

const char* to_string(CallRoot::Kind kind) {
    switch (kind) {
        case CallRoot::Kind::export_function: return "export";
        case CallRoot::Kind::start: return "start";
        case CallRoot::Kind::element_segment: return "element";
        case CallRoot::Kind::global: return "global";
    }
    return "export";
}

namespace {

constexpr std::uint32_t none = CallGraph::none;

// Lengauer-Tarjan (TOPLAS 1979, figure 1 with the "simple" EVAL/LINK of
// section 3), over depth-first numbers: 0 is the virtual root. Fills
// g.idom (node numbers) for the reachable nodes.
void dominators(CallGraph& g, const std::vector<std::uint32_t>& vertex, const std::vector<std::uint32_t>& number,
                const std::vector<std::uint32_t>& parent) {
    const std::size_t n = vertex.size();
    // Predecessors (as depth-first numbers) of each reachable node, compressed rows.
    std::vector<std::uint32_t> pred_begin(n + 1, 0), pred;
    for (std::size_t v = 0; v < n; ++v) {
        const std::uint32_t node = vertex[v];
        for (std::uint32_t e = g.succ_begin[node]; e < g.succ_begin[node + 1]; ++e) ++pred_begin[number[g.succ[e]] + 1];
    }
    for (std::size_t v = 0; v < n; ++v) pred_begin[v + 1] += pred_begin[v];
    pred.resize(pred_begin[n]);
    {
        std::vector<std::uint32_t> fill(pred_begin.begin(), pred_begin.end() - 1);
        for (std::size_t v = 0; v < n; ++v) {
            const std::uint32_t node = vertex[v];
            for (std::uint32_t e = g.succ_begin[node]; e < g.succ_begin[node + 1]; ++e) {
                pred[fill[number[g.succ[e]]]++] = static_cast<std::uint32_t>(v);
            }
        }
    }

    std::vector<std::uint32_t> semi(n), label(n), ancestor(n, none), idom(n, 0), bucket_head(n, none), bucket_next(n, none);
    for (std::size_t v = 0; v < n; ++v) semi[v] = label[v] = static_cast<std::uint32_t>(v);
    std::vector<std::uint32_t> path;
    const auto eval = [&](std::uint32_t v) {
        if (ancestor[v] == none) return v;
        // COMPRESS(v), without recursion: the ancestors whose own ancestor is linked, top one last.
        path.clear();
        for (std::uint32_t x = v; ancestor[ancestor[x]] != none; x = ancestor[x]) path.push_back(x);
        for (auto it = path.rbegin(); it != path.rend(); ++it) {
            const std::uint32_t x = *it, a = ancestor[x];
            if (semi[label[a]] < semi[label[x]]) label[x] = label[a];
            ancestor[x] = ancestor[a];
        }
        return label[v];
    };
    for (std::size_t w = n - 1; w >= 1; --w) {
        for (std::uint32_t e = pred_begin[w]; e < pred_begin[w + 1]; ++e) {
            const std::uint32_t u = eval(pred[e]);
            if (semi[u] < semi[w]) semi[w] = semi[u];
        }
        bucket_next[w] = bucket_head[semi[w]];
        bucket_head[semi[w]] = static_cast<std::uint32_t>(w);
        const std::uint32_t p = parent[w];
        ancestor[w] = p;  // LINK(parent(w), w)
        for (std::uint32_t v = bucket_head[p]; v != none; v = bucket_next[v]) {
            const std::uint32_t u = eval(v);
            idom[v] = semi[u] < semi[v] ? u : p;
        }
        bucket_head[p] = none;
    }
    for (std::size_t w = 1; w < n; ++w) {
        if (idom[w] != semi[w]) idom[w] = idom[idom[w]];
    }
    for (std::size_t w = 0; w < n; ++w) g.idom[vertex[w]] = vertex[idom[w]];
}

}  // namespace

CallGraph build_call_graph(const std::uint8_t* data, std::size_t size, const Module& module, CodeRefs&& code) {
    CallGraph g;
    g.built = true;
    g.imported_functions = module.imported_function_count();
    g.functions = static_cast<std::uint32_t>(g.imported_functions + module.functions.size());

    const std::vector<ElementRefs> elements = decode_elements(data, size, module);

    // Roots and their functions.
    std::vector<std::vector<std::uint32_t>> root_targets;
    g.export_node.assign(module.exports.size(), none);
    for (std::size_t i = 0; i < module.exports.size(); ++i) {
        const Export& e = module.exports[i];
        if (e.kind != ExternalKind::function) continue;
        g.export_node[i] = static_cast<std::uint32_t>(g.functions + g.roots.size());
        g.roots.push_back({CallRoot::Kind::export_function, static_cast<std::uint32_t>(i)});
        root_targets.push_back({e.index});
    }
    if (module.start) {
        g.roots.push_back({CallRoot::Kind::start, 0});
        root_targets.push_back({*module.start});
    }
    for (std::size_t i = 0; i < elements.size(); ++i) {
        if (elements[i].mode == ElementRefs::Mode::declarative || elements[i].functions.empty()) continue;
        g.roots.push_back({CallRoot::Kind::element_segment, static_cast<std::uint32_t>(i)});
        root_targets.push_back(elements[i].functions);
    }
    const std::uint32_t first_global = module.imported_global_count();
    for (std::size_t i = 0; i < module.globals.size(); ++i) {
        const ConstExpr& init = module.globals[i].init;
        if (init.kind != ConstExpr::Kind::ref_func || init.value < 0 ||
            static_cast<std::uint64_t>(init.value) >= g.functions) {
            continue;
        }
        g.roots.push_back({CallRoot::Kind::global, static_cast<std::uint32_t>(first_global + i)});
        root_targets.push_back({static_cast<std::uint32_t>(init.value)});
    }
    g.root = static_cast<std::uint32_t>(g.functions + g.roots.size());
    const std::size_t n = std::size_t{g.root} + 1;

    // Successors: functions (sorted), roots, the virtual root. The decoder's targets are the
    // function rows already (each body's without repeats, imports have none): they are sorted
    // in place and kept, not copied (peak memory: doc/helper-wasm-analyze.md, "Speed").
    std::size_t root_edges = g.roots.size();
    for (const auto& targets : root_targets) root_edges += targets.size();
    g.succ = std::move(code.targets);
    g.succ.reserve(g.succ.size() + root_edges);
    g.succ_begin.reserve(n + 1);
    g.succ_begin.assign(g.imported_functions, 0);
    g.shallow.assign(n, 0);
    for (std::size_t i = 0; i < module.functions.size(); ++i) {
        g.succ_begin.push_back(code.offsets[i]);
        std::sort(g.succ.begin() + code.offsets[i], g.succ.begin() + code.offsets[i + 1]);
        g.shallow[g.imported_functions + i] = module.functions[i].body_size;
        g.code_bytes += module.functions[i].body_size;
        g.indirect_functions += code.indirect[i];
    }
    g.edges = g.succ.size();
    g.indirect_sites = code.indirect_sites;
    g.instructions = code.instructions;
    for (auto& targets : root_targets) {
        g.succ_begin.push_back(static_cast<std::uint32_t>(g.succ.size()));
        std::sort(targets.begin(), targets.end());
        targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
        g.succ.insert(g.succ.end(), targets.begin(), targets.end());
    }
    g.succ_begin.push_back(static_cast<std::uint32_t>(g.succ.size()));
    for (std::uint32_t r = g.functions; r < g.root; ++r) g.succ.push_back(r);
    g.succ_begin.push_back(static_cast<std::uint32_t>(g.succ.size()));

    // Depth-first numbering from the virtual root (preorder, iterative).
    std::vector<std::uint32_t> vertex, number(n, none), parent;
    vertex.reserve(n);
    parent.reserve(n);
    {
        std::vector<std::pair<std::uint32_t, std::uint32_t>> stack;  // node, next successor edge
        number[g.root] = 0;
        vertex.push_back(g.root);
        parent.push_back(0);
        stack.emplace_back(g.root, g.succ_begin[g.root]);
        while (!stack.empty()) {
            auto& [node, next] = stack.back();
            if (next == g.succ_begin[node + 1]) {
                stack.pop_back();
                continue;
            }
            const std::uint32_t w = g.succ[next++];
            if (number[w] != none) continue;
            const std::uint32_t from = number[node];
            number[w] = static_cast<std::uint32_t>(vertex.size());
            vertex.push_back(w);
            parent.push_back(from);
            stack.emplace_back(w, g.succ_begin[w]);
        }
    }
    g.idom.assign(n, none);
    dominators(g, vertex, number, parent);

    // Retained sizes: children before their dominator (a dominator has the lower depth-first number).
    g.retained.assign(n, 0);
    g.retained_functions.assign(n, 0);
    for (const std::uint32_t node : vertex) {
        g.retained[node] = g.shallow[node];
        g.retained_functions[node] = node >= g.imported_functions && node < g.functions ? 1 : 0;
    }
    for (std::size_t v = vertex.size() - 1; v >= 1; --v) {
        const std::uint32_t node = vertex[v], d = g.idom[node];
        g.retained[d] += g.retained[node];
        g.retained_functions[d] += g.retained_functions[node];
    }

    for (std::uint32_t f = g.imported_functions; f < g.functions; ++f) {
        if (number[f] == none) {
            g.garbage.push_back(f);
            g.garbage_bytes += g.shallow[f];
        }
    }

    // Breadth-first parents: one shortest path from the root to each node.
    g.bfs_parent.assign(n, none);
    {
        std::vector<std::uint32_t> queue;
        queue.reserve(vertex.size());
        queue.push_back(g.root);
        g.bfs_parent[g.root] = g.root;
        for (std::size_t head = 0; head < queue.size(); ++head) {
            const std::uint32_t node = queue[head];
            for (std::uint32_t e = g.succ_begin[node]; e < g.succ_begin[node + 1]; ++e) {
                const std::uint32_t w = g.succ[e];
                if (g.bfs_parent[w] != none) continue;
                g.bfs_parent[w] = node;
                queue.push_back(w);
            }
        }
    }

    // Once, for the recommendations, the report and the JSON.
    for (std::size_t i = 0; i < g.export_node.size(); ++i) {
        if (g.export_node[i] != none) g.export_order.push_back(i);
    }
    std::stable_sort(g.export_order.begin(), g.export_order.end(), [&g](std::size_t a, std::size_t b) {
        return g.retained[g.export_node[a]] > g.retained[g.export_node[b]];
    });
    return g;
}

const std::vector<std::size_t>& exports_by_retained(const CallGraph& g) { return g.export_order; }

std::vector<std::uint32_t> callers_of(const CallGraph& g, std::uint32_t node) {
    std::vector<std::uint32_t> out;
    for (std::uint32_t f = 0; f < g.root; ++f) {
        const auto first = g.succ.begin() + g.succ_begin[f], last = g.succ.begin() + g.succ_begin[f + 1];
        // Function rows are sorted; root rows are too (sorted when built).
        if (std::binary_search(first, last, node)) out.push_back(f);
    }
    return out;
}

std::vector<std::vector<std::uint32_t>> paths_to(const CallGraph& g, std::uint32_t node, std::size_t limit) {
    std::vector<std::vector<std::uint32_t>> out;
    if (node >= g.root || !g.reachable(node)) return out;
    for (const std::uint32_t caller : callers_of(g, node)) {
        if (!g.reachable(caller)) continue;
        std::vector<std::uint32_t> path{node};
        for (std::uint32_t x = caller; x != g.root; x = g.bfs_parent[x]) path.push_back(x);
        std::reverse(path.begin(), path.end());
        out.push_back(std::move(path));
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
    if (out.size() > limit) out.resize(limit);
    return out;
}

std::vector<std::uint32_t> dominators_of(const CallGraph& g, std::uint32_t node) {
    std::vector<std::uint32_t> out;
    if (node >= g.root || !g.reachable(node)) return out;
    for (std::uint32_t d = g.idom[node]; d != g.root; d = g.idom[d]) out.push_back(d);
    return out;
}

}  // namespace buildbudget::wasm
