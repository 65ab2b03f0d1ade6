// The budget report's page (`buildbudget report`, doc/helper-report.md, "The page"): one self-contained
// HTML file drawn from the report document (report.json, schema "buildbudget-report/1"), with no
// network access, opened directly in a browser, also from file://.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace buildbudget::report {

/// The whole page for `report` (the document `buildbudget report` writes as report.json).
/// Throws std::runtime_error when the page's template cannot be read.
[[nodiscard]] std::string report_html(const nlohmann::ordered_json& report);

}  // namespace buildbudget::report
