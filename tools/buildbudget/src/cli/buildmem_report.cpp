// `buildbudget buildmem report [--plan FILE | --log FILE] [--top N] [--json]`
// (doc/helper-buildmem.md, "buildbudget buildmem report"): the
// heaviest compiles and links of the launcher's job log, the peak concurrent
// memory, the killed jobs and, with the plan, the pools the recorded peaks
// allow. Exit 0, 1 for an unreadable or malformed plan or log (naming the file
// and line), 2 usage error.
#include "buildmem/report.hpp"
#include "buildmem/rustc_wrapper.hpp"
#include "cli/buildmem.hpp"
#include "cli/options.hpp"

#include <cerrno>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <string>

namespace buildbudget::cli {
namespace {

struct ReportOptions {
    std::string plan;
    std::string log;
    std::size_t top = 10;
    bool json = false;
};


int run_report(const ReportOptions& o) {
    std::optional<buildmem::LowmemPlan> plan;
    std::string log = o.log;
    try {
        if (!o.plan.empty()) {
            plan = buildmem::read_lowmem_plan(o.plan);
            log = plan->log;
        }
    } catch (const buildmem::PlanFileError& e) {
        return fail(e.what());
    }
    std::vector<buildmem::JobRecord> records;
    bool missing = false;
    std::error_code ec;
    if (plan && !std::filesystem::exists(log, ec)) {
        missing = true;  // configured, not built yet: an empty report, not an error
    } else {
        try {
            records = buildmem::read_records(log);
        } catch (const buildmem::JobLogError& e) {
            return fail(e.what());
        }
    }
    buildmem::BuildmemReport report = buildmem::build_report(std::move(records), log, plan);
    report.log_missing = missing;
    // sccache's hits and misses, once cargo's rustc wrapper of this build tree ran sccache (buildmem/rustc_wrapper.hpp).
    const buildmem::BuildTreeSccache sccache = plan ? buildmem::build_tree_sccache(plan->file) : buildmem::BuildTreeSccache{};
    if (!sccache.error.empty()) print_warning(sccache.error + " (the report shows no sccache figures)");
    if (!o.json) {
        std::cout << buildmem::report_text(report, o.top);
        if (sccache.stats) std::cout << '\n' << buildmem::sccache_stats_text(*sccache.stats);
        return 0;
    }
    if (!sccache.ran) {
        std::cout << buildmem::report_json(report, o.top);  // as before: no "sccache" key
        return 0;
    }
    auto j = nlohmann::ordered_json::parse(buildmem::report_json(report, o.top));
    j["sccache"] = sccache.stats ? buildmem::sccache_stats_json(*sccache.stats) : nlohmann::ordered_json(nullptr);
    std::cout << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
    return 0;
}

}  // namespace

void add_buildmem_report(CLI::App& group, int& exit_code) {
    auto o = std::make_shared<ReportOptions>();
    CLI::App* cmd = group.add_subcommand(
        "report",
        "Show what the launcher's job log recorded: the heaviest compiles and links (the latest run of each\n"
        "output), the peak concurrent memory (the sum of the peaks of the jobs that ran at the same time), the\n"
        "jobs killed by a signal (SIGKILL: most likely the kernel's OOM killer), and with --plan the pool sizes\n"
        "the recorded peaks allow. Exit 0, 1 for a missing or malformed plan or log, 2 usage error.");
    CLI::Option* plan = cmd->add_option("--plan", o->plan, "The plan file lowmem_profile() wrote (its log is read)");
    CLI::Option* log = cmd->add_option("--log", o->log, "A job log (JSON lines) to read instead");
    plan->excludes(log);
    log->excludes(plan);
    cmd->add_option("--top", o->top, "Rows of the compile and link tables (0: all)")
        ->check([](const std::string& text) {
            return text.find('-') == std::string::npos ? std::string() : "\"" + text + "\" is negative: give 0 or more";
        })
        ->capture_default_str();
    cmd->add_flag("--json", o->json, "Print the JSON report (schema buildbudget-buildmem-report/1) instead of text");
    cmd->callback([o, plan, log, &exit_code]() {
        if (plan->count() == 0 && log->count() == 0) throw CLI::RequiredError("--plan or --log");
        exit_code = run_report(*o);
    });
}

}  // namespace buildbudget::cli
