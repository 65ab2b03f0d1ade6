// The sizes a WebAssembly module ships at (doc/wasm.md, MAX_SIZE, MAX_GZIP_SIZE,
// MAX_BROTLI_SIZE; doc/design.md, "WebAssembly"): raw bytes, gzip and brotli
// compressed bytes, bytes per section, and its linear memory.
//
// The compressed sizes are those of the strongest standard settings, the
// ones a static .wasm file is pre-compressed with and that size-limit's file
// plugin (@size-limit/file: Node's createGzip({level: 9}) and
// createBrotliCompress with BROTLI_PARAM_QUALITY 11) measures:
//   gzip   - zlib deflate, level 9, window 2^15, memLevel 8 (zlib's default),
//            default strategy, with zlib's 10-byte gzip header (no file name,
//            no time stamp) and 8-byte trailer: the length of `gzip -9n < f`
//            up to differences between GNU gzip's and zlib's deflate, and
//            exactly the length of Python's gzip.compress(data, 9);
//   brotli - libbrotlienc one-shot BrotliEncoderCompress, quality 11
//            (BROTLI_MAX_QUALITY), window 2^22 (BROTLI_DEFAULT_WINDOW),
//            BROTLI_MODE_GENERIC: the `brotli -q 11` defaults (RFC 7932).
// Servers and CDNs that compress on the fly often use lower levels, so these
// are the smallest transfer sizes, the ones a size budget should hold.
#pragma once

#include "wasm/reader.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace buildbudget::wasm {

/// Bytes of a memory page (core spec §2.5.7 "Memory Types": limits in units of 64 KiB pages).
inline constexpr std::uint64_t page_bytes = 65536;

/// `pages` * 64 KiB, saturated at 2^64-1 (memory64 limits may be that large).
[[nodiscard]] std::uint64_t pages_to_bytes(std::uint64_t pages);

/// One section of the file as it is stored (core spec §5.5.2).
struct SectionSize {
    std::uint8_t id = 0;     ///< 0 = custom, 1 = type ... 12 = datacount, 13 = tag
    std::string name;        ///< standard name ("code", "data", ...) or a custom section's own name (".debug_info")
    std::uint64_t bytes = 0; ///< the whole section: id byte + LEB128 size field + payload
};

/// What `measure()` found. All sizes in bytes.
struct ModuleSize {
    std::uint64_t raw = 0;     ///< the file
    std::uint64_t gzip = 0;    ///< gzip -9 stream (see the top of this file)
    /// brotli quality 11 stream; empty when measure() was asked not to compress with brotli
    std::optional<std::uint64_t> brotli;
    /// In file order; their bytes sum to raw - 8 (the magic and version).
    std::vector<SectionSize> sections;
    std::optional<Limits> memory;  ///< memory 0 (Module::memory0()), in pages; empty: no linear memory
};

/// The gzip stream of `size` bytes at `data` (may be null when size is 0), as
/// described at the top of this file. Throws std::runtime_error with zlib's
/// message if zlib fails (only when out of memory).
[[nodiscard]] std::vector<std::uint8_t> gzip_compress(const std::uint8_t* data, std::size_t size);

/// The brotli stream (quality 11, window 2^22, generic mode) of `size` bytes
/// at `data` (may be null when size is 0). Throws std::runtime_error when the
/// encoder fails (out of memory, or an input whose bound overflows size_t).
[[nodiscard]] std::vector<std::uint8_t> brotli_compress(const std::uint8_t* data, std::size_t size);

/// What the figures of gzip_compress() and brotli_compress() depend on, for a
/// cache key (wasm/size_cache.hpp): the version of the library that runs and
/// every setting above, e.g. "gzip-zlib-1.2.13-level9-window15-memlevel8-default"
/// and "brotli-1.0.9-quality11-window22-generic". Two equal strings give the
/// same sizes for the same bytes.
[[nodiscard]] std::string gzip_settings();
[[nodiscard]] std::string brotli_settings();

/// Whether measure() compresses with brotli as well as gzip. Quality 11 costs
/// about 2.3 s a MB of module on this project's machine (4 to 5 times gzip -9),
/// which a build that holds no brotli limit need not pay on every relink
/// (doc/wasm-build.md, "Edit-rebuild").
enum class Brotli { measure, skip };

/// Measures a module: `bytes` is the file, `module` what wasm::parse() read
/// from it (its sections give the per-section sizes). gzip and brotli run on
/// two threads. Throws std::runtime_error when compression fails.
[[nodiscard]] ModuleSize measure(const std::vector<std::uint8_t>& bytes, const Module& module,
                                 Brotli brotli = Brotli::measure);

/// A module file with its bytes kept (the compressed sizes and the feature
/// scan need them; wasm::read_file() drops them).
struct LoadedModule {
    std::vector<std::uint8_t> bytes;
    Module module;
};

/// Reads and parses the file at `path`, with read_file()'s errors: ParseError
/// whose what() is "<path>: <problem> at byte offset <N>", or
/// std::runtime_error "<path>: cannot read: <strerror>".
[[nodiscard]] LoadedModule load_module(const std::string& path);

}  // namespace buildbudget::wasm
