#include "budget/emit.hpp"
#include "budget/inputs.hpp"

namespace buildbudget::budget {
namespace {

nlohmann::ordered_json limit_json(const std::optional<Limit>& limit) {
    if (!limit) return nullptr;
    return {{"bytes", limit->bytes}, {"rule", limit->rule}};
}

}  // namespace

nlohmann::ordered_json describe(const BudgetSet& set) {
    using nlohmann::ordered_json;
    ordered_json components = ordered_json::array();
    for (const auto& c : set.components) {
        ordered_json targets = ordered_json::array();
        for (const auto& t : c.targets) targets.push_back(t);
        components.push_back({{"name", c.name},
                              {"identifier", c.identifier},
                              {"bytes", c.bytes},
                              {"source", to_string(c.source)},
                              {"location", c.location.str()},
                              {"category", c.category ? ordered_json(to_string(*c.category)) : ordered_json(nullptr)},
                              {"min", limit_json(effective_minimum(c))},
                              {"max", limit_json(c.max)},
                              {"freestanding", c.freestanding},
                              {"targets", targets}});
    }
    ordered_json platform_max = ordered_json::object();
    for (Platform pl : all_platforms) {
        platform_max[to_string(pl)] = platform_maximum(pl);
    }
    ordered_json category_min = ordered_json::object();
    for (Category cat : {Category::large, Category::foundation, Category::other}) {
        category_min[to_string(cat)] = category_minimum(cat);
    }
    const auto total_min = platform_total_minimum(set.platform);
    return {{"schema", "buildbudget-memory-budget/1"},
            {"name", set.name},
            {"preset", set.preset},
            {"platform", to_string(set.platform)},
            {"platform_max_bytes", platform_maximum(set.platform)},
            {"total_bytes", set.total_bytes()},
            {"total_max", limit_json(set.total_max)},
            {"total_min", set.total_min ? limit_json(set.total_min)
                                        : (total_min ? limit_json(Limit{*total_min, {}, std::string("of platform ") + to_string(set.platform)})
                                                     : ordered_json(nullptr))},
            {"components", components},
            {"rules", {{"platform_max_bytes", platform_max}, {"category_min_bytes", category_min}}}};
}

std::string emit_json(const BudgetSet& set) { return describe(set).dump(2) + "\n"; }

}  // namespace buildbudget::budget
