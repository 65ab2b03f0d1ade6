#include "footprint/check.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

namespace buildbudget::footprint {
namespace {

using nlohmann::ordered_json;

ordered_json sizes_json(const SectionSizes& s) {
    return {{"text", s.text}, {"rodata", s.rodata}, {"data", s.data}, {"bss", s.bss}, {"static_ram", s.static_ram()}};
}

}  // namespace

ordered_json describe(const Artifact& a) {
    ordered_json objects = ordered_json::array();
    for (const auto& o : a.objects) {
        ordered_json j = {{"name", o.name}};
        j.update(sizes_json(o.sizes));
        objects.push_back(std::move(j));
    }
    ordered_json j = {{"path", a.path},
                      {"kind", to_string(a.kind)},
                      {"format", a.format},
                      {"has_symbols", a.has_symbols},
                      {"notes", a.notes},
                      {"sizes", sizes_json(a.totals())}};
    if (a.wasm) {
        j["wasm"] = {{"initial_memory_bytes", a.wasm->initial_bytes},
                     {"maximum_memory_bytes", a.wasm->maximum_bytes ? ordered_json(*a.wasm->maximum_bytes) : ordered_json(nullptr)},
                     {"data_segment_bytes", a.wasm->data_segment_bytes},
                     {"stack_pointer", a.wasm->stack_pointer ? ordered_json(*a.wasm->stack_pointer) : ordered_json(nullptr)}};
    }
    j["objects"] = std::move(objects);
    return j;
}

namespace {

/// "libnet.a(ring.o)" for an archive member, else the file.
std::string object_label(const Artifact& a, const ObjectFile& o) {
    // A file's only object is named after the file (see read_artifact()).
    if (a.kind != ArtifactKind::static_library) return o.name;
    return std::filesystem::path(a.path).filename().string() + "(" + o.name + ")";
}

/// Attachments grouped by component: budget order first, then the others in
/// the order they were given.
std::vector<std::pair<std::string, std::vector<std::string>>> group(const std::vector<std::string>& budget_order,
                                                                    const std::vector<Attachment>& attachments) {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    const auto add = [&](const std::string& component) {
        std::vector<std::string> paths;
        for (const auto& a : attachments) {
            if (a.component == component) paths.push_back(a.path);
        }
        if (!paths.empty()) out.emplace_back(component, std::move(paths));
    };
    std::set<std::string> seen;
    for (const auto& name : budget_order) {
        if (seen.insert(name).second) add(name);
    }
    for (const auto& a : attachments) {
        if (seen.insert(a.component).second) add(a.component);
    }
    return out;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The component's files, read; what cannot be read goes into `errors`
/// ("; "-separated reader messages) and is left out.
std::vector<Artifact> read_all(const std::vector<std::string>& paths, std::string& errors) {
    std::vector<Artifact> artifacts;
    for (const auto& p : paths) {
        try {
            artifacts.push_back(read_artifact(p));
        } catch (const ArtifactError& e) {
            errors += (errors.empty() ? "" : "; ") + std::string(e.what());
        }
    }
    return artifacts;
}

/// Marks `r` as not measurable (a JUnit <error>) with `message`.
void set_error(report::CaseResult& r, std::string message) {
    r.passed = false;
    r.error = true;
    r.message = std::move(message);
}

bool matches(const std::string& pattern, const std::string& symbol) {
    if (!pattern.empty() && pattern.back() == '*') return symbol.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
    return pattern == symbol;
}

}  // namespace

std::string demangle(const std::string& symbol) {
    if (symbol.rfind("_Z", 0) != 0) return symbol;
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> out(abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status),
                                                    &std::free);
    return status == 0 && out ? std::string(out.get()) : symbol;
}

std::vector<Contributor> largest_contributors(const std::vector<Artifact>& artifacts, std::size_t limit) {
    std::vector<Contributor> symbols;
    std::vector<Contributor> objects;
    for (const auto& a : artifacts) {
        for (const auto& o : a.objects) {
            for (const auto& s : o.data_symbols) symbols.push_back({demangle(s.name), object_label(a, o), s.size});
            if (o.sizes.static_ram() > 0) objects.push_back({"", object_label(a, o), o.sizes.static_ram()});
        }
    }
    auto& list = symbols.empty() ? objects : symbols;
    std::stable_sort(list.begin(), list.end(), [](const Contributor& x, const Contributor& y) { return x.bytes > y.bytes; });
    if (list.size() > limit) list.resize(limit);
    return list;
}

report::CheckReport check_static_ram(const BudgetFile& budget, const std::vector<Attachment>& attachments) {
    const auto start = std::chrono::steady_clock::now();
    report::CheckReport rep;
    rep.set = budget.set_name;
    rep.check = "footprint";
    rep.measure = "static RAM";
    std::vector<std::string> order;
    for (const auto& c : budget.components) order.push_back(c.name);

    for (const auto& [component, paths] : group(order, attachments)) {
        report::CaseResult r;
        r.component = component;
        const BudgetedComponent* declared = budget.find(component);
        if (declared == nullptr) {
            set_error(r, "component " + component + " is not in budget set " + budget.set_name + " (" + budget.path + ")");
            rep.cases.push_back(std::move(r));
            continue;
        }
        r.budget_bytes = declared->bytes;
        std::string errors;
        const std::vector<Artifact> artifacts = read_all(paths, errors);
        SectionSizes sizes;
        ordered_json listed = ordered_json::array();
        for (const auto& a : artifacts) {
            sizes += a.totals();
            listed.push_back(describe(a));
        }
        r.measured_bytes = sizes.static_ram();
        r.details["sizes"] = sizes_json(sizes);
        const auto largest = largest_contributors(artifacts, 3);
        ordered_json largest_json = ordered_json::array();
        for (const auto& c : largest) largest_json.push_back({{"symbol", c.symbol}, {"object", c.object}, {"bytes", c.bytes}});
        r.details["largest"] = largest_json;
        r.details["artifacts"] = listed;
        if (!errors.empty()) {
            set_error(r, errors);
        } else if (r.measured_bytes > declared->bytes) {
            r.passed = false;
            r.message = "component " + component + ": static RAM " + std::to_string(r.measured_bytes) + " bytes (.data " +
                        std::to_string(sizes.data) + " + .bss " + std::to_string(sizes.bss) +
                        ") is over its budget of " + std::to_string(declared->bytes) + " bytes by " +
                        std::to_string(r.measured_bytes - declared->bytes) + " bytes";
            if (largest.empty()) {
                r.message += "; the largest contributors cannot be named (no symbols)";
            } else {
                r.message += "; largest: ";
                for (std::size_t i = 0; i < largest.size(); ++i) {
                    const auto& c = largest[i];
                    if (i > 0) r.message += ", ";
                    r.message += (c.symbol.empty() ? c.object : c.symbol + " in " + c.object) + " " +
                                 std::to_string(c.bytes) + " bytes";
                }
            }
        }
        rep.cases.push_back(std::move(r));
    }
    rep.seconds = seconds_since(start);
    return rep;
}

std::vector<DeniedSymbol> default_deny_list() {
    std::vector<DeniedSymbol> list;
    for (const char* s : {"malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc", "memalign", "valloc",
                          "pvalloc", "reallocarray", "_Znw*", "_Zna*", "_Zdl*", "_Zda*"}) {
        list.push_back({s, "heap"});
    }
    for (const char* s : {"__cxa_throw", "__cxa_allocate_exception", "__cxa_rethrow"}) list.push_back({s, "exceptions"});
    return list;
}

report::CheckReport check_freestanding(const std::string& set_name, const std::vector<Attachment>& attachments,
                                       const std::vector<DenyListChanges>& changes) {
    const auto start = std::chrono::steady_clock::now();
    report::CheckReport rep;
    rep.set = set_name;
    rep.check = "freestanding";
    rep.measure = "denied symbol references";
    for (const auto& [component, paths] : group({}, attachments)) {
        report::CaseResult r;
        r.component = component;
        std::vector<DeniedSymbol> deny = default_deny_list();
        std::vector<std::string> allow;
        for (const auto& ch : changes) {
            if (ch.component != component) continue;
            for (const auto& d : ch.deny) deny.push_back({d, "denied by DENY"});
            allow.insert(allow.end(), ch.allow.begin(), ch.allow.end());
        }
        deny.erase(std::remove_if(deny.begin(), deny.end(),
                                  [&](const DeniedSymbol& d) { return std::find(allow.begin(), allow.end(), d.pattern) != allow.end(); }),
                   deny.end());
        ordered_json findings = ordered_json::array();
        ordered_json artifacts = ordered_json::array();
        std::vector<std::string> lines;
        std::string errors;
        for (const auto& a : read_all(paths, errors)) {
            artifacts.push_back({{"path", a.path}, {"kind", to_string(a.kind)}, {"has_symbols", a.has_symbols}, {"notes", a.notes}});
            std::set<std::string> defined;  // resolved inside the artifact itself
            for (const auto& o : a.objects) defined.insert(o.defined_symbols.begin(), o.defined_symbols.end());
            for (const auto& o : a.objects) {
                std::set<std::string> reported;
                for (const auto& sym : o.undefined_symbols) {
                    if (defined.count(sym) != 0 || !reported.insert(sym).second) continue;
                    if (std::find(allow.begin(), allow.end(), sym) != allow.end()) continue;
                    const auto hit = std::find_if(deny.begin(), deny.end(), [&](const DeniedSymbol& d) { return matches(d.pattern, sym); });
                    if (hit == deny.end()) continue;
                    const std::string shown = demangle(sym);
                    findings.push_back({{"symbol", sym}, {"demangled", shown}, {"object", object_label(a, o)}, {"group", hit->group}});
                    lines.push_back(object_label(a, o) + " needs " + shown + " (" + hit->group + ")");
                }
            }
        }
        r.measured_bytes = findings.size();
        r.details["denied"] = findings;
        r.details["artifacts"] = artifacts;
        if (!errors.empty()) {
            set_error(r, errors);
        } else if (!lines.empty()) {
            r.passed = false;
            r.message = "FREESTANDING component " + component + " uses what it must not: ";
            for (std::size_t i = 0; i < lines.size(); ++i) r.message += (i > 0 ? "; " : "") + lines[i];
        }
        rep.cases.push_back(std::move(r));
    }
    rep.seconds = seconds_since(start);
    return rep;
}

}  // namespace buildbudget::footprint
