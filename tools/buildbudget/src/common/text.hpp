// Small text helpers shared by the output writers.
#pragma once

#include <string>

namespace buildbudget {

/// ASCII-only case mapping (identifiers and platform names are ASCII).
[[nodiscard]] std::string ascii_upper(std::string s);
[[nodiscard]] std::string ascii_lower(std::string s);

}  // namespace buildbudget
