// What nlohmann_json says of a JSON text it cannot parse, for messages that give their own
// location (file:line:column, or file:line for one line of a JSON-lines file).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace buildbudget {

/// The parser's message without its own "[json.exception.parse_error.101] parse error at line L,
/// column C: " prefix, e.g. "syntax error while parsing value - invalid literal; last read: 'x'";
/// the whole what() when it has no such prefix.
[[nodiscard]] std::string json_parse_error_detail(const nlohmann::json::parse_error& e);

}  // namespace buildbudget
