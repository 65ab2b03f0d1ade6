#include "budget/size.hpp"

#include <gtest/gtest.h>

using buildbudget::format_size;
using buildbudget::parse_size;

namespace {

std::uint64_t bytes(const char* text) {
    const auto r = parse_size(text);
    EXPECT_TRUE(r.bytes.has_value()) << text << ": " << r.error;
    return r.bytes.value_or(0);
}

std::string error(const char* text) {
    const auto r = parse_size(text);
    EXPECT_FALSE(r.bytes.has_value()) << text << " parsed as " << r.bytes.value_or(0);
    return r.error;
}

}  // namespace

TEST(ParseSize, PlainIntegersAreBytes) {
    EXPECT_EQ(bytes("0"), 0U);
    EXPECT_EQ(bytes("1048576"), 1048576U);
    EXPECT_EQ(bytes("  42  "), 42U);
}

TEST(ParseSize, BinaryUnitsInAnyCase) {
    EXPECT_EQ(bytes("1B"), 1U);
    EXPECT_EQ(bytes("1KB"), 1024U);
    EXPECT_EQ(bytes("1KiB"), 1024U);
    EXPECT_EQ(bytes("1kb"), 1024U);
    EXPECT_EQ(bytes("1kIb"), 1024U);
    EXPECT_EQ(bytes("512 KB"), 512U * 1024U);
    EXPECT_EQ(bytes("2MB"), 2U << 20);
    EXPECT_EQ(bytes("2mib"), 2U << 20);
    EXPECT_EQ(bytes("3GB"), 3ULL << 30);
    EXPECT_EQ(bytes("3GiB"), 3ULL << 30);
}

TEST(ParseSize, DecimalsThatAreWholeBytes) {
    EXPECT_EQ(bytes("1.5MB"), 1572864U);
    EXPECT_EQ(bytes("0.5KB"), 512U);
    EXPECT_EQ(bytes("0.25KiB"), 256U);
    EXPECT_EQ(bytes("1.50000MB"), 1572864U);
    EXPECT_EQ(bytes("2.0"), 2U);
}

TEST(ParseSize, LimitIsTwoToTheSixtyThreeMinusOne) {
    EXPECT_EQ(bytes("9223372036854775807"), 9223372036854775807ULL);
    EXPECT_NE(error("9223372036854775808").find("2^63-1"), std::string::npos);
    EXPECT_NE(error("8589934592GB").find("2^63-1"), std::string::npos);  // 2^33 * 2^30 = 2^63
    EXPECT_EQ(bytes("8589934591GB"), 8589934591ULL << 30);
    EXPECT_NE(error("99999999999999999999999").find("2^63-1"), std::string::npos);
}

TEST(ParseSize, Errors) {
    EXPECT_NE(error("").find("empty"), std::string::npos);
    EXPECT_NE(error("   ").find("empty"), std::string::npos);
    EXPECT_NE(error("-1").find("negative"), std::string::npos);
    EXPECT_NE(error("-1MB").find("negative"), std::string::npos);
    EXPECT_NE(error("0.3KB").find("307.2 bytes"), std::string::npos);
    EXPECT_NE(error("1.5").find("1.5 bytes"), std::string::npos);
    EXPECT_NE(error("5XB").find("unknown unit \"XB\""), std::string::npos);
    EXPECT_NE(error("5 K").find("unknown unit \"K\""), std::string::npos);
    EXPECT_NE(error("abc").find("not a number"), std::string::npos);
    EXPECT_NE(error("MB").find("not a number"), std::string::npos);
    EXPECT_NE(error("1.MB").find("malformed"), std::string::npos);
    EXPECT_NE(error(".5MB").find("malformed"), std::string::npos);
    EXPECT_NE(error("+1").find("sign"), std::string::npos);
    EXPECT_NE(error("1.0000000000000000001KB").find("decimal places"), std::string::npos);
}

TEST(FormatSize, ShortHumanForm) {
    EXPECT_EQ(format_size(0), "0 B");
    EXPECT_EQ(format_size(1000), "1000 B");
    EXPECT_EQ(format_size(1024), "1 KiB");
    EXPECT_EQ(format_size(1572864), "1.5 MiB");
    EXPECT_EQ(format_size(67633152), "64.5 MiB");
    EXPECT_EQ(format_size(3ULL << 30), "3 GiB");
}
