// The model of `buildbudget wasm analyze` (doc/helper-wasm-analyze.md): where a
// WebAssembly module's bytes go, by section, function, data segment, import,
// export and custom section, with its compressed sizes and its functions
// with identical bodies. The other parts of `analyze` work on this model:
//   wasm/recommendations.hpp  the rules and their messages (recommend())
//   wasm/baseline.hpp         an earlier report: reading, comparing, growth limits
//   wasm/analysis_json.hpp    the JSON report and its schema
//   wasm/treemap_data.hpp     the treemap of the HTML report
//
// Everything here works on what wasm::parse() read (reader.hpp); nothing is
// decoded twice. Sizes are bytes throughout.
#pragma once

#include "wasm/callgraph.hpp"
#include "wasm/reader.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace buildbudget::wasm {

struct ModuleNames;  // wasm/symbols.hpp

/// Where a function's name comes from (the reader's Module::function_name()
/// order; a symbol map or an unstripped twin (wasm/symbols.hpp) comes after
/// the name section and before the export).
enum class NameSource { name_section, export_name, index, symbol_map, twin };

/// "name", "export", "index", "symbols" or "twin".
[[nodiscard]] const char* to_string(NameSource source);

/// What a custom section holds, by its name.
enum class CustomCategory { debug, name, producers, target_features, other };

/// "debug", "name", "producers", "target_features" or "other".
[[nodiscard]] const char* to_string(CustomCategory category);

/// Classifies a custom section by name: "debug" for DWARF (".debug_*", DWARF
/// for WebAssembly, yurydelendik/webassembly-dwarf), "external_debug_info"
/// and "sourceMappingURL" (tool-conventions Debugging.md); "name" (core spec
/// appendix 7.4); "producers" and "target_features" (tool-conventions); else "other".
[[nodiscard]] CustomCategory classify_custom_section(std::string_view name);

/// A function type as wabt's wasm-objdump writes it: "(i32, i64) -> f32",
/// "() -> nil", "(i64) -> (f32, f64)".
[[nodiscard]] std::string signature_text(const FuncType& type);

/// One section of the file.
struct SectionInfo {
    std::uint8_t id = 0;
    std::string name;                ///< standard name or the custom section's name
    std::uint64_t offset = 0;        ///< offset of the id byte
    std::uint64_t bytes = 0;         ///< whole section: id + size field + payload
    std::uint64_t payload_bytes = 0; ///< payload (for a custom section including its name)
    std::optional<CustomCategory> custom;  ///< set for custom sections
};

/// One defined function.
struct FunctionInfo {
    std::uint32_t index = 0;  ///< function index space (imports first)
    std::string name;         ///< from `name_source`; "function[<index>]" for NameSource::index
    NameSource name_source = NameSource::index;
    std::uint64_t body_bytes = 0;  ///< the body (locals + code) without its size field
    std::uint64_t body_offset = 0; ///< file offset of the body
    std::uint32_t type_index = 0;
    // Names for people (wasm/symbols.hpp apply_names(); doc/helper-wasm-analyze.md, "Names"):
    std::string demangled;     ///< `name` demangled (wasm/demangle.hpp); empty when that is `name` itself (not mangled)
    std::string group;         ///< namespace / class / crate path of `demangled`; "" for a global
    std::string compile_unit;  ///< DWARF compile unit (wasm/dwarf.hpp); "" when none covers it
};

/// Functions with byte-identical bodies and the same signature.
struct DuplicateGroup {
    std::uint64_t body_bytes = 0;           ///< each body
    std::vector<std::uint32_t> functions;   ///< function indices, increasing, at least two
    /// Bytes of bodies merging would remove: (functions - 1) * body_bytes.
    [[nodiscard]] std::uint64_t saved_bytes() const { return (functions.size() - 1) * body_bytes; }
};

/// Everything `analyze` reports about one module.
struct ModuleAnalysis {
    std::string file;
    std::uint64_t raw = 0;
    std::optional<std::uint64_t> gzip, brotli;  ///< empty when not computed
    std::vector<SectionInfo> sections;          ///< file order
    std::vector<std::string> signatures;        ///< signature_text() of each type, by type index
    std::vector<FunctionInfo> functions;        ///< defined functions, index order
    std::vector<DataSegment> data;              ///< index order (reader's DataSegment, names included)
    std::vector<Import> imports;
    std::vector<Export> exports;
    std::uint32_t imported_functions = 0;
    std::vector<std::uint32_t> imported_function_types;  ///< type index of each imported function
    std::optional<Limits> memory;                ///< memory 0
    bool memory_imported = false;
    std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> producers;
    std::vector<std::string> target_features;
    std::vector<DuplicateGroup> duplicates;      ///< by saved bytes, largest first (then first index)
    std::string names_file;  ///< the symbol map or twin module that named functions ("": none)
    std::string dwarf_file;  ///< the module whose DWARF gave the compile units ("": no DWARF)
    /// Calls, ref.func, element segments, exports and start, with the dominator
    /// tree: retained sizes, garbage, paths (wasm/callgraph.hpp; function
    /// nodes are function indices, imports first).
    CallGraph call_graph;

    /// Whole bytes of the first section with this id (0: none).
    [[nodiscard]] std::uint64_t section_bytes(std::uint8_t id) const;
    /// Whole bytes of the custom sections of `category`.
    [[nodiscard]] std::uint64_t custom_bytes(CustomCategory category) const;
    /// The type index of function `index` (imported or defined); empty if out of range.
    [[nodiscard]] std::optional<std::uint32_t> function_type(std::uint32_t index) const;
    /// The producers' "processed-by" tools that optimise: wasm-opt / binaryen ("wasm-opt 108").
    [[nodiscard]] std::vector<std::string> optimisers() const;
};

/// The groups of defined functions with byte-identical bodies and structurally
/// equal types (binaryen's duplicate-function-elimination compares types by
/// structure): `functions` as analyze_module() fills them (their bodies at
/// body_offset in `data`), `canonical_type` each type's first structurally
/// equal type, `hashes` body_hash() of each function's body (wasm/code.hpp:
/// CodeRefs::body_hashes) or empty to hash here the bodies that share a size and
/// type. Bodies with equal hashes are compared byte for byte, so hashes that
/// collide cannot make a wrong group; `same_as_first` (CodeRefs::same_as_first,
/// with `hashes`) spares that for the bodies the decoder already compared: a
/// group whose bodies are all marked is not read again. Groups by saved bytes,
/// largest first, then by first index; each group's functions in index order.
[[nodiscard]] std::vector<DuplicateGroup> find_duplicates(const std::uint8_t* data,
                                                          const std::vector<FunctionInfo>& functions,
                                                          const std::vector<std::uint32_t>& canonical_type,
                                                          const std::vector<std::uint64_t>& hashes,
                                                          const std::vector<std::uint8_t>& same_as_first = {});

/// Analyses a module: `data`/`size` are the file's bytes and `module` what
/// wasm::parse() read from them (moved from: its names are taken, not
/// copied, and its function_names emptied). `compress`: compute the gzip -9
/// and brotli -q 11 sizes (wasm::gzip_compress / brotli_compress, see
/// size.hpp). Throws
/// ParseError ("<file>: function 12: unknown opcode 0xFF at byte offset N")
/// when a function body or element segment is malformed (the call graph
/// decodes them: wasm/code.hpp), and std::runtime_error when compression
/// fails (out of memory). `call_graph` false: no decoding, `call_graph` stays
/// empty (CallGraph::built false). `names`: the functions are also given
/// their names (as wasm::apply_names(), wasm/symbols.hpp, does afterwards),
/// on a thread of their own while identical bodies are found and the graph is built.
/// `decoding`: the call graph's decoding read_for_analysis() began, if any (else
/// it is begun here).
[[nodiscard]] ModuleAnalysis analyze_module(std::string file, const std::uint8_t* data, std::size_t size,
                                            Module&& module, bool compress, bool call_graph = true,
                                            const ModuleNames* names = nullptr,
                                            std::unique_ptr<CodeDecoding> decoding = nullptr);

/// A module file read and parsed for analyze_module(): read_file_bytes(path,
/// true) and parsed behind the copy, with the call graph's decoding (when
/// `call_graph`) begun on threads of its own as soon as the code section is
/// parsed, while the parser reads the sections after it (z3-built.wasm's
/// 4.9 MB name section; doc/helper-wasm-analyze.md, "Speed").
struct ModuleForAnalysis {
    FileBytes bytes;
    Module module;
    std::unique_ptr<CodeDecoding> decoding;  ///< null without a call graph; stops before `bytes` go
};
/// Throws as map_module(): ParseError "<path>: <problem> at byte offset <N>",
/// std::runtime_error "<path>: cannot read: <strerror>".
[[nodiscard]] ModuleForAnalysis read_for_analysis(const std::string& path, bool call_graph);

/// A recommendation: a stable id, the module it concerns (empty: all of
/// them), one line of text and the figures behind it (a JSON object of numbers
/// and strings).
struct Recommendation {
    std::string id;  ///< "split", "lazy-load", "strip-debug", "strip-names", "duplicate-functions",
                     ///< "dominant-function", "large-data", "no-max-memory", "lazy-export",
                     ///< "unreachable-code"
    std::string module;
    std::string message;
    nlohmann::ordered_json figures = nlohmann::ordered_json::object();
};

/// The modules and their recommendations.
struct Analysis {
    std::vector<ModuleAnalysis> modules;
    std::vector<Recommendation> recommendations;
    [[nodiscard]] std::uint64_t total_raw() const;
};

}  // namespace buildbudget::wasm
