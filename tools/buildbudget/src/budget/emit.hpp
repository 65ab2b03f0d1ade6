// The generated outputs of a validated budget set (doc/memory-budget.md, "The
// outputs"). Each function returns the whole file text: no timestamps,
// components in declaration order, so the same inputs give the same bytes.
#pragma once

#include "budget/model.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace buildbudget::budget {

struct EmitOptions {
    std::string prefix;  ///< put in front of every C macro and Rust constant name, e.g. "FW_"
};

/// C/C++ header: macros usable in `#if` and array sizes (`BUDGET_<ID>`,
/// `TOTAL_MEMORY_BUDGET`, `<PLATFORM>_MAX_BUDGET` as in the WRT project), the chosen
/// platform, an X-macro list of components, and under C++ the same values as
/// `constexpr` in namespace `<set>_budget`.
[[nodiscard]] std::string emit_header(const BudgetSet& set, const EmitOptions& options);

/// Rust: `pub const` items for `include!` (the WRT project's memory_constants.rs).
[[nodiscard]] std::string emit_rust(const BudgetSet& set, const EmitOptions& options);

/// The machine-readable description: platform, totals, rules and each
/// component with its bytes, source ("preset", "cmake", "config", "env") and location.
[[nodiscard]] nlohmann::ordered_json describe(const BudgetSet& set);

/// describe() as text, indented, with a final newline.
[[nodiscard]] std::string emit_json(const BudgetSet& set);

/// A CMake script of set() commands for wrt_memory_budget()'s result
/// variables (<name>_BUDGET_PLATFORM, <name>_TOTAL_MEMORY_BUDGET,
/// <name>_BUDGET_COMPONENTS, <name>_BUDGET_<ID>),
/// _buildbudget_result_variables, the list of their names, and
/// _buildbudget_component_bytes, each component's bytes in the order of
/// <name>_BUDGET_COMPONENTS. The modules include() it instead of parsing the
/// JSON, which costs CMake far more.
[[nodiscard]] std::string emit_cmake(const BudgetSet& set);

/// The C++ namespace (and INTERFACE target) name of a set: "fw" -> "fw_budget".
[[nodiscard]] std::string cxx_namespace(const std::string& set_name);

}  // namespace buildbudget::budget
