#include "common/text.hpp"

#include <cctype>

namespace buildbudget {

std::string ascii_upper(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return s;
}

std::string ascii_lower(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

std::string cmake_quoted(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        if (c == '\\' || c == '"' || c == '$') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace buildbudget
