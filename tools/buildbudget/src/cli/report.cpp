// `buildbudget report [FILE...] [--build-dir DIR] [--out-dir DIR] [--baseline OLD.json
// [--fail-above-bytes N] [--fail-above-percent P]] [--history DIR [--history-count N]]`
// (doc/helper-report.md): every budget of a build tree in one report. Exit 0 within
// budget; 1 anything over budget, a --fail-above-* limit crossed, or an input that cannot be read
// (naming the file); 2 usage error (e.g. a --fail-above-* option without --baseline).
#include "cli/report.hpp"

#include "cli/options.hpp"

#include "budget/size.hpp"
#include "buildmem/rustc_wrapper.hpp"
#include "common/output_file.hpp"
#include "common/process.hpp"
#include "report/report_html.hpp"
#include "report/summary.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace buildbudget::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

struct BudgetReportOptions {
    std::vector<std::string> files;
    std::string build_dir, out_dir, baseline, history, fail_bytes, fail_percent;
    std::size_t history_count = 20;
};

std::string iso_time(std::time_t t) {
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

/// When the newest input was written (its modification time), so the same inputs make the same
/// report and an unchanged report is not rewritten; now when there is no input.
std::string created_time(const report::Inputs& inputs) {
    std::time_t newest = 0;
    for (const auto* list : {&inputs.budget_sets, &inputs.check_reports, &inputs.size_reports, &inputs.analyses,
                             &inputs.plans, &inputs.job_logs}) {
        for (const auto& file : *list) {
            struct stat st {};
            if (::stat(file.c_str(), &st) == 0) newest = std::max(newest, st.st_mtime);
        }
    }
    return iso_time(newest != 0 ? newest : std::time(nullptr));
}

/// The commit of the source tree the build directory was configured from (CMakeCache.txt's
/// CMAKE_HOME_DIRECTORY), when it is in a git work tree.
std::optional<std::string> source_commit(const std::string& build_dir) {
    std::ifstream cache(fs::path(build_dir) / "CMakeCache.txt");
    std::string line, source;
    const std::string key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
    while (std::getline(cache, line)) {
        if (line.rfind(key, 0) == 0) {
            source = line.substr(key.size());
            break;
        }
    }
    if (source.empty()) return std::nullopt;
    const ProcessResult r = run_process({"git", "-C", source, "rev-parse", "--verify", "HEAD"}, ChildOutput::capture);
    if (!r.ok()) return std::nullopt;
    std::string commit = r.out;
    while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back()))) commit.pop_back();
    if (commit.empty() || commit.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
    return commit;
}

/// The earlier reports of the history directory, oldest first by "created" (then by file name),
/// without `own` (this run's file).
std::vector<ordered_json> read_history(const std::string& dir, const std::string& own) {
    std::error_code ec;
    std::vector<std::string> paths;
    if (!fs::exists(dir, ec)) return {};  // the first run: the directory is made when its report is written
    for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        if (it->path().extension() == ".json" && it->path() != fs::path(own)) paths.push_back(it->path().string());
    }
    if (ec) throw report::ReportInputError(dir + ": cannot read: " + ec.message());
    std::sort(paths.begin(), paths.end());
    std::vector<std::pair<std::string, ordered_json>> runs;
    for (const auto& p : paths) {
        ordered_json doc = report::read_report(p);
        const std::string created = doc.contains("created") && doc["created"].is_string() ? doc["created"].get<std::string>() : "";
        runs.emplace_back(created, std::move(doc));
    }
    std::stable_sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<ordered_json> docs;
    for (auto& r : runs) docs.push_back(std::move(r.second));
    return docs;
}

bool write_output(const std::string& path, const std::string& content, std::string& error) {
    return write_file_if_changed(path, content, error) != WriteResult::failed;
}

int run_budget_report(const BudgetReportOptions& o) {
    report::GrowthLimits limits;
    limits.bytes = fail_above_bytes(o.fail_bytes);
    limits.percent = fail_above_percent(o.fail_percent);

    const bool scan = o.files.empty() || !o.build_dir.empty();
    const fs::path build_dir = fs::absolute(o.build_dir.empty() ? fs::path(".") : fs::path(o.build_dir)).lexically_normal();
    std::string build_text = build_dir.string();
    if (build_text.size() > 1 && build_text.back() == '/') build_text.pop_back();
    const fs::path out_dir =
        o.out_dir.empty() ? build_dir / "buildbudget-report" : fs::absolute(o.out_dir).lexically_normal();

    ordered_json doc;
    try {
        std::vector<std::string> skip{out_dir.string()};
        if (!o.history.empty()) skip.push_back(fs::absolute(o.history).lexically_normal().string());
        const report::Inputs inputs = report::collect_inputs(scan ? build_text : std::string(), o.files, skip);
        report::RunInfo run;
        run.build_dir = build_text;
        run.out_dir = out_dir.string();
        run.commit = source_commit(build_text);
        run.created = created_time(inputs);
        doc = report::summarize(inputs, run);
        // sccache's hits and misses as lowmem_report shows them, once cargo's rustc wrapper of the build tree ran sccache.
        if (auto& memory = doc["build_memory"]; memory.is_object() && memory["plan"].is_string()) {
            const buildmem::BuildTreeSccache sccache = buildmem::build_tree_sccache(memory["plan"].get<std::string>());
            if (!sccache.error.empty()) print_warning(sccache.error + " (the report shows no sccache figures)");
            if (sccache.ran) memory["sccache"] = sccache.stats ? buildmem::sccache_stats_json(*sccache.stats) : ordered_json(nullptr);
        }
        if (inputs.budget_sets.empty() && inputs.check_reports.empty() && inputs.size_reports.empty() &&
            inputs.job_logs.empty()) {
            print_warning(build_text +
                          ": no budget checks, wasm size reports or job log found (build and run ctest -L budget first)");
        }
        if (!o.baseline.empty()) {
            report::apply_baseline(doc, report::read_report(o.baseline), o.baseline, limits);
        }
        if (!o.history.empty()) {
            std::string name = doc["commit"].is_string() ? doc["commit"].get<std::string>() : doc["created"].get<std::string>();
            name.erase(std::remove(name.begin(), name.end(), ':'), name.end());
            name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
            const std::string own = (fs::absolute(o.history) / (name + ".json")).lexically_normal().string();
            // The earlier runs first: a bad file there stops the run before anything is written.
            std::vector<ordered_json> runs = read_history(o.history, own);
            std::string error;
            if (!write_output(own, doc.dump(2) + "\n", error)) return fail("--history " + own + ": " + error);
            const std::size_t keep = o.history_count == 0 ? 0 : o.history_count - 1;
            if (runs.size() > keep) runs.erase(runs.begin(), runs.end() - static_cast<std::ptrdiff_t>(keep));
            report::apply_history(doc, runs);
        }
    } catch (const report::ReportInputError& e) {
        return fail(e.what());
    }

    std::string html;
    try {
        html = report::report_html(doc);
    } catch (const std::runtime_error& e) {
        return fail(std::string("report.html: ") + e.what());
    }
    const std::vector<std::pair<std::string, std::string>> outputs = {
        {(out_dir / "report.json").string(), doc.dump(2) + "\n"},
        {(out_dir / "report.md").string(), report::report_markdown(doc)},
        {(out_dir / "report.html").string(), html}};
    for (const auto& [path, content] : outputs) {
        std::string error;
        if (!write_output(path, content, error)) return fail("cannot write " + path + ": " + error);
    }

    // The console: what is over, then the verdict and where the report is.
    for (const auto& b : doc["budgets"]) {
        for (const auto& c : b["checks"]) {
            if (!c["passed"].get<bool>()) {
                print_error(c["report"].get<std::string>() + ": " + c["message"].get<std::string>());
            }
        }
    }
    for (const auto& m : doc["wasm"]) {
        if (m["status"] == "over") {
            print_error(m["report"].get<std::string>() + ": " + m["name"].get<std::string>() +
                        " is over a limit of its size report");
        }
    }
    for (const auto& g : doc["growth"]) print_error(g["message"].get<std::string>());
    const auto& s = doc["summary"];
    std::cout << "buildbudget report: " << doc["status"].get<std::string>() << ": " << doc["budgets"].size()
              << " budgets, " << doc["wasm"].size() << " wasm modules, "
              << (doc["build_memory"].is_null() ? std::string("no job log")
                                                : std::to_string(doc["build_memory"]["jobs"].size()) + " build jobs")
              << "; " << s["over"] << " over, " << s["errors"] << " errors";
    if (!doc["baseline"].is_null()) {
        std::cout << "; against " << o.baseline << ": " << s["grew"] << " grew, " << s["shrank"] << " shrank, " << s["new"]
                  << " new, " << s["removed"] << " removed, " << s["growth_limit"] << " over a growth limit";
    }
    std::cout << '\n';
    for (const auto& [path, content] : outputs) std::cout << "  " << path << '\n';
    return doc["status"] == "ok" ? 0 : 1;
}

}  // namespace

void add_report(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<BudgetReportOptions>();
    CLI::App* cmd = app.add_subcommand(
        "report",
        "One report of every budget a build tree holds: the budget checks' results (buildbudget-reports/),\n"
        "the budget sets' JSON, each wasm module's <module>.size.json and wasm analyze reports, and the\n"
        "build-memory launcher's job log. Writes report.json (schema buildbudget-report/1, a later run's\n"
        "--baseline), report.md (GitHub-flavoured Markdown for a job summary) and report.html (one page).\n"
        "Exit 0 within budget, 1 anything over budget, a --fail-above-* limit crossed or an input that\n"
        "cannot be read, 2 usage error.");
    cmd->add_option("files", o->files,
                    "Inputs named explicitly (without --build-dir, only these are read): check reports, budget\n"
                    "sets, size reports, analyses, plans (.json) and job logs (.jsonl)");
    cmd->add_option("--build-dir", o->build_dir, "The build tree to scan (default: the current directory)");
    cmd->add_option("--out-dir", o->out_dir, "Where to write the report (default: <build-dir>/buildbudget-report)");
    CLI::Option* baseline =
        cmd->add_option("--baseline", o->baseline, "An earlier report.json to compare with (e.g. the main branch's)");
    cmd->add_option("--fail-above-bytes", o->fail_bytes,
                    "With --baseline: exit 1 when a figure grew by more than this (\"10KB\", bytes)")
        ->needs(baseline);
    cmd->add_option("--fail-above-percent", o->fail_percent,
                    "With --baseline: exit 1 when a figure grew by more than this percent of its baseline")
        ->needs(baseline);
    CLI::Option* history = cmd->add_option(
        "--history", o->history,
        "Keep this run's report.json in this directory as <commit>.json (or <time>.json without git)\n"
        "and give each figure its values over the last --history-count reports there");
    cmd->add_option("--history-count", o->history_count, "How many reports of --history each figure's history holds")
        ->check([](const std::string& text) {
            return text.find('-') == std::string::npos && text != "0" ? std::string()
                                                                      : "\"" + text + "\": give 1 or more";
        })
        ->needs(history)
        ->capture_default_str();
    cmd->callback([o, &exit_code]() { exit_code = run_budget_report(*o); });
}

}  // namespace buildbudget::cli
