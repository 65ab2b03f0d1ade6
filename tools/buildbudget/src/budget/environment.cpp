// Environment overrides (doc/memory-budget.md, "Environment variables"):
// `<prefix><IDENTIFIER>=<size>`, default prefix WRT_BUDGET_ (the WRT project:
// `WRT_BUDGET_{CRATE_NAME_UPPERCASE}`).
#include "budget/inputs.hpp"
#include "common/nearest.hpp"

#include <algorithm>

namespace buildbudget::budget {

void apply_environment(BudgetSet& set, const std::string& prefix, const std::vector<NameValue>& environment,
                       Diagnostics& diags) {
    if (prefix.empty()) return;
    std::vector<NameValue> matching;
    for (const auto& entry : environment) {
        if (entry.first.compare(0, prefix.size(), prefix) == 0) matching.push_back(entry);
    }
    std::sort(matching.begin(), matching.end());  // a stable order for messages

    std::vector<std::string> known;
    for (const auto& c : set.components) known.push_back(c.identifier);

    for (const auto& [variable, value] : matching) {
        const Location where{"environment variable " + variable, 0, 0};
        const std::string identifier = variable.substr(prefix.size());
        auto it = std::find_if(set.components.begin(), set.components.end(),
                               [&](const Component& c) { return c.identifier == identifier; });
        if (it == set.components.end()) {
            std::string message = variable + " names no component";
            const std::string guess = nearest(identifier, known);
            if (!guess.empty()) {
                message += "; did you mean " + prefix + guess + " (component " + set.find_identifier(guess)->name + ")?";
            } else {
                message += "; this budget set has no components";
            }
            diags.warning(where, message);
            continue;
        }
        assign_size(set, &*it, parse_size_reported(value, it->name, where, diags), ValueSource::env, where);
    }
}

}  // namespace buildbudget::budget
