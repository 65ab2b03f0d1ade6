// The memory budget model: one named set of components (doc/memory-budget.md).
#pragma once

#include "common/diagnostics.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace buildbudget::budget {

/// Where a component's value came from, lowest precedence first
/// (doc/memory-budget.md, "Declaring a budget set").
/// The JSON description writes these as "preset", "cmake", "config", "env".
enum class ValueSource { preset, cmake, config, env };

[[nodiscard]] const char* to_string(ValueSource source);

/// Component categories and their minimum budgets (the WRT project, "Per-Crate Limits").
enum class Category { large, foundation, other };

[[nodiscard]] const char* to_string(Category category);
[[nodiscard]] std::optional<Category> parse_category(const std::string& text);
/// large 4 MiB, foundation 2 MiB, other 256 KiB (the WRT project, "Minimum Budgets").
[[nodiscard]] std::uint64_t category_minimum(Category category);

/// A limit with the place that set it (a preset rule, a CMake argument, a config key).
struct Limit {
    std::uint64_t bytes = 0;
    Location location;
    std::string rule;  ///< a phrase for messages: "for category large", "of preset wrt", "set by MAX"
};

struct Component {
    std::string name;        ///< as declared: "wrt-runtime"
    std::string identifier;  ///< NAME uppercased, non-alphanumerics as '_': "WRT_RUNTIME"
    std::uint64_t bytes = 0;
    ValueSource source = ValueSource::preset;
    Location location;  ///< where the final value was set
    std::optional<Category> category;
    std::optional<Limit> min;  ///< explicit MIN, else the category's minimum
    std::optional<Limit> max;  ///< explicit MAX, else the preset's maximum
    bool freestanding = false;
    std::vector<std::string> targets;
    bool invalid = false;  ///< its size could not be read; rules skip it
};

/// Platforms and their total maxima (the WRT project, "Platform-Specific Validation").
enum class Platform { embedded, iot, desktop, server };

/// Every platform, smallest first (the order the outputs list them in).
inline constexpr Platform all_platforms[] = {Platform::embedded, Platform::iot, Platform::desktop,
                                             Platform::server};

[[nodiscard]] const char* to_string(Platform platform);
[[nodiscard]] std::optional<Platform> parse_platform(const std::string& text);
/// embedded 4 MiB, iot 16 MiB, desktop 128 MiB, server 512 MiB.
[[nodiscard]] std::uint64_t platform_maximum(Platform platform);
/// 16 MiB on desktop and server (a warning when below); none elsewhere.
[[nodiscard]] std::optional<std::uint64_t> platform_total_minimum(Platform platform);

struct BudgetSet {
    std::string name;    ///< the set's name: wrt_memory_budget(<name> ...)
    std::string preset;  ///< "wrt" or "none"
    Platform platform = Platform::desktop;
    Location platform_location;
    std::optional<Limit> total_max;  ///< a project's own cap, tighter than the platform's
    std::optional<Limit> total_min;
    std::vector<Component> components;  ///< declaration order
    /// Some input could not be read (a bad size, an unreadable config file), so
    /// the total is unknown and the total rules are not checked.
    bool incomplete = false;

    [[nodiscard]] std::uint64_t total_bytes() const;
    [[nodiscard]] Component* find(const std::string& name);
    [[nodiscard]] const Component* find_identifier(const std::string& identifier) const;
};

/// The identifier of a component name: uppercased, every character that is not
/// an ASCII letter or digit turned into '_', for env variables and macros alike
/// (doc/design.md, "Memory budgets").
[[nodiscard]] std::string to_identifier(const std::string& name);

}  // namespace buildbudget::budget
