// WebAssembly modules in the footprint model: code, data segments, initial
// and maximum linear memory; static RAM is the data segments plus the stack
// (doc/design.md, "Budget checks"; doc/memory-budget.md, "Budget checks").
#pragma once

#include "footprint/artifact.hpp"

#include <string>

namespace buildbudget::footprint {

/// Reads the module at `path` with the project's wasm reader and maps it:
///   text    the code section's payload
///   data    every data segment's bytes (active and passive)
///   bss     the rest of the statically reserved linear memory: zero-initialised
///           data (which wasm-ld leaves out of the data section) and the stack.
///           The reserved region ends at the larger of the initial stack pointer
///           (LLVM's `__stack_pointer`: the global of that name in the name
///           section, else the first defined mutable i32 global with a constant
///           initialiser) and the end of the highest data segment; it starts at
///           0 when the stack lies below the data (wasm-ld --stack-first,
///           Emscripten), else at the lowest data segment.
/// The data segments (named from the name section) and "stack and zero-initialised
/// data" are the contributors; imported functions are the undefined symbols.
/// Throws ArtifactError with the reader's byte offset.
[[nodiscard]] Artifact read_wasm_artifact(const std::string& path);

}  // namespace buildbudget::footprint
