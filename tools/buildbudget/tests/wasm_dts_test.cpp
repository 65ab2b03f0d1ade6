// Unit tests of wasm/dts.hpp (TypeScript declarations for a module) and of
// the two things the reader gained for it: local names (name subsection 2)
// and table element types. Modules are built from bytes here; the expected
// types come from the WebAssembly JS API's ToJSValue / ToWebAssemblyValue
// (i32/f32/f64 number, i64 bigint, ...), written out by hand. The real
// TypeScript compiler and Node.js check the output in tests/test_wasm_dts.py.
#include "wasm/dts.hpp"
#include "wasm/reader.hpp"

#include "page_text.hpp"
#include "wasm_bytes.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace wasm = buildbudget::wasm;
using wasm::ValueType;

namespace {

using buildbudget::test::Bytes;
using buildbudget::test::contains;
using buildbudget::test::header;
using buildbudget::test::parse;

constexpr std::uint8_t i32 = 0x7F, i64 = 0x7E, f32 = 0x7D, f64 = 0x7C, v128 = 0x7B, funcref = 0x70, externref = 0x6F;

// A function type: 0x60, params, results.
Bytes functype(std::initializer_list<std::uint8_t> params, std::initializer_list<std::uint8_t> results) {
    Bytes b;
    b.u8(0x60).uleb(params.size()).raw(params).uleb(results.size()).raw(results);
    return b;
}

// A module whose functions 0..n-1 have types 0..n-1 (bodies: `unreachable end`),
// each exported under the given name; `extra` sections (custom ones) go last.
Bytes functions_module(const std::vector<std::pair<std::string, Bytes>>& exports, const Bytes& extra = {}) {
    Bytes types, functions, exps, code;
    types.uleb(exports.size());
    functions.uleb(exports.size());
    exps.uleb(exports.size());
    code.uleb(exports.size());
    for (std::size_t i = 0; i < exports.size(); ++i) {
        types.append(exports[i].second);
        functions.uleb(i);
        exps.str(exports[i].first).u8(0x00).uleb(i);
        code.uleb(3).raw({0x00, 0x00, 0x0B});
    }
    Bytes m = header();
    m.section(1, types).section(3, functions).section(7, exps).section(10, code);
    return m.append(extra);
}

std::string dts(const Bytes& b, const std::string& file = "test.wasm", const std::string& name = "") {
    return wasm::generate_dts(parse(b), {file, name});
}

::testing::AssertionResult has_line(const std::string& text, const std::string& line) {
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = text.find('\n', start);
        const std::string current = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (current == line) return ::testing::AssertionSuccess();
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return ::testing::AssertionFailure() << "no line \"" << line << "\" in:\n" << text;
}

}  // namespace

// --- Value types and signatures ------------------------------------------------

TEST(WasmDts, ValueTypesFollowTheJsApi) {
    EXPECT_EQ(wasm::ts_value_type(ValueType::i32), "number");
    EXPECT_EQ(wasm::ts_value_type(ValueType::f32), "number");
    EXPECT_EQ(wasm::ts_value_type(ValueType::f64), "number");
    EXPECT_EQ(wasm::ts_value_type(ValueType::i64), "bigint");
    EXPECT_EQ(wasm::ts_value_type(ValueType::funcref), "Function | null");
    EXPECT_EQ(wasm::ts_value_type(ValueType::externref), "unknown");
    EXPECT_EQ(wasm::ts_value_type(ValueType::v128), "never");
}

TEST(WasmDts, FunctionExports) {
    const std::string text = dts(functions_module({
        {"numbers", functype({i32, i64, f32, f64}, {f64})},
        {"nothing", functype({}, {})},
        {"one_i64", functype({}, {i64})},
        {"multi", functype({i32, i64}, {i32, i64})},
        {"three", functype({f32}, {f64, i64, i32})},
        {"refs", functype({funcref, externref}, {externref})},
        {"give_func", functype({}, {funcref})},
    }));
    EXPECT_TRUE(has_line(text, "    readonly numbers: (p0: number, p1: bigint, p2: number, p3: number) => number;"));
    EXPECT_TRUE(has_line(text, "    /** (func (param i32 i64 f32 f64) (result f64)) */"));
    EXPECT_TRUE(has_line(text, "    readonly nothing: () => void;"));
    EXPECT_TRUE(has_line(text, "    /** (func) */"));
    EXPECT_TRUE(has_line(text, "    readonly one_i64: () => bigint;"));
    EXPECT_TRUE(has_line(text, "    readonly multi: (p0: number, p1: bigint) => [number, bigint];"));
    EXPECT_TRUE(has_line(text, "    /** (func (param i32 i64) (result i32 i64)) */"));
    EXPECT_TRUE(has_line(text, "    readonly three: (p0: number) => [number, bigint, number];"));
    EXPECT_TRUE(has_line(text, "    readonly refs: (p0: Function | null, p1: unknown) => unknown;"));
    EXPECT_TRUE(has_line(text, "    readonly give_func: () => Function | null;"));
}

TEST(WasmDts, V128FunctionsCannotBeCalled) {
    const std::string text = dts(functions_module({
        {"simd_param", functype({i32, v128}, {i32})},
        {"simd_result", functype({}, {v128})},
    }));
    EXPECT_TRUE(has_line(text, "    readonly simd_param: (...args: never) => never;"));
    EXPECT_TRUE(has_line(text, "    readonly simd_result: (...args: never) => never;"));
    EXPECT_TRUE(has_line(text, "     * (func (param i32 v128) (result i32))"));
    EXPECT_TRUE(has_line(text, "     * (func (result v128))"));
    EXPECT_TRUE(contains(text, "Cannot be called from JavaScript: v128 does not cross the JS boundary, the call "
                               "throws a TypeError"));
}

TEST(WasmDts, WatFunctionType) {
    wasm::FuncType t;
    t.params = {ValueType::i32, ValueType::i64};
    t.results = {ValueType::f64};
    EXPECT_EQ(wasm::wat_func_type(t), "(func (param i32 i64) (result f64))");
    EXPECT_EQ(wasm::wat_func_type(t, "fib"), "(func $fib (param i32 i64) (result f64))");
    EXPECT_EQ(wasm::wat_func_type(t, "a b"), "(func $\"a b\" (param i32 i64) (result f64))");
    EXPECT_EQ(wasm::wat_func_type({}), "(func)");
}

// --- Names -------------------------------------------------------------------------

TEST(WasmDts, PropertyNames) {
    EXPECT_EQ(wasm::property_name("add"), "add");
    EXPECT_EQ(wasm::property_name("_start"), "_start");
    EXPECT_EQ(wasm::property_name("$x1"), "$x1");
    EXPECT_EQ(wasm::property_name("toString"), "toString");  // an ordinary property of the exports object
    EXPECT_EQ(wasm::property_name("my-func"), "\"my-func\"");
    EXPECT_EQ(wasm::property_name("1st"), "\"1st\"");
    EXPECT_EQ(wasm::property_name(""), "\"\"");
    EXPECT_EQ(wasm::property_name("class"), "\"class\"");
    EXPECT_EQ(wasm::property_name("delete"), "\"delete\"");
    EXPECT_EQ(wasm::property_name("constructor"), "\"constructor\"");
    EXPECT_EQ(wasm::property_name("readonly"), "\"readonly\"");
    EXPECT_EQ(wasm::property_name("get"), "\"get\"");
    EXPECT_EQ(wasm::property_name("h\xC3\xA9llo"), "\"h\xC3\xA9llo\"");  // héllo, as UTF-8
    EXPECT_EQ(wasm::property_name("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(wasm::property_name(std::string("nl\nnul\0", 7)), "\"nl\\u000Anul\\u0000\"");
    EXPECT_EQ(wasm::property_name("ls\xE2\x80\xA8ps\xE2\x80\xA9"), "\"ls\\u2028ps\\u2029\"");
    EXPECT_EQ(wasm::property_name("*/"), "\"*/\"");
}

TEST(WasmDts, Identifiers) {
    EXPECT_TRUE(wasm::is_js_identifier("Foo"));
    EXPECT_TRUE(wasm::is_js_identifier("_a$1"));
    EXPECT_FALSE(wasm::is_js_identifier(""));
    EXPECT_FALSE(wasm::is_js_identifier("1a"));
    EXPECT_FALSE(wasm::is_js_identifier("a-b"));
    EXPECT_FALSE(wasm::is_js_identifier("a b"));
    EXPECT_FALSE(wasm::is_js_identifier("h\xC3\xA9"));
    for (const char* word : {"class", "delete", "enum", "await", "yield", "let", "static", "arguments", "eval", "this"}) {
        EXPECT_TRUE(wasm::is_reserved_word(word)) << word;
        EXPECT_FALSE(wasm::is_js_identifier(word)) << word;
    }
    EXPECT_FALSE(wasm::is_reserved_word("toString"));
    EXPECT_FALSE(wasm::is_reserved_word("Class"));
}

TEST(WasmDts, DefaultInterfaceName) {
    EXPECT_EQ(wasm::default_interface_name("img-proc.simd.wasm"), "ImgProcSimd");
    EXPECT_EQ(wasm::default_interface_name("my_module.wasm"), "MyModule");
    EXPECT_EQ(wasm::default_interface_name("fooBar.wasm"), "FooBar");
    EXPECT_EQ(wasm::default_interface_name("hello"), "Hello");
    EXPECT_EQ(wasm::default_interface_name("3d-engine.wasm"), "Wasm3dEngine");
    EXPECT_EQ(wasm::default_interface_name("---.wasm"), "Wasm");
    EXPECT_EQ(wasm::default_interface_name(".wasm"), "Wasm");
    EXPECT_EQ(wasm::default_interface_name("caf\xC3\xA9 v2.wasm"), "CafV2");
    EXPECT_TRUE(wasm::is_js_identifier(wasm::default_interface_name("9.wasm")));
}

// wasm_package()'s loader functions (doc/wasm-package.md).
TEST(WasmDts, LoaderFunctionName) {
    EXPECT_EQ(wasm::loader_function_name("img-proc"), "imgProc");
    EXPECT_EQ(wasm::loader_function_name("img_proc"), "imgProc");
    EXPECT_EQ(wasm::loader_function_name("Hasher_V2"), "hasherV2");
    EXPECT_EQ(wasm::loader_function_name("imgproc"), "imgproc");
    EXPECT_EQ(wasm::loader_function_name("3d"), "m3d");
    EXPECT_EQ(wasm::loader_function_name("3-d"), "m3D");
    EXPECT_EQ(wasm::loader_function_name("--"), "");
    EXPECT_EQ(wasm::loader_function_name("class"), "class");
    EXPECT_TRUE(wasm::is_reserved_word(wasm::loader_function_name("Class")));
}

TEST(WasmDts, ParameterNames) {
    EXPECT_EQ(wasm::parameter_name("count"), "count");
    EXPECT_EQ(wasm::parameter_name("class"), "class_");
    EXPECT_EQ(wasm::parameter_name("this"), "this_");
    EXPECT_EQ(wasm::parameter_name("arguments"), "arguments_");
    EXPECT_EQ(wasm::parameter_name("a-b.c"), "a_b_c");
    EXPECT_EQ(wasm::parameter_name("1st"), "_1st");
    EXPECT_EQ(wasm::parameter_name("caf\xC3\xA9"), "caf_");  // one '_' per code point
    EXPECT_EQ(wasm::parameter_name(""), "");
}

TEST(WasmDts, ParameterNamesFromTheNameSection) {
    // Function 0 (i32, i64, f32, f64, i32): locals 0 "class", 1 "a-b", 3 "a_b" (the same once made
    // valid), 4 "p1" (the name p1 is not free for local 1 then); local 2 has no name.
    Bytes locals;
    locals.uleb(1).uleb(0).uleb(4);
    locals.uleb(0).str("class").uleb(1).str("a-b").uleb(3).str("a_b").uleb(4).str("p1");
    Bytes names;
    names.subsection(2, locals);
    Bytes extra;
    extra.custom("name", names);
    const std::string text = dts(functions_module({{"f", functype({i32, i64, f32, f64, i32}, {})}}, extra));
    EXPECT_TRUE(has_line(text, "    readonly f: (class_: number, a_b: bigint, p2: number, a_b_: number, p1: number) => void;"));
}

TEST(WasmDts, ExportNamesAreQuotedWhenNeeded) {
    const std::string text = dts(functions_module({
        {"my-func", functype({}, {i32})},
        {"class", functype({}, {i32})},
        {"delete", functype({}, {i32})},
        {"constructor", functype({}, {i32})},
        {"toString", functype({}, {i32})},
        {"\xE2\x82\xAC uro", functype({}, {i32})},  // "€ uro"
    }));
    EXPECT_TRUE(has_line(text, "    readonly \"my-func\": () => number;"));
    EXPECT_TRUE(has_line(text, "    readonly \"class\": () => number;"));
    EXPECT_TRUE(has_line(text, "    readonly \"delete\": () => number;"));
    EXPECT_TRUE(has_line(text, "    readonly \"constructor\": () => number;"));
    EXPECT_TRUE(has_line(text, "    readonly toString: () => number;"));
    EXPECT_TRUE(has_line(text, "    readonly \"\xE2\x82\xAC uro\": () => number;"));
}

// --- Memories, tables, globals, tags ----------------------------------------------

TEST(WasmDts, MemoryTableGlobalTagExports) {
    Bytes types;
    types.uleb(1).append(functype({i32, i64}, {}));
    Bytes tables;
    tables.uleb(2).u8(funcref).u8(0x00).uleb(1).u8(externref).u8(0x01).uleb(2).uleb(8);
    Bytes memories;
    memories.uleb(1).u8(0x03).uleb(2).uleb(16);  // shared, 2..16 pages
    Bytes tags;
    tags.uleb(1).u8(0x00).uleb(0);
    Bytes globals;
    globals.uleb(4);
    globals.u8(i32).u8(0x01).raw({0x41, 0x07, 0x0B});  // (mut i32) 7
    globals.u8(i64).u8(0x00).raw({0x42, 0x2A, 0x0B});  // i64 42
    globals.u8(f64).u8(0x01).u8(0x44).raw({0, 0, 0, 0, 0, 0, 0, 0}).u8(0x0B);
    globals.u8(funcref).u8(0x00).raw({0xD0, 0x70, 0x0B});  // ref.null func
    Bytes exports;
    exports.uleb(8);
    exports.str("memory").u8(0x02).uleb(0);
    exports.str("funcs").u8(0x01).uleb(0);
    exports.str("externs").u8(0x01).uleb(1);
    exports.str("counter").u8(0x03).uleb(0);
    exports.str("big").u8(0x03).uleb(1);
    exports.str("ratio").u8(0x03).uleb(2);
    exports.str("callback").u8(0x03).uleb(3);
    exports.str("oops").u8(0x04).uleb(0);
    Bytes m = header();
    m.section(1, types).section(4, tables).section(5, memories).section(13, tags).section(6, globals);
    m.section(7, exports);
    const std::string text = dts(m);

    EXPECT_TRUE(has_line(text, "    readonly memory: WebAssembly.Memory;"));
    EXPECT_TRUE(has_line(text, "     * (memory 2 16 shared)"));
    EXPECT_TRUE(contains(text, "SharedArrayBuffer"));
    EXPECT_TRUE(has_line(text, "    readonly funcs: WebAssembly.Table;"));
    EXPECT_TRUE(has_line(text, "     * (table 1 funcref)"));
    EXPECT_TRUE(has_line(text, "     * (table 2 8 externref)"));
    EXPECT_TRUE(has_line(text, "    readonly counter: WebAssembly.Global<\"i32\">;"));
    EXPECT_TRUE(has_line(text, "     * (global (mut i32))"));
    EXPECT_TRUE(has_line(text, "     * Global of i32, mutable; .value is number."));
    EXPECT_TRUE(has_line(text, "    readonly big: WebAssembly.Global<\"i64\">;"));
    EXPECT_TRUE(has_line(text, "     * (global i64)"));
    EXPECT_TRUE(contains(text, "Global of i64, immutable"));
    EXPECT_TRUE(has_line(text, "    readonly ratio: WebAssembly.Global<\"f64\">;"));
    // TypeScript's lib.dom.d.ts ValueTypeMap calls funcref "anyfunc", as the JS API's ValueType enum does.
    EXPECT_TRUE(has_line(text, "    readonly callback: WebAssembly.Global<\"anyfunc\">;"));
    EXPECT_TRUE(has_line(text, "    readonly oops: WasmTag;"));
    EXPECT_TRUE(has_line(text, "     * (tag (param i32 i64))"));
    EXPECT_TRUE(
        has_line(text, "type WasmTag = typeof WebAssembly extends { Tag: { prototype: infer T } } ? T : object;"));
}

TEST(WasmDts, NoTagAliasWithoutTags) {
    const std::string text = dts(functions_module({{"f", functype({}, {})}}));
    EXPECT_FALSE(contains(text, "WasmTag"));
}

TEST(WasmDts, ReExportedImportsHaveTheImportsTypes) {
    Bytes types;
    types.uleb(1).append(functype({i64}, {f32}));
    Bytes imports;
    imports.uleb(4);
    imports.str("env").str("f").u8(0x00).uleb(0);
    imports.str("env").str("mem").u8(0x02).u8(0x04).uleb(1);  // memory64, min 1
    imports.str("env").str("g").u8(0x03).u8(i64).u8(0x01);    // (mut i64)
    imports.str("env").str("t").u8(0x01).u8(externref).u8(0x00).uleb(3);
    Bytes exports;
    exports.uleb(4);
    exports.str("f2").u8(0x00).uleb(0);
    exports.str("mem2").u8(0x02).uleb(0);
    exports.str("g2").u8(0x03).uleb(0);
    exports.str("t2").u8(0x01).uleb(0);
    Bytes m = header();
    m.section(1, types).section(2, imports).section(7, exports);
    const std::string text = dts(m);
    EXPECT_TRUE(has_line(text, "    readonly f2: (p0: bigint) => number;"));
    EXPECT_TRUE(has_line(text, "    readonly mem2: WebAssembly.Memory;"));
    EXPECT_TRUE(has_line(text, "     * (memory i64 1)"));
    EXPECT_TRUE(has_line(text, "    readonly g2: WebAssembly.Global<\"i64\">;"));
    EXPECT_TRUE(has_line(text, "     * (global (mut i64))"));
    EXPECT_TRUE(has_line(text, "     * (table 3 externref)"));
}

// --- The Imports interface ------------------------------------------------------

TEST(WasmDts, ImportsByModuleAndField) {
    Bytes types;
    types.uleb(3).append(functype({i32}, {})).append(functype({i64}, {})).append(functype({i32, i32}, {i32, i64}));
    Bytes imports;
    imports.uleb(11);
    imports.str("env").str("log").u8(0x00).uleb(0);
    imports.str("wasi_snapshot_preview1").str("fd_write").u8(0x00).uleb(2);
    imports.str("env").str("memory").u8(0x02).u8(0x00).uleb(17);
    imports.str("env").str("log").u8(0x00).uleb(1);  // the same field again, another type
    imports.str("env").str("c").u8(0x03).u8(i32).u8(0x00);
    imports.str("env").str("big").u8(0x03).u8(i64).u8(0x00);
    imports.str("env").str("m").u8(0x03).u8(f32).u8(0x01);
    imports.str("env").str("ext").u8(0x03).u8(externref).u8(0x00);
    imports.str("env").str("vec").u8(0x03).u8(v128).u8(0x00);
    imports.str("env").str("fn").u8(0x03).u8(funcref).u8(0x00);
    imports.str("my-mod").str("the tag").u8(0x04).u8(0x00).uleb(0);
    Bytes m = header();
    m.section(1, types).section(2, imports);
    const std::string text = dts(m, "demo.wasm");

    // Module order and field order are those of first appearance.
    const auto env = text.find("    \"env\": {");
    const auto wasi = text.find("    \"wasi_snapshot_preview1\": {");
    const auto mine = text.find("    \"my-mod\": {");
    ASSERT_NE(env, std::string::npos);
    ASSERT_NE(wasi, std::string::npos);
    ASSERT_NE(mine, std::string::npos);
    EXPECT_LT(env, wasi);
    EXPECT_LT(wasi, mine);
    EXPECT_LT(text.find("log:"), text.find("memory:"));
    EXPECT_TRUE(has_line(text, "        log: ((p0: number) => void) & ((p0: bigint) => void);"));
    EXPECT_TRUE(has_line(text, "         * Imported 2 times: the value must suit every import."));
    EXPECT_TRUE(has_line(text, "         * (func (param i64))"));
    EXPECT_TRUE(has_line(text, "        fd_write: (p0: number, p1: number) => [number, bigint];"));
    EXPECT_TRUE(has_line(text, "        memory: WebAssembly.Memory;"));
    // JS API "read the imports": an immutable global may be a plain Number (BigInt for i64); a
    // mutable one must be a WebAssembly.Global; v128 only a Global; externref any value.
    EXPECT_TRUE(has_line(text, "        c: WebAssembly.Global<\"i32\"> | number;"));
    EXPECT_TRUE(has_line(text, "        big: WebAssembly.Global<\"i64\"> | bigint;"));
    EXPECT_TRUE(has_line(text, "        m: WebAssembly.Global<\"f32\">;"));
    EXPECT_TRUE(has_line(text, "        ext: unknown;"));
    EXPECT_TRUE(has_line(text, "        vec: WebAssembly.Global<\"v128\">;"));
    EXPECT_TRUE(has_line(text, "        fn: WebAssembly.Global<\"anyfunc\"> | Function | null;"));
    EXPECT_TRUE(has_line(text, "        \"the tag\": WasmTag;"));
    EXPECT_TRUE(has_line(text, "export interface DemoImports {"));
    EXPECT_TRUE(has_line(text, "    };"));
}

TEST(WasmDts, ImportedV128FunctionTakesAnyFunction) {
    Bytes types;
    types.uleb(1).append(functype({v128}, {}));
    Bytes imports;
    imports.uleb(1).str("env").str("simd").u8(0x00).uleb(0);
    Bytes m = header();
    m.section(1, types).section(2, imports);
    const std::string text = dts(m);
    EXPECT_TRUE(has_line(text, "        simd: (...args: never) => unknown;"));
    EXPECT_TRUE(contains(text, "throw a TypeError"));
}

// --- Whole file -------------------------------------------------------------------

TEST(WasmDts, Shape) {
    const std::string text = dts(functions_module({{"f", functype({}, {})}}), "img-proc.simd.wasm");
    EXPECT_EQ(text.rfind("// generated by buildbudget wasm dts from img-proc.simd.wasm, do not edit\n", 0), 0U);
    EXPECT_TRUE(has_line(text, "/** Exports of img-proc.simd.wasm: the exports object of its WebAssembly.Instance (frozen). */"));
    EXPECT_TRUE(has_line(text, "export interface ImgProcSimdExports {"));
    EXPECT_TRUE(has_line(text, " * Imports img-proc.simd.wasm needs: module name -> field -> type."));
    EXPECT_TRUE(has_line(text, "export interface ImgProcSimdImports {}"));
    EXPECT_LT(text.find("ImgProcSimdExports"), text.find("ImgProcSimdImports"));
    EXPECT_EQ(text.back(), '\n');
    // Declarations only: nothing that would need a .ts file.
    for (const char* value : {"declare const", "declare function", "export const", "export default", "= {"}) {
        EXPECT_FALSE(contains(text, value)) << value;
    }

    const std::string named = dts(functions_module({{"f", functype({}, {})}}), "x.wasm", "Codec");
    EXPECT_TRUE(has_line(named, "export interface CodecExports {"));
    EXPECT_TRUE(has_line(named, "export interface CodecImports {}"));
    EXPECT_THROW((void)dts(functions_module({}), "x.wasm", "not-valid"), std::invalid_argument);
    EXPECT_THROW((void)dts(functions_module({}), "x.wasm", "class"), std::invalid_argument);

    const std::string empty = dts(header(), "empty.wasm");
    EXPECT_TRUE(has_line(empty, "export interface EmptyExports {}"));
    EXPECT_TRUE(has_line(empty, "export interface EmptyImports {}"));
}

TEST(WasmDts, Deterministic) {
    const Bytes m = functions_module({{"b", functype({i64}, {i64})}, {"a", functype({}, {i32, f32})}});
    const std::string first = dts(m);
    EXPECT_EQ(dts(m), first);
    // Export order is the module's, not sorted.
    EXPECT_LT(first.find("readonly b:"), first.find("readonly a:"));
}

TEST(WasmDts, CommentsCannotBeClosedByNames) {
    // A function name (name section) and a file name with "*/" and a newline in them.
    Bytes fnames;
    fnames.uleb(1).uleb(0).str("x*/y");
    Bytes names;
    names.subsection(1, fnames);
    Bytes extra;
    extra.custom("name", names);
    const std::string text = dts(functions_module({{"f", functype({}, {})}}, extra), "a*/b\nc.wasm", "A");
    EXPECT_TRUE(has_line(text, "    /** (func $x*\\/y) */"));
    EXPECT_TRUE(has_line(text, "// generated by buildbudget wasm dts from a*\\/b?c.wasm, do not edit"));
    // Every "*/" closes a comment opened on the same or an earlier line; none is inside one.
    std::size_t open = 0;
    std::size_t pos = 0;
    while ((pos = text.find("/*", pos)) != std::string::npos) {
        const std::size_t close = text.find("*/", pos + 2);
        ASSERT_NE(close, std::string::npos);
        EXPECT_GE(close, open);
        open = close + 2;
        pos = open;
    }
}

TEST(WasmDts, DuplicateExportNameIsAnError) {
    Bytes types;
    types.uleb(1).append(functype({}, {}));
    Bytes functions;
    functions.uleb(1).uleb(0);
    Bytes exports;
    exports.uleb(2).str("f").u8(0x00).uleb(0).str("f").u8(0x00).uleb(0);
    Bytes code;
    code.uleb(1).uleb(2).raw({0x00, 0x0B});
    Bytes m = header();
    m.section(1, types).section(3, functions).section(7, exports).section(10, code);
    const std::size_t export_offset = 8 + 2 + 4 + 2 + 2;  // header, type section (2 + 4), function section (2 + 2)
    try {
        (void)dts(m);
        ADD_FAILURE() << "no error for a duplicate export name";
    } catch (const wasm::DtsError& e) {
        EXPECT_TRUE(contains(e.what(), "export name \"f\" appears twice"));
        EXPECT_TRUE(contains(e.what(), "at byte offset " + std::to_string(export_offset)));
    }
}

// --- What the reader gained for this -----------------------------------------

TEST(WasmDtsReader, LocalNamesAndTableElementTypes) {
    Bytes locals;
    locals.uleb(2);
    locals.uleb(0).uleb(2).uleb(0).str("x").uleb(1).str("y");
    locals.uleb(3).uleb(1).uleb(5).str("tmp");
    Bytes names;
    names.subsection(2, locals);
    Bytes types;
    types.uleb(1).append(functype({}, {}));
    Bytes imports;
    imports.uleb(1).str("env").str("t").u8(0x01).u8(externref).u8(0x00).uleb(1);
    Bytes tables;
    tables.uleb(2).u8(funcref).u8(0x00).uleb(1).u8(externref).u8(0x00).uleb(1);
    Bytes m = header();
    m.section(1, types).section(2, imports).section(4, tables).custom("name", names);
    const auto mod = parse(m);
    ASSERT_EQ(mod.local_names.size(), 2U);
    EXPECT_EQ(mod.local_names.at(0).at(0), "x");
    EXPECT_EQ(mod.local_names.at(0).at(1), "y");
    EXPECT_EQ(mod.local_names.at(3).at(5), "tmp");
    EXPECT_EQ(mod.imports.at(0).table_type, ValueType::externref);
    EXPECT_EQ(mod.table_types, (std::vector<ValueType>{ValueType::funcref, ValueType::externref}));
    ASSERT_EQ(mod.tables.size(), 2U);
}

TEST(WasmDtsReader, MalformedLocalNamesAreIgnored) {
    // A local-name count far larger than the subsection: the name section is
    // ignored as a whole (like any malformed name section), the module still parses.
    Bytes locals;
    locals.uleb(1).uleb(0).uleb(1000000).uleb(0).str("x");
    Bytes fnames;
    fnames.uleb(1).uleb(0).str("f");
    Bytes names;
    names.subsection(1, fnames).subsection(2, locals);
    Bytes truncated;
    truncated.uleb(1).uleb(0);  // the function's name map is missing
    Bytes names2;
    names2.subsection(2, truncated);
    Bytes m = header();
    m.custom("name", names).custom("name", names2);
    const auto mod = parse(m);
    EXPECT_TRUE(mod.local_names.empty());
    EXPECT_TRUE(mod.function_names.empty());
    EXPECT_EQ(mod.sections.size(), 2U);
}
