#include "footprint/budget_file.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace buildbudget::footprint {

const BudgetedComponent* BudgetFile::find(const std::string& name) const {
    for (const auto& c : components) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

BudgetFile read_budget_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot read the budget description: " + std::strerror(errno));
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(path + ": not valid JSON: " + e.what());
    }
    try {
        if (j.value("schema", std::string()) != "buildbudget-memory-budget/1") {
            throw std::runtime_error("expected \"schema\": \"buildbudget-memory-budget/1\" (the JSON file "
                                     "wrt_memory_budget() writes)");
        }
        BudgetFile out;
        out.path = path;
        out.set_name = j.at("name").get<std::string>();
        out.platform = j.at("platform").get<std::string>();
        for (const auto& c : j.at("components")) {
            out.components.push_back({c.at("name").get<std::string>(), c.at("bytes").get<std::uint64_t>(),
                                      c.value("freestanding", false)});
        }
        return out;
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path + ": not a budget description: " + e.what());
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

}  // namespace buildbudget::footprint
