// "Did you mean ...?" suggestions.
#pragma once

#include <string>
#include <vector>

namespace buildbudget {

/// Levenshtein distance (insert, delete, substitute: cost 1 each).
[[nodiscard]] std::size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate nearest to `word` by edit_distance(), first one on ties; empty
/// when there are no candidates.
[[nodiscard]] std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace buildbudget
