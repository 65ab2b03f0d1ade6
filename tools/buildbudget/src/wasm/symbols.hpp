// Names for stripped WebAssembly modules (doc/helper-wasm-analyze.md,
// "Names"): a symbol map in Emscripten's format (`emcc --emit-symbol-map`,
// `wasm-opt --symbolmap`, and the <module>.wasm.symbols that
// wasm_build_target() writes), or an unstripped build of the same module
// (its name section); their names demangled and grouped by namespace / crate
// path (demangle.hpp) and by DWARF compile unit (dwarf.hpp).
#pragma once

#include "wasm/analysis.hpp"
#include "wasm/reader.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace buildbudget::wasm {

/// A symbol map or a twin module that cannot name the module: what() names
/// the file (and for a map line "<file>:<line>:"), the problem and what was expected.
struct SymbolMapError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Function names by function index (the index space: imports first).
using FunctionNameMap = std::map<std::uint32_t, std::string>;

/// Parses Emscripten's symbol map: one "<index>:<name>" line per function,
/// imports included, the index decimal and the name everything after the
/// first ':' (as emcc --emit-symbol-map and binaryen's --symbolmap write it,
/// with binaryen's escapes "\XX", two hex digits, undone: "operator\20new" is
/// "operator new"; a "\r\n" line end and blank lines are accepted). With `function_count`, an
/// index must be below it (imported and defined functions of the module the
/// map is for). Throws SymbolMapError "<file>:<line>: <problem>; expected
/// <index>:<name>, e.g. 12:main" for a line without ':', an index that is not a
/// decimal number or out of range, an index given twice, an empty name.
[[nodiscard]] FunctionNameMap parse_symbol_map(std::string_view text, const std::string& file,
                                               std::optional<std::uint32_t> function_count = std::nullopt);

/// The symbol map beside `module_file`: "<module_file>.symbols" (wasm_build_target()'s
/// and this helper's convention), else the file name with ".wasm" replaced by
/// ".symbols" (emcc's: `-o app.wasm --emit-symbol-map` writes app.symbols); "" when neither exists.
[[nodiscard]] std::string symbol_map_beside(const std::string& module_file);

/// What names one module: external names and compile units.
struct ModuleNames {
    FunctionNameMap names;            ///< from `names_file`; empty: none
    std::string names_file;           ///< the symbol map or the twin module they came from
    NameSource source = NameSource::index;  ///< symbol_map or twin
    std::vector<std::string> compile_units;  ///< of each defined function (dwarf.hpp); empty: no DWARF
    std::string dwarf_file;           ///< the module whose DWARF gave them (this one or the twin)
    std::vector<std::string> warnings;  ///< malformed DWARF: the units are left out, the rest stands
};

/// The names of the module `file` (its bytes `data`/`size` and what wasm::parse() read):
/// `symbols` is the --symbols argument: a symbol map, or a module (by its
/// "\0asm" magic) that must be an unstripped build of this one; "" looks for a
/// map beside the module (symbol_map_beside()). A twin must have the same
/// number of imported and defined functions and the same body size for each,
/// else SymbolMapError "<twin> is not a build of the same module as <file>:
/// ..."; a twin without a name section or DWARF is an error too. Compile units
/// come from this module's DWARF, else the twin's. Throws SymbolMapError, and
/// std::runtime_error / ParseError for an unreadable file.
[[nodiscard]] ModuleNames find_names(const std::string& file, const std::uint8_t* data, std::size_t size, const Module& module,
                                     const std::string& symbols);

/// Gives `a`'s functions their names: the name section first, then `names`,
/// then the export, then the index (FunctionInfo::name_source says which),
/// each one's demangled name, namespace group and compile unit
/// (FunctionNaming, on two threads from 4,096 functions).
void apply_names(ModuleAnalysis& a, const ModuleNames& names);

/// apply_names() begun on a thread of its own while the caller goes on
/// (analyze_module() finds identical bodies and builds the call graph
/// meanwhile): demangling is most of the naming's time on a module whose
/// functions are named (duckdb-mvp.wasm's 62,171: 74 ms of libiberty's
/// demangler on one thread; doc/helper-wasm-analyze.md, "Speed"). The
/// functions are named in runs of 256, each taken by the next free thread;
/// finish() joins in on what is left. Below 4,096 functions there is no
/// thread and finish() names them all. Until finish() returns, the caller
/// must not add or remove functions, nor touch the members naming writes:
/// each FunctionInfo's name, name_source, demangled, group and compile_unit
/// (the others are its own). libiberty's demangler keeps no state between
/// calls. `a` and `names` must outlive this object.
class FunctionNaming {
public:
    FunctionNaming(ModuleAnalysis& a, const ModuleNames& names);
    FunctionNaming(const FunctionNaming&) = delete;
    FunctionNaming& operator=(const FunctionNaming&) = delete;
    /// Waits for the thread (without naming the rest) if finish() was not called.
    ~FunctionNaming();
    /// Names the functions not taken yet on this thread, waits for the other,
    /// and rethrows its exception (std::bad_alloc) if it had one.
    void finish();

private:
    void name_runs();
    ModuleAnalysis& a_;
    const ModuleNames& names_;
    std::atomic<std::size_t> next_run_{0};
    std::atomic<bool> stop_{false};
    std::exception_ptr thread_error_;
    std::thread thread_;
};

/// Adds `names`' entries to the module's name map where it has none (for `wasm dts`).
void add_function_names(Module& module, const ModuleNames& names);

/// Bytes of code per group, largest first (then by name).
struct FunctionGroup {
    std::string name;  ///< the namespace / crate path, "(global)"; or the compile unit, "(no compile unit)"
    std::uint64_t functions = 0;
    std::uint64_t body_bytes = 0;
};

/// The functions of `a` by FunctionInfo::group (by_compile_unit false) or by
/// FunctionInfo::compile_unit (true; empty when the module has no DWARF).
[[nodiscard]] std::vector<FunctionGroup> function_groups(const ModuleAnalysis& a, bool by_compile_unit);

}  // namespace buildbudget::wasm
