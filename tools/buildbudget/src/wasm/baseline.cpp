#include "wasm/baseline.hpp"

#include "report/format.hpp"
#include "wasm/analysis_json.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <set>
#include <unordered_map>
#include <utility>

namespace buildbudget::wasm {

using json = nlohmann::ordered_json;
using report::signed_percent_text;
using report::signed_text;

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

}  // namespace buildbudget::wasm
