// buildbudget: the native helper of the BuildBudget CMake package (doc/layout.md,
// "Inside the helper").
//
// Exit codes, for every subcommand: 0 within budget, 1 over budget or invalid
// input (with a message), 2 usage error.
#include "cli/command_line.hpp"
#include "common/diagnostics.hpp"

#include <exception>

int main(int argc, char** argv) {
    try {
        return buildbudget::cli::run_command_line(argc, argv);
    } catch (const std::exception& e) {
        buildbudget::print_error(e.what());
        return 1;
    }
}
