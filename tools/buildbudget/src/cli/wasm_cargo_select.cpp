// `buildbudget wasm cargo-select --metadata <file> --manifest <path> [--crate <name>]
// [--feature <f>]... --cmake-out <file>`: the package and target of a Rust crate
// that wasm_build_target(CRATE) builds (doc/helper-wasm-dts.md, "buildbudget wasm
// cargo-select"), picked from `cargo metadata --no-deps --format-version 1` output
// (cargo's "JSON output" format: packages[].{name, manifest_path, targets[].{name,
// kind[]}, default_run, features{}, dependencies[].optional}, workspace_root).
// Rules, in order:
//   package  CRATE's (by name), else the package whose manifest is --manifest
//            (compared after resolving symbolic links); CRATE may also name a
//            target of that package
//   target   the bin or cdylib CRATE names, else the cdylib, else the only bin,
//            else default_run
//   stem     the cdylib's name with '-' as '_', or the bin's name
//   FEATURES each one of the package's, unless a dependency is optional
//            (implicit features) or the feature has a '/'
// Writes a CMake script of set() lines (package, package_dir, workspace_root,
// kind, target_name, stem), rewritten only when it changes. Exit 0; 1 with the
// message wasm_build_target() shows after its own context (a bad selection, an
// unreadable or malformed metadata file, an unwritable script); 2 usage error.
#include "cli/options.hpp"
#include "cli/wasm.hpp"

#include "common/output_file.hpp"
#include "common/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace buildbudget::cli {
namespace {

namespace fs = std::filesystem;

struct SelectOptions {
    std::string metadata;
    std::string manifest;
    std::string crate;
    std::vector<std::string> features;
    std::string cmake_out;
};

/// The path with symbolic links resolved, as CMake's REALPATH gives it; the
/// path as it is when it cannot be resolved.
std::string real_path(const std::string& path) {
    std::error_code ec;
    const fs::path resolved = fs::weakly_canonical(path, ec);
    return ec ? path : resolved.string();
}

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
    return std::find(items.begin(), items.end(), item) != items.end();
}

std::string underscored(std::string s) {
    std::replace(s.begin(), s.end(), '-', '_');
    return s;
}

/// The selection, or the message of why there is none (in `error`).
struct Selection {
    std::string package, package_dir, workspace_root, kind, target_name, stem;
};

bool select(const nlohmann::json& metadata, const SelectOptions& o, Selection& s, std::string& error) {
    const std::string& manifest = o.manifest;
    const std::string& crate = o.crate;
    s.workspace_root = metadata.at("workspace_root").get<std::string>();
    const nlohmann::json& packages = metadata.at("packages");
    if (packages.empty()) {
        error = "MANIFEST " + manifest + " has no package; expected a crate's Cargo.toml";
        return false;
    }
    const std::string real_manifest = real_path(manifest);

    // The package: CRATE's, else the manifest's own.
    std::ptrdiff_t index = -1;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < packages.size(); ++i) {
        const auto name = packages[i].at("name").get<std::string>();
        const bool own = real_path(packages[i].at("manifest_path").get<std::string>()) == real_manifest;
        names.push_back(name);
        if (crate.empty() && own) {
            index = static_cast<std::ptrdiff_t>(i);
        } else if (!crate.empty() && name == crate) {
            index = static_cast<std::ptrdiff_t>(i);
            break;
        } else if (!crate.empty() && own && index == -1) {
            index = static_cast<std::ptrdiff_t>(i);  // CRATE may name one of its targets
        }
    }
    if (index == -1) {
        if (crate.empty()) {
            error = "MANIFEST " + manifest + " is a workspace without a package of its own; name the package to "
                    "build with CRATE (one of: " + join(names) + ")";
        } else {
            error = "CRATE \"" + crate + "\" is not a package of " + manifest + " (packages: " + join(names) + ")";
        }
        return false;
    }
    const nlohmann::json& package = packages[static_cast<std::size_t>(index)];
    s.package = package.at("name").get<std::string>();
    const auto package_manifest = package.at("manifest_path").get<std::string>();
    s.package_dir = fs::path(package_manifest).parent_path().string();

    // Its target: a cdylib, else a bin; CRATE may name either.
    std::string cdylib;
    std::vector<std::string> bins;
    std::vector<std::string> kinds;
    for (const nlohmann::json& target : package.at("targets")) {
        const auto name = target.at("name").get<std::string>();
        for (const nlohmann::json& k : target.at("kind")) {
            const auto kind = k.get<std::string>();
            kinds.push_back(name + " (" + kind + ")");
            if (kind == "cdylib") {
                cdylib = name;
            } else if (kind == "bin") {
                bins.push_back(name);
            }
        }
    }
    if (!crate.empty() && crate != s.package) {
        if (contains(bins, crate)) {
            s.kind = "bin";
            s.target_name = crate;
        } else if (!cdylib.empty() && underscored(crate) == underscored(cdylib)) {
            s.kind = "cdylib";
            s.target_name = cdylib;
        } else {
            error = "CRATE \"" + crate + "\" is neither a package of " + manifest + " (packages: " + join(names) +
                    ") nor a cdylib or bin target of " + s.package + " (targets: " + join(kinds) + ")";
            return false;
        }
    } else if (!cdylib.empty()) {
        s.kind = "cdylib";
        s.target_name = cdylib;
    } else if (bins.size() == 1) {
        s.kind = "bin";
        s.target_name = bins.front();
    } else if (bins.size() > 1) {
        const auto default_run = package.find("default_run");
        if (default_run == package.end() || !default_run->is_string() ||
            !contains(bins, default_run->get<std::string>())) {
            error = "package " + s.package + " has several bin targets (" + join(bins) + "); name one with CRATE";
            return false;
        }
        s.kind = "bin";
        s.target_name = default_run->get<std::string>();
    } else {
        error = "package " + s.package + " (" + package_manifest + ") builds no .wasm: it has no cdylib or bin "
                "target (targets: " + join(kinds) + "). Add `crate-type = [\"cdylib\"]` under [lib] in its "
                "Cargo.toml, or a bin.";
        return false;
    }
    s.stem = s.kind == "cdylib" ? underscored(s.target_name) : s.target_name;

    // FEATURES: each must be one of the package's, unless optional dependencies
    // (implicit features) or `package/feature` make the list open.
    const auto features = package.find("features");
    bool optional = false;
    if (const auto dependencies = package.find("dependencies"); dependencies != package.end()) {
        for (const nlohmann::json& dependency : *dependencies) optional = optional || dependency.value("optional", false);
    }
    if (features != package.end() && features->is_object() && !optional) {
        std::vector<std::string> known;
        for (const auto& item : features->items()) known.push_back(item.key());
        for (const auto& feature : o.features) {
            if (feature.find('/') == std::string::npos && !contains(known, feature)) {
                error = "FEATURES \"" + feature + "\" is not a feature of package " + s.package +
                        " (its features: " + (known.empty() ? std::string("none") : join(known)) + ")";
                return false;
            }
        }
    }
    return true;
}

int run_cargo_select(const SelectOptions& o) {
    std::ifstream in(o.metadata, std::ios::binary);
    if (!in) {
        return fail("cannot read the cargo metadata file " + o.metadata);
    }
    nlohmann::json metadata;
    try {
        metadata = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
        return fail("the cargo metadata file " + o.metadata + " is not valid JSON (byte " + std::to_string(e.byte) +
                    "): " + e.what());
    }
    Selection s;
    std::string error;
    try {
        if (!select(metadata, o, s, error)) return fail(error);
    } catch (const nlohmann::json::exception& e) {
        return fail("the cargo metadata file " + o.metadata + " is not `cargo metadata --format-version 1` output: " +
                    e.what());
    }
    std::ostringstream script;
    script << "# Written by buildbudget wasm cargo-select from " << o.metadata << "\n";
    const std::pair<const char*, const std::string*> variables[] = {
        {"package", &s.package}, {"package_dir", &s.package_dir}, {"workspace_root", &s.workspace_root},
        {"kind", &s.kind},       {"target_name", &s.target_name}, {"stem", &s.stem}};
    for (const auto& [name, value] : variables) script << "set(" << name << ' ' << cmake_quoted(*value) << ")\n";
    if (write_file_if_changed(o.cmake_out, script.str(), error) == WriteResult::failed) return fail(error);
    return 0;
}

}  // namespace

void add_wasm_cargo_select(CLI::App& wasm_group, int& exit_code) {
    auto o = std::make_shared<SelectOptions>();
    CLI::App* cmd = wasm_group.add_subcommand(
        "cargo-select",
        "Pick the package and target wasm_build_target(CRATE) builds from `cargo metadata --no-deps\n"
        "--format-version 1` output, and write them as a CMake script of set() lines (package, package_dir,\n"
        "workspace_root, kind, target_name, stem). Exit 0; 1 when the selection fails (the message names the\n"
        "input) or the metadata file is unreadable or malformed; 2 usage error.");
    cmd->add_option("--metadata", o->metadata, "The JSON that cargo metadata printed")->required();
    cmd->add_option("--manifest", o->manifest, "The Cargo.toml cargo metadata read (MANIFEST)")->required();
    cmd->add_option("--crate", o->crate, "The package, or a bin or cdylib target of the manifest's package (CRATE)");
    cmd->add_option("--feature", o->features, "A feature to check against the package's (FEATURES); repeatable");
    cmd->add_option("--cmake-out", o->cmake_out, "Write the CMake script here")->required();
    cmd->callback([o, &exit_code]() { exit_code = run_cargo_select(*o); });
}

}  // namespace buildbudget::cli
