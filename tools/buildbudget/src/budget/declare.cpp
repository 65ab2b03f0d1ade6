// Declaring components and giving them sizes: the steps every input
// (arguments, config file, environment) shares.
#include "budget/inputs.hpp"
#include "budget/size.hpp"

namespace buildbudget::budget {

Component* declare_component(BudgetSet& set, const std::string& name, const Location& where,
                             Diagnostics& diags) {
    if (Component* existing = set.find(name)) return existing;
    const std::string id = to_identifier(name);
    if (id.find_first_not_of('_') == std::string::npos) {
        diags.error(where, "Invalid component name \"" + name + "\": it needs at least one letter or digit");
        return nullptr;
    }
    if (const Component* clash = set.find_identifier(id)) {
        diags.error(where, "Component names \"" + clash->name + "\" and \"" + name +
                               "\" both map to the identifier " + id + "; rename one of them");
        return nullptr;
    }
    Component c;
    c.name = name;
    c.identifier = id;
    c.location = where;
    apply_preset_defaults(set, c);
    set.components.push_back(std::move(c));
    return &set.components.back();
}

std::optional<std::uint64_t> parse_size_reported(const std::string& text, const std::string& what,
                                                 const Location& where, Diagnostics& diags) {
    const SizeParse parsed = parse_size(text);
    if (!parsed.bytes) diags.error(where, "Invalid size \"" + text + "\" for " + what + ": " + parsed.error);
    return parsed.bytes;
}

void assign_size(BudgetSet& set, Component* component, std::optional<std::uint64_t> bytes, ValueSource source,
                 const Location& where) {
    if (component == nullptr) return;
    if (!bytes) {
        component->invalid = true;
        set.incomplete = true;
        return;
    }
    component->bytes = *bytes;
    component->source = source;
    component->location = where;
    component->invalid = false;
}

}  // namespace buildbudget::budget
