// The budget report against earlier reports: a baseline's deltas and growth limits, and the
// history of each figure (report/summary.hpp; doc/helper-report.md, "Baselines" and "History").
#include "report/summary.hpp"

#include "report/format.hpp"

#include <cstdio>
#include <map>
#include <set>

namespace buildbudget::report {
namespace {

using nlohmann::ordered_json;

std::string limit_text(double percent) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", percent);
    return text;
}

}  // namespace

ordered_json read_report(const std::string& path) {
    ordered_json doc = parse_json(read_input(path), path);
    if (!doc.is_object() || !doc.contains("schema") || !doc["schema"].is_string()) {
        throw ReportInputError(path + ": not a BuildBudget report: it has no \"schema\" string (expected \"" +
                               std::string(report_schema) + "\")");
    }
    const auto schema = doc["schema"].get<std::string>();
    if (schema != report_schema) {
        throw ReportInputError(path + ": schema " + schema + ", expected " + report_schema);
    }
    if (!doc.contains("figures") || !doc["figures"].is_array()) {
        throw ReportInputError(path + ": \"figures\" is missing or not an array");
    }
    const auto& figures = doc["figures"];
    for (std::size_t i = 0; i < figures.size(); ++i) {
        const auto& f = figures[i];
        const std::string where = path + ": figures[" + std::to_string(i) + "]";
        if (!f.is_object() || !f.contains("key") || !f["key"].is_string()) {
            throw ReportInputError(where + " has no \"key\" string");
        }
        if (!f.contains("value") || !(f["value"].is_null() || f["value"].is_number_unsigned())) {
            throw ReportInputError(where + " (" + f["key"].get<std::string>() +
                                   "): \"value\" is missing or not a number of bytes or null");
        }
    }
    return doc;
}

void apply_baseline(ordered_json& report, const ordered_json& baseline, const std::string& baseline_file,
                    const GrowthLimits& limits) {
    std::map<std::string, const ordered_json*> before;
    for (const auto& f : baseline["figures"]) {
        if (f["value"].is_number_unsigned()) before.emplace(f["key"].get<std::string>(), &f);
    }
    std::set<std::string> present;
    ordered_json growth = ordered_json::array();
    for (auto& f : report["figures"]) {
        if (!f["value"].is_number_unsigned()) continue;  // a removed figure of an earlier comparison
        const std::string key = f["key"].get<std::string>();
        present.insert(key);
        const std::uint64_t now = f["value"].get<std::uint64_t>();
        const auto it = before.find(key);
        std::uint64_t old = 0;
        if (it == before.end()) {
            f["baseline"] = nullptr;
            f["delta"] = nullptr;
            f["change"] = "new";
        } else {
            old = (*it->second)["value"].get<std::uint64_t>();
            const std::int64_t delta = static_cast<std::int64_t>(now) - static_cast<std::int64_t>(old);
            f["baseline"] = old;
            f["delta"] = delta;
            f["change"] = delta > 0 ? "grew" : delta < 0 ? "shrank" : "same";
        }
        // The --fail-above-* limits, as `wasm analyze --baseline` holds them (wasm/baseline.cpp,
        // check_growth()): more than N bytes, or more than P percent of the old value; a new
        // figure grew from 0 and has no percentage. Build memory differs from run to run: not held.
        if (key.rfind("build/", 0) == 0 || now <= old) continue;
        const std::int64_t delta = static_cast<std::int64_t>(now - old);
        const bool is_new = it == before.end();
        const std::string label = f["label"].get<std::string>();
        std::string change = label + ": grew from " + std::to_string(old) + " to " + std::to_string(now) + " bytes (" +
                             signed_text(delta) + " bytes, ";
        std::optional<double> percent;
        if (!is_new && old > 0) percent = 100.0 * static_cast<double>(now - old) / static_cast<double>(old);
        change += percent ? signed_percent_text(*percent) : std::string("new");
        change += ")";
        if (limits.bytes && static_cast<std::uint64_t>(delta) > *limits.bytes) {
            growth.push_back({{"key", key},
                              {"message", change + ", more than --fail-above-bytes " + std::to_string(*limits.bytes) +
                                              " bytes"}});
        }
        if (limits.percent && percent && *percent > *limits.percent) {
            growth.push_back(
                {{"key", key}, {"message", change + ", more than --fail-above-percent " + limit_text(*limits.percent) + "%"}});
        }
    }
    for (const auto& f : baseline["figures"]) {
        const std::string key = f["key"].get<std::string>();
        if (!f["value"].is_number_unsigned() || present.count(key) != 0) continue;
        report["figures"].push_back({{"key", key},
                                     {"label", f.value("label", key)},
                                     {"value", nullptr},
                                     {"limit", f.contains("limit") ? f["limit"] : ordered_json(nullptr)},
                                     {"unit", f.value("unit", "bytes")},
                                     {"baseline", f["value"]},
                                     {"delta", nullptr},
                                     {"change", "removed"},
                                     {"history", ordered_json::array()}});
    }
    report["baseline"] = {{"file", baseline_file},
                          {"commit", baseline.contains("commit") ? baseline["commit"] : ordered_json(nullptr)},
                          {"created", baseline.contains("created") ? baseline["created"] : ordered_json(nullptr)},
                          {"fail_above_bytes", limits.bytes ? ordered_json(*limits.bytes) : ordered_json(nullptr)},
                          {"fail_above_percent", limits.percent ? ordered_json(*limits.percent) : ordered_json(nullptr)}};
    report["growth"] = std::move(growth);
    update_status(report);
}

void apply_history(ordered_json& report, const std::vector<ordered_json>& runs) {
    const auto run_id = [](const ordered_json& run) {
        if (run.contains("commit") && run["commit"].is_string()) return run["commit"];
        return run.contains("created") ? run["created"] : ordered_json(nullptr);
    };
    std::vector<std::map<std::string, std::uint64_t>> values(runs.size());
    for (std::size_t i = 0; i < runs.size(); ++i) {
        for (const auto& g : runs[i]["figures"]) {
            if (g["value"].is_number_unsigned()) values[i].emplace(g["key"].get<std::string>(), g["value"].get<std::uint64_t>());
        }
    }
    for (auto& f : report["figures"]) {
        ordered_json history = ordered_json::array();
        const std::string key = f["key"].get<std::string>();
        for (std::size_t i = 0; i < runs.size(); ++i) {
            const auto it = values[i].find(key);
            if (it != values[i].end()) history.push_back({run_id(runs[i]), it->second});
        }
        if (f["value"].is_number_unsigned()) history.push_back({run_id(report), f["value"]});
        f["history"] = std::move(history);
    }
}

}  // namespace buildbudget::report
