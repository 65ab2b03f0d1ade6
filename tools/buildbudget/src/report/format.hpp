// Number and size formatting shared by the console reports and the JSON
// writers: sizes with their exact bytes, percentages, signed changes.
// Sizes are bytes; a "fraction" is a share in [0, 1], a "percent" is already
// multiplied by 100. Everything is locale-independent (printf "C" digits).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace buildbudget::report {

/// "64 KiB (65536)": format_size() (budget/size.hpp) with the exact bytes, for table cells.
[[nodiscard]] std::string size_cell(std::uint64_t bytes);

/// "11.56 MiB (12118710 bytes)"; "421 bytes" below 1 KiB, for sentences.
[[nodiscard]] std::string size_text(std::uint64_t bytes);

/// `part` of `whole` with one decimal, for table cells: "35.4%" ("0.0%" when `whole` is 0).
[[nodiscard]] std::string percent_cell(std::uint64_t part, std::uint64_t whole);

/// A fraction as a percentage with two decimals: 0.3542 -> "35.42%".
[[nodiscard]] std::string percent_text(double fraction);

/// A change in percent with its sign and two decimals: "+20.00%", "-3.10%".
[[nodiscard]] std::string signed_percent_text(double percent);

/// signed_percent_text(), or "new" when there is no old size to compare with.
[[nodiscard]] std::string signed_percent_text(const std::optional<double>& percent);

/// A change with its sign: "+200", "-3", "+0".
[[nodiscard]] std::string signed_text(std::int64_t delta);

/// "0x1f400".
[[nodiscard]] std::string hex_text(std::uint64_t value);

/// `part` / `whole`; 0 when `whole` is 0.
[[nodiscard]] double share(std::uint64_t part, std::uint64_t whole);

/// `x` rounded to `decimals` places (ratios and percentages in JSON reports).
[[nodiscard]] double rounded(double x, int decimals);

}  // namespace buildbudget::report
