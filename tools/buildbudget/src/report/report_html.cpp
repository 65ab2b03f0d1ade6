#include "report/report_html.hpp"

#include "buildmem/report.hpp"
#include "buildmem/rustc_wrapper.hpp"
#include "common/templates.hpp"
#include "report/html_text.hpp"
#include "report/summary.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace buildbudget::report {
namespace {

using json = nlohmann::ordered_json;

/// The page's template, relative to the package's templates/ (templates/README.md).
constexpr std::string_view report_template = "report/report.html";

/// "+1,234 bytes", "\u22121,234 bytes", "0 bytes".
std::string delta_text(std::int64_t d) {
    const std::uint64_t magnitude = d < 0 ? 0 - static_cast<std::uint64_t>(d) : static_cast<std::uint64_t>(d);
    return (d > 0 ? "+" : d < 0 ? "\xE2\x88\x92" : "") + bytes_text(magnitude);
}

/// The first `n` bytes of `s` (a commit id's short form), never ending inside a UTF-8 sequence.
std::string prefix(const std::string& s, std::size_t n) {
    if (s.size() <= n) return s;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

const std::string dash = "\xE2\x80\x93";  // en dash: no value

std::optional<std::int64_t> integer_of(const json& object, const char* key) {
    if (!object.is_object()) return std::nullopt;
    const auto it = object.find(key);
    if (it == object.end() || !it->is_number_integer()) return std::nullopt;
    if (it->is_number_unsigned()) {
        const auto u = it->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
        return static_cast<std::int64_t>(u);
    }
    return it->get<std::int64_t>();
}

std::string text_of(const json& object, const char* key) {
    if (!object.is_object()) return {};
    const auto it = object.find(key);
    if (it == object.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) return it->dump();
    return {};
}

bool flag_of(const json& object, const char* key) {
    if (!object.is_object()) return false;
    const auto it = object.find(key);
    return it != object.end() && it->is_boolean() && it->get<bool>();
}

const json& member(const json& object, const char* key) {
    static const json null_value;
    if (!object.is_object()) return null_value;
    const auto it = object.find(key);
    return it == object.end() ? null_value : *it;
}

/// The array at `key`, or an empty one.
const json& array_of(const json& object, const char* key) {
    static const json empty = json::array();
    const json& value = member(object, key);
    return value.is_array() ? value : empty;
}

/// "ok" (at most 90% of the limit), "near" (above 90%), "over" (above the limit); "" without a
/// limit. The page's script uses the same rule.
std::string level(std::uint64_t value, std::optional<std::uint64_t> limit) {
    if (!limit) return {};
    if (value > *limit) return "over";
    if (static_cast<double>(value) > 0.9 * static_cast<double>(*limit)) return "near";
    return "ok";
}

/// A table cell of a byte count: data-col names the column, data-bytes holds the exact number.
std::string bytes_cell(const char* col, std::optional<std::uint64_t> value, const std::string& extra = {},
                       const std::string& cls = {}) {
    if (!value) return std::string("<td class=\"n none\" data-col=\"") + col + "\">" + dash + "</td>";
    return std::string("<td class=\"n") + (cls.empty() ? "" : " " + cls) + "\" data-col=\"" + col +
           "\" data-bytes=\"" + std::to_string(*value) + "\">" + bytes_text(*value) + extra + "</td>";
}

std::string text_cell(const char* col, const std::string& escaped, const std::string& cls = {}) {
    return std::string("<td") + (cls.empty() ? "" : " class=\"" + cls + "\"") + " data-col=\"" + col + "\">" +
           escaped + "</td>";
}

std::string head_row(std::initializer_list<const char*> names) {
    std::string out = "<thead><tr>";
    for (const char* name : names) out += std::string("<th scope=\"col\">") + name + "</th>";
    return out + "</tr></thead>\n";
}

/// A link to a file beside the page (a treemap): each byte outside RFC 3986's unreserved set and
/// '/' percent-encoded, so the path stays one relative reference; empty for anything with a
/// scheme ("javascript:", "https:") or a network path ("//host"), which the page never links.
std::string local_href(const std::string& path) {
    if (path.empty() || path.rfind("//", 0) == 0) return {};
    const auto colon = path.find(':');
    const auto slash = path.find('/');
    if (colon != std::string::npos && (slash == std::string::npos || colon < slash)) return {};
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : path) {
        const auto b = static_cast<unsigned char>(c);
        if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~' || c == '/') {
            out += c;
        } else {
            out += '%';
            out += hex[b >> 4];
            out += hex[b & 15];
        }
    }
    return out;
}

/// The figures by key, for the changes shown beside budgets and modules (the first of a repeated key).
using Figures = std::map<std::string, const json*>;

Figures index_figures(const json& report) {
    Figures figures;
    for (const auto& f : array_of(report, "figures")) figures.emplace(text_of(f, "key"), &f);
    return figures;
}

/// " ▲ +1,234 bytes" (grew), " ▼ −1,234 bytes" (shrank) or " new" for a figure that changed, else "".
std::string change_note(const Figures& figures, const std::string& key) {
    const auto it = figures.find(key);
    if (it == figures.end()) return {};
    const json* f = it->second;
    const std::string change = text_of(*f, "change");
    const auto delta = integer_of(*f, "delta");
    if (change == "new") return " <span class=\"chg new\">new</span>";
    if ((change == "grew" || change == "shrank") && delta) {
        return std::string(" <span class=\"chg ") + change + "\">" + (change == "grew" ? "\xE2\x96\xB2 " : "\xE2\x96\xBC ") +
               delta_text(*delta) + "</span>";
    }
    return {};
}

std::string none(const std::string& text) { return "<p class=\"none\">" + text + "</p>\n"; }

/// A chart's table: open without JavaScript; the page's script closes it once the chart is drawn.
std::string numbers(const std::string& table) {
    return "<details class=\"numbers\" open>\n<summary>The numbers (table)</summary>\n" + table + "</details>\n";
}

std::string budgets_table(const json& report, const Figures& figures) {
    const json& budgets = array_of(report, "budgets");
    if (budgets.empty()) return none("No memory budgets: the build has no <code>wrt_memory_budget()</code> sets.");
    std::string out = "<table id=\"budgets-table\">\n<caption>Memory budgets: " + std::to_string(budgets.size()) +
                      (budgets.size() == 1 ? " component" : " components") + "</caption>\n";
    out += head_row({"Set", "Component", "Budget", "Static RAM", "Heap peak", "Headroom", "Status"});
    out += "<tbody>\n";
    for (const auto& b : budgets) {
        const std::string set = text_of(b, "set");
        const std::string component = text_of(b, "component");
        const auto budget = count_of(b, "budget_bytes");
        const auto ram = count_of(b, "static_ram_bytes");
        const auto heap = count_of(b, "heap_peak_bytes");
        const std::string prefix = "budget/" + set + "/" + component + "/";
        const auto share = [&](std::optional<std::uint64_t> v) {
            return v && budget && *budget > 0 ? ", " + percent_text(*v, *budget) : std::string();
        };
        std::string headroom = "<td class=\"n none\" data-col=\"headroom\">" + dash + "</td>";
        std::string lvl;
        if (budget && (ram || heap)) {
            const std::uint64_t most = std::max(ram.value_or(0), heap.value_or(0));
            lvl = level(most, budget);
            if (most <= *budget) {
                headroom = bytes_cell("headroom", *budget - most, {}, lvl);
            } else {
                headroom = "<td class=\"n over\" data-col=\"headroom\" data-bytes=\"-" + std::to_string(most - *budget) +
                           "\">over by " + bytes_text(most - *budget) + "</td>";
            }
        }
        const std::string status = text_of(b, "status");
        out += "<tr data-row=\"budget\" data-name=\"" + escape_html(set + "/" + component) + "\"" +
               (lvl.empty() ? "" : " class=\"" + lvl + "\"") + ">";
        out += text_cell("set", escape_html(set)) + text_cell("component", escape_html(component));
        out += bytes_cell("budget", budget);
        out += bytes_cell("static_ram", ram, share(ram) + change_note(figures, prefix + "static_ram"),
                          ram ? level(*ram, budget) : "");
        out += bytes_cell("heap_peak", heap, share(heap) + change_note(figures, prefix + "heap_peak"),
                          heap ? level(*heap, budget) : "");
        out += headroom + text_cell("status", escape_html(status), "status " + escape_html(status)) + "</tr>\n";
    }
    return numbers(out + "</tbody>\n</table>\n");
}

std::string wasm_table(const json& report, const Figures& figures) {
    const json& modules = array_of(report, "wasm");
    if (modules.empty()) return none("No WebAssembly modules: the build has no <code>.size.json</code> size reports.");
    std::string out = "<table id=\"wasm-table\">\n<caption>WebAssembly modules: " + std::to_string(modules.size()) +
                      (modules.size() == 1 ? " module" : " modules") + "</caption>\n";
    out += head_row({"Module", "Raw", "Raw limit", "gzip", "gzip limit", "brotli", "brotli limit", "Status", "Treemap"});
    out += "<tbody>\n";
    for (const auto& m : modules) {
        const std::string name = text_of(m, "name");
        const json& limits = member(m, "limits");
        out += "<tr data-row=\"wasm\" data-name=\"" + escape_html(name) + "\">" + text_cell("name", escape_html(name));
        for (const char* measure : {"raw", "gzip", "brotli"}) {
            const auto value = count_of(m, measure);
            const auto limit = count_of(limits, measure);
            const std::string limit_col = std::string(measure) + "_limit";
            out += bytes_cell(measure, value,
                              (value && limit && *limit > 0 ? ", " + percent_text(*value, *limit) : std::string()) +
                                  change_note(figures, "wasm/" + name + "/" + measure),
                              value ? level(*value, limit) : "");
            out += bytes_cell(limit_col.c_str(), limit);
        }
        const std::string status = text_of(m, "status");
        out += text_cell("status", escape_html(status), "status " + escape_html(status));
        const std::string href = local_href(text_of(m, "treemap"));
        out += text_cell("treemap", href.empty() ? dash : "<a href=\"" + escape_html(href) + "\">treemap</a>");
        out += "</tr>\n";
    }
    return numbers(out + "</tbody>\n</table>\n");
}

/// The figure's value as text: bytes, or the number and its unit.
std::string value_text(const json& f, std::uint64_t v) {
    const std::string unit = text_of(f, "unit");
    if (unit.empty() || unit == "bytes") return bytes_text(v);
    return grouped_digits(v) + " " + escape_html(unit);
}

std::string trends_table(const json& report) {
    std::string rows;
    std::size_t count = 0;
    for (const auto& f : array_of(report, "figures")) {
        // The points [commit, value] with a value; the chart draws the same ones.
        std::vector<std::pair<std::string, std::uint64_t>> points;
        for (const auto& point : array_of(f, "history")) {
            if (!point.is_array() || point.size() < 2) continue;
            const json& v = point[1];
            if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) continue;
            points.emplace_back(point[0].is_string() ? point[0].get<std::string>() : "", v.get<std::uint64_t>());
        }
        if (points.size() < 2) continue;
        ++count;
        rows += "<tr data-row=\"trend\" data-name=\"" + escape_html(text_of(f, "key")) + "\">" +
                text_cell("figure", escape_html(text_of(f, "label"))) + "<td class=\"n\" data-col=\"points\">" +
                std::to_string(points.size()) + "</td><td data-col=\"history\"><ol class=\"history\">";
        for (const auto& [commit, v] : points) {
            rows += "<li data-commit=\"" + escape_html(commit) + "\" data-bytes=\"" + std::to_string(v) + "\"><code>" +
                    escape_html(commit.empty() ? "(no commit)" : prefix(commit, 12)) + "</code> " + value_text(f, v) +
                    "</li>";
        }
        rows += "</ol></td></tr>\n";
    }
    if (count == 0) {
        return none("No history: <code>buildbudget report --history &lt;dir&gt;</code> keeps one report per commit "
                    "and plots the last ones here.");
    }
    return numbers("<table id=\"trends-table\">\n<caption>Figures with history: " + std::to_string(count) +
                   "</caption>\n" + head_row({"Figure", "Points", "Values, oldest first"}) + "<tbody>\n" + rows +
                   "</tbody>\n</table>\n");
}

/// The build's facts beside its jobs (doc/helper-report.md, "The page"), one paragraph each, in the
/// words of lowmem_report's lines: with a compile farm (build_memory.distributed, read by
/// farm_summary_of()), its counts of the last build's compiles by where they ran and the hosts that
/// failed, then where it preprocessed the remote compiles (when either count is above 0); and sccache's
/// counts when cargo's rustc wrapper ran it (build_memory.sccache; null: it could not be asked).
/// "" without any.
std::string build_memory_facts(const json& mem) {
    std::string out;
    const json& distributed = member(mem, "distributed");
    if (distributed.is_object()) {
        const buildmem::FarmSummary farm = farm_summary_of(distributed);
        out += "<p class=\"fact\" id=\"build-memory-farm\">" +
               escape_html(buildmem::farm_counts_text(farm, buildmem::farm_last_build_scope)) + ".</p>\n";
        if (farm.preprocessed_local + farm.preprocessed_remote > 0) {
            out += "<p class=\"fact\" id=\"build-memory-preprocessed\">" +
                   escape_html(buildmem::farm_preprocessed_text(farm.preprocessed_local, farm.preprocessed_remote)) +
                   ".</p>\n";
        }
    }
    if (mem.contains("sccache")) {
        out += "<p class=\"fact\" id=\"build-memory-sccache\">" + escape_html(buildmem::sccache_report_text(mem.at("sccache"))) +
               "</p>\n";
    }
    return out;
}

std::string build_memory_table(const json& report) {
    const json& mem = member(report, "build_memory");
    if (!mem.is_object()) {
        return none("No build-memory log: <code>lowmem_profile()</code>'s launcher writes one (jobs.jsonl).");
    }
    const json& jobs = array_of(mem, "jobs");
    std::string caption = "Build jobs: " + std::to_string(jobs.size()) + " in " + escape_html(text_of(mem, "log"));
    if (const auto peak = count_of(mem, "peak_bytes")) caption += "; peak of jobs at once " + bytes_text(*peak);
    if (const auto limit = count_of(mem, "memory_limit_bytes")) caption += "; memory limit " + bytes_text(*limit);
    const json& pools = member(mem, "pools");
    if (pools.is_object()) {
        for (const auto& [kind, depth] : pools.items()) {
            if (depth.is_number_integer()) caption += "; " + escape_html(kind) + " pool " + depth.dump() + " jobs";
        }
    }
    std::string out = "<table id=\"build-memory-table\">\n<caption>" + caption + "</caption>\n";
    out += head_row({"Job", "Kind", "Start (ms)", "End (ms)", "Duration (ms)", "Peak RSS", "Samples", "Exit code",
                     "Killed"});
    out += "<tbody>\n";
    for (const auto& j : jobs) {
        const bool oom = flag_of(j, "oom");
        const bool killed = flag_of(j, "killed") || oom;
        const auto start = integer_of(j, "start_ms");
        const auto end = integer_of(j, "end_ms");
        const auto ms_cell = [](const char* col, std::optional<std::int64_t> ms) {
            return ms ? std::string("<td class=\"n\" data-col=\"") + col + "\" data-ms=\"" + std::to_string(*ms) +
                            "\">" + std::to_string(*ms) + "</td>"
                      : std::string("<td class=\"n none\" data-col=\"") + col + "\">" + dash + "</td>";
        };
        out += "<tr data-row=\"job\" data-name=\"" + escape_html(text_of(j, "name")) + "\"" +
               (killed ? " class=\"killed\"" : "") + ">";
        out += text_cell("name", escape_html(text_of(j, "name"))) + text_cell("kind", escape_html(text_of(j, "kind")));
        out += ms_cell("start_ms", start) + ms_cell("end_ms", end);
        out += ms_cell("duration_ms", start && end ? std::optional<std::int64_t>(*end - *start) : std::nullopt);
        out += bytes_cell("peak_rss", count_of(j, "peak_rss"));
        out += "<td class=\"n\" data-col=\"samples\">" + std::to_string(array_of(j, "samples").size()) + "</td>";
        const auto code = integer_of(j, "exit_code");
        out += "<td class=\"n\" data-col=\"exit_code\">" + (code ? std::to_string(*code) : dash) + "</td>";
        out += killed ? text_cell("killed", oom ? "<span class=\"oom-mark\">\xE2\x9C\x95</span> OOM-killed"
                                                : "<span class=\"oom-mark\">\xE2\x9C\x95</span> killed by a signal",
                                  "oom")
                      : text_cell("killed", "no");
        out += "</tr>\n";
    }
    return build_memory_facts(mem) + numbers(out + "</tbody>\n</table>\n");
}

std::string changes_table(const json& report) {
    std::map<std::string, std::string> growth;  // key -> the --fail-above-* messages, joined
    for (const auto& g : array_of(report, "growth")) {
        std::string& messages = growth[text_of(g, "key")];
        messages += (messages.empty() ? "" : "; ") + text_of(g, "message");
    }
    std::string rows;
    std::size_t count = 0;
    for (const auto& f : array_of(report, "figures")) {
        const std::string change = text_of(f, "change");
        if (change.empty()) continue;
        ++count;
        const auto value = count_of(f, "value");
        const auto baseline = count_of(f, "baseline");
        const auto limit = count_of(f, "limit");
        const auto delta = integer_of(f, "delta");
        const bool over = value && limit && *value > *limit;
        const bool crossed = over && baseline && *baseline <= *limit;
        // The change, flagged when it grew and when the value is over its limit.
        std::string flags = change == "grew" ? "<span class=\"chg grew\">\xE2\x96\xB2 grew</span>" : escape_html(change);
        if (crossed) flags += " <span class=\"chg over\">crossed its limit</span>";
        else if (over) flags += " <span class=\"chg over\">over its limit</span>";
        if (const auto g = growth.find(text_of(f, "key")); g != growth.end()) {
            flags += " <span class=\"chg over growth\" title=\"" + escape_html(g->second) + "\">over the growth limit</span>";
        }
        const auto fig_cell = [&](const char* col, std::optional<std::uint64_t> v) {
            if (!v) return std::string("<td class=\"n none\" data-col=\"") + col + "\">" + dash + "</td>";
            return std::string("<td class=\"n\" data-col=\"") + col + "\" data-bytes=\"" + std::to_string(*v) + "\">" +
                   value_text(f, *v) + "</td>";
        };
        rows += "<tr data-row=\"change\" data-name=\"" + escape_html(text_of(f, "key")) + "\" class=\"" + escape_html(change) +
                (over ? " over" : "") + "\">" + text_cell("figure", escape_html(text_of(f, "label"))) +
                fig_cell("value", value) + fig_cell("baseline", baseline);
        rows += delta ? "<td class=\"n\" data-col=\"delta\" data-bytes=\"" + std::to_string(*delta) + "\">" +
                            delta_text(*delta) + "</td>"
                      : "<td class=\"n none\" data-col=\"delta\">" + dash + "</td>";
        rows += fig_cell("limit", limit) + text_cell("change", flags) + "</tr>\n";
    }
    if (count == 0) {
        return none("No baseline: <code>buildbudget report --baseline &lt;report.json&gt;</code> shows what changed "
                    "since another run.");
    }
    const json& summary = member(report, "summary");
    std::string caption = "Changes since the baseline";
    if (summary.is_object()) {
        caption += ":";
        bool first = true;
        for (const char* key : {"grew", "shrank", "new", "removed", "over"}) {
            if (const auto n = count_of(summary, key)) {
                caption += std::string(first ? " " : ", ") + std::to_string(*n) + " " + key;
                first = false;
            }
        }
    }
    return "<table id=\"changes-table\">\n<caption>" + caption + "</caption>\n" +
           head_row({"Figure", "Value", "Baseline", "Delta", "Limit", "Change"}) + "<tbody>\n" + rows +
           "</tbody>\n</table>\n";
}

/// The lines under the heading: status, commit, time, build tree, summary counts.
std::string header(const json& report) {
    const std::string status = text_of(report, "status");
    std::string out = "<p class=\"status-line\"><span id=\"report-status\" class=\"badge " + escape_html(status) + "\">" +
                      escape_html(status.empty() ? "unknown" : status) + "</span>";
    const json& summary = member(report, "summary");
    const auto over = count_of(summary, "over");
    const auto errors = count_of(summary, "errors");
    if (status == "ok") out += " Everything is within its budget.";
    if (over && *over > 0) out += " " + std::to_string(*over) + " over budget.";
    if (errors && *errors > 0) out += " " + std::to_string(*errors) + (*errors == 1 ? " error." : " errors.");
    // The --fail-above-* growth limits crossed (doc/helper-report.md, "Baselines"), each as its message.
    std::string growth;
    for (const auto& g : array_of(report, "growth")) {
        if (const std::string message = text_of(g, "message"); !message.empty()) {
            growth += "<li data-name=\"" + escape_html(text_of(g, "key")) + "\">" + escape_html(message) + "</li>\n";
        }
    }
    if (growth.empty()) {
        out += "</p>\n";
    } else {
        out += " Grew more than a growth limit allows:</p>\n<ul id=\"growth\" class=\"growth\">\n" + growth + "</ul>\n";
    }
    out += "<dl class=\"meta\">";
    const auto item = [&](const char* term, const std::string& value) {
        if (!value.empty()) out += std::string("<div><dt>") + term + "</dt><dd>" + escape_html(value) + "</dd></div>";
    };
    item("Commit", text_of(report, "commit"));
    item("Created", text_of(report, "created"));
    item("Build tree", text_of(report, "build_dir"));
    item("Tool", text_of(report, "tool"));
    // With --baseline: which report the changes are against (its commit, time and file).
    const json& baseline = member(report, "baseline");
    std::string against;
    for (const std::string& part : {prefix(text_of(baseline, "commit"), 12), text_of(baseline, "created"),
                                    text_of(baseline, "file")}) {
        if (!part.empty()) against += (against.empty() ? "" : ", ") + part;
    }
    item("Baseline", against);
    return out + "</dl>\n";
}

}  // namespace

std::string report_html(const nlohmann::ordered_json& report) {
    // One pass over the whole document makes every string valid UTF-8 (nlohmann replaces each bad
    // byte with U+FFFD), so the tables and the embedded JSON show the same text.
    const std::string dumped = report.dump(-1, ' ', false, json::error_handler_t::replace);
    const json clean = json::parse(dumped);
    std::string title = "BuildBudget report";
    if (const std::string commit = text_of(clean, "commit"); !commit.empty()) title += " \xE2\x80\x94 " + prefix(commit, 12);
    const Figures figures = index_figures(clean);
    return render_template(read_template(report_template), {{"TITLE", escape_html(title)},
                                                             {"HEADER", header(clean)},
                                                             {"BUDGETS", budgets_table(clean, figures)},
                                                             {"WASM", wasm_table(clean, figures)},
                                                             {"TRENDS", trends_table(clean)},
                                                             {"BUILD_MEMORY", build_memory_table(clean)},
                                                             {"CHANGES", changes_table(clean)},
                                                             {"DATA", script_safe(dumped)}});
}

}  // namespace buildbudget::report
