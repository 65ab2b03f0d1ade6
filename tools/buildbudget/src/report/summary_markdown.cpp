// report.md: the budget report as GitHub-flavoured Markdown (report/summary.hpp, report_markdown();
// doc/helper-report.md, "report.md"). GitHub's job summaries take up to 1 MiB per step: the long
// lists (build jobs) are cut to their heaviest rows, with the count of the rest.
#include "report/summary.hpp"

#include "buildmem/report.hpp"
#include "buildmem/rustc_wrapper.hpp"
#include "report/format.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace buildbudget::report {
namespace {

using nlohmann::ordered_json;

/// Rows of the build jobs table.
constexpr std::size_t job_rows = 20;

/// Text for a table cell: Markdown punctuation that could start markup escaped with a backslash
/// (CommonMark 0.30 §2.4: any ASCII punctuation may be), the cell separator included, and line
/// breaks as spaces.
std::string cell(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '\\': case '|': case '*': case '_': case '`': case '[': case ']': case '<': case '>':
            case '#': case '~': case '&': case '!':
                out += '\\';
                out += c;
                break;
            case '\n': case '\r': out += ' '; break;
            default: out += c;
        }
    }
    return out;
}

std::string bytes_cell(const ordered_json& v) { return v.is_number_unsigned() ? size_cell(v.get<std::uint64_t>()) : "-"; }

std::string delta_cell(const ordered_json& f) {
    if (!f["delta"].is_number_integer()) return "-";
    const std::int64_t delta = f["delta"].get<std::int64_t>();
    std::string out = signed_text(delta);
    if (f["baseline"].is_number_unsigned() && f["baseline"].get<std::uint64_t>() > 0) {
        out += " (" + signed_percent_text(100.0 * static_cast<double>(delta) / f["baseline"].get<double>()) + ")";
    }
    return out;
}

std::string row(const std::vector<std::string>& cells) {
    std::string out = "|";
    for (const auto& c : cells) out += " " + c + " |";
    return out + "\n";
}

/// A GFM table: the first `text_columns` columns left-aligned, the figures right-aligned.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  std::size_t text_columns = 1) {
    std::string out = row(header);
    out += "|";
    for (std::size_t i = 0; i < header.size(); ++i) out += i < text_columns ? " --- |" : " ---: |";
    out += "\n";
    for (const auto& r : rows) out += row(r);
    return out;
}

std::string details(const std::string& summary, const std::string& body) {
    return "<details><summary>" + summary + "</summary>\n\n" + body + "\n</details>\n\n";
}

std::string plural(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string status_cell(const std::string& status) {
    if (status == "over") return "**over**";
    if (status == "error") return "**error**";
    return status;
}

/// `used` of `limit` as headroom: "12.5% left" or "3.1% over".
std::string headroom(std::uint64_t used, std::uint64_t limit) {
    if (limit == 0) return "-";
    char text[48];
    const double share = 100.0 * (static_cast<double>(limit) - static_cast<double>(used)) / static_cast<double>(limit);
    std::snprintf(text, sizeof text, share >= 0 ? "%.1f%% left" : "%.1f%% over", share >= 0 ? share : -share);
    return text;
}

std::string verdict(const ordered_json& r) {
    const auto& s = r["summary"];
    std::vector<std::string> parts;
    const auto count = [&](const char* key) { return s[key].get<std::size_t>(); };
    if (count("over")) parts.push_back(plural(count("over"), "item over budget", "items over budget"));
    if (count("growth_limit")) parts.push_back(plural(count("growth_limit"), "growth limit crossed", "growth limits crossed"));
    if (count("errors")) parts.push_back(plural(count("errors"), "check could not measure", "checks could not measure"));
    // What the report covers: the families it found.
    std::vector<std::string> found;
    if (!r["budgets"].empty()) found.push_back(plural(r["budgets"].size(), "budget", "budgets"));
    if (!r["wasm"].empty()) found.push_back(plural(r["wasm"].size(), "WebAssembly module", "WebAssembly modules"));
    if (!r["build_memory"].is_null()) found.push_back(plural(r["build_memory"]["jobs"].size(), "build job", "build jobs"));
    std::string what;
    for (std::size_t i = 0; i < found.size(); ++i) what += (i ? ", " : "") + found[i];
    if (what.empty()) what = "no budgets, WebAssembly modules or build jobs found";
    std::string line;
    const std::string status = r["status"].get<std::string>();
    if (status == "ok") {
        line = "**Within budget**: " + what + ".";
    } else {
        std::string joined;
        for (std::size_t i = 0; i < parts.size(); ++i) joined += (i ? ", " : "") + parts[i];
        const char* head = status == "error" ? "**Error**: " : count("over") ? "**Over budget**: " : "**Grew over the limit**: ";
        line = head + joined + " (" + what + ").";
    }
    if (!r["baseline"].is_null()) {
        line += " Against the baseline: " + std::to_string(count("grew")) + " grew, " + std::to_string(count("shrank")) +
                " shrank, " + std::to_string(count("new")) + " new, " + std::to_string(count("removed")) + " removed.";
    }
    return line + "\n\n";
}

/// What needs attention: figures over their limit, checks that failed without one, growth over
/// the limits, and with a baseline what grew, is new or was removed.
std::string attention(const ordered_json& r) {
    std::vector<std::vector<std::string>> rows;
    std::map<std::string, std::string> crossed;
    for (const auto& g : r["growth"]) crossed.emplace(g["key"].get<std::string>(), g["message"].get<std::string>());
    std::map<std::string, bool> figure_over;
    for (const auto& f : r["figures"]) {
        const bool over = f["value"].is_number_unsigned() && f["limit"].is_number_unsigned() &&
                          f["value"].get<std::uint64_t>() > f["limit"].get<std::uint64_t>();
        const std::string key = f["key"].get<std::string>();
        figure_over[key] = over;
        const std::string change = f["change"].is_string() ? f["change"].get<std::string>() : "";
        std::string what;
        if (over) what = "over budget";
        else if (crossed.count(key)) what = "over growth limit";
        else if (change == "grew" || change == "new" || change == "removed") what = change;
        else continue;
        rows.push_back({what == "over budget" || what == "over growth limit" ? "**" + what + "**" : what,
                        cell(f["label"].get<std::string>()), bytes_cell(f["value"]), bytes_cell(f["limit"]),
                        bytes_cell(f["baseline"]), delta_cell(f)});
    }
    // Budget checks that failed or could not measure, where no figure says so (freestanding, a
    // wasm module's linear memory, ...).
    for (const auto& b : r["budgets"]) {
        for (const auto& c : b["checks"]) {
            if (c["passed"].get<bool>()) continue;
            const std::string check = c["check"].get<std::string>();
            const std::string figure_key = "budget/" + b["set"].get<std::string>() + "/" + b["component"].get<std::string>() +
                                           (check == "footprint" ? "/static_ram" : check == "peak" ? "/heap_peak" : "/-");
            if (figure_over[figure_key]) continue;
            const bool error = c["error"].get<bool>();
            rows.push_back({error ? "**error**" : "**check failed**",
                            cell(b["set"].get<std::string>() + " " + b["component"].get<std::string>() + " " + check + ": " +
                                 c["message"].get<std::string>()),
                            bytes_cell(c["measured_bytes"]), bytes_cell(b["budget_bytes"]), "-", "-"});
        }
    }
    for (const auto& m : r["wasm"]) {
        if (m["status"] != "over") continue;
        bool shown = false;
        for (const char* kind : {"raw", "gzip", "brotli"}) {
            shown = shown || figure_over["wasm/" + m["name"].get<std::string>() + "/" + kind];
        }
        if (!shown) {
            rows.push_back({"**over budget**", cell(m["name"].get<std::string>() + " (a limit of its size report)"),
                            bytes_cell(m["raw"]), "-", "-", "-"});
        }
    }
    if (rows.empty()) return r["baseline"].is_null() ? "Nothing is over budget.\n\n" : "Nothing is over budget or grew.\n\n";
    return table({"", "What", "Now", "Limit", "Baseline", "Change"}, rows, 2) + "\n";
}

std::string budgets_section(const ordered_json& r) {
    if (r["budgets"].empty()) return "";
    std::vector<std::vector<std::string>> rows;
    std::size_t over = 0;
    for (const auto& b : r["budgets"]) {
        std::string room = "-";
        if (b["budget_bytes"].is_number_unsigned()) {
            std::uint64_t used = 0;
            bool any = false;
            for (const char* k : {"static_ram_bytes", "heap_peak_bytes"}) {
                if (b[k].is_number_unsigned()) {
                    used = std::max(used, b[k].get<std::uint64_t>());
                    any = true;
                }
            }
            if (any) room = headroom(used, b["budget_bytes"].get<std::uint64_t>());
        }
        over += b["status"] == "over" ? 1 : 0;
        rows.push_back({cell(b["set"].get<std::string>()), cell(b["component"].get<std::string>()),
                        bytes_cell(b["budget_bytes"]), bytes_cell(b["static_ram_bytes"]), bytes_cell(b["heap_peak_bytes"]),
                        room, status_cell(b["status"].get<std::string>())});
    }
    return details("Budgets: " + plural(r["budgets"].size(), "component", "components") + ", " + std::to_string(over) + " over",
                   table({"Set", "Component", "Budget", "Static RAM", "Heap peak", "Headroom", "Status"}, rows, 2));
}

std::string wasm_section(const ordered_json& r) {
    if (r["wasm"].empty()) return "";
    std::vector<std::vector<std::string>> rows;
    std::size_t over = 0;
    for (const auto& m : r["wasm"]) {
        const auto& l = m["limits"];
        over += m["status"] == "over" ? 1 : 0;
        rows.push_back({cell(m["name"].get<std::string>()), bytes_cell(m["raw"]), bytes_cell(l["raw"]), bytes_cell(m["gzip"]),
                        bytes_cell(l["gzip"]), bytes_cell(m["brotli"]), bytes_cell(l["brotli"]),
                        status_cell(m["status"].get<std::string>())});
    }
    return details("WebAssembly: " + plural(r["wasm"].size(), "module", "modules") + ", " + std::to_string(over) + " over",
                   table({"Module", "Raw", "Raw limit", "gzip", "gzip limit", "brotli", "brotli limit", "Status"}, rows));
}

std::string build_memory_section(const ordered_json& r) {
    const auto& bm = r["build_memory"];
    if (bm.is_null()) return "";
    const auto& jobs = bm["jobs"];
    std::vector<const ordered_json*> heaviest;
    for (const auto& j : jobs) heaviest.push_back(&j);
    std::stable_sort(heaviest.begin(), heaviest.end(), [](const ordered_json* a, const ordered_json* b) {
        return (*a)["peak_rss"].get<std::uint64_t>() > (*b)["peak_rss"].get<std::uint64_t>();
    });
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < heaviest.size() && i < job_rows; ++i) {
        const auto& j = *heaviest[i];
        const std::int64_t ms = j["end_ms"].get<std::int64_t>() - j["start_ms"].get<std::int64_t>();
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.1f s", static_cast<double>(ms) / 1000.0);
        std::string status = j["oom"].get<bool>() ? "**OOM-killed**" : j["killed"].get<bool>() ? "**killed**"
                             : j["exit_code"].get<int>() != 0 ? "failed (exit " + std::to_string(j["exit_code"].get<int>()) + ")"
                                                              : "ok";
        rows.push_back({cell(j["name"].get<std::string>()), j["kind"].get<std::string>(), bytes_cell(j["peak_rss"]), seconds, status});
    }
    std::string body = "Peak of the jobs running at once: " + bytes_cell(bm["peak_bytes"]) + "; memory limit " +
                       bytes_cell(bm["memory_limit_bytes"]);
    if (bm["pools"].is_object()) {
        body += "; pools: " + std::to_string(bm["pools"]["compile"].get<std::uint64_t>()) + " compile, " +
                std::to_string(bm["pools"]["link"].get<std::uint64_t>()) + " link";
    }
    body += ".\n\n";
    if (bm.contains("distributed")) {  // the farm's counts, then where it preprocessed: a paragraph each, as lowmem_report words them
        const buildmem::FarmSummary farm = farm_summary_of(bm["distributed"]);
        body += cell(buildmem::farm_counts_text(farm, buildmem::farm_last_build_scope)) + ".\n\n";
        if (farm.preprocessed_local + farm.preprocessed_remote > 0) {
            body += cell(buildmem::farm_preprocessed_text(farm.preprocessed_local, farm.preprocessed_remote)) + ".\n\n";
        }
    }
    if (bm.contains("sccache")) {  // cargo's rustc wrapper ran sccache: its counts, as lowmem_report words them
        body += cell(buildmem::sccache_report_text(bm["sccache"])) + "\n\n";
    }
    body += table({"Job", "Kind", "Peak RSS", "Time", "Status"}, rows, 2);
    if (heaviest.size() > job_rows) body += "\n" + std::to_string(heaviest.size() - job_rows) + " lighter jobs are in report.json.\n";
    return details("Build memory: " + plural(jobs.size(), "job", "jobs") + ", peak " + bytes_cell(bm["peak_bytes"]) + ", " +
                       std::to_string(bm["killed"].get<std::size_t>()) + " killed",
                   body);
}

std::string figures_section(const ordered_json& r) {
    if (r["figures"].empty()) return "";
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : r["figures"]) {
        rows.push_back({cell(f["label"].get<std::string>()), bytes_cell(f["value"]), bytes_cell(f["limit"]),
                        bytes_cell(f["baseline"]), delta_cell(f), f["change"].is_string() ? f["change"].get<std::string>() : "-"});
    }
    return details("All figures: " + std::to_string(r["figures"].size()),
                   table({"Figure", "Now", "Limit", "Baseline", "Change", ""}, rows));
}

}  // namespace

std::string report_markdown(const ordered_json& report) {
    std::string out = "## BuildBudget report\n\n";
    out += verdict(report);
    out += attention(report);
    out += budgets_section(report);
    out += wasm_section(report);
    out += build_memory_section(report);
    out += figures_section(report);
    if (!report["baseline"].is_null()) out += "Baseline: " + cell(report["baseline"]["file"].get<std::string>()) + "\n";
    while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
    return out;
}

}  // namespace buildbudget::report
