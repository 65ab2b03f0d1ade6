// The budget report's page (`buildbudget report`, doc/helper-report.md, "The page"): one self-contained
// HTML file drawn from the report document (report.json, schema "buildbudget-report/1"), with no
// network access, opened directly in a browser, also from file://.
//
// The page is templates/report/report.html (the HTML, CSS and JavaScript) with:
// - a heading with the commit, the status and the summary counts;
// - per section (budgets, WebAssembly, trends, build memory) a table of its numbers built here, in a
//   <details class="numbers"> that is open without JavaScript, or a line saying what is missing;
//   the changes since the baseline as a table (figures whose "change" is set);
// - the report itself as JSON in <script type="application/json" id="report-data">, from which the
//   page's inline script draws each chart as inline SVG. `<`, `>`, `&`, U+2028 and U+2029 are \uXXXX
//   escapes there, so no name can end the script element or open a comment in it.
// Table rows carry data-row and data-name; cells data-col and, for bytes, the exact data-bytes. The
// drawn elements carry data-kind, data-measure, data-name, data-bytes and data-level (doc/helper-report.md,
// "The page", lists them). Fields that are missing or of another type than the schema's are shown as
// "–" (or the section as missing), never an error; bytes that are not UTF-8 become U+FFFD; a treemap path
// with a scheme or a network path gets no link.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace buildbudget::report {

/// The whole page for `report` (the document `buildbudget report` writes as report.json), UTF-8 HTML5.
/// Deterministic: the same report gives the same bytes. Size: 28 KB of style and script, plus the
/// report's JSON and the tables (about three times the JSON's size).
/// Throws std::runtime_error when the page's template (report/report.html, common/templates.hpp)
/// cannot be read.
[[nodiscard]] std::string report_html(const nlohmann::ordered_json& report);

}  // namespace buildbudget::report
