#include "buildmem/job_log.hpp"

#include "common/json_error.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

namespace buildbudget::buildmem {
namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

std::string basename_of(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// A field that must be an integer (signed or not).
std::int64_t integer_field(const json& j, const char* name, const std::string& where) {
    const auto it = j.find(name);
    if (it == j.end()) throw JobLogError(where + ": missing \"" + name + "\" (expected an integer)");
    if (!it->is_number_integer()) {
        throw JobLogError(where + ": \"" + name + "\" must be an integer, got " + it->dump());
    }
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        throw JobLogError(where + ": \"" + name + "\" is out of range: " + it->dump());
    }
    return it->get<std::int64_t>();
}

std::optional<std::string> optional_string(const json& j, const char* name, const std::string& where) {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw JobLogError(where + ": \"" + name + "\" must be a string or null, got " + it->dump());
    return it->get<std::string>();
}

/// The "samples" of a record whose start_ms, end_ms and peak_rss are read: [ms, bytes] pairs of
/// non-negative integers, in increasing time, within the job's duration, none above its peak.
std::vector<std::pair<std::int64_t, std::uint64_t>> samples_field(const json& samples, const JobRecord& r,
                                                                   const std::string& where) {
    const std::string expected = "(expected [ms since start_ms, RSS bytes] pairs of non-negative integers)";
    if (!samples.is_array()) throw JobLogError(where + ": \"samples\" must be an array " + expected + ", got " + samples.dump());
    std::vector<std::pair<std::int64_t, std::uint64_t>> out;
    out.reserve(samples.size());
    const auto non_negative = [](const json& v) {
        return v.is_number_unsigned() && v.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX);
    };
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const json& s = samples[i];
        const std::string at = where + ": \"samples\"[" + std::to_string(i) + "]";
        if (!s.is_array() || s.size() != 2 || !non_negative(s[0]) || !non_negative(s[1])) {
            throw JobLogError(at + " must be a pair [ms, bytes] " + expected + ", got " + s.dump());
        }
        const auto ms = s[0].get<std::int64_t>();
        const auto rss = s[1].get<std::uint64_t>();
        if (!out.empty() && ms <= out.back().first) {
            throw JobLogError(at + ": " + std::to_string(ms) + " ms is not after the sample before it (" +
                              std::to_string(out.back().first) + " ms); samples are in increasing time");
        }
        if (ms > r.end_ms - r.start_ms) {
            throw JobLogError(at + ": " + std::to_string(ms) + " ms is after the job's end (end_ms - start_ms = " +
                              std::to_string(r.end_ms - r.start_ms) + " ms)");
        }
        if (rss > r.peak_rss) {
            throw JobLogError(at + ": " + std::to_string(rss) + " bytes is above \"peak_rss\" " +
                              std::to_string(r.peak_rss));
        }
        out.emplace_back(ms, rss);
    }
    return out;
}

std::string read_whole(const std::string& path, bool& ok, std::string& reason) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ok = false;
        reason = std::strerror(errno);
        return {};
    }
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    ok = !in.bad();
    if (!ok) reason = std::strerror(errno);
    return text;
}

/// Whether `text` may be spelled differently inside a JSON string: quotes,
/// backslashes and control characters are escaped, and other writers (Python's
/// json.dumps) escape non-ASCII characters as \uXXXX.
bool needs_escaping(const std::string& text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return c == '"' || c == '\\' || u < 0x20 || u >= 0x80;
    });
}

// --- command lines -----------------------------------------------------------

/// Launchers that run the rest of the command line (the compiler) themselves.
bool is_launcher(const std::string& word) {
    static const std::set<std::string> names{"ccache", "sccache", "distcc", "icecc", "buildcache", "env"};
    return names.count(basename_of(word)) != 0;
}

bool is_assignment(const std::string& word) {
    const std::size_t eq = word.find('=');
    if (eq == std::string::npos || eq == 0) return false;
    return std::all_of(word.begin(), word.begin() + static_cast<std::ptrdiff_t>(eq),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

/// GCC and clang options whose value is the next argument when written alone
/// (gcc(1), clang(1) "-Xclang <arg>", ...).
bool takes_separate_value(const std::string& arg) {
    static const std::set<std::string> options{
        "-I", "-D", "-U", "-L", "-l", "-T", "-u", "-z", "-e", "-A", "-B", "-F", "-x", "-G",
        "-include", "-imacros", "-isystem", "-iquote", "-idirafter", "-iprefix", "-iwithprefix",
        "-iwithprefixbefore", "-isysroot", "-imultilib", "-include-pch", "-cxx-isystem", "-isystem-after",
        "-ivfsoverlay", "-MF", "-MT", "-MQ", "-MJ", "-Xlinker", "-Xassembler", "-Xpreprocessor", "-Xclang",
        "-Xcuda-ptxas", "-Xcuda-fatbinary", "-Xopenmp-target", "-mllvm", "-target", "-arch", "-aux-info",
        "-dumpbase", "-dumpbase-ext", "-dumpdir", "-framework", "-resource-dir", "-gcc-toolchain",
        "--sysroot", "--param", "--serialize-diagnostics", "-working-directory", "-specs", "-wrapper",
        "-Xanalyzer", "-Xarch_host", "-Xarch_device"};
    return options.count(arg) != 0;
}

bool has_source_suffix(const std::string& arg) {
    static const std::set<std::string> suffixes{
        "c",  "i",   "ii", "cc",  "cp",  "cxx", "cpp", "CPP", "c++", "C",   "m",   "mi", "mm", "M",  "mii",
        "s",  "S",   "sx", "cu",  "hip", "f",   "for", "ftn", "F",   "FOR", "f90", "f95", "f03", "f08", "F90",
        "F95", "F03", "F08", "d", "go", "ads", "adb", "ixx", "cppm", "ccm", "cxxm", "c++m"};
    const std::string base = basename_of(arg);
    const std::size_t dot = base.rfind('.');
    if (dot == std::string::npos || dot == 0) return false;
    return suffixes.count(base.substr(dot + 1)) != 0;
}

/// The words of a GCC response file (libiberty's buildargv): white space
/// separates, single and double quotes group, a backslash takes the next character.
std::vector<std::string> split_response_file(const std::string& text) {
    std::vector<std::string> out;
    std::string word;
    bool in_word = false;
    char quote = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\\' && i + 1 < text.size()) {
            word += text[++i];
            in_word = true;
        } else if (quote != 0) {
            if (c == quote) {
                quote = 0;
            } else {
                word += c;
            }
        } else if (c == '\'' || c == '"') {
            quote = c;
            in_word = true;
        } else if (std::isspace(static_cast<unsigned char>(c))) {
            if (in_word) out.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (in_word) out.push_back(std::move(word));
    return out;
}

/// `args` with readable @file arguments replaced by their words (nested up to 8 deep).
std::vector<std::string> expand_response_files(const std::vector<std::string>& args, int depth = 0) {
    std::vector<std::string> out;
    for (const auto& a : args) {
        if (a.size() > 1 && a[0] == '@' && depth < 8) {
            bool ok = false;
            std::string reason;
            const std::string text = read_whole(a.substr(1), ok, reason);
            if (ok) {
                const auto words = expand_response_files(split_response_file(text), depth + 1);
                out.insert(out.end(), words.begin(), words.end());
                continue;
            }
        }
        out.push_back(a);
    }
    return out;
}

/// ar, llvm-ar, gcc-ar, x86_64-linux-gnu-ar, gcc-ar-12, llvm-ar-14: "ar" at the start or after
/// a '-', then nothing or "-<version digits and dots>".
bool is_archiver(const std::string& path) {
    std::string name = basename_of(path);
    const std::size_t dash = name.rfind('-');
    if (dash != std::string::npos && dash + 1 < name.size() &&
        name.find_first_not_of("0123456789.", dash + 1) == std::string::npos) {
        name.erase(dash);  // the version suffix
    }
    return name == "ar" || (name.size() > 3 && name.compare(name.size() - 3, 3, "-ar") == 0);
}

/// The index of the program in `command`: launchers in front of it (ccache, env, ...) and the
/// NAME=VALUE settings they take are skipped. command.size() when nothing is left.
std::size_t program_index(const std::vector<std::string>& command) {
    std::size_t i = 0;
    while (i < command.size()) {
        const std::string& w = command[i];
        if (is_launcher(w)) {
            const bool env = basename_of(w) == "env";
            ++i;
            while (i < command.size() && (is_assignment(command[i]) || (env && !command[i].empty() && command[i][0] == '-'))) {
                if (env && (command[i] == "-u" || command[i] == "--unset" || command[i] == "-C" || command[i] == "--chdir")) ++i;
                ++i;
            }
            continue;
        }
        if (is_assignment(w)) {
            ++i;
            continue;
        }
        break;
    }
    return i;
}

CommandFiles archive_files(const std::vector<std::string>& args) {
    // ar [--plugin P] [--target=T] [-]operation[modifiers] archive members...
    CommandFiles files;
    bool have_operation = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--plugin") {
            ++i;
            continue;
        }
        if (a.rfind("--", 0) == 0) continue;
        if (!have_operation) {
            have_operation = true;
            continue;
        }
        if (!a.empty() && a[0] == '-') continue;
        files.output = a;
        break;
    }
    return files;
}

/// rustc, or rustc-<version>/rustc.exe-like names a toolchain installs.
bool is_rustc(const std::string& path) {
    const std::string name = basename_of(path);
    return name == "rustc" || name.rfind("rustc-", 0) == 0;
}

CommandFiles rustc_files(const std::vector<std::string>& args) {
    // rustc --crate-name NAME [options] SOURCE.rs ... [-C extra-filename=-HASH] --out-dir DIR, as cargo runs it
    // (rustc --help: the options below take a separate value). The output is DIR/NAME-HASH, the key cargo's
    // files for one unit share: a package's lib and bin, or its build script, are different jobs.
    static const std::set<std::string> separate{"-L", "-l", "--cfg", "--check-cfg", "--crate-type", "--crate-name",
                                                "--edition", "--emit", "--print", "-o", "--out-dir", "--explain",
                                                "--target", "-A", "-W", "--force-warn", "-D", "-F", "--cap-lints",
                                                "-C", "--codegen", "-Z", "--extern", "--sysroot", "--error-format",
                                                "--json", "--color", "--diagnostic-width", "--remap-path-prefix",
                                                "--env-set"};
    CommandFiles files;
    std::string crate, extra, out_dir;
    for (std::size_t k = 0; k < args.size(); ++k) {
        std::string a = args[k];
        std::string value;
        if (separate.count(a) != 0 && k + 1 < args.size()) {
            value = args[++k];
        } else if (const std::size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = a.substr(eq + 1);
            a.erase(eq);
        } else if (a.size() > 2 && a[0] == '-' && a[1] == 'C') {
            value = a.substr(2);  // -Cextra-filename=-HASH
            a = "-C";
        } else if (!a.empty() && a[0] != '-' && !files.source) {
            files.source = a;
            continue;
        }
        if (a == "--crate-name") crate = value;
        if (a == "--out-dir") out_dir = value;
        if (a == "-o") files.output = value;
        if ((a == "-C" || a == "--codegen") && value.rfind("extra-filename=", 0) == 0) extra = value.substr(15);
    }
    if (!files.output && !crate.empty()) files.output = (out_dir.empty() ? "" : out_dir + "/") + crate + extra;
    return files;
}

}  // namespace

RssSamples::RssSamples(std::int64_t slot_ms, std::size_t limit)
    : slot_ms_(std::max<std::int64_t>(slot_ms, 1)), limit_(std::max<std::size_t>(limit, 2)) {
    samples_.reserve(limit_ + 1);
}

void RssSamples::add(std::int64_t ms, std::uint64_t rss) {
    ms = std::max<std::int64_t>(ms, samples_.empty() ? 0 : samples_.back().first);
    if (!samples_.empty() && samples_.back().first / slot_ms_ == ms / slot_ms_) {
        if (rss > samples_.back().second) samples_.back() = {ms, rss};  // the slot keeps its highest
        return;
    }
    samples_.emplace_back(ms, rss);
    while (samples_.size() > limit_) {
        // Twice as wide slots: neighbours that now share one keep the higher (the earlier on a tie).
        slot_ms_ *= 2;
        std::size_t kept = 0;
        for (std::size_t i = 0; i < samples_.size(); ++i) {
            if (kept > 0 && samples_[kept - 1].first / slot_ms_ == samples_[i].first / slot_ms_) {
                if (samples_[i].second > samples_[kept - 1].second) samples_[kept - 1] = samples_[i];
            } else {
                samples_[kept++] = samples_[i];
            }
        }
        samples_.resize(kept);
    }
}

std::string JobRecord::key() const {
    if (output) return *output;
    if (source) return *source;
    std::string joined;
    for (const auto& c : command) joined += (joined.empty() ? "" : " ") + c;
    return joined;
}

std::string JobRecord::name() const {
    if (source) return *source;
    if (output) return *output;
    return command.empty() ? std::string("(empty command)") : command.front();
}

bool JobRecord::archive() const { return kind == "link" && is_archive_command(command); }

bool is_archive_command(const std::vector<std::string>& command) {
    const std::size_t i = program_index(command);
    return i < command.size() && is_archiver(command[i]);
}

void to_json(json& j, const DistributedRun& run) {
    const auto text = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
    j = {{"engine", run.engine},
         {"ran", text(run.ran)},
         {"host", text(run.host)},
         {"failed_host", text(run.failed_host)},
         {"preprocessed", text(run.preprocessed)}};
}

bool is_rustc_command(const std::vector<std::string>& command) {
    const std::size_t i = program_index(command);
    return i < command.size() && is_rustc(command[i]);
}

std::string record_to_json(const JobRecord& r) {
    json j;
    j["kind"] = r.kind;
    j["source"] = r.source ? json(*r.source) : json(nullptr);
    j["output"] = r.output ? json(*r.output) : json(nullptr);
    j["command"] = r.command;
    j["start_ms"] = r.start_ms;
    j["end_ms"] = r.end_ms;
    j["peak_rss"] = r.peak_rss;
    j["exit_code"] = r.exit_code;
    j["signal"] = r.signal ? json(*r.signal) : json(nullptr);
    j["waited_ms"] = r.waited_ms;
    j["oom_kills"] = r.oom_kills;
    j["samples"] = json::array();
    for (const auto& [ms, rss] : r.samples) j["samples"].push_back({ms, rss});
    if (r.distributed) j["distributed"] = *r.distributed;
    // A command line may hold bytes that are not UTF-8: replace them rather than fail.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): the line, then where it is (file, line), as in messages
JobRecord record_from_json(const std::string& line, const std::string& file, std::size_t line_number) {
    const std::string where = file + ":" + std::to_string(line_number);
    json j;
    try {
        j = json::parse(line);
    } catch (const json::parse_error& e) {
        throw JobLogError(where + ":" + std::to_string(e.byte) + ": not valid JSON (expected one job record per line): " +
                          json_parse_error_detail(e));
    }
    if (!j.is_object()) throw JobLogError(where + ": expected a JSON object (one job record), got " + std::string(j.type_name()));
    JobRecord r;
    const auto kind = j.find("kind");
    if (kind == j.end() || !kind->is_string() || (*kind != "compile" && *kind != "link")) {
        throw JobLogError(where + ": \"kind\" must be \"compile\" or \"link\", got " +
                          (kind == j.end() ? std::string("nothing") : kind->dump()));
    }
    r.kind = kind->get<std::string>();
    r.source = optional_string(j, "source", where);
    r.output = optional_string(j, "output", where);
    const auto command = j.find("command");
    if (command == j.end() || !command->is_array() ||
        !std::all_of(command->begin(), command->end(), [](const json& w) { return w.is_string(); })) {
        throw JobLogError(where + ": \"command\" must be an array of strings, got " +
                          (command == j.end() ? std::string("nothing") : command->dump()));
    }
    r.command = command->get<std::vector<std::string>>();
    r.start_ms = integer_field(j, "start_ms", where);
    r.end_ms = integer_field(j, "end_ms", where);
    if (r.end_ms < r.start_ms) {
        throw JobLogError(where + ": \"end_ms\" " + std::to_string(r.end_ms) + " is before \"start_ms\" " +
                          std::to_string(r.start_ms));
    }
    const std::int64_t peak = integer_field(j, "peak_rss", where);
    if (peak < 0) throw JobLogError(where + ": \"peak_rss\" must be a number of bytes (0 or more), got " + std::to_string(peak));
    r.peak_rss = static_cast<std::uint64_t>(peak);
    const std::int64_t exit_code = integer_field(j, "exit_code", where);
    if (exit_code < 0 || exit_code > 255) {
        throw JobLogError(where + ": \"exit_code\" must be an exit status 0..255, got " + std::to_string(exit_code));
    }
    r.exit_code = static_cast<int>(exit_code);
    const auto signal = j.find("signal");
    if (signal != j.end() && !signal->is_null()) {
        if (!signal->is_number_integer() || signal->get<std::int64_t>() < 1 || signal->get<std::int64_t>() > 127) {
            throw JobLogError(where + ": \"signal\" must be a signal number or null, got " + signal->dump());
        }
        r.signal = signal->get<int>();
    }
    r.waited_ms = integer_field(j, "waited_ms", where);
    if (j.contains("oom_kills")) {
        const std::int64_t kills = integer_field(j, "oom_kills", where);
        if (kills < 0) throw JobLogError(where + ": \"oom_kills\" must be a count (0 or more), got " + std::to_string(kills));
        r.oom_kills = static_cast<std::uint64_t>(kills);
    }
    const auto samples = j.find("samples");
    if (samples != j.end()) r.samples = samples_field(*samples, r, where);
    const auto farm = j.find("distributed");
    if (farm != j.end() && !farm->is_null()) {
        if (!farm->is_object()) {
            throw JobLogError(where + ": \"distributed\" must be an object {\"engine\", \"ran\", \"host\", \"failed_host\", \"preprocessed\"}, got " +
                              farm->dump());
        }
        DistributedRun d;
        const auto engine = farm->find("engine");
        if (engine == farm->end() || !engine->is_string()) {
            throw JobLogError(where + ": \"distributed\".\"engine\" must be a string (distcc, icecc)");
        }
        d.engine = engine->get<std::string>();
        const std::string farm_where = where + ": \"distributed\"";
        d.ran = optional_string(*farm, "ran", farm_where);
        if (d.ran && *d.ran != "remote" && *d.ran != "local" && *d.ran != "fallback" && *d.ran != "failed") {
            throw JobLogError(farm_where + ".\"ran\" must be \"remote\", \"local\", \"fallback\", \"failed\" or null, got \"" +
                              *d.ran + "\"");
        }
        d.host = optional_string(*farm, "host", farm_where);
        d.failed_host = optional_string(*farm, "failed_host", farm_where);
        d.preprocessed = optional_string(*farm, "preprocessed", farm_where);  // absent in older records
        if (d.preprocessed && *d.preprocessed != "local" && *d.preprocessed != "remote") {
            throw JobLogError(farm_where + ".\"preprocessed\" must be \"local\", \"remote\" or null, got \"" +
                              *d.preprocessed + "\"");
        }
        r.distributed = d;
    }
    return r;
}

void append_record(const std::string& path, const JobRecord& record) {
    const std::string line = record_to_json(record) + "\n";
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        fs::create_directories(parent, ec);
        if (ec) throw JobLogError(path + ": cannot create the directory " + parent.string() + ": " + ec.message());
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) throw JobLogError(path + ": cannot open for appending: " + std::strerror(errno));
    std::size_t done = 0;
    while (done < line.size()) {
        // One write() of the whole line; the loop only continues after a
        // signal or a short write (a full disk), which POSIX allows.
        const ssize_t wrote = ::write(fd, line.data() + done, line.size() - done);
        if (wrote < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            ::close(fd);
            throw JobLogError(path + ": cannot append the job record: " + std::strerror(e));
        }
        done += static_cast<std::size_t>(wrote);
    }
    if (::close(fd) != 0) throw JobLogError(path + ": cannot append the job record: " + std::strerror(errno));
}

std::vector<JobRecord> read_records(const std::string& path) {
    bool ok = false;
    std::string reason;
    const std::string text = read_whole(path, ok, reason);
    if (!ok) throw JobLogError(path + ": cannot read: " + reason);
    std::vector<JobRecord> out;
    std::size_t start = 0, number = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        ++number;
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        if (std::all_of(line.begin(), line.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
            continue;
        }
        out.push_back(record_from_json(line, path, number));
        out.back().line = number;
    }
    return out;
}

// NOLINTNEXTLINE(bugprone-easily-swappable-parameters): file, kind, key: the order of the lookup
std::optional<std::uint64_t> last_finished_peak(const std::string& path, const std::string& kind, const std::string& key) {
    bool ok = false;
    std::string reason;
    const std::string text = read_whole(path, ok, reason);
    if (!ok) return std::nullopt;
    const bool prefilter = !needs_escaping(key);
    std::optional<std::uint64_t> peak;
    std::size_t start = 0, number = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        ++number;
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        if (prefilter && line.find(key) == std::string::npos) continue;
        try {
            const JobRecord r = record_from_json(line, path, number);
            if (r.kind == kind && r.finished() && r.key() == key) peak = r.peak_rss;
        } catch (const JobLogError&) {
            // A line another launcher is writing right now, or damage: not a prediction.
        }
    }
    return peak;
}

CommandFiles command_files(const std::vector<std::string>& command, bool is_link) {
    // Launchers in front of the compiler, and the settings they take.
    const std::size_t i = program_index(command);
    CommandFiles files;
    if (i >= command.size()) return files;
    const std::vector<std::string> args =
        expand_response_files(std::vector<std::string>(command.begin() + static_cast<std::ptrdiff_t>(i) + 1, command.end()));
    if (is_archiver(command[i])) return archive_files(args);
    if (is_rustc(command[i])) return rustc_files(args);
    std::optional<std::string> first_positional;
    bool after_double_dash = false;
    for (std::size_t k = 0; k < args.size(); ++k) {
        const std::string& a = args[k];
        if (!after_double_dash && a == "--") {
            after_double_dash = true;
            continue;
        }
        if (!after_double_dash && a.size() > 1 && a[0] == '-') {
            if (a == "-o" || a == "--output") {
                if (k + 1 < args.size()) files.output = args[++k];
            } else if (a.rfind("--output=", 0) == 0) {
                files.output = a.substr(9);
            } else if (a.size() > 2 && a[1] == 'o' && a.rfind("-objc", 0) != 0) {
                files.output = a.substr(2);  // -oFILE
            } else if (takes_separate_value(a)) {
                ++k;
            }
            continue;
        }
        if (is_link) continue;
        if (a == "-" || has_source_suffix(a)) {
            if (!files.source) files.source = a;
        } else if (!first_positional) {
            first_positional = a;
        }
    }
    if (!is_link && !files.source) files.source = first_positional;
    return files;
}

}  // namespace buildbudget::buildmem
