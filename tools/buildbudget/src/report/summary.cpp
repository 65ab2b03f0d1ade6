// The budget report's document from a build's files (report/summary.hpp, summarize(); the
// schema in doc/helper-report.md, "report.json").
#include "report/summary.hpp"

#include "buildmem/job_log.hpp"
#include "buildmem/report.hpp"
#include "version.hpp"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>

namespace buildbudget::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

/// Field access with errors naming the file and the field: "<file>: components[2].measured_bytes
/// is missing or not a number of bytes".
struct Reader {
    std::string file;

    [[noreturn]] void fail(const std::string& where, const char* expected) const {
        throw ReportInputError(file + ": " + where + " is missing or not " + expected);
    }
    const ordered_json& field(const ordered_json& j, const std::string& where, const char* key,
                              const char* expected) const {
        if (!j.is_object() || !j.contains(key)) fail(join(where, key), expected);
        return j[key];
    }
    static std::string join(const std::string& where, const char* key) {
        return where.empty() ? std::string(key) : where + "." + key;
    }
    std::string string(const ordered_json& j, const std::string& where, const char* key) const {
        const auto& v = field(j, where, key, "a string");
        if (!v.is_string()) fail(join(where, key), "a string");
        return v.get<std::string>();
    }
    std::uint64_t uint(const ordered_json& j, const std::string& where, const char* key) const {
        const auto& v = field(j, where, key, "a number of bytes");
        if (!v.is_number_unsigned()) fail(join(where, key), "a number of bytes");
        return v.get<std::uint64_t>();
    }
    /// A count of bytes or null (or absent).
    std::optional<std::uint64_t> optional_uint(const ordered_json& j, const std::string& where, const char* key) const {
        if (!j.is_object() || !j.contains(key) || j[key].is_null()) return std::nullopt;
        if (!j[key].is_number_unsigned()) fail(join(where, key), "a number of bytes or null");
        return j[key].get<std::uint64_t>();
    }
    bool boolean(const ordered_json& j, const std::string& where, const char* key) const {
        const auto& v = field(j, where, key, "true or false");
        if (!v.is_boolean()) fail(join(where, key), "true or false");
        return v.get<bool>();
    }
    const ordered_json& array(const ordered_json& j, const std::string& where, const char* key) const {
        const auto& v = field(j, where, key, "an array");
        if (!v.is_array()) fail(join(where, key), "an array");
        return v;
    }
};

std::string at(const char* key, std::size_t i) { return std::string(key) + "[" + std::to_string(i) + "]"; }

ordered_json optional_json(const std::optional<std::uint64_t>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); }

ordered_json read_doc(const std::string& file) { return parse_json(read_input(file), file); }

struct Budget {
    std::optional<std::uint64_t> budget_bytes;
    std::optional<std::uint64_t> static_ram, heap_peak;
    ordered_json checks = ordered_json::array();
    bool failed = false, error = false;
};

void take_max(std::optional<std::uint64_t>& slot, std::uint64_t value) {
    if (!slot || value > *slot) slot = value;
}

ordered_json figure(const std::string& key, const std::string& label, std::uint64_t value,
                    const std::optional<std::uint64_t>& limit) {
    return {{"key", key},           {"label", label},     {"value", value}, {"limit", optional_json(limit)},
            {"unit", "bytes"},      {"baseline", nullptr}, {"delta", nullptr}, {"change", nullptr},
            {"history", ordered_json::array()}};
}

ordered_json budgets_json(const Inputs& inputs, ordered_json& figures) {
    std::map<std::pair<std::string, std::string>, Budget> budgets;
    for (const auto& file : inputs.budget_sets) {
        const Reader r{file};
        const ordered_json doc = read_doc(file);
        const std::string set = r.string(doc, "", "name");
        const auto& components = r.array(doc, "", "components");
        for (std::size_t i = 0; i < components.size(); ++i) {
            const std::string where = at("components", i);
            budgets[{set, r.string(components[i], where, "name")}].budget_bytes = r.uint(components[i], where, "bytes");
        }
    }
    for (const auto& file : inputs.check_reports) {
        const Reader r{file};
        const ordered_json doc = read_doc(file);
        const std::string set = r.string(doc, "", "set");
        const std::string check = r.string(doc, "", "check");
        const std::string measure = r.string(doc, "", "measure");
        const auto& components = r.array(doc, "", "components");
        for (std::size_t i = 0; i < components.size(); ++i) {
            const auto& c = components[i];
            const std::string where = at("components", i);
            Budget& b = budgets[{set, r.string(c, where, "name")}];
            const bool passed = r.boolean(c, where, "passed");
            const bool error = r.boolean(c, where, "error");
            const std::uint64_t measured = r.uint(c, where, "measured_bytes");
            if (!b.budget_bytes) b.budget_bytes = r.optional_uint(c, where, "budget_bytes");
            if (!error && check == "footprint") take_max(b.static_ram, measured);
            if (!error && check == "peak") take_max(b.heap_peak, measured);
            b.error = b.error || error;
            b.failed = b.failed || (!passed && !error);
            b.checks.push_back({{"check", check},
                                {"measure", measure},
                                {"passed", passed},
                                {"error", error},
                                {"measured_bytes", measured},
                                {"message", r.string(c, where, "message")},
                                {"report", file}});
        }
    }
    ordered_json out = ordered_json::array();
    for (auto& [key, b] : budgets) {
        const auto& [set, component] = key;
        const char* status = b.error ? "error" : b.failed ? "over" : b.checks.empty() ? "unchecked" : "ok";
        out.push_back({{"set", set},
                       {"component", component},
                       {"budget_bytes", optional_json(b.budget_bytes)},
                       {"static_ram_bytes", optional_json(b.static_ram)},
                       {"heap_peak_bytes", optional_json(b.heap_peak)},
                       {"status", status},
                       {"checks", std::move(b.checks)}});
        const std::string prefix = "budget/" + set + "/" + component + "/";
        if (b.static_ram) {
            figures.push_back(figure(prefix + "static_ram", set + " " + component + " static RAM", *b.static_ram, b.budget_bytes));
        }
        if (b.heap_peak) {
            figures.push_back(figure(prefix + "heap_peak", set + " " + component + " heap peak", *b.heap_peak, b.budget_bytes));
        }
    }
    return out;
}

std::string key_of_path(const std::string& path) {
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
    return ec ? path : p.string();
}

ordered_json wasm_json(const Inputs& inputs, const RunInfo& run, ordered_json& figures) {
    // Analyses by the modules they cover; the treemap is the analysis's .html twin when there is one.
    std::map<std::string, std::pair<std::string, std::optional<std::string>>> analysis_of;
    for (const auto& file : inputs.analyses) {
        const Reader r{file};
        const ordered_json doc = read_doc(file);
        const auto& modules = r.array(doc, "", "modules");
        std::optional<std::string> treemap;
        fs::path html = fs::path(file).replace_extension(".html");
        std::error_code ec;
        if (fs::is_regular_file(html, ec)) {
            treemap = fs::path(html).lexically_relative(fs::absolute(run.out_dir).lexically_normal()).generic_string();
        }
        for (std::size_t i = 0; i < modules.size(); ++i) {
            fs::path module = r.string(modules[i], at("modules", i), "file");
            if (module.is_relative()) module = fs::path(file).parent_path() / module;
            analysis_of.emplace(key_of_path(module.string()), std::make_pair(file, treemap));
        }
    }
    struct Module {
        std::string name;
        ordered_json json;
    };
    std::vector<Module> modules;
    for (const auto& file : inputs.size_reports) {
        const Reader r{file};
        const ordered_json doc = read_doc(file);
        Module m;
        m.name = r.string(doc, "", "name");
        std::string module_file = r.string(doc, "", "file");
        const std::uint64_t raw = r.uint(doc, "", "raw");
        const auto gzip = r.optional_uint(doc, "", "gzip");
        const auto brotli = r.optional_uint(doc, "", "brotli");
        ordered_json limits = {{"raw", nullptr}, {"gzip", nullptr}, {"brotli", nullptr}, {"linear_memory", nullptr}};
        bool passed = !doc.contains("passed") || (doc["passed"].is_boolean() && doc["passed"].get<bool>());
        if (doc.contains("limits")) {
            const auto& list = r.array(doc, "", "limits");
            for (std::size_t i = 0; i < list.size(); ++i) {
                const std::string where = at("limits", i);
                std::string kind = r.string(list[i], where, "kind");
                if (kind == "linear memory") kind = "linear_memory";
                if (limits.contains(kind)) limits[kind] = r.uint(list[i], where, "limit_bytes");
                passed = passed && r.boolean(list[i], where, "passed");
            }
        }
        fs::path module_path = module_file;
        if (module_path.is_relative()) module_path = fs::path(file).parent_path() / module_path;
        const auto analysis = analysis_of.find(key_of_path(module_path.string()));
        m.json = {{"name", m.name},
                  {"file", module_file},
                  {"raw", raw},
                  {"gzip", optional_json(gzip)},
                  {"brotli", optional_json(brotli)},
                  {"limits", limits},
                  {"status", passed ? "ok" : "over"},
                  {"analysis", analysis == analysis_of.end() ? ordered_json(nullptr) : ordered_json(analysis->second.first)},
                  {"treemap", analysis == analysis_of.end() || !analysis->second.second
                                  ? ordered_json(nullptr)
                                  : ordered_json(*analysis->second.second)},
                  {"report", file}};
        modules.push_back(std::move(m));
    }
    std::stable_sort(modules.begin(), modules.end(), [](const Module& a, const Module& b) { return a.name < b.name; });
    // Two reports of one name (the same module built in two directories): the later ones are told
    // apart by their report's path, so every figure key stays unique.
    for (std::size_t i = 1; i < modules.size(); ++i) {
        if (modules[i].name == modules[i - 1].name) {
            modules[i].json["name"] = modules[i].name + " (" + modules[i].json["report"].get<std::string>() + ")";
        }
    }
    ordered_json out = ordered_json::array();
    for (auto& m : modules) {
        const std::string name = m.json["name"].get<std::string>();
        const auto& limits = m.json["limits"];
        for (const char* kind : {"raw", "gzip", "brotli"}) {
            if (m.json[kind].is_null()) continue;
            figures.push_back(figure("wasm/" + name + "/" + kind, name + " " + kind, m.json[kind].get<std::uint64_t>(),
                                     limits[kind].is_null() ? std::nullopt
                                                            : std::optional<std::uint64_t>(limits[kind].get<std::uint64_t>())));
        }
        out.push_back(std::move(m.json));
    }
    return out;
}

/// A plan's memory limit and pools.
struct Plan {
    std::string file;
    std::optional<std::string> log;
    std::uint64_t memory_limit = 0;
    std::uint64_t compile_jobs = 0, link_jobs = 0;
};

Plan read_plan(const std::string& file) {
    const Reader r{file};
    const ordered_json doc = read_doc(file);
    Plan p;
    p.file = file;
    p.memory_limit = r.uint(doc, "", "memory_limit");
    p.compile_jobs = r.uint(doc, "", "compile_jobs");
    p.link_jobs = r.uint(doc, "", "link_jobs");
    if (doc.contains("log") && doc["log"].is_string()) {
        fs::path log = doc["log"].get<std::string>();
        if (log.is_relative()) log = fs::path(file).parent_path() / log;  // as read_lowmem_plan() takes it
        p.log = key_of_path(log.string());
    }
    return p;
}

/// The records of the last build in `records`: sorted by start, the run that begins with the last
/// record starting more than build_gap_ms after every earlier record ended.
std::vector<buildmem::JobRecord> last_build(std::vector<buildmem::JobRecord> records) {
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& a, const auto& b) { return a.start_ms < b.start_ms; });
    std::size_t first = 0;
    std::int64_t latest_end = 0;
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (i > 0 && records[i].start_ms > latest_end + build_gap_ms) first = i;
        latest_end = i == 0 ? records[i].end_ms : std::max(latest_end, records[i].end_ms);
    }
    records.erase(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(first));
    return records;
}

/// `name` relative to `dir` when it is an absolute path inside it.
std::string short_name(const std::string& name, const std::string& dir) {
    const fs::path p(name);
    if (!p.is_absolute() || dir.empty()) return name;
    const fs::path rel = p.lexically_normal().lexically_relative(fs::path(dir).lexically_normal());
    if (rel.empty() || *rel.begin() == "..") return name;
    return rel.generic_string();
}

ordered_json build_memory_json(const Inputs& inputs, const RunInfo& run, ordered_json& figures) {
    if (inputs.job_logs.empty()) return nullptr;
    std::vector<Plan> plans;
    for (const auto& file : inputs.plans) plans.push_back(read_plan(file));
    // One log: the one a plan names, else the first.
    std::string log = inputs.job_logs.front();
    for (const auto& candidate : inputs.job_logs) {
        if (std::any_of(plans.begin(), plans.end(), [&](const Plan& p) { return p.log && *p.log == key_of_path(candidate); })) {
            log = candidate;
            break;
        }
    }
    const Plan* plan = nullptr;
    for (const auto& p : plans) {
        if (p.log && *p.log == key_of_path(log)) plan = &p;
    }
    for (const auto& p : plans) {
        if (!plan && fs::path(p.file).parent_path() == fs::path(log).parent_path()) plan = &p;
    }
    std::vector<buildmem::JobRecord> all;
    try {
        all = buildmem::read_records(log);
    } catch (const buildmem::JobLogError& e) {
        throw ReportInputError(e.what());
    }
    const std::size_t records = all.size();
    const std::vector<buildmem::JobRecord> jobs = last_build(std::move(all));
    const buildmem::ConcurrencyPeak peak = buildmem::concurrency_peak(jobs);
    const std::int64_t origin = jobs.empty() ? 0 : jobs.front().start_ms;
    ordered_json list = ordered_json::array();
    std::size_t killed = 0;
    for (const auto& job : jobs) {
        ordered_json samples = ordered_json::array();
        for (const auto& [ms, rss] : job.samples) samples.push_back({ms, rss});
        const bool oom = job.oom_kills > 0 || (job.signal && *job.signal == SIGKILL);
        killed += job.killed() ? 1 : 0;
        list.push_back({{"kind", job.kind},
                        {"name", short_name(job.name(), run.build_dir)},
                        {"output", job.output ? ordered_json(*job.output) : ordered_json(nullptr)},
                        {"start_ms", job.start_ms - origin},
                        {"end_ms", job.end_ms - origin},
                        {"peak_rss", job.peak_rss},
                        {"exit_code", job.exit_code},
                        {"signal", job.signal ? ordered_json(*job.signal) : ordered_json(nullptr)},
                        {"killed", job.killed()},
                        {"oom", oom},
                        {"waited_ms", job.waited_ms},
                        {"samples", std::move(samples)}});
    }
    // With a compile farm (doc/lowmem-distributed.md): where the last build's compiles ran.
    ordered_json farm = nullptr;
    if (const std::optional<buildmem::FarmSummary> f = buildmem::summarize_farm(jobs)) {
        farm = {{"remote", f->remote},
                {"local", f->local},
                {"fallback", f->fallback},
                {"failed", f->failed},
                {"preprocessed", {{"local", f->preprocessed_local}, {"remote", f->preprocessed_remote}}},
                {"failed_hosts", ordered_json::object()}};
        for (const auto& [host, n] : f->failed_hosts) farm["failed_hosts"][host] = n;
    }
    const std::optional<std::uint64_t> limit = plan ? std::optional<std::uint64_t>(plan->memory_limit) : std::nullopt;
    if (!jobs.empty()) figures.push_back(figure("build/peak", "build memory peak", peak.bytes, limit));
    ordered_json out = {{"log", log},
            {"plan", plan ? ordered_json(plan->file) : ordered_json(nullptr)},
            {"memory_limit_bytes", optional_json(limit)},
            {"pools", plan ? ordered_json{{"compile", plan->compile_jobs}, {"link", plan->link_jobs}} : ordered_json(nullptr)},
            {"peak_bytes", peak.bytes},
            {"started_ms", jobs.empty() ? ordered_json(nullptr) : ordered_json(origin)},
            {"records", records},
            {"killed", killed},
            {"jobs", std::move(list)}};
    if (!farm.is_null()) out["distributed"] = std::move(farm);  // only with a farm: other reports stay as they were
    return out;
}

}  // namespace

std::optional<std::uint64_t> count_of(const ordered_json& object, const char* key) {
    if (!object.is_object()) return std::nullopt;
    const auto it = object.find(key);
    if (it == object.end()) return std::nullopt;
    if (it->is_number_unsigned()) return it->get<std::uint64_t>();
    if (it->is_number_integer() && it->get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(it->get<std::int64_t>());
    return std::nullopt;
}

buildmem::FarmSummary farm_summary_of(const ordered_json& distributed) {
    const auto count = [](const ordered_json& object, const char* key) {
        return static_cast<std::size_t>(count_of(object, key).value_or(0));
    };
    buildmem::FarmSummary farm;
    farm.remote = count(distributed, "remote");
    farm.local = count(distributed, "local");
    farm.fallback = count(distributed, "fallback");
    farm.failed = count(distributed, "failed");
    if (distributed.is_object()) {
        if (const auto it = distributed.find("preprocessed"); it != distributed.end()) {
            farm.preprocessed_local = count(*it, "local");
            farm.preprocessed_remote = count(*it, "remote");
        }
        if (const auto it = distributed.find("failed_hosts"); it != distributed.end() && it->is_object()) {
            for (const auto& item : it->items()) {
                if (const auto n = count_of(*it, item.key().c_str())) farm.failed_hosts.emplace_back(item.key(), *n);
            }
        }
    }
    return farm;
}

ordered_json summarize(const Inputs& inputs, const RunInfo& run) {
    ordered_json figures = ordered_json::array();
    ordered_json budgets = budgets_json(inputs, figures);
    ordered_json wasm = wasm_json(inputs, run, figures);
    ordered_json build_memory = build_memory_json(inputs, run, figures);
    ordered_json files = {{"budget_sets", inputs.budget_sets}, {"check_reports", inputs.check_reports},
                          {"size_reports", inputs.size_reports}, {"analyses", inputs.analyses},
                          {"plans", inputs.plans},             {"job_logs", inputs.job_logs}};
    ordered_json doc = {{"schema", report_schema},
                        {"tool", std::string("buildbudget ") + version},
                        {"commit", run.commit ? ordered_json(*run.commit) : ordered_json(nullptr)},
                        {"created", run.created},
                        {"build_dir", run.build_dir},
                        {"status", "ok"},
                        {"baseline", nullptr},
                        {"budgets", std::move(budgets)},
                        {"wasm", std::move(wasm)},
                        {"build_memory", std::move(build_memory)},
                        {"figures", std::move(figures)},
                        {"growth", ordered_json::array()},
                        {"summary", ordered_json::object()},
                        {"inputs", std::move(files)}};
    update_status(doc);
    return doc;
}

void update_status(ordered_json& report) {
    std::size_t over = 0, errors = 0;
    for (const auto& b : report["budgets"]) {
        const auto status = b["status"].get<std::string>();
        over += status == "over" ? 1 : 0;
        errors += status == "error" ? 1 : 0;
    }
    for (const auto& m : report["wasm"]) over += m["status"] == "over" ? 1 : 0;
    std::map<std::string, std::size_t> changes;
    for (const auto& f : report["figures"]) {
        if (f["change"].is_string()) ++changes[f["change"].get<std::string>()];
    }
    const std::size_t growth = report["growth"].size();
    report["status"] = over > 0 || growth > 0 ? "over" : errors > 0 ? "error" : "ok";
    report["summary"] = {{"over", over},
                         {"errors", errors},
                         {"grew", changes["grew"]},
                         {"shrank", changes["shrank"]},
                         {"new", changes["new"]},
                         {"removed", changes["removed"]},
                         {"growth_limit", growth}};
}

}  // namespace buildbudget::report
