// The body of every heavy translation unit of this example (unit_<N>.cpp,
// written by CMakeLists.txt from unit.cpp.in with LOWMEM_UNIT set to <N>).
//
// Each unit is deliberately expensive to compile with GCC at -O2, the way
// real code sometimes is, from three sources that are common in real projects:
//  1. a std::map<std::string, std::uint64_t> built from a long initializer list
//     (lowmem_entries.inc: LOWMEM_EXAMPLE_WEIGHT entries): one temporary
//     std::string per entry, each with its own exception clean-up, all in one
//     function; GCC's peak memory grows faster than linearly with the count;
//  2. a std::regex (libstdc++'s regex compiler and executor, instantiated
//     for std::string in this unit);
//  3. std::visit over two std::variant of LOWMEM_ALTS alternatives:
//     LOWMEM_ALTS^2 instantiations of the visitor, each with its own constants.
// What the unit computes is simple and specified below so that anyone (the
// example's test does it in Python) can compute the same checksum.
#ifndef LOWMEM_UNIT
#error "LOWMEM_UNIT (the unit's number) must be defined"
#endif
#ifndef LOWMEM_ALTS
#define LOWMEM_ALTS 16
#endif

#include <cstddef>
#include <cstdint>
#include <map>
#include <regex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "lowmem_units.hpp"

#define LOWMEM_STR2(x) #x
#define LOWMEM_STR(x) LOWMEM_STR2(x)
#define LOWMEM_CAT2(a, b) a##b
#define LOWMEM_CAT(a, b) LOWMEM_CAT2(a, b)

namespace {

// splitmix64 (Steele, Lea, Flood 2014; the constants of Vigna's reference code).
constexpr std::uint64_t splitmix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

constexpr std::uint64_t fnv_offset = 14695981039346656037ULL;  // FNV-1a, 64 bits
constexpr std::uint64_t fnv_prime = 1099511628211ULL;

// Alternative K of this unit: x -> rotl(x * mul + add, rot) (mod 2^64), with
// h = splitmix(1000 * LOWMEM_UNIT + K), mul = h | 1, add = h >> 7,
// rot = 1 + h % 63.
template <int K> struct Op {
  static constexpr std::uint64_t h = splitmix(1000ULL * LOWMEM_UNIT + K);
  static constexpr std::uint64_t mul = h | 1U;
  static constexpr std::uint64_t add = h >> 7U;
  static constexpr unsigned rot = 1U + static_cast<unsigned>(h % 63U);
  [[nodiscard]] std::uint64_t apply(std::uint64_t x) const {
    x = x * mul + add;
    return (x << rot) | (x >> (64U - rot));
  }
};

template <class Seq> struct make_variant;
template <int... K> struct make_variant<std::integer_sequence<int, K...>> {
  using type = std::variant<Op<K>...>;
};
using Alt = make_variant<std::make_integer_sequence<int, LOWMEM_ALTS>>::type;

template <std::size_t... I> Alt make_alt(std::size_t i, std::index_sequence<I...> /*unused*/) {
  Alt v;
  ((i == I ? static_cast<void>(v.template emplace<I>()) : static_cast<void>(0)), ...);
  return v;
}

// Part 1: the table. Keys "u<unit>k<i>" for i = 0 .. LOWMEM_EXAMPLE_WEIGHT-1,
// value i. Its hash: h = FNV offset; for each (key, value) in key order
// (bytewise): for each byte b of the key: h = (h ^ b) * prime; then
// h = (h ^ value) * prime.
std::uint64_t table_hash(const std::map<std::string, std::uint64_t>& table) {
  std::uint64_t h = fnv_offset;
  for (const auto& [key, value] : table) {
    for (unsigned char c : key) {
      h = (h ^ c) * fnv_prime;
    }
    h = (h ^ value) * fnv_prime;
  }
  return h;
}

}  // namespace

// The unit's checksum:
//  h = table_hash(table); c = the number of keys that match (whole key,
//  ECMAScript) u[0-9]+k([0-9])\1[0-9]* ;
//  s = x = h ^ (c << 32) ^ seed; then `steps` times: s = splitmix(s),
//  a = s % LOWMEM_ALTS, b = (s >> 16) % LOWMEM_ALTS,
//  x = Op<b>(Op<a>(x)) ^ Op<a>(x); the checksum is x.
LOWMEM_UNIT_API std::uint64_t LOWMEM_CAT(lowmem_unit_, LOWMEM_UNIT)(std::uint64_t seed, unsigned steps) {
#define E(i) {"u" LOWMEM_STR(LOWMEM_UNIT) "k" #i, i##U},
  const std::map<std::string, std::uint64_t> table{
#include "lowmem_entries.inc"
  };
#undef E
  const std::uint64_t h = table_hash(table);

  const std::regex twin(R"(u[0-9]+k([0-9])\1[0-9]*)");
  std::uint64_t c = 0;
  for (const auto& entry : table) {
    c += std::regex_match(entry.first, twin) ? 1U : 0U;
  }

  std::uint64_t s = h ^ (c << 32U) ^ seed;
  std::uint64_t x = s;
  std::vector<std::pair<Alt, Alt>> ops;
  ops.reserve(steps);
  for (unsigned i = 0; i < steps; ++i) {
    s = splitmix(s);
    ops.emplace_back(make_alt(s % LOWMEM_ALTS, std::make_index_sequence<LOWMEM_ALTS>{}),
                     make_alt((s >> 16U) % LOWMEM_ALTS, std::make_index_sequence<LOWMEM_ALTS>{}));
  }
  for (const auto& [a, b] : ops) {
    x = std::visit([x](const auto& p, const auto& q) { return q.apply(p.apply(x)) ^ p.apply(x); }, a, b);
  }
  return x;
}
