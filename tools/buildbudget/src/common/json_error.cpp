#include "common/json_error.hpp"

namespace buildbudget {

std::string json_parse_error_detail(const nlohmann::json::parse_error& e) {
    std::string detail = e.what();
    const std::size_t column = detail.find("column ");
    const std::size_t colon = column == std::string::npos ? std::string::npos : detail.find(": ", column);
    if (colon != std::string::npos) detail = detail.substr(colon + 2);
    return detail;
}

}  // namespace buildbudget
