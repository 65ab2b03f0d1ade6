#include "cli/options.hpp"

#include "budget/size.hpp"

#include <CLI/CLI.hpp>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>

namespace buildbudget::cli {

int fail(const std::string& message) {
    std::cout.flush();
    print_error(message);
    return 1;
}

std::optional<std::uint64_t> fail_above_bytes(const std::string& text) {
    if (text.empty()) return std::nullopt;
    const SizeParse p = parse_size(text);
    if (!p.bytes) throw CLI::ValidationError("--fail-above-bytes", "invalid size \"" + text + "\": " + p.error);
    return p.bytes;
}

std::optional<double> fail_above_percent(const std::string& text) {
    if (text.empty()) return std::nullopt;
    std::string t = text;
    if (t.back() == '%') t.pop_back();
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size() || errno != 0 || !std::isfinite(v) || v < 0 ||
        !(std::isdigit(static_cast<unsigned char>(t.front())) || t.front() == '.')) {
        throw CLI::ValidationError("--fail-above-percent",
                                   "invalid percentage \"" + text + "\": expected a number of 0 or more, e.g. 5 or 2.5%");
    }
    return v;
}

}  // namespace buildbudget::cli
