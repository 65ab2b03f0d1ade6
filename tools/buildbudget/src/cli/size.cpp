// `buildbudget size <text>...`: sizes as the budgets read them (budget/size.hpp),
// printed in bytes, one per line. CMake functions that need a byte count at
// configure time (wasm_build_target(MEMORY_BUDGET 2MB)) ask the helper, so a
// size means the same everywhere and a bad one gets the same message.
#include "budget/size.hpp"
#include "cli/checks.hpp"
#include "cli/options.hpp"

#include <iostream>
#include <memory>

namespace buildbudget::cli {

void add_size(CLI::App& app, int& exit_code) {
    auto texts = std::make_shared<std::vector<std::string>>();
    auto what = std::make_shared<std::string>("size");
    CLI::App* cmd = app.add_subcommand(
        "size", "Print each size (\"64KB\", \"1.5MB\", \"4096\") in bytes, one per line. Exit 0, or 1 with the "
                "reason when one is not a size.");
    cmd->add_option("sizes", *texts, "Sizes to convert")->required();
    cmd->add_option("--what", *what, "How messages name the value (e.g. \"MEMORY_BUDGET\")")->capture_default_str();
    cmd->callback([texts, what, &exit_code]() {
        exit_code = 0;
        for (const auto& text : *texts) {
            const SizeParse parsed = parse_size(text);
            if (parsed.bytes) {
                std::cout << *parsed.bytes << '\n';
            } else {
                print_error("invalid " + *what + " \"" + text + "\": " + parsed.error);
                exit_code = 1;
            }
        }
    });
}

}  // namespace buildbudget::cli
