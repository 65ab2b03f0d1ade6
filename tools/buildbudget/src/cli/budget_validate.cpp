#include "cli/budget_validate.hpp"

#include "budget/emit.hpp"
#include "budget/inputs.hpp"
#include "budget/size.hpp"
#include "common/output_file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>

#include <unistd.h>  // environ (a GNU extension of <unistd.h>; g++ defines _GNU_SOURCE)

namespace buildbudget::cli {
namespace {

using budget::NameValue;

struct Options {
    std::string name = "memory";
    std::string preset = "none";
    std::string platform;
    std::string origin = "command line";
    std::vector<std::string> components, categories, minimums, maximums, freestanding, targets;
    std::string config;
    std::string env_prefix = "WRT_BUDGET_";
    bool strict = false;
    bool verbose = false;
    std::string header_out, rust_out, json_out, cmake_out, prefix;
    bool json = false;
};

/// "NAME=VALUE" -> {NAME, VALUE}, split at the last '=' (sizes never hold one).
/// Throws CLI::ValidationError (a usage error) when there is no '='.
std::vector<NameValue> split_pairs(const std::vector<std::string>& items, const char* option) {
    std::vector<NameValue> out;
    for (const auto& item : items) {
        const auto eq = item.rfind('=');
        if (eq == std::string::npos) {
            throw CLI::ValidationError(option, "expected NAME=VALUE, got \"" + item + "\"");
        }
        out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    }
    return out;
}

std::vector<NameValue> environment_snapshot() {
    std::vector<NameValue> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry(*e);
        const auto eq = entry.find('=');
        if (eq != std::string::npos) env.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
    }
    return env;
}

/// WRT_STRICT_VALIDATION / WRT_DEBUG_VALIDATION (the WRT project): on when 1, true, yes or on.
bool env_flag(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr) return false;
    std::string s(v);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s == "1" || s == "true" || s == "yes" || s == "on";
}

std::string limit_text(const std::optional<budget::Limit>& limit) {
    return limit ? std::to_string(limit->bytes) : std::string("-");
}

/// The VERBOSE table (doc/memory-budget.md, "wrt_memory_budget()"): every
/// component, its value and where it came from.
void print_verbose(const budget::BudgetSet& set, std::ostream& out) {
    out << "Memory budget " << set.name << " (preset " << set.preset << "), platform " << to_string(set.platform)
        << " from " << (set.platform_location.where.empty() ? "the default" : set.platform_location.str())
        << ", maximum " << budget::platform_maximum(set.platform) << " bytes\n";
    struct Row {
        std::string cells[7];
    };
    std::vector<Row> rows;
    rows.push_back({{"component", "bytes", "size", "min", "max", "source", "from"}});
    for (const auto& c : set.components) {
        rows.push_back({{c.name, std::to_string(c.bytes), format_size(c.bytes), limit_text(effective_minimum(c)),
                         limit_text(c.max), to_string(c.source), c.location.str()}});
    }
    rows.push_back({{"total", std::to_string(set.total_bytes()), format_size(set.total_bytes()), "", "", "", ""}});
    std::size_t width[7] = {};
    for (const auto& r : rows) {
        for (int i = 0; i < 7; ++i) width[i] = std::max(width[i], r.cells[i].size());
    }
    for (const auto& r : rows) {
        std::string line = " ";
        for (int i = 0; i < 7; ++i) {
            line += ' ' + r.cells[i];
            if (i < 6) line += std::string(width[i] - r.cells[i].size(), ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << '\n';
    }
}

int run(const Options& o) {
    Diagnostics diags;
    const bool strict = o.strict || env_flag("WRT_STRICT_VALIDATION");
    const bool verbose = o.verbose || env_flag("WRT_DEBUG_VALIDATION");
    diags.set_warnings_are_errors(strict);

    budget::Arguments args;
    args.origin = Location{o.origin, 0, 0};
    if (!o.platform.empty()) args.platform = o.platform;
    args.components = split_pairs(o.components, "--component");
    args.categories = split_pairs(o.categories, "--category");
    args.minimums = split_pairs(o.minimums, "--min");
    args.maximums = split_pairs(o.maximums, "--max");
    args.targets = split_pairs(o.targets, "--target");
    args.freestanding = o.freestanding;

    budget::BudgetSet set;
    set.name = o.name;
    budget::apply_preset(set, o.preset, diags);
    budget::apply_arguments(set, args, diags);
    if (!o.config.empty()) budget::apply_config_file(set, o.config, o.config, diags);
    budget::apply_environment(set, o.env_prefix, environment_snapshot(), diags);
    budget::check_rules(set, o.config.empty() ? args.origin : Location{o.config, 0, 0}, diags);

    std::vector<std::string> written;
    if (diags.error_count() == 0) {
        const budget::EmitOptions emit{o.prefix};
        const std::pair<const std::string*, std::string> outputs[] = {
            {&o.header_out, o.header_out.empty() ? "" : budget::emit_header(set, emit)},
            {&o.rust_out, o.rust_out.empty() ? "" : budget::emit_rust(set, emit)},
            {&o.json_out, o.json_out.empty() ? "" : budget::emit_json(set)},
            {&o.cmake_out, o.cmake_out.empty() ? "" : budget::emit_cmake(set)},
        };
        for (const auto& [path, content] : outputs) {
            if (path->empty()) continue;
            std::string error;
            switch (write_file_if_changed(*path, content, error)) {
                case WriteResult::written: written.push_back(*path + " (written)"); break;
                case WriteResult::unchanged: written.push_back(*path + " (unchanged)"); break;
                case WriteResult::failed: diags.error({*path, 0, 0}, "Cannot write the output: " + error); break;
            }
        }
    }
    const bool ok = diags.error_count() == 0;

    if (o.json) {
        nlohmann::ordered_json report;
        report["ok"] = ok;
        report["errors"] = diags.error_count();
        report["warnings"] = diags.warning_count();
        auto& list = report["diagnostics"] = nlohmann::ordered_json::array();
        for (const auto& d : diags.all()) {
            list.push_back({{"severity", d.severity == Severity::error ? "error" : "warning"},
                            {"location", d.location.str()},
                            {"message", d.message}});
        }
        report["budget"] = budget::describe(set);
        std::cout << report.dump(2) << '\n';
        return ok ? 0 : 1;
    }

    for (const auto& d : diags.all()) std::cerr << d.str() << '\n';
    if (verbose) {
        print_verbose(set, std::cout);
        for (const auto& w : written) std::cout << "  output " << w << '\n';
    }
    if (ok) {
        std::cout << "Memory budget " << set.name << ": " << set.components.size() << " components, "
                  << set.total_bytes() << " bytes (" << format_size(set.total_bytes()) << ") of "
                  << budget::platform_maximum(set.platform) << " (platform " << to_string(set.platform) << ")\n";
    } else {
        std::cerr << "Memory budget " << set.name << ": " << diags.error_count() << " error(s), "
                  << diags.warning_count() << " warning(s)\n";
    }
    return ok ? 0 : 1;
}

}  // namespace

void add_budget_validate(CLI::App& budget, int& exit_code) {
    auto options = std::make_shared<Options>();
    CLI::App* cmd = budget.add_subcommand(
        "validate",
        "Assemble a memory budget from a preset, --component arguments, a TOML config file and\n"
        "<prefix><NAME> environment variables (in that order of precedence), check it against the\n"
        "platform, category and per-component limits, and write the C/C++ header, Rust constants\n"
        "and JSON description. Exit 0 valid, 1 invalid or over budget, 2 usage error.");
    cmd->add_option("--name", options->name, "Name of the budget set (used in messages and the C++ namespace)")
        ->capture_default_str();
    cmd->add_option("--preset", options->preset, "Preset defaults: wrt (the WRT project's 16 crates) or none")
        ->capture_default_str();
    cmd->add_option("--platform", options->platform,
                    "embedded (4 MiB), iot (16 MiB), desktop (128 MiB, default) or server (512 MiB)");
    cmd->add_option("--component", options->components, "NAME=SIZE: declare or override a component (repeatable)");
    cmd->add_option("--category", options->categories, "NAME=large|foundation|other (repeatable)");
    cmd->add_option("--min", options->minimums, "NAME=SIZE: a component's minimum (repeatable)");
    cmd->add_option("--max", options->maximums, "NAME=SIZE: a component's maximum (repeatable)");
    cmd->add_option("--freestanding", options->freestanding, "NAME: mark a component freestanding (repeatable)");
    cmd->add_option("--target", options->targets, "NAME=TARGET: a build target of a component (repeatable)");
    cmd->add_option("--config", options->config, "TOML config file; named in messages as given");
    cmd->add_option("--env-prefix", options->env_prefix, "Prefix of environment overrides")->capture_default_str();
    cmd->add_option("--origin", options->origin, "How messages name the arguments' origin")->capture_default_str();
    cmd->add_flag("--strict", options->strict, "Every warning is an error (also WRT_STRICT_VALIDATION=1)");
    cmd->add_flag("--verbose", options->verbose,
                  "Print every component, its value and its source (also WRT_DEBUG_VALIDATION=1)");
    cmd->add_option("--header-out", options->header_out, "Write the C/C++ header here");
    cmd->add_option("--rust-out", options->rust_out, "Write the Rust constants here");
    cmd->add_option("--json-out", options->json_out, "Write the JSON description here");
    cmd->add_option("--cmake-out", options->cmake_out,
                    "Write a CMake script setting wrt_memory_budget()'s result variables here");
    cmd->add_option("--prefix", options->prefix, "Prefix for every C macro and Rust constant name");
    cmd->add_flag("--json", options->json, "Print the result (diagnostics and budget) as JSON on stdout");
    cmd->callback([options, &exit_code]() { exit_code = run(*options); });
}

}  // namespace buildbudget::cli
