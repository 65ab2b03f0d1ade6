// The analysis model of `buildbudget wasm analyze` (wasm/analysis.hpp) on
// modules built here byte by byte (core spec §5), so every expected figure
// follows from how the bytes were laid out, not from the program's output.
#include "wasm/analysis.hpp"

#include "common/heap.hpp"
#include "wasm/analysis_json.hpp"
#include "wasm/baseline.hpp"
#include "wasm/code.hpp"
#include "wasm/demangle.hpp"
#include "wasm/recommendations.hpp"
#include "wasm/size.hpp"
#include "wasm/symbols.hpp"
#include "wasm/treemap_data.hpp"

#include "wasm_bytes.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

namespace wasm = buildbudget::wasm;
using wasm::Change;
using wasm::CustomCategory;
using wasm::NameSource;
using json = nlohmann::ordered_json;  // key order as written, as the report has it

namespace {

using buildbudget::test::Bytes;
using buildbudget::test::header;

/// A function body: no locals, `code`, end.
Bytes body(std::initializer_list<std::uint8_t> code) {
    Bytes b;
    b.u8(0x00).raw(code).u8(0x0B);
    return b;
}

/// The sample module used by most tests, and the figures it was built with.
struct Sample {
    Bytes bytes;
    std::size_t type_section = 0, code_section = 0, data_section = 0, debug_section = 0, name_section = 0;
    std::size_t body_sizes[5] = {};
};

// Types: 0 (i32, i32) -> i32, 1 () -> nil, 2 () -> nil again (structurally
// equal to 1), 3 (i64) -> (f32, f64).
// Imports: env.log (type 1, function 0), env.mem (memory 1..unbounded).
// Functions 1..5: add (type 0, named), run (type 1, exported "run"),
// twin_a (type 1, anonymous), twin_b (type 2, anonymous, body identical to
// twin_a), odd (type 0, body identical to twin_a's but another signature).
// Data: active "hello" at 1024 (named .rodata), passive "xyz".
Sample sample() {
    Sample s;
    Bytes types;
    types.uleb(4);
    types.raw({0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F});
    types.raw({0x60, 0x00, 0x00});
    types.raw({0x60, 0x00, 0x00});
    types.raw({0x60, 0x01, 0x7E, 0x02, 0x7D, 0x7C});

    Bytes imports;
    imports.uleb(2);
    imports.str("env").str("log").u8(0x00).uleb(1);
    imports.str("env").str("mem").u8(0x02).u8(0x00).uleb(1);

    Bytes functions;
    functions.uleb(5).uleb(0).uleb(1).uleb(1).uleb(2).uleb(0);

    Bytes exports;
    exports.uleb(2);
    exports.str("run").u8(0x00).uleb(2);
    exports.str("run_again").u8(0x00).uleb(2);

    const Bytes bodies[5] = {
        body({0x20, 0x00, 0x20, 0x01, 0x6A}),        // add: local.get 0, local.get 1, i32.add
        body({0x10, 0x00, 0x10, 0x00, 0x10, 0x00}),  // run: call 0 three times
        body({0x01, 0x01}),                          // twin_a: nop nop
        body({0x01, 0x01}),                          // twin_b
        body({0x01, 0x01}),                          // odd (type 0: would not validate, but parses)
    };
    Bytes code;
    code.uleb(5);
    for (std::size_t i = 0; i < 5; ++i) {
        code.uleb(bodies[i].size()).append(bodies[i]);
        s.body_sizes[i] = bodies[i].size();
    }

    Bytes data;
    data.uleb(2);
    data.u8(0x00).raw({0x41, 0x80, 0x08, 0x0B}).str("hello");  // i32.const 1024
    data.u8(0x01).str("xyz");

    Bytes names;
    {
        Bytes function_names;
        function_names.uleb(1).uleb(1).str("add");
        Bytes data_names;
        data_names.uleb(1).uleb(0).str(".rodata");
        names.u8(1).uleb(function_names.size()).append(function_names);
        names.u8(9).uleb(data_names.size()).append(data_names);
    }
    Bytes producers;
    producers.uleb(1).str("processed-by").uleb(2).str("clang").str("14.0.6").str("wasm-opt").str("108");

    Bytes m = header();
    std::size_t before = m.size();
    m.section(1, types);
    s.type_section = m.size() - before;
    m.section(2, imports).section(3, functions).section(7, exports);
    before = m.size();
    m.section(10, code);
    s.code_section = m.size() - before;
    before = m.size();
    m.section(11, data);
    s.data_section = m.size() - before;
    before = m.size();
    m.custom(".debug_info", Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    s.debug_section = m.size() - before;
    before = m.size();
    m.custom("name", names);
    s.name_section = m.size() - before;
    m.custom("producers", producers);
    s.bytes = m;
    return s;
}

wasm::ModuleAnalysis analyze(const Bytes& b, const std::string& file = "sample.wasm", bool compress = false) {
    return wasm::analyze_module(file, b.v.data(), b.v.size(), wasm::parse(b.v.data(), b.v.size()), compress);
}

wasm::Analysis analysis_of(std::vector<wasm::ModuleAnalysis> modules) {
    wasm::Analysis a;
    a.modules = std::move(modules);
    a.recommendations = wasm::recommend(a.modules);
    return a;
}

const wasm::Recommendation* find(const std::vector<wasm::Recommendation>& list, const std::string& id) {
    for (const auto& r : list) {
        if (r.id == id) return &r;
    }
    return nullptr;
}

/// A module analysis without bytes, for the rules' thresholds.
wasm::ModuleAnalysis synthetic(const std::string& file, std::uint64_t raw) {
    wasm::ModuleAnalysis m;
    m.file = file;
    m.raw = raw;
    return m;
}

}  // namespace

// demangle(): Rust (legacy, without its hash segment; v0, without crate
// disambiguators) first, then the Itanium C++ ABI, as libiberty's
// cplus_demangle() with DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO gives them (and
// c++filt, less what its --verbose default adds); a name neither takes, as it is.
TEST(WasmNames, DemangleRustFirstThenItanium) {
    using buildbudget::wasm::demangle;
    EXPECT_EQ(demangle("_ZN4core3fmt5write17h0123456789abcdefE"), "core::fmt::write");
    EXPECT_EQ(demangle("_ZN66_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$core..ops..drop..Drop$GT$4drop17h0123456789abcdefE"),
              "<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop");
    EXPECT_EQ(demangle("_RNvCs15kBYyAo9fc_7mycrate7example"), "mycrate::example");
    EXPECT_EQ(demangle("_ZNSt3__212basic_stringIcNS_11char_traitsIcEENS_9allocatorIcEEE6appendEPKc"),
              "std::__2::basic_string<char, std::__2::char_traits<char>, std::__2::allocator<char> >::append(char const*)");
    EXPECT_EQ(demangle("_Z1fv"), "f()");
    // "17h" in a C++ name: not Rust's hash, so the C++ demangler has it.
    EXPECT_EQ(demangle("_ZN3abc17habcdefghijklmnopEv"), "abc::habcdefghijklmnop()");
    // Neither demangler takes these, and one of them may have written part of its output first.
    EXPECT_EQ(demangle("_ZN3abc17habcdefghijklmnoE"), "_ZN3abc17habcdefghijklmnoE");
    EXPECT_EQ(demangle("_ZnotValid"), "_ZnotValid");
    EXPECT_EQ(demangle("_RNotValid"), "_RNotValid");
    EXPECT_EQ(demangle("main"), "main");
    EXPECT_EQ(demangle("_Z1fv"), "f()");  // after the failures: nothing of them is left over
}

// The examples wasm/demangle.hpp documents for name_group().
TEST(WasmNames, NameGroupIsTheNamespaceOrCratePath) {
    using buildbudget::wasm::name_group;
    EXPECT_EQ(name_group("std::__2::basic_string<char>::append(char const*)"), "std::__2::basic_string");
    EXPECT_EQ(name_group("void img::blur<float>(float*, int)"), "img");
    EXPECT_EQ(name_group("(anonymous namespace)::helper(int)"), "(anonymous namespace)");
    EXPECT_EQ(name_group("core::fmt::write::h0123456789abcdef"), "core::fmt");
    EXPECT_EQ(name_group("<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop"), "alloc::vec::Vec");
    EXPECT_EQ(name_group("non-virtual thunk to geo::Shape::area() const"), "geo::Shape");
    EXPECT_EQ(name_group("main"), "");
    // A plain name that starts with '<' is no trait impl: no namespace.
    EXPECT_EQ(name_group("</script><b>"), "");
}

// The edges of the components' split: empty components (only the leading ones are left out of
// the join), a lone ':' inside one, a Rust hash after a single component, an operator and
// template arguments with "::" inside them, a return type before a top-level space; and one name
// after another on the same thread, which reuses the split's buffer.
TEST(WasmNames, NameGroupSplitsAtTopLevelDoubleColonsOnly) {
    using buildbudget::wasm::name_group;
    EXPECT_EQ(name_group("::f"), "");
    EXPECT_EQ(name_group("::a::f()"), "a");
    EXPECT_EQ(name_group("a::::f"), "a::");
    EXPECT_EQ(name_group("a:b::c"), "a:b");
    EXPECT_EQ(name_group("std::h0123456789abcdef"), "");
    EXPECT_EQ(name_group("int ns::operator<<(int)"), "ns");
    EXPECT_EQ(name_group("ns::operator"), "ns");
    EXPECT_EQ(name_group("x::y<a::b>::z(q::r)"), "x::y");
    EXPECT_EQ(name_group("std::__2::vector<int>::{lambda()#1}::operator()() const"), "std::__2::vector::{lambda()#1}");
    EXPECT_EQ(name_group("f"), "");
}

TEST(WasmAnalysis, SignatureTextIsWabts) {
    using wasm::ValueType;
    EXPECT_EQ(wasm::signature_text({{ValueType::i32, ValueType::i64}, {ValueType::f32}}), "(i32, i64) -> f32");
    EXPECT_EQ(wasm::signature_text({{}, {}}), "() -> nil");
    EXPECT_EQ(wasm::signature_text({{ValueType::i64}, {ValueType::f32, ValueType::f64}}), "(i64) -> (f32, f64)");
    EXPECT_EQ(wasm::signature_text({{ValueType::v128, ValueType::funcref, ValueType::externref}, {}}),
              "(v128, funcref, externref) -> nil");
}

TEST(WasmAnalysis, CustomSectionCategories) {
    EXPECT_EQ(wasm::classify_custom_section(".debug_info"), CustomCategory::debug);
    EXPECT_EQ(wasm::classify_custom_section(".debug_str"), CustomCategory::debug);
    EXPECT_EQ(wasm::classify_custom_section("external_debug_info"), CustomCategory::debug);
    EXPECT_EQ(wasm::classify_custom_section("sourceMappingURL"), CustomCategory::debug);
    EXPECT_EQ(wasm::classify_custom_section("name"), CustomCategory::name);
    EXPECT_EQ(wasm::classify_custom_section("producers"), CustomCategory::producers);
    EXPECT_EQ(wasm::classify_custom_section("target_features"), CustomCategory::target_features);
    EXPECT_EQ(wasm::classify_custom_section(".debug"), CustomCategory::other);
    EXPECT_EQ(wasm::classify_custom_section("go:buildid"), CustomCategory::other);
}

TEST(WasmAnalysis, SectionsAreWholeAndSumToTheFile) {
    const Sample s = sample();
    const auto m = analyze(s.bytes);
    EXPECT_EQ(m.raw, s.bytes.size());
    ASSERT_EQ(m.sections.size(), 9u);
    std::uint64_t sum = 8;
    std::uint64_t offset = 8;
    for (const auto& sec : m.sections) {
        EXPECT_EQ(sec.offset, offset) << sec.name;
        sum += sec.bytes;
        offset += sec.bytes;
    }
    EXPECT_EQ(sum, s.bytes.size());
    EXPECT_EQ(m.sections[0].name, "type");
    EXPECT_EQ(m.sections[0].bytes, s.type_section);
    EXPECT_EQ(m.sections[0].payload_bytes, s.type_section - 2);  // id + one-byte size
    EXPECT_FALSE(m.sections[0].custom.has_value());
    EXPECT_EQ(m.section_bytes(10), s.code_section);
    EXPECT_EQ(m.section_bytes(11), s.data_section);
    EXPECT_EQ(m.section_bytes(4), 0u);
    EXPECT_EQ(m.sections[6].name, ".debug_info");
    EXPECT_EQ(m.sections[6].custom, CustomCategory::debug);
    EXPECT_EQ(m.custom_bytes(CustomCategory::debug), s.debug_section);
    EXPECT_EQ(m.custom_bytes(CustomCategory::name), s.name_section);
}

TEST(WasmAnalysis, FunctionNamesSignaturesAndSizes) {
    const Sample s = sample();
    const auto m = analyze(s.bytes);
    EXPECT_EQ(m.imported_functions, 1u);
    ASSERT_EQ(m.functions.size(), 5u);
    const struct {
        std::uint32_t index;
        const char* name;
        NameSource source;
        const char* signature;
    } expected[] = {
        {1, "add", NameSource::name_section, "(i32, i32) -> i32"},
        {2, "run", NameSource::export_name, "() -> nil"},  // the first of its two exports
        {3, "function[3]", NameSource::index, "() -> nil"},
        {4, "function[4]", NameSource::index, "() -> nil"},
        {5, "function[5]", NameSource::index, "(i32, i32) -> i32"},
    };
    for (std::size_t i = 0; i < 5; ++i) {
        const auto& f = m.functions[i];
        EXPECT_EQ(f.index, expected[i].index);
        EXPECT_EQ(f.name, expected[i].name);
        EXPECT_EQ(f.name_source, expected[i].source) << f.name;
        EXPECT_EQ(f.body_bytes, s.body_sizes[i]) << f.name;
        EXPECT_EQ(m.signatures[f.type_index], expected[i].signature) << f.name;
    }
    EXPECT_STREQ(wasm::to_string(NameSource::name_section), "name");
    EXPECT_STREQ(wasm::to_string(NameSource::export_name), "export");
    EXPECT_STREQ(wasm::to_string(NameSource::index), "index");
    EXPECT_EQ(m.function_type(0), 1u);  // the import
    EXPECT_EQ(m.function_type(5), 0u);
    EXPECT_FALSE(m.function_type(6).has_value());
}

TEST(WasmAnalysis, DataMemoryAndProducers) {
    const auto m = analyze(sample().bytes);
    ASSERT_EQ(m.data.size(), 2u);
    EXPECT_EQ(m.data[0].size, 5u);
    EXPECT_EQ(m.data[0].address, 1024u);
    EXPECT_EQ(m.data[0].name, ".rodata");
    EXPECT_TRUE(m.data[1].passive);
    EXPECT_EQ(m.data[1].size, 3u);
    ASSERT_TRUE(m.memory.has_value());
    EXPECT_TRUE(m.memory_imported);
    EXPECT_EQ(m.memory->initial, 1u);
    EXPECT_FALSE(m.memory->maximum.has_value());
    EXPECT_EQ(m.optimisers(), std::vector<std::string>{"wasm-opt 108"});
}

TEST(WasmAnalysis, DuplicateBodiesNeedTheSameSignature) {
    const Sample s = sample();
    const auto m = analyze(s.bytes);
    // twin_a (type 1) and twin_b (type 2, the same structure) merge; odd has
    // the same bytes but another signature.
    ASSERT_EQ(m.duplicates.size(), 1u);
    EXPECT_EQ(m.duplicates[0].functions, (std::vector<std::uint32_t>{3, 4}));
    EXPECT_EQ(m.duplicates[0].body_bytes, s.body_sizes[2]);
    EXPECT_EQ(m.duplicates[0].saved_bytes(), s.body_sizes[2]);
}

TEST(WasmAnalysis, CompressedSizesAreTheSizeModules) {
    const Sample s = sample();
    const auto m = analyze(s.bytes, "sample.wasm", true);
    EXPECT_EQ(m.gzip, wasm::gzip_compress(s.bytes.v.data(), s.bytes.size()).size());
    EXPECT_EQ(m.brotli, wasm::brotli_compress(s.bytes.v.data(), s.bytes.size()).size());
    EXPECT_FALSE(analyze(s.bytes).gzip.has_value());
}

TEST(WasmAnalysis, RecommendationsOnTheSample) {
    const Sample s = sample();
    const auto a = analysis_of({analyze(s.bytes)});
    const auto* debug = find(a.recommendations, "strip-debug");
    ASSERT_NE(debug, nullptr);
    EXPECT_EQ(debug->module, "sample.wasm");
    EXPECT_EQ(debug->figures["saved_bytes"], s.debug_section);
    EXPECT_EQ(debug->figures["sections"], json::array({".debug_info"}));
    EXPECT_NE(debug->message.find("processed by wasm-opt 108"), std::string::npos) << debug->message;
    const auto* names = find(a.recommendations, "strip-names");
    ASSERT_NE(names, nullptr);
    EXPECT_EQ(names->figures["saved_bytes"], s.name_section);
    const auto* dup = find(a.recommendations, "duplicate-functions");
    ASSERT_NE(dup, nullptr);
    EXPECT_EQ(dup->figures["saved_bytes"], s.body_sizes[2]);
    EXPECT_EQ(dup->figures["functions"], 2);
    const auto* memory = find(a.recommendations, "no-max-memory");
    ASSERT_NE(memory, nullptr);
    EXPECT_EQ(memory->figures["imported"], true);
    // Small: no split, lazy-load, dominant function or large data.
    for (const char* id : {"split", "lazy-load", "dominant-function", "large-data"}) {
        EXPECT_EQ(find(a.recommendations, id), nullptr) << id;
    }
}

TEST(WasmAnalysis, SplitAndLazyLoadThresholds) {
    // 5 MiB and 2 MiB exactly do not trip; one byte more does.
    EXPECT_EQ(wasm::split_total_bytes, 5242880u);
    EXPECT_EQ(wasm::lazy_load_module_bytes, 2097152u);
    auto r = wasm::recommend({synthetic("a.wasm", wasm::lazy_load_module_bytes)});
    EXPECT_EQ(find(r, "lazy-load"), nullptr);
    r = wasm::recommend({synthetic("a.wasm", wasm::lazy_load_module_bytes + 1)});
    ASSERT_NE(find(r, "lazy-load"), nullptr);
    EXPECT_EQ(find(r, "lazy-load")->figures["bytes"], wasm::lazy_load_module_bytes + 1);

    // Three modules of 2 MiB - 1, 2 MiB - 1 and 1 MiB + 3: none lazy-loads, the total splits.
    const std::uint64_t small = wasm::lazy_load_module_bytes - 1;
    r = wasm::recommend({synthetic("a.wasm", small), synthetic("b.wasm", small), synthetic("c.wasm", 1048576 + 3)});
    EXPECT_EQ(find(r, "lazy-load"), nullptr);
    ASSERT_NE(find(r, "split"), nullptr);
    EXPECT_EQ(find(r, "split")->module, "");
    EXPECT_EQ(find(r, "split")->figures["total_bytes"], 2 * small + 1048576 + 3);
    EXPECT_EQ(find(r, "split")->figures["modules"], 3);
    EXPECT_EQ(2 * small + 1048576 + 3, wasm::split_total_bytes + 1);
    r = wasm::recommend({synthetic("a.wasm", small), synthetic("b.wasm", small), synthetic("c.wasm", 1048576 + 2)});
    EXPECT_EQ(find(r, "split"), nullptr);
}

TEST(WasmAnalysis, DominantFunctionAndLargeData) {
    wasm::ModuleAnalysis m = synthetic("big.wasm", 400000);
    wasm::SectionInfo code;
    code.id = 10;
    code.name = "code";
    code.bytes = 200000;
    wasm::SectionInfo data;
    data.id = 11;
    data.name = "data";
    data.bytes = 100000;  // exactly 25 % of the file
    m.sections = {code, data};
    m.functions.push_back({0, "small", NameSource::name_section, 1000, 0, 0, {}, {}, {}});
    m.functions.push_back({1, "huge", NameSource::name_section, 40000, 0, 0, {}, {}, {}});  // exactly 20 % of the code
    auto r = wasm::recommend({m});
    ASSERT_NE(find(r, "dominant-function"), nullptr);
    EXPECT_EQ(find(r, "dominant-function")->figures["function"], "huge");
    EXPECT_EQ(find(r, "dominant-function")->figures["share"], 0.2);
    ASSERT_NE(find(r, "large-data"), nullptr);
    EXPECT_EQ(find(r, "large-data")->figures["data_bytes"], 100000);

    m.functions[1].body_bytes = 39999;
    m.sections[1].bytes = 99999;
    r = wasm::recommend({m});
    EXPECT_EQ(find(r, "dominant-function"), nullptr);
    EXPECT_EQ(find(r, "large-data"), nullptr);

    // A small module's single function is no finding.
    wasm::ModuleAnalysis tiny = synthetic("tiny.wasm", 1000);
    code.bytes = 500;
    tiny.sections = {code};
    tiny.functions.push_back({0, "only", NameSource::name_section, 490, 0, 0, {}, {}, {}});
    EXPECT_EQ(find(wasm::recommend({tiny}), "dominant-function"), nullptr);
}

TEST(WasmAnalysis, NoRecommendationForABoundedMemory) {
    wasm::ModuleAnalysis m = synthetic("m.wasm", 100);
    m.memory = wasm::Limits{2, 16, false, false};
    EXPECT_EQ(find(wasm::recommend({m}), "no-max-memory"), nullptr);
    m.memory->maximum.reset();
    const auto r = wasm::recommend({m});
    ASSERT_NE(find(r, "no-max-memory"), nullptr);
    EXPECT_EQ(find(r, "no-max-memory")->figures["initial_bytes"], 2 * 65536);
    EXPECT_EQ(find(r, "no-max-memory")->figures["imported"], false);
}

TEST(WasmAnalysis, JsonHasTheSchemaAndEverything) {
    const Sample s = sample();
    const auto a = analysis_of({analyze(s.bytes, "dir/sample.wasm", true)});
    const json j = json::parse(wasm::analysis_json(a));
    EXPECT_EQ(j["schema"], "buildbudget-wasm-analysis/1");
    ASSERT_EQ(j["modules"].size(), 1u);
    const json& m = j["modules"][0];
    EXPECT_EQ(m["file"], "dir/sample.wasm");
    EXPECT_EQ(m["raw"], s.bytes.size());
    EXPECT_EQ(m["gzip"], wasm::gzip_compress(s.bytes.v.data(), s.bytes.size()).size());
    EXPECT_TRUE(m["gzip_ratio"].is_number_float());
    EXPECT_EQ(m["counts"]["functions"], 5);
    EXPECT_EQ(m["counts"]["imports"], 2);
    EXPECT_EQ(m["counts"]["exports"], 2);
    EXPECT_EQ(m["counts"]["custom_sections"], 3);
    ASSERT_EQ(m["functions"].size(), 5u);
    EXPECT_EQ(m["functions"][0],
              json({{"index", 1}, {"name", "add"}, {"name_source", "name"}, {"demangled", "add"}, {"namespace", nullptr},
                    {"compile_unit", nullptr}, {"body_bytes", s.body_sizes[0]}, {"type_index", 0},
                    {"signature", "(i32, i32) -> i32"}, {"retained_bytes", 0}, {"callees", json::array()}}));
    EXPECT_EQ(m["data_segments"][0], json({{"index", 0}, {"name", ".rodata"}, {"bytes", 5}, {"mode", "active"},
                                           {"memory", 0}, {"address", 1024}}));
    EXPECT_EQ(m["data_segments"][1], json({{"index", 1}, {"name", nullptr}, {"bytes", 3}, {"mode", "passive"},
                                           {"memory", nullptr}, {"address", nullptr}}));
    EXPECT_EQ(m["imports"][0], json({{"module", "env"}, {"name", "log"}, {"kind", "function"},
                                     {"signature", "() -> nil"}}));
    EXPECT_EQ(m["imports"][1]["signature"], nullptr);
    EXPECT_EQ(m["exports"][1], json({{"name", "run_again"}, {"kind", "function"}, {"index", 2},
                                     {"signature", "() -> nil"}}));
    EXPECT_EQ(m["custom_sections"][0], json({{"name", ".debug_info"}, {"category", "debug"},
                                             {"bytes", s.debug_section}}));
    EXPECT_EQ(m["memory"]["imported"], true);
    EXPECT_EQ(m["memory"]["maximum_pages"], nullptr);
    EXPECT_EQ(m["producers"]["processed-by"][1], json({{"name", "wasm-opt"}, {"version", "108"}}));
    EXPECT_EQ(m["duplicate_functions"][0]["functions"], json::array({3, 4}));
    EXPECT_EQ(j["total"]["raw"], s.bytes.size());
    EXPECT_EQ(j["total"]["debug_bytes"], s.debug_section);
    EXPECT_EQ(j["thresholds"]["split_total_bytes"], 5242880);
    EXPECT_EQ(j["recommendations"].size(), a.recommendations.size());
    EXPECT_FALSE(j.contains("baseline"));
    // Deterministic.
    EXPECT_EQ(wasm::analysis_json(a), wasm::analysis_json(analysis_of({analyze(s.bytes, "dir/sample.wasm", true)})));
}

TEST(WasmAnalysis, JsonEscapesNamesAndRepairsBadUtf8) {
    const Sample s = sample();
    auto m = analyze(s.bytes, std::string("we\"ird\\na\tme\x01\xff.wasm"));
    m.functions[0].name = "caf\xC3\xA9 \xE2\x9C\x93";
    const json j = json::parse(wasm::analysis_json(analysis_of({m})));
    EXPECT_EQ(j["modules"][0]["file"], "we\"ird\\na\tme\x01\xEF\xBF\xBD.wasm");
    EXPECT_EQ(j["modules"][0]["functions"][0]["name"], "caf\xC3\xA9 \xE2\x9C\x93");
}

TEST(WasmAnalysis, BaselineRoundTripsThroughJson) {
    const auto a = analysis_of({analyze(sample().bytes, "sample.wasm", true)});
    const wasm::Baseline b = wasm::parse_baseline(wasm::analysis_json(a), "old.json");
    const wasm::Baseline expected = wasm::baseline_of(a, "old.json");
    ASSERT_EQ(b.modules.size(), 1u);
    EXPECT_EQ(b.file, "old.json");
    EXPECT_EQ(b.modules[0].file, expected.modules[0].file);
    EXPECT_EQ(b.modules[0].raw, expected.modules[0].raw);
    EXPECT_EQ(b.modules[0].gzip, expected.modules[0].gzip);
    ASSERT_EQ(b.modules[0].functions.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(b.modules[0].functions[i].name, expected.modules[0].functions[i].name);
        EXPECT_EQ(b.modules[0].functions[i].bytes, expected.modules[0].functions[i].bytes);
    }
    ASSERT_EQ(b.modules[0].sections.size(), expected.modules[0].sections.size());
    // Against itself: nothing changed.
    const auto d = wasm::diff_baseline(b, a);
    ASSERT_EQ(d.modules.size(), 1u);
    EXPECT_EQ(d.modules[0].change, Change::unchanged);
    EXPECT_TRUE(d.modules[0].functions.empty());
    EXPECT_TRUE(d.modules[0].sections.empty());
    EXPECT_EQ(d.modules[0].unchanged_functions, 5u);
    EXPECT_EQ(d.total.delta(), 0);
}

TEST(WasmAnalysis, BaselineErrorsNameTheFileAndThePlace) {
    const auto message = [](const std::string& text) -> std::string {
        try {
            (void)wasm::parse_baseline(text, "old.json");
        } catch (const wasm::BaselineError& e) {
            return e.what();
        }
        return "no error";
    };
    const std::string bad = message("{\"schema\": \"buildbudget-wasm-analysis/1\",\n \"modules\": [}");
    EXPECT_EQ(bad.rfind("old.json: not valid JSON (byte ", 0), 0u) << bad;
    EXPECT_NE(bad.find("line 2, column"), std::string::npos) << bad;
    EXPECT_EQ(message("[]"), "old.json: not a wasm analysis report: the document is not a JSON object");
    EXPECT_EQ(message("{\"schema\": \"buildbudget-wasm-size/1\"}"),
              "old.json: not a wasm analysis report: schema is \"buildbudget-wasm-size/1\", expected "
              "\"buildbudget-wasm-analysis/1\"");
    EXPECT_EQ(message("{}"), "old.json: not a wasm analysis report: it has no \"schema\" string (expected "
                             "\"buildbudget-wasm-analysis/1\")");
    EXPECT_EQ(message("{\"schema\": \"buildbudget-wasm-analysis/1\"}"), "old.json: .modules is missing or not an array");
    EXPECT_EQ(message("{\"schema\": \"buildbudget-wasm-analysis/1\", \"modules\": [{\"file\": \"a.wasm\", \"raw\": 10, "
                      "\"sections\": [], \"functions\": [{\"name\": \"f\", \"body_bytes\": -1}]}]}"),
              "old.json: .modules[0].functions[0].body_bytes is missing or not an unsigned integer");
}

namespace {

wasm::Baseline::Module baseline_module(const std::string& file, std::uint64_t raw,
                                       std::vector<wasm::Baseline::Item> functions) {
    wasm::Baseline::Module m;
    m.file = file;
    m.raw = raw;
    m.functions = std::move(functions);
    return m;
}

}  // namespace

TEST(WasmAnalysis, BaselineDiffOfFunctions) {
    // New (the sample): add 7, run 8, function[3..5] 4 bytes each.
    const auto a = analysis_of({analyze(sample().bytes, "build/new.wasm")});
    wasm::Baseline old;
    old.file = "old.json";
    old.modules.push_back(baseline_module("old/other-name.wasm", 100,
                                          {{"add", 3}, {"run", 8}, {"gone", 30}, {"function[3]", 4}, {"function[4]", 4}}));
    const auto d = wasm::diff_baseline(old, a);
    ASSERT_EQ(d.modules.size(), 1u);  // the single leftover pair is matched despite the names
    const auto& m = d.modules[0];
    EXPECT_EQ(m.old_file, "old/other-name.wasm");
    EXPECT_EQ(m.new_file, "build/new.wasm");
    EXPECT_EQ(m.raw.old_bytes, 100u);
    EXPECT_EQ(m.unchanged_functions, 3u);  // run, function[3] and function[4]
    // add grew 3 -> 7, gone was removed (30), function[5] was added (4); largest |delta| first.
    ASSERT_EQ(m.functions.size(), 3u);
    EXPECT_EQ(m.functions[0].name, "gone");
    EXPECT_EQ(m.functions[0].change, Change::removed);
    EXPECT_EQ(m.functions[0].size.delta(), -30);
    EXPECT_DOUBLE_EQ(*m.functions[0].size.percent(), -100.0);
    EXPECT_EQ(m.functions[1].name, "add");
    EXPECT_EQ(m.functions[1].change, Change::grown);
    EXPECT_EQ(m.functions[1].size.delta(), 4);
    EXPECT_DOUBLE_EQ(*m.functions[1].size.percent(), 400.0 / 3.0);
    EXPECT_EQ(m.functions[2].name, "function[5]");
    EXPECT_EQ(m.functions[2].change, Change::added);
    EXPECT_EQ(m.functions[2].size.delta(), 4);
    EXPECT_FALSE(m.functions[2].size.percent().has_value());
}

TEST(WasmAnalysis, BaselineMatchesRepeatedNamesInOrder) {
    wasm::Baseline old;
    old.modules.push_back(baseline_module("m.wasm", 10, {{"f", 10}, {"g", 5}, {"f", 20}}));
    wasm::Analysis now;
    wasm::ModuleAnalysis m = synthetic("m.wasm", 12);
    m.functions.push_back({0, "f", NameSource::name_section, 10, 0, 0, {}, {}, {}});
    m.functions.push_back({1, "f", NameSource::name_section, 25, 0, 0, {}, {}, {}});
    m.functions.push_back({2, "f", NameSource::name_section, 1, 0, 0, {}, {}, {}});
    now.modules.push_back(m);
    const auto d = wasm::diff_baseline(old, now);
    const auto& fs = d.modules[0].functions;
    ASSERT_EQ(fs.size(), 3u);
    EXPECT_EQ(fs[0].name, "f");  // the second f: 20 -> 25
    EXPECT_EQ(fs[0].size.delta(), 5);
    EXPECT_EQ(fs[0].change, Change::grown);
    EXPECT_EQ(fs[1].name, "g");
    EXPECT_EQ(fs[1].change, Change::removed);
    EXPECT_EQ(fs[2].name, "f");  // the third f is new
    EXPECT_EQ(fs[2].change, Change::added);
    EXPECT_EQ(d.modules[0].unchanged_functions, 1u);
}

TEST(WasmAnalysis, BaselineModulesByFileName) {
    wasm::Baseline old;
    old.modules.push_back(baseline_module("old/a.wasm", 100, {}));
    old.modules.push_back(baseline_module("old/b.wasm", 200, {}));
    old.modules.push_back(baseline_module("old/gone.wasm", 50, {}));
    wasm::Analysis now;
    now.modules = {synthetic("new/b.wasm", 150), synthetic("new/a.wasm", 120), synthetic("new/c.wasm", 10),
                   synthetic("new/d.wasm", 10)};
    const auto d = wasm::diff_baseline(old, now);
    ASSERT_EQ(d.modules.size(), 5u);
    EXPECT_EQ(d.modules[0].old_file, "old/b.wasm");
    EXPECT_EQ(d.modules[0].change, Change::shrunk);
    EXPECT_EQ(d.modules[1].old_file, "old/a.wasm");
    EXPECT_EQ(d.modules[1].change, Change::grown);
    // Two new and one old left: no pairing by elimination.
    EXPECT_EQ(d.modules[2].change, Change::added);
    EXPECT_EQ(d.modules[3].change, Change::added);
    EXPECT_EQ(d.modules[4].old_file, "old/gone.wasm");
    EXPECT_EQ(d.modules[4].new_file, "");
    EXPECT_EQ(d.modules[4].change, Change::removed);
    EXPECT_EQ(d.total.old_bytes, 350u);
    EXPECT_EQ(d.total.new_bytes, 290u);
}

TEST(WasmAnalysis, GrowthLimits) {
    wasm::Baseline old;
    old.modules.push_back(baseline_module("app.wasm", 1000, {}));
    wasm::Analysis now;
    now.modules.push_back(synthetic("app.wasm", 1200));
    const auto d = wasm::diff_baseline(old, now);
    const auto check = [&](std::optional<std::uint64_t> bytes, std::optional<double> percent) {
        return wasm::check_growth(d, {bytes, percent});
    };
    EXPECT_TRUE(check(200, std::nullopt).empty());  // "more than": 200 is not over 200
    ASSERT_EQ(check(199, std::nullopt).size(), 1u);
    EXPECT_EQ(check(199, std::nullopt)[0],
              "app.wasm: raw size grew from 1000 to 1200 bytes (+200 bytes, +20.00%), more than --fail-above-bytes "
              "199 bytes");
    EXPECT_TRUE(check(std::nullopt, 20.0).empty());
    ASSERT_EQ(check(std::nullopt, 19.5).size(), 1u);
    EXPECT_EQ(check(std::nullopt, 19.5)[0],
              "app.wasm: raw size grew from 1000 to 1200 bytes (+200 bytes, +20.00%), more than --fail-above-percent "
              "19.5%");
    EXPECT_EQ(check(199, 50.0).size(), 1u);  // either trips
    EXPECT_EQ(check(500, 19.0).size(), 1u);
    EXPECT_EQ(check(199, 19.0).size(), 2u);
    EXPECT_TRUE(check(500, 50.0).empty());

    // Shrinking never trips; a new module trips only the byte limit.
    wasm::Analysis smaller;
    smaller.modules.push_back(synthetic("app.wasm", 900));
    EXPECT_TRUE(wasm::check_growth(wasm::diff_baseline(old, smaller), {0, 0.0}).empty());
    wasm::Analysis two;
    two.modules = {synthetic("app.wasm", 1000), synthetic("extra.wasm", 300)};
    const auto failures = wasm::check_growth(wasm::diff_baseline(old, two), {299, 1000.0});
    ASSERT_EQ(failures.size(), 2u);
    EXPECT_EQ(failures[0], "extra.wasm: raw size grew from 0 to 300 bytes (+300 bytes, new module), more than "
                           "--fail-above-bytes 299 bytes");
    EXPECT_EQ(failures[1].rfind("total of all modules: raw size grew from 1000 to 1300 bytes", 0), 0u) << failures[1];
}

TEST(WasmAnalysis, BaselineInTheJson) {
    wasm::Baseline old;
    old.file = "old.json";
    old.modules.push_back(baseline_module("sample.wasm", 50, {{"add", 1}}));
    const auto a = analysis_of({analyze(sample().bytes)});
    const auto d = wasm::diff_baseline(old, a);
    const wasm::GrowthLimits limits{10, std::nullopt};
    const json j = json::parse(wasm::analysis_json(a, &d, &limits));
    const json& b = j["baseline"];
    EXPECT_EQ(b["file"], "old.json");
    EXPECT_EQ(b["total"]["old_bytes"], 50);
    EXPECT_EQ(b["total"]["delta_bytes"], a.modules[0].raw - 50);
    const json& m = b["modules"][0];
    EXPECT_EQ(m["change"], "grown");
    EXPECT_EQ(m["gzip"], nullptr);
    EXPECT_EQ(m["functions"][0]["name"], "run");  // added, 8 bytes: the largest change
    EXPECT_EQ(m["functions"][0]["change"], "added");
    EXPECT_EQ(m["functions"][0]["delta_percent"], nullptr);
    EXPECT_EQ(b["limits"]["bytes"], 10);
    EXPECT_EQ(b["limits"]["passed"], false);
    EXPECT_EQ(b["limits"]["failures"].size(), 1u);
}

TEST(WasmAnalysis, TreemapKeepsTheLargestAndGroupsTheRest) {
    const Sample s = sample();
    const auto a = analysis_of({analyze(s.bytes)});
    const auto root = wasm::treemap_tree(a, 2);
    EXPECT_EQ(root.name, "sample.wasm");
    EXPECT_EQ(root.kind, "module");
    EXPECT_EQ(root.bytes, s.bytes.size());
    ASSERT_EQ(root.children.size(), 9u);
    std::uint64_t sections = 0;
    for (const auto& c : root.children) sections += c.bytes;
    EXPECT_EQ(sections, s.bytes.size() - 8);
    const auto& code = root.children[4];
    EXPECT_EQ(code.name, "code");
    EXPECT_EQ(code.kind, "section");
    ASSERT_EQ(code.children.size(), 3u);  // run (8 bytes), add (7), then the other three grouped
    EXPECT_EQ(code.children[0].name, "run");
    EXPECT_EQ(code.children[0].kind, "function");
    EXPECT_EQ(code.children[0].bytes, s.body_sizes[1]);
    EXPECT_EQ(code.children[1].name, "add");
    EXPECT_EQ(code.children[2].name, "(3 smaller functions)");
    EXPECT_EQ(code.children[2].kind, "other");
    EXPECT_EQ(code.children[2].bytes, s.body_sizes[2] + s.body_sizes[3] + s.body_sizes[4]);
    const auto& data = root.children[5];
    ASSERT_EQ(data.children.size(), 2u);
    EXPECT_EQ(data.children[0].name, "data[0] .rodata");
    EXPECT_EQ(data.children[0].kind, "data");
    EXPECT_EQ(root.children[6].kind, "custom");

    const auto two = analysis_of({analyze(s.bytes, "a.wasm"), analyze(s.bytes, "b.wasm")});
    const auto multi = wasm::treemap_tree(two, 100);
    EXPECT_EQ(multi.name, "modules");
    ASSERT_EQ(multi.children.size(), 2u);
    EXPECT_EQ(multi.children[1].name, "b.wasm");
    EXPECT_EQ(multi.bytes, 2 * s.bytes.size());
    EXPECT_EQ(multi.children[0].children[4].children.size(), 5u);
}

// Identical bodies among many of one size and type: each group whole, in
// index order, the groups by saved bytes (largest first).
TEST(WasmAnalysis, DuplicateGroupsAmongBodiesOfOneSize) {
    Bytes types;
    types.uleb(1).raw({0x60, 0x00, 0x00});
    // Functions 0..7: A B A C B A D E, where A, B, C have one size and D, E another.
    const Bytes a = body({0x01, 0x01, 0x01}), b = body({0x01, 0x01, 0x1A}), c = body({0x1A, 0x01, 0x01});
    const Bytes d = body({0x01}), e = body({0x1A});
    const Bytes bodies[8] = {a, b, a, c, b, a, d, e};
    Bytes functions, code;
    functions.uleb(8);
    code.uleb(8);
    for (const auto& x : bodies) {
        functions.uleb(0);
        code.uleb(x.size()).append(x);
    }
    Bytes m = header();
    m.section(1, types).section(3, functions).section(10, code);
    // Hashes from the call graph's decoder, or taken by find_duplicates() itself.
    for (const bool call_graph : {true, false}) {
        const auto r = wasm::analyze_module("sample.wasm", m.v.data(), m.v.size(), wasm::parse(m.v.data(), m.v.size()),
                                            false, call_graph);
        ASSERT_EQ(r.duplicates.size(), 2u) << call_graph;
        EXPECT_EQ(r.duplicates[0].functions, (std::vector<std::uint32_t>{0, 2, 5})) << call_graph;
        EXPECT_EQ(r.duplicates[0].saved_bytes(), 2 * a.size()) << call_graph;
        EXPECT_EQ(r.duplicates[1].functions, (std::vector<std::uint32_t>{1, 4})) << call_graph;
        EXPECT_EQ(r.duplicates[1].body_bytes, b.size()) << call_graph;

        // Hashes that all collide: the bytes still decide. A, B and C differ, as do D and E.
        const std::vector<std::uint32_t> canonical{0};
        const std::vector<std::uint64_t> all_42(8, 42);
        const auto collided = wasm::find_duplicates(m.v.data(), r.functions, canonical, all_42);
        ASSERT_EQ(collided.size(), 2u);
        EXPECT_EQ(collided[0].functions, (std::vector<std::uint32_t>{0, 2, 5}));
        EXPECT_EQ(collided[1].functions, (std::vector<std::uint32_t>{1, 4}));
        // Hashes that split the copies of A: no group joins bodies with different hashes.
        const auto split = wasm::find_duplicates(m.v.data(), r.functions, canonical, {1, 2, 3, 4, 2, 1, 5, 6});
        ASSERT_EQ(split.size(), 2u);
        EXPECT_EQ(split[0].functions, (std::vector<std::uint32_t>{0, 5}));
        EXPECT_EQ(split[1].functions, (std::vector<std::uint32_t>{1, 4}));

        // Bodies the decoder compared already (CodeRefs::same_as_first) are not read again: with
        // every hash equal and every body marked, only the marks can say A, B and C are equal.
        // One body of A, B and C left unmarked (and D and E, which differ), and the run is
        // compared byte for byte again.
        const auto trusted = wasm::find_duplicates(m.v.data(), r.functions, canonical, all_42,
                                                   std::vector<std::uint8_t>(8, 1));
        ASSERT_EQ(trusted.size(), 2u);
        EXPECT_EQ(trusted[0].functions, (std::vector<std::uint32_t>{0, 1, 2, 3, 4, 5}));
        EXPECT_EQ(trusted[1].functions, (std::vector<std::uint32_t>{6, 7}));
        for (const std::size_t unmarked : {0, 3, 5}) {
            std::vector<std::uint8_t> marks{1, 1, 1, 1, 1, 1, 0, 0};
            marks[unmarked] = 0;
            const auto checked = wasm::find_duplicates(m.v.data(), r.functions, canonical, all_42, marks);
            ASSERT_EQ(checked.size(), 2u) << unmarked;
            EXPECT_EQ(checked[0].functions, (std::vector<std::uint32_t>{0, 2, 5})) << unmarked;
            EXPECT_EQ(checked[1].functions, (std::vector<std::uint32_t>{1, 4})) << unmarked;
        }
    }
}

// body_hash(): equal bytes, equal hashes; and on these inputs, each one-bit
// change, each length and each position of a byte gives a different hash.
TEST(WasmAnalysis, BodyHashSeparatesNearlyEqualBodies) {
    std::vector<std::uint8_t> bytes(100, 0x41);
    const std::uint64_t base = wasm::body_hash(bytes.data(), bytes.size());
    EXPECT_EQ(wasm::body_hash(std::vector<std::uint8_t>(bytes).data(), bytes.size()), base);
    std::set<std::uint64_t> seen{base};
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (unsigned bit = 0; bit < 8; ++bit) {
            bytes[i] ^= static_cast<std::uint8_t>(1U << bit);
            EXPECT_TRUE(seen.insert(wasm::body_hash(bytes.data(), bytes.size())).second) << i << " " << bit;
            bytes[i] ^= static_cast<std::uint8_t>(1U << bit);
        }
    }
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        EXPECT_TRUE(seen.insert(wasm::body_hash(bytes.data(), n)).second) << n;
    }
    const std::vector<std::uint8_t> zeros(64, 0);
    for (std::size_t n = 1; n <= zeros.size(); ++n) {  // n = 0 is the empty input above
        EXPECT_TRUE(seen.insert(wasm::body_hash(zeros.data(), n)).second) << "zeros " << n;
    }
}

namespace {

/// Types: 0 () -> nil. Functions 0..n-1 (type 0) with `bodies`, in a code section.
Bytes module_with_bodies(const std::vector<Bytes>& bodies) {
    Bytes types;
    types.uleb(1).raw({0x60, 0x00, 0x00});
    Bytes functions;
    functions.uleb(bodies.size());
    for (std::size_t i = 0; i < bodies.size(); ++i) functions.uleb(0);
    Bytes code;
    code.uleb(bodies.size());
    for (const Bytes& b : bodies) code.uleb(b.size()).append(b);
    Bytes m = header();
    m.section(1, types).section(3, functions).section(10, code);
    return m;
}

}  // namespace

// The decoder keeps each body's targets once, in the order of first use (they
// are the call graph's edges), on one thread or two.
TEST(WasmCallGraph, DecoderKeepsEachTargetOncePerBody) {
    const Bytes m = module_with_bodies({
        body({0x10, 0x02, 0x10, 0x01, 0x10, 0x02, 0x10, 0x01}),  // call 2, call 1, call 2, call 1
        body({0x10, 0x01, 0xD2, 0x01, 0x1A}),                    // call 1, ref.func 1, drop
        body({}),
    });
    const wasm::Module module = wasm::parse(m.v.data(), m.v.size());
    for (const unsigned threads : {1U, 2U}) {
        const wasm::CodeRefs code = wasm::decode_code(m.v.data(), m.v.size(), module, threads);
        EXPECT_EQ(code.offsets, (std::vector<std::uint32_t>{0, 2, 3, 3})) << threads;
        EXPECT_EQ(code.targets, (std::vector<std::uint32_t>{2, 1, 1})) << threads;
        EXPECT_EQ(code.instructions, 5U + 4U + 1U) << threads;
    }
}

// The decoder compares each body with the first it met of the same size and
// hash, while it has both at hand (CodeRefs::same_as_first): repeats of A and B
// are marked equal, on one thread or two; equal bodies have equal hashes.
TEST(WasmCallGraph, DecoderMarksBodiesEqualToTheFirstOfTheirSizeAndHash) {
    const Bytes a = body({0x01, 0x01, 0x01}), b = body({0x01, 0x01, 0x1A}), c = body({0x1A, 0x01, 0x01});
    const Bytes m = module_with_bodies({a, b, a, c, b, a, body({})});
    const wasm::Module module = wasm::parse(m.v.data(), m.v.size());
    for (const unsigned threads : {1U, 2U}) {
        const wasm::CodeRefs code = wasm::decode_code(m.v.data(), m.v.size(), module, threads);
        EXPECT_EQ(code.same_as_first, (std::vector<std::uint8_t>{1, 1, 1, 1, 1, 1, 1})) << threads;
        ASSERT_EQ(code.body_hashes.size(), 7u) << threads;
        EXPECT_EQ(code.body_hashes[0], code.body_hashes[2]) << threads;
        EXPECT_EQ(code.body_hashes[0], code.body_hashes[5]) << threads;
        EXPECT_EQ(code.body_hashes[1], code.body_hashes[4]) << threads;
        EXPECT_NE(code.body_hashes[0], code.body_hashes[1]) << threads;
        EXPECT_NE(code.body_hashes[0], code.body_hashes[3]) << threads;
    }
}

// Naming on a thread of its own while the graph is built (FunctionNaming, from
// 4,096 functions, runs of 256 taken by either thread) names every function
// once, as apply_names() afterwards does.
TEST(WasmNames, NamingBesideTheCallGraphNamesEveryFunction) {
    constexpr std::size_t count = 5000;
    const Bytes m = module_with_bodies(std::vector<Bytes>(count, body({})));
    wasm::ModuleNames names;
    names.source = NameSource::symbol_map;
    names.names_file = "sample.wasm.symbols";
    for (std::size_t i = 0; i < count; ++i) {
        // _ZN3ns<k>4workEv: ns<k>::work(), in namespace ns<k>; every third one without a name.
        if (i % 3 != 2) names.names.emplace(static_cast<std::uint32_t>(i), "_ZN3ns" + std::to_string(i % 7) + "4workEv");
        names.compile_units.push_back("unit" + std::to_string(i % 5) + ".cpp");
    }
    auto during = wasm::analyze_module("sample.wasm", m.v.data(), m.v.size(), wasm::parse(m.v.data(), m.v.size()), false,
                                       true, &names);
    auto after = wasm::analyze_module("sample.wasm", m.v.data(), m.v.size(), wasm::parse(m.v.data(), m.v.size()), false);
    wasm::apply_names(after, names);
    EXPECT_EQ(during.names_file, "sample.wasm.symbols");
    ASSERT_EQ(during.functions.size(), count);
    for (std::size_t i = 0; i < count; ++i) {
        const wasm::FunctionInfo& f = during.functions[i];
        const std::string unit = "unit" + std::to_string(i % 5) + ".cpp";
        if (i % 3 != 2) {
            const std::string ns = "ns" + std::to_string(i % 7);
            EXPECT_EQ(f.name, "_ZN3" + ns + "4workEv") << i;
            EXPECT_EQ(f.name_source, NameSource::symbol_map) << i;
            EXPECT_EQ(f.demangled, ns + "::work()") << i;
            EXPECT_EQ(f.group, ns) << i;
        } else {
            EXPECT_EQ(f.name, "function[" + std::to_string(i) + "]") << i;
            EXPECT_EQ(f.name_source, NameSource::index) << i;
            EXPECT_EQ(f.demangled, "") << i;
            EXPECT_EQ(f.group, "") << i;
        }
        EXPECT_EQ(f.compile_unit, unit) << i;
        EXPECT_EQ(f.name, after.functions[i].name) << i;
        EXPECT_EQ(f.demangled, after.functions[i].demangled) << i;
        EXPECT_EQ(f.group, after.functions[i].group) << i;
        EXPECT_EQ(f.compile_unit, after.functions[i].compile_unit) << i;
    }
}

// The decoding begun on threads of its own (CodeDecoding: runs of 256 KiB or
// more of bodies, taken largest first by whichever thread is free, the caller's
// thread joining in finish()) gives the same references with any number of
// threads, and the error of the lowest body when several are malformed.
TEST(WasmCallGraph, DecodingInRunsOnAnyThreadsGivesTheSameReferences) {
    // Runs of bodies 0-5 (500 KiB), 6-12 (280 KiB), 13-17 (460 KiB) and 18-23 (240 KiB), taken
    // out of file order; what comes out is in file order.
    std::vector<Bytes> bodies;
    wasm::CodeRefs expected;
    for (std::uint8_t i = 0; i < 24; ++i) {
        Bytes b;
        b.u8(0x00);
        const std::size_t nops = i == 5 || i == 17 ? std::size_t{300} << 10 : std::size_t{40} << 10;
        b.v.resize(b.v.size() + nops, 0x01);
        const std::uint8_t calls[] = {static_cast<std::uint8_t>((i * 7) % 24), static_cast<std::uint8_t>(i % 3),
                                      static_cast<std::uint8_t>(23 - i)};
        b.raw({0x10, calls[0], 0x10, calls[1], 0xD2, calls[2], 0x1A});  // call, call, ref.func, drop
        if (i % 4 == 1) b.raw({0x41, 0x00, 0x11, 0x00, 0x00});  // i32.const 0, call_indirect type 0
        b.u8(0x0B);
        bodies.push_back(b);
        expected.offsets.push_back(static_cast<std::uint32_t>(expected.targets.size()));
        for (const std::uint8_t c : calls) {  // each once, in the order of first use
            if (std::find(expected.targets.begin() + expected.offsets.back(), expected.targets.end(), c) ==
                expected.targets.end()) {
                expected.targets.push_back(c);
            }
        }
        expected.indirect.push_back(i % 4 == 1 ? 1 : 0);
        expected.indirect_sites += i % 4 == 1 ? 1 : 0;
        expected.instructions += nops + 4 + (i % 4 == 1 ? 2 : 0) + 1;
    }
    expected.offsets.push_back(static_cast<std::uint32_t>(expected.targets.size()));
    const Bytes m = module_with_bodies(bodies);
    const wasm::Module module = wasm::parse(m.v.data(), m.v.size());
    for (const unsigned workers : {0U, 1U, 2U, 5U}) {
        wasm::CodeDecoding decoding(m.v.data(), m.v.size(), module, workers);
        const wasm::CodeRefs code = decoding.finish();
        EXPECT_EQ(code.offsets, expected.offsets) << workers;
        EXPECT_EQ(code.targets, expected.targets) << workers;
        EXPECT_EQ(code.indirect, expected.indirect) << workers;
        EXPECT_EQ(code.indirect_sites, expected.indirect_sites) << workers;
        EXPECT_EQ(code.instructions, expected.instructions) << workers;
    }

    // Bodies 3 and 20 (in different runs) with an unknown opcode: body 3's error, whoever decodes it.
    bodies[3] = body({0xFF});
    bodies[20] = body({0xFF});
    const Bytes bad = module_with_bodies(bodies);
    const wasm::Module bad_module = wasm::parse(bad.v.data(), bad.v.size());
    for (const unsigned workers : {0U, 2U}) {
        wasm::CodeDecoding decoding(bad.v.data(), bad.v.size(), bad_module, workers);
        try {
            (void)decoding.finish();
            ADD_FAILURE() << "no error with " << workers << " workers";
        } catch (const wasm::ParseError& e) {
            EXPECT_NE(std::string(e.what()).find("function 3:"), std::string::npos) << e.what();
        }
    }
    // Left without finish(): the threads stop and are joined.
    { wasm::CodeDecoding unfinished(m.v.data(), m.v.size(), module, 2); }
}

namespace {

// A module of `count` functions, each 256 KiB of nop.
Bytes module_of_nops(std::size_t count) {
    std::vector<Bytes> bodies(count);
    for (Bytes& b : bodies) {
        b.u8(0x00);
        b.v.resize(b.v.size() + (std::size_t{256} << 10), 0x01);
        b.u8(0x0B);
    }
    return module_with_bodies(bodies);
}

}  // namespace

// Decoding a mapped module lets the pages of the bodies go from the resident
// set (release_read_pages, wasm/reader.hpp), so that the call graph does not
// add the code to the peak memory; the bodies still read back the same.
TEST(WasmCallGraph, DecoderReleasesTheBodiesPages) {
    const Bytes m = module_of_nops(8);
    const std::string path = buildbudget::test::write_temp_file("wasm_analysis_test_release.wasm", m.v);
    ASSERT_FALSE(path.empty());

    const wasm::MappedModule mapped = wasm::map_module(path);
    ASSERT_TRUE(mapped.bytes.mapped());
    ASSERT_EQ(std::vector<std::uint8_t>(mapped.bytes.begin(), mapped.bytes.end()), m.v);  // every page read
    EXPECT_GE(buildbudget::test::resident_kib(mapped.bytes.data()), 2000);
    const wasm::CodeRefs code = wasm::decode_code(mapped.bytes.data(), mapped.bytes.size(), mapped.module, 2);
    EXPECT_EQ(code.instructions, 8 * ((std::uint64_t{256} << 10) + 1));
    EXPECT_LE(buildbudget::test::resident_kib(mapped.bytes.data()), 64);
    EXPECT_EQ(std::vector<std::uint8_t>(mapped.bytes.begin(), mapped.bytes.end()), m.v);
    std::remove(path.c_str());
}

// read_for_analysis(): the call graph's decoding begins once the code section is parsed, and
// analyze_module() given it finds what it finds when it begins one itself. A data section that
// is malformed after 20 MiB of code gives its ParseError with the path while that decoding runs
// (it stops before the bytes go).
TEST(WasmCallGraph, DecodingBegunOnceTheCodeIsParsedGivesTheSameGraph) {
    const Bytes m = module_with_bodies({
        body({0x10, 0x01, 0x10, 0x02}),  // call 1, call 2
        body({0x10, 0x02}),              // call 2
        body({}),
    });
    const std::string path = buildbudget::test::write_temp_file("wasm_analysis_test_begun.wasm", m.v);
    ASSERT_FALSE(path.empty());
    wasm::ModuleForAnalysis loaded = wasm::read_for_analysis(path, /*call_graph=*/true);
    ASSERT_NE(loaded.decoding, nullptr);
    EXPECT_EQ(wasm::read_for_analysis(path, /*call_graph=*/false).decoding, nullptr);
    const wasm::ModuleAnalysis begun =
        wasm::analyze_module(path, loaded.bytes.data(), loaded.bytes.size(), std::move(loaded.module), false, true,
                             nullptr, std::move(loaded.decoding));
    const wasm::ModuleAnalysis here = wasm::analyze_module(path, m.v.data(), m.v.size(), wasm::parse(m.v.data(), m.v.size()),
                                                           false, true);
    ASSERT_TRUE(begun.call_graph.built);
    EXPECT_EQ(begun.call_graph.edges, 3U);
    EXPECT_EQ(begun.call_graph.edges, here.call_graph.edges);
    EXPECT_EQ(begun.call_graph.instructions, here.call_graph.instructions);
    EXPECT_EQ(begun.call_graph.succ, here.call_graph.succ);
    EXPECT_EQ(begun.call_graph.retained, here.call_graph.retained);

    Bytes large = module_of_nops(80);
    const std::size_t bad_at = large.v.size() + 2;  // the data section's count
    large.raw({11, 2, 5, 0});                       // 5 segments in 2 bytes
    const std::string large_path = buildbudget::test::write_temp_file("wasm_analysis_test_begun_bad.wasm", large.v);
    ASSERT_FALSE(large_path.empty());
    try {
        (void)wasm::read_for_analysis(large_path, /*call_graph=*/true);
        ADD_FAILURE() << "no ParseError";
    } catch (const wasm::ParseError& e) {
        EXPECT_EQ(e.offset, bad_at);
        EXPECT_EQ(std::string(e.what()).rfind(large_path + ": ", 0), 0U) << e.what();
    }
    std::remove(path.c_str());
    std::remove(large_path.c_str());
}

// The same for a module copied to huge pages (wasm/reader.hpp, FileBytes): 20 MiB of bodies, decoded
// in runs of 256 KiB that no 2 MiB page lies in whole, go as the threads pass them.
TEST(WasmCallGraph, DecoderReleasesTheBodiesOfAModuleOnHugePages) {
    const Bytes m = module_of_nops(80);
    const std::string path = buildbudget::test::write_temp_file("wasm_analysis_test_release_huge.wasm", m.v);
    ASSERT_FALSE(path.empty());

    const wasm::MappedModule mapped = wasm::map_module(path);
    ASSERT_EQ(mapped.bytes.copied_to_huge_pages(), buildbudget::transparent_huge_pages_on_request());
    const std::size_t region = (m.v.size() + (std::size_t{2} << 20) - 1) / (std::size_t{2} << 20) * (std::size_t{2} << 20);
    EXPECT_GE(buildbudget::test::resident_in(mapped.bytes.data(), region).kib, 20 * 1024);
    const wasm::CodeRefs code = wasm::decode_code(mapped.bytes.data(), mapped.bytes.size(), mapped.module, 2);
    EXPECT_EQ(code.instructions, 80 * ((std::uint64_t{256} << 10) + 1));
    // The first 2 MiB (the header and the first body's start) and the last page may stay.
    EXPECT_LE(buildbudget::test::resident_in(mapped.bytes.data(), region).kib, 4 * 1024);
    EXPECT_EQ(std::vector<std::uint8_t>(mapped.bytes.begin(), mapped.bytes.end()), m.v);
    std::remove(path.c_str());
}
