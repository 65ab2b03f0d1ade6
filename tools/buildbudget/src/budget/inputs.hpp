// Assembling a budget set from its four inputs, lowest precedence first
// (doc/memory-budget.md, "Declaring a budget set"; the reason in
// doc/design.md, "Memory budgets"): preset < arguments (CMake) < config file
// < environment.
//
// Every step records problems in a Diagnostics and goes on, so one run reports
// every problem. Each component remembers the source and location of the
// value that won.
#pragma once

#include "budget/model.hpp"
#include "common/diagnostics.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace buildbudget::budget {

using NameValue = std::pair<std::string, std::string>;

/// Component settings given as arguments (the CMake call, or the command line).
/// Sizes stay text until they are parsed, so errors can quote them.
struct Arguments {
    Location origin{"command line", 0, 0};  ///< where these came from, for messages
    std::optional<std::string> platform;
    std::vector<NameValue> components;    ///< NAME, SIZE in declaration order
    std::vector<NameValue> categories;    ///< NAME, large|foundation|other
    std::vector<NameValue> minimums;      ///< NAME, SIZE
    std::vector<NameValue> maximums;      ///< NAME, SIZE
    std::vector<std::string> freestanding;
    std::vector<NameValue> targets;       ///< NAME, CMake target
};

/// Adds the components of a preset: "wrt" (the WRT project's 16 crates) or "none".
/// An unknown preset is an error.
void apply_preset(BudgetSet& set, const std::string& preset, Diagnostics& diags);

/// Finds or declares the component `name` set from `where`. A new name whose
/// identifier equals an existing component's identifier is an error, since
/// their macros would clash (doc/design.md, "Memory budgets"); so is a name
/// with no letter or digit. Returns nullptr on error.
Component* declare_component(BudgetSet& set, const std::string& name, const Location& where,
                             Diagnostics& diags);

/// Under preset wrt, a component the preset does not list gets its "other
/// crates" defaults: category other, maximum 8 MiB. Nothing under preset none.
void apply_preset_defaults(const BudgetSet& set, Component& component);

/// parse_size(), reporting `Invalid size "<text>" for <what>: <reason>` at
/// `where` when the text is not a size.
std::optional<std::uint64_t> parse_size_reported(const std::string& text, const std::string& what,
                                                 const Location& where, Diagnostics& diags);

/// Gives `component` (when not null) the size `bytes` from `source` at `where`.
/// Without bytes (the input was invalid) the component is marked invalid and
/// the set incomplete, so the rules skip it and the totals.
void assign_size(BudgetSet& set, Component* component, std::optional<std::uint64_t> bytes, ValueSource source,
                 const Location& where);

/// Applies the CMake/command-line arguments over the preset.
void apply_arguments(BudgetSet& set, const Arguments& args, Diagnostics& diags);

/// Applies a TOML config file (doc/memory-budget.md, "Config file"). `display_path` is how
/// the file is named in messages.
void apply_config_file(BudgetSet& set, const std::string& path, const std::string& display_path,
                       Diagnostics& diags);

/// Applies `<prefix><IDENTIFIER>` variables from `environment` (name, value
/// pairs). A variable with the prefix that names no component is a warning that
/// suggests the nearest component.
void apply_environment(BudgetSet& set, const std::string& prefix, const std::vector<NameValue>& environment,
                       Diagnostics& diags);

/// Checks the rules of doc/design.md, "Memory budgets": per-component minimum
/// and maximum, the platform's total maximum and minimum, and the project's
/// own total limits.
/// `totals_location` is where total problems are reported.
void check_rules(const BudgetSet& set, const Location& totals_location, Diagnostics& diags);

/// The effective minimum of a component: its explicit MIN, else its category's
/// minimum; none when neither is set.
[[nodiscard]] std::optional<Limit> effective_minimum(const Component& component);

}  // namespace buildbudget::budget
