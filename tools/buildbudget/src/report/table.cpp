#include "report/table.hpp"

#include <algorithm>

namespace buildbudget::report {
namespace {

/// Code points in a UTF-8 string: every byte that is not a continuation byte.
std::size_t display_width(const std::string& s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                         const std::vector<Align>& align) {
    std::vector<std::size_t> width(header.size(), 0);
    const auto measure = [&](const std::vector<std::string>& row) {
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(row[i]));
    };
    measure(header);
    for (const auto& r : rows) measure(r);

    const auto line = [&](const std::vector<std::string>& row) {
        std::string out;
        for (std::size_t i = 0; i < width.size(); ++i) {
            const std::string cell = i < row.size() ? row[i] : "";
            const std::string pad(width[i] - display_width(cell), ' ');
            const bool right = i < align.size() && align[i] == Align::right;
            if (i > 0) out += " | ";
            out += right ? pad + cell : cell + (i + 1 < width.size() ? pad : "");
        }
        return out + "\n";
    };
    std::string out = line(header);
    std::size_t total = 0;
    for (std::size_t w : width) total += w;
    out += std::string(total + 3 * (width.empty() ? 0 : width.size() - 1), '-') + "\n";
    for (const auto& r : rows) out += line(r);
    return out;
}

}  // namespace buildbudget::report
