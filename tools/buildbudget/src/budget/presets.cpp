// Presets (doc/design.md, "The WRT preset"): `wrt` is the WRT project's table of 16
// crates with their categories and maxima; `none` starts empty with no
// category limits.
#include "budget/inputs.hpp"

#include <array>

namespace buildbudget::budget {
namespace {

constexpr std::uint64_t KiB = 1ULL << 10;
constexpr std::uint64_t MiB = 1ULL << 20;

struct PresetComponent {
    const char* name;
    std::uint64_t bytes;
    Category category;
    std::uint64_t max;
};

// The WRT project, "Default Budgets", "Minimum Budgets" and "Maximum Budgets".
// The sum is 64.5 MiB = 67,633,152 bytes (the seed's "68812800" is wrong).
constexpr std::array<PresetComponent, 16> wrt_preset{{
    {"wrt-foundation", 8 * MiB, Category::foundation, 16 * MiB},
    {"wrt-runtime", 16 * MiB, Category::large, 32 * MiB},
    {"wrt-component", 12 * MiB, Category::large, 24 * MiB},
    {"wrt-decoder", 4 * MiB, Category::other, 8 * MiB},
    {"wrt-format", 2 * MiB, Category::other, 8 * MiB},
    {"wrt-host", 4 * MiB, Category::other, 8 * MiB},
    {"wrt-debug", 2 * MiB, Category::other, 8 * MiB},
    {"wrt-platform", 8 * MiB, Category::foundation, 16 * MiB},
    {"wrt-instructions", 4 * MiB, Category::other, 8 * MiB},
    {"wrt-logging", 1 * MiB, Category::other, 8 * MiB},
    {"wrt-intercept", 1 * MiB, Category::other, 8 * MiB},
    {"wrt-panic", 512 * KiB, Category::other, 8 * MiB},
    {"wrt-sync", 1 * MiB, Category::other, 8 * MiB},
    {"wrt-math", 512 * KiB, Category::other, 8 * MiB},
    {"wrt-error", 256 * KiB, Category::other, 8 * MiB},
    {"wrt-helper", 256 * KiB, Category::other, 8 * MiB},
}};

/// Maximum for components that preset wrt does not list ("Other crates: 8MB maximum").
constexpr std::uint64_t wrt_other_max = 8 * MiB;

}  // namespace

void apply_preset_defaults(const BudgetSet& set, Component& component) {
    if (set.preset != "wrt") return;
    // A component the preset does not list is one of its "other crates".
    component.category = Category::other;
    component.max = Limit{wrt_other_max, {"preset wrt", 0, 0}, "of preset wrt"};
}

void apply_preset(BudgetSet& set, const std::string& preset, Diagnostics& diags) {
    set.preset = preset;
    if (preset == "none") return;
    if (preset != "wrt") {
        diags.error({"PRESET", 0, 0}, "Unknown preset \"" + preset + "\"; expected wrt or none");
        set.preset = "none";
        return;
    }
    const Location where{"preset wrt", 0, 0};
    for (const auto& p : wrt_preset) {
        Component c;
        c.name = p.name;
        c.identifier = to_identifier(c.name);
        c.bytes = p.bytes;
        c.source = ValueSource::preset;
        c.location = where;
        c.category = p.category;
        c.max = Limit{p.max, where, "of preset wrt"};
        set.components.push_back(std::move(c));
    }
}

}  // namespace buildbudget::budget
