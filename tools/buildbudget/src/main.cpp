// buildbudget: the native helper of the BuildBudget CMake package (doc/layout.md,
// "Inside the helper").
//
// Exit codes, for every subcommand: 0 within budget, 1 over budget or invalid
// input (with a message), 2 usage error.
#include "cli/budget_validate.hpp"
#include "cli/buildmem.hpp"
#include "cli/checks.hpp"
#include "cli/presets.hpp"
#include "cli/report.hpp"
#include "cli/wasm.hpp"
#include "common/diagnostics.hpp"
#include "version.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <string_view>

namespace {

void add_budget(CLI::App& app, int& exit_code) {
    CLI::App* budget = app.add_subcommand("budget", "Memory budgets per component (wrt_memory_budget)");
    budget->require_subcommand(1);
    buildbudget::cli::add_budget_validate(*budget, exit_code);
}

// Each subcommand of the top level, by name, with the function that adds it.
struct Command {
    const char* name;
    void (*add)(CLI::App&, int&);
};
constexpr Command commands[] = {
    {"budget", add_budget},
    {"footprint", buildbudget::cli::add_footprint},
    {"freestanding", buildbudget::cli::add_freestanding},
    {"peak", buildbudget::cli::add_peak},
    {"wasm", buildbudget::cli::add_wasm},
    {"size", buildbudget::cli::add_size},
    {"buildmem", buildbudget::cli::add_buildmem},
    {"presets", buildbudget::cli::add_presets},
    {"report", buildbudget::cli::add_report},
};

int run(int argc, char** argv) {
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

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        buildbudget::print_error(e.what());
        return 1;
    }
}
