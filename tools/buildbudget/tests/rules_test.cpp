#include "budget/inputs.hpp"

#include <gtest/gtest.h>

using namespace buildbudget;
using namespace buildbudget::budget;

namespace {

std::vector<std::string> messages(const Diagnostics& d) {
    std::vector<std::string> out;
    for (const auto& x : d.all()) out.push_back(x.str());
    return out;
}

}  // namespace

TEST(PresetWrt, SixteenCratesTotal64AndAHalfMiB) {
    BudgetSet set;
    Diagnostics diags;
    apply_preset(set, "wrt", diags);
    EXPECT_EQ(set.components.size(), 16U);
    EXPECT_EQ(set.total_bytes(), 67633152U);  // not the WRT project's 68812800
    EXPECT_EQ(diags.all().size(), 0U);
}

TEST(Identifiers, UppercaseAndUnderscores) {
    EXPECT_EQ(to_identifier("wrt-runtime"), "WRT_RUNTIME");
    EXPECT_EQ(to_identifier("net.v2 stack"), "NET_V2_STACK");
}

TEST(Rules, PresetMaximumInSeedWording) {
    BudgetSet set;
    Diagnostics diags;
    apply_preset(set, "wrt", diags);
    set.find("wrt-runtime")->bytes = 48ULL << 20;
    set.find("wrt-runtime")->location = {"memory_budget.toml", 3, 1};
    check_rules(set, {"memory_budget.toml", 0, 0}, diags);
    ASSERT_EQ(diags.error_count(), 1U);
    EXPECT_EQ(messages(diags)[0],
              "memory_budget.toml:3:1: error: Budget for wrt-runtime (50331648 bytes) exceeds maximum (33554432 bytes) "
              "of preset wrt");
}

TEST(Rules, StrictTurnsEarlierAndLaterWarningsIntoErrors) {
    Diagnostics diags;
    diags.warning({"a", 0, 0}, "first");
    diags.set_warnings_are_errors(true);
    diags.warning({"b", 0, 0}, "second");
    EXPECT_EQ(diags.error_count(), 2U);
    EXPECT_EQ(diags.warning_count(), 0U);
}

TEST(Rules, InvalidComponentSkipsTotals) {
    BudgetSet set;
    set.platform = Platform::embedded;
    Diagnostics diags;
    Arguments args;
    args.components = {{"a", "5MB"}, {"b", "nonsense"}};
    apply_arguments(set, args, diags);
    check_rules(set, args.origin, diags);
    ASSERT_EQ(diags.error_count(), 1U);  // only the bad size, no total error on a partial sum
    EXPECT_NE(messages(diags)[0].find("Invalid size \"nonsense\" for b"), std::string::npos);
}
