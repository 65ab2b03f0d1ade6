// The call graph of a module and its dominator tree, for `buildbudget wasm
// analyze` (doc/helper-wasm-analyze.md, "Retained sizes and --why"): which
// functions each export keeps alive (its retained size), which functions
// nothing reaches (garbage), and the paths by which a function is reached.
//
// Nodes: every function of the function index space (imported ones have no
// body: 0 bytes), one node per root, and a virtual root above the roots.
// Roots: each function export, the start function, each active or passive
// element segment (its functions sit in a table, where call_indirect and
// table.get reach them; the binary does not say which code took their
// addresses), and each global initialised with ref.func. Edges: root -> its
// functions; function -> the targets of its call, return_call and ref.func
// instructions (wasm/code.hpp). Declarative element segments only declare
// what ref.func uses, so they are not roots.
//
// Definitions (twiggy, rustwasm/twiggy, "Concepts"): node d dominates node n
// when every path from the virtual root to n passes through d; the retained
// size of d is the shallow size (body bytes) of d and of every node it
// dominates: the bytes that would go if d went, and with it everything only d
// keeps. Garbage: defined functions no root reaches. The dominator tree is
// computed with the algorithm of T. Lengauer and R. E. Tarjan, "A fast
// algorithm for finding dominators in a flowgraph", ACM TOPLAS 1(1):121-141,
// 1979 (the "simple" version: path compression, O(E log N)), iterative so
// that deep call chains cannot overflow the stack.
#pragma once

#include "wasm/code.hpp"
#include "wasm/reader.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace buildbudget::wasm {

/// A root of the call graph.
struct CallRoot {
    enum class Kind { export_function, start, element_segment, global } kind = Kind::export_function;
    /// export_function: position in Module::exports (its name is there: not copied, a module can
    /// have 75,111 of them); element_segment: segment index; global: global index (index space);
    /// start: 0.
    std::uint32_t index = 0;
};

/// "export", "start", "element", "global".
[[nodiscard]] const char* to_string(CallRoot::Kind kind);

struct CallGraph {
    static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

    bool built = false;  ///< false: not computed (`analyze --no-call-graph`), everything below empty

    std::uint32_t functions = 0;          ///< function index space (imports first): nodes 0 .. functions-1
    std::uint32_t imported_functions = 0;
    std::vector<CallRoot> roots;          ///< node functions + i is roots[i]
    std::uint32_t root = 0;               ///< the virtual root: functions + roots.size()
    /// Successors, compressed rows: node n's are succ[succ_begin[n] .. succ_begin[n + 1]),
    /// each function's sorted and without repeats.
    std::vector<std::uint32_t> succ_begin, succ;
    std::vector<std::uint64_t> shallow;   ///< body bytes of each node (0 for imports and roots)
    std::vector<std::uint32_t> idom;      ///< immediate dominator; none when unreachable; root's is root
    std::vector<std::uint64_t> retained;  ///< retained bytes; 0 when unreachable
    std::vector<std::uint32_t> retained_functions;  ///< defined functions among the dominated (itself included)
    std::vector<std::uint32_t> bfs_parent;  ///< on one shortest path from the root; none when unreachable
    std::uint64_t edges = 0;              ///< function -> function edges
    std::uint64_t indirect_sites = 0;     ///< call_indirect + return_call_indirect instructions
    std::uint64_t instructions = 0;       ///< in all bodies (CodeRefs::instructions)
    std::uint32_t indirect_functions = 0; ///< defined functions with at least one
    std::uint64_t code_bytes = 0;         ///< all defined functions' body bytes
    std::uint64_t garbage_bytes = 0;      ///< body bytes of the unreachable defined functions
    std::vector<std::uint32_t> garbage;   ///< unreachable defined functions, index order

    /// The root node of each export (by position in Module::exports); none for
    /// exports of other kinds.
    std::vector<std::uint32_t> export_node;
    /// The positions in Module::exports of the function exports, by retained
    /// size (largest first), then by position (exports_by_retained()).
    std::vector<std::size_t> export_order;

    [[nodiscard]] std::size_t nodes() const { return shallow.size(); }
    [[nodiscard]] bool reachable(std::uint32_t node) const { return idom[node] != none; }
};

/// Builds the graph and its dominator tree for `module`, parsed from the `size`
/// bytes at `data`, from its bodies' references decoded already (decode_code()
/// or CodeDecoding::finish() on the same module), which it takes over. Throws
/// ParseError on a malformed element segment (see code.hpp).
[[nodiscard]] CallGraph build_call_graph(const std::uint8_t* data, std::size_t size, const Module& module,
                                         CodeRefs&& code);

/// The positions in Module::exports of the function exports, by retained size
/// (largest first), then by position: CallGraph::export_order, which
/// build_call_graph() sorts once (75,111 exports on duckdb-mvp.wasm).
[[nodiscard]] const std::vector<std::size_t>& exports_by_retained(const CallGraph& graph);

/// Up to `limit` paths from a root to `node`, each a list of nodes from a root
/// node (not the virtual root) to `node`: one per caller (predecessor) of
/// `node`, each a shortest path to that caller, shortest first (then by the
/// caller's index). Empty when `node` is unreachable; [[node]] never occurs
/// (a function is reached through a root node).
[[nodiscard]] std::vector<std::vector<std::uint32_t>> paths_to(const CallGraph& graph, std::uint32_t node,
                                                               std::size_t limit);

/// The predecessors of `node` (functions that call or ref.func it, and root
/// nodes), in node order.
[[nodiscard]] std::vector<std::uint32_t> callers_of(const CallGraph& graph, std::uint32_t node);

/// The dominators of `node`, from its immediate dominator up to (excluding)
/// the virtual root. Empty when unreachable or when only the root dominates it.
[[nodiscard]] std::vector<std::uint32_t> dominators_of(const CallGraph& graph, std::uint32_t node);

}  // namespace buildbudget::wasm
