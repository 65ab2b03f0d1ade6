#include "wasm/analysis.hpp"

#include "wasm/code.hpp"
#include "wasm/size.hpp"
#include "wasm/symbols.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>

namespace buildbudget::wasm {

const char* to_string(NameSource source) {
    switch (source) {
        case NameSource::name_section: return "name";
        case NameSource::export_name: return "export";
        case NameSource::index: return "index";
        case NameSource::symbol_map: return "symbols";
        case NameSource::twin: return "twin";
    }
    return "index";
}

const char* to_string(CustomCategory category) {
    switch (category) {
        case CustomCategory::debug: return "debug";
        case CustomCategory::name: return "name";
        case CustomCategory::producers: return "producers";
        case CustomCategory::target_features: return "target_features";
        case CustomCategory::other: return "other";
    }
    return "other";
}

CustomCategory classify_custom_section(std::string_view name) {
    if (name.substr(0, 7) == ".debug_" || name == "external_debug_info" || name == "sourceMappingURL") {
        return CustomCategory::debug;
    }
    if (name == "name") return CustomCategory::name;
    if (name == "producers") return CustomCategory::producers;
    if (name == "target_features") return CustomCategory::target_features;
    return CustomCategory::other;
}

std::string signature_text(const FuncType& type) {
    std::string out = "(";
    for (std::size_t i = 0; i < type.params.size(); ++i) {
        if (i != 0) out += ", ";
        out += to_string(type.params[i]);
    }
    out += ") -> ";
    if (type.results.empty()) return out + "nil";
    if (type.results.size() == 1) return out + to_string(type.results.front());
    out += '(';
    for (std::size_t i = 0; i < type.results.size(); ++i) {
        if (i != 0) out += ", ";
        out += to_string(type.results[i]);
    }
    return out + ')';
}

// --- ModuleAnalysis ----------------------------------------------------------------

std::uint64_t ModuleAnalysis::section_bytes(std::uint8_t id) const {
    for (const auto& s : sections) {
        if (s.id == id) return s.bytes;
    }
    return 0;
}

std::uint64_t ModuleAnalysis::custom_bytes(CustomCategory category) const {
    std::uint64_t sum = 0;
    for (const auto& s : sections) {
        if (s.custom == category) sum += s.bytes;
    }
    return sum;
}

std::optional<std::uint32_t> ModuleAnalysis::function_type(std::uint32_t index) const {
    if (index < imported_functions) return imported_function_types[index];
    const std::uint64_t defined = std::uint64_t{index} - imported_functions;
    if (defined < functions.size()) return functions[static_cast<std::size_t>(defined)].type_index;
    return std::nullopt;
}

std::vector<std::string> ModuleAnalysis::optimisers() const {
    std::vector<std::string> out;
    for (const auto& [field, values] : producers) {
        if (field != "processed-by") continue;
        for (const auto& [tool, version] : values) {
            if (tool == "wasm-opt" || tool == "binaryen") out.push_back(version.empty() ? tool : tool + " " + version);
        }
    }
    return out;
}

namespace {

/// Modules with this many bytes of function bodies or more decode them on
/// threads of their own (CodeDecoding, wasm/code.hpp), started before the rest
/// of the analysis: a thread costs about 0.1 ms to start and join, 256 KiB of
/// code about 1 ms to decode (doc/helper-wasm-analyze.md, "Speed").
constexpr std::uint64_t call_graph_threads_code_bytes = std::uint64_t{256} << 10;
/// Those threads; the calling thread joins them when the rest is done.
constexpr unsigned call_graph_threads = 2;

// The functions of `module`, named by the name section (already on each Function; moved, not
// copied), else the first export, else the index. The map of exports and the name section's map
// (whose names are on the functions too) go before the graph and the names take memory.
std::vector<FunctionInfo> function_model(Module& module) {
    module.function_names.clear();
    // The first export of each defined function, by position (no node per export, as a hash map's:
    // 75,111 exports on duckdb-mvp.wasm).
    const std::uint32_t first = module.functions.empty() ? 0 : module.functions.front().index;
    std::vector<const std::string*> exported(module.functions.size(), nullptr);
    for (const auto& e : module.exports) {
        if (e.kind != ExternalKind::function || e.index < first || e.index - first >= exported.size()) continue;
        if (exported[e.index - first] == nullptr) exported[e.index - first] = &e.name;
    }
    std::vector<FunctionInfo> functions;
    functions.reserve(module.functions.size());
    for (auto& f : module.functions) {
        FunctionInfo info;
        info.index = f.index;
        info.body_bytes = f.body_size;
        info.body_offset = f.body_offset;
        info.type_index = f.type_index;
        if (!f.name.empty()) {
            info.name = std::move(f.name);
            info.name_source = NameSource::name_section;
        } else if (const std::string* name = exported[f.index - first]; name != nullptr) {
            info.name = *name;
            info.name_source = NameSource::export_name;
        } else {
            info.name = "function[" + std::to_string(f.index) + "]";
            info.name_source = NameSource::index;
        }
        functions.push_back(std::move(info));
    }
    return functions;
}

// The call graph's decoding of `module`'s bodies, on threads of its own when the code is large
// enough to repay starting them.
std::unique_ptr<CodeDecoding> begin_decoding(const std::uint8_t* data, std::size_t size, const Module& module) {
    std::uint64_t code_bytes = 0;
    for (const auto& f : module.functions) code_bytes += f.body_size;
    return std::make_unique<CodeDecoding>(data, size, module,
                                          code_bytes >= call_graph_threads_code_bytes ? call_graph_threads : 0);
}

}  // namespace

// Functions are sorted by (size, type); within each run of equal (size, type),
// by hash. The bodies of each run of equal hashes that the decoder has not
// compared already (CodeRefs::same_as_first) are compared in file order,
// each against a copy of the first one read, with the pages behind let go
// (ReleaseBehind, wasm/reader.hpp). (Sorting each run by its
// bytes with memcmp instead read a body once per comparison, 5 to 9 % of
// `analyze`'s CPU on duckdb-mvp.wasm and z3-built.wasm, and faulted the code's
// pages back in: 26 MB on z3-built.wasm; doc/helper-wasm-analyze.md, "Speed".)
std::vector<DuplicateGroup> find_duplicates(const std::uint8_t* data, const std::vector<FunctionInfo>& functions,
                                            const std::vector<std::uint32_t>& canonical_type,
                                            const std::vector<std::uint64_t>& hashes,
                                            const std::vector<std::uint8_t>& same_as_first) {
    struct Entry {
        std::uint64_t size;
        std::uint64_t hash;
        std::uint32_t type;
        std::uint32_t position;  // in `functions`, so in index order
    };
    std::vector<Entry> order;
    order.reserve(functions.size());
    for (std::size_t i = 0; i < functions.size(); ++i) {
        order.push_back({functions[i].body_bytes, hashes.empty() ? 0 : hashes[i],
                         canonical_type[functions[i].type_index], static_cast<std::uint32_t>(i)});
    }
    std::sort(order.begin(), order.end(), [](const Entry& x, const Entry& y) {
        return std::tie(x.size, x.type, x.hash, x.position) < std::tie(y.size, y.type, y.hash, y.position);
    });
    const auto offset = [&](const Entry& e) { return functions[e.position].body_offset; };
    const auto body = [&](const Entry& e) { return data + offset(e); };
    const auto iter = [&order](std::size_t k) { return order.begin() + static_cast<std::ptrdiff_t>(k); };

    // The runs of equal (size, type, hash) of two or more: [first, last) in `order`.
    std::vector<std::pair<std::size_t, std::size_t>> candidates;
    for (std::size_t run = 0; run < order.size();) {
        std::size_t end = run + 1;
        while (end < order.size() && order[end].size == order[run].size && order[end].type == order[run].type) ++end;
        if (end - run >= 2) {
            if (hashes.empty()) {
                const auto size = static_cast<std::size_t>(order[run].size);
                for (std::size_t k = run; k < end; ++k) order[k].hash = body_hash(body(order[k]), size);
                std::sort(iter(run), iter(end), [](const Entry& x, const Entry& y) {
                    return std::tie(x.hash, x.position) < std::tie(y.hash, y.position);
                });
            }
            for (std::size_t h = run; h < end;) {
                std::size_t h_end = h + 1;
                while (h_end < end && order[h_end].hash == order[h].hash) ++h_end;
                if (h_end - h >= 2) candidates.emplace_back(h, h_end);
                h = h_end;
            }
        }
        run = end;
    }

    // Each candidate's bodies against a copy of its first in file order, unless the decoder
    // compared them all already.
    struct Member {
        std::uint64_t offset;
        std::uint32_t candidate;
        std::uint32_t entry;  // in `order`
    };
    std::vector<Member> members;
    const auto compared = [&](std::size_t k) {
        return !same_as_first.empty() && same_as_first[order[k].position] != 0;
    };
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        bool all_compared = true;
        for (std::size_t k = candidates[c].first; k < candidates[c].second && all_compared; ++k) {
            all_compared = compared(k);
        }
        if (all_compared) continue;
        for (std::size_t k = candidates[c].first; k < candidates[c].second; ++k) {
            members.push_back({offset(order[k]), static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(k)});
        }
    }
    std::sort(members.begin(), members.end(), [](const Member& x, const Member& y) { return x.offset < y.offset; });
    std::vector<std::string> first_bytes(candidates.size());
    std::vector<std::uint8_t> read(candidates.size(), 0), differs(candidates.size(), 0);
    ReleaseBehind behind(data, members.empty() ? 0 : members.front().offset);
    for (const Member& m : members) {
        const Entry& e = order[m.entry];
        const auto size = static_cast<std::size_t>(e.size);
        if (read[m.candidate] == 0) {
            first_bytes[m.candidate].assign(reinterpret_cast<const char*>(body(e)), size);
            read[m.candidate] = 1;
        } else if (std::memcmp(first_bytes[m.candidate].data(), body(e), size) != 0) {
            differs[m.candidate] = 1;
        }
        behind.advance(m.offset);
    }
    first_bytes = {};

    std::vector<DuplicateGroup> groups;
    const auto add_group = [&](std::size_t first, std::size_t last) {
        DuplicateGroup group;
        group.body_bytes = order[first].size;
        for (std::size_t k = first; k < last; ++k) group.functions.push_back(functions[order[k].position].index);
        groups.push_back(std::move(group));
    };
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        const auto [first, last] = candidates[c];
        if (differs[c] == 0) {
            add_group(first, last);  // in position order, so in index order
            continue;
        }
        // A collision: by bytes, then position, so that each group is in index order.
        const auto size = static_cast<std::size_t>(order[first].size);
        std::sort(iter(first), iter(last), [&](const Entry& x, const Entry& y) {
            const int cmp = std::memcmp(body(x), body(y), size);
            return cmp != 0 ? cmp < 0 : x.position < y.position;
        });
        for (std::size_t g = first; g < last;) {
            std::size_t g_end = g + 1;
            while (g_end < last && std::memcmp(body(order[g]), body(order[g_end]), size) == 0) ++g_end;
            if (g_end - g >= 2) add_group(g, g_end);
            g = g_end;
        }
    }
    std::sort(groups.begin(), groups.end(), [](const DuplicateGroup& x, const DuplicateGroup& y) {
        if (x.saved_bytes() != y.saved_bytes()) return x.saved_bytes() > y.saved_bytes();
        return x.functions.front() < y.functions.front();
    });
    return groups;
}

ModuleAnalysis analyze_module(std::string file, const std::uint8_t* data, std::size_t size, Module&& module,
                              bool compress, bool call_graph, const ModuleNames* names,
                              std::unique_ptr<CodeDecoding> decoding) {
    ModuleAnalysis a;
    a.file = std::move(file);
    a.raw = size;
    // The call graph decodes every body (wasm/callgraph.hpp): begun first (by read_for_analysis(), or
    // here), while this thread does the rest. (It also compares the bodies whose sizes and hashes
    // are equal while it has them at hand, so that the duplicates below need not read them again,
    // wasm/code.hpp.)
    if (!call_graph) {
        decoding.reset();
    } else if (decoding == nullptr) {
        decoding = begin_decoding(data, size, module);
    }
    if (compress) {
        a.gzip = gzip_compress(data, size).size();
        a.brotli = brotli_compress(data, size).size();
    }

    a.sections.reserve(module.sections.size());
    for (auto& s : module.sections) {
        SectionInfo info;
        info.id = s.id;
        info.offset = s.offset;
        info.bytes = s.payload_offset + s.size - s.offset;
        info.payload_bytes = s.size;
        if (s.id == 0) info.custom = classify_custom_section(s.name);
        info.name = std::move(s.name);
        a.sections.push_back(std::move(info));
    }

    // Types: their text, and each one's first structurally equal type (for duplicates).
    a.signatures.reserve(module.types.size());
    std::vector<std::uint32_t> canonical(module.types.size());
    {
        std::map<std::string_view, std::uint32_t> first;
        for (std::size_t t = 0; t < module.types.size(); ++t) a.signatures.push_back(signature_text(module.types[t]));
        for (std::size_t t = 0; t < module.types.size(); ++t) {
            canonical[t] = first.emplace(a.signatures[t], static_cast<std::uint32_t>(t)).first->second;
        }
    }

    for (const auto& imp : module.imports) {
        if (imp.kind == ExternalKind::function) a.imported_function_types.push_back(imp.type_index);
    }
    a.imported_functions = static_cast<std::uint32_t>(a.imported_function_types.size());

    // This thread joins the decoding. The functions' own model is built once it is done, when the
    // decoder has let go the pages of the code (the model of duckdb-mvp.wasm's functions and their
    // names is 14 MB: built beside the decoding, the peak was 66 to 80 MB from run to run with how
    // far the decoder had got; doc/helper-wasm-analyze.md, "Speed"). Then it finds identical bodies
    // from the hashes the decoder took, and builds the graph, while the functions are named on
    // another thread (FunctionNaming, which reads and writes only their names).
    std::optional<FunctionNaming> naming;
    try {
        std::optional<CodeRefs> code;
        if (decoding) {
            code = decoding->finish();
            decoding.reset();
        }
        a.functions = function_model(module);
        if (names != nullptr) naming.emplace(a, *names);
        if (code) {
            a.duplicates = find_duplicates(data, a.functions, canonical, code->body_hashes, code->same_as_first);
            code->body_hashes = {};
            code->same_as_first = {};
            a.call_graph = build_call_graph(data, size, module, std::move(*code));
        } else {
            a.duplicates = find_duplicates(data, a.functions, canonical, {});
        }
    } catch (const ParseError& e) {
        throw ParseError(e.offset, a.file + ": " + e.message);
    }
    if (naming) naming->finish();

    a.memory = module.memory0();
    a.memory_imported = module.imported_memory_count() > 0;
    a.data = std::move(module.data);
    a.imports = std::move(module.imports);
    a.exports = std::move(module.exports);
    a.producers = std::move(module.producers);
    a.target_features = std::move(module.target_features);
    return a;
}

ModuleForAnalysis read_for_analysis(const std::string& path, bool call_graph) {
    ModuleForAnalysis loaded;
    loaded.bytes = read_file_bytes(path, /*in_background=*/true);
    // On an error, `loaded` goes: the decoding (declared after the bytes) stops before they do.
    loaded.module = parse_file(path, loaded.bytes, [&loaded, call_graph](const Module& module) {
        if (call_graph) loaded.decoding = begin_decoding(loaded.bytes.data(), loaded.bytes.size(), module);
    });
    return loaded;
}

std::uint64_t Analysis::total_raw() const {
    std::uint64_t sum = 0;
    for (const auto& m : modules) sum += m.raw;
    return sum;
}

}  // namespace buildbudget::wasm
