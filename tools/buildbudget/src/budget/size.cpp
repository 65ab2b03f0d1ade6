#include "budget/size.hpp"

#include <array>
#include <cctype>
#include <cstdio>

namespace buildbudget {
namespace {

using u128 = unsigned __int128;

constexpr std::size_t max_decimal_places = 18;

struct Unit {
    const char* name;
    std::uint64_t bytes;
};

// Binary units, matched case-insensitively (doc/design.md, "Memory budgets").
constexpr std::array<Unit, 7> units{{{"b", 1ULL},
                                     {"kb", 1ULL << 10},
                                     {"kib", 1ULL << 10},
                                     {"mb", 1ULL << 20},
                                     {"mib", 1ULL << 20},
                                     {"gb", 1ULL << 30},
                                     {"gib", 1ULL << 30}}};

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::optional<std::uint64_t> unit_bytes(std::string_view unit) {
    std::string lower;
    for (char c : unit) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& u : units) {
        if (lower == u.name) return u.bytes;
    }
    return std::nullopt;
}

SizeParse fail(std::string why) { return {std::nullopt, std::move(why)}; }

}  // namespace

const char* size_units_list() { return "B, KB, KiB, MB, MiB, GB or GiB"; }

SizeParse parse_size(std::string_view text) {
    const std::string expected = std::string("expected a whole number of bytes, or a number with a unit (") +
                                 size_units_list() + ", any case), such as 524288, \"512KB\" or \"1.5MB\"";
    std::string_view s = trim(text);
    if (s.empty()) return fail("the value is empty; " + expected);
    if (s.front() == '-') return fail("a budget cannot be negative");
    if (s.front() == '+') return fail("unexpected sign; " + expected);

    std::size_t i = 0;
    std::string_view int_digits;
    std::string_view frac_digits;
    while (i < s.size() && is_digit(s[i])) ++i;
    int_digits = s.substr(0, i);
    bool has_point = false;
    if (i < s.size() && s[i] == '.') {
        has_point = true;
        const std::size_t start = ++i;
        while (i < s.size() && is_digit(s[i])) ++i;
        frac_digits = s.substr(start, i - start);
    }
    if (int_digits.empty() && frac_digits.empty()) return fail("not a number; " + expected);
    if (has_point && (int_digits.empty() || frac_digits.empty()))
        return fail("malformed decimal number; " + expected);

    std::string_view unit = trim(s.substr(i));
    std::uint64_t multiplier = 1;
    if (!unit.empty()) {
        const auto bytes = unit_bytes(unit);
        if (!bytes) {
            return fail("unknown unit \"" + std::string(unit) + "\"; expected " + size_units_list() +
                        " (any case)");
        }
        multiplier = *bytes;
    }

    // Integer part, with overflow detection.
    u128 whole = 0;
    for (char c : int_digits) {
        whole = whole * 10 + static_cast<unsigned>(c - '0');
        if (whole > max_size_bytes) return fail("larger than the largest budget, 2^63-1 bytes");
    }
    u128 total = whole * multiplier;

    // Fractional part: exact arithmetic, the result must be whole bytes.
    while (!frac_digits.empty() && frac_digits.back() == '0') frac_digits.remove_suffix(1);
    if (frac_digits.size() > max_decimal_places)
        return fail("more than " + std::to_string(max_decimal_places) + " decimal places");
    if (!frac_digits.empty()) {
        u128 frac = 0;
        u128 scale = 1;
        for (char c : frac_digits) {
            frac = frac * 10 + static_cast<unsigned>(c - '0');
            scale *= 10;
        }
        const u128 scaled = frac * multiplier;
        if (scaled % scale != 0) {
            // e.g. "0.3KB" is 307.2 bytes.
            const double exact = static_cast<double>(whole) * static_cast<double>(multiplier) +
                                 static_cast<double>(scaled) / static_cast<double>(scale);
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.6g", exact);
            return fail(std::string("that is ") + buf +
                        " bytes, not a whole number of bytes; give the size in a smaller unit");
        }
        total += scaled / scale;
    }
    if (total > max_size_bytes) return fail("larger than the largest budget, 2^63-1 bytes");
    return {static_cast<std::uint64_t>(total), {}};
}

std::string format_size(std::uint64_t bytes) {
    static constexpr std::array<const char*, 4> names{{"B", "KiB", "MiB", "GiB"}};
    std::size_t idx = 0;
    double value = static_cast<double>(bytes);
    while (idx + 1 < names.size() && value >= 1024.0) {
        value /= 1024.0;
        ++idx;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", value);
    std::string out = buf;
    if (out.find('.') != std::string::npos) {
        while (out.back() == '0') out.pop_back();
        if (out.back() == '.') out.pop_back();
    }
    return out + " " + names[idx];
}

}  // namespace buildbudget
