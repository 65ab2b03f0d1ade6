// Small text helpers shared by the output writers.
#pragma once

#include <string>

namespace buildbudget {

/// ASCII-only case mapping (identifiers and platform names are ASCII).
[[nodiscard]] std::string ascii_upper(std::string s);
[[nodiscard]] std::string ascii_lower(std::string s);

/// `text` as one quoted CMake argument (CMake's "Quoted Argument" syntax): `\`, `"` and `$`
/// escaped, a newline written as `\n`, so the variable it sets holds `text` as it is (a `;`
/// stays a plain `;`).
[[nodiscard]] std::string cmake_quoted(const std::string& text);

}  // namespace buildbudget
