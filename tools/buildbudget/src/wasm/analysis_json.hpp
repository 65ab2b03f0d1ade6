// The JSON report of `buildbudget wasm analyze --json` / `--report`, schema
// "buildbudget-wasm-analysis/1" (analysis_json(), which describes the
// "baseline" object):
//   {
//     "schema": "buildbudget-wasm-analysis/1",
//     "modules": [ {                       // in command-line order
//       "file": "<path as given>",
//       "raw": N,                          // file bytes
//       "gzip": N | null, "brotli": N | null,             // null with --no-compression
//       "gzip_ratio": x | null, "brotli_ratio": x | null, // compressed / raw, 4 decimals
//       "counts": {"sections", "types", "functions" (defined), "imported_functions",
//                  "data_segments", "imports", "exports", "custom_sections"},
//       "sections": [ {"index" (file order), "id", "name", "custom": bool, "offset" (of the id
//                      byte), "bytes" (id + size field + payload, as wasm::measure() counts),
//                      "payload_bytes", "percent" (of raw, 2 decimals)} ],          // file order
//       "functions": [ {"index" (function index space), "name" (as its source has it: mangled
//                       C++/Rust names stay mangled), "name_source": "name" | "export" | "index"
//                       | "symbols" (a symbol map) | "twin" (an unstripped build), "demangled"
//                       (wasm/demangle.hpp; the name itself when not mangled), "namespace"
//                       (namespace / crate path, null for a global), "compile_unit" (DWARF,
//                       null: none), "body_bytes" (body without its size field, as
//                       `wasm-objdump -x` prints "size="), "type_index", "signature",
//                       "retained_bytes" (its own body and those of the functions it dominates in
//                       the call graph; 0 when unreachable), "callees" (the functions its call,
//                       return_call and ref.func instructions name, increasing, no repeats; both
//                       null with --no-call-graph)} ],
//                                                                               // ALL, index order
//       "data_segments": [ {"index", "name" | null, "bytes", "mode": "active" | "passive",
//                           "memory": N | null, "address": N | null} ],                // index order
//       "imports": [ {"module", "name", "kind", "signature" | null} ],   // file order
//       "exports": [ {"name", "kind", "index", "signature" | null} ],    // file order
//       "custom_sections": [ {"name", "category": "debug" | "name" | "producers" |
//                             "target_features" | "other", "bytes"} ], // file order
//       "memory": null | {"imported": bool, "initial_pages", "maximum_pages" | null,
//                         "initial_bytes", "maximum_bytes" | null, "shared", "memory64"},
//       "producers": {"<field>": [ {"name", "version"} ]},  // "language", "processed-by", "sdk"
//       "target_features": [ "<feature>" ],
//       "duplicate_functions": [ {"body_bytes", "saved_bytes", "functions": [index...]} ],
//       "names_file": "<symbol map or twin>" | null, "dwarf_file": "<module with the DWARF>" | null,
//       "namespaces": [ {"name" ("(global)" for functions outside any), "functions", "body_bytes"} ],
//       "compile_units": [ {"name" ("(no compile unit)"), "functions", "body_bytes"} ],  // [] without DWARF
//                                          // both largest first, then by name (wasm/symbols.hpp)
//       "call_graph": null (--no-call-graph) | {"roots" (function exports, start, element segments, ref.func globals),
//                      "instructions" (decoded in all bodies, each body's final end included),
//                      "edges" (function -> function, no repeats), "call_indirect_sites",
//                      "call_indirect_functions", "reachable_functions" (defined ones),
//                      "garbage_functions", "garbage_bytes" (bodies no root reaches),
//                      "garbage": [index...],
//                      "exports": [ {"name", "function" (index), "retained_bytes" (the body bytes
//                                   that go if only this export goes), "retained_functions",
//                                   "percent_of_code" (of all body bytes, 2 decimals)} ]}
//                                   // function exports, largest retained first, then file order
//                    (wasm/callgraph.hpp; doc/helper-wasm-analyze.md, "Retained sizes and --why")
//     } ],
//     "total": {"modules", "raw", "gzip" | null, "brotli" | null, "functions", "code_bytes",
//               "data_bytes", "debug_bytes"},
//     "thresholds": { "<constant>": value },   // recommendations.hpp's rule constants
//     "recommendations": [ {"id", "module": "<file>" | null, "message", "figures": {...}} ],
//     "baseline": { ... }                      // only with --baseline, see analysis_json()
//   }
// Signatures are written as wabt's wasm-objdump writes types: "(i32, i64) -> f32",
// "() -> nil", "(i64) -> (f32, f64)". The output is deterministic: no times,
// every list in a fixed order (index order, or size order with the index as
// tie-break).
#pragma once

#include "wasm/analysis.hpp"
#include "wasm/baseline.hpp"

#include <ostream>
#include <string>

namespace buildbudget::wasm {

/// The schema id of the JSON report.
inline constexpr const char* analysis_schema = "buildbudget-wasm-analysis/1";

/// The JSON report described above, as text ending in a
/// newline; with `diff` its "baseline" object, and with `limits` the
/// baseline's "limits". The "baseline" object:
///   {"file", "total": delta,
///    "modules": [ {"old_file" | null, "new_file" | null, "change" (of raw: "added", "removed",
///                  "grown", "shrunk", "unchanged"), "raw": delta, "gzip": delta | null,
///                  "brotli": delta | null,
///                  "sections": [ {"name", "change", delta members} ],   // changed only
///                  "functions": [ {"name", "change", delta members} ],  // changed only
///                  "unchanged_functions"} ],
///    "limits": {"bytes" | null, "percent" | null, "failures": [message], "passed"}}
/// where a delta is {"old_bytes", "new_bytes", "delta_bytes", "delta_percent" | null}
/// (percent of the old size, 2 decimals; null when the old size is 0).
/// Layout: two-space indentation, and an object or array of scalars only
/// (a function, a data segment) on one line.
[[nodiscard]] std::string analysis_json(const Analysis& analysis, const BaselineDiff* diff = nullptr,
                                        const GrowthLimits* limits = nullptr);

/// The same text as analysis_json(), written to `os` as it is made (64 KiB
/// at a time) instead of returned: `analyze --json` without --report holds no
/// copy of a report that can be as large as the module (doc/helper-wasm-analyze.md, "Speed").
void write_analysis_json(std::ostream& os, const Analysis& analysis, const BaselineDiff* diff = nullptr,
                         const GrowthLimits* limits = nullptr);

}  // namespace buildbudget::wasm
