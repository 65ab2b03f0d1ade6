// libFuzzer target for the WebAssembly reader (the project's own code, so it
// is fuzzed: doc/layout.md, "Sanitizers and fuzzing") and for everything
// that runs on each module it accepts: the feature scan that picks wasm-opt's
// flags, the analysis (`wasm analyze`, without compression) with its JSON
// report, call graph, treemap and baseline round trip, and the .d.ts generator.
//
// Build: cmake -S tools/buildbudget -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DBUILDBUDGET_FUZZ=ON
// Run:   build-fuzz/wasm_reader_fuzzer -max_total_time=60 tools/buildbudget/fuzz/corpus
// A malformed module must end in wasm::ParseError; anything else (a crash, a
// sanitizer report, another exception, a hang) is a finding.
#include "wasm/analysis.hpp"
#include "wasm/analysis_json.hpp"
#include "wasm/baseline.hpp"
#include "wasm/recommendations.hpp"
#include "wasm/treemap_data.hpp"
#include "wasm/dts.hpp"
#include "wasm/features.hpp"
#include "wasm/reader.hpp"

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace buildbudget::wasm;
    Module module;
    try {
        module = parse(data, size);
    } catch (const ParseError&) {
        return 0;
    }
    const std::vector<std::uint8_t> bytes(data, data + size);
    (void)scan_features(bytes, module);
    for (const auto& f : module.functions) (void)module.function_name(f.index);
    (void)module.memory0();

    try {
        (void)generate_dts(module, DtsOptions{"fuzz.wasm", ""});
    } catch (const DtsError&) {  // a module with one export name twice: invalid, and said so
    }

    Analysis analysis;
    try {
        analysis.modules.push_back(analyze_module("fuzz.wasm", data, size, std::move(module), /*compress=*/false));
    } catch (const ParseError&) {
        // A body or element segment the call graph's decoder rejects (the reader does not decode
        // instructions): an error, as `analyze` reports it. The rest of the analysis still runs
        // on it, as with `analyze --no-call-graph`.
        analysis.modules.push_back(analyze_module("fuzz.wasm", data, size, parse(data, size), /*compress=*/false,
                                                  /*call_graph=*/false));
    }
    analysis.recommendations = recommend(analysis.modules);
    const std::string report = analysis_json(analysis);
    (void)treemap_tree(analysis, 50);
    // The report reads back as a baseline, and compares with itself without a change.
    (void)diff_baseline(parse_baseline(report, "fuzz.json"), analysis);
    return 0;
}
