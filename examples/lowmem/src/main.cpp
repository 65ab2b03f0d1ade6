// lowmem_demo: runs every heavy unit of the library and prints each unit's
// checksum and their combination:
//   total = 0; for each unit in order: total = rotl(total, 5) ^ checksum
// Output (hexadecimal, 16 digits):
//   lowmem_demo: <units> units, <weight> table entries each
//   unit <N> <checksum>
//   ...
//   total <total>
#include <cinttypes>
#include <cstdint>
#include <cstdio>

#include "lowmem_units.hpp"

namespace {
constexpr std::uint64_t seed = 0x5eedU;
constexpr unsigned steps = 4096;

struct Unit {
  unsigned number;
  std::uint64_t (*run)(std::uint64_t, unsigned);
};

#define LOWMEM_X(n) Unit{n, &lowmem_unit_##n},
constexpr Unit units[] = {
#include "lowmem_units.inc"
};
#undef LOWMEM_X
}  // namespace

int main() {
  std::printf("lowmem_demo: %zu units, %u table entries each\n", sizeof units / sizeof units[0],
              static_cast<unsigned>(LOWMEM_EXAMPLE_WEIGHT));
  std::uint64_t total = 0;
  for (const Unit& unit : units) {
    const std::uint64_t checksum = unit.run(seed, steps);
    std::printf("unit %u %016" PRIx64 "\n", unit.number, checksum);
    total = ((total << 5U) | (total >> 59U)) ^ checksum;
  }
  std::printf("total %016" PRIx64 "\n", total);
  return 0;
}
