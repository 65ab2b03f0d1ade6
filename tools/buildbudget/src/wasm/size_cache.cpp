#include "wasm/size_cache.hpp"

#include "common/output_file.hpp"
#include "wasm/size.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace buildbudget::wasm {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* cache_schema = "buildbudget-compressed-size/1";

/// The JSON document in the file at `path`; empty when it cannot be read or parsed.
std::optional<json> read_json(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return std::nullopt;
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return std::nullopt;
    return j;
}

/// j[key] when it is a non-negative integer.
std::optional<std::uint64_t> unsigned_field(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned()) return std::nullopt;
    return it->get<std::uint64_t>();
}

/// j[key] == value, for a string field.
bool string_field_is(const json& j, const char* key, const std::string& value) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() && it->get_ref<const std::string&>() == value;
}

}  // namespace

const char* to_string(Encoding encoding) { return encoding == Encoding::gzip ? "gzip -9" : "brotli -q 11"; }

std::string encoding_settings(Encoding encoding) {
    return encoding == Encoding::gzip ? gzip_settings() : brotli_settings();
}

std::uint64_t compressed_size(Encoding encoding, const std::uint8_t* data, std::size_t size) {
    return encoding == Encoding::gzip ? gzip_compress(data, size).size() : brotli_compress(data, size).size();
}

std::string sha256_hex(const std::uint8_t* data, std::size_t size) {
    static const std::uint8_t empty = 0;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data != nullptr ? data : &empty, size, digest, &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("libcrypto: SHA-256 of " + std::to_string(size) + " bytes failed");
    }
    static const char hex[] = "0123456789abcdef";
    std::string text;
    text.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 0xF];
    }
    return text;
}

std::filesystem::path default_cache_dir() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    if (xdg != nullptr && xdg[0] == '/') return std::filesystem::path(xdg) / "buildbudget";
    const char* home = std::getenv("HOME");
    if (home != nullptr && home[0] != '\0') return std::filesystem::path(home) / ".cache" / "buildbudget";
    return {};
}

std::filesystem::path SizeCache::entry_path(Encoding encoding, const std::string& sha256) const {
    return dir_ / "compressed-size" / encoding_settings(encoding) / (sha256 + ".json");
}

std::optional<std::uint64_t> SizeCache::find(Encoding encoding, const std::string& sha256, std::uint64_t raw) const {
    const std::optional<json> j = read_json(entry_path(encoding, sha256));
    if (!j || !j->is_object() || !string_field_is(*j, "schema", cache_schema) || !string_field_is(*j, "sha256", sha256) ||
        !string_field_is(*j, "settings", encoding_settings(encoding)) || unsigned_field(*j, "raw") != raw) {
        return std::nullopt;
    }
    return unsigned_field(*j, "bytes");
}

bool SizeCache::store(Encoding encoding, const std::string& sha256, std::uint64_t raw, std::uint64_t bytes,
                      std::string& error) const {
    json j;
    j["schema"] = cache_schema;
    j["sha256"] = sha256;
    j["settings"] = encoding_settings(encoding);
    j["raw"] = raw;
    j["bytes"] = bytes;
    return write_file_if_changed(entry_path(encoding, sha256).string(), j.dump() + "\n", error) != WriteResult::failed;
}

std::string size_report_path(const std::string& module_path) { return module_path + ".size.json"; }

ReportedSizes sizes_from_report(const std::string& report_path, const std::string& sha256, std::uint64_t raw) {
    ReportedSizes sizes;
    const std::optional<json> j = read_json(report_path);
    if (!j || !j->is_object() || !string_field_is(*j, "schema", "buildbudget-wasm-size/1") ||
        !string_field_is(*j, "sha256", sha256) || unsigned_field(*j, "raw") != raw) {
        return sizes;
    }
    sizes.gzip = unsigned_field(*j, "gzip");
    sizes.brotli = unsigned_field(*j, "brotli");
    return sizes;
}

CompressionRunner::CompressionRunner(std::vector<CompressionJob> jobs, unsigned threads)
    : jobs_(std::move(jobs)), errors_(jobs_.size()) {
    order_.resize(jobs_.size());
    for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    // Longest first: brotli -q 11 costs about 5 times gzip -9 a byte (size.hpp, wasm::Brotli).
    const auto cost = [this](std::size_t i) {
        return static_cast<double>(jobs_[i].size) * (jobs_[i].encoding == Encoding::brotli ? 5.0 : 1.0);
    };
    std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) { return cost(a) > cost(b); });
    const std::size_t count = std::min<std::size_t>(std::max(threads, 1U), jobs_.size());
    threads_.reserve(count);
    for (std::size_t t = 0; t < count; ++t) threads_.emplace_back([this] { work(); });
}

CompressionRunner::~CompressionRunner() {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    for (auto& t : threads_) t.join();
}

void CompressionRunner::work() {
    for (;;) {
        std::size_t index = 0;
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_ || next_ == order_.size()) return;
            index = order_[next_++];
        }
        CompressionJob& job = jobs_[index];
        std::exception_ptr error;
        try {
            job.bytes = compressed_size(job.encoding, job.data, job.size);
        } catch (...) {
            error = std::current_exception();
        }
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            errors_[index] = error;
            finished_.push_back(index);
        }
        finished_cv_.notify_all();
    }
}

std::optional<std::size_t> CompressionRunner::wait_next(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (returned_ == jobs_.size()) return std::nullopt;
    if (!finished_cv_.wait_for(lock, timeout, [this] { return !finished_.empty(); })) return std::nullopt;
    const std::size_t index = finished_.front();
    finished_.erase(finished_.begin());
    ++returned_;
    if (errors_[index]) std::rethrow_exception(errors_[index]);
    return index;
}

CompressedSizes::CompressedSizes(std::vector<ModuleBytes> modules, CompressedSizeOptions options)
    : modules_(std::move(modules)), sizes_(modules_.size()) {
    if (!options.cache_dir.empty()) cache_.emplace(options.cache_dir);
    std::vector<CompressionJob> jobs;
    sha256_.reserve(modules_.size());
    for (std::size_t i = 0; i < modules_.size(); ++i) {
        const ModuleBytes& m = modules_[i];
        sha256_.push_back(sha256_hex(m.data, m.size));
        ReportedSizes known;
        if (options.reuse_reports) known = sizes_from_report(size_report_path(m.path), sha256_[i], m.size);
        if (cache_) {
            if (!known.gzip) known.gzip = cache_->find(Encoding::gzip, sha256_[i], m.size);
            if (!known.brotli) known.brotli = cache_->find(Encoding::brotli, sha256_[i], m.size);
        }
        if (known.gzip) {
            sizes_[i].first = *known.gzip;
        } else {
            jobs.push_back({i, Encoding::gzip, m.data, m.size, 0});
        }
        if (known.brotli) {
            sizes_[i].second = *known.brotli;
        } else {
            jobs.push_back({i, Encoding::brotli, m.data, m.size, 0});
        }
    }
    if (!jobs.empty()) runner_ = std::make_unique<CompressionRunner>(std::move(jobs), options.threads);
}

void CompressedSizes::finished(std::size_t index, std::vector<std::string>& warnings) {
    const CompressionJob& job = runner_->job(index);
    (job.encoding == Encoding::gzip ? sizes_[job.module].first : sizes_[job.module].second) = job.bytes;
    std::string error;
    if (cache_ && !cache_warned_ && !cache_->store(job.encoding, sha256_[job.module], job.size, job.bytes, error)) {
        cache_warned_ = true;
        warnings.push_back("the compressed sizes are not cached: " + error);
    }
}

}  // namespace buildbudget::wasm
