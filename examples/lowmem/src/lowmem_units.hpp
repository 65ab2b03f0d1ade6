// The functions of the heavy units (one per unit_<N>.cpp) and the list of the
// units this build has (lowmem_units.inc, written by CMakeLists.txt: one
// LOWMEM_X(<N>) per unit, N = 0 .. LOWMEM_EXAMPLE_UNITS-1).
#ifndef LOWMEM_UNITS_HPP
#define LOWMEM_UNITS_HPP

#include <cstdint>

#define LOWMEM_UNIT_API extern "C"

// lowmem_unit_<N>(seed, steps): unit N's checksum (specified in heavy.hpp).
#define LOWMEM_X(n) LOWMEM_UNIT_API std::uint64_t lowmem_unit_##n(std::uint64_t seed, unsigned steps);
#include "lowmem_units.inc"
#undef LOWMEM_X

#endif
