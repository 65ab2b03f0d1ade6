#include "report/format.hpp"

#include "budget/size.hpp"

#include <cmath>
#include <cstdio>

namespace buildbudget::report {

std::string size_cell(std::uint64_t bytes) { return format_size(bytes) + " (" + std::to_string(bytes) + ")"; }

std::string size_text(std::uint64_t bytes) {
    if (bytes < 1024) return std::to_string(bytes) + " bytes";
    return format_size(bytes) + " (" + std::to_string(bytes) + " bytes)";
}

std::string percent_cell(std::uint64_t part, std::uint64_t whole) {
    char text[32];
    // 100 * part / whole, not 100 * share(): the cells have always been computed this way, and
    // the last bit of the product can decide the rounding of the one decimal.
    std::snprintf(text, sizeof text, "%.1f%%",
                  whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole));
    return text;
}

std::string percent_text(double fraction) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f%%", 100.0 * fraction);
    return text;
}

std::string signed_percent_text(double percent) {
    char text[32];
    std::snprintf(text, sizeof text, "%+.2f%%", percent);
    return text;
}

std::string signed_percent_text(const std::optional<double>& percent) {
    return percent ? signed_percent_text(*percent) : "new";
}

std::string signed_text(std::int64_t delta) { return (delta >= 0 ? "+" : "") + std::to_string(delta); }

std::string hex_text(std::uint64_t value) {
    char text[32];
    std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
    return text;
}

double share(std::uint64_t part, std::uint64_t whole) {
    return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

double rounded(double x, int decimals) {
    // Powers of ten up to 10^22 are exact doubles, and std::pow() gives them exactly: the table only
    // saves its call, once per export and function in a report of 10^5 (doc/helper-wasm-analyze.md,
    // "Speed").
    static constexpr double powers[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    const double scale = decimals >= 0 && decimals < 10 ? powers[decimals] : std::pow(10.0, decimals);
    return std::round(x * scale) / scale;
}

}  // namespace buildbudget::report
