// `buildbudget wasm exports` (doc/helper-wasm-dts.md; used by wasm_package(UNIFIED)): the function
// exports of one or more modules, and the linker options that make a module
// linked from all their code export the same functions.
#include "cli/options.hpp"
#include "cli/wasm.hpp"

#include "common/output_file.hpp"
#include "wasm/reader.hpp"

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace buildbudget::cli {
namespace {

struct ExportsOptions {
    std::vector<std::string> modules;
    std::string link_options;
};

/// The entry points the WASI ABI gives every module (`_start` of a command,
/// `_initialize` of a reactor): the unified module has its own, so they are
/// never re-exported from the parts.
bool is_wasi_entry_point(const std::string& name) { return name == "_start" || name == "_initialize"; }

int run_exports(const ExportsOptions& o) {
    std::map<std::string, std::string> owner;  // export name -> the module that exports it
    std::vector<std::string> names;            // in module order, then each module's export order
    for (const auto& path : o.modules) {
        wasm::Module module;
        try {
            module = wasm::read_file(path);
        } catch (const std::runtime_error& e) {
            return fail(e.what());
        }
        for (const auto& e : module.exports) {
            if (e.kind != wasm::ExternalKind::function || is_wasi_entry_point(e.name)) continue;
            const auto [it, inserted] = owner.emplace(e.name, path);
            if (!inserted) {
                if (it->second == path) continue;  // the same file given twice
                return fail("the function export \"" + e.name + "\" is in both " + it->second + " and " + path +
                            "; a module linked from both can export each name once (rename one)");
            }
            names.push_back(e.name);
            if (o.link_options.empty()) std::cout << path << ": " << e.name << '\n';
        }
    }
    if (o.link_options.empty()) return 0;
    // -Xlinker (not -Wl, which splits at commas) and GNU response-file
    // quoting (what clang reads): a double-quoted word, backslash before '"'
    // and '\\', so any export name survives.
    std::string text;
    for (const auto& n : names) {
        text += "-Xlinker \"--export=";
        for (const char ch : n) {
            if (ch == '"' || ch == '\\') text += '\\';
            text += ch;
        }
        text += "\"\n";
    }
    std::string error;
    if (write_file_if_changed(o.link_options, text, error) == WriteResult::failed) {
        return fail("cannot write " + o.link_options + ": " + error);
    }
    return 0;
}

}  // namespace

void add_wasm_exports(CLI::App& wasm_group, int& exit_code) {
    auto o = std::make_shared<ExportsOptions>();
    CLI::App* cmd = wasm_group.add_subcommand(
        "exports",
        "List the function exports of modules (without the WASI entry points _start and _initialize), one\n"
        "\"<module>: <name>\" per line; or, with --link-options, write the clang options that make a module\n"
        "linked from all their code export the same functions (wasm_package UNIFIED). A name exported by\n"
        "two modules is an error. Exit 0, 1 for an unreadable or malformed module or a clash.");
    cmd->add_option("modules", o->modules, "The .wasm files")->required();
    cmd->add_option("--link-options", o->link_options,
                    "Write one -Xlinker \"--export=<name>\" per line to this clang response file (rewritten only\n"
                    "when it changes)");
    cmd->callback([o, &exit_code]() { exit_code = run_exports(*o); });
}

}  // namespace buildbudget::cli
