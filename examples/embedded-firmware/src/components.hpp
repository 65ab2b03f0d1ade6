// The firmware's three components and the static pool each one owns. Every
// pool is sized from the component's budget in the generated fw_budget.h
// (wrt_memory_budget(fw ...) in CMakeLists.txt): change a budget there and the
// pools follow on the next build.
#pragma once

#include <cstddef>
#include <type_traits>

#include "fw_budget.h"
#include "pool.hpp"

// The budget must be the one this firmware was written for.
#if !defined(MEMORY_BUDGET_PLATFORM_EMBEDDED)
#error "fw_budget.h is not for the embedded platform: use wrt_memory_budget(fw PLATFORM embedded ...)"
#endif
#if TOTAL_MEMORY_BUDGET > PLATFORM_MAX_BUDGET
#error "TOTAL_MEMORY_BUDGET exceeds PLATFORM_MAX_BUDGET"
#endif

namespace firmware {

// Collects failures for `firmware --selftest`.
class Check {
 public:
  explicit Check(const char* component) noexcept : component_(component) {}
  // Records (and prints) a failure when ok is false; returns ok.
  bool expect(bool ok, const char* what) noexcept;
  int failures() const noexcept { return failures_; }

 private:
  const char* component_;
  int failures_ = 0;
};

namespace net {
// Packet buffers big enough for an Ethernet frame, as many as fit in BUDGET_NET.
constexpr std::size_t packet_size = 1536;
using Pool = BlockPool<packet_size, blocks_within<packet_size>(BUDGET_NET)>;

bool init() noexcept;  // receives and processes a burst of frames
void selftest(Check& check) noexcept;
}  // namespace net

namespace storage {
// 512-byte sectors, as many as fit in BUDGET_STORAGE.
constexpr std::size_t sector_size = 512;
using Pool = BlockPool<sector_size, blocks_within<sector_size>(BUDGET_STORAGE)>;

bool init() noexcept;  // formats the journal and writes a boot record
void selftest(Check& check) noexcept;
}  // namespace storage

namespace app {
// One arena for the task table, task control blocks and task stacks: all of
// BUDGET_APP but 512 bytes kept for app's other statics. app.cpp checks the
// statics it can name; the fw.footprint test (ctest -L budget) measures all of
// them in the built library, the compiler's own tables included.
constexpr std::size_t reserved_bytes = 512;
static_assert(BUDGET_APP > reserved_bytes, "BUDGET_APP is too small for app");
using Pool = Arena<arena_capacity_within(BUDGET_APP > reserved_bytes ? BUDGET_APP - reserved_bytes : 0)>;

bool init() noexcept;  // creates the application's tasks
void selftest(Check& check) noexcept;
}  // namespace app

// The bytes each component's pool occupies, named like the header's
// identifiers so that MEMORY_BUDGET_COMPONENTS(X) can find them: a component
// added to the budget without a pool here fails to compile.
namespace pool_bytes {
constexpr std::size_t NET = sizeof(net::Pool);
constexpr std::size_t STORAGE = sizeof(storage::Pool);
constexpr std::size_t APP = sizeof(app::Pool);
}  // namespace pool_bytes

// Each pool fits in its component's budget...
#define FIRMWARE_POOL_FITS(name, IDENTIFIER, bytes) \
  static_assert(pool_bytes::IDENTIFIER <= (bytes), "the " name " pool exceeds its memory budget");
MEMORY_BUDGET_COMPONENTS(FIRMWARE_POOL_FITS)
#undef FIRMWARE_POOL_FITS

// ...all of them fit in the total, and the total fits on the platform.
static_assert(pool_bytes::NET + pool_bytes::STORAGE + pool_bytes::APP <= TOTAL_MEMORY_BUDGET,
              "the pools together exceed TOTAL_MEMORY_BUDGET");
static_assert(TOTAL_MEMORY_BUDGET <= EMBEDDED_MAX_BUDGET,
              "the firmware's memory budget exceeds what an embedded target has");

// Trivially constructible pools are zero-initialised in .bss: no start-up code.
static_assert(std::is_trivially_default_constructible<net::Pool>::value &&
                  std::is_trivially_default_constructible<storage::Pool>::value &&
                  std::is_trivially_default_constructible<app::Pool>::value,
              "pools must live in .bss");

}  // namespace firmware
