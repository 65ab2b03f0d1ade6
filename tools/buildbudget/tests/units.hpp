// Test support: binary byte units, for writing sizes in the tests as the documents state them
// (1 MiB = 2^20 bytes, 1 GiB = 2^30 bytes, IEC 80000-13).
#pragma once

#include <cstdint>

namespace buildbudget::test {

constexpr std::uint64_t MiB = std::uint64_t{1} << 20;
constexpr std::uint64_t GiB = std::uint64_t{1} << 30;

}  // namespace buildbudget::test
