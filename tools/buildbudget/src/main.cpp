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
#include "version.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

namespace {

int run(int argc, char** argv) {
    CLI::App app{"buildbudget: budgets for memory, WebAssembly size and build memory"};
    app.set_version_flag("--version", buildbudget::version);
    app.require_subcommand(1);

    int exit_code = 0;
    CLI::App* budget = app.add_subcommand("budget", "Memory budgets per component (wrt_memory_budget)");
    budget->require_subcommand(1);
    buildbudget::cli::add_budget_validate(*budget, exit_code);
    buildbudget::cli::add_footprint(app, exit_code);
    buildbudget::cli::add_freestanding(app, exit_code);
    buildbudget::cli::add_peak(app, exit_code);
    buildbudget::cli::add_wasm(app, exit_code);
    buildbudget::cli::add_size(app, exit_code);
    buildbudget::cli::add_buildmem(app, exit_code);
    buildbudget::cli::add_presets(app, exit_code);
    buildbudget::cli::add_report(app, exit_code);

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
        std::cerr << "buildbudget: error: " << e.what() << '\n';
        return 1;
    }
}
