#include "wasm/reader.hpp"

#include "common/heap.hpp"

#include "page_text.hpp"
#include "wasm_bytes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

namespace wasm = buildbudget::wasm;
using wasm::ConstExpr;
using wasm::ExternalKind;
using wasm::ParseError;
using wasm::ValueType;

namespace {

using buildbudget::test::Bytes;
using buildbudget::test::contains;
using buildbudget::test::header;
using buildbudget::test::parse;

// Parses `b`, which must fail; returns the error.
ParseError parse_error(const Bytes& b) {
    try {
        (void)parse(b);
    } catch (const ParseError& e) {
        return e;
    }
    ADD_FAILURE() << "the module parsed, an error was expected";
    return ParseError(~0ULL, "no error");
}

// A module with a bit of everything: the proposals' features included.
Bytes full_module() {
    Bytes types;
    types.uleb(4);
    types.raw({0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F});  // 0: (i32, i32) -> i32
    types.raw({0x60, 0x00, 0x00});                    // 1: () -> ()
    types.raw({0x60, 0x01, 0x7E, 0x02, 0x7D, 0x7C});  // 2: (i64) -> (f32, f64), multi-value
    types.raw({0x60, 0x03, 0x7B, 0x70, 0x6F, 0x00});  // 3: (v128, funcref, externref) -> ()

    Bytes imports;
    imports.uleb(5);
    imports.str("env").str("f").u8(0x00).uleb(1);                               // function, type 1
    imports.str("env").str("tbl").u8(0x01).u8(0x70).u8(0x01).uleb(1).uleb(10);  // table funcref 1..10
    imports.str("env").str("mem").u8(0x02).u8(0x03).uleb(2).uleb(16);           // shared memory 2..16
    imports.str("env").str("g").u8(0x03).u8(0x7F).u8(0x01);                     // mutable i32 global
    imports.str("env").str("exc").u8(0x04).u8(0x00).uleb(3);                    // tag, type 3

    Bytes functions;
    functions.uleb(3).uleb(0).uleb(1).uleb(1);

    Bytes tables;
    tables.uleb(1).u8(0x70).u8(0x00).uleb(2);

    Bytes tags;
    tags.uleb(1).u8(0x00).uleb(1);

    Bytes globals;
    globals.uleb(4);
    globals.u8(0x7F).u8(0x00).u8(0x41).sleb(-5).u8(0x0B);                       // i32 const -5
    globals.u8(0x7E).u8(0x01).u8(0x42).sleb(1LL << 40).u8(0x0B);                // mutable i64 2^40
    globals.u8(0x7D).u8(0x00).u8(0x43).raw({0x00, 0x00, 0x80, 0x3F}).u8(0x0B);  // f32 1.0
    globals.u8(0x7B).u8(0x00).u8(0xFD).uleb(12);                                // v128.const
    for (int i = 0; i < 16; ++i) globals.u8(static_cast<std::uint8_t>(i));
    globals.u8(0x0B);

    Bytes exports;
    exports.uleb(5);
    exports.str("exported_add").u8(0x00).uleb(1);
    exports.str("run").u8(0x00).uleb(2);
    exports.str("memory").u8(0x02).uleb(0);
    exports.str("counter").u8(0x03).uleb(2);
    exports.str("error").u8(0x04).uleb(1);

    Bytes start;
    start.uleb(2);

    Bytes elements;
    elements.uleb(1).u8(0x00).raw({0x41, 0x00, 0x0B}).uleb(2).uleb(1).uleb(2);

    Bytes datacount;
    datacount.uleb(2);

    Bytes code;
    code.uleb(3);
    code.uleb(7).raw({0x00, 0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B});  // local.get 0, local.get 1, i32.add
    code.uleb(2).raw({0x00, 0x0B});
    code.uleb(4).raw({0x01, 0x02, 0x7F, 0x0B});  // two i32 locals

    Bytes data;
    data.uleb(2);
    data.u8(0x00).u8(0x41).sleb(1024).u8(0x0B).str("hello");  // active at 1024
    data.u8(0x01).str("xyz");                                 // passive

    Bytes names;
    {
        Bytes module_name;
        module_name.str("demo");
        Bytes function_names;
        function_names.uleb(2).uleb(0).str("imported_f").uleb(1).str("add");
        Bytes local_names;  // subsection 2, skipped by the reader
        local_names.uleb(1).uleb(1).uleb(1).uleb(0).str("a");
        Bytes global_names;
        global_names.uleb(2).uleb(0).str("imported_g").uleb(1).str("minus_five");
        Bytes data_names;
        data_names.uleb(2).uleb(0).str(".rodata").uleb(1).str(".data");
        names.u8(0).uleb(module_name.size()).append(module_name);
        names.u8(1).uleb(function_names.size()).append(function_names);
        names.u8(2).uleb(local_names.size()).append(local_names);
        names.u8(7).uleb(global_names.size()).append(global_names);
        names.u8(9).uleb(data_names.size()).append(data_names);
    }

    Bytes producers;
    producers.uleb(2);
    producers.str("language").uleb(1).str("C11").str("");
    producers.str("processed-by").uleb(2).str("clang").str("14.0.6").str("wasm-opt").str("116");

    Bytes features;
    features.uleb(4);
    features.u8('+').str("simd128");
    features.u8('+').str("bulk-memory");
    features.u8('-').str("atomics");
    features.u8('=').str("mutable-globals");

    Bytes m = header();
    m.section(1, types).section(2, imports).section(3, functions).section(4, tables);
    m.section(13, tags).section(6, globals).section(7, exports).section(8, start);
    m.section(9, elements).section(12, datacount).section(10, code).section(11, data);
    m.custom("name", names).custom("producers", producers).custom("target_features", features);
    m.custom(".debug_info", Bytes{0x01, 0x02, 0x03});
    return m;
}

// Header plus one section.
Bytes one_section(std::uint8_t id, const Bytes& payload) {
    Bytes m = header();
    return m.section(id, payload);
}

// `size` bytes that differ from page to page and within each (byte i is i * step + i / 4096), for
// the tests that read a file back and compare it.
std::vector<std::uint8_t> patterned_bytes(std::size_t size, unsigned step) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i * step + i / 4096);
    return bytes;
}

}  // namespace

TEST(WasmReader, MagicDetection) {
    const std::uint8_t good[] = {0x00, 0x61, 0x73, 0x6D, 0x01};
    const std::uint8_t elf[] = {0x7F, 'E', 'L', 'F'};
    EXPECT_TRUE(wasm::has_wasm_magic(good, sizeof good));
    EXPECT_FALSE(wasm::has_wasm_magic(good, 3));
    EXPECT_FALSE(wasm::has_wasm_magic(elf, sizeof elf));
    EXPECT_FALSE(wasm::has_wasm_magic(nullptr, 0));
}

TEST(WasmReader, EmptyModule) {
    const auto m = parse(header());
    EXPECT_EQ(m.version, 1U);
    EXPECT_TRUE(m.sections.empty());
    EXPECT_TRUE(m.functions.empty());
    EXPECT_FALSE(m.memory0().has_value());
    EXPECT_FALSE(m.start.has_value());
}

TEST(WasmReader, Types) {
    const auto m = parse(full_module());
    ASSERT_EQ(m.types.size(), 4U);
    EXPECT_EQ(m.types[0].params, (std::vector<ValueType>{ValueType::i32, ValueType::i32}));
    EXPECT_EQ(m.types[0].results, (std::vector<ValueType>{ValueType::i32}));
    EXPECT_TRUE(m.types[1].params.empty());
    EXPECT_TRUE(m.types[1].results.empty());
    EXPECT_EQ(m.types[2].params, (std::vector<ValueType>{ValueType::i64}));
    EXPECT_EQ(m.types[2].results, (std::vector<ValueType>{ValueType::f32, ValueType::f64}));
    EXPECT_EQ(m.types[3].params, (std::vector<ValueType>{ValueType::v128, ValueType::funcref, ValueType::externref}));
    EXPECT_STREQ(wasm::to_string(ValueType::externref), "externref");
    EXPECT_STREQ(wasm::to_string(ValueType::v128), "v128");
    EXPECT_STREQ(wasm::to_string(ExternalKind::tag), "tag");
}

TEST(WasmReader, ImportsOfAllKinds) {
    const auto m = parse(full_module());
    ASSERT_EQ(m.imports.size(), 5U);
    EXPECT_EQ(m.imports[0].module, "env");
    EXPECT_EQ(m.imports[0].name, "f");
    EXPECT_EQ(m.imports[0].kind, ExternalKind::function);
    EXPECT_EQ(m.imports[0].type_index, 1U);

    EXPECT_EQ(m.imports[1].kind, ExternalKind::table);
    EXPECT_EQ(m.imports[1].limits.initial, 1U);
    EXPECT_EQ(m.imports[1].limits.maximum, std::optional<std::uint64_t>(10));

    EXPECT_EQ(m.imports[2].kind, ExternalKind::memory);
    EXPECT_EQ(m.imports[2].limits.initial, 2U);
    EXPECT_EQ(m.imports[2].limits.maximum, std::optional<std::uint64_t>(16));
    EXPECT_TRUE(m.imports[2].limits.shared);
    EXPECT_FALSE(m.imports[2].limits.is64);

    EXPECT_EQ(m.imports[3].kind, ExternalKind::global);
    EXPECT_EQ(m.imports[3].global_type, ValueType::i32);
    EXPECT_TRUE(m.imports[3].global_mutable);

    EXPECT_EQ(m.imports[4].kind, ExternalKind::tag);
    EXPECT_EQ(m.imports[4].type_index, 3U);

    EXPECT_EQ(m.imported_function_count(), 1U);
    EXPECT_EQ(m.imported_table_count(), 1U);
    EXPECT_EQ(m.imported_memory_count(), 1U);
    EXPECT_EQ(m.imported_global_count(), 1U);
    EXPECT_EQ(m.imported_tag_count(), 1U);

    // Memory 0 is the imported one.
    ASSERT_TRUE(m.memory0().has_value());
    EXPECT_EQ(m.memory0()->initial, 2U);
    EXPECT_TRUE(m.memory0()->shared);
}

TEST(WasmReader, MemoryLimits) {
    Bytes memories;
    memories.uleb(5);
    memories.u8(0x00).uleb(2);                                                            // 2 pages, no maximum
    memories.u8(0x01).uleb(1).uleb(256);                                                  // 1..256
    memories.u8(0x03).uleb(1).uleb(65536);                                                // shared 1..65536
    memories.u8(0x05).uleb(3).uleb(1ULL << 33);                                           // memory64, 64-bit maximum
    memories.u8(0x04).raw({0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00});  // 10-byte u64 LEB of 1
    const auto m = parse(one_section(5, memories));
    ASSERT_EQ(m.memories.size(), 5U);
    EXPECT_EQ(m.memories[0].initial, 2U);
    EXPECT_FALSE(m.memories[0].maximum.has_value());
    EXPECT_FALSE(m.memories[0].shared);
    EXPECT_EQ(m.memories[1].maximum, std::optional<std::uint64_t>(256));
    EXPECT_TRUE(m.memories[2].shared);
    EXPECT_EQ(m.memories[2].maximum, std::optional<std::uint64_t>(65536));
    EXPECT_TRUE(m.memories[3].is64);
    EXPECT_EQ(m.memories[3].maximum, std::optional<std::uint64_t>(1ULL << 33));
    EXPECT_TRUE(m.memories[4].is64);
    EXPECT_EQ(m.memories[4].initial, 1U);
    ASSERT_TRUE(m.memory0().has_value());
    EXPECT_EQ(m.memory0()->initial, 2U);

    Bytes bad;
    bad.uleb(1).u8(0x08).uleb(1);
    const auto e = parse_error(one_section(5, bad));
    EXPECT_TRUE(contains(e.what(), "unknown limits flags 0x08"));
    EXPECT_EQ(e.offset, 11U);

    // A 32-bit memory's bounds are u32: 2^32 does not fit.
    Bytes too_big;
    too_big.uleb(1).u8(0x00).uleb(1ULL << 32);
    EXPECT_TRUE(contains(parse_error(one_section(5, too_big)).what(), "bad LEB128"));
}

TEST(WasmReader, Tables) {
    const auto m = parse(full_module());
    ASSERT_EQ(m.tables.size(), 1U);
    EXPECT_EQ(m.tables[0].initial, 2U);
    EXPECT_FALSE(m.tables[0].maximum.has_value());
    EXPECT_EQ(m.tags, (std::vector<std::uint32_t>{1}));
}

TEST(WasmReader, GlobalsWithInitialisersAndNames) {
    const auto m = parse(full_module());
    ASSERT_EQ(m.globals.size(), 4U);
    EXPECT_EQ(m.globals[0].type, ValueType::i32);
    EXPECT_FALSE(m.globals[0].is_mutable);
    EXPECT_EQ(m.globals[0].init.kind, ConstExpr::Kind::i32);
    EXPECT_EQ(m.globals[0].init.value, -5);
    EXPECT_EQ(m.globals[0].name, "minus_five");  // global index 1: one global is imported

    EXPECT_EQ(m.globals[1].type, ValueType::i64);
    EXPECT_TRUE(m.globals[1].is_mutable);
    EXPECT_EQ(m.globals[1].init.kind, ConstExpr::Kind::i64);
    EXPECT_EQ(m.globals[1].init.value, 1LL << 40);
    EXPECT_EQ(m.globals[1].name, "");

    EXPECT_EQ(m.globals[2].init.kind, ConstExpr::Kind::f32);
    EXPECT_EQ(m.globals[2].init.value, 0x3F800000);  // 1.0f
    EXPECT_EQ(m.globals[3].type, ValueType::v128);
    EXPECT_EQ(m.globals[3].init.kind, ConstExpr::Kind::v128);

    EXPECT_EQ(m.global_names.at(0), "imported_g");
    EXPECT_EQ(m.global_names.at(1), "minus_five");
}

TEST(WasmReader, ConstantExpressions) {
    Bytes globals;
    globals.uleb(6);
    globals.u8(0x7F).u8(0x00).u8(0x23).uleb(0).u8(0x0B);                              // global.get 0
    globals.u8(0x70).u8(0x00).u8(0xD2).uleb(0).u8(0x0B);                              // ref.func 0
    globals.u8(0x6F).u8(0x00).u8(0xD0).u8(0x6F).u8(0x0B);                             // ref.null extern
    globals.u8(0x7F).u8(0x00).raw({0x41, 0x01, 0x41, 0x02, 0x6A, 0x0B});              // extended const: 1 + 2
    globals.u8(0x7F).u8(0x00).u8(0x41).raw({0xFF, 0xFF, 0xFF, 0xFF, 0x7F}).u8(0x0B);  // 5-byte -1
    globals.u8(0x7C).u8(0x00).u8(0x44).raw({0, 0, 0, 0, 0, 0, 0xF0, 0x3F}).u8(0x0B);  // f64 1.0
    const auto m = parse(one_section(6, globals));
    ASSERT_EQ(m.globals.size(), 6U);
    EXPECT_EQ(m.globals[0].init.kind, ConstExpr::Kind::global_get);
    EXPECT_EQ(m.globals[1].init.kind, ConstExpr::Kind::ref_func);
    EXPECT_EQ(m.globals[2].init.kind, ConstExpr::Kind::ref_null);
    EXPECT_EQ(m.globals[3].init.kind, ConstExpr::Kind::other);
    EXPECT_EQ(m.globals[4].init.kind, ConstExpr::Kind::i32);
    EXPECT_EQ(m.globals[4].init.value, -1);
    EXPECT_EQ(m.globals[5].init.kind, ConstExpr::Kind::f64);
    EXPECT_EQ(static_cast<std::uint64_t>(m.globals[5].init.value), 0x3FF0000000000000ULL);

    Bytes local_get;
    local_get.uleb(1).u8(0x7F).u8(0x00).u8(0x20).uleb(0).u8(0x0B);
    const auto e = parse_error(one_section(6, local_get));
    EXPECT_TRUE(contains(e.what(), "unsupported instruction 0x20 in a global initializer at byte offset 13"));

    // An i32.const whose 5th LEB byte does not sign-extend: 0xFFFFFFFF is not an s32.
    Bytes out_of_range;
    out_of_range.uleb(1).u8(0x7F).u8(0x00).u8(0x41).raw({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}).u8(0x0B);
    const auto e2 = parse_error(one_section(6, out_of_range));
    EXPECT_TRUE(contains(e2.what(), "bad LEB128"));
    EXPECT_EQ(e2.offset, 14U);
}

TEST(WasmReader, DataSegments) {
    const auto m = parse(full_module());
    ASSERT_EQ(m.data.size(), 2U);
    EXPECT_FALSE(m.data[0].passive);
    EXPECT_EQ(m.data[0].memory_index, 0U);
    EXPECT_EQ(m.data[0].address, std::optional<std::uint64_t>(1024));
    EXPECT_EQ(m.data[0].size, 5U);
    EXPECT_EQ(m.data[0].name, ".rodata");
    const auto bytes = full_module();
    ASSERT_LE(m.data[0].file_offset + 5, bytes.size());
    EXPECT_EQ(std::string(bytes.v.begin() + static_cast<std::ptrdiff_t>(m.data[0].file_offset),
                          bytes.v.begin() + static_cast<std::ptrdiff_t>(m.data[0].file_offset + 5)),
              "hello");

    EXPECT_TRUE(m.data[1].passive);
    EXPECT_FALSE(m.data[1].address.has_value());
    EXPECT_EQ(m.data[1].size, 3U);
    EXPECT_EQ(m.data[1].name, ".data");
    EXPECT_EQ(bytes.v[m.data[1].file_offset], 'x');
}

TEST(WasmReader, DataSegmentFormsAndMemory64) {
    Bytes memories;
    memories.uleb(2).u8(0x00).uleb(1).u8(0x04).uleb(1);
    Bytes data;
    data.uleb(3);
    data.u8(0x02).uleb(1).u8(0x42).sleb(0x100000000LL).u8(0x0B).str("ab");  // memory 1, i64 address
    data.u8(0x00).u8(0x41).sleb(-16).u8(0x0B).str("c");                     // i32 -16 is address 2^32-16
    data.u8(0x00).u8(0x23).uleb(0).u8(0x0B).str("");                        // global.get: no address
    Bytes m = header();
    m.section(5, memories).section(11, data);
    const auto mod = parse(m);
    ASSERT_EQ(mod.data.size(), 3U);
    EXPECT_EQ(mod.data[0].memory_index, 1U);
    EXPECT_EQ(mod.data[0].address, std::optional<std::uint64_t>(0x100000000ULL));
    EXPECT_EQ(mod.data[1].address, std::optional<std::uint64_t>(0xFFFFFFF0ULL));
    EXPECT_FALSE(mod.data[2].passive);
    EXPECT_FALSE(mod.data[2].address.has_value());
    EXPECT_EQ(mod.data[2].size, 0U);

    Bytes bad_memory;
    bad_memory.uleb(1).u8(0x02).uleb(2).u8(0x41).sleb(0).u8(0x0B).str("");
    Bytes m2 = header();
    m2.section(5, memories).section(11, bad_memory);
    EXPECT_TRUE(contains(parse_error(m2).what(), "data segment 0 refers to memory 2 but the module has 2 memories"));

    Bytes bad_form;
    bad_form.uleb(1).u8(0x03).u8(0x00);
    EXPECT_TRUE(contains(parse_error(one_section(11, bad_form)).what(), "unknown data segment form 3"));
}

TEST(WasmReader, DataCountMustMatch) {
    Bytes count;
    count.uleb(3);
    Bytes data;
    data.uleb(1).u8(0x01).str("x");
    Bytes m = header();
    m.section(12, count).section(11, data);
    EXPECT_TRUE(contains(parse_error(m).what(), "the data section has 1 segments but the data count section says 3"));

    Bytes m2 = header();
    m2.section(12, count);
    EXPECT_TRUE(contains(parse_error(m2).what(), "there is no data section"));
}

TEST(WasmReader, ElementSegmentsOfAllForms) {
    Bytes elements;
    elements.uleb(8);
    elements.raw({0x00, 0x41, 0x00, 0x0B, 0x01, 0x00});
    elements.raw({0x01, 0x00, 0x01, 0x00});
    elements.raw({0x02, 0x00, 0x41, 0x00, 0x0B, 0x00, 0x01, 0x00});
    elements.raw({0x03, 0x00, 0x01, 0x00});
    elements.raw({0x04, 0x41, 0x00, 0x0B, 0x01, 0xD2, 0x00, 0x0B});
    elements.raw({0x05, 0x70, 0x01, 0xD0, 0x70, 0x0B});
    elements.raw({0x06, 0x00, 0x41, 0x00, 0x0B, 0x70, 0x01, 0xD2, 0x00, 0x0B});
    elements.raw({0x07, 0x70, 0x01, 0xD2, 0x00, 0x0B});
    const auto m = parse(one_section(9, elements));
    ASSERT_EQ(m.sections.size(), 1U);
    EXPECT_EQ(m.sections[0].name, "element");

    Bytes bad;
    bad.uleb(1).uleb(8).u8(0x00);
    EXPECT_TRUE(contains(parse_error(one_section(9, bad)).what(), "unknown element segment form 8"));
    Bytes too_many;
    too_many.uleb(3).raw({0x01, 0x00, 0x00});
    EXPECT_TRUE(contains(parse_error(one_section(9, too_many)).what(),
                         "the element segment count 3 needs at least 6 bytes (2 per entry) but only 3 are left in "
                         "section 9 (element) at byte offset 10"));
}

TEST(WasmReader, FunctionBodiesAndNames) {
    const auto bytes = full_module();
    const auto m = parse(bytes);
    ASSERT_EQ(m.functions.size(), 3U);
    EXPECT_EQ(m.functions[0].index, 1U);  // after the imported function
    EXPECT_EQ(m.functions[0].type_index, 0U);
    EXPECT_EQ(m.functions[0].body_size, 7U);
    EXPECT_EQ(m.functions[0].name, "add");
    EXPECT_EQ(bytes.v[m.functions[0].body_offset + 5], 0x6A);  // i32.add
    EXPECT_EQ(m.functions[1].index, 2U);
    EXPECT_EQ(m.functions[1].body_size, 2U);
    EXPECT_EQ(m.functions[1].body_offset, m.functions[0].body_offset + 7 + 1);  // + the next size byte
    EXPECT_EQ(m.functions[1].name, "");
    EXPECT_EQ(m.functions[2].index, 3U);
    EXPECT_EQ(m.functions[2].type_index, 1U);
    EXPECT_EQ(m.functions[2].body_size, 4U);
    EXPECT_EQ(m.module_name, "demo");
    EXPECT_EQ(m.function_names.at(0), "imported_f");
    EXPECT_EQ(m.data_names.at(1), ".data");
    EXPECT_EQ(m.start, std::optional<std::uint32_t>(2));
}

TEST(WasmReader, Exports) {
    const auto m = parse(full_module());
    ASSERT_EQ(m.exports.size(), 5U);
    EXPECT_EQ(m.exports[0].name, "exported_add");
    EXPECT_EQ(m.exports[0].kind, ExternalKind::function);
    EXPECT_EQ(m.exports[0].index, 1U);
    EXPECT_EQ(m.exports[2].name, "memory");
    EXPECT_EQ(m.exports[2].kind, ExternalKind::memory);
    EXPECT_EQ(m.exports[3].kind, ExternalKind::global);
    EXPECT_EQ(m.exports[3].index, 2U);
    EXPECT_EQ(m.exports[4].kind, ExternalKind::tag);
}

TEST(WasmReader, FunctionNameFallbackOrder) {
    const auto m = parse(full_module());
    EXPECT_EQ(m.function_name(0), "imported_f");  // name section
    EXPECT_EQ(m.function_name(1), "add");         // name section wins over the export "exported_add"
    EXPECT_EQ(m.function_name(2), "run");         // no name: first export
    EXPECT_EQ(m.function_name(3), "function[3]");
    EXPECT_EQ(m.function_name(99), "function[99]");
}

TEST(WasmReader, TargetFeaturesAndProducers) {
    const auto m = parse(full_module());
    EXPECT_EQ(m.target_features, (std::vector<std::string>{"simd128", "bulk-memory", "mutable-globals"}));
    ASSERT_EQ(m.producers.size(), 2U);
    EXPECT_EQ(m.producers[0].first, "language");
    ASSERT_EQ(m.producers[0].second.size(), 1U);
    EXPECT_EQ(m.producers[0].second[0], (std::pair<std::string, std::string>{"C11", ""}));
    EXPECT_EQ(m.producers[1].first, "processed-by");
    ASSERT_EQ(m.producers[1].second.size(), 2U);
    EXPECT_EQ(m.producers[1].second[0], (std::pair<std::string, std::string>{"clang", "14.0.6"}));
    EXPECT_EQ(m.producers[1].second[1], (std::pair<std::string, std::string>{"wasm-opt", "116"}));
}

TEST(WasmReader, SectionList) {
    const auto bytes = full_module();
    const auto m = parse(bytes);
    std::vector<std::string> names;
    for (const auto& s : m.sections) names.push_back(s.name);
    EXPECT_EQ(names, (std::vector<std::string>{"type", "import", "function", "table", "tag", "global", "export",
                                               "start", "element", "datacount", "code", "data", "name", "producers",
                                               "target_features", ".debug_info"}));
    EXPECT_EQ(m.sections[0].id, 1U);
    EXPECT_EQ(m.sections[0].offset, 8U);
    EXPECT_EQ(m.sections[0].payload_offset, 10U);
    EXPECT_EQ(m.sections[4].id, 13U);
    EXPECT_EQ(m.sections[12].id, 0U);
    // Sections tile the file: each starts where the previous payload ends.
    for (std::size_t i = 1; i < m.sections.size(); ++i) {
        EXPECT_EQ(m.sections[i].offset, m.sections[i - 1].payload_offset + m.sections[i - 1].size);
    }
    const auto& last = m.sections.back();
    EXPECT_EQ(last.payload_offset + last.size, bytes.size());
    EXPECT_EQ(last.size, 1U + 11U + 3U);  // name length byte, ".debug_info", contents
}

TEST(WasmReader, MalformedCustomSectionsAreIgnored) {
    Bytes bad_names;
    bad_names.u8(1).uleb(5).uleb(1000000).uleb(0).u8(3).raw({'a', 'b', 'c'});  // a count far too large
    Bytes bad_producers;
    bad_producers.uleb(1).str("language").uleb(1).str("C");  // version missing
    Bytes bad_features;
    bad_features.uleb(1).u8('?').str("simd128");
    Bytes invalid_utf8;
    invalid_utf8.u8(0).uleb(3).uleb(2).raw({0xC0, 0x80});  // overlong NUL as module name
    Bytes m = header();
    m.custom("name", bad_names).custom("producers", bad_producers).custom("target_features", bad_features);
    m.custom("name", invalid_utf8);
    const auto mod = parse(m);
    ASSERT_EQ(mod.sections.size(), 4U);
    EXPECT_EQ(mod.sections[0].name, "name");
    EXPECT_EQ(mod.sections[1].name, "producers");
    EXPECT_TRUE(mod.function_names.empty());
    EXPECT_TRUE(mod.producers.empty());
    EXPECT_TRUE(mod.target_features.empty());
    EXPECT_EQ(mod.module_name, "");
}

TEST(WasmReader, CustomSectionNameMustFit) {
    Bytes m = header();
    m.u8(0).uleb(2).uleb(10).u8('x');
    const auto e = parse_error(m);
    EXPECT_TRUE(contains(e.what(), "the custom section name length 10 runs past the end of section 0 (custom)"));
    EXPECT_EQ(e.offset, 10U);
}

// --- Errors ------------------------------------------------------------------

TEST(WasmReaderErrors, BadMagic) {
    const Bytes elf{0x7F, 'E', 'L', 'F', 0x02, 0x01, 0x01, 0x00};
    const auto e = parse_error(elf);
    EXPECT_TRUE(contains(e.what(), "not a WebAssembly module: bad magic 0x7F 0x45 0x4C 0x46"));
    EXPECT_TRUE(contains(e.what(), "at byte offset 0"));
    EXPECT_EQ(e.offset, 0U);
    EXPECT_TRUE(contains(parse_error(Bytes{'a'}).what(), "bad magic"));
}

TEST(WasmReaderErrors, BadVersion) {
    const auto e = parse_error(Bytes{0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00});
    EXPECT_EQ(std::string(e.what()),
              "unsupported WebAssembly version 2 (only version 1 is supported) at byte offset 4");
    EXPECT_EQ(e.offset, 4U);
    const auto component = parse_error(Bytes{0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00});
    EXPECT_TRUE(contains(component.what(), "component"));
}

TEST(WasmReaderErrors, TruncatedHeader) {
    const auto e = parse_error(Bytes{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00});
    EXPECT_TRUE(contains(e.what(), "unexpected end of file reading the module header"));
    EXPECT_TRUE(contains(e.what(), "at byte offset 6"));
    EXPECT_EQ(e.offset, 6U);
    EXPECT_EQ(parse_error(Bytes{}).offset, 0U);
    EXPECT_THROW((void)wasm::parse(nullptr, 0), ParseError);
}

TEST(WasmReaderErrors, TruncatedSection) {
    // The file ends after a section id.
    Bytes m = header();
    m.u8(0x01);
    auto e = parse_error(m);
    EXPECT_EQ(std::string(e.what()), "unexpected end of file reading a section size at byte offset 9");

    // The file ends inside a section's contents (the section length says so).
    Bytes types;
    types.uleb(1).raw({0x60, 0x01, 0x7F});  // the result count is missing
    e = parse_error(one_section(1, types));
    EXPECT_EQ(std::string(e.what()), "unexpected end of section 1 (type) reading the result count at byte offset 14");
    EXPECT_EQ(e.offset, 14U);
}

TEST(WasmReaderErrors, SectionLengthPastTheEnd) {
    Bytes m = header();
    m.section(1, Bytes{0x00});  // a valid, empty type section: 3 bytes, at offset 8
    m.u8(10).uleb(5000).raw({0x01, 0x02, 0x03});
    const auto e = parse_error(m);
    EXPECT_EQ(std::string(e.what()),
              "section 10 (code) length 5000 runs past the end of the file (17 bytes) at byte offset 11");
    EXPECT_EQ(e.offset, 11U);
}

TEST(WasmReaderErrors, OverlongLeb128) {
    // Padded to the maximum length is fine (wasm-ld writes 5-byte LEBs).
    Bytes padded;
    padded.raw({0x80, 0x80, 0x80, 0x80, 0x00});
    EXPECT_NO_THROW((void)parse(one_section(1, padded)));

    // A sixth byte is not.
    Bytes m = header();
    m.u8(0x01).raw({0x86, 0x80, 0x80, 0x80, 0x80, 0x00});
    auto e = parse_error(m);
    EXPECT_EQ(std::string(e.what()),
              "bad LEB128 reading a section size: longer than 5 bytes for a u32 at byte offset 9");
    EXPECT_EQ(e.offset, 9U);

    // Unused bits set in the 5th byte (a value of 2^32 or more).
    Bytes count;
    count.raw({0xFF, 0xFF, 0xFF, 0xFF, 0x1F});
    e = parse_error(one_section(3, count));
    EXPECT_TRUE(contains(e.what(), "bad LEB128 reading the function count: unused bits"));
    EXPECT_EQ(e.offset, 10U);

    // The file ends in the middle of a LEB128.
    Bytes cut = header();
    cut.u8(0x01).u8(0x80);
    EXPECT_TRUE(contains(parse_error(cut).what(), "unexpected end of file reading a section size at byte offset 10"));
}

TEST(WasmReaderErrors, CountLargerThanTheRemainingBytes) {
    Bytes functions;
    functions.raw({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}).uleb(0);  // 4294967295 functions in 6 bytes
    auto e = parse_error(one_section(3, functions));
    EXPECT_EQ(
        std::string(e.what()),
        "the function count 4294967295 is larger than the 1 bytes left in section 3 (function) at byte offset 10");

    Bytes types;
    types.uleb(1000000).raw({0x60, 0x00, 0x00});
    e = parse_error(one_section(1, types));
    EXPECT_TRUE(contains(e.what(),
                         "the type count 1000000 needs at least 3000000 bytes (3 per entry) but only 3 are "
                         "left in section 1 (type)"));

    Bytes params;
    params.uleb(1).u8(0x60).uleb(0x7FFFFFFF);
    EXPECT_TRUE(contains(parse_error(one_section(1, params)).what(), "the parameter count 2147483647 is larger"));

    Bytes name;
    name.uleb(1).uleb(0xFFFFFFF0).raw({'e', 'n', 'v'});
    EXPECT_TRUE(contains(parse_error(one_section(2, name)).what(),
                         "an import module name length 4294967280 runs past the end of section 2 (import)"));
}

TEST(WasmReaderErrors, TrailingBytes) {
    Bytes types;
    types.uleb(0).raw({0xAA, 0xBB});
    const auto e = parse_error(one_section(1, types));
    EXPECT_EQ(std::string(e.what()), "section 1 (type) has 2 trailing bytes at byte offset 11");
    EXPECT_EQ(e.offset, 11U);
}

TEST(WasmReaderErrors, SectionOrderAndIds) {
    Bytes empty;
    empty.uleb(0);
    Bytes m = header();
    m.section(1, empty).section(1, empty);
    EXPECT_TRUE(contains(parse_error(m).what(), "duplicate section 1 (type) at byte offset 11"));

    Bytes m2 = header();
    m2.section(11, empty).section(1, empty);
    EXPECT_TRUE(contains(parse_error(m2).what(), "section 1 (type) is out of order"));

    Bytes m3 = header();
    m3.section(14, empty);
    EXPECT_EQ(std::string(parse_error(m3).what()), "unknown section id 14 at byte offset 8");

    // Custom sections may go anywhere; data count goes before code.
    Bytes m4 = header();
    m4.custom("a", Bytes{}).section(12, empty).custom("b", Bytes{}).section(10, empty);
    EXPECT_NO_THROW((void)parse(m4));
}

TEST(WasmReaderErrors, FunctionAndCodeCounts) {
    Bytes types;
    types.uleb(1).raw({0x60, 0x00, 0x00});
    Bytes functions;
    functions.uleb(2).uleb(0).uleb(0);
    Bytes code;
    code.uleb(1).uleb(2).raw({0x00, 0x0B});
    Bytes m = header();
    m.section(1, types).section(3, functions).section(10, code);
    EXPECT_TRUE(contains(parse_error(m).what(),
                         "the code section has 1 function bodies but the function section declares 2 functions"));

    Bytes m2 = header();
    m2.section(1, types).section(3, functions);
    EXPECT_TRUE(contains(parse_error(m2).what(), "declares 2 functions but there is no code section"));

    Bytes bad_type;
    bad_type.uleb(1).uleb(5);
    Bytes m3 = header();
    m3.section(1, types).section(3, bad_type);
    EXPECT_TRUE(
        contains(parse_error(m3).what(), "the type index of a function 5 is out of range (the module has 1 types)"));

    Bytes one;
    one.uleb(1).uleb(0);
    Bytes no_end;
    no_end.uleb(1).uleb(2).raw({0x00, 0x01});
    Bytes m4 = header();
    m4.section(1, types).section(3, one).section(10, no_end);
    EXPECT_TRUE(contains(parse_error(m4).what(), "the body of function 0 does not end with an end instruction"));

    Bytes long_body;
    long_body.uleb(1).uleb(50).raw({0x00, 0x0B});
    Bytes m5 = header();
    m5.section(1, types).section(3, one).section(10, long_body);
    EXPECT_TRUE(
        contains(parse_error(m5).what(), "the body of function 0 (50 bytes) runs past the end of section 10 (code)"));
}

TEST(WasmReaderErrors, ExportIndexOutOfRange) {
    Bytes exports;
    exports.uleb(1).str("main").u8(0x00).uleb(0);
    EXPECT_TRUE(contains(parse_error(one_section(7, exports)).what(),
                         "export \"main\" refers to function 0 but the module has 0"));
}

TEST(WasmReaderErrors, UnknownValueTypeAndImportKind) {
    Bytes types;
    types.uleb(1).raw({0x60, 0x01, 0x40, 0x00});
    EXPECT_TRUE(contains(parse_error(one_section(1, types)).what(), "unknown value type 0x40"));

    Bytes imports;
    imports.uleb(1).str("m").str("n").u8(0x05);
    EXPECT_TRUE(contains(parse_error(one_section(2, imports)).what(), "unknown import kind 0x05"));

    Bytes bad_name;
    bad_name.uleb(1).uleb(2).raw({0xED, 0xA0}).str("n").u8(0x00).uleb(0);
    EXPECT_TRUE(contains(parse_error(one_section(2, bad_name)).what(), "an import module name is not valid UTF-8"));
}

// The one UTF-8 decoder the reader's name check and the analysis JSON writer share.
TEST(WasmReaderUtf8, SequenceLengthFollowsRfc3629) {
    const auto length = [](std::initializer_list<std::uint8_t> b) {
        const std::vector<std::uint8_t> v(b);
        return wasm::utf8_sequence_length(v.data(), v.size());
    };
    EXPECT_EQ(length({0xC3, 0xA9}), 2u);              // U+00E9
    EXPECT_EQ(length({0xE2, 0x82, 0xAC, 'x'}), 3u);   // U+20AC, then more text
    EXPECT_EQ(length({0xF0, 0x9F, 0x98, 0x80}), 4u);  // U+1F600
    EXPECT_EQ(length({'a'}), 0u);                     // ASCII is the caller's
    EXPECT_EQ(length({0xC0, 0xAF}), 0u);              // overlong '/'
    EXPECT_EQ(length({0xED, 0xA0, 0x80}), 0u);        // surrogate U+D800
    EXPECT_EQ(length({0xF4, 0x90, 0x80, 0x80}), 0u);  // above U+10FFFF
    EXPECT_EQ(length({0xE2, 0x82}), 0u);              // truncated
    EXPECT_EQ(length({0xC3, 0x41}), 0u);              // not a continuation byte
    EXPECT_EQ(length({0x80}), 0u);                    // a lone continuation byte
}

TEST(WasmReaderErrors, EveryTruncationOfAValidModuleFailsCleanly) {
    const auto bytes = full_module();
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        // Cutting inside a custom section's contents may still parse; it must never crash.
        try {
            (void)wasm::parse(bytes.v.data(), n);
        } catch (const ParseError& e) {
            EXPECT_LE(e.offset, n) << e.what();
        }
    }
    // And flipping every byte of it either parses or gives a ParseError.
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (const unsigned x : {0x01U, 0x80U, 0xFFU}) {
            auto copy = bytes.v;
            copy[i] = static_cast<std::uint8_t>(copy[i] ^ x);
            try {
                (void)wasm::parse(copy.data(), copy.size());
            } catch (const ParseError& e) {
                EXPECT_LE(e.offset, copy.size()) << e.what();
            }
        }
    }
}

TEST(WasmReader, LargeModule) {
    // 20000 functions with 500-byte bodies (10 MB): parses, bodies located.
    constexpr std::uint32_t n = 20000;
    Bytes types;
    types.uleb(1).raw({0x60, 0x00, 0x00});
    Bytes functions;
    functions.uleb(n);
    for (std::uint32_t i = 0; i < n; ++i) functions.uleb(0);
    Bytes code;
    code.uleb(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        code.uleb(500).u8(0x00);
        code.v.insert(code.v.end(), 498, 0x01);  // nop
        code.u8(0x0B);
    }
    Bytes m = header();
    m.section(1, types).section(3, functions).section(10, code);
    const auto mod = parse(m);
    ASSERT_EQ(mod.functions.size(), n);
    EXPECT_EQ(mod.functions.back().index, n - 1);
    EXPECT_EQ(mod.functions.back().body_size, 500U);
    EXPECT_EQ(mod.functions.back().body_offset + 500, m.size());
}

TEST(WasmReadFile, ReadsAndReportsThePath) {
    const std::string good = buildbudget::test::write_temp_file("wasm_reader_test_good.wasm", full_module().v);
    const std::string bad = buildbudget::test::write_temp_file("wasm_reader_test_bad.wasm",
                                                               {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09});
    ASSERT_FALSE(good.empty());
    ASSERT_FALSE(bad.empty());

    const auto m = wasm::read_file(good);
    EXPECT_EQ(m.functions.size(), 3U);

    try {
        (void)wasm::read_file(bad);
        ADD_FAILURE() << "no error";
    } catch (const ParseError& e) {
        EXPECT_EQ(std::string(e.what()),
                  bad + ": section 1 (type) length 9 runs past the end of the file (10 bytes) at byte offset 8");
        EXPECT_EQ(e.offset, 8U);
    }

    const std::string missing = ::testing::TempDir() + "wasm_reader_test_missing.wasm";
    try {
        (void)wasm::read_file(missing);
        ADD_FAILURE() << "no error";
    } catch (const ParseError& e) {
        ADD_FAILURE() << "a ParseError for a missing file: " << e.what();
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), missing + ": cannot read: No such file or directory");
    }
    const std::string directory = ::testing::TempDir();
    try {
        (void)wasm::read_file(directory);
        ADD_FAILURE() << "no error";
    } catch (const ParseError& e) {
        ADD_FAILURE() << "a ParseError for a directory: " << e.what();
    } catch (const std::runtime_error& e) {
        EXPECT_TRUE(contains(e.what(), directory + ": cannot read: "));
    }
    std::remove(good.c_str());
    std::remove(bad.c_str());
}

// read_file_bytes()/map_module(): a regular file is mapped, a FIFO is read;
// both give the file's bytes and the same module.
TEST(WasmReadFile, MapsRegularFilesAndReadsPipes) {
    const Bytes module = full_module();
    const std::string path = buildbudget::test::write_temp_file("wasm_reader_test_mapped.wasm", module.v);
    ASSERT_FALSE(path.empty());

    wasm::MappedModule mapped = wasm::map_module(path);
    EXPECT_TRUE(mapped.bytes.mapped());
    EXPECT_EQ(std::vector<std::uint8_t>(mapped.bytes.begin(), mapped.bytes.end()), module.v);
    EXPECT_EQ(mapped.module.functions.size(), 3U);
    // Moving keeps the mapping; the moved-from object is empty.
    wasm::FileBytes moved = std::move(mapped.bytes);
    EXPECT_TRUE(moved.mapped());
    EXPECT_EQ(moved.size(), module.v.size());
    EXPECT_TRUE(mapped.bytes.empty());  // NOLINT(bugprone-use-after-move): a moved-from FileBytes is empty

    const std::string fifo = ::testing::TempDir() + "wasm_reader_test_fifo";
    std::remove(fifo.c_str());
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    std::thread writer([&] {
        std::FILE* w = std::fopen(fifo.c_str(), "wb");
        if (w == nullptr) return;
        std::fwrite(module.v.data(), 1, module.v.size(), w);
        std::fclose(w);
    });
    const wasm::FileBytes piped = wasm::read_file_bytes(fifo);
    writer.join();
    EXPECT_FALSE(piped.mapped());
    EXPECT_EQ(std::vector<std::uint8_t>(piped.begin(), piped.end()), module.v);

    // An empty file is not mapped (mmap refuses length 0) and is no module.
    const std::string empty = ::testing::TempDir() + "wasm_reader_test_empty.wasm";
    std::fclose(std::fopen(empty.c_str(), "wb"));
    EXPECT_TRUE(wasm::read_file_bytes(empty).empty());
    try {
        (void)wasm::map_module(empty);
        ADD_FAILURE() << "no error";
    } catch (const ParseError& e) {
        EXPECT_EQ(e.offset, 0U);
        EXPECT_TRUE(contains(e.what(), empty + ": unexpected end of file reading the module header")) << e.what();
    }
    std::remove(path.c_str());
    std::remove(fifo.c_str());
    std::remove(empty.c_str());
}

// release_read_pages(): the pages of a mapped file leave the resident set and
// read back the same bytes; bytes read into memory are left alone (for them,
// MADV_DONTNEED would mean zeros).
TEST(WasmReadFile, ReleasedPagesLeaveTheResidentSetAndReadBackTheSame) {
    constexpr std::size_t size = std::size_t{1} << 20;
    const std::vector<std::uint8_t> pattern = patterned_bytes(size, 7);
    const std::string path = buildbudget::test::write_temp_file("wasm_reader_test_release.bin", pattern);
    ASSERT_FALSE(path.empty());

    const wasm::FileBytes bytes = wasm::read_file_bytes(path);
    ASSERT_TRUE(bytes.mapped());
    ASSERT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), pattern);  // every page read
    EXPECT_GE(buildbudget::test::resident_kib(bytes.data()), 1000);
    // From byte 100: every page but the first (only whole pages go); done with all of it.
    EXPECT_EQ(wasm::release_read_pages(bytes.data() + 100, size - 100), size - 100);
    EXPECT_LE(buildbudget::test::resident_kib(bytes.data()), 4);
    EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), pattern);
    // Less than a page: nothing goes, nothing is done with.
    EXPECT_EQ(wasm::release_read_pages(bytes.data() + 100, 1000), 0U);

    // Bytes read into memory cannot go: done with them all at once.
    const std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
    EXPECT_EQ(wasm::release_read_pages(copy.data(), copy.size()), copy.size());
    EXPECT_EQ(copy, pattern);
    std::remove(path.c_str());
}

// A file of 16 MiB or more is read into memory on 2 MiB pages where the kernel
// gives them on request (mapped elsewhere). release_read_pages() lets go the
// whole 2 MiB pages of a range by mapping the file over them: the same bytes
// read back.
TEST(WasmReadFile, LargeFileIsCopiedToHugePagesThatGoBackToTheFile) {
    constexpr std::size_t mib = std::size_t{1} << 20, size = 20 * mib + 123;
    const std::vector<std::uint8_t> pattern = patterned_bytes(size, 7);
    const std::string path = buildbudget::test::write_temp_file("wasm_reader_test_huge.bin", pattern);
    ASSERT_FALSE(path.empty());

    const wasm::FileBytes bytes = wasm::read_file_bytes(path);
    ASSERT_EQ(bytes.size(), size);
    if (!buildbudget::transparent_huge_pages_on_request()) {
        EXPECT_TRUE(bytes.mapped());
        EXPECT_FALSE(bytes.copied_to_huge_pages());
        EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), pattern);
        std::remove(path.c_str());
        return;
    }
    ASSERT_TRUE(bytes.copied_to_huge_pages());
    EXPECT_FALSE(bytes.mapped());
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(bytes.data()) % (2 * mib), 0U);
    EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), pattern);
    const auto region = buildbudget::test::resident_in(bytes.data(), 22 * mib);
    EXPECT_TRUE(region.first_advised_huge);
    EXPECT_GE(region.kib, 20 * 1024);

    // No whole 2 MiB page in the range: nothing goes.
    EXPECT_EQ(wasm::release_read_pages(bytes.data() + 100, 2 * mib), 0U);
    EXPECT_EQ(buildbudget::test::resident_in(bytes.data(), 22 * mib).kib, region.kib);
    // From 1 MiB to 7 MiB and 5 bytes: the pages from 2 MiB to 6 MiB go, done with up to 6 MiB.
    EXPECT_EQ(wasm::release_read_pages(bytes.data() + mib, 6 * mib + 5), 5 * mib);
    EXPECT_EQ(buildbudget::test::resident_in(bytes.data(), 22 * mib).kib, region.kib - 4 * 1024);
    // The rest behind a reader: all but the first 2 MiB and the last page's 123 bytes.
    wasm::ReleaseBehind behind(bytes.data(), 6 * mib);
    behind.finish(size);
    EXPECT_EQ(buildbudget::test::resident_in(bytes.data(), 22 * mib).kib, region.kib - 18 * 1024);
    // Read back from the file.
    EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), pattern);
    std::remove(path.c_str());
}

// read_file_bytes(path, true): a large file is copied by a thread of its own while its reader
// reads what has arrived; once the copy is finished it is read-only. A module found malformed
// while its copy is still being made gives its ParseError, and its bytes go only after the
// copying thread has stopped.
TEST(WasmReadFile, LargeFileIsCopiedWhileItsReaderReadsWhatArrived) {
    constexpr std::size_t mib = std::size_t{1} << 20, size = 20 * mib + 123;
    const std::vector<std::uint8_t> pattern = patterned_bytes(size, 5);
    const std::string path = buildbudget::test::write_temp_file("wasm_reader_test_arrival.bin", pattern);
    ASSERT_FALSE(path.empty());

    wasm::FileBytes bytes = wasm::read_file_bytes(path, /*in_background=*/true);
    ASSERT_EQ(bytes.size(), size);
    ASSERT_EQ(bytes.copied_to_huge_pages(), buildbudget::transparent_huge_pages_on_request());
    const std::size_t got = bytes.arrived(3 * mib);
    EXPECT_GE(got, 3 * mib);
    EXPECT_LE(got, size);
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.begin() + got, pattern.begin()));
    bytes.finish_reading();
    EXPECT_EQ(bytes.arrived(size + 5), size);
    EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), pattern);
    if (bytes.copied_to_huge_pages()) {
        // The mapping that holds the copy is read-only now.
        std::ifstream maps("/proc/self/maps");
        const auto start = reinterpret_cast<std::uintptr_t>(bytes.data());
        std::string line, perms;
        while (std::getline(maps, line)) {
            const std::uintptr_t from = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
            const std::uintptr_t to = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
            if (from <= start && start < to) perms = line.substr(line.find(' ') + 1, 4);
        }
        EXPECT_EQ(perms, "r--p");
    }

    // A section id 14 right after the header: the parse fails at byte 8 while the rest arrives.
    std::vector<std::uint8_t> bad = pattern;
    const std::uint8_t header[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 14};
    std::copy(std::begin(header), std::end(header), bad.begin());
    const std::string bad_path = buildbudget::test::write_temp_file("wasm_reader_test_arrival_bad.wasm", bad);
    ASSERT_FALSE(bad_path.empty());
    try {
        (void)wasm::map_module(bad_path);
        ADD_FAILURE() << "no ParseError";
    } catch (const ParseError& e) {
        EXPECT_EQ(e.offset, 8U);
        EXPECT_NE(std::string(e.what()).find(bad_path + ": unknown section id 14"), std::string::npos) << e.what();
    }
    std::remove(path.c_str());
    std::remove(bad_path.c_str());
}

// ReleaseBehind: nothing goes until a step (1 MiB) has gathered behind the
// reader, then everything behind it; finish() lets the rest go at once.
TEST(WasmReadFile, ReleaseBehindLetsGoAStepAtATime) {
    constexpr std::size_t mib = std::size_t{1} << 20, size = 4 * mib;
    static_assert(wasm::ReleaseBehind::step == mib);
    const std::vector<std::uint8_t> pattern(size, 0x5A);
    const std::string path = buildbudget::test::write_temp_file("wasm_reader_test_release_behind.bin", pattern);
    ASSERT_FALSE(path.empty());

    const wasm::FileBytes bytes = wasm::read_file_bytes(path);
    ASSERT_TRUE(bytes.mapped());
    ASSERT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), pattern);  // every page read
    const long whole = buildbudget::test::resident_kib(bytes.data());
    EXPECT_GE(whole, 4000);
    wasm::ReleaseBehind behind(bytes.data(), mib / 2);
    behind.advance(mib);  // half a step behind: nothing goes
    EXPECT_EQ(buildbudget::test::resident_kib(bytes.data()), whole);
    // A step and two pages: the 1032 KiB from 512 KiB on go. (Where the page cache maps the file in
    // 2 MiB folios, the kernel unmaps the whole folio that a range cuts into: the first 2 MiB go.)
    behind.advance(mib / 2 + mib + 8192);
    EXPECT_LE(buildbudget::test::resident_kib(bytes.data()), whole - 1032);
    EXPECT_GE(buildbudget::test::resident_kib(bytes.data()), whole - 2048);  // nothing from 2 MiB on
    behind.finish(size);
    EXPECT_LE(buildbudget::test::resident_kib(bytes.data()), 512);
    EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), pattern);
    std::remove(path.c_str());
}

// A data segment's name is one pointer (reader.hpp, SegmentName) that reads
// and copies like the string it holds.
TEST(WasmReader, SegmentNamesCopyAndCompareAsStrings) {
    static_assert(sizeof(wasm::SegmentName) == sizeof(void*), "a segment name is one pointer");
    wasm::DataSegment named;
    named.name = std::string(".rodata");
    wasm::DataSegment copy = named;
    named.name = std::string("changed");
    EXPECT_EQ(copy.name, ".rodata");
    EXPECT_EQ(std::string("[") + copy.name.str() + "]", "[.rodata]");
    EXPECT_EQ(" " + copy.name, " .rodata");
    EXPECT_EQ(std::string_view(copy.name), ".rodata");
    wasm::DataSegment unnamed;
    EXPECT_TRUE(unnamed.name.empty());
    EXPECT_EQ(unnamed.name, "");
    unnamed.name = std::string();
    EXPECT_TRUE(unnamed.name.empty());
    const std::string& text = copy.name;
    EXPECT_EQ(text, ".rodata");
}
