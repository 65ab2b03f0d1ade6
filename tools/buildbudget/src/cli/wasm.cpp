// `buildbudget wasm size` and `buildbudget wasm optimize` (doc/helper-wasm-size.md): what
// wasm_build_target() runs at build time to optimise a module with wasm-opt
// and hold it to its size and linear-memory budgets.
#include "cli/wasm.hpp"

#include "budget/size.hpp"
#include "cli/check_output.hpp"
#include "cli/options.hpp"
#include "common/output_file.hpp"
#include "common/process.hpp"
#include "report/format.hpp"
#include "report/table.hpp"
#include "wasm/features.hpp"
#include "wasm/size.hpp"
#include "wasm/size_cache.hpp"
#include "wasm/symbols.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>


namespace buildbudget::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using report::Align;
using report::percent_cell;
using report::size_cell;

std::string section_label(const wasm::SectionSize& s) { return s.id == 0 ? s.name + " (custom)" : s.name; }

json memory_json(const std::optional<wasm::Limits>& m) {
    if (!m) return nullptr;
    json j;
    j["initial_pages"] = m->initial;
    j["maximum_pages"] = m->maximum ? json(*m->maximum) : json(nullptr);
    j["initial_bytes"] = wasm::pages_to_bytes(m->initial);
    j["maximum_bytes"] = m->maximum ? json(wasm::pages_to_bytes(*m->maximum)) : json(nullptr);
    j["shared"] = m->shared;
    j["memory64"] = m->is64;
    return j;
}

/// "linear memory 128 KiB (131072) initial, 2 GiB (2147483648) maximum" or "no linear memory".
std::string memory_text(const std::optional<wasm::Limits>& m) {
    if (!m) return "no linear memory";
    return "linear memory " + size_cell(wasm::pages_to_bytes(m->initial)) + " initial (" + std::to_string(m->initial) +
           " pages), " +
           (m->maximum ? size_cell(wasm::pages_to_bytes(*m->maximum)) + " maximum (" + std::to_string(*m->maximum) + " pages)"
                       : std::string("no maximum")) +
           (m->shared ? ", shared" : "") + (m->is64 ? ", 64-bit" : "");
}

/// A measured module: its component name and its file.
struct Subject {
    std::string name, file;
};

/// The part of the schema "buildbudget-wasm-size/1" that `size` and `optimize` share. `sha256`: of
/// the module's bytes (wasm::sha256_hex), so `wasm analyze` can reuse the gzip and brotli figures
/// of this very content (doc/helper-wasm-analyze.md, "Compressed sizes and the cache").
json size_json(const Subject& subject, const wasm::ModuleSize& s, const wasm::FeatureScan& f, const std::string& sha256) {
    json j;
    j["schema"] = "buildbudget-wasm-size/1";
    j["name"] = subject.name;
    j["file"] = subject.file;
    j["raw"] = s.raw;
    j["sha256"] = sha256;
    j["gzip"] = s.gzip;
    j["brotli"] = s.brotli ? json(*s.brotli) : json(nullptr);  // null: not measured (wasm optimize --skip-brotli)
    j["sections"] = json::array();
    for (const auto& sec : s.sections) {
        j["sections"].push_back({{"id", sec.id}, {"name", sec.name}, {"custom", sec.id == 0}, {"bytes", sec.bytes}});
    }
    j["memory"] = memory_json(s.memory);
    j["features"] = json::array();
    for (const auto& u : f.used) j["features"].push_back({{"name", u.name}, {"evidence", u.evidence}});
    return j;
}

// --- wasm size ---------------------------------------------------------------

struct SizeOptions {
    std::string file;
    bool json = false;
};

int run_size(const SizeOptions& o) {
    wasm::LoadedModule loaded;
    try {
        loaded = wasm::load_module(o.file);
    } catch (const std::runtime_error& e) {
        return fail(e.what());
    }
    const wasm::ModuleSize s = wasm::measure(loaded.bytes, loaded.module);
    const wasm::FeatureScan features = wasm::scan_features(loaded.bytes, loaded.module);
    if (o.json) {
        json j = size_json({fs::path(o.file).stem().string(), o.file}, s, features,
                           wasm::sha256_hex(loaded.bytes.data(), loaded.bytes.size()));
        j["notes"] = features.notes;
        std::cout << j.dump(2) << '\n';
        return 0;
    }
    std::cout << o.file << ": WebAssembly module, " << s.raw << " bytes\n"
              << report::render_table({"Encoding", "Size", "Ratio to raw"},
                                      {{"raw", size_cell(s.raw), percent_cell(s.raw, s.raw)},
                                       {"gzip -9", size_cell(s.gzip), percent_cell(s.gzip, s.raw)},
                                       {"brotli -q 11", size_cell(*s.brotli), percent_cell(*s.brotli, s.raw)}},
                                      {Align::left, Align::right, Align::right})
              << '\n';
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"(magic and version)", std::to_string(8), percent_cell(8, s.raw)});
    for (const auto& sec : s.sections) rows.push_back({section_label(sec), std::to_string(sec.bytes), percent_cell(sec.bytes, s.raw)});
    std::cout << report::render_table({"Section", "Bytes", "% of file"}, rows, {Align::left, Align::right, Align::right})
              << '\n';
    std::string memory = memory_text(s.memory);
    memory[0] = 'L';
    std::cout << memory << '\n';
    std::string used;
    for (const auto& u : features.used) used += (used.empty() ? "" : ", ") + u.name + " (" + u.evidence + ")";
    std::cout << "Features: " << (used.empty() ? "none beyond WebAssembly 1.0" : used) << '\n';
    for (const auto& n : features.notes) print_note(n, std::cout);
    return 0;
}

// --- wasm optimize -----------------------------------------------------------

struct OptimizeOptions {
    std::string input, output, level = "size", name, wasm_opt = "wasm-opt", report;
    std::string symbol_map;    ///< where wasm-opt's symbol map of the output goes (doc/helper-wasm-size.md)
    std::string optimized_by;  ///< the link step that already ran binaryen (emcc -Oz): no wasm-opt here
    std::vector<std::string> enable;
    bool strip = false;
    bool low_memory_unused = false;  ///< wasm-opt --low-memory-unused: the caller knows the first KiB is unused
    bool json = false;
    bool touch_unchanged = false;
    bool skip_brotli = false;  ///< no brotli size unless --max-brotli-size asks for one
    std::string max_size, max_gzip, max_brotli, memory_budget;
};

/// One limit given on the command line, and how the module did.
struct Limit {
    std::string kind;  ///< "raw", "gzip", "brotli", "linear memory"
    std::uint64_t limit = 0;
    std::optional<std::uint64_t> actual;  ///< empty: linear memory without a maximum
    bool passed = true;
    std::string message;  ///< one line, when it did not pass
};

std::optional<std::uint64_t> size_option(const std::string& text, const char* option) {
    if (text.empty()) return std::nullopt;
    const SizeParse p = parse_size(text);
    if (!p.bytes) throw CLI::ValidationError(option, "invalid size \"" + text + "\": " + p.error);
    return p.bytes;
}

/// The error for a wasm-opt that did not start.
std::string spawn_error(const std::string& wasm_opt, int error) {
    if (error == ENOENT) {
        return "wasm-opt not found (looked for \"" + wasm_opt + "\"): install binaryen (apt-get install binaryen) or pass its path";
    }
    return "cannot run wasm-opt \"" + wasm_opt + "\": " + std::strerror(error);
}

/// A file removed when this goes out of scope, unless released.
class TempFile {
public:
    explicit TempFile(std::string path) : path_(std::move(path)) {}
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() {
        if (path_.empty()) return;
        std::error_code ec;
        fs::remove(path_, ec);
    }
    [[nodiscard]] const std::string& path() const { return path_; }
    void release() { path_.clear(); }

private:
    std::string path_;
};

bool same_file(const std::string& a, const std::string& b) {
    std::error_code ec;
    return fs::equivalent(a, b, ec) && !ec;
}

/// Removes a stale output and report after a failure, so no later step uses
/// them and the build runs the step again (doc/design.md, "Outputs": nothing half done is left).
void remove_outputs(const OptimizeOptions& o) {
    std::error_code ec;
    if (!same_file(o.output, o.input)) fs::remove(o.output, ec);
    if (!o.report.empty() && !same_file(o.report, o.input)) fs::remove(o.report, ec);
    if (!o.symbol_map.empty() && !same_file(o.symbol_map, o.input)) fs::remove(o.symbol_map, ec);
}

int optimize_error(const OptimizeOptions& o, const std::string& message) {
    remove_outputs(o);
    return fail(message);
}

const char* level_flag(const std::string& level) {
    if (level == "size") return "-Oz";
    if (level == "speed") return "-O3";
    return "-O2";  // balanced
}

std::string read_file(const std::string& path, bool& ok) {
    std::ifstream in(path, std::ios::binary);
    ok = static_cast<bool>(in);
    if (!ok) return {};
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Puts the optimised module at --output: renames the temporary file over it
/// when the content differs, else leaves the old file (and its mtime) alone.
bool install_output(const std::string& output, TempFile& temp, const std::vector<std::uint8_t>& bytes, std::string& error) {
    bool ok = false;
    const std::string old = read_file(output, ok);
    if (ok && old.size() == bytes.size() && std::equal(old.begin(), old.end(), bytes.begin(),
                                                       [](char c, std::uint8_t b) { return static_cast<std::uint8_t>(c) == b; })) {
        return true;  // unchanged; the TempFile is removed
    }
    if (std::rename(temp.path().c_str(), output.c_str()) != 0) {
        error = "cannot rename " + temp.path() + " to " + output + ": " + std::strerror(errno);
        return false;
    }
    temp.release();
    return true;
}

/// The limits given, in bytes (empty: not given).
struct Budgets {
    std::optional<std::uint64_t> raw, gzip, brotli, memory;
};

/// --max-size, --max-gzip-size, --max-brotli-size and --memory-budget against `s`, in that order.
std::vector<Limit> check_limits(const std::string& name, const wasm::ModuleSize& s, const Budgets& budgets) {
    const auto& memory_budget = budgets.memory;
    std::vector<Limit> out;
    const auto size_limit = [&](const char* kind, std::optional<std::uint64_t> limit, std::optional<std::uint64_t> measured) {
        if (!limit) return;
        const std::uint64_t actual = measured.value_or(0);  // measured whenever it has a limit
        Limit l{kind, *limit, actual, actual <= *limit, {}};
        if (!l.passed) {
            l.message = name + ": " + kind + " size " + std::to_string(actual) + " bytes is over its limit of " +
                        std::to_string(*limit) + " bytes by " + std::to_string(actual - *limit) + " bytes";
        }
        out.push_back(std::move(l));
    };
    size_limit("raw", budgets.raw, s.raw);
    size_limit("gzip", budgets.gzip, s.gzip);
    size_limit("brotli", budgets.brotli, s.brotli);
    if (memory_budget) {
        Limit l{"linear memory", *memory_budget, std::uint64_t{0}, true, {}};
        if (s.memory) {
            const std::uint64_t initial = wasm::pages_to_bytes(s.memory->initial);
            if (!s.memory->maximum) {
                l.actual.reset();
                l.passed = false;
                l.message = name + ": linear memory has no maximum (initial " + std::to_string(initial) +
                            " bytes), so it can grow past its limit of " + std::to_string(*memory_budget) +
                            " bytes; give the module a maximum (wasm-ld --max-memory=" + std::to_string(*memory_budget) + ")";
            } else {
                const std::uint64_t actual = std::max(initial, wasm::pages_to_bytes(*s.memory->maximum));
                l.actual = actual;
                l.passed = actual <= *memory_budget;
                if (!l.passed) {
                    l.message = name + ": linear memory size " + std::to_string(actual) + " bytes is over its limit of " +
                                std::to_string(*memory_budget) + " bytes by " + std::to_string(actual - *memory_budget) +
                                " bytes";
                }
            }
        }
        out.push_back(std::move(l));
    }
    return out;
}

int run_optimize(const OptimizeOptions& o) {
    // Usage errors first (exit 2), before anything is read or run.
    Budgets budgets;
    budgets.raw = size_option(o.max_size, "--max-size");
    budgets.gzip = size_option(o.max_gzip, "--max-gzip-size");
    budgets.brotli = size_option(o.max_brotli, "--max-brotli-size");
    budgets.memory = size_option(o.memory_budget, "--memory-budget");
    std::vector<std::string> requested;
    for (const auto& e : o.enable) {
        const wasm::FeatureFlag* f = wasm::find_feature(e);
        if (f == nullptr) {
            std::string known;
            for (const auto& row : wasm::feature_flags()) known += (known.empty() ? "" : ", ") + std::string(row.feature);
            throw CLI::ValidationError("--enable", "unknown feature \"" + e + "\"; expected one of " + known +
                                                       " (or binaryen's names: simd, threads, ...)");
        }
        requested.emplace_back(f->feature);
    }
    const std::string name = o.name.empty() ? fs::path(o.output).stem().string() : o.name;

    wasm::LoadedModule input;
    try {
        input = wasm::load_module(o.input);
    } catch (const std::runtime_error& e) {
        return optimize_error(o, e.what());
    }
    const wasm::FeatureScan features = wasm::scan_features(input.bytes, input.module);
    const std::uint64_t input_raw = input.bytes.size();
    std::vector<std::string> notes = features.notes;

    json wasm_opt_json;
    std::string pass;  // "wasm-opt -Oz", for the console
    wasm::LoadedModule result;
    std::optional<TempFile> temp, temp_map;
    if (o.level == "none") {
        wasm_opt_json = {{"path", nullptr}, {"level", "none"}, {"flags", json::array()}};
        result = std::move(input);
        pass = "not optimised (--level none)";
    } else if (!o.optimized_by.empty()) {
        // One optimisation pass only: the link step's (README "WebAssembly", doc/wasm-build.md).
        wasm_opt_json = {{"path", nullptr}, {"level", o.level}, {"flags", json::array()}, {"optimized_by", o.optimized_by}};
        result = std::move(input);
        pass = "optimised by " + o.optimized_by + " at the link";
    } else {
        // Which --enable-* options this wasm-opt has (binaryen 108's when its --help cannot be read).
        const ProcessResult help = run_process({o.wasm_opt, "--help"}, ChildOutput::capture);
        if (help.spawn_errno != 0) return optimize_error(o, spawn_error(o.wasm_opt, help.spawn_errno));
        std::optional<std::set<std::string>> supported;
        if (help.ok()) {
            auto flags = wasm::enable_flags_in_help(help.out + help.err);
            if (!flags.empty()) supported = std::move(flags);
        }
        std::vector<std::string> wanted = features.names();
        wanted.insert(wanted.end(), requested.begin(), requested.end());
        const wasm::WasmOptFeatures feature_flags = wasm::wasm_opt_features(wanted, supported);
        notes.insert(notes.end(), feature_flags.notes.begin(), feature_flags.notes.end());

        // wasm-opt runs its passes in command-line order: stripping before the
        // -O passes lets them work on the smaller module (and saves bytes on
        // real code, bench/README.md "WebAssembly size on real code"), so the
        // level comes last.
        std::vector<std::string> flags = feature_flags.flags;
        if (o.strip) flags.insert(flags.end(), {"--strip-debug", "--strip-producers"});
        if (o.low_memory_unused) flags.emplace_back("--low-memory-unused");
        flags.emplace_back(level_flag(o.level));

        const fs::path out_path(o.output);
        std::error_code ec;
        if (out_path.has_parent_path()) fs::create_directories(out_path.parent_path(), ec);
        if (ec) return optimize_error(o, "cannot create directory " + out_path.parent_path().string() + ": " + ec.message());
        temp.emplace(o.output + ".wasm-opt-" + std::to_string(::getpid()) + ".tmp");

        std::vector<std::string> argv{o.wasm_opt, o.input};
        argv.insert(argv.end(), flags.begin(), flags.end());
        if (!o.symbol_map.empty()) {
            // binaryen's symbol map pass, after the level's passes: the names of the final module's
            // functions, which wasm-opt keeps until it writes a binary without a name section.
            temp_map.emplace(o.symbol_map + ".wasm-opt-" + std::to_string(::getpid()) + ".tmp");
            argv.insert(argv.end(), {"--symbolmap", "--pass-arg=symbolmap@" + temp_map->path()});
        }
        argv.insert(argv.end(), {"-o", temp->path()});
        const ProcessResult run = run_process(argv, ChildOutput::capture);
        if (run.spawn_errno != 0) return optimize_error(o, spawn_error(o.wasm_opt, run.spawn_errno));
        if (!run.ok()) {
            std::string message = "wasm-opt failed (" +
                                  (run.signal != 0 ? "killed by signal " + std::to_string(run.signal)
                                                   : "exit " + std::to_string(run.exit_code)) +
                                  ") on " + o.input + ":\n" + run.err;
            if (!run.out.empty()) {
                if (!message.empty() && message.back() != '\n') message += '\n';
                message += "wasm-opt's standard output:\n" + run.out;
            }
            while (!message.empty() && message.back() == '\n') message.pop_back();
            // The notes (a feature this wasm-opt has no flag for) often explain the failure.
            for (const auto& n : notes) print_note(n);
            return optimize_error(o, message);
        }
        // Nothing wasm-opt says is swallowed: its warnings go to stderr.
        std::cerr << run.out << run.err;
        try {
            result = wasm::load_module(temp->path());
        } catch (const std::runtime_error& e) {
            return optimize_error(o, std::string("wasm-opt wrote a module this reader cannot read: ") + e.what());
        }
        json flags_json = flags;
        wasm_opt_json = {{"path", o.wasm_opt}, {"level", o.level}, {"flags", flags_json}};
        pass = std::string("wasm-opt ") + level_flag(o.level) + ", from " + size_cell(input_raw);
    }

    // A brotli limit needs the brotli size; without one, --skip-brotli spares
    // the build its cost (wasm::Brotli).
    const wasm::ModuleSize s = wasm::measure(result.bytes, result.module,
                                             o.skip_brotli && !budgets.brotli ? wasm::Brotli::skip : wasm::Brotli::measure);
    const std::vector<Limit> limits = check_limits(name, s, budgets);
    bool passed = true;
    for (const auto& l : limits) passed = passed && l.passed;

    json j = size_json({name, o.output}, s, features, wasm::sha256_hex(result.bytes.data(), result.bytes.size()));
    j["input"] = o.input;
    j["input_raw"] = input_raw;
    j["limits"] = json::array();
    for (const auto& l : limits) {
        j["limits"].push_back({{"kind", l.kind},
                               {"limit_bytes", l.limit},
                               {"actual_bytes", l.actual ? json(*l.actual) : json(nullptr)},
                               {"passed", l.passed}});
    }
    j["wasm_opt"] = wasm_opt_json;
    j["notes"] = notes;
    j["passed"] = passed;

    // A module and report identical to the ones in place (a relink that gave
    // the same bytes): one line, and neither file is rewritten.
    const std::string report_text = j.dump(2) + "\n";
    bool unchanged = false;
    if (passed) {
        bool ok = false;
        const std::string old = read_file(o.output, ok);
        unchanged = ok && old.size() == result.bytes.size() &&
                    std::equal(old.begin(), old.end(), result.bytes.begin(),
                               [](char c, std::uint8_t b) { return static_cast<std::uint8_t>(c) == b; });
        if (unchanged && !o.report.empty()) unchanged = read_file(o.report, ok) == report_text && ok;
    }

    if (o.json) {
        std::cout << j.dump(2) << '\n';
    } else if (unchanged) {
        std::cout << name << ": " << o.output << " is unchanged, " << size_cell(s.raw) << " raw (" << pass << ")"
                  << (limits.empty() ? "" : "; within its limits") << '\n';
    } else if (limits.empty()) {
        std::cout << name << ": " << o.output << " is " << size_cell(s.raw) << " raw, " << size_cell(s.gzip) << " gzip"
                  << (s.brotli ? ", " + size_cell(*s.brotli) + " brotli" : std::string()) << " (" << pass << "); "
                  << memory_text(s.memory) << '\n';
    } else {
        std::vector<std::vector<std::string>> rows;
        for (const auto& l : limits) {
            rows.push_back({name + " (" + l.kind + ")", size_cell(l.limit), l.actual ? size_cell(*l.actual) : "no maximum",
                            mark(l.passed)});
        }
        std::cout << "Size budget of " << name << " (" << o.output << ", " << pass << "):\n"
                  << report::render_table({"Component", "Target Size", "Actual Size", "\u2713/\u2717"}, rows,
                                          {Align::left, Align::right, Align::right, Align::left});
    }
    if (!o.json && !unchanged) {
        for (const auto& n : notes) print_note(n, std::cout);
    }
    std::cout.flush();

    if (!passed) {
        for (const auto& l : limits) {
            if (!l.passed) print_error(l.message);
        }
        remove_outputs(o);
        return 1;
    }

    std::string error;
    if (temp) {
        if (!install_output(o.output, *temp, result.bytes, error)) return optimize_error(o, error);
    } else if (write_file_if_changed(o.output, std::string(result.bytes.begin(), result.bytes.end()), error) ==
               WriteResult::failed) {
        return optimize_error(o, error);
    }
    if (!o.report.empty() && write_file_if_changed(o.report, report_text, error) == WriteResult::failed) {
        return optimize_error(o, "cannot write the report: " + error);
    }
    if (!o.symbol_map.empty()) {
        // wasm-opt's map; without a wasm-opt run, the one the link step wrote beside the module
        // (emcc --emit-symbol-map: <input>.symbols). Checked against the module it names: one
        // line per function, imports included.
        const std::string source = temp_map ? temp_map->path() : o.input + ".symbols";
        const std::string writer = temp_map ? "wasm-opt" : o.optimized_by.empty() ? "the link step" : o.optimized_by;
        bool ok = false;
        const std::string map = read_file(source, ok);
        if (!ok) return optimize_error(o, writer + " wrote no symbol map at " + source);
        const auto functions = static_cast<std::uint32_t>(result.module.imported_function_count() + result.module.functions.size());
        try {
            if (wasm::parse_symbol_map(map, source, functions).size() != functions) {
                return optimize_error(o, writer + "'s symbol map " + source + " does not name all " + std::to_string(functions) +
                                   " functions of " + o.output);
            }
        } catch (const wasm::SymbolMapError& e) {
            return optimize_error(o, writer + " wrote a symbol map this helper cannot read: " + e.what());
        }
        if (write_file_if_changed(o.symbol_map, map, error) == WriteResult::failed) {
            return optimize_error(o, "cannot write the symbol map: " + error);
        }
    }
    if (unchanged && o.touch_unchanged) {
        // Make has no restat: an output older than its input would run this step on every build.
        std::error_code ec;
        fs::last_write_time(o.output, fs::file_time_type::clock::now(), ec);
        if (ec) return optimize_error(o, "cannot update the modification time of " + o.output + ": " + ec.message());
    }
    return 0;
}

}  // namespace

void add_wasm(CLI::App& app, int& exit_code) {
    CLI::App* group = app.add_subcommand("wasm", "WebAssembly modules: sizes, optimisation, budgets (wasm_build_target)");
    group->require_subcommand(1);

    auto s = std::make_shared<SizeOptions>();
    CLI::App* size = group->add_subcommand(
        "size",
        "Print a module's raw, gzip (zlib level 9) and brotli (quality 11) sizes, the bytes of each section,\n"
        "its linear memory and the features it uses. Exit 0, 1 for an unreadable or malformed module.");
    size->add_option("module", s->file, "The .wasm file")->required();
    size->add_flag("--json", s->json, "Print JSON (schema buildbudget-wasm-size/1) instead of tables");
    size->callback([s, &exit_code]() { exit_code = run_size(*s); });

    auto o = std::make_shared<OptimizeOptions>();
    CLI::App* opt = group->add_subcommand(
        "optimize",
        "Run wasm-opt on a module with the features it uses (its target_features section and what its\n"
        "code shows), measure the result and hold it to its limits. On success the output is replaced\n"
        "only when its content changes (an unchanged module and report print one line instead of the\n"
        "table); over a limit, or on any error, no output (and no report) is left.\n"
        "Exit 0 within limits, 1 over a limit, unreadable input or a missing or failing wasm-opt, 2 usage error.");
    opt->add_option("--input", o->input, "The module to optimise")->required();
    opt->add_option("--output", o->output, "Where the optimised module goes")->required();
    opt->add_option("--level", o->level, "size (-Oz), speed (-O3), balanced (-O2) or none (copy, measure and check)")
        ->check(CLI::IsMember({"size", "speed", "balanced", "none"}))
        ->capture_default_str();
    opt->add_option("--name", o->name, "The component's name in the table and messages (default: the output's stem)");
    opt->add_option("--wasm-opt", o->wasm_opt, "wasm-opt to run (a path, or a name looked up on PATH)")
        ->capture_default_str();
    opt->add_option("--enable", o->enable,
                    "Also enable a feature (LLVM name such as simd128, bulk-memory, atomics, or binaryen's) (repeatable)");
    opt->add_option("--optimized-by", o->optimized_by,
                    "The link step that already optimised the module with binaryen (\"emcc -Oz\"): run no wasm-opt,\n"
                    "measure and check the module as it is, and say so in the table and the report");
    opt->add_flag("--touch-unchanged", o->touch_unchanged,
                  "When the module is unchanged, still update its modification time (for build tools without\n"
                  "Ninja's restat, such as Make, which would otherwise run the step again on every build)");
    opt->add_flag("--strip", o->strip, "Strip debug information and the producers section (--strip-debug --strip-producers)");
    opt->add_flag("--low-memory-unused", o->low_memory_unused,
                  "Pass wasm-opt --low-memory-unused: the module uses no address below 1024 (wasm-ld's data at\n"
                  "--global-base=1024 with the stack after it, as clang links C/C++; not with --stack-first, as\n"
                  "rustc links)");
    opt->add_option("--max-size", o->max_size, "Limit of the raw size (\"64KB\", \"1.5MB\", bytes)");
    opt->add_option("--max-gzip-size", o->max_gzip, "Limit of the gzip -9 size");
    opt->add_option("--max-brotli-size", o->max_brotli, "Limit of the brotli quality 11 size");
    opt->add_flag("--skip-brotli", o->skip_brotli,
                  "Measure no brotli size unless --max-brotli-size is given (the report's \"brotli\" is then null):\n"
                  "quality 11 takes 4 to 5 times as long as gzip -9, about 1.4 s on a 600 KB module");
    opt->add_option("--memory-budget", o->memory_budget,
                    "Limit of the linear memory: initial and maximum pages * 64 KiB; a module without a maximum fails");
    opt->add_option("--report", o->report, "Write the JSON size report (buildbudget-wasm-size/1) here on success");
    opt->add_option("--symbol-map", o->symbol_map,
                    "Write the optimised module's symbol map here on success: Emscripten's index:name lines, one per\n"
                    "function, imports included, from wasm-opt --symbolmap after the level's passes (rewritten only\n"
                    "when it changes); with --optimized-by or --level none, where no wasm-opt runs, the map the link\n"
                    "step wrote beside the input (<input>.symbols, emcc --emit-symbol-map), checked and copied");
    opt->add_flag("--json", o->json, "Print the JSON report on stdout instead of the table");
    opt->callback([o, &exit_code]() { exit_code = run_optimize(*o); });

    add_wasm_analyze(*group, exit_code);
    add_wasm_dts(*group, exit_code);
    add_wasm_exports(*group, exit_code);
    add_wasm_loader_names(*group, exit_code);
    add_wasm_cargo_select(*group, exit_code);
}

}  // namespace buildbudget::cli
