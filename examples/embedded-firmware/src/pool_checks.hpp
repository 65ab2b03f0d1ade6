// Generic self-tests for the pools in pool.hpp, used by `firmware --selftest`.
// Each one fills a pool until it is exhausted, checks that exhaustion and
// misuse are reported (nullptr / false) rather than crashing, and leaves the
// pool reset. They need no memory of their own: after a reset, a BlockPool
// hands out its blocks in address order, so block i is first + i * block_size.
#pragma once

#include <cstddef>
#include <cstdint>

#include "components.hpp"
#include "pool.hpp"

namespace firmware {

template <typename Pool>
void exercise_block_pool(Pool& pool, Check& check) noexcept {
  constexpr std::size_t size = Pool::block_size;
  constexpr std::size_t count = Pool::block_count;

  pool.reset();
  check.expect(pool.in_use() == 0 && pool.available() == count, "reset pool is empty");

  // Allocate until full; stamp every block with its index.
  unsigned char* const first = pool.allocate();
  if (!check.expect(first != nullptr, "first allocation succeeds")) return;
  std::size_t allocated = 1;
  first[0] = first[size - 1] = 0;
  for (unsigned char* block = pool.allocate(); block != nullptr; block = pool.allocate()) {
    if (!check.expect(block == first + allocated * size, "blocks come out in address order")) return;
    block[0] = block[size - 1] = static_cast<unsigned char>(allocated);
    ++allocated;
  }
  check.expect(allocated == count, "every block can be allocated");
  check.expect(pool.allocate() == nullptr, "an exhausted pool reports nullptr again");
  check.expect(pool.available() == 0 && pool.high_water() == count, "exhausted pool's counters");
  check.expect(reinterpret_cast<std::uintptr_t>(first) % max_align == 0, "blocks are max-aligned");

  bool intact = true;
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned char stamp = static_cast<unsigned char>(i);
    intact = intact && first[i * size] == stamp && first[i * size + size - 1] == stamp;
  }
  check.expect(intact, "blocks do not overlap");

  // Misuse is refused.
  alignas(max_align) unsigned char outside[size] = {};
  check.expect(!pool.deallocate(nullptr), "freeing nullptr is refused");
  check.expect(!pool.deallocate(outside), "freeing a block from elsewhere is refused");
  check.expect(!pool.deallocate(first + 1), "freeing a pointer inside a block is refused");

  // Free, double free, reuse.
  unsigned char* const last = first + (count - 1) * size;
  check.expect(pool.deallocate(last), "freeing a block");
  check.expect(!pool.deallocate(last), "a double free is refused");
  check.expect(pool.allocate() == last, "a freed block is reused");
  check.expect(pool.allocate() == nullptr, "full again after reuse");

  // Free everything by address, then reset.
  std::size_t freed = 0;
  for (std::size_t i = 0; i < count; ++i) freed += pool.deallocate(first + i * size) ? 1u : 0u;
  check.expect(freed == count && pool.in_use() == 0, "every block can be freed");
  pool.reset();
  check.expect(pool.allocate() == first && pool.in_use() == 1, "reset starts from the first block");
  pool.reset();
}

template <typename Pool>
void exercise_arena(Pool& arena, Check& check) noexcept {
  constexpr std::size_t capacity = Pool::capacity_bytes;
  constexpr std::size_t chunk = 4096;

  arena.reset();
  check.expect(arena.used() == 0 && arena.remaining() == capacity, "reset arena is empty");

  // Allocate until full.
  std::size_t chunks = 0;
  while (void* p = arena.allocate(chunk)) {
    static_cast<unsigned char*>(p)[chunk - 1] = 0xA5;
    ++chunks;
  }
  check.expect(chunks == capacity / chunk, "the arena holds capacity / chunk chunks");
  check.expect(arena.remaining() < chunk, "the arena is full to within one chunk");
  const std::size_t rest = arena.remaining();
  check.expect(arena.allocate(rest + 1, 1) == nullptr, "one byte too many is refused");
  if (rest > 0) check.expect(arena.allocate(rest, 1) != nullptr, "the last bytes can be allocated");
  check.expect(arena.remaining() == 0 && arena.allocate(1, 1) == nullptr, "an exhausted arena reports nullptr");
  check.expect(arena.high_water() == capacity, "high-water mark at capacity");

  // Bad requests are refused.
  arena.reset();
  check.expect(arena.allocate(0) == nullptr, "a zero-size allocation is refused");
  check.expect(arena.allocate(8, 3) == nullptr, "a non-power-of-two alignment is refused");
  check.expect(arena.allocate(8, 2 * max_align) == nullptr, "over-alignment is refused");

  // Alignment, mark/release, create.
  check.expect(arena.allocate(1, 1) != nullptr, "a one-byte allocation");
  void* aligned = arena.allocate(8, 8);
  check.expect(aligned != nullptr && reinterpret_cast<std::uintptr_t>(aligned) % 8 == 0, "alignment is honoured");
  const std::size_t mark = arena.mark();
  check.expect(arena.allocate(1000) != nullptr, "an allocation after mark()");
  arena.release(mark);
  check.expect(arena.used() == mark, "release(mark) frees what came after mark()");
  struct Point {
    int x;
    int y;
  };
  const Point* point = arena.template create<Point>(3, 4);
  check.expect(point != nullptr && arena.owns(point) && point->x == 3 && point->y == 4,
               "create<T>() constructs in the arena");
  arena.reset();
  check.expect(arena.used() == 0, "reset empties the arena");
}

}  // namespace firmware
