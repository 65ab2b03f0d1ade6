// Which files of a build tree the budget report reads (report/summary.hpp, collect_inputs();
// doc/helper-report.md, "Inputs").
#include "report/summary.hpp"

#include "common/json_error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

namespace buildbudget::report {
namespace {

namespace fs = std::filesystem;

/// How much of a JSON file is read to find its "schema".
constexpr std::size_t head_bytes = 4096;

enum class Kind { none, budget_set, check_report, size_report, analysis, plan, job_log, report };

/// Our schema families, the version this report reads, and what they are.
struct Family {
    const char* name;  ///< "buildbudget-check-report"
    const char* version;
    Kind kind;
};
constexpr Family families[] = {
    {"buildbudget-memory-budget", "1", Kind::budget_set}, {"buildbudget-check-report", "1", Kind::check_report},
    {"buildbudget-wasm-size", "1", Kind::size_report},    {"buildbudget-wasm-analysis", "1", Kind::analysis},
    {"buildbudget-lowmem-plan", "1", Kind::plan},         {"buildbudget-buildmem-plan", "1", Kind::plan},
    {"buildbudget-report", "1", Kind::report},
};

/// The kind of a file whose schema is `schema`: Kind::none for a schema that is not one of the
/// families above. Throws for one of them with another version.
Kind kind_of_schema(const std::string& schema, const std::string& file) {
    const auto slash = schema.rfind('/');
    const std::string name = schema.substr(0, slash);
    for (const Family& f : families) {
        if (name != f.name) continue;
        if (f.kind == Kind::report) return f.kind;  // an earlier report: never an input; read_report() checks it
        const std::string expected = std::string(f.name) + "/" + f.version;
        if (schema != expected) {
            throw ReportInputError(file + ": schema " + schema + ", expected " + expected);
        }
        return f.kind;
    }
    return Kind::none;
}

std::string read_head(const fs::path& path, std::size_t n, bool& ok) {
    std::ifstream in(path, std::ios::binary);
    std::string text(n, '\0');
    in.read(text.data(), static_cast<std::streamsize>(n));
    ok = !in.bad() && (in.good() || in.eof());
    text.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
    return text;
}

/// A JSON file named as the writers that sort their keys name it (wasm optimize's <module>.size.json,
/// lowmem_profile()'s buildbudget-lowmem/plan.json): the whole file is read to find its schema.
bool sorted_writer_name(const fs::path& path) {
    const std::string name = path.filename().string();
    if (name.size() > 10 && name.compare(name.size() - 10, 10, ".size.json") == 0) return true;
    return name == "plan.json" && path.parent_path().filename() == "buildbudget-lowmem";
}

/// The kind of a .json file; Kind::none when it is not ours (or unreadable while scanning).
Kind kind_of_json(const fs::path& path, bool named) {
    bool ok = false;
    const std::string head = read_head(path, head_bytes, ok);
    if (!ok) {
        if (named) throw ReportInputError(path.string() + ": cannot read: " + std::strerror(errno));
        return Kind::none;
    }
    static const std::regex schema_re(R"re("schema"\s*:\s*"([^"\\]*)")re");
    std::smatch m;
    if (std::regex_search(head, m, schema_re)) return kind_of_schema(m[1].str(), path.string());
    if (!named && !sorted_writer_name(path)) return Kind::none;
    // The schema is further in, or the file is not JSON at all: parse it whole.
    const nlohmann::ordered_json doc = parse_json(read_input(path.string()), path.string());
    if (doc.is_object() && doc.contains("schema") && doc["schema"].is_string()) {
        return kind_of_schema(doc["schema"].get<std::string>(), path.string());
    }
    return Kind::none;
}

/// Whether a .jsonl file is a launcher's job log.
bool is_job_log(const fs::path& path) {
    if (path.filename() == "jobs.jsonl") return true;
    bool ok = false;
    const std::string head = read_head(path, 64, ok);
    static const std::regex record_re(R"re(^\s*\{\s*"kind"\s*:\s*"(compile|link)")re");
    return ok && std::regex_search(head, record_re);
}

std::string absolute_text(const fs::path& path) {
    std::error_code ec;
    fs::path abs = fs::weakly_canonical(fs::absolute(path, ec), ec);
    if (ec) abs = fs::absolute(path).lexically_normal();
    return abs.string();
}

struct Collector {
    Inputs inputs;
    std::set<std::string> seen;

    void add(Kind kind, const std::string& file) {
        if (!seen.insert(file).second) return;
        switch (kind) {
            case Kind::budget_set: inputs.budget_sets.push_back(file); break;
            case Kind::check_report: inputs.check_reports.push_back(file); break;
            case Kind::size_report: inputs.size_reports.push_back(file); break;
            case Kind::analysis: inputs.analyses.push_back(file); break;
            case Kind::plan: inputs.plans.push_back(file); break;
            case Kind::job_log: inputs.job_logs.push_back(file); break;
            case Kind::report:
            case Kind::none: break;
        }
    }
};

}  // namespace

std::string read_input(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ReportInputError(path + ": cannot read: " + std::strerror(errno));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw ReportInputError(path + ": cannot read: " + std::strerror(errno));
    return text;
}

nlohmann::ordered_json parse_json(const std::string& text, const std::string& file) {
    try {
        return nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        // e.byte: the 1-based offset of the byte the parser stopped at (past the end for a cut-off
        // file). Lines and columns are counted from it, columns in bytes.
        const std::size_t end = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
        std::size_t line = 1, column = 1;
        for (std::size_t i = 0; i < end; ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        throw ReportInputError(file + ":" + std::to_string(line) + ":" + std::to_string(column) +
                               ": not valid JSON: " + json_parse_error_detail(e));
    }
}

Inputs collect_inputs(const std::string& build_dir, const std::vector<std::string>& files,
                      const std::vector<std::string>& skip) {
    Collector c;
    if (!build_dir.empty()) {
        std::set<std::string> skipped;
        for (const auto& s : skip) skipped.insert(absolute_text(s));
        std::error_code ec;
        const fs::path root = absolute_text(build_dir);
        if (!fs::is_directory(root, ec)) {
            throw ReportInputError(build_dir + ": cannot read: " +
                                   (ec ? ec.message() : std::string("not a directory")));
        }
        fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
        if (ec) throw ReportInputError(build_dir + ": cannot read: " + ec.message());
        std::vector<std::pair<Kind, std::string>> found;
        for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (ec) {
                ec.clear();
                continue;
            }
            const fs::directory_entry& entry = *it;
            std::error_code type_ec;
            if (entry.is_directory(type_ec)) {
                const std::string name = entry.path().filename().string();
                if (name == "CMakeFiles" || name == "_deps" || skipped.count(entry.path().string()) != 0) {
                    it.disable_recursion_pending();
                }
                continue;
            }
            if (!entry.is_regular_file(type_ec)) continue;
            const fs::path& p = entry.path();
            const std::string ext = p.extension().string();
            if (ext == ".json") {
                const Kind kind = kind_of_json(p, false);
                if (kind != Kind::none && kind != Kind::report) found.emplace_back(kind, p.string());
            } else if (ext == ".jsonl" && is_job_log(p)) {
                found.emplace_back(Kind::job_log, p.string());
            }
        }
        std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
        for (const auto& [kind, file] : found) c.add(kind, file);
    }
    for (const auto& file : files) {
        std::error_code ec;
        if (!fs::is_regular_file(file, ec)) {
            throw ReportInputError(file + ": cannot read: " +
                                   (fs::exists(file, ec) ? std::string("not a regular file")
                                                         : std::string(std::strerror(ENOENT))));
        }
        const fs::path p(file);
        Kind kind = Kind::none;
        if (p.extension() == ".jsonl") {
            kind = Kind::job_log;
        } else {
            kind = kind_of_json(p, true);
        }
        if (kind == Kind::none || kind == Kind::report) {
            throw ReportInputError(file + ": not an input of the report: expected a job log (.jsonl) or a JSON file "
                                          "of schema buildbudget-memory-budget/1, buildbudget-check-report/1, "
                                          "buildbudget-wasm-size/1, buildbudget-wasm-analysis/1 or "
                                          "buildbudget-lowmem-plan/1");
        }
        c.add(kind, absolute_text(p));
    }
    for (auto* list : {&c.inputs.budget_sets, &c.inputs.check_reports, &c.inputs.size_reports, &c.inputs.analyses,
                       &c.inputs.plans, &c.inputs.job_logs}) {
        std::sort(list->begin(), list->end());
    }
    return c.inputs;
}

}  // namespace buildbudget::report
