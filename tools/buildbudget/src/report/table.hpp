// Plain-text tables for the console reports.
#pragma once

#include <string>
#include <vector>

namespace buildbudget::report {

enum class Align { left, right };

/// Renders `rows` under `header` with columns separated by " | " and a rule
/// of '-' under the header; each column is as wide as its widest cell
/// (counted in UTF-8 code points, so ✓ and ✗ are one column). `align` gives
/// each column's alignment (missing entries: left). Every line ends in '\n'.
[[nodiscard]] std::string render_table(const std::vector<std::string>& header,
                                       const std::vector<std::vector<std::string>>& rows,
                                       const std::vector<Align>& align = {});

}  // namespace buildbudget::report
