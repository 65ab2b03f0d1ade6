#include "wasm/size.hpp"

#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <future>
#include <limits>
#include <memory>
#include <stdexcept>

namespace buildbudget::wasm {
namespace {

// The settings of the two compressors. gzip_settings() and brotli_settings()
// name every one of them (they are the key of the compressed-size cache):
// change them together.
// zlib.h, deflateInit2(): windowBits 8..15 is the window; +16 writes a
// gzip header and trailer instead of the zlib wrapper.
constexpr int gzip_level = Z_BEST_COMPRESSION;
constexpr int gzip_window = 15;
constexpr int gzip_window_bits = gzip_window + 16;
constexpr int gzip_mem_level = 8;  // zlib's default (DEF_MEM_LEVEL), as gzip.compress and Node's createGzip use
constexpr int gzip_strategy = Z_DEFAULT_STRATEGY;

constexpr int brotli_quality = BROTLI_MAX_QUALITY;
constexpr int brotli_window = BROTLI_DEFAULT_WINDOW;
constexpr BrotliEncoderMode brotli_mode = BROTLI_MODE_GENERIC;

}  // namespace

std::uint64_t pages_to_bytes(std::uint64_t pages) {
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    return pages > max / page_bytes ? max : pages * page_bytes;
}

std::vector<std::uint8_t> gzip_compress(const std::uint8_t* data, std::size_t size) {
    z_stream zs{};
    if (deflateInit2(&zs, gzip_level, Z_DEFLATED, gzip_window_bits, gzip_mem_level, gzip_strategy) != Z_OK) {
        throw std::runtime_error(std::string("zlib: deflateInit2 failed: ") + (zs.msg != nullptr ? zs.msg : "out of memory"));
    }
    struct End {
        z_stream* s;
        ~End() { deflateEnd(s); }
    } end{&zs};

    // avail_in/avail_out are 32-bit: feed and drain in chunks, so inputs over
    // 4 GiB work too.
    constexpr std::size_t chunk = std::size_t{1} << 20;
    std::vector<std::uint8_t> out;
    std::size_t fed = 0;
    std::uint8_t buffer[1 << 16];
    for (;;) {
        if (zs.avail_in == 0 && fed < size) {
            const std::size_t n = std::min(chunk, size - fed);
            zs.next_in = const_cast<Bytef*>(data + fed);  // NOLINT: zlib's API is not const-correct
            zs.avail_in = static_cast<uInt>(n);
            fed += n;
        }
        const int flush = fed == size ? Z_FINISH : Z_NO_FLUSH;
        zs.next_out = buffer;
        zs.avail_out = sizeof buffer;
        const int rc = deflate(&zs, flush);
        if (rc == Z_STREAM_ERROR) throw std::runtime_error("zlib: deflate failed");
        out.insert(out.end(), buffer, buffer + (sizeof buffer - zs.avail_out));
        if (rc == Z_STREAM_END) break;
    }
    return out;
}

std::vector<std::uint8_t> brotli_compress(const std::uint8_t* data, std::size_t size) {
    std::size_t bound = BrotliEncoderMaxCompressedSize(size);
    if (bound == 0 && size > 0) throw std::runtime_error("brotli: an input of " + std::to_string(size) + " bytes is too large");
    if (bound == 0) bound = 16;  // the empty stream is one byte; the bound of 0 bytes is reported as 0 by old encoders
    std::vector<std::uint8_t> out(bound);
    std::size_t encoded = out.size();
    static const std::uint8_t empty = 0;
    if (BrotliEncoderCompress(brotli_quality, brotli_window, brotli_mode, size,
                              data != nullptr ? data : &empty, &encoded, out.data()) == BROTLI_FALSE) {
        throw std::runtime_error("brotli: BrotliEncoderCompress failed on " + std::to_string(size) + " bytes");
    }
    out.resize(encoded);
    return out;
}

std::string gzip_settings() {
    return std::string("gzip-zlib-") + zlibVersion() + "-level" + std::to_string(gzip_level) + "-window" +
           std::to_string(gzip_window) + "-memlevel" + std::to_string(gzip_mem_level) + "-default";
}

std::string brotli_settings() {
    // encode.h: BrotliEncoderVersion() is MAJOR << 24 | MINOR << 12 | PATCH.
    const std::uint32_t v = BrotliEncoderVersion();
    return "brotli-" + std::to_string(v >> 24) + "." + std::to_string((v >> 12) & 0xFFF) + "." + std::to_string(v & 0xFFF) +
           "-quality" + std::to_string(brotli_quality) + "-window" + std::to_string(brotli_window) + "-generic";
}

ModuleSize measure(const std::vector<std::uint8_t>& bytes, const Module& module, Brotli brotli) {
    ModuleSize s;
    s.raw = bytes.size();
    if (brotli == Brotli::measure) {
        // The two compressors are independent and each uses one core: brotli
        // at quality 11 takes 4 to 5 times as long as gzip -9, so gzip runs on
        // a second thread beside it (the sizes are the same either way).
        auto gzip = std::async(std::launch::async, [&bytes] { return gzip_compress(bytes.data(), bytes.size()).size(); });
        s.brotli = brotli_compress(bytes.data(), bytes.size()).size();
        s.gzip = gzip.get();
    } else {
        s.gzip = gzip_compress(bytes.data(), bytes.size()).size();
    }
    s.sections.reserve(module.sections.size());
    for (const auto& sec : module.sections) {
        s.sections.push_back({sec.id, sec.name, sec.payload_offset + sec.size - sec.offset});
    }
    s.memory = module.memory0();
    return s;
}

LoadedModule load_module(const std::string& path) {
    struct Closer {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    const std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
    if (!file) throw std::runtime_error(path + ": cannot read: " + std::strerror(errno));
    LoadedModule loaded;
    constexpr std::size_t chunk = std::size_t{1} << 16;
    std::size_t used = 0;
    errno = 0;
    for (;;) {
        loaded.bytes.resize(used + chunk);
        const std::size_t got = std::fread(loaded.bytes.data() + used, 1, chunk, file.get());
        used += got;
        if (got < chunk) break;
    }
    loaded.bytes.resize(used);
    if (std::ferror(file.get()) != 0) {
        const int error = errno != 0 ? errno : EIO;
        throw std::runtime_error(path + ": cannot read: " + std::strerror(error));
    }
    try {
        loaded.module = parse(loaded.bytes.data(), loaded.bytes.size());
    } catch (const ParseError& e) {
        throw ParseError(e.offset, path + ": " + e.message);
    }
    return loaded;
}

}  // namespace buildbudget::wasm
