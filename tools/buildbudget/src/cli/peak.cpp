// `buildbudget peak` (doc/helper-checks.md, "buildbudget peak"): runs a test
// command under the heap-counting preload library (or a wasm module under the
// WASI runner) and holds its peak to the component's budget.
#include "cli/check_output.hpp"
#include "cli/checks.hpp"
#include "cli/options.hpp"
#include "common/process.hpp"
#include "footprint/budget_file.hpp"
#include "report/table.hpp"
#include "runtime/heap_report.hpp"
#include "wasm/reader.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

namespace buildbudget::cli {
namespace {

struct PeakOptions {
    std::string budget;
    std::string component;
    std::string name;
    std::string preload;
    std::string node = "node";
    std::string wasi_runner;
    std::vector<std::string> command;
    CheckOutputOptions output;
};

bool is_wasm_module(const std::string& path) {
    if (path.size() > 5 && path.compare(path.size() - 5, 5, ".wasm") == 0) return true;
    std::ifstream in(path, std::ios::binary);
    unsigned char magic[4] = {};
    return in.read(reinterpret_cast<char*>(magic), sizeof magic) && wasm::has_wasm_magic(magic, sizeof magic);
}

/// A scratch directory removed on every path out.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/buildbudget-peak-XXXXXX";
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot create a directory in " + tmpl + ": " + std::strerror(errno));
        path_ = tmpl;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

int run_peak(const PeakOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    footprint::BudgetFile budget;
    try {
        budget = footprint::read_budget_file(o.budget);
    } catch (const std::runtime_error& e) {
        return fail(e.what());
    }
    const footprint::BudgetedComponent* declared = budget.find(o.component);

    report::CheckReport rep;
    rep.set = budget.set_name;
    rep.check = "peak";
    rep.name = o.name;
    report::CaseResult r;
    r.component = o.component;
    TempDir scratch;
    const bool wasm = is_wasm_module(o.command.front());
    rep.measure = wasm ? "linear memory" : "heap peak";
    r.details["command"] = o.command;

    ProcessResult outcome;
    std::string measured_by;  // the process or module the figure belongs to
    bool measured = false;
    if (declared == nullptr) {
        r.error = true;
        r.message = "component " + o.component + " is not in budget set " + budget.set_name + " (" + budget.path + ")";
    } else if (wasm) {
        r.budget_bytes = declared->bytes;
        if (o.wasi_runner.empty()) throw CLI::ValidationError("--wasi-runner", "a wasm module needs the WASI runner (wasi-run.mjs)");
        const std::string run_report = scratch.path() + "/wasm-run.json";
        std::vector<std::string> argv = {o.node, "--no-warnings", o.wasi_runner, "--report", run_report};
        argv.insert(argv.end(), o.command.begin(), o.command.end());
        outcome = run_process(argv, ChildOutput::inherit);
        std::ifstream in(run_report);
        if (in) {
            try {
                const auto j = nlohmann::json::parse(in);
                if (!j.at("memory_bytes").is_null()) {
                    r.measured_bytes = j.at("memory_bytes").get<std::uint64_t>();
                    r.details["initial_memory_bytes"] = j.at("initial_memory_bytes");
                    measured = true;
                    measured_by = o.command.front();
                } else {
                    r.error = true;
                    r.message = o.command.front() + " exports no memory, so its linear memory cannot be measured";
                }
            } catch (const nlohmann::json::exception& e) {
                r.error = true;
                r.message = run_report + ": unreadable WASI runner report: " + e.what();
            }
        }
    } else {
        r.budget_bytes = declared->bytes;
        if (o.preload.empty()) throw CLI::ValidationError("--preload", "needs the heap-counting library");
        std::string preload = o.preload;
        if (const char* existing = std::getenv("LD_PRELOAD"); existing != nullptr && *existing != '\0') preload += std::string(":") + existing;
        outcome = run_process(o.command, ChildOutput::inherit,
                              {{"LD_PRELOAD", preload}, {"BUILDBUDGET_HEAP_REPORT_DIR", scratch.path()}});
        try {
            const auto reports = runtime::read_heap_reports(scratch.path());
            nlohmann::ordered_json processes = nlohmann::ordered_json::array();
            for (const auto& h : reports) {
                processes.push_back({{"pid", h.pid}, {"command", h.command}, {"peak_bytes", h.peak_bytes},
                                     {"allocations", h.allocations}, {"frees", h.frees}});
                if (!measured || h.peak_bytes > r.measured_bytes) {
                    r.measured_bytes = h.peak_bytes;
                    measured_by = h.command + ", pid " + std::to_string(h.pid);
                    measured = true;
                }
            }
            r.details["processes"] = processes;
        } catch (const std::runtime_error& e) {
            r.error = true;
            r.message = e.what();
        }
        if (outcome.started() && !measured && r.message.empty()) {
            r.error = true;
            r.message = o.command.front() + " wrote no heap report: the preload library was not loaded "
                        "(a statically linked program, or one that clears LD_PRELOAD)";
        }
    }
    r.details["exit_code"] = outcome.exit_code;
    r.details["signal"] = outcome.signal;
    r.details["measured_process"] = measured_by;

    if (!outcome.started() && declared != nullptr) {
        r.error = true;
        r.message = "cannot run " + (wasm ? o.node : o.command.front()) + ": " + std::strerror(outcome.spawn_errno);
    } else if (outcome.started() && !outcome.ok()) {
        r.error = true;
        r.message = "the command " + o.command.front() + " " + outcome.describe_end() +
                    (measured ? "; its " + rep.measure + " was " + std::to_string(r.measured_bytes) + " bytes" : "");
    } else if (measured && r.budget_bytes && r.measured_bytes > *r.budget_bytes) {
        r.message = "component " + o.component + ": " + rep.measure + " " + std::to_string(r.measured_bytes) + " bytes (" +
                    measured_by + ") is over its budget of " + std::to_string(*r.budget_bytes) + " bytes by " +
                    std::to_string(r.measured_bytes - *r.budget_bytes) + " bytes";
    }
    r.passed = r.message.empty();
    rep.cases.push_back(r);
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    using report::Align;
    const std::string table =
        "Run-time " + rep.measure + " of " + rep.set + " (bytes):\n" +
        report::render_table({"Component", "Budget", wasm ? "Linear memory" : "Heap peak", wasm ? "Module" : "Process", "\u2713/\u2717"},
                             {{r.component, r.budget_bytes ? report::bytes(*r.budget_bytes) : "-",
                               measured ? report::bytes(r.measured_bytes) : "-", measured_by, mark(r.passed)}},
                             {Align::left, Align::right, Align::right, Align::left, Align::left});
    return finish_check(rep, table, o.output);
}

}  // namespace

void add_peak(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<PeakOptions>();
    CLI::App* cmd = app.add_subcommand(
        "peak",
        "Run a command under the heap-counting preload library and hold the peak of live heap bytes\n"
        "(the largest of any process it starts) to a component's budget; a .wasm module runs under the\n"
        "WASI runner and its final linear memory size is held instead. Usage: buildbudget peak --budget\n"
        "<set.json> --component <name> --preload <libbuildbudget_heapcount.so> -- <command> [args...]\n"
        "Exit 0 within budget, 1 over budget or the command failed, 2 usage error.");
    cmd->add_option("--budget", o->budget, "The budget set's JSON description")->required();
    cmd->add_option("--component", o->component, "The component whose budget holds")->required();
    cmd->add_option("--name", o->name, "The test's name, for messages and the JUnit suite (default <set>.peak)");
    cmd->add_option("--preload", o->preload, "The heap-counting library (libbuildbudget_heapcount.so)");
    cmd->add_option("--node", o->node, "Node.js, for wasm modules")->capture_default_str();
    cmd->add_option("--wasi-runner", o->wasi_runner, "The WASI runner script (wasi-run.mjs), for wasm modules");
    add_check_output_options(*cmd, o->output);
    cmd->add_option("command", o->command, "The command and its arguments, after --")->required();
    cmd->callback([o, &exit_code]() { exit_code = run_peak(*o); });
}

}  // namespace buildbudget::cli
