#include "budget/model.hpp"

#include <cctype>

namespace buildbudget::budget {

const char* to_string(ValueSource source) {
    switch (source) {
        case ValueSource::preset: return "preset";
        case ValueSource::cmake: return "cmake";
        case ValueSource::config: return "config";
        case ValueSource::env: return "env";
    }
    return "?";
}

const char* to_string(Category category) {
    switch (category) {
        case Category::large: return "large";
        case Category::foundation: return "foundation";
        case Category::other: return "other";
    }
    return "?";
}

std::optional<Category> parse_category(const std::string& text) {
    if (text == "large") return Category::large;
    if (text == "foundation") return Category::foundation;
    if (text == "other") return Category::other;
    return std::nullopt;
}

std::uint64_t category_minimum(Category category) {
    switch (category) {
        case Category::large: return 4ULL << 20;
        case Category::foundation: return 2ULL << 20;
        case Category::other: return 256ULL << 10;
    }
    return 0;
}

const char* to_string(Platform platform) {
    switch (platform) {
        case Platform::embedded: return "embedded";
        case Platform::iot: return "iot";
        case Platform::desktop: return "desktop";
        case Platform::server: return "server";
    }
    return "?";
}

std::optional<Platform> parse_platform(const std::string& text) {
    if (text == "embedded") return Platform::embedded;
    if (text == "iot") return Platform::iot;
    if (text == "desktop") return Platform::desktop;
    if (text == "server") return Platform::server;
    return std::nullopt;
}

std::uint64_t platform_maximum(Platform platform) {
    switch (platform) {
        case Platform::embedded: return 4ULL << 20;
        case Platform::iot: return 16ULL << 20;
        case Platform::desktop: return 128ULL << 20;
        case Platform::server: return 512ULL << 20;
    }
    return 0;
}

std::optional<std::uint64_t> platform_total_minimum(Platform platform) {
    if (platform == Platform::desktop || platform == Platform::server) return 16ULL << 20;
    return std::nullopt;
}

std::uint64_t BudgetSet::total_bytes() const {
    // Each component is at most 2^63-1 bytes; saturate instead of wrapping so an
    // absurd sum still reads as "too large".
    std::uint64_t sum = 0;
    for (const auto& c : components) {
        sum = (c.bytes > UINT64_MAX - sum) ? UINT64_MAX : sum + c.bytes;
    }
    return sum;
}

Component* BudgetSet::find(const std::string& name) {
    for (auto& c : components) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

const Component* BudgetSet::find_identifier(const std::string& identifier) const {
    for (const auto& c : components) {
        if (c.identifier == identifier) return &c;
    }
    return nullptr;
}

std::string to_identifier(const std::string& name) {
    std::string id;
    id.reserve(name.size());
    for (unsigned char c : name) {
        id += std::isalnum(c) != 0 && c < 0x80 ? static_cast<char>(std::toupper(c)) : '_';
    }
    return id;
}

}  // namespace buildbudget::budget
