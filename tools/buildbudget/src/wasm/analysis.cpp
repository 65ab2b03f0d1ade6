#include "wasm/analysis.hpp"

#include "budget/size.hpp"
#include "report/format.hpp"
#include "wasm/size.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>
#include <utility>

namespace buildbudget::wasm {

using json = nlohmann::ordered_json;

using report::percent_text;
using report::rounded;
using report::share;
using report::signed_percent_text;
using report::signed_text;
using report::size_text;

const char* to_string(NameSource source) {
    switch (source) {
        case NameSource::name_section: return "name";
        case NameSource::export_name: return "export";
        case NameSource::index: return "index";
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

const char* to_string(Change change) {
    switch (change) {
        case Change::added: return "added";
        case Change::removed: return "removed";
        case Change::grown: return "grown";
        case Change::shrunk: return "shrunk";
        case Change::unchanged: return "unchanged";
    }
    return "unchanged";
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

/// Groups of defined functions (positions in `functions`) with byte-identical
/// bodies and structurally equal types (binaryen compares types by structure).
std::vector<DuplicateGroup> find_duplicates(const std::uint8_t* data, const std::vector<FunctionInfo>& functions,
                                            const std::vector<std::uint32_t>& canonical_type) {
    // Bucket by (type, size, hash of the bytes); then split each bucket by exact comparison.
    std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> buckets;
    buckets.reserve(functions.size());
    const std::hash<std::string_view> hasher;
    for (std::size_t i = 0; i < functions.size(); ++i) {
        const FunctionInfo& f = functions[i];
        const std::string_view body(reinterpret_cast<const char*>(data + f.body_offset),
                                    static_cast<std::size_t>(f.body_bytes));
        std::uint64_t key = hasher(body);
        key ^= (static_cast<std::uint64_t>(canonical_type[f.type_index]) << 32) + f.body_bytes + 0x9E3779B97F4A7C15ULL +
               (key << 6) + (key >> 2);
        buckets[key].push_back(static_cast<std::uint32_t>(i));
    }
    std::vector<DuplicateGroup> groups;
    for (auto& [key, members] : buckets) {
        if (members.size() < 2) continue;
        std::vector<bool> taken(members.size(), false);
        for (std::size_t a = 0; a < members.size(); ++a) {
            if (taken[a]) continue;
            const FunctionInfo& fa = functions[members[a]];
            DuplicateGroup g;
            g.body_bytes = fa.body_bytes;
            g.functions.push_back(fa.index);
            for (std::size_t b = a + 1; b < members.size(); ++b) {
                if (taken[b]) continue;
                const FunctionInfo& fb = functions[members[b]];
                if (fb.body_bytes == fa.body_bytes &&
                    canonical_type[fb.type_index] == canonical_type[fa.type_index] &&
                    std::memcmp(data + fa.body_offset, data + fb.body_offset, static_cast<std::size_t>(fa.body_bytes)) ==
                        0) {
                    taken[b] = true;
                    g.functions.push_back(fb.index);
                }
            }
            if (g.functions.size() >= 2) {
                std::sort(g.functions.begin(), g.functions.end());
                groups.push_back(std::move(g));
            }
        }
    }
    std::sort(groups.begin(), groups.end(), [](const DuplicateGroup& x, const DuplicateGroup& y) {
        if (x.saved_bytes() != y.saved_bytes()) return x.saved_bytes() > y.saved_bytes();
        return x.functions.front() < y.functions.front();
    });
    return groups;
}

}  // namespace

ModuleAnalysis analyze_module(std::string file, const std::uint8_t* data, std::size_t size, Module&& module,
                              bool compress) {
    ModuleAnalysis a;
    a.file = std::move(file);
    a.raw = size;
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

    // Names: the name section (already on each Function), else the first export, else the index.
    std::unordered_map<std::uint32_t, const std::string*> exported;
    for (const auto& e : module.exports) {
        if (e.kind == ExternalKind::function) exported.emplace(e.index, &e.name);
    }
    a.functions.reserve(module.functions.size());
    for (auto& f : module.functions) {
        FunctionInfo info;
        info.index = f.index;
        info.body_bytes = f.body_size;
        info.body_offset = f.body_offset;
        info.type_index = f.type_index;
        if (!f.name.empty()) {
            info.name = std::move(f.name);
            info.name_source = NameSource::name_section;
        } else if (const auto it = exported.find(f.index); it != exported.end()) {
            info.name = *it->second;
            info.name_source = NameSource::export_name;
        } else {
            info.name = "function[" + std::to_string(f.index) + "]";
            info.name_source = NameSource::index;
        }
        a.functions.push_back(std::move(info));
    }
    a.duplicates = find_duplicates(data, a.functions, canonical);

    a.memory = module.memory0();
    a.memory_imported = module.imported_memory_count() > 0;
    a.data = std::move(module.data);
    a.imports = std::move(module.imports);
    a.exports = std::move(module.exports);
    a.producers = std::move(module.producers);
    a.target_features = std::move(module.target_features);
    return a;
}

std::uint64_t Analysis::total_raw() const {
    std::uint64_t sum = 0;
    for (const auto& m : modules) sum += m.raw;
    return sum;
}

// --- Recommendations ----------------------------------------------------------------

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

// --- JSON ----------------------------------------------------------------------

namespace {

/// A streaming JSON writer: objects and arrays are written one member per
/// line, indented by two spaces, except "inline" ones (all of whose members
/// are scalars) which stay on one line: a function or a data segment is one
/// line, so a report with 10^5 of them stays readable and small. Building an
/// nlohmann tree of that many objects first costs more than the analysis.
class JsonOut {
public:
    std::string text;

    void begin_object(bool inline_ = false) { open('{', inline_); }
    void end_object() { close('}'); }
    void begin_array(bool inline_ = false) { open('[', inline_); }
    void end_array() { close(']'); }

    JsonOut& key(std::string_view k) {
        separator();
        string(k);
        text += ": ";
        pending_ = true;
        return *this;
    }

    void value(std::nullptr_t) { scalar("null"); }
    void value(bool b) { scalar(b ? "true" : "false"); }
    void value(std::uint64_t v) {
        prefix();
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        text.append(buf, r.ptr);
    }
    void value(std::uint32_t v) { value(static_cast<std::uint64_t>(v)); }
    void value(std::int64_t v) {
        prefix();
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        text.append(buf, r.ptr);
    }
    void value(double v) {
        prefix();
        if (!std::isfinite(v)) {
            text += "null";
            return;
        }
        char buf[32];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest form that reads back the same
        const std::string_view digits(buf, static_cast<std::size_t>(r.ptr - buf));
        text += digits;
        if (digits.find_first_of(".e") == std::string_view::npos) text += ".0";
    }
    void value(std::string_view s) {
        prefix();
        string(s);
    }
    void value(const char* s) { value(std::string_view(s)); }
    void value(const std::string& s) { value(std::string_view(s)); }
    template <typename T>
    void value(const std::optional<T>& v) {
        if (v) {
            value(*v);
        } else {
            value(nullptr);
        }
    }
    /// An nlohmann value (recommendation figures), with the same layout rules.
    void value(const json& j) {
        switch (j.type()) {
            case json::value_t::object: {
                begin_object(all_scalars(j));
                for (const auto& [k, v] : j.items()) {
                    key(k);
                    value(v);
                }
                end_object();
                break;
            }
            case json::value_t::array: {
                begin_array(all_scalars(j));
                for (const auto& v : j) value(v);
                end_array();
                break;
            }
            case json::value_t::string: value(std::string_view(j.get_ref<const std::string&>())); break;
            case json::value_t::boolean: value(j.get<bool>()); break;
            case json::value_t::number_unsigned: value(j.get<std::uint64_t>()); break;
            case json::value_t::number_integer: value(j.get<std::int64_t>()); break;
            case json::value_t::number_float: value(j.get<double>()); break;
            default: value(nullptr); break;
        }
    }

    /// Before an array element (optional: a value written without it is separated too).
    void element() { separator(); }

    /// key(k) then value(v).
    template <typename T>
    void member(std::string_view k, const T& v) {
        key(k);
        value(v);
    }

private:
    struct Level {
        bool inline_;
        bool first;
    };
    std::vector<Level> levels_;
    bool pending_ = false;  // a key or a separator was written: the value comes next

    static bool all_scalars(const json& j) {
        for (const auto& v : j) {
            if (v.is_structured() && !v.empty()) return false;
        }
        return true;
    }

    void newline() {
        text += '\n';
        text.append(2 * levels_.size(), ' ');
    }

    // Before a member or an element: the comma and the line break; the next
    // value goes right after it.
    void separator() {
        if (levels_.empty()) return;
        Level& l = levels_.back();
        if (!l.first) text += l.inline_ ? ", " : ",";
        if (!l.inline_) newline();
        l.first = false;
        pending_ = true;
    }

    // Before a value: nothing after key() or element(); else (an array
    // element written directly) the separator.
    void prefix() {
        if (!pending_) separator();
        pending_ = false;
    }

    void scalar(const char* literal) {
        prefix();
        text += literal;
    }

    void open(char c, bool inline_) {
        prefix();
        text += c;
        levels_.push_back({inline_ || (!levels_.empty() && levels_.back().inline_), true});
    }

    void close(char c) {
        const Level l = levels_.back();
        levels_.pop_back();
        if (!l.inline_ && !l.first) newline();
        text += c;
    }

    // A JSON string (RFC 8259 §7): quotes, backslashes and control characters
    // escaped; valid UTF-8 passes through, an invalid byte (a file name given on
    // the command line may have one) becomes U+FFFD.
    void string(std::string_view s) {
        text += '"';
        std::size_t i = 0;
        while (i < s.size()) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                text += static_cast<char>(c);
                ++i;
                continue;
            }
            if (c < 0x80) {
                switch (c) {
                    case '"': text += "\\\""; break;
                    case '\\': text += "\\\\"; break;
                    case '\n': text += "\\n"; break;
                    case '\t': text += "\\t"; break;
                    case '\r': text += "\\r"; break;
                    case '\b': text += "\\b"; break;
                    case '\f': text += "\\f"; break;
                    default: {
                        char buf[8];
                        std::snprintf(buf, sizeof buf, "\\u%04x", c);
                        text += buf;
                    }
                }
                ++i;
                continue;
            }
            const std::size_t len = utf8_length(s, i);
            if (len == 0) {
                text += "\xEF\xBF\xBD";
                ++i;
            } else {
                text.append(s.data() + i, len);
                i += len;
            }
        }
        text += '"';
    }

    // Length of the well-formed UTF-8 sequence at s[i] (RFC 3629), 0 if none.
    static std::size_t utf8_length(std::string_view s, std::size_t i) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        std::uint32_t cp = 0, min = 0;
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1Fu, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0Fu, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07u, min = 0x10000;
        } else {
            return 0;
        }
        if (s.size() - i < len) return 0;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        return len;
    }
};

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
    for (const auto& f : m.functions) {
        out.begin_object(true);
        out.member("index", f.index);
        out.member("name", f.name);
        out.member("name_source", to_string(f.name_source));
        out.member("body_bytes", f.body_bytes);
        out.member("type_index", f.type_index);
        out.member("signature", signature_of(m, f.type_index));
        out.end_object();
    }
    out.end_array();

    out.key("data_segments");
    out.begin_array();
    for (std::size_t i = 0; i < m.data.size(); ++i) {
        const DataSegment& d = m.data[i];
        out.begin_object(true);
        out.member("index", std::uint64_t{i});
        out.member("name", d.name.empty() ? std::nullopt : std::optional<std::string_view>(d.name));
        out.member("bytes", d.size);
        out.member("mode", d.passive ? "passive" : "active");
        out.member("memory", d.passive ? std::nullopt : std::optional<std::uint32_t>(d.memory_index));
        out.member("address", d.address);
        out.end_object();
    }
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
    for (const auto& e : m.exports) {
        out.begin_object(true);
        out.member("name", e.name);
        out.member("kind", to_string(e.kind));
        out.member("index", e.index);
        out.member("signature",
                   e.kind == ExternalKind::function ? signature_of(m, m.function_type(e.index)) : std::nullopt);
        out.end_object();
    }
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
        out.begin_array(true);
        for (const std::uint32_t f : g.functions) {
            out.element();
            out.value(f);
        }
        out.end_array();
        out.end_object();
    }
    out.end_array();
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

}  // namespace

std::string analysis_json(const Analysis& analysis, const BaselineDiff* diff, const GrowthLimits* limits) {
    JsonOut out;
    std::size_t reserve = 4096;
    for (const auto& m : analysis.modules) reserve += 160 * m.functions.size() + 110 * m.data.size();
    out.text.reserve(reserve);
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
    return std::move(out.text);
}

// --- Baseline ------------------------------------------------------------------

namespace {

/// Reads required fields of a baseline, with the JSON path in messages.
class BaselineReader {
public:
    explicit BaselineReader(const std::string& file) : file_(file) {}

    [[noreturn]] void fail(const std::string& path, const char* expected) const {
        throw BaselineError(file_ + ": " + path + " is missing or not " + expected);
    }

    const json& member(const json& object, const std::string& path, const char* key, const char* expected) const {
        const auto it = object.find(key);
        if (it == object.end()) fail(path + "." + key, expected);
        return *it;
    }

    std::uint64_t uint(const json& object, const std::string& path, const char* key) const {
        const json& v = member(object, path, key, "an unsigned integer");
        if (!v.is_number_unsigned()) fail(path + "." + key, "an unsigned integer");
        return v.get<std::uint64_t>();
    }

    std::optional<std::uint64_t> uint_or_null(const json& object, const std::string& path, const char* key) const {
        const auto it = object.find(key);
        if (it == object.end() || it->is_null()) return std::nullopt;
        if (!it->is_number_unsigned()) fail(path + "." + key, "an unsigned integer or null");
        return it->get<std::uint64_t>();
    }

    std::string string(const json& object, const std::string& path, const char* key) const {
        const json& v = member(object, path, key, "a string");
        if (!v.is_string()) fail(path + "." + key, "a string");
        return v.get<std::string>();
    }

    const json& array(const json& object, const std::string& path, const char* key) const {
        const json& v = member(object, path, key, "an array");
        if (!v.is_array()) fail(path + "." + key, "an array");
        return v;
    }

    void object(const json& v, const std::string& path) const {
        if (!v.is_object()) fail(path, "an object");
    }

private:
    const std::string& file_;
};

}  // namespace

// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): the header documents the order (content, then its file)
Baseline parse_baseline(const std::string& text, const std::string& file) {
    // Only the modules' files, sizes, sections and functions are kept: the rest (10^5 data
    // segments in a large Go module) is still checked for syntax but never stored.
    static const std::set<std::string, std::less<>> skipped = {
        "data_segments", "imports",     "exports",    "custom_sections", "producers", "target_features",
        "duplicate_functions", "counts", "memory", "thresholds", "recommendations", "baseline"};
    const json::parser_callback_t keep = [](int depth, json::parse_event_t event, json& parsed) {
        return !(event == json::parse_event_t::key && depth <= 3 && skipped.count(parsed.get_ref<const std::string&>()) != 0);
    };
    json doc;
    try {
        doc = json::parse(text, keep);
    } catch (const json::parse_error& e) {
        // e.what(): "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
        throw BaselineError(file + ": not valid JSON (byte " + std::to_string(e.byte) + "): " + e.what());
    }
    if (!doc.is_object()) throw BaselineError(file + ": not a wasm analysis report: the document is not a JSON object");
    const auto schema = doc.find("schema");
    if (schema == doc.end() || !schema->is_string()) {
        throw BaselineError(file + ": not a wasm analysis report: it has no \"schema\" string (expected \"" +
                            analysis_schema + "\")");
    }
    if (schema->get<std::string>() != analysis_schema) {
        throw BaselineError(file + ": not a wasm analysis report: schema is \"" + schema->get<std::string>() +
                            "\", expected \"" + analysis_schema + "\"");
    }
    const BaselineReader r(file);
    Baseline b;
    b.file = file;
    const json& modules = r.array(doc, "", "modules");
    for (std::size_t i = 0; i < modules.size(); ++i) {
        const std::string path = ".modules[" + std::to_string(i) + "]";
        const json& mj = modules[i];
        r.object(mj, path);
        Baseline::Module m;
        m.file = r.string(mj, path, "file");
        m.raw = r.uint(mj, path, "raw");
        m.gzip = r.uint_or_null(mj, path, "gzip");
        m.brotli = r.uint_or_null(mj, path, "brotli");
        const json& sections = r.array(mj, path, "sections");
        for (std::size_t k = 0; k < sections.size(); ++k) {
            const std::string sp = path + ".sections[" + std::to_string(k) + "]";
            r.object(sections[k], sp);
            m.sections.push_back({r.string(sections[k], sp, "name"), r.uint(sections[k], sp, "bytes")});
        }
        const json& functions = r.array(mj, path, "functions");
        m.functions.reserve(functions.size());
        for (std::size_t k = 0; k < functions.size(); ++k) {
            const std::string fp = path + ".functions[" + std::to_string(k) + "]";
            r.object(functions[k], fp);
            m.functions.push_back({r.string(functions[k], fp, "name"), r.uint(functions[k], fp, "body_bytes")});
        }
        b.modules.push_back(std::move(m));
    }
    return b;
}

Baseline baseline_of(const Analysis& analysis, const std::string& file) {
    Baseline b;
    b.file = file;
    for (const auto& m : analysis.modules) {
        Baseline::Module bm;
        bm.file = m.file;
        bm.raw = m.raw;
        bm.gzip = m.gzip;
        bm.brotli = m.brotli;
        for (const auto& s : m.sections) bm.sections.push_back({s.name, s.bytes});
        bm.functions.reserve(m.functions.size());
        for (const auto& f : m.functions) bm.functions.push_back({f.name, f.body_bytes});
        b.modules.push_back(std::move(bm));
    }
    return b;
}

std::optional<double> SizeDelta::percent() const {
    if (old_bytes == 0) return std::nullopt;
    return 100.0 * (static_cast<double>(new_bytes) - static_cast<double>(old_bytes)) / static_cast<double>(old_bytes);
}

namespace {

Change change_of(const SizeDelta& d) {
    if (d.new_bytes > d.old_bytes) return Change::grown;
    if (d.new_bytes < d.old_bytes) return Change::shrunk;
    return Change::unchanged;
}

/// The last path component ("a/b/app.wasm" -> "app.wasm").
std::string_view base_name(std::string_view path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

/// Matches `old` items with `now` items by name, the n-th occurrence of a name
/// with the n-th. Returns the changed ones (largest |delta| first, then name,
/// then added/removed order) and counts the unchanged ones.
std::vector<ItemDelta> diff_items(const std::vector<Baseline::Item>& old, const std::vector<Baseline::Item>& now,
                                  std::size_t& unchanged) {
    std::unordered_map<std::string_view, std::vector<std::size_t>> by_name;
    by_name.reserve(old.size());
    for (std::size_t i = 0; i < old.size(); ++i) by_name[old[i].name].push_back(i);
    std::unordered_map<std::string_view, std::size_t> seen;
    seen.reserve(now.size());
    std::vector<bool> matched(old.size(), false);
    std::vector<ItemDelta> out;
    unchanged = 0;
    for (const auto& item : now) {
        const std::size_t occurrence = seen[item.name]++;
        const auto it = by_name.find(item.name);
        if (it == by_name.end() || occurrence >= it->second.size()) {
            out.push_back({item.name, Change::added, {0, item.bytes}});
            continue;
        }
        const std::size_t o = it->second[occurrence];
        matched[o] = true;
        const SizeDelta d{old[o].bytes, item.bytes};
        const Change c = change_of(d);
        if (c == Change::unchanged) {
            ++unchanged;
        } else {
            out.push_back({item.name, c, d});
        }
    }
    for (std::size_t i = 0; i < old.size(); ++i) {
        if (!matched[i]) out.push_back({old[i].name, Change::removed, {old[i].bytes, 0}});
    }
    std::stable_sort(out.begin(), out.end(), [](const ItemDelta& a, const ItemDelta& b) {
        const std::uint64_t da = static_cast<std::uint64_t>(std::llabs(a.size.delta()));
        const std::uint64_t db = static_cast<std::uint64_t>(std::llabs(b.size.delta()));
        if (da != db) return da > db;
        return a.name < b.name;
    });
    return out;
}

ModuleDelta module_delta(const Baseline::Module* old, const Baseline::Module* now) {
    static const Baseline::Module empty;
    const Baseline::Module& o = old != nullptr ? *old : empty;
    const Baseline::Module& n = now != nullptr ? *now : empty;
    ModuleDelta d;
    d.old_file = old != nullptr ? o.file : std::string();
    d.new_file = now != nullptr ? n.file : std::string();
    d.raw = {o.raw, n.raw};
    d.change = old == nullptr ? Change::added : now == nullptr ? Change::removed : change_of(d.raw);
    if (old != nullptr && now != nullptr) {
        if (o.gzip && n.gzip) d.gzip = SizeDelta{*o.gzip, *n.gzip};
        if (o.brotli && n.brotli) d.brotli = SizeDelta{*o.brotli, *n.brotli};
    }
    std::size_t unchanged_sections = 0;
    d.sections = diff_items(o.sections, n.sections, unchanged_sections);
    d.functions = diff_items(o.functions, n.functions, d.unchanged_functions);
    return d;
}

}  // namespace

BaselineDiff diff_baseline(const Baseline& old, const Analysis& now) {
    const Baseline current = baseline_of(now, "");
    BaselineDiff diff;
    diff.file = old.file;
    const std::size_t n_new = current.modules.size();
    const std::size_t n_old = old.modules.size();
    std::vector<std::optional<std::size_t>> match(n_new);  // new -> old
    std::vector<bool> used(n_old, false);
    for (std::size_t i = 0; i < n_new; ++i) {
        for (std::size_t k = 0; k < n_old; ++k) {
            if (!used[k] && base_name(old.modules[k].file) == base_name(current.modules[i].file)) {
                match[i] = k;
                used[k] = true;
                break;
            }
        }
    }
    const auto unmatched_new = static_cast<std::size_t>(
        std::count_if(match.begin(), match.end(), [](const auto& m) { return !m.has_value(); }));
    const auto unmatched_old = static_cast<std::size_t>(std::count(used.begin(), used.end(), false));
    if (unmatched_new == 1 && unmatched_old == 1) {
        const auto i = static_cast<std::size_t>(
            std::find_if(match.begin(), match.end(), [](const auto& m) { return !m.has_value(); }) - match.begin());
        const auto k = static_cast<std::size_t>(std::find(used.begin(), used.end(), false) - used.begin());
        match[i] = k;
        used[k] = true;
    }
    std::uint64_t old_total = 0, new_total = 0;
    for (std::size_t i = 0; i < n_new; ++i) {
        diff.modules.push_back(module_delta(match[i] ? &old.modules[*match[i]] : nullptr, &current.modules[i]));
        new_total += current.modules[i].raw;
    }
    for (std::size_t k = 0; k < n_old; ++k) {
        old_total += old.modules[k].raw;
        if (!used[k]) diff.modules.push_back(module_delta(&old.modules[k], nullptr));
    }
    diff.total = {old_total, new_total};
    return diff;
}

std::vector<std::string> check_growth(const BaselineDiff& diff, const GrowthLimits& limits) {
    std::vector<std::string> out;
    const auto check = [&](const std::string& what, const SizeDelta& d) {
        const std::int64_t delta = d.delta();
        const std::optional<double> p = d.percent();
        const std::string change = what + ": raw size grew from " + std::to_string(d.old_bytes) + " to " +
                                   std::to_string(d.new_bytes) + " bytes (" + signed_text(delta) + " bytes" +
                                   (p ? ", " + signed_percent_text(*p) : std::string(", new module")) + ")";
        if (limits.bytes && delta > 0 && static_cast<std::uint64_t>(delta) > *limits.bytes) {
            out.push_back(change + ", more than --fail-above-bytes " + std::to_string(*limits.bytes) + " bytes");
        }
        if (limits.percent && p && *p > *limits.percent) {
            char limit[32];
            std::snprintf(limit, sizeof limit, "%g", *limits.percent);
            out.push_back(change + ", more than --fail-above-percent " + limit + "%");
        }
    };
    std::size_t present = 0;
    for (const auto& m : diff.modules) {
        if (m.new_file.empty()) continue;  // removed: it shrank
        ++present;
        check(m.new_file, m.raw);
    }
    if (diff.modules.size() > 1 || present > 1) check("total of all modules", diff.total);
    return out;
}

// --- Treemap -----------------------------------------------------------------------

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
                fn.name = f.name;
                fn.kind = "function";
                fn.bytes = f.body_bytes;
                fn.detail = "function " + std::to_string(f.index) +
                            (f.type_index < m.signatures.size() ? " " + m.signatures[f.type_index] : std::string()) +
                            ", name from " + to_string(f.name_source);
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
