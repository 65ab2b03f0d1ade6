// The DWARF compile unit of each function of a WebAssembly module
// (doc/helper-wasm-analyze.md, "Names"), as bloaty's "compileunits" groups
// bytes. Read from the module's custom sections .debug_info, .debug_abbrev,
// .debug_str, .debug_line_str, .debug_str_offsets, .debug_addr,
// .debug_ranges and .debug_rnglists (DWARF 2 to 5, DWARF 5 §7.5 "Format of
// Debugging Information"); in WebAssembly DWARF a code address is an offset
// into the code section's payload (yurydelendik/webassembly-dwarf, "DWARF
// for WebAssembly Target", §"Code addresses").
//
// Only each unit's own DIE is read: its DW_AT_name and its DW_AT_low_pc /
// DW_AT_high_pc or DW_AT_ranges. Nothing else of the DWARF is decoded.
#pragma once

#include "wasm/reader.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace buildbudget::wasm {

/// Malformed DWARF: what() is "<section> at offset <N>: <problem>", N an
/// offset into that section's contents.
struct DwarfError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Whether the module has the DWARF these functions need (.debug_info and .debug_abbrev).
[[nodiscard]] bool has_dwarf(const Module& module);

/// The compile unit (its DW_AT_name, as written: often a path relative to
/// DW_AT_comp_dir) of each defined function of `module`, in module.functions
/// order; "" for a function no unit's ranges cover (library code built
/// without debug information, or a function wasm-opt created). `data`/`size`
/// are the file's bytes that `module` was parsed from. A function belongs to
/// the unit whose address ranges cover most of its body. An empty vector when
/// the module has no DWARF (has_dwarf()). Throws DwarfError.
[[nodiscard]] std::vector<std::string> function_compile_units(const std::uint8_t* data, std::size_t size,
                                                              const Module& module);

}  // namespace buildbudget::wasm
