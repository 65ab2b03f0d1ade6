// Cargo's rustc wrapper and sccache's statistics (doc/lowmem.md, "Cargo"): see rustc_wrapper.hpp.
#include "buildmem/rustc_wrapper.hpp"

#include "buildmem/env_script.hpp"
#include "common/output_file.hpp"
#include "common/process.hpp"
#include "common/templates.hpp"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <type_traits>

namespace buildbudget::buildmem {
namespace {

namespace fs = std::filesystem;

constexpr const char* shims_name = "rustc-wrapper.d";

std::string plan_dir(const std::string& plan_file) {
    return fs::absolute(fs::path(plan_file)).parent_path().string();
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
bool listening(unsigned port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

std::uint64_t counts_sum(const nlohmann::json& counts, std::map<std::string, std::uint64_t>& by_language) {
    std::uint64_t sum = 0;
    for (const auto& [language, n] : counts.items()) {
        if (!n.is_number_unsigned()) continue;
        by_language[language] = n.get<std::uint64_t>();
        sum += n.get<std::uint64_t>();
    }
    return sum;
}

std::string plural(std::uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string by_language(const std::map<std::string, std::uint64_t>& counts) {
    std::string text;
    for (const auto& [language, n] : counts) text += (text.empty() ? "" : ", ") + language + " " + std::to_string(n);
    return text.empty() ? text : " (" + text + ")";
}

}  // namespace

std::string rustc_wrapper_path(const std::string& plan_file) { return plan_dir(plan_file) + "/rustc-wrapper"; }

std::string rustc_wrapper_shims(const std::string& plan_file) { return plan_dir(plan_file) + "/" + shims_name; }

std::string find_on_path(const std::string& program, const std::string& path) {
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto colon = path.find(':', start);
        std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (dir.empty()) dir = ".";
        const fs::path candidate = fs::absolute(fs::path(dir) / program);
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
            return candidate.lexically_normal().string();
        }
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    return {};
}

std::string self_executable() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw std::runtime_error("/proc/self/exe: cannot read (" + ec.message() + ")");
    return self.string();
}

RustcWrapperInputs rustc_wrapper_inputs(const std::string& plan_file) {
    RustcWrapperInputs inputs;
    inputs.helper = self_executable();
    inputs.plan = fs::absolute(fs::path(plan_file)).lexically_normal().string();
    const char* path = std::getenv("PATH");
    inputs.sccache = find_on_path("sccache", path != nullptr ? path : "");
    return inputs;
}

std::string rustc_wrapper_text(const RustcWrapperInputs& in) {
    return render_template(read_template(rustc_wrapper_template),
                           {{"BUILD_DIR", fs::path(plan_dir(in.plan)).parent_path().string()},
                            {"HELPER", sh_quoted(in.helper)},
                            {"PLAN", sh_quoted(in.plan)},
                            {"SCCACHE", sh_quoted(in.sccache)},
                            {"SELF", sh_quoted(rustc_wrapper_path(in.plan))},
                            {"SHIMS_NAME", shims_name}});
}

void make_executable(const std::string& file) {
    if (::chmod(file.c_str(), 0755) != 0) {
        throw std::runtime_error(file + ": cannot make it executable (" + std::strerror(errno) + ")");
    }
}

std::string write_rustc_wrapper(const RustcWrapperInputs& inputs, bool& written) {
    const std::string file = rustc_wrapper_path(inputs.plan);
    const std::string text = rustc_wrapper_text(inputs);
    std::string error;
    switch (write_file_if_changed(file, text, error)) {
        case WriteResult::unchanged: written = false; break;
        case WriteResult::written: written = true; break;
        case WriteResult::failed: throw std::runtime_error(file + ": " + error);
    }
    make_executable(file);
    return file;
}

bool is_sccache(const std::string& wrapper) {
    const std::string name = fs::path(wrapper).filename().string();
    return name == "sccache" || name == "sccache.exe";
}

bool is_buildbudget_rustc_wrapper(const std::string& wrapper) {
    const fs::path path(wrapper);
    return path.filename() == "rustc-wrapper" && path.parent_path().filename() == "buildbudget-lowmem";
}

SccacheStats query_sccache_stats(const std::string& program) {
    SccacheStats stats;
    stats.program = program;
    if (const char* port = std::getenv("SCCACHE_SERVER_PORT"); port != nullptr && *port != '\0') {
        const long value = std::strtol(port, nullptr, 10);
        if (value > 0 && value < 65536) stats.port = static_cast<unsigned>(value);
    }
    if (!listening(stats.port)) return stats;
    stats.running = true;
    const ProcessResult r = run_process({program, "--show-stats", "--stats-format", "json"}, ChildOutput::capture);
    if (!r.started()) throw std::runtime_error(program + ": cannot run (" + std::strerror(r.spawn_errno) + ")");
    if (!r.ok()) throw std::runtime_error(program + " --show-stats " + r.describe_end() + ": " + r.err.substr(0, r.err.find('\n')));
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(r.out);
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(program + " --show-stats --stats-format json: not JSON: " + e.what());
    }
    const auto s = j.find("stats");
    if (!j.is_object() || s == j.end() || !s->is_object()) {
        throw std::runtime_error(program + " --show-stats --stats-format json: no \"stats\" object (expected sccache 0.4's output)");
    }
    const auto counter = [&](const char* name) {
        const auto it = s->find(name);
        return it != s->end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
    };
    stats.compile_requests = counter("compile_requests");
    stats.not_cacheable = counter("requests_not_cacheable");
    for (auto [name, sum, languages] : {std::make_tuple("cache_hits", &stats.hits, &stats.hits_by_language),
                                        std::make_tuple("cache_misses", &stats.misses, &stats.misses_by_language)}) {
        const auto it = s->find(name);
        if (it != s->end() && it->is_object() && it->contains("counts") && (*it)["counts"].is_object()) {
            *sum = counts_sum((*it)["counts"], *languages);
        }
    }
    if (const auto location = j.find("cache_location"); location != j.end() && location->is_string()) {
        stats.location = location->get<std::string>();
    }
    return stats;
}

std::string sccache_stats_text(const SccacheStats& stats) {
    if (!stats.running) {
        return "sccache: no server runs on port " + std::to_string(stats.port) +
               " (its hit and miss counts end with the server, which stops after 10 idle minutes by default)\n";
    }
    return "sccache (" + stats.program + ", server on port " + std::to_string(stats.port) +
           ", counts since it started or was zeroed, every build that used it" +
           (stats.location.empty() ? std::string() : ", cache " + stats.location) + "): " +
           plural(stats.hits, "hit", "hits") + by_language(stats.hits_by_language) + ", " +
           plural(stats.misses, "miss", "misses") + by_language(stats.misses_by_language) + ", " +
           std::to_string(stats.not_cacheable) + " not cacheable, of " +
           plural(stats.compile_requests, "compile request", "compile requests") + "\n";
}

nlohmann::ordered_json sccache_stats_json(const SccacheStats& stats) {
    return {{"program", stats.program},
            {"port", stats.port},
            {"running", stats.running},
            {"hits", stats.hits},
            {"misses", stats.misses},
            {"not_cacheable", stats.not_cacheable},
            {"compile_requests", stats.compile_requests},
            {"hits_by_language", stats.hits_by_language},
            {"misses_by_language", stats.misses_by_language},
            {"location", stats.location}};
}

SccacheStats sccache_stats_from_json(const nlohmann::ordered_json& j) {
    SccacheStats stats;
    if (!j.is_object()) return stats;
    const auto get = [&j](const char* name, auto& field) {
        const auto it = j.find(name);
        if (it == j.end()) return;
        try {
            field = it->get<std::remove_reference_t<decltype(field)>>();
        } catch (const nlohmann::json::exception&) {
            // mistyped: the default stays
        }
    };
    get("program", stats.program);
    get("port", stats.port);
    get("running", stats.running);
    get("hits", stats.hits);
    get("misses", stats.misses);
    get("not_cacheable", stats.not_cacheable);
    get("compile_requests", stats.compile_requests);
    get("hits_by_language", stats.hits_by_language);
    get("misses_by_language", stats.misses_by_language);
    get("location", stats.location);
    return stats;
}

std::string sccache_report_text(const nlohmann::ordered_json& j) {
    std::string text = j.is_object() ? sccache_stats_text(sccache_stats_from_json(j))
                                     : "sccache ran through cargo's rustc wrapper, but its counts could not be read.";
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

BuildTreeSccache build_tree_sccache(const std::string& plan_file) {
    BuildTreeSccache out;
    std::error_code ec;
    out.ran = fs::is_directory(rustc_wrapper_shims(plan_file), ec);
    if (!out.ran) return out;
    const char* path = std::getenv("PATH");
    const std::string program = find_on_path("sccache", path != nullptr ? path : "");
    try {
        out.stats = query_sccache_stats(program.empty() ? "sccache" : program);
    } catch (const std::runtime_error& e) {
        out.error = e.what();
    }
    return out;
}

}  // namespace buildbudget::buildmem
