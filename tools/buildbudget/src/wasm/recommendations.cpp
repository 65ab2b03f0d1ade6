#include "wasm/recommendations.hpp"

#include "budget/size.hpp"
#include "report/format.hpp"
#include "wasm/size.hpp"

#include <utility>

namespace buildbudget::wasm {

using json = nlohmann::ordered_json;
using report::percent_text;
using report::rounded;
using report::share;
using report::size_text;

std::vector<Recommendation> recommend(const std::vector<ModuleAnalysis>& modules) {
    std::vector<Recommendation> out;
    std::uint64_t total = 0;
    for (const auto& m : modules) total += m.raw;
    if (total > split_total_bytes) {
        Recommendation r;
        r.id = "split";
        r.message = modules.size() == 1
                        ? modules.front().file + " is " + size_text(total) + ", over " + format_size(split_total_bytes) +
                              " (" + std::to_string(split_total_bytes) +
                              " bytes) in total: split it into smaller modules loaded on demand (by feature or "
                              "route), so start-up does not wait for all of it"
                        : "the " + std::to_string(modules.size()) + " modules total " + size_text(total) + ", over " +
                              format_size(split_total_bytes) + " (" + std::to_string(split_total_bytes) +
                              " bytes): split the code into smaller modules loaded on demand (by feature or route), "
                              "so start-up does not wait for all of it";
        r.figures = {{"total_bytes", total}, {"threshold_bytes", split_total_bytes}, {"modules", modules.size()}};
        out.push_back(std::move(r));
    }

    for (const auto& m : modules) {
        const auto add = [&](const char* id, std::string message, json figures) {
            out.push_back({id, m.file, m.file + ": " + std::move(message), std::move(figures)});
        };
        if (m.raw > lazy_load_module_bytes) {
            add("lazy-load",
                size_text(m.raw) + ", over " + format_size(lazy_load_module_bytes) + " (" +
                    std::to_string(lazy_load_module_bytes) +
                    " bytes): load it lazily (fetch and instantiate it on first use, once the page is interactive) "
                    "instead of at start-up",
                {{"bytes", m.raw}, {"threshold_bytes", lazy_load_module_bytes}});
        }

        const std::vector<std::string> optimisers = m.optimisers();
        std::string optimised;
        for (const auto& o : optimisers) optimised += (optimised.empty() ? "" : ", ") + o;
        const std::string kept = optimised.empty() ? "" : " (processed by " + optimised + ", which kept them: -g)";

        std::vector<std::string> debug_sections;
        std::uint64_t debug_bytes = 0;
        for (const auto& s : m.sections) {
            if (s.custom == CustomCategory::debug) {
                debug_sections.push_back(s.name);
                debug_bytes += s.bytes;
            }
        }
        if (!debug_sections.empty()) {
            std::string names;
            for (const auto& n : debug_sections) names += (names.empty() ? "" : ", ") + n;
            add("strip-debug",
                std::to_string(debug_sections.size()) + " debug section" + (debug_sections.size() == 1 ? "" : "s") +
                    " (" + names + ") take " + size_text(debug_bytes) + ", " + percent_text(share(debug_bytes, m.raw)) +
                    " of the file" + kept +
                    "; engines do not need them to run the module: strip them from the build you ship "
                    "(wasm-opt --strip-debug, llvm-strip, or link with -Wl,--strip-debug) and keep an unstripped "
                    "copy for debugging",
                {{"saved_bytes", debug_bytes},
                 {"percent_of_file", rounded(100.0 * share(debug_bytes, m.raw), 2)},
                 {"sections", debug_sections},
                 {"optimised_by", optimisers}});
        }
        if (const std::uint64_t names = m.custom_bytes(CustomCategory::name); names > 0) {
            add("strip-names",
                "the name section takes " + size_text(names) + ", " + percent_text(share(names, m.raw)) +
                    " of the file" + kept +
                    "; it only names functions in stack traces and profilers: strip it from the build you ship "
                    "(wasm-opt --strip-debug, or link with -Wl,--strip-all) unless you want readable stack traces "
                    "in production",
                {{"saved_bytes", names},
                 {"percent_of_file", rounded(100.0 * share(names, m.raw), 2)},
                 {"optimised_by", optimisers}});
        }

        if (!m.duplicates.empty()) {
            std::uint64_t saved = 0;
            std::size_t functions = 0;
            for (const auto& g : m.duplicates) {
                saved += g.saved_bytes();
                functions += g.functions.size();
            }
            if (saved >= duplicate_min_saved_bytes) {
                const DuplicateGroup& top = m.duplicates.front();
                json top_names = json::array();
                for (const std::uint32_t index : top.functions) {
                    top_names.push_back(m.functions[index - m.imported_functions].name);
                }
                const std::string first = m.functions[top.functions.front() - m.imported_functions].name;
                add("duplicate-functions",
                    std::to_string(functions) + " functions in " + std::to_string(m.duplicates.size()) +
                        (m.duplicates.size() == 1 ? " group have" : " groups have") +
                        " byte-identical bodies and the same signature (the largest group: " +
                        std::to_string(top.functions.size()) + " x " + std::to_string(top.body_bytes) + " bytes, " +
                        first + " and " + std::to_string(top.functions.size() - 1) +
                        (top.functions.size() == 2 ? " other" : " others") + "); merging them saves " +
                        std::to_string(saved) +
                        " bytes of code: wasm-opt --duplicate-function-elimination (part of -O2, -Os and -Oz)",
                    {{"groups", m.duplicates.size()},
                     {"functions", functions},
                     {"saved_bytes", saved},
                     {"largest_group", {{"body_bytes", top.body_bytes}, {"functions", top_names}}}});
            }
        }

        // What keeps the code alive: the call graph's retained sizes and garbage (wasm/callgraph.hpp).
        const CallGraph& g = m.call_graph;
        if (m.section_bytes(10) >= lazy_export_min_code_bytes && g.code_bytes > 0) {
            for (const std::size_t i : exports_by_retained(g)) {
                const std::uint32_t node = g.export_node[i];
                const double s = share(g.retained[node], g.code_bytes);
                if (s < lazy_export_share) break;
                add("lazy-export",
                    "export " + m.exports[i].name + " retains " + percent_text(s) + " of the code (" +
                        std::to_string(g.retained[node]) + " of " + std::to_string(g.code_bytes) + " body bytes, " +
                        std::to_string(g.retained_functions[node]) +
                        " functions that nothing else reaches): a separate lazily loaded module for it would cut "
                        "the first load by " + std::to_string(g.retained[node]) + " bytes",
                    {{"export", m.exports[i].name},
                     {"function", m.exports[i].index},
                     {"retained_bytes", g.retained[node]},
                     {"retained_functions", g.retained_functions[node]},
                     {"code_bytes", g.code_bytes},
                     {"share", rounded(s, 4)},
                     {"threshold_share", lazy_export_share}});
            }
        }
        if (g.garbage_bytes >= unreachable_min_bytes) {
            add("unreachable-code",
                std::to_string(g.garbage.size()) + (g.garbage.size() == 1 ? " function (" : " functions (") +
                    std::to_string(g.garbage_bytes) + " body bytes, " + percent_text(share(g.garbage_bytes, g.code_bytes)) +
                    " of the code) cannot be reached from any export, the start function, a table or a global: "
                    "nothing can call them; remove them (wasm-ld --gc-sections, its default, or wasm-opt "
                    "--remove-unused-module-elements, part of -O1 and above)",
                {{"functions", g.garbage.size()},
                 {"garbage_bytes", g.garbage_bytes},
                 {"code_bytes", g.code_bytes},
                 {"share", rounded(share(g.garbage_bytes, g.code_bytes), 4)}});
        }

        const std::uint64_t code = m.section_bytes(10);
        if (code >= dominant_function_min_code_bytes && !m.functions.empty()) {
            const FunctionInfo* big = &m.functions.front();
            for (const auto& f : m.functions) {
                if (f.body_bytes > big->body_bytes) big = &f;
            }
            const double s = share(big->body_bytes, code);
            if (s >= dominant_function_share) {
                add("dominant-function",
                    "function " + big->name + " is " + size_text(big->body_bytes) + ", " + percent_text(s) +
                        " of the code section (" + std::to_string(code) +
                        " bytes): look at what is inlined or generated into it; -Oz or wasm-opt -Oz inline less",
                    {{"function", big->name},
                     {"index", big->index},
                     {"body_bytes", big->body_bytes},
                     {"code_bytes", code},
                     {"share", rounded(s, 4)},
                     {"threshold_share", dominant_function_share}});
            }
        }

        const std::uint64_t data = m.section_bytes(11);
        if (data >= large_data_min_bytes && share(data, m.raw) >= large_data_share) {
            add("large-data",
                "the data section is " + size_text(data) + ", " + percent_text(share(data, m.raw)) + " of the file (" +
                    std::to_string(m.data.size()) +
                    " segments): the initial memory image (tables, strings, embedded files) is a large part of the "
                    "download; fetch large assets separately (cached apart from the code) or keep them compressed",
                {{"data_bytes", data},
                 {"share", rounded(share(data, m.raw), 4)},
                 {"segments", m.data.size()},
                 {"threshold_share", large_data_share}});
        }

        if (m.memory && !m.memory->maximum) {
            const std::uint64_t initial = pages_to_bytes(m.memory->initial);
            add("no-max-memory",
                std::string(m.memory_imported ? "the imported memory" : "memory 0") + " has no maximum (initial " +
                    size_text(initial) + "): it can grow to the engine's limit (4 GiB for wasm32); " +
                    (m.memory_imported ? "give the memory the host creates a maximum (new WebAssembly.Memory({maximum}))"
                                       : "give it a maximum (wasm-ld --max-memory=<bytes>, emcc -sMAXIMUM_MEMORY=<bytes>)") +
                    " to hold a memory budget",
                {{"imported", m.memory_imported}, {"initial_pages", m.memory->initial}, {"initial_bytes", initial}});
        }
    }
    return out;
}

}  // namespace buildbudget::wasm
