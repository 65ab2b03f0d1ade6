#include "report/html_text.hpp"

#include "budget/size.hpp"

#include <cmath>

namespace buildbudget::report {
namespace {

/// `s` with every byte that does not start a well-formed UTF-8 sequence
/// (Unicode 15 §3.9, Table 3-7: no overlong forms, no surrogates, nothing
/// above U+10FFFF) replaced by U+FFFD, one replacement per bad byte.
std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    const auto byte = [&](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0U; };
    const auto cont = [&](std::size_t i, unsigned lo = 0x80, unsigned hi = 0xBF) {
        const unsigned b = byte(i);
        return i < s.size() && b >= lo && b <= hi;
    };
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned b = byte(i);
        std::size_t len = 0;
        if (b < 0x80) {
            len = 1;
        } else if (b >= 0xC2 && b <= 0xDF) {
            len = cont(i + 1) ? 2 : 0;
        } else if (b >= 0xE0 && b <= 0xEF) {
            const unsigned lo = b == 0xE0 ? 0xA0 : 0x80;
            const unsigned hi = b == 0xED ? 0x9F : 0xBF;
            len = cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
        } else if (b >= 0xF0 && b <= 0xF4) {
            const unsigned lo = b == 0xF0 ? 0x90 : 0x80;
            const unsigned hi = b == 0xF4 ? 0x8F : 0xBF;
            len = cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
        }
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s, i, len);
            i += len;
        }
    }
    return out;
}

}  // namespace

std::string escape_html(std::string_view s) {
    const std::string text = valid_utf8(s);
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string script_safe(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 16);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '<') {
            out += "\\u003c";
        } else if (c == '>') {
            out += "\\u003e";
        } else if (c == '&') {
            out += "\\u0026";
        } else if (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
                   (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
            out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string grouped_digits(std::uint64_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string bytes_text(std::uint64_t n) {
    std::string out = grouped_digits(n) + " bytes";
    if (n >= 1024) out += " (" + format_size(n) + ")";
    return out;
}

std::string percent_text(std::uint64_t part, std::uint64_t whole) {
    if (whole == 0) return "\xE2\x80\x93";
    auto tenths =
        static_cast<std::uint64_t>(std::floor(1000.0 * static_cast<double>(part) / static_cast<double>(whole) + 0.5));
    if (tenths == 1000 && part < whole) tenths = 999;
    if (tenths == 1000 && part > whole) tenths = 1001;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "%";
}

}  // namespace buildbudget::report
