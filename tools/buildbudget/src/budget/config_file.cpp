// The TOML config file (doc/memory-budget.md, "Config file"), read with toml++.
//
//   "wrt-runtime" = "32MB"      # the WRT project's form: top-level name = size
//   net = 1048576               # an integer is bytes
//
//   [storage]                   # a table sets one component's settings
//   size = "512KB"
//   category = "foundation"     # large | foundation | other
//   min = "256KB"
//   max = "1MB"
//   freestanding = true
//
//   [budget]                    # the set as a whole
//   platform = "embedded"       # embedded | iot | desktop | server
//   total_max = "3MB"           # a project cap below the platform's
//   total_min = "1MB"           # a warning when the total is below
//
// Every problem names the file, line and column of the key concerned.
#include "budget/inputs.hpp"
#include "common/nearest.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace buildbudget::budget {
namespace {

constexpr const char* component_keys = "size, category, min, max or freestanding";
constexpr const char* budget_keys = "platform, total_max or total_min";

/// A table's entries in file order (toml::table itself is ordered by key), so
/// new components keep their declaration order and messages read top to bottom.
std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& table) {
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (const auto& [key, node] : table) entries.emplace_back(&key, &node);
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        const auto& pa = a.first->source().begin;
        const auto& pb = b.first->source().begin;
        return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
    });
    return entries;
}

Location at(const std::string& file, const toml::source_region& region) {
    return {file, static_cast<std::uint32_t>(region.begin.line), static_cast<std::uint32_t>(region.begin.column)};
}

/// A size from a TOML value: an integer (bytes) or a size string.
std::optional<std::uint64_t> size_value(const toml::node& node, const std::string& what, const Location& where,
                                        Diagnostics& diags) {
    if (const auto* i = node.as_integer()) {
        const std::int64_t v = i->get();
        if (v < 0) {
            diags.error(where, "Invalid size " + std::to_string(v) + " for " + what + ": a budget cannot be negative");
            return std::nullopt;
        }
        return static_cast<std::uint64_t>(v);
    }
    if (const auto* s = node.as_string()) return parse_size_reported(s->get(), what, where, diags);
    if (const auto* f = node.as_floating_point()) {
        std::ostringstream text;
        text << f->get();
        diags.error(where, "Invalid size " + text.str() + " for " + what +
                               ": a bare number must be whole bytes; write a fraction as a string with a unit, "
                               "such as \"1.5MB\"");
        return std::nullopt;
    }
    diags.error(where, "Invalid size for " + what + ": expected an integer number of bytes or a string such as \"512KB\"");
    return std::nullopt;
}

std::optional<std::string> string_value(const toml::node& node, const std::string& what, const Location& where,
                                        Diagnostics& diags) {
    if (const auto* s = node.as_string()) return s->get();
    diags.error(where, "Expected a string for " + what);
    return std::nullopt;
}

void apply_budget_table(BudgetSet& set, const toml::table& table, const std::string& file, Diagnostics& diags) {
    for (const auto& [key_ptr, node_ptr] : in_file_order(table)) {
        const toml::key& key = *key_ptr;
        const toml::node& node = *node_ptr;
        const Location where = at(file, key.source());
        const std::string k(key.str());
        if (k == "platform") {
            if (auto text = string_value(node, "[budget] platform", where, diags)) {
                if (auto p = parse_platform(*text)) {
                    set.platform = *p;
                    set.platform_location = where;
                } else {
                    diags.error(where, "Unknown platform \"" + *text + "\"; expected embedded, iot, desktop or server");
                }
            }
        } else if (k == "total_max" || k == "total_min") {
            if (auto bytes = size_value(node, "[budget] " + k, where, diags)) {
                (k == "total_max" ? set.total_max : set.total_min) = Limit{*bytes, where, "set by " + k};
            }
        } else {
            diags.error(where, "Unknown key \"" + k + "\" in [budget]; expected " + budget_keys);
        }
    }
}

/// Declares a component first named in the config file. Under a preset, a new
/// name close to a known one is probably a typo: warn.
Component* declare_from_config(BudgetSet& set, const std::string& name, const Location& where, Diagnostics& diags) {
    if (Component* c = set.find(name)) return c;
    std::vector<std::string> known;
    for (const auto& c : set.components) known.push_back(c.name);
    const std::string guess = nearest(name, known);
    if (!guess.empty() && edit_distance(name, guess) <= 2) {
        diags.warning(where, "Component " + name + " is not declared elsewhere and is added as a new component; did you mean " + guess + "?");
    }
    return declare_component(set, name, where, diags);
}

void apply_component_table(BudgetSet& set, const std::string& name, const toml::table& table, const Location& table_where,
                           const std::string& file, Diagnostics& diags) {
    const toml::node* size_node = table.get("size");
    if (size_node == nullptr && set.find(name) == nullptr) {
        diags.error(table_where, "Component " + name + " is new here and has no size; add size = \"...\" to [" + name + "]");
        set.incomplete = true;
        return;
    }
    Component* c = declare_from_config(set, name, table_where, diags);
    for (const auto& [key_ptr, node_ptr] : in_file_order(table)) {
        const toml::key& key = *key_ptr;
        const toml::node& node = *node_ptr;
        const Location where = at(file, key.source());
        const std::string k(key.str());
        if (k == "size") {
            assign_size(set, c, size_value(node, name, where, diags), ValueSource::config, where);
        } else if (k == "min" || k == "max") {
            if (auto bytes = size_value(node, "the " + std::string(k == "min" ? "minimum" : "maximum") + " of " + name,
                                        where, diags);
                bytes && c != nullptr) {
                (k == "min" ? c->min : c->max) = Limit{*bytes, where, "set by " + k};
            }
        } else if (k == "category") {
            if (auto text = string_value(node, "the category of " + name, where, diags)) {
                if (auto cat = parse_category(*text)) {
                    if (c != nullptr) c->category = cat;
                } else {
                    diags.error(where, "Unknown category \"" + *text + "\" for " + name + "; expected large, foundation or other");
                }
            }
        } else if (k == "freestanding") {
            if (const auto* b = node.as_boolean()) {
                if (c != nullptr) c->freestanding = b->get();
            } else {
                diags.error(where, "Expected true or false for freestanding of " + name);
            }
        } else {
            diags.error(where, "Unknown key \"" + k + "\" in [" + name + "]; expected " + component_keys);
        }
    }
}

}  // namespace

void apply_config_file(BudgetSet& set, const std::string& path, const std::string& display_path, Diagnostics& diags) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        diags.error({display_path, 0, 0}, "Cannot read the config file: no such file or not readable");
        set.incomplete = true;
        return;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();

    toml::table root;
    try {
        root = toml::parse(text, display_path);
    } catch (const toml::parse_error& err) {
        diags.error(at(display_path, err.source()), "TOML syntax error: " + std::string(err.description()));
        set.incomplete = true;
        return;
    }
    for (const auto& [key_ptr, node_ptr] : in_file_order(root)) {
        const toml::key& key = *key_ptr;
        const toml::node& node = *node_ptr;
        const Location where = at(display_path, key.source());
        const std::string name(key.str());
        if (const auto* table = node.as_table()) {
            if (name == "budget") {
                apply_budget_table(set, *table, display_path, diags);
            } else {
                apply_component_table(set, name, *table, where, display_path, diags);
            }
            continue;
        }
        Component* c = declare_from_config(set, name, where, diags);
        assign_size(set, c, size_value(node, name, where, diags), ValueSource::config, where);
    }
}

}  // namespace buildbudget::budget
