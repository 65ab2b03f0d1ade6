// Compressed sizes without the wait (doc/helper-wasm-analyze.md, "Compressed
// sizes and the cache"): the gzip -9 and brotli -q 11 sizes
// of `wasm analyze`, computed concurrently, cached by content hash, or taken
// from the size report `wasm optimize` wrote beside the module.
//
// Every figure is that of wasm::gzip_compress() / brotli_compress()
// (size.hpp), the functions wasm::measure() uses for MAX_GZIP_SIZE and
// MAX_BROTLI_SIZE: the cache and the size report only spare computing it again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace buildbudget::wasm {

enum class Encoding { gzip, brotli };

/// "gzip -9" or "brotli -q 11".
[[nodiscard]] const char* to_string(Encoding encoding);

/// gzip_settings() or brotli_settings() (size.hpp): the library version and settings the figure depends on.
[[nodiscard]] std::string encoding_settings(Encoding encoding);

/// Bytes of the gzip_compress() or brotli_compress() stream of `size` bytes at
/// `data`. Throws std::runtime_error as they do (out of memory).
[[nodiscard]] std::uint64_t compressed_size(Encoding encoding, const std::uint8_t* data, std::size_t size);

/// SHA-256 (FIPS 180-4, OpenSSL's libcrypto) of `size` bytes at `data` (may
/// be null when size is 0), as 64 lowercase hexadecimal digits. Throws
/// std::runtime_error if libcrypto fails.
[[nodiscard]] std::string sha256_hex(const std::uint8_t* data, std::size_t size);

/// The user's cache directory for BuildBudget: $XDG_CACHE_HOME/buildbudget
/// when XDG_CACHE_HOME is an absolute path, else $HOME/.cache/buildbudget
/// (XDG Base Directory Specification 0.8: a relative XDG_CACHE_HOME is
/// ignored); empty when neither is set.
[[nodiscard]] std::filesystem::path default_cache_dir();

/// The compressed sizes cached under a directory, one small JSON file per
/// module content and encoding:
///   <dir>/compressed-size/<encoding_settings()>/<sha256>.json
///   {"schema": "buildbudget-compressed-size/1", "sha256": "...", "settings": "...", "raw": N, "bytes": N}
/// A different zlib or brotli version, or different settings, is a different
/// directory: an entry is never read for settings it was not computed with.
class SizeCache {
public:
    explicit SizeCache(std::filesystem::path dir) : dir_(std::move(dir)) {}

    /// The entry's file.
    [[nodiscard]] std::filesystem::path entry_path(Encoding encoding, const std::string& sha256) const;

    /// The cached size of the content `sha256` of `raw` bytes; empty when
    /// there is no entry, or it cannot be read, is not valid JSON or does not
    /// match (sha256, settings, raw): such an entry is computed again and
    /// rewritten, never trusted.
    [[nodiscard]] std::optional<std::uint64_t> find(Encoding encoding, const std::string& sha256, std::uint64_t raw) const;

    /// Writes the entry (to a temporary file in its directory, renamed over
    /// the old one: common/output_file.hpp). False with `error` (the path and
    /// the system's reason) when it cannot be written.
    bool store(Encoding encoding, const std::string& sha256, std::uint64_t raw, std::uint64_t bytes,
               std::string& error) const;

private:
    std::filesystem::path dir_;
};

/// Where `wasm_build_target()` puts the size report of a module
/// (Modules/BuildBudgetWasm.cmake): "<module>.size.json", beside it.
[[nodiscard]] std::string size_report_path(const std::string& module_path);

/// The gzip and brotli sizes of a `wasm optimize` size report (schema
/// buildbudget-wasm-size/1, doc/helper-wasm-size.md) for the module whose
/// content is `sha256` and `raw` bytes long: each only when the report's
/// "sha256" and "raw" are those and the figure is a number (its brotli is null
/// under --skip-brotli). A missing, unreadable or different report gives
/// nothing: the sizes are then computed.
struct ReportedSizes {
    std::optional<std::uint64_t> gzip, brotli;
};
[[nodiscard]] ReportedSizes sizes_from_report(const std::string& report_path, const std::string& sha256,
                                              std::uint64_t raw);

/// One compressed size to compute: `size` bytes at `data` (kept alive by the
/// caller until the job is done), `bytes` the result.
struct CompressionJob {
    std::size_t module = 0;  ///< the caller's index of the module
    Encoding encoding = Encoding::gzip;
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;
    std::uint64_t bytes = 0;
};

/// Runs compression jobs concurrently on `threads` threads (at most one per
/// job), the longest first (brotli at quality 11 takes 4 to 5 times as long as
/// gzip -9 a byte: size.hpp), so gzip and brotli run side by side and several
/// modules at once. The threads start in the constructor. The destructor
/// starts no further job and waits for the running ones (a compressor cannot
/// be interrupted).
class CompressionRunner {
public:
    CompressionRunner(std::vector<CompressionJob> jobs, unsigned threads);
    ~CompressionRunner();
    CompressionRunner(const CompressionRunner&) = delete;
    CompressionRunner& operator=(const CompressionRunner&) = delete;

    /// Waits up to `timeout` for a job to finish: the index of a finished job
    /// not returned before, or empty on timeout or when every job has been
    /// returned. Rethrows a job's exception (std::runtime_error).
    std::optional<std::size_t> wait_next(std::chrono::milliseconds timeout);

    [[nodiscard]] const CompressionJob& job(std::size_t index) const { return jobs_[index]; }
    [[nodiscard]] std::size_t size() const { return jobs_.size(); }
    /// Jobs returned by wait_next() so far.
    [[nodiscard]] std::size_t returned() const { return returned_; }

private:
    void work();

    std::vector<CompressionJob> jobs_;
    std::vector<std::size_t> order_;  ///< job indices, longest first
    std::vector<std::exception_ptr> errors_;
    std::mutex mutex_;
    std::condition_variable finished_cv_;
    std::size_t next_ = 0;             ///< next position in order_ to start (under mutex_)
    bool stopping_ = false;            ///< under mutex_
    std::vector<std::size_t> finished_;  ///< finished, not yet returned (under mutex_)
    std::size_t returned_ = 0;
    std::vector<std::thread> threads_;
};

/// Where the compressed sizes of `wasm analyze` come from.
struct CompressedSizeOptions {
    std::filesystem::path cache_dir;  ///< the SizeCache's directory; empty: no cache (--no-cache)
    bool reuse_reports = true;        ///< take figures from "<module>.size.json" (sizes_from_report)
    unsigned threads = 2;             ///< CompressionRunner's threads
};

/// A module to measure: its path and its bytes (kept alive by the caller
/// until wait() returns).
struct ModuleBytes {
    std::string path;
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;
};

/// The gzip -9 and brotli -q 11 sizes of several modules: each figure from
/// the module's size report when its content hash matches, else from the
/// cache, else computed (CompressionRunner) and then cached. The constructor
/// hashes the modules, looks the figures up and starts computing the rest;
/// wait() collects them.
class CompressedSizes {
public:
    CompressedSizes(std::vector<ModuleBytes> modules, CompressedSizeOptions options);

    /// Figures still to compute (0: wait() returns at once).
    [[nodiscard]] std::size_t pending() const { return runner_ ? runner_->size() : 0; }

    /// Waits for every figure. `progress(done, total)` is called on this
    /// thread when waiting starts, then about every `interval` and when a
    /// figure is done. A cache entry that cannot be written adds one message
    /// to `warnings` (once a run): the sizes are right, only not cached.
    /// Returns {gzip, brotli} of each module, in the constructor's order.
    /// Throws std::runtime_error when a compressor fails (out of memory).
    template <typename Progress>
    std::vector<std::pair<std::uint64_t, std::uint64_t>> wait(Progress progress, std::chrono::milliseconds interval,
                                                              std::vector<std::string>& warnings) {
        if (runner_) {
            progress(runner_->returned(), runner_->size());
            while (runner_->returned() < runner_->size()) {
                if (const auto done = runner_->wait_next(interval)) finished(*done, warnings);
                progress(runner_->returned(), runner_->size());
            }
        }
        return sizes_;
    }

private:
    void finished(std::size_t job, std::vector<std::string>& warnings);

    std::vector<ModuleBytes> modules_;
    std::vector<std::string> sha256_;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> sizes_;
    std::optional<SizeCache> cache_;
    bool cache_warned_ = false;
    std::unique_ptr<CompressionRunner> runner_;
};

}  // namespace buildbudget::wasm
