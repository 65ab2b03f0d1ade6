// `buildbudget wasm analyze` (doc/helper-wasm-analyze.md, "buildbudget wasm
// analyze"): where the bytes of one or more modules go,
// recommendations, a JSON report, an HTML treemap and a comparison with an
// earlier report. The model is wasm/analysis.hpp (with recommendations.hpp,
// baseline.hpp, analysis_json.hpp and treemap_data.hpp); this file reads the
// command line and the files and renders the text.
//
//   buildbudget wasm analyze <module.wasm>... [--json] [--html FILE] [--top N]
//       [--no-compression] [--no-cache] [--baseline OLD.json] [--fail-above-bytes N]
//       [--fail-above-percent P] [--report FILE] [--why FUNCTION] [--no-call-graph]
//
// The text report is printed as soon as the modules are parsed; the gzip and
// brotli sizes follow in their own table at its end, after the
// recommendations, once computed (wasm/size_cache.hpp: concurrently, cached,
// or from the module's size report), with a progress line on stderr when it
// is a terminal. The text is the same whatever the timing.
//
// Exit codes: 0 done; 1 an unreadable or malformed module (error with the
// file and the byte offset), a bad baseline file, an output that cannot be
// written, or growth over --fail-above-bytes / --fail-above-percent; 2 usage
// error (e.g. a --fail-above-* option without --baseline).
#include "budget/size.hpp"
#include "cli/options.hpp"
#include "cli/wasm.hpp"
#include "common/heap.hpp"
#include "common/output_file.hpp"
#include "common/templates.hpp"
#include "report/format.hpp"
#include "report/table.hpp"
#include "report/treemap_html.hpp"
#include "wasm/analysis.hpp"
#include "wasm/analysis_json.hpp"
#include "wasm/baseline.hpp"
#include "wasm/recommendations.hpp"
#include "wasm/size.hpp"
#include "wasm/size_cache.hpp"
#include "wasm/symbols.hpp"
#include "wasm/treemap_data.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace buildbudget::cli {
namespace {

using report::Align;
using report::hex_text;
using report::percent_cell;
using report::signed_percent_text;
using report::signed_text;
using report::size_cell;
namespace wa = wasm;

/// Treemap items kept per section in the HTML page (the rest are one node):
/// a few thousand rectangles are more than a screen can show, and keep the
/// page under a megabyte even for modules with 10^5 data segments.
constexpr std::size_t treemap_max_items = 2000;

/// Names longer than this (code points) are shortened in the text tables
/// (C++ and Rust names can be hundreds of characters); JSON has them whole.
constexpr std::size_t max_name_columns = 96;

struct AnalyzeOptions {
    std::vector<std::string> files;
    bool json = false;
    bool no_compression = false;
    bool no_cache = false;
    std::string html, report, baseline, fail_bytes, fail_percent;
    std::size_t top = 20;
    std::vector<std::string> symbols;  ///< --symbols: a map or twin per module, in order (wasm/symbols.hpp)
    std::string why;  ///< --why: a function's name or index (print_why())
    bool no_call_graph = false;  ///< --no-call-graph: no decoding of bodies (wasm/callgraph.hpp)
};

/// `name` cut to max_name_columns code points (at a UTF-8 boundary), with "...".
std::string shorten(const std::string& name) {
    std::size_t columns = 0;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if ((static_cast<unsigned char>(name[i]) & 0xC0) == 0x80) continue;
        if (++columns > max_name_columns) return name.substr(0, i) + "...";
    }
    return name;
}

std::string memory_text(const wa::ModuleAnalysis& m) {
    if (!m.memory) return "Linear memory: none";
    const wa::Limits& l = *m.memory;
    return std::string("Linear memory") + (m.memory_imported ? " (imported): " : ": ") +
           size_cell(wa::pages_to_bytes(l.initial)) + " initial (" + std::to_string(l.initial) + " pages), " +
           (l.maximum ? size_cell(wa::pages_to_bytes(*l.maximum)) + " maximum (" + std::to_string(*l.maximum) + " pages)"
                      : std::string("no maximum")) +
           (l.shared ? ", shared" : "") + (l.is64 ? ", 64-bit" : "");
}

/// How many rows of `total` a top-N table shows (--top 0: all).
std::size_t rows_of(std::size_t total, std::size_t top) { return top == 0 ? total : std::min(total, top); }

std::string lower(const char* what) {
    std::string s = what;
    if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
}

std::string top_title(const char* what, std::size_t shown, std::size_t total) {
    if (shown == total) return std::string(what) + " (" + std::to_string(total) + ", largest first):";
    return "Largest " + lower(what) + " (" + std::to_string(shown) + " of " + std::to_string(total) + "):";
}

/// Indices 0..n-1 ordered by `bytes(i)` descending, the lower index first on a tie; only the first `keep`.
template <typename Bytes>
std::vector<std::size_t> largest(std::size_t n, std::size_t keep, Bytes bytes) {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    const auto by_size = [&](std::size_t a, std::size_t b) {
        const std::uint64_t x = bytes(a), y = bytes(b);
        return x != y ? x > y : a < b;
    };
    if (keep < n) {
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), by_size);
        order.resize(keep);
    } else {
        std::sort(order.begin(), order.end(), by_size);
    }
    return order;
}

// --- The call graph: retained sizes, garbage and --why (wasm/callgraph.hpp) ---------------

/// A call graph node as the text shows it: a function's (demangled) name, an
/// import's "module.name (import)", or a root ("export \"run\"", "start",
/// "element segment 0", "global 3").
std::string node_text(const wa::ModuleAnalysis& m, std::uint32_t node) {
    const wa::CallGraph& g = m.call_graph;
    if (node < g.imported_functions) {
        std::uint32_t k = 0;
        for (const auto& imp : m.imports) {
            if (imp.kind == wa::ExternalKind::function && k++ == node) {
                return shorten(imp.module + "." + imp.name) + " (import)";
            }
        }
    }
    if (node < g.functions) {
        const auto& f = m.functions[node - g.imported_functions];
        return shorten(f.demangled.empty() ? f.name : f.demangled);
    }
    const wa::CallRoot& r = g.roots[node - g.functions];
    switch (r.kind) {
        case wa::CallRoot::Kind::export_function: return "export \"" + shorten(m.exports[r.index].name) + "\"";
        case wa::CallRoot::Kind::start: return "start";
        case wa::CallRoot::Kind::element_segment: return "element segment " + std::to_string(r.index);
        case wa::CallRoot::Kind::global: return "global " + std::to_string(r.index);
    }
    return "?";
}

void print_call_graph(std::ostream& out, const wa::ModuleAnalysis& m, std::size_t top) {
    const wa::CallGraph& g = m.call_graph;
    if (!g.built) {
        out << "\nCall graph: not computed (--no-call-graph)\n";
        return;
    }
    const std::vector<std::size_t>& exports = wa::exports_by_retained(g);
    if (!exports.empty()) {
        const std::size_t shown = rows_of(exports.size(), top);
        std::vector<std::vector<std::string>> rows;
        for (std::size_t k = 0; k < shown; ++k) {
            const std::uint32_t node = g.export_node[exports[k]];
            const wa::Export& e = m.exports[exports[k]];
            rows.push_back({shorten(e.name), node_text(m, e.index), std::to_string(g.retained[node]),
                            percent_cell(g.retained[node], g.code_bytes), std::to_string(g.retained_functions[node])});
        }
        out << '\n' << top_title("Exports by retained size", shown, exports.size()) << '\n'
            << report::render_table({"Export", "Function", "Retained bytes", "% of code", "Functions"}, rows,
                                    {Align::left, Align::left, Align::right, Align::right, Align::right});
    }
    out << "Call graph: " << g.edges << " calls and references between functions, " << g.roots.size() << " roots, "
        << g.indirect_sites << " call_indirect in " << g.indirect_functions
        << (g.indirect_functions == 1 ? " function; " : " functions; ");
    if (g.garbage.empty()) {
        out << "every function is reachable\n";
        return;
    }
    std::string names;
    for (std::size_t k = 0; k < g.garbage.size() && k < 5; ++k) names += (k ? ", " : "") + node_text(m, g.garbage[k]);
    out << "unreachable (garbage): " << g.garbage.size() << (g.garbage.size() == 1 ? " function, " : " functions, ")
        << g.garbage_bytes << " body bytes (" << percent_cell(g.garbage_bytes, g.code_bytes) << " of code): " << names
        << (g.garbage.size() > 5 ? ", ..." : "") << '\n';
}

/// The functions --why names: an index, else every function whose name,
/// demangled name or export name is `what`.
std::vector<std::uint32_t> why_targets(const wa::ModuleAnalysis& m, const std::string& what) {
    const wa::CallGraph& g = m.call_graph;
    std::vector<std::uint32_t> out;
    if (!what.empty() && what.find_first_not_of("0123456789") == std::string::npos && what.size() < 10) {
        const unsigned long index = std::stoul(what);
        if (index < g.functions) out.push_back(static_cast<std::uint32_t>(index));
        return out;
    }
    for (const auto& f : m.functions) {
        if (f.name == what || f.demangled == what) out.push_back(f.index);
    }
    for (const auto& e : m.exports) {
        if (e.kind == wa::ExternalKind::function && e.name == what) out.push_back(e.index);
    }
    std::uint32_t k = 0;
    for (const auto& imp : m.imports) {
        if (imp.kind != wa::ExternalKind::function) continue;
        if (imp.name == what || imp.module + "." + imp.name == what) out.push_back(k);
        ++k;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

/// `analyze --why`: for each function `what` names in `m`, its retained size,
/// its dominators and up to `limit` shortest paths from the roots. False when
/// `m` has no such function.
bool print_why(std::ostream& out, const wa::ModuleAnalysis& m, const std::string& what, std::size_t limit) {
    const wa::CallGraph& g = m.call_graph;
    const std::vector<std::uint32_t> targets = why_targets(m, what);
    for (const std::uint32_t f : targets) {
        out << m.file << ": " << node_text(m, f) << " (function " << f << ", " << g.shallow[f] << " body bytes)\n";
        if (!g.reachable(f)) {
            out << "  unreachable: no export, start function, element segment or global leads to it (garbage)\n";
            continue;
        }
        out << "  retains " << g.retained[f] << " body bytes (" << percent_cell(g.retained[f], g.code_bytes)
            << " of code, " << g.retained_functions[f] << (g.retained_functions[f] == 1 ? " function" : " functions")
            << "): its own and those only it reaches\n";
        const std::vector<std::uint32_t> doms = wa::dominators_of(g, f);
        if (doms.empty()) {
            out << "  dominated by no single function or root: more than one root reaches it\n";
        } else {
            std::string chain;
            for (const std::uint32_t d : doms) chain += (chain.empty() ? "" : " <- ") + node_text(m, d);
            out << "  dominated by (every path passes through): " << chain << '\n';
        }
        const std::vector<std::uint32_t> callers = wa::callers_of(g, f);
        const auto paths = wa::paths_to(g, f, limit);
        out << "  reached from " << callers.size() << (callers.size() == 1 ? " caller" : " callers")
            << "; the shortest path through each"
            << (paths.size() < callers.size() ? " (" + std::to_string(paths.size()) + " shown)" : "") << ":\n";
        for (const auto& path : paths) {
            std::string text;
            for (const std::uint32_t node : path) text += (text.empty() ? "" : " -> ") + node_text(m, node);
            out << "    " << text << '\n';
        }
    }
    return !targets.empty();
}

void print_module(std::ostream& out, const wa::ModuleAnalysis& m, std::size_t top) {
    out << m.file << ": WebAssembly module, " << format_size(m.raw) << " (" << m.raw << " bytes)\n";
    std::size_t customs = 0;
    for (const auto& s : m.sections) customs += s.custom ? 1 : 0;
    out << m.sections.size() << " sections (" << customs << " custom), " << m.functions.size() << " functions (and "
        << m.imported_functions << " imported), " << m.data.size() << " data segments, " << m.imports.size()
        << " imports, " << m.exports.size() << " exports, " << m.signatures.size() << " types\n";
    out << memory_text(m) << '\n';
    if (!m.producers.empty()) {
        std::string text;
        for (const auto& [field, values] : m.producers) {
            std::string list;
            for (const auto& [tool, version] : values) list += (list.empty() ? "" : ", ") + tool + (version.empty() ? "" : " " + version);
            text += (text.empty() ? "" : "; ") + field + ": " + list;
        }
        out << "Producers: " << text << '\n';
    }
    if (!m.target_features.empty()) {
        std::string text;
        for (const auto& f : m.target_features) text += (text.empty() ? "" : ", ") + f;
        out << "Target features: " << text << '\n';
    }

    // Sections.
    {
        const std::size_t shown = rows_of(m.sections.size(), top);
        const auto order = largest(m.sections.size(), shown, [&](std::size_t i) { return m.sections[i].bytes; });
        std::vector<std::vector<std::string>> rows;
        for (const std::size_t i : order) {
            const auto& s = m.sections[i];
            rows.push_back({s.custom ? s.name + " (custom)" : s.name, std::to_string(s.bytes), percent_cell(s.bytes, m.raw)});
        }
        out << '\n' << top_title("Sections", shown, m.sections.size()) << '\n'
            << report::render_table({"Section", "Bytes", "% of file"}, rows, {Align::left, Align::right, Align::right});
    }

    // Functions.
    if (!m.functions.empty()) {
        const std::uint64_t code = m.section_bytes(10);
        const std::size_t shown = rows_of(m.functions.size(), top);
        const auto order = largest(m.functions.size(), shown, [&](std::size_t i) { return m.functions[i].body_bytes; });
        std::vector<std::vector<std::string>> rows;
        for (const std::size_t i : order) {
            const auto& f = m.functions[i];
            rows.push_back({std::to_string(f.index), shorten(f.demangled.empty() ? f.name : f.demangled),
                            wa::to_string(f.name_source), std::to_string(f.body_bytes), percent_cell(f.body_bytes, code)});
        }
        out << '\n' << top_title("Functions", shown, m.functions.size()) << '\n'
            << report::render_table({"Index", "Function", "Name from", "Body bytes", "% of code"}, rows,
                                    {Align::right, Align::left, Align::left, Align::right, Align::right});
        if (!m.names_file.empty()) out << "Names from " << m.names_file << '\n';
        // The code by namespace / crate path, and by DWARF compile unit (wasm/symbols.hpp function_groups()).
        for (const bool by_unit : {false, true}) {
            const std::vector<wa::FunctionGroup> groups = wa::function_groups(m, by_unit);
            if (groups.empty() || (!by_unit && groups.size() == 1 && groups.front().name == "(global)")) continue;
            const std::size_t n = rows_of(groups.size(), top);
            std::vector<std::vector<std::string>> group_rows;
            for (std::size_t g = 0; g < n; ++g) {
                group_rows.push_back({shorten(groups[g].name), std::to_string(groups[g].functions),
                                      std::to_string(groups[g].body_bytes), percent_cell(groups[g].body_bytes, code)});
            }
            const char* what = by_unit ? "Code by compile unit" : "Code by namespace";
            out << '\n' << top_title(what, n, groups.size()) << '\n'
                << report::render_table({by_unit ? "Compile unit" : "Namespace", "Functions", "Body bytes", "% of code"},
                                        group_rows, {Align::left, Align::right, Align::right, Align::right});
            if (by_unit) out << "Compile units from the DWARF of " << m.dwarf_file << '\n';
        }
    }

    print_call_graph(out, m, top);

    // Data segments.
    if (!m.data.empty()) {
        const std::uint64_t data = m.section_bytes(11);
        const std::size_t shown = rows_of(m.data.size(), top);
        const auto order = largest(m.data.size(), shown, [&](std::size_t i) { return m.data[i].size; });
        std::vector<std::vector<std::string>> rows;
        for (const std::size_t i : order) {
            const auto& d = m.data[i];
            rows.push_back({std::to_string(i), d.name.empty() ? "-" : shorten(d.name), std::to_string(d.size),
                            d.passive ? "passive" : d.address ? hex_text(*d.address) : "(computed)", percent_cell(d.size, data)});
        }
        out << '\n' << top_title("Data segments", shown, m.data.size()) << '\n'
            << report::render_table({"Index", "Name", "Bytes", "Address", "% of data"}, rows,
                                    {Align::right, Align::left, Align::right, Align::left, Align::right});
    }

    // Imports and exports by kind.
    {
        static constexpr wa::ExternalKind kinds[] = {wa::ExternalKind::function, wa::ExternalKind::table,
                                                     wa::ExternalKind::memory, wa::ExternalKind::global,
                                                     wa::ExternalKind::tag};
        std::vector<std::vector<std::string>> rows;
        for (const auto kind : kinds) {
            const auto imports = std::count_if(m.imports.begin(), m.imports.end(), [&](const auto& i) { return i.kind == kind; });
            const auto exports = std::count_if(m.exports.begin(), m.exports.end(), [&](const auto& e) { return e.kind == kind; });
            if (imports + exports > 0) rows.push_back({wa::to_string(kind), std::to_string(imports), std::to_string(exports)});
        }
        rows.push_back({"total", std::to_string(m.imports.size()), std::to_string(m.exports.size())});
        out << "\nImports and exports:\n"
            << report::render_table({"Kind", "Imports", "Exports"}, rows, {Align::left, Align::right, Align::right});
    }

    // Custom sections.
    if (customs > 0) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& s : m.sections) {
            if (s.custom) rows.push_back({shorten(s.name), wa::to_string(*s.custom), std::to_string(s.bytes), percent_cell(s.bytes, m.raw)});
        }
        out << "\nCustom sections:\n"
            << report::render_table({"Name", "Category", "Bytes", "% of file"}, rows,
                                    {Align::left, Align::left, Align::right, Align::right});
    }

    // Duplicate bodies.
    if (!m.duplicates.empty()) {
        const std::size_t shown = rows_of(m.duplicates.size(), top);
        std::vector<std::vector<std::string>> rows;
        for (std::size_t g = 0; g < shown; ++g) {
            const auto& group = m.duplicates[g];
            std::string names;
            for (std::size_t k = 0; k < group.functions.size() && k < 3; ++k) {
                names += (k ? ", " : "") + m.functions[group.functions[k] - m.imported_functions].name;
            }
            if (group.functions.size() > 3) names += ", ...";
            rows.push_back({std::to_string(group.functions.size()), std::to_string(group.body_bytes),
                            std::to_string(group.saved_bytes()), shorten(names)});
        }
        out << '\n'
            << (shown == m.duplicates.size() ? "Functions with identical bodies (" + std::to_string(shown) + " groups):"
                                             : "Functions with identical bodies (" + std::to_string(shown) + " of " +
                                                   std::to_string(m.duplicates.size()) + " groups):")
            << '\n'
            << report::render_table({"Copies", "Body bytes", "Saved bytes", "Functions"}, rows,
                                    {Align::right, Align::right, Align::right, Align::left});
    }
}

std::string delta_row_text(const wa::SizeDelta& d) { return signed_text(d.delta()); }

void print_baseline(std::ostream& out, const wa::BaselineDiff& diff, std::size_t top) {
    out << "\nCompared with the baseline " << diff.file << ":\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : diff.modules) {
        const std::string name = m.old_file.empty()   ? m.new_file + " (added)"
                                 : m.new_file.empty() ? m.old_file + " (removed)"
                                 : m.old_file == m.new_file ? m.new_file
                                                            : m.old_file + " -> " + m.new_file;
        rows.push_back({name, std::to_string(m.raw.old_bytes), std::to_string(m.raw.new_bytes), delta_row_text(m.raw),
                        signed_percent_text(m.raw.percent()),
                        m.gzip ? signed_text(m.gzip->delta()) : "-", m.brotli ? signed_text(m.brotli->delta()) : "-"});
    }
    if (diff.modules.size() > 1) {
        rows.push_back({"total", std::to_string(diff.total.old_bytes), std::to_string(diff.total.new_bytes),
                        delta_row_text(diff.total), signed_percent_text(diff.total.percent()), "", ""});
    }
    out << report::render_table({"Module", "Old bytes", "New bytes", "Change", "%", "gzip change", "brotli change"}, rows,
                                {Align::left, Align::right, Align::right, Align::right, Align::right, Align::right,
                                 Align::right});
    const auto items = [&](const char* what, const std::string& module, const std::vector<wa::ItemDelta>& list,
                           const std::string& note) {
        if (list.empty()) return;
        const std::size_t shown = rows_of(list.size(), top);
        std::vector<std::vector<std::string>> r;
        for (std::size_t i = 0; i < shown; ++i) {
            const auto& d = list[i];
            r.push_back({shorten(d.name), wa::to_string(d.change), std::to_string(d.size.old_bytes),
                         std::to_string(d.size.new_bytes), signed_text(d.size.delta()), signed_percent_text(d.size.percent())});
        }
        out << "\nChanged " << what << " of " << module << " ("
            << (shown == list.size() ? std::to_string(shown) : std::to_string(shown) + " of " + std::to_string(list.size()))
            << ", largest change first" << note << "):\n"
            << report::render_table({what[0] == 's' ? "Section" : "Function", "Change", "Old bytes", "New bytes",
                                     "Delta", "%"},
                                    r, {Align::left, Align::left, Align::right, Align::right, Align::right, Align::right});
    };
    for (const auto& m : diff.modules) {
        const std::string& name = m.new_file.empty() ? m.old_file : m.new_file;
        items("sections", name, m.sections, "");
        items("functions", name, m.functions, "; " + std::to_string(m.unchanged_functions) + " unchanged");
    }
}

/// The part of the text report that the parse gives: each module, the total and the recommendations.
void print_text(std::ostream& out, const wa::Analysis& a, std::size_t top) {
    for (std::size_t i = 0; i < a.modules.size(); ++i) {
        if (i != 0) out << '\n';
        print_module(out, a.modules[i], top);
    }
    if (a.modules.size() > 1) {
        out << "\nTotal: " << a.modules.size() << " modules, " << format_size(a.total_raw()) << " ("
            << a.total_raw() << " bytes) raw\n";
    }
    out << '\n';
    if (a.recommendations.empty()) {
        out << "Recommendations: none\n";
    } else {
        out << "Recommendations:\n";
        for (const auto& r : a.recommendations) out << "- [" << r.id << "] " << r.message << '\n';
    }
}

/// The compressed sizes, which follow the rest of the report once computed (or the line saying they were not).
void print_compressed(std::ostream& out, const wa::Analysis& a) {
    std::vector<std::vector<std::string>> rows;
    std::uint64_t gzip = 0, brotli = 0;
    for (const auto& m : a.modules) {
        if (!m.gzip || !m.brotli) {
            out << "\nCompressed sizes: not computed (--no-compression)\n";
            return;
        }
        gzip += *m.gzip;
        brotli += *m.brotli;
        rows.push_back({m.file, size_cell(m.raw), size_cell(*m.gzip), percent_cell(*m.gzip, m.raw), size_cell(*m.brotli),
                        percent_cell(*m.brotli, m.raw)});
    }
    if (a.modules.size() > 1) {
        const std::uint64_t raw = a.total_raw();
        rows.push_back({"total", size_cell(raw), size_cell(gzip), percent_cell(gzip, raw), size_cell(brotli),
                        percent_cell(brotli, raw)});
    }
    out << "\nCompressed sizes:\n"
        << report::render_table({"Module", "Raw", "gzip -9", "Ratio", "brotli -q 11", "Ratio"}, rows,
                                {Align::left, Align::right, Align::right, Align::right, Align::right, Align::right});
}

/// The progress line of the compressed sizes on stderr, only when stderr is
/// a terminal: rewritten in place ("\r"), cut to the terminal's width so it
/// never wraps, and blanked out when done.
class ProgressLine {
public:
    ProgressLine() : active_(::isatty(STDERR_FILENO) == 1) {}
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;
    ~ProgressLine() { clear(); }

    void show(std::string text) {
        if (!active_) return;
        struct winsize size {};
        const std::size_t columns = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 ? size.ws_col - 1 : 79;
        if (text.size() > columns) text.resize(columns);
        if (text == shown_) return;
        std::cerr << '\r' << text << std::string(shown_.size() > text.size() ? shown_.size() - text.size() : 0, ' ')
                  << std::flush;
        shown_ = std::move(text);
    }

    void clear() {
        if (!active_ || shown_.empty()) return;
        std::cerr << '\r' << std::string(shown_.size(), ' ') << '\r' << std::flush;
        shown_.clear();
    }

private:
    bool active_;
    std::string shown_;
};

std::vector<std::string> html_summary(const wa::Analysis& a) {
    std::vector<std::string> lines;
    for (const auto& m : a.modules) {
        std::string line = m.file + ": " + size_cell(m.raw) + " bytes raw";
        if (m.gzip) line += ", " + size_cell(*m.gzip) + " gzip -9 (" + percent_cell(*m.gzip, m.raw) + ")";
        if (m.brotli) line += ", " + size_cell(*m.brotli) + " brotli -q 11 (" + percent_cell(*m.brotli, m.raw) + ")";
        line += "; " + std::to_string(m.functions.size()) + " functions, " + std::to_string(m.data.size()) +
                " data segments, " + std::to_string(m.sections.size()) + " sections";
        lines.push_back(std::move(line));
        // The two groupings of its code (wasm/symbols.hpp), their five largest.
        for (const bool by_unit : {false, true}) {
            const auto groups = wa::function_groups(m, by_unit);
            if (groups.empty() || (!by_unit && groups.size() == 1)) continue;
            std::string text = m.file + (by_unit ? ": code by compile unit: " : ": code by namespace: ");
            for (std::size_t g = 0; g < groups.size() && g < 5; ++g) {
                text += (g ? ", " : "") + groups[g].name + " " + size_cell(groups[g].body_bytes);
            }
            lines.push_back(text + (groups.size() > 5 ? ", ..." : ""));
        }
    }
    for (const auto& r : a.recommendations) lines.push_back("Recommendation [" + r.id + "]: " + r.message);
    return lines;
}

/// Reads `path` into `text`; on failure `error` is "<path>: cannot read: <reason>".
// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): two outputs, named at the one call
bool read_text(const std::string& path, std::string& text, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = path + ": cannot read: " + std::strerror(errno);
        return false;
    }
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) {
        error = path + ": cannot read: " + std::strerror(errno);
        return false;
    }
    return true;
}

int run_analyze(const AnalyzeOptions& o) {
    // Usage errors first (exit 2), before anything is read.
    if (o.symbols.size() > o.files.size()) {
        throw CLI::ValidationError("--symbols", "given " + std::to_string(o.symbols.size()) + " times for " +
                                                    std::to_string(o.files.size()) +
                                                    " modules; expected at most one per module, in the modules' order");
    }
    wa::GrowthLimits limits;
    limits.bytes = fail_above_bytes(o.fail_bytes);
    limits.percent = fail_above_percent(o.fail_percent);

    std::optional<wa::Baseline> baseline;
    if (!o.baseline.empty()) {
        std::string text, error;
        if (!read_text(o.baseline, text, error)) return fail(error);
        try {
            baseline = wa::parse_baseline(text, o.baseline);
        } catch (const wa::BaselineError& e) {
            return fail(e.what());
        }
    }

    // The page's template (templates/treemap/treemap.html), before any output.
    std::string page_template;
    if (!o.html.empty()) {
        try {
            page_template = read_template(report::treemap_template);
        } catch (const std::runtime_error& e) {
            return fail(e.what());
        }
    }

    // The model is built from many small allocations that live until the end: on a heap backed
    // by huge pages, they fault in 2 MiB at a time instead of 4 KiB (common/heap.hpp). Twice the
    // modules' size is the most analyze is meant to use (doc/helper-wasm-analyze.md, "Speed").
    {
        std::uintmax_t total = 0;
        std::error_code ignored;
        for (const auto& file : o.files) {
            const auto bytes = std::filesystem::file_size(file, ignored);
            if (!ignored) total += bytes;
        }
        reserve_heap(static_cast<std::size_t>(std::min<std::uintmax_t>(2 * total, SIZE_MAX / 2)));
    }

    // Every input is read and checked before anything is printed or
    // compressed: a bad one stops the run at once.
    std::vector<wa::ModuleForAnalysis> loaded(o.files.size());
    std::vector<wa::ModuleNames> module_names(o.files.size());
    for (std::size_t i = 0; i < o.files.size(); ++i) {
        const std::string& file = o.files[i];
        try {
            // Mapped, or copied to huge pages (wasm/reader.hpp, FileBytes); the call graph's decoding
            // begun once the code is parsed.
            loaded[i] = wa::read_for_analysis(file, !o.no_call_graph);
        } catch (const std::runtime_error& e) {
            return fail(e.what());
        }
        // Names for a stripped module: --symbols, else a symbol map beside it; and its DWARF compile units.
        wa::ModuleNames& names = module_names[i];
        try {
            names = wa::find_names(file, loaded[i].bytes.data(), loaded[i].bytes.size(), loaded[i].module,
                                   i < o.symbols.size() ? o.symbols[i] : std::string());
        } catch (const std::runtime_error& e) {
            return fail(e.what());
        }
        for (const auto& w : names.warnings) print_warning(w);
    }

    wa::Analysis analysis;
    analysis.modules.reserve(o.files.size());
    for (std::size_t i = 0; i < o.files.size(); ++i) {
        try {  // a malformed body: the call graph decodes them (wasm/code.hpp)
            analysis.modules.push_back(wa::analyze_module(o.files[i], loaded[i].bytes.data(), loaded[i].bytes.size(),
                                                          std::move(loaded[i].module), /*compress=*/false,
                                                          !o.no_call_graph, &module_names[i],
                                                          std::move(loaded[i].decoding)));
        } catch (const wa::ParseError& e) {
            return fail(e.what());
        }
        if (o.no_compression) loaded[i].bytes = {};  // not needed any more
    }
    analysis.recommendations = wa::recommend(analysis.modules);

    // --why: what keeps a function, instead of the report (wasm/callgraph.hpp).
    if (!o.why.empty()) {
        bool found = false;
        for (const auto& m : analysis.modules) {
            // Up to 5 paths, fewer with a smaller --top, all with --top 0.
            const std::size_t paths = o.top == 0 ? static_cast<std::size_t>(-1) : std::min<std::size_t>(o.top, 5);
            found = print_why(std::cout, m, o.why, paths) || found;
        }
        if (!found) {
            return fail("--why: no function \"" + o.why + "\" in " +
                        (o.files.size() == 1 ? o.files.front() : "any of the " + std::to_string(o.files.size()) + " modules") +
                        ": give a function's index, or its name as analyze lists it (or an export's or import's name)");
        }
        return 0;
    }

    // The compressed sizes start now, on threads of their own, while the text
    // is printed (wasm/size_cache.hpp); every input has been checked, so no
    // error can leave the run waiting for them. Declared after `loaded`: its
    // threads are joined before the bytes go.
    std::optional<wa::CompressedSizes> compressed;
    std::vector<std::string> warnings;
    if (!o.no_compression) {
        std::vector<wa::ModuleBytes> bytes;
        for (std::size_t i = 0; i < o.files.size(); ++i) {
            bytes.push_back({o.files[i], loaded[i].bytes.data(), loaded[i].bytes.size()});
        }
        wa::CompressedSizeOptions options;
        options.reuse_reports = !o.no_cache;
        if (!o.no_cache) {
            options.cache_dir = wa::default_cache_dir();
            if (options.cache_dir.empty()) {
                warnings.emplace_back("the compressed sizes are not cached: neither XDG_CACHE_HOME nor HOME is set");
            }
        }
        options.threads = std::max(2U, std::thread::hardware_concurrency());
        try {
            compressed.emplace(std::move(bytes), std::move(options));
        } catch (const std::runtime_error& e) {
            return fail(e.what());
        }
    }

    // The text that the parse gives, at once; the compressed sizes follow.
    if (!o.json) {
        std::ostringstream text;
        print_text(text, analysis, o.top);
        std::cout << text.str() << std::flush;
    }
    if (compressed) {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> sizes;
        {
            ProgressLine line;
            const auto start = std::chrono::steady_clock::now();
            const std::string what = o.files.size() == 1 ? o.files.front() : std::to_string(o.files.size()) + " modules";
            const auto progress = [&](std::size_t done, std::size_t total) {
                const auto seconds =
                    std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count();
                line.show("compressing " + what + " (gzip -9, brotli -q 11): " + std::to_string(done) + " of " +
                          std::to_string(total) + " done, " + std::to_string(seconds) + " s");
            };
            try {
                sizes = compressed->wait(progress, std::chrono::milliseconds(250), warnings);
            } catch (const std::runtime_error& e) {
                line.clear();
                return fail(e.what());
            }
        }
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            analysis.modules[i].gzip = sizes[i].first;
            analysis.modules[i].brotli = sizes[i].second;
        }
    }
    for (const auto& w : warnings) print_warning(w);

    std::optional<wa::BaselineDiff> diff;
    if (baseline) diff = wa::diff_baseline(*baseline, analysis);
    const wa::BaselineDiff* diff_ptr = diff ? &*diff : nullptr;
    const bool have_limits = limits.bytes || limits.percent;
    const std::vector<std::string> failures = diff && have_limits ? wa::check_growth(*diff, limits) : std::vector<std::string>{};

    // --json alone streams the report (no copy of it in memory); --report needs the text to compare.
    std::string json_text;
    if (!o.report.empty()) json_text = wa::analysis_json(analysis, diff_ptr, have_limits ? &limits : nullptr);
    if (o.json && o.report.empty()) {
        wa::write_analysis_json(std::cout, analysis, diff_ptr, have_limits ? &limits : nullptr);
    } else if (o.json) {
        std::cout << json_text;
    } else {
        std::ostringstream text;
        print_compressed(text, analysis);
        if (diff_ptr != nullptr) print_baseline(text, *diff_ptr, o.top);
        std::cout << text.str();
    }
    std::cout.flush();

    std::string error;
    if (!o.report.empty() && write_file_if_changed(o.report, json_text, error) == WriteResult::failed) {
        return fail("cannot write the report: " + error);
    }
    if (!o.html.empty()) {
        const std::string title = analysis.modules.size() == 1
                                      ? "WebAssembly size: " + analysis.modules.front().file
                                      : "WebAssembly size: " + std::to_string(analysis.modules.size()) + " modules";
        const std::string page = report::render_treemap_html(page_template, title, html_summary(analysis),
                                                             wa::treemap_tree(analysis, treemap_max_items));
        if (write_file_if_changed(o.html, page, error) == WriteResult::failed) {
            return fail("cannot write the HTML report: " + error);
        }
    }
    for (const auto& f : failures) print_error(f);
    // The model and the modules' bytes go with the process, not a node at a time (common/heap.hpp).
    leave_to_process_exit(std::move(analysis));
    leave_to_process_exit(std::move(loaded));
    return failures.empty() ? 0 : 1;
}

}  // namespace

void add_wasm_analyze(CLI::App& wasm_group, int& exit_code) {
    auto o = std::make_shared<AnalyzeOptions>();
    CLI::App* cmd = wasm_group.add_subcommand(
        "analyze",
        "Show where the bytes of one or more modules go: sections, functions by body size (named from the\n"
        "name section, else exports, else by index), data segments, imports and exports, custom sections,\n"
        "gzip -9 and brotli -q 11 sizes, and recommendations (split over 5 MiB in total, lazy-load a module\n"
        "over 2 MiB, strip debug info and names, merge identical functions, ...). --baseline compares with an\n"
        "earlier --json/--report output. Exit 0, 1 for a malformed module, a bad baseline or growth over a\n"
        "--fail-above-* limit, 2 usage error.");
    cmd->add_option("modules", o->files, "The .wasm files")->required();
    cmd->add_flag("--json", o->json, "Print the JSON report (schema buildbudget-wasm-analysis/1) instead of text");
    cmd->add_option("--html", o->html, "Write a self-contained HTML page with a treemap of the bytes here");
    cmd->add_option("--top", o->top, "Rows of each top-N table (0: all)")
        ->check([](const std::string& text) {
            return text.find('-') == std::string::npos ? std::string() : "\"" + text + "\" is negative: give 0 or more";
        })
        ->capture_default_str();
    cmd->add_flag("--no-compression", o->no_compression, "Do not compute the gzip and brotli sizes (faster)");
    cmd->add_flag("--no-cache", o->no_cache,
                  "Compute the gzip and brotli sizes afresh: neither read nor write the cache\n"
                  "($XDG_CACHE_HOME/buildbudget, else ~/.cache/buildbudget), nor take them from <module>.size.json");
    CLI::Option* baseline =
        cmd->add_option("--baseline", o->baseline, "An earlier JSON report (--json or --report output) to compare with");
    cmd->add_option("--fail-above-bytes", o->fail_bytes,
                    "With --baseline: exit 1 when a module's (or the total) raw size grew by more than this (\"10KB\", bytes)")
        ->needs(baseline);
    cmd->add_option("--fail-above-percent", o->fail_percent,
                    "With --baseline: exit 1 when a module's (or the total) raw size grew by more than this percent")
        ->needs(baseline);
    cmd->add_option("--report", o->report, "Also write the JSON report here (rewritten only when it changes)");
    cmd->add_option("--why", o->why,
                    "Print why a function is in the module instead of the report: its retained size, its dominators\n"
                    "and the shortest paths from the exports, start function, tables and globals (by name or index)")
        ->excludes("--json");
    cmd->add_flag("--no-call-graph", o->no_call_graph,
                  "Do not decode the function bodies: no call graph, retained sizes, garbage or --why (faster;\n"
                  "also a way past an instruction the decoder does not know)")
        ->excludes("--why");
    cmd->add_option("--symbols", o->symbols,
                    "Names for a stripped module: a symbol map (Emscripten's index:name lines) or an unstripped build\n"
                    "of the same module; once per module, in order (default: <module>.symbols beside it, if any)");
    cmd->callback([o, &exit_code]() { exit_code = run_analyze(*o); });
}

}  // namespace buildbudget::cli
