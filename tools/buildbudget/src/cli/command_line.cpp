// The helper's command line: its subcommands, parsed with CLI11 (cli/command_line.hpp).
#include "cli/command_line.hpp"

#include "cli/budget_validate.hpp"
#include "cli/buildmem.hpp"
#include "cli/checks.hpp"
#include "cli/presets.hpp"
#include "cli/report.hpp"
#include "cli/wasm.hpp"
#include "version.hpp"

#include <CLI/CLI.hpp>

#include <string_view>

namespace buildbudget::cli {
namespace {

void add_budget(CLI::App& app, int& exit_code) {
    CLI::App* budget = app.add_subcommand("budget", "Memory budgets per component (wrt_memory_budget)");
    budget->require_subcommand(1);
    add_budget_validate(*budget, exit_code);
}

// Each subcommand of the top level, by name, with the function that adds it.
struct Command {
    const char* name;
    void (*add)(CLI::App&, int&);
};
constexpr Command commands[] = {
    {"budget", add_budget},
    {"footprint", add_footprint},
    {"freestanding", add_freestanding},
    {"peak", add_peak},
    {"wasm", add_wasm},
    {"size", add_size},
    {"buildmem", add_buildmem},
    {"presets", add_presets},
    {"report", add_report},
};

}  // namespace

int run_command_line(int argc, char** argv) {
    CLI::App app{"buildbudget: budgets for memory, WebAssembly size and build memory"};
    app.set_version_flag("--version", buildbudget::version);
    app.require_subcommand(1);

    // Only the subcommand the first argument names is built, when it names one: building every
    // subcommand's options was a fifth of a short command's CPU, such as the job launcher's around
    // every compile of lowmem_profile() (doc/helper-wasm-analyze.md, "Speed"). Anything else
    // (--help, --version, a misspelt name) gets them all, so its help and errors are as before.
    int exit_code = 0;
    const Command* named = nullptr;
    for (const auto& c : commands) {
        if (argc > 1 && std::string_view(argv[1]) == c.name) named = &c;
    }
    for (const auto& c : commands) {
        if (named == nullptr || named == &c) c.add(app, exit_code);
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    return exit_code;
}

}  // namespace buildbudget::cli
