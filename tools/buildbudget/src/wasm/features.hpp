// The WebAssembly features a module uses, and the wasm-opt flags that let
// binaryen read it: wasm-opt runs with the module's own features, so a module
// using bulk memory or SIMD is never rejected (doc/design.md, "WebAssembly").
//
// Sources:
// - the "target_features" custom section (WebAssembly/tool-conventions,
//   Linking.md "Target Features Section"), which LLVM's wasm-ld writes: its
//   names are LLVM's ("simd128", "bulk-memory", "atomics", ...);
// - for modules without that section (wasm-bindgen and Emscripten output,
//   stripped modules) what the module itself shows: the datacount section and
//   passive data and element segments (bulk memory), shared memories
//   (threads), 64-bit memory limits (memory64), more than one memory
//   (multi-memory), multi-result function types (multi-value), v128 value
//   types (SIMD), reference value types and more than one table (reference
//   types), mutable globals imported or exported (mutable-globals), tags
//   (exception handling), extended constant expressions, and an instruction
//   scan of every function body for the instructions of the proposals:
//   0xFC 0-7 (nontrapping-fptoint), 0xFC 8-14 (bulk memory), 0xFC 15-17,
//   table.get/set, ref.* and typed select (reference types), 0xFD (SIMD;
//   0xFD 0x100-0x113 relaxed SIMD), 0xFE (threads), 0xC0-0xC4 (sign
//   extension), return_call* (tail call), try/catch/throw/delegate/try_table
//   (exception handling), memory indices other than 0 (multi-memory), block
//   types that are type indices (multi-value). Opcodes: WebAssembly core
//   specification 2.0 §5.4 and the proposals' binary-format overviews.
//
// The LLVM names map to binaryen's `--enable-*` flags (binaryen
// src/wasm-features.h, `wasm-opt --help`). The table records which flags
// binaryen 108 (Debian 12's `binaryen` package) has; it has no
// --enable-multimemory. A feature without a flag is a note, never an error:
// wasm-opt then says itself whether it can read the module.
#pragma once

#include "wasm/reader.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace buildbudget::wasm {

/// A feature a module uses, by its LLVM / tool-conventions name.
struct FeatureUse {
    std::string name;      ///< "bulk-memory", "simd128", "atomics", ...
    std::string evidence;  ///< "target_features section", or the first place it was seen, e.g.
                           ///< "memory.copy (0xFC 10) at byte offset 4711 in function memcpy"
};

/// The result of scan_features().
struct FeatureScan {
    std::vector<FeatureUse> used;    ///< sorted by name, each once
    std::vector<std::string> notes;  ///< a function body the scan could not decode to its end, ...

    /// Whether `name` (an LLVM feature name) is in `used`.
    [[nodiscard]] bool uses(std::string_view name) const;
    /// The names in `used`, in its order.
    [[nodiscard]] std::vector<std::string> names() const;
};

/// The features `module` uses: its target_features section plus what its
/// structure and instructions show (see the top of this file). `bytes` is the
/// file `module` was parsed from. Never throws on a module parse() accepted:
/// an instruction it cannot decode (a proposal it does not know) ends the scan
/// of that function body with a note naming the byte offset.
[[nodiscard]] FeatureScan scan_features(const std::vector<std::uint8_t>& bytes, const Module& module);

/// One row of the feature table.
struct FeatureFlag {
    const char* feature;        ///< LLVM / target_features name, e.g. "atomics"
    const char* binaryen;       ///< binaryen's name, e.g. "threads"; the flag is "--enable-" + this
    bool in_binaryen_108;       ///< `wasm-opt --help` of binaryen 108 lists the flag
};

/// The table, LLVM name -> binaryen flag: simd128 -> simd, relaxed-simd,
/// bulk-memory, bulk-memory-opt -> bulk-memory, sign-ext, mutable-globals,
/// nontrapping-fptoint -> nontrapping-float-to-int, multivalue,
/// reference-types, atomics -> threads, exception-handling, tail-call,
/// extended-const, memory64, gc, multimemory (not in 108).
[[nodiscard]] const std::vector<FeatureFlag>& feature_flags();

/// The row of `name`, which may be an LLVM name ("simd128", "atomics") or a
/// binaryen one ("simd", "threads", "nontrapping-float-to-int"); nullptr when
/// neither. This is how `wasm optimize --enable NAME` reads its argument.
[[nodiscard]] const FeatureFlag* find_feature(std::string_view name);

/// The `--enable-*` options listed in the output of `wasm-opt --help`.
[[nodiscard]] std::set<std::string> enable_flags_in_help(std::string_view help_text);

/// What to pass to wasm-opt for a set of features.
struct WasmOptFeatures {
    std::vector<std::string> flags;  ///< "--enable-bulk-memory", ... in feature_flags() order, each once
    std::vector<std::string> notes;  ///< one per feature that gets no flag, saying why
};

/// The flags for `features` (LLVM or binaryen names). `supported` is the set
/// of --enable-* options the wasm-opt to be run offers (enable_flags_in_help());
/// without it, binaryen 108's. A flag not offered is never passed: the feature
/// gets a note instead, as does a feature that binaryen has no flag for.
[[nodiscard]] WasmOptFeatures wasm_opt_features(const std::vector<std::string>& features,
                                                const std::optional<std::set<std::string>>& supported);

}  // namespace buildbudget::wasm
