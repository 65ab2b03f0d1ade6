// wasm/size.hpp (gzip and brotli sizes, per-section sizes) and
// wasm/features.hpp (feature scan, wasm-opt flags).
#include "wasm/features.hpp"
#include "wasm/size.hpp"

#include <brotli/decode.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <initializer_list>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace wasm = buildbudget::wasm;

namespace {

using ByteVec = std::vector<std::uint8_t>;

/// A module of the given sections (id, payload), with the magic and version 1.
ByteVec module_of(std::initializer_list<std::pair<std::uint8_t, ByteVec>> sections) {
    ByteVec out{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
    for (const auto& [id, payload] : sections) {
        out.push_back(id);
        std::size_t n = payload.size();  // LEB128
        do {
            std::uint8_t b = n & 0x7F;
            n >>= 7;
            if (n != 0) b |= 0x80;
            out.push_back(b);
        } while (n != 0);
        out.insert(out.end(), payload.begin(), payload.end());
    }
    return out;
}

/// type section: one type [] -> []; function section: one function of it.
const ByteVec one_type{0x01, 0x60, 0x00, 0x00};
const ByteVec one_function{0x01, 0x00};
const ByteVec one_memory{0x01, 0x00, 0x01};  // min 1 page, no maximum

/// A code section of one body made of `instructions` (no locals), ended by `end`.
ByteVec code_of(const ByteVec& instructions) {
    // body: no local declarations (0x00), the instructions, end (0x0B); bodies here are < 128 bytes
    ByteVec code{0x01, static_cast<std::uint8_t>(instructions.size() + 2), 0x00};
    for (std::uint8_t b : instructions) code.push_back(b);
    code.push_back(0x0B);
    return code;
}

wasm::FeatureScan scan(const ByteVec& bytes) { return wasm::scan_features(bytes, wasm::parse(bytes.data(), bytes.size())); }

ByteVec gunzip(const ByteVec& gz) {
    z_stream zs{};
    EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);  // gzip only
    ByteVec out(1 << 20);
    zs.next_in = const_cast<Bytef*>(gz.data());
    zs.avail_in = static_cast<uInt>(gz.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&zs, Z_FINISH);
    EXPECT_EQ(rc, Z_STREAM_END);
    out.resize(zs.total_out);
    inflateEnd(&zs);
    return out;
}

ByteVec unbrotli(const ByteVec& br) {
    ByteVec out(1 << 20);
    std::size_t size = out.size();
    EXPECT_EQ(BrotliDecoderDecompress(br.size(), br.data(), &size, out.data()), BROTLI_DECODER_RESULT_SUCCESS);
    out.resize(size);
    return out;
}

/// A pseudo-random (incompressible) and a repetitive (compressible) buffer.
ByteVec noise(std::size_t n) {
    ByteVec v(n);
    std::uint32_t x = 12345;
    for (auto& b : v) {
        x = x * 1103515245u + 12345u;
        b = static_cast<std::uint8_t>(x >> 24);
    }
    return v;
}

ByteVec pattern(std::size_t n) {
    ByteVec v(n);
    const std::string text = "memory.copy memory.fill i32.load i32.store local.get ";
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(text[i % text.size()]);
    return v;
}

std::string run_and_read(const char* command) {
    std::string out;
    struct Closer {
        void operator()(std::FILE* f) const { pclose(f); }
    };
    const std::unique_ptr<std::FILE, Closer> pipe(popen(command, "r"));
    if (!pipe) return out;
    char buffer[4096];
    std::size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0) out.append(buffer, got);
    return out;
}

}  // namespace

// --- compressed sizes -------------------------------------------------------------

TEST(WasmSize, GzipRoundTripsThroughZlib) {
    for (const ByteVec& input : {noise(100000), pattern(100000), ByteVec{}, ByteVec{42}}) {
        const ByteVec gz = wasm::gzip_compress(input.data(), input.size());
        ASSERT_GE(gz.size(), 18u);
        EXPECT_EQ(gz[0], 0x1F);  // RFC 1952 ID1, ID2, CM = deflate
        EXPECT_EQ(gz[1], 0x8B);
        EXPECT_EQ(gz[2], 8);
        EXPECT_EQ(gunzip(gz), input);
    }
}

TEST(WasmSize, GzipIsLevel9DeflateWithGzipFraming) {
    // compress2() at level 9 writes the same deflate stream (window 2^15,
    // memLevel 8) in zlib framing: 2-byte header + 4-byte Adler-32; gzip
    // framing is a 10-byte header + CRC-32 and length: 12 bytes more.
    for (const ByteVec& input : {noise(70000), pattern(300000)}) {
        uLongf zlib_size = compressBound(static_cast<uLong>(input.size()));
        ByteVec zlib_stream(zlib_size);
        ASSERT_EQ(compress2(zlib_stream.data(), &zlib_size, input.data(), static_cast<uLong>(input.size()), 9), Z_OK);
        EXPECT_EQ(wasm::gzip_compress(input.data(), input.size()).size(), zlib_size + 12);
    }
}

TEST(WasmSize, BrotliRoundTripsThroughTheDecoder) {
    for (const ByteVec& input : {noise(100000), pattern(100000), ByteVec{}, ByteVec{42}}) {
        const ByteVec br = wasm::brotli_compress(input.data(), input.size());
        ASSERT_FALSE(br.empty());
        EXPECT_EQ(unbrotli(br), input);
    }
}

TEST(WasmSize, CompressibleInputCompresses) {
    const ByteVec input = pattern(1 << 16);
    const auto gz = wasm::gzip_compress(input.data(), input.size()).size();
    const auto br = wasm::brotli_compress(input.data(), input.size()).size();
    EXPECT_LT(gz, input.size() / 50);
    EXPECT_LT(br, input.size() / 50);
    // Noise does not compress: the framing makes it slightly larger.
    const ByteVec random = noise(1 << 16);
    EXPECT_GT(wasm::gzip_compress(random.data(), random.size()).size(), random.size());
    EXPECT_GE(wasm::brotli_compress(random.data(), random.size()).size(), random.size());
}

TEST(WasmSize, MeasureSectionsAndMemory) {
    ByteVec custom{0x04, 'n', 'o', 't', 'e'};
    custom.resize(custom.size() + 200, 0xAB);  // 205-byte payload: a two-byte size field
    const ByteVec bytes = module_of({{1, one_type}, {3, one_function}, {5, {0x01, 0x01, 0x02, 0x10}}, {10, code_of({})}, {0, custom}});
    const auto s = wasm::measure(bytes, wasm::parse(bytes.data(), bytes.size()));
    EXPECT_EQ(s.raw, bytes.size());
    EXPECT_EQ(s.gzip, wasm::gzip_compress(bytes.data(), bytes.size()).size());
    ASSERT_TRUE(s.brotli.has_value());
    EXPECT_EQ(*s.brotli, wasm::brotli_compress(bytes.data(), bytes.size()).size());
    // Brotli::skip: the same sizes, without brotli's.
    const auto skipped = wasm::measure(bytes, wasm::parse(bytes.data(), bytes.size()), wasm::Brotli::skip);
    EXPECT_FALSE(skipped.brotli.has_value());
    EXPECT_EQ(skipped.gzip, s.gzip);
    EXPECT_EQ(skipped.sections.size(), s.sections.size());
    ASSERT_EQ(s.sections.size(), 5u);
    EXPECT_EQ(s.sections[0].name, "type");
    EXPECT_EQ(s.sections[0].bytes, 2u + one_type.size());
    EXPECT_EQ(s.sections[4].id, 0);
    EXPECT_EQ(s.sections[4].name, "note");
    EXPECT_EQ(s.sections[4].bytes, 1u + 2u + custom.size());
    const std::uint64_t sum = std::accumulate(s.sections.begin(), s.sections.end(), std::uint64_t{0},
                                              [](std::uint64_t a, const wasm::SectionSize& x) { return a + x.bytes; });
    EXPECT_EQ(sum, bytes.size() - 8);
    ASSERT_TRUE(s.memory);
    EXPECT_EQ(s.memory->initial, 2u);
    EXPECT_EQ(s.memory->maximum, 16u);
    EXPECT_EQ(wasm::pages_to_bytes(*s.memory->maximum), 16u * 65536u);
}

TEST(WasmSize, PagesToBytesSaturates) {
    EXPECT_EQ(wasm::pages_to_bytes(0), 0u);
    EXPECT_EQ(wasm::pages_to_bytes(65536), 1ULL << 32);
    EXPECT_EQ(wasm::pages_to_bytes(1ULL << 48), ~0ULL);  // 2^64 bytes does not fit
    EXPECT_EQ(wasm::pages_to_bytes(~0ULL), ~0ULL);
}

TEST(WasmSize, LoadModuleNamesTheFileAndOffset) {
    try {
        (void)wasm::load_module("/nonexistent/x.wasm");
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "/nonexistent/x.wasm: cannot read: No such file or directory");
    }
}

// --- feature scan -------------------------------------------------------------

TEST(WasmFeatures, TargetFeaturesSection) {
    ByteVec tf{0x0F};
    for (char c : std::string("target_features")) tf.push_back(static_cast<std::uint8_t>(c));
    tf.insert(tf.end(), {0x02, '+', 0x07, 's', 'i', 'm', 'd', '1', '2', '8', '-', 0x07, 'a', 't', 'o', 'm', 'i', 'c', 's'});
    const auto f = scan(module_of({{0, tf}}));
    ASSERT_EQ(f.used.size(), 1u);
    EXPECT_EQ(f.used[0].name, "simd128");
    EXPECT_EQ(f.used[0].evidence, "target_features section");
    EXPECT_FALSE(f.uses("atomics"));  // '-': disallowed, not used
}

TEST(WasmFeatures, BulkMemoryFromCodeWithoutTheSection) {
    // i32.const 0 x3, memory.copy 0 0
    const auto f = scan(module_of({{1, one_type}, {3, one_function}, {5, one_memory},
                                   {10, code_of({0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x0A, 0x00, 0x00})}}));
    ASSERT_TRUE(f.uses("bulk-memory"));
    EXPECT_NE(f.used[0].evidence.find("memory.copy (0xFC 10) at byte offset"), std::string::npos) << f.used[0].evidence;
    EXPECT_TRUE(f.notes.empty());
}

TEST(WasmFeatures, SimdSignExtAndSaturatingTruncation) {
    ByteVec code{0xFD, 0x0C};  // v128.const
    code.insert(code.end(), 16, 0x01);
    code.insert(code.end(), {0xFD, 0x15, 0x03});  // i8x16.extract_lane_s 3
    code.insert(code.end(), {0xC0, 0x1A});        // i32.extend8_s, drop
    code.insert(code.end(), {0x43, 0, 0, 0, 0, 0xFC, 0x00, 0x1A});  // f32.const, i32.trunc_sat_f32_s, drop
    const auto f = scan(module_of({{1, one_type}, {3, one_function}, {10, code_of(code)}}));
    EXPECT_EQ(f.names(), (std::vector<std::string>{"nontrapping-fptoint", "sign-ext", "simd128"}));
    EXPECT_TRUE(f.notes.empty()) << f.notes.front();
}

TEST(WasmFeatures, StructureShowsThreadsMemory64MultiValueAndPassiveData) {
    const ByteVec types{0x01, 0x60, 0x00, 0x02, 0x7F, 0x7E};            // [] -> [i32 i64]
    const ByteVec memory{0x01, 0x03, 0x01, 0x02};                       // shared, min 1 max 2
    const ByteVec data{0x01, 0x01, 0x02, 'h', 'i'};                     // one passive segment
    auto f = scan(module_of({{1, types}, {5, memory}, {12, {0x01}}, {11, data}}));
    EXPECT_EQ(f.names(), (std::vector<std::string>{"atomics", "bulk-memory", "multivalue"}));
    f = scan(module_of({{5, {0x01, 0x04, 0x01}}}));  // 64-bit memory, min 1
    EXPECT_EQ(f.names(), (std::vector<std::string>{"memory64"}));
}

TEST(WasmFeatures, UndecodableInstructionIsANoteNotAnError) {
    // 0xFB (GC proposal) is not decoded: the scan of this body stops there.
    const auto f = scan(module_of({{1, one_type}, {3, one_function}, {10, code_of({0xC1, 0x1A, 0xFB, 0x01})}}));
    EXPECT_TRUE(f.uses("sign-ext"));
    ASSERT_EQ(f.notes.size(), 1u);
    EXPECT_NE(f.notes[0].find("unknown instruction 0xFB"), std::string::npos) << f.notes[0];
}

TEST(WasmFeatures, TruncatedBodyEndsTheScanWithANote) {
    // v128.const needs 16 bytes of immediate; the body ends after one.
    const auto f = scan(module_of({{1, one_type}, {3, one_function}, {10, code_of({0xFD, 0x0C, 0x01})}}));
    EXPECT_FALSE(f.uses("simd128"));
    ASSERT_EQ(f.notes.size(), 1u);
    EXPECT_NE(f.notes[0].find("unexpected end of the body"), std::string::npos) << f.notes[0];
}

// --- wasm-opt flags ---------------------------------------------------------------

TEST(WasmFeatures, LlvmNamesMapToBinaryenFlags) {
    const auto r = wasm::wasm_opt_features({"simd128", "bulk-memory", "atomics", "sign-ext", "nontrapping-fptoint",
                                            "mutable-globals", "multivalue", "reference-types", "exception-handling",
                                            "tail-call", "extended-const", "memory64", "relaxed-simd"},
                                           std::nullopt);
    EXPECT_EQ(r.flags, (std::vector<std::string>{
                           "--enable-sign-ext", "--enable-mutable-globals", "--enable-nontrapping-float-to-int",
                           "--enable-bulk-memory", "--enable-simd", "--enable-relaxed-simd", "--enable-threads",
                           "--enable-multivalue", "--enable-reference-types", "--enable-exception-handling",
                           "--enable-tail-call", "--enable-extended-const", "--enable-memory64"}));
    EXPECT_TRUE(r.notes.empty());
}

TEST(WasmFeatures, UnmappedFeaturesAreNotesAndNeverPassed) {
    const auto r = wasm::wasm_opt_features({"multimemory", "fp16", "simd128"}, std::nullopt);
    EXPECT_EQ(r.flags, (std::vector<std::string>{"--enable-simd"}));
    ASSERT_EQ(r.notes.size(), 2u);
    EXPECT_NE(r.notes[0].find("\"multimemory\""), std::string::npos);
    EXPECT_NE(r.notes[1].find("\"fp16\" has no wasm-opt flag"), std::string::npos);
    // A wasm-opt whose --help offers it gets it; one whose --help lacks a flag does not.
    const std::set<std::string> newer{"--enable-multimemory", "--enable-simd"};
    EXPECT_EQ(wasm::wasm_opt_features({"multimemory", "bulk-memory"}, newer).flags,
              (std::vector<std::string>{"--enable-multimemory"}));
}

TEST(WasmFeatures, EnableAcceptsLlvmAndBinaryenNames) {
    ASSERT_NE(wasm::find_feature("threads"), nullptr);
    EXPECT_STREQ(wasm::find_feature("threads")->feature, "atomics");
    EXPECT_STREQ(wasm::find_feature("simd")->feature, "simd128");
    EXPECT_STREQ(wasm::find_feature("nontrapping-float-to-int")->feature, "nontrapping-fptoint");
    EXPECT_STREQ(wasm::find_feature("bulk-memory-opt")->binaryen, "bulk-memory");
    EXPECT_EQ(wasm::find_feature("bogus"), nullptr);
}

TEST(WasmFeatures, EnableFlagsInHelp) {
    const auto flags = wasm::enable_flags_in_help(
        " --enable-sign-ext            Enable sign extension operations\n"
        " --disable-sign-ext           Disable sign extension\n"
        " --enable-simd                Enable SIMD\n  see also x--enable-not-a-flag\n");
    EXPECT_EQ(flags, (std::set<std::string>{"--enable-sign-ext", "--enable-simd"}));
}

// The table's "in binaryen 108" column against the installed wasm-opt's --help
// (Debian 12: binaryen 108). Skipped without wasm-opt or with another version.
TEST(WasmFeatures, TableMatchesInstalledWasmOpt108) {
    const std::string version = run_and_read("wasm-opt --version 2>/dev/null");
    if (version.find("version 108") == std::string::npos) GTEST_SKIP() << "no wasm-opt 108: " << version;
    const auto offered = wasm::enable_flags_in_help(run_and_read("wasm-opt --help 2>/dev/null"));
    ASSERT_FALSE(offered.empty());
    for (const auto& row : wasm::feature_flags()) {
        const std::string flag = std::string("--enable-") + row.binaryen;
        EXPECT_EQ(offered.count(flag) != 0, row.in_binaryen_108) << flag;
    }
}
