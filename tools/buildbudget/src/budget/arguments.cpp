// Arguments of wrt_memory_budget() / `buildbudget budget validate`, the second
// of a set's four inputs (doc/memory-budget.md, "Declaring a budget set").
#include "budget/inputs.hpp"

namespace buildbudget::budget {
namespace {

/// The component an option names; it must have been declared with a size.
Component* named_component(BudgetSet& set, const std::string& name, const char* option, const Location& where,
                           Diagnostics& diags) {
    if (Component* c = set.find(name)) return c;
    diags.error(where, std::string(option) + " names \"" + name +
                           "\", which is not a component; declare it with a size first");
    return nullptr;
}

}  // namespace

void apply_arguments(BudgetSet& set, const Arguments& args, Diagnostics& diags) {
    const Location& where = args.origin;
    if (args.platform) {
        if (auto p = parse_platform(*args.platform)) {
            set.platform = *p;
            set.platform_location = where;
        } else {
            diags.error(where, "Unknown platform \"" + *args.platform +
                                   "\"; expected embedded, iot, desktop or server");
        }
    }
    std::vector<std::string> seen;
    for (const auto& [name, size] : args.components) {
        for (const auto& s : seen) {
            if (s == name) diags.error(where, "Component " + name + " is declared twice in the arguments");
        }
        seen.push_back(name);
        Component* c = declare_component(set, name, where, diags);
        assign_size(set, c, parse_size_reported(size, name, where, diags), ValueSource::cmake, where);
    }
    for (const auto& [name, text] : args.categories) {
        Component* c = named_component(set, name, "CATEGORY", where, diags);
        const auto category = parse_category(text);
        if (!category) {
            diags.error(where, "Unknown category \"" + text + "\" for " + name +
                                   "; expected large, foundation or other");
        } else if (c != nullptr) {
            c->category = category;
        }
    }
    for (const auto& [name, size] : args.minimums) {
        Component* c = named_component(set, name, "MIN", where, diags);
        const auto bytes = parse_size_reported(size, "the minimum of " + name, where, diags);
        if (c != nullptr && bytes) c->min = Limit{*bytes, where, "set by MIN"};
    }
    for (const auto& [name, size] : args.maximums) {
        Component* c = named_component(set, name, "MAX", where, diags);
        const auto bytes = parse_size_reported(size, "the maximum of " + name, where, diags);
        if (c != nullptr && bytes) c->max = Limit{*bytes, where, "set by MAX"};
    }
    for (const auto& name : args.freestanding) {
        if (Component* c = named_component(set, name, "FREESTANDING", where, diags)) c->freestanding = true;
    }
    for (const auto& [name, target] : args.targets) {
        if (Component* c = named_component(set, name, "TARGETS", where, diags)) c->targets.push_back(target);
    }
}

}  // namespace buildbudget::budget
