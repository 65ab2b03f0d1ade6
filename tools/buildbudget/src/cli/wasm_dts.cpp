// `buildbudget wasm dts <module.wasm> [--name <Identifier>] [--output FILE]`
// (doc/helper-wasm-dts.md, "buildbudget wasm dts"): TypeScript declarations
// for a module's exports and imports (wasm/dts.hpp). Exit 0; 1 for an
// unreadable or malformed module or an output that cannot be written; 2 for a
// usage error (a --name that is not an identifier).
#include "cli/options.hpp"
#include "cli/wasm.hpp"

#include "common/output_file.hpp"
#include "wasm/dts.hpp"
#include "wasm/reader.hpp"
#include "wasm/size.hpp"
#include "wasm/symbols.hpp"

#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace buildbudget::cli {
namespace {

struct DtsOptions {
    std::string file, name, output;
    std::string symbols;  ///< a symbol map or an unstripped twin (wasm/symbols.hpp); "": <module>.symbols if any
};

int run_dts(const DtsOptions& o) {
    wasm::Module module;
    try {
        wasm::LoadedModule loaded = wasm::load_module(o.file);
        // A stripped module's functions named in the doc comments from its symbol map or twin.
        const wasm::ModuleNames names =
            wasm::find_names(o.file, loaded.bytes.data(), loaded.bytes.size(), loaded.module, o.symbols);
        module = std::move(loaded.module);
        wasm::add_function_names(module, names);
    } catch (const std::runtime_error& e) {
        return fail(e.what());
    }
    std::string text;
    try {
        text = wasm::generate_dts(module, {std::filesystem::path(o.file).filename().string(), o.name});
    } catch (const wasm::DtsError& e) {
        return fail(o.file + ": " + e.what());
    }
    if (o.output.empty()) {
        std::cout << text;
        std::cout.flush();
        return std::cout ? 0 : 1;
    }
    std::string error;
    if (write_file_if_changed(o.output, text, error) == WriteResult::failed) {
        return fail("cannot write " + o.output + ": " + error);
    }
    return 0;
}

}  // namespace

void add_wasm_dts(CLI::App& wasm_group, int& exit_code) {
    auto o = std::make_shared<DtsOptions>();
    CLI::App* dts = wasm_group.add_subcommand(
        "dts",
        "Write TypeScript declarations (.d.ts) for a module: interface <Name>Exports (its exports object)\n"
        "and <Name>Imports (the import object it needs), with i32/f32/f64 -> number, i64 -> bigint as the\n"
        "WebAssembly JS API converts them. Exit 0, 1 for an unreadable or malformed module, 2 usage error.");
    dts->add_option("module", o->file, "The .wasm file")->required();
    dts->add_option("--name", o->name,
                    "Interface name prefix, a JavaScript identifier (default: the file stem in PascalCase, "
                    "img-proc.simd.wasm -> ImgProcSimd)")
        ->check([](const std::string& value) -> std::string {
            if (wasm::is_js_identifier(value)) return {};
            return "\"" + value + "\" is not a JavaScript identifier (ASCII letters, digits, _ and $, not starting "
                   "with a digit, not a reserved word)";
        });
    dts->add_option("--symbols", o->symbols,
                    "Name a stripped module's functions from this symbol map (Emscripten's index:name lines) or\n"
                    "unstripped build of the same module (default: <module>.symbols beside it, if any)");
    dts->add_option("--output", o->output,
                    "Write the declarations here (replaced only when they change) instead of standard output");
    dts->callback([o, &exit_code]() { exit_code = run_dts(*o); });
}

}  // namespace buildbudget::cli
