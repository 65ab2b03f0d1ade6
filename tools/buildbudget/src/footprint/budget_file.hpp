// The budget set as the checks read it: the JSON description that
// wrt_memory_budget() writes (schema buildbudget-memory-budget/1, README
// "JSON description").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace buildbudget::footprint {

struct BudgetedComponent {
    std::string name;
    std::uint64_t bytes = 0;
    bool freestanding = false;
};

struct BudgetFile {
    std::string path;
    std::string set_name;
    std::string platform;
    std::vector<BudgetedComponent> components;

    /// The component called `name`, or nullptr.
    [[nodiscard]] const BudgetedComponent* find(const std::string& name) const;
};

/// Reads `path`. Throws std::runtime_error naming the file and, for JSON
/// syntax errors, the byte offset (nlohmann_json's message), or the missing
/// key, when it is not a buildbudget-memory-budget/1 description.
[[nodiscard]] BudgetFile read_budget_file(const std::string& path);

}  // namespace buildbudget::footprint
