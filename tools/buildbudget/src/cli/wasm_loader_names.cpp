// `buildbudget wasm loader-names [--] <module>...`: the loader function each
// module gets in a wasm_package() npm package (wasm/dts.hpp,
// loader_function_name()), one per line in the order given, checked the way
// JavaScript needs them: each an identifier, no reserved word, no two alike.
// Exit 0; 1 with a message naming the module (which wasm_package() passes on)
// for a name that gives no identifier, a reserved word, or a clash; 2 usage error.
#include "cli/options.hpp"
#include "cli/wasm.hpp"

#include "wasm/dts.hpp"

#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace buildbudget::cli {
namespace {

int run_loader_names(const std::vector<std::string>& modules) {
    std::map<std::string, std::string> taken;  // loader function -> the module that has it
    std::string lines;
    for (const auto& module : modules) {
        const std::string function = wasm::loader_function_name(module);
        if (function.empty()) {
            return fail("the module name " + module +
                        " gives no JavaScript identifier for its loader function (it needs an ASCII letter or digit); "
                        "rename the module");
        }
        if (wasm::is_reserved_word(function)) {
            return fail("the loader function of " + module + " would be \"" + function +
                        "\", a reserved word in JavaScript modules; rename the module");
        }
        const auto [it, inserted] = taken.emplace(function, module);
        if (!inserted) {
            return fail("the loader function of " + module + " would be \"" + function + "\", which module " +
                        it->second + " already has; rename one of them");
        }
        lines += function + '\n';
    }
    std::cout << lines;
    std::cout.flush();
    return std::cout ? 0 : 1;
}

}  // namespace

void add_wasm_loader_names(CLI::App& wasm_group, int& exit_code) {
    auto modules = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = wasm_group.add_subcommand(
        "loader-names",
        "Print the loader function wasm_package() exports for each module, one per line: the module name in\n"
        "lowerCamelCase (img-proc -> imgProc, a leading digit gets \"m\"). Exit 0; 1 when a name gives no\n"
        "JavaScript identifier, a reserved word (class, await, eval, ...) or the same function as another\n"
        "module; 2 usage error. Put -- before module names that start with -.");
    cmd->add_option("modules", *modules, "The modules' names, in the package's order")->required();
    cmd->callback([modules, &exit_code]() { exit_code = run_loader_names(*modules); });
}

}  // namespace buildbudget::cli
