#include "wasm/analysis_json.hpp"

#include "wasm/symbols.hpp"

#include "report/format.hpp"
#include "wasm/json_out.hpp"
#include "wasm/recommendations.hpp"
#include "wasm/size.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

namespace buildbudget::wasm {

using report::rounded;
using report::share;

namespace {

std::optional<double> ratio(const std::optional<std::uint64_t>& v, std::uint64_t raw) {
    if (!v) return std::nullopt;
    return rounded(share(*v, raw), 4);
}

void write_memory(JsonOut& out, const ModuleAnalysis& m) {
    if (!m.memory) {
        out.value(nullptr);
        return;
    }
    const Limits& l = *m.memory;
    out.begin_object(true);
    out.member("imported", m.memory_imported);
    out.member("initial_pages", l.initial);
    out.member("maximum_pages", l.maximum);
    out.member("initial_bytes", pages_to_bytes(l.initial));
    out.member("maximum_bytes", l.maximum ? std::optional<std::uint64_t>(pages_to_bytes(*l.maximum)) : std::nullopt);
    out.member("shared", l.shared);
    out.member("memory64", l.is64);
    out.end_object();
}

std::optional<std::string_view> signature_of(const ModuleAnalysis& m, std::optional<std::uint32_t> type) {
    if (!type || *type >= m.signatures.size()) return std::nullopt;
    return std::string_view(m.signatures[*type]);
}

// The "call_graph" member (wasm/callgraph.hpp; doc/helper-wasm-analyze.md, "Retained sizes and --why").
void write_call_graph(JsonOut& out, const ModuleAnalysis& m) {
    const CallGraph& g = m.call_graph;
    out.key("call_graph");
    if (!g.built) {
        out.value(nullptr);
        return;
    }
    std::uint64_t reachable = 0;
    for (std::uint32_t f = g.imported_functions; f < g.functions; ++f) reachable += g.reachable(f) ? 1 : 0;
    out.begin_object();
    out.member("roots", std::uint64_t{g.roots.size()});
    out.member("instructions", g.instructions);
    out.member("edges", g.edges);
    out.member("call_indirect_sites", g.indirect_sites);
    out.member("call_indirect_functions", g.indirect_functions);
    out.member("reachable_functions", reachable);
    out.member("garbage_functions", std::uint64_t{g.garbage.size()});
    out.member("garbage_bytes", g.garbage_bytes);
    out.key("garbage");
    out.inline_numbers(g.garbage.data(), g.garbage.data() + g.garbage.size());
    out.key("exports");
    out.begin_array();
    const std::vector<std::size_t>& exports = exports_by_retained(g);
    out.elements(exports.size(), [&m, &g, &exports](JsonOut& out, std::size_t k) {
        const std::size_t i = exports[k];
        const std::uint32_t node = g.export_node[i];
        out.begin_object(true);
        out.member("name", m.exports[i].name);
        out.member("function", m.exports[i].index);
        out.member("retained_bytes", g.retained[node]);
        out.member("retained_functions", g.retained_functions[node]);
        out.member("percent_of_code", rounded(100.0 * share(g.retained[node], g.code_bytes), 2));
        out.end_object();
    });
    out.end_array();
    out.end_object();
}

void write_module(JsonOut& out, const ModuleAnalysis& m) {
    out.begin_object();
    out.member("file", m.file);
    out.member("raw", m.raw);
    out.member("gzip", m.gzip);
    out.member("brotli", m.brotli);
    out.member("gzip_ratio", ratio(m.gzip, m.raw));
    out.member("brotli_ratio", ratio(m.brotli, m.raw));

    std::size_t customs = 0;
    for (const auto& s : m.sections) customs += s.custom ? 1 : 0;
    out.key("counts");
    out.begin_object(true);
    out.member("sections", std::uint64_t{m.sections.size()});
    out.member("types", std::uint64_t{m.signatures.size()});
    out.member("functions", std::uint64_t{m.functions.size()});
    out.member("imported_functions", m.imported_functions);
    out.member("data_segments", std::uint64_t{m.data.size()});
    out.member("imports", std::uint64_t{m.imports.size()});
    out.member("exports", std::uint64_t{m.exports.size()});
    out.member("custom_sections", std::uint64_t{customs});
    out.end_object();

    out.key("sections");
    out.begin_array();
    for (std::size_t i = 0; i < m.sections.size(); ++i) {
        const SectionInfo& s = m.sections[i];
        out.begin_object(true);
        out.member("index", std::uint64_t{i});
        out.member("id", std::uint64_t{s.id});
        out.member("name", s.name);
        out.member("custom", s.custom.has_value());
        out.member("offset", s.offset);
        out.member("bytes", s.bytes);
        out.member("payload_bytes", s.payload_bytes);
        out.member("percent", rounded(100.0 * share(s.bytes, m.raw), 2));
        out.end_object();
    }
    out.end_array();

    out.key("functions");
    out.begin_array();
    out.elements(m.functions.size(), [&m](JsonOut& out, std::size_t i) {
        const FunctionInfo& f = m.functions[i];
        out.begin_object(true);
        out.member("index", f.index);
        out.member("name", f.name);
        out.member("name_source", to_string(f.name_source));
        out.member("demangled", f.demangled.empty() ? std::string_view(f.name) : std::string_view(f.demangled));
        out.member("namespace", f.group.empty() ? std::nullopt : std::optional<std::string_view>(f.group));
        out.member("compile_unit", f.compile_unit.empty() ? std::nullopt : std::optional<std::string_view>(f.compile_unit));
        out.member("body_bytes", f.body_bytes);
        out.member("type_index", f.type_index);
        out.member("signature", signature_of(m, f.type_index));
        // The call graph (wasm/callgraph.hpp): retained bytes and the functions this one calls or ref.funcs.
        // Without a graph (--no-call-graph, or a model built by hand): null.
        const CallGraph& g = m.call_graph;
        if (g.built && f.index < g.functions) {
            out.member("retained_bytes", g.retained[f.index]);
            out.key("callees");
            out.inline_numbers(g.succ.data() + g.succ_begin[f.index], g.succ.data() + g.succ_begin[f.index + 1]);
        } else {
            out.member("retained_bytes", nullptr);
            out.member("callees", nullptr);
        }
        out.end_object();
    });
    out.end_array();

    out.key("data_segments");
    out.begin_array();
    out.elements(m.data.size(), [&m](JsonOut& out, std::size_t i) {
        const DataSegment& d = m.data[i];
        out.begin_object(true);
        out.member("index", std::uint64_t{i});
        out.member("name", d.name.empty() ? std::nullopt : std::optional<std::string_view>(d.name));
        out.member("bytes", d.size);
        out.member("mode", d.passive ? "passive" : "active");
        out.member("memory", d.passive ? std::nullopt : std::optional<std::uint32_t>(d.memory_index));
        out.member("address", d.address);
        out.end_object();
    });
    out.end_array();

    out.key("imports");
    out.begin_array();
    for (const auto& imp : m.imports) {
        const bool typed = imp.kind == ExternalKind::function || imp.kind == ExternalKind::tag;
        out.begin_object(true);
        out.member("module", imp.module);
        out.member("name", imp.name);
        out.member("kind", to_string(imp.kind));
        out.member("signature", typed ? signature_of(m, imp.type_index) : std::nullopt);
        out.end_object();
    }
    out.end_array();

    out.key("exports");
    out.begin_array();
    out.elements(m.exports.size(), [&m](JsonOut& out, std::size_t i) {
        const Export& e = m.exports[i];
        out.begin_object(true);
        out.member("name", e.name);
        out.member("kind", to_string(e.kind));
        out.member("index", e.index);
        out.member("signature",
                   e.kind == ExternalKind::function ? signature_of(m, m.function_type(e.index)) : std::nullopt);
        out.end_object();
    });
    out.end_array();

    out.key("custom_sections");
    out.begin_array();
    for (const auto& s : m.sections) {
        if (!s.custom) continue;
        out.begin_object(true);
        out.member("name", s.name);
        out.member("category", to_string(*s.custom));
        out.member("bytes", s.bytes);
        out.end_object();
    }
    out.end_array();

    out.key("memory");
    write_memory(out, m);

    // Producers: one key per field, its values in file order (a repeated field's values appended).
    out.key("producers");
    out.begin_object();
    std::vector<std::string_view> fields;
    for (const auto& p : m.producers) {
        if (std::find(fields.begin(), fields.end(), p.first) == fields.end()) fields.push_back(p.first);
    }
    for (const auto field : fields) {
        out.key(field);
        out.begin_array();
        for (const auto& [name, values] : m.producers) {
            if (name != field) continue;
            for (const auto& [tool, version] : values) {
                out.begin_object(true);
                out.member("name", tool);
                out.member("version", version);
                out.end_object();
            }
        }
        out.end_array();
    }
    out.end_object();

    out.key("target_features");
    out.begin_array(true);
    for (const auto& f : m.target_features) {
        out.element();
        out.value(f);
    }
    out.end_array();

    out.key("duplicate_functions");
    out.begin_array();
    for (const auto& g : m.duplicates) {
        out.begin_object(true);
        out.member("body_bytes", g.body_bytes);
        out.member("saved_bytes", g.saved_bytes());
        out.key("functions");
        out.inline_numbers(g.functions.data(), g.functions.data() + g.functions.size());
        out.end_object();
    }
    out.end_array();

    // Names for stripped modules and the two groupings (wasm/symbols.hpp).
    out.member("names_file", m.names_file.empty() ? std::nullopt : std::optional<std::string_view>(m.names_file));
    out.member("dwarf_file", m.dwarf_file.empty() ? std::nullopt : std::optional<std::string_view>(m.dwarf_file));
    for (const bool by_unit : {false, true}) {
        out.key(by_unit ? "compile_units" : "namespaces");
        out.begin_array();
        for (const auto& g : function_groups(m, by_unit)) {
            out.begin_object(true);
            out.member("name", g.name);
            out.member("functions", g.functions);
            out.member("body_bytes", g.body_bytes);
            out.end_object();
        }
        out.end_array();
    }

    write_call_graph(out, m);
    out.end_object();
}

void write_delta_members(JsonOut& out, const SizeDelta& d) {
    const auto p = d.percent();
    out.member("old_bytes", d.old_bytes);
    out.member("new_bytes", d.new_bytes);
    out.member("delta_bytes", d.delta());
    out.member("delta_percent", p ? std::optional<double>(rounded(*p, 2)) : std::nullopt);
}

void write_delta(JsonOut& out, const std::optional<SizeDelta>& d) {
    if (!d) {
        out.value(nullptr);
        return;
    }
    out.begin_object(true);
    write_delta_members(out, *d);
    out.end_object();
}

void write_items(JsonOut& out, const std::vector<ItemDelta>& items) {
    out.begin_array();
    for (const auto& item : items) {
        out.begin_object(true);
        out.member("name", item.name);
        out.member("change", to_string(item.change));
        write_delta_members(out, item.size);
        out.end_object();
    }
    out.end_array();
}

void write_baseline(JsonOut& out, const BaselineDiff& diff, const GrowthLimits* limits) {
    const auto file_or_null = [](const std::string& f) {
        return f.empty() ? std::nullopt : std::optional<std::string_view>(f);
    };
    out.begin_object();
    out.member("file", diff.file);
    out.key("total");
    write_delta(out, diff.total);
    out.key("modules");
    out.begin_array();
    for (const auto& m : diff.modules) {
        out.begin_object();
        out.member("old_file", file_or_null(m.old_file));
        out.member("new_file", file_or_null(m.new_file));
        out.member("change", to_string(m.change));
        out.key("raw");
        write_delta(out, m.raw);
        out.key("gzip");
        write_delta(out, m.gzip);
        out.key("brotli");
        write_delta(out, m.brotli);
        out.key("sections");
        write_items(out, m.sections);
        out.key("functions");
        write_items(out, m.functions);
        out.member("unchanged_functions", std::uint64_t{m.unchanged_functions});
        out.end_object();
    }
    out.end_array();
    if (limits != nullptr) {
        const std::vector<std::string> failures = check_growth(diff, *limits);
        out.key("limits");
        out.begin_object();
        out.member("bytes", limits->bytes);
        out.member("percent", limits->percent);
        out.key("failures");
        out.begin_array();
        for (const auto& f : failures) {
            out.element();
            out.value(f);
        }
        out.end_array();
        out.member("passed", failures.empty());
        out.end_object();
    }
    out.end_object();
}

// The whole report (analysis_json.hpp), into `out`.
void write_analysis(JsonOut& out, const Analysis& analysis, const BaselineDiff* diff, const GrowthLimits* limits) {
    out.begin_object();
    out.member("schema", analysis_schema);
    out.key("modules");
    out.begin_array();
    std::uint64_t raw = 0, gzip = 0, brotli = 0, code = 0, data = 0, debug = 0, functions = 0;
    bool compressed = true;
    for (const auto& m : analysis.modules) {
        write_module(out, m);
        raw += m.raw;
        compressed = compressed && m.gzip && m.brotli;
        if (m.gzip) gzip += *m.gzip;
        if (m.brotli) brotli += *m.brotli;
        functions += m.functions.size();
        code += m.section_bytes(10);
        data += m.section_bytes(11);
        debug += m.custom_bytes(CustomCategory::debug);
    }
    out.end_array();
    out.key("total");
    out.begin_object(true);
    out.member("modules", std::uint64_t{analysis.modules.size()});
    out.member("raw", raw);
    out.member("gzip", compressed ? std::optional<std::uint64_t>(gzip) : std::nullopt);
    out.member("brotli", compressed ? std::optional<std::uint64_t>(brotli) : std::nullopt);
    out.member("functions", functions);
    out.member("code_bytes", code);
    out.member("data_bytes", data);
    out.member("debug_bytes", debug);
    out.end_object();
    out.key("thresholds");
    out.begin_object();
    out.member("split_total_bytes", split_total_bytes);
    out.member("lazy_load_module_bytes", lazy_load_module_bytes);
    out.member("dominant_function_share", dominant_function_share);
    out.member("dominant_function_min_code_bytes", dominant_function_min_code_bytes);
    out.member("large_data_share", large_data_share);
    out.member("large_data_min_bytes", large_data_min_bytes);
    out.member("duplicate_min_saved_bytes", duplicate_min_saved_bytes);
    out.member("lazy_export_share", lazy_export_share);
    out.member("lazy_export_min_code_bytes", lazy_export_min_code_bytes);
    out.member("unreachable_min_bytes", unreachable_min_bytes);
    out.end_object();
    out.key("recommendations");
    out.begin_array();
    for (const auto& r : analysis.recommendations) {
        out.begin_object();
        out.member("id", r.id);
        out.member("module", r.module.empty() ? std::nullopt : std::optional<std::string_view>(r.module));
        out.member("message", r.message);
        out.key("figures");
        out.value(r.figures);
        out.end_object();
    }
    out.end_array();
    if (diff != nullptr) {
        out.key("baseline");
        write_baseline(out, *diff, limits);
    }
    out.end_object();
    out.text += '\n';
}

}  // namespace

std::string analysis_json(const Analysis& analysis, const BaselineDiff* diff, const GrowthLimits* limits) {
    JsonOut out;
    std::size_t reserve = 4096;
    for (const auto& m : analysis.modules) reserve += 160 * m.functions.size() + 110 * m.data.size();
    out.text.reserve(reserve);
    write_analysis(out, analysis, diff, limits);
    return std::move(out.text);
}

void write_analysis_json(std::ostream& os, const Analysis& analysis, const BaselineDiff* diff,
                         const GrowthLimits* limits) {
    JsonOut out;
    out.sink = &os;
    out.text.reserve(2 * JsonOut::flush_bytes);
    write_analysis(out, analysis, diff, limits);
    out.flush();
}

}  // namespace buildbudget::wasm
