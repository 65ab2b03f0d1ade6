#include "common/nearest.hpp"

#include <gtest/gtest.h>

TEST(EditDistance, Basics) {
    EXPECT_EQ(buildbudget::edit_distance("", ""), 0U);
    EXPECT_EQ(buildbudget::edit_distance("abc", ""), 3U);
    EXPECT_EQ(buildbudget::edit_distance("kitten", "sitting"), 3U);
    EXPECT_EQ(buildbudget::edit_distance("WRT_RUNTIM", "WRT_RUNTIME"), 1U);
}

TEST(Nearest, PicksClosestFirstOnTies) {
    EXPECT_EQ(buildbudget::nearest("NETT", {"STORAGE", "NET", "APP"}), "NET");
    EXPECT_EQ(buildbudget::nearest("AB", {"AC", "AD"}), "AC");
    EXPECT_EQ(buildbudget::nearest("X", {}), "");
}
