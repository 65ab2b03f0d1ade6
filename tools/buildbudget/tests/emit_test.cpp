#include "budget/emit.hpp"
#include "budget/inputs.hpp"

#include <gtest/gtest.h>

using namespace buildbudget;
using namespace buildbudget::budget;

TEST(EmitCmake, EscapesNamesAndListsVariables) {
    BudgetSet set;
    set.name = "fw";
    set.platform = Platform::iot;
    Diagnostics diags;
    Arguments args;
    args.components = {{"net", "1MB"}, {"a;b$\"c\\", "2KB"}};
    apply_arguments(set, args, diags);
    ASSERT_EQ(diags.all().size(), 0U);
    const std::string text = emit_cmake(set);
    EXPECT_NE(text.find("set(fw_BUDGET_PLATFORM \"iot\")\n"), std::string::npos) << text;
    EXPECT_NE(text.find("set(fw_TOTAL_MEMORY_BUDGET \"1050624\")\n"), std::string::npos) << text;
    EXPECT_NE(text.find("set(fw_BUDGET_COMPONENTS \"net;a\\;b\\$\\\"c\\\\\")\n"), std::string::npos) << text;
    EXPECT_NE(text.find("set(fw_BUDGET_A_B__C_ \"2048\")\n"), std::string::npos) << text;
    EXPECT_NE(text.find("set(_buildbudget_result_variables \"fw_BUDGET_PLATFORM;fw_TOTAL_MEMORY_BUDGET;"
                        "fw_BUDGET_COMPONENTS;fw_BUDGET_NET;fw_BUDGET_A_B__C_\")\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("set(_buildbudget_component_bytes \"1048576;2048\")\n"), std::string::npos) << text;
}
