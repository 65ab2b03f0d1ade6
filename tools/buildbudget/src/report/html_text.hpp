// Text for the package's HTML pages (the treemap, treemap_html.cpp; the budget report's page,
// report_html.cpp): escaping for HTML text and attributes and for JSON inside a <script> element,
// and the byte counts and percentages both pages print (their scripts format numbers the same way).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace buildbudget::report {

/// `s` escaped for HTML text and attribute values (the five characters of XML's predefined
/// entities), after every byte that does not start a well-formed UTF-8 sequence is replaced by
/// U+FFFD (Unicode 15 §3.9, Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
[[nodiscard]] std::string escape_html(std::string_view s);

/// JSON text made safe to sit inside a <script> element: `<`, `>` and `&` (so neither "</script"
/// nor "<!--" can appear; HTML §4.12.1.3 "Restrictions for contents of script elements") and
/// U+2028/U+2029 (line terminators in JavaScript before ES2019) written as \u escapes. They only
/// occur inside JSON strings, where the escapes mean the same characters. `json_text` is valid
/// UTF-8 (nlohmann's dump() with error_handler_t::replace).
[[nodiscard]] std::string script_safe(std::string_view json_text);

/// "1234567" -> "1,234,567".
[[nodiscard]] std::string grouped_digits(std::uint64_t n);

/// "1,000 bytes", "12,345 bytes (12.06 KiB)" (KiB etc. as budget/size.hpp's format_size()).
[[nodiscard]] std::string bytes_text(std::uint64_t n);

/// `part` of `whole` as "12.3%" (one decimal, rounded half up), never "100.0%" for a part below
/// or above the whole (99.9% and 100.1%), so a figure just within its limit never reads as at it;
/// an en dash when `whole` is 0.
[[nodiscard]] std::string percent_text(std::uint64_t part, std::uint64_t whole);

}  // namespace buildbudget::report
