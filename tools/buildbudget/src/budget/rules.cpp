// The validation rules of a budget set (doc/design.md, "Memory budgets"), in
// the WRT project's wording.
#include "budget/inputs.hpp"

namespace buildbudget::budget {
namespace {

std::string bytes_text(std::uint64_t n) { return std::to_string(n) + " bytes"; }

}  // namespace

std::optional<Limit> effective_minimum(const Component& component) {
    if (component.min) return component.min;
    if (component.category) {
        return Limit{category_minimum(*component.category), component.location,
                     std::string("for category ") + to_string(*component.category)};
    }
    return std::nullopt;
}

void check_rules(const BudgetSet& set, const Location& totals_location, Diagnostics& diags) {
    for (const auto& c : set.components) {
        if (c.invalid) continue;
        const auto min = effective_minimum(c);
        if (min && c.bytes < min->bytes) {
            diags.error(c.location, "Budget for " + c.name + " (" + bytes_text(c.bytes) + ") is below minimum (" +
                                        bytes_text(min->bytes) + ") " + min->rule);
        }
        if (c.max && c.bytes > c.max->bytes) {
            diags.error(c.location, "Budget for " + c.name + " (" + bytes_text(c.bytes) + ") exceeds maximum (" +
                                        bytes_text(c.max->bytes) + ") " + c.max->rule);
        }
        if (min && c.max && min->bytes > c.max->bytes) {
            diags.error(min->location.where.empty() ? c.location : min->location,
                        "Minimum for " + c.name + " (" + bytes_text(min->bytes) + ", " + min->rule +
                            ") exceeds its maximum (" + bytes_text(c.max->bytes) + ", " + c.max->rule + ")");
        }
    }

    if (set.incomplete) return;  // the total is not known
    const std::uint64_t total = set.total_bytes();
    const std::uint64_t platform_max = platform_maximum(set.platform);
    if (total > platform_max) {
        diags.error(totals_location, "Total budget allocation (" + bytes_text(total) + ") exceeds maximum (" +
                                         bytes_text(platform_max) + ") of platform " + to_string(set.platform));
    }
    if (set.total_max && total > set.total_max->bytes) {
        diags.error(set.total_max->location, "Total budget allocation (" + bytes_text(total) + ") exceeds maximum (" +
                                                 bytes_text(set.total_max->bytes) + ") " + set.total_max->rule);
    }
    if (const auto platform_min = platform_total_minimum(set.platform); platform_min && total < *platform_min) {
        diags.warning(totals_location, "Total budget allocation (" + bytes_text(total) + ") is below minimum (" +
                                           bytes_text(*platform_min) + ") of platform " + to_string(set.platform));
    }
    if (set.total_min && total < set.total_min->bytes) {
        diags.warning(set.total_min->location, "Total budget allocation (" + bytes_text(total) +
                                                   ") is below minimum (" + bytes_text(set.total_min->bytes) +
                                                   ") " + set.total_min->rule);
    }
}

}  // namespace buildbudget::budget
