// `buildbudget presets [--project-dir <dir>] [--template <file>]` (doc/presets.md).
#include "cli/presets.hpp"

#include "cli/options.hpp"
#include "common/diagnostics.hpp"
#include "common/output_file.hpp"
#include "common/templates.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

namespace buildbudget::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;  // keeps the order of the project's keys

/// The per-preset vendor key that marks a preset as written by this command.
constexpr const char* vendor_key = "buildbudget/presets";
/// The preset kinds the template has, in the order CMake documents them.
constexpr const char* kinds[] = {"configurePresets", "buildPresets", "testPresets", "workflowPresets"};

/// Line and column (1-based) of the character at 1-based byte offset `byte`
/// (nlohmann's parse_error::byte: the last character read) in `text`.
Location location_of(const std::string& path, const std::string& text, std::size_t byte) {
    Location at{path, 1, 0};
    const std::size_t end = std::min(byte, text.size() + 1);
    for (std::size_t i = 0; i + 1 < end; ++i) {
        if (text[i] == '\n') {
            ++at.line;
            at.column = 0;
        } else {
            ++at.column;
        }
    }
    ++at.column;
    return at;
}

/// nlohmann's message without its "[json.exception.parse_error.101] parse error at line 1, column 2: "
/// prefix (the location is given in front, the compilers' way).
std::string parse_reason(const nlohmann::json::parse_error& e) {
    const std::string what = e.what();
    const auto at = what.find("parse error");
    const auto colon = at == std::string::npos ? std::string::npos : what.find(": ", at);
    return colon == std::string::npos ? what : what.substr(colon + 2);
}

std::string error_text(const Location& where, const std::string& message) {
    return Diagnostic{Severity::error, where, message}.str();
}

/// Parses a presets file; on failure appends its diagnostic to `errors`.
std::optional<Json> parse_presets(const std::string& path, const std::string& text, std::vector<std::string>& errors) {
    Json j;
    try {
        j = Json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        errors.push_back(error_text(location_of(path, text, e.byte), "not valid JSON: " + parse_reason(e)));
        return std::nullopt;
    }
    if (!j.is_object()) {
        errors.push_back(error_text({path, 0, 0}, "expected a JSON object (a CMake presets file), got " +
                                                      std::string(j.type_name())));
        return std::nullopt;
    }
    if (j.contains("version") && !j["version"].is_number_unsigned()) {
        errors.push_back(error_text({path, 0, 0}, "\"version\" must be a whole number (the presets format version)"));
        return std::nullopt;
    }
    bool ok = true;
    for (const char* kind : kinds) {
        if (!j.contains(kind)) continue;
        const Json& list = j[kind];
        if (!list.is_array()) {
            errors.push_back(error_text({path, 0, 0}, "\"" + std::string(kind) + "\" must be an array of presets, got " +
                                                          list.type_name()));
            ok = false;
            continue;
        }
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (!list[i].is_object() || !list[i].contains("name") || !list[i]["name"].is_string()) {
                errors.push_back(error_text({path, 0, 0}, "/" + std::string(kind) + "/" + std::to_string(i) +
                                                              " must be a preset object with a string \"name\""));
                ok = false;
            }
        }
    }
    if (!ok) return std::nullopt;
    return j;
}

/// Index of the preset named `name` in `list`, if any.
std::optional<std::size_t> find_preset(const Json& list, const std::string& name) {
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i]["name"] == name) return i;
    }
    return std::nullopt;
}

bool written_by_us(const Json& preset) {
    return preset.contains("vendor") && preset["vendor"].is_object() && preset["vendor"].contains(vendor_key);
}

/// Prints "  <verb> configurePresets: a, b, c" for each kind of the "<kind> <name>" entries.
void print_grouped(const std::string& verb, const std::vector<std::string>& entries) {
    for (const char* kind : kinds) {
        std::string names;
        for (const auto& entry : entries) {
            if (entry.rfind(std::string(kind) + " ", 0) != 0) continue;
            names += (names.empty() ? "" : ", ") + entry.substr(std::strlen(kind) + 1);
        }
        if (!names.empty()) std::cout << "  " << verb << " " << kind << ": " << names << '\n';
    }
}

std::string read_file(const fs::path& path, bool& exists, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    exists = static_cast<bool>(in);
    if (!in) {
        if (errno != ENOENT) {
            error = error_text({path.string(), 0, 0}, std::string("cannot read: ") + std::strerror(errno));
        }
        return {};
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

PresetsMerge merge_presets(const std::string& template_path, const std::string& template_text,
                           const std::string& project_path, const std::string& project_text, bool exists,
                           const std::string& user_presets_path, const std::string& user_presets_text) {
    PresetsMerge out;
    const auto tmpl = parse_presets(template_path, template_text, out.errors);
    if (!tmpl) return out;
    std::optional<Json> project;
    if (exists) {
        project = parse_presets(project_path, project_text, out.errors);
        if (!project) return out;
    }
    std::optional<Json> user;
    if (!user_presets_text.empty()) {
        user = parse_presets(user_presets_path, user_presets_text, out.errors);
        if (!user) return out;
    }

    // A new file is the template as it is, with its version and cmakeMinimumRequired.
    Json merged = project ? *project : *tmpl;
    for (const char* kind : kinds) {
        if (!tmpl->contains(kind)) continue;
        if (!merged.contains(kind)) merged[kind] = Json::array();
        Json& list = merged[kind];
        for (const Json& preset : (*tmpl)[kind]) {
            const std::string name = preset["name"].get<std::string>();
            const std::string what = std::string(kind) + " " + name;
            if (user && user->contains(kind) && find_preset((*user)[kind], name)) {
                out.errors.push_back(error_text(
                    {user_presets_path, 0, 0},
                    what + ": the project's CMakeUserPresets.json has a preset of this name, and CMake refuses the "
                           "same name in both files: rename it, or remove it to take BuildBudget's"));
                continue;
            }
            const auto at = find_preset(list, name);
            if (!at) {
                list.push_back(preset);
                if (project) out.added.push_back(what);
                continue;
            }
            if (list[*at] == preset) continue;
            if (!project) {
                out.errors.push_back(error_text({template_path, 0, 0}, what + " is in the template twice"));
            } else if (written_by_us(list[*at])) {
                list[*at] = preset;
                out.replaced.push_back(what);
            } else {
                out.errors.push_back(error_text(
                    {project_path, 0, 0},
                    what + ": the project has its own preset of this name (without the vendor key \"" + vendor_key +
                        "\" that buildbudget presets writes): rename it, or remove it to take BuildBudget's"));
            }
        }
    }
    if (!out.errors.empty()) return out;
    if (!project) {
        for (const char* kind : kinds) {
            for (const Json& preset : merged[kind]) {
                out.added.push_back(std::string(kind) + " " + preset["name"].get<std::string>());
            }
        }
    }

    // Workflow presets need format version 6 (CMake 3.25): raise a lower one.
    const auto tmpl_version = tmpl->value("version", std::uint64_t{0});
    const auto version = merged.value("version", std::uint64_t{0});
    if (version < tmpl_version) {
        if (project) {
            out.note = "\"version\" raised from " + std::to_string(version) + " to " + std::to_string(tmpl_version) +
                       " (BuildBudget's workflow presets need it; CMake 3.25 or later reads the file)";
        }
        merged["version"] = tmpl_version;
    }

    if (project && merged == *project) {
        out.result = PresetsMerge::Result::unchanged;
        return out;
    }
    out.result = project ? PresetsMerge::Result::updated : PresetsMerge::Result::created;
    out.content = merged.dump(2) + "\n";
    return out;
}

void add_presets(CLI::App& app, int& exit_code) {
    struct Options {
        std::string project_dir = ".";
        std::string template_file;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand(
        "presets",
        "Write BuildBudget's presets (embedded, iot, desktop, server, wasm, lowmem-4g/8g/16g: configure, build, test "
        "and workflow) into <project-dir>/CMakePresets.json, keeping the project's own presets; a name the project "
        "already uses for its own preset is refused and nothing is written (doc/presets.md).");
    cmd->add_option("--project-dir", o->project_dir, "The project's source directory (where CMakePresets.json is)")
        ->capture_default_str();
    cmd->add_option("--template", o->template_file,
                    "The presets file to take the presets from (default: the installed "
                    "templates/presets/CMakePresets.json)");
    cmd->callback([o, &exit_code]() {
        exit_code = 1;
        // The installed template (common/templates.hpp finds it from this executable), or --template.
        const std::string template_name = "presets/CMakePresets.json";
        std::string template_path = "templates/" + template_name;
        std::string template_text;
        std::string error;
        if (o->template_file.empty()) {
            try {
                template_text = read_template(template_name);
            } catch (const std::exception& e) {
                print_error(e.what());
                return;
            }
        } else {
            template_path = o->template_file;
            bool exists = false;
            template_text = read_file(template_path, exists, error);
            if (!exists && error.empty()) error = error_text({template_path, 0, 0}, "no such file (--template)");
        }
        const fs::path project_dir(o->project_dir);
        std::error_code ec;
        if (!fs::is_directory(project_dir, ec)) {
            print_error("--project-dir " + o->project_dir + ": not a directory");
            return;
        }
        const fs::path project_path = project_dir / "CMakePresets.json";
        const fs::path user_path = project_dir / "CMakeUserPresets.json";
        bool project_exists = false, user_exists = false;
        const std::string project_text = read_file(project_path, project_exists, error);
        const std::string user_text = read_file(user_path, user_exists, error);
        if (!error.empty()) {
            std::cerr << error << '\n';
            return;
        }
        const PresetsMerge merge = merge_presets(template_path, template_text, project_path.string(),
                                                 project_text, project_exists, user_path.string(), user_text);
        if (merge.result == PresetsMerge::Result::refused) {
            for (const auto& e : merge.errors) std::cerr << e << '\n';
            std::cerr << "buildbudget presets: " << project_path.string() << " left as it was\n";
            return;
        }
        if (merge.result == PresetsMerge::Result::unchanged) {
            std::cout << project_path.string() << ": unchanged (BuildBudget's presets are there)\n";
            exit_code = 0;
            return;
        }
        if (write_file_if_changed(project_path.string(), merge.content, error) == WriteResult::failed) {
            print_error(error);
            return;
        }
        std::cout << project_path.string() << ": "
                  << (merge.result == PresetsMerge::Result::created ? "created" : "updated") << '\n';
        print_grouped("added", merge.added);
        print_grouped("replaced (BuildBudget's, from an earlier run)", merge.replaced);
        if (!merge.note.empty()) std::cout << "  " << merge.note << '\n';
        exit_code = 0;
    });
}

}  // namespace buildbudget::cli
