// Test support for text the helper writes: what an HTML parser would read out of its pages (the
// treemap, the budget report's page), found without one; what a text contains.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <string>

namespace buildbudget::test {

/// The text of the first <script> element whose start tag is `start_tag`, up to the first
/// "</script" after it: what an HTML parser gives the script element. Empty when there is none.
inline std::string script_text(const std::string& page, const std::string& start_tag) {
    const auto start = page.find(start_tag);
    if (start == std::string::npos) return {};
    const auto from = start + start_tag.size();
    const auto end = page.find("</script", from);
    if (end == std::string::npos) return {};
    return page.substr(from, end - from);
}

/// Whether `part` occurs in `text`; the failure shows both.
inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\"" << part << "\" not in:\n" << text;
}

/// How many times `what` occurs in `text`, overlapping occurrences included.
inline std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
}

}  // namespace buildbudget::test
