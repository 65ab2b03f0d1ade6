// embedded-firmware: a host build of a small firmware whose static memory is
// budgeted by wrt_memory_budget(fw ...) (see CMakeLists.txt).
//
//   firmware             starts the components, then prints the budget table
//   firmware --selftest  exercises every pool; prints "selftest ok" or what failed
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <iterator>

#include "components.hpp"
#include "fw_budget.h"

namespace firmware {

bool Check::expect(bool ok, const char* what) noexcept {
  if (!ok) {
    ++failures_;
    std::printf("selftest FAILED: %s: %s\n", component_, what);
  }
  return ok;
}

}  // namespace firmware

namespace {

// The pools' sizes in the budget's component order, through the header's
// X-macro: X(name, IDENTIFIER, bytes).
#define FIRMWARE_POOL_BYTES(name, IDENTIFIER, bytes) firmware::pool_bytes::IDENTIFIER,
constexpr std::size_t pool_bytes[] = {MEMORY_BUDGET_COMPONENTS(FIRMWARE_POOL_BYTES)};
#undef FIRMWARE_POOL_BYTES
static_assert(std::size(pool_bytes) == std::size(fw_budget::components) &&
                  std::size(fw_budget::components) == MEMORY_BUDGET_COMPONENT_COUNT,
              "one pool per budgeted component");

void print_budget_table() {
  std::printf("%-9s  %-12s  %s\n", "component", "budget_bytes", "pool_bytes");
  std::size_t pools = 0;
  for (std::size_t i = 0; i < std::size(fw_budget::components); ++i) {
    const fw_budget::component_budget& component = fw_budget::components[i];
    std::printf("%-9s  %-12llu  %zu\n", component.name, component.bytes, pool_bytes[i]);
    pools += pool_bytes[i];
  }
  std::printf("%-9s  %-12llu  %zu\n", "total", fw_budget::total_memory_budget, pools);
  std::printf("platform %s: %llu of %llu bytes\n", fw_budget::platform, fw_budget::total_memory_budget,
              fw_budget::platform_max_budget);
}

bool start_components() {
  struct Start {
    const char* name;
    bool (*init)() noexcept;
  };
  static constexpr Start starts[] = {
      {"net", firmware::net::init}, {"storage", firmware::storage::init}, {"app", firmware::app::init}};
  bool ok = true;
  for (const Start& start : starts) {
    if (!start.init()) {
      std::fprintf(stderr, "firmware: %s failed to start\n", start.name);
      ok = false;
    }
  }
  return ok;
}

int selftest() {
  firmware::Check net("net");
  firmware::Check storage("storage");
  firmware::Check app("app");
  firmware::net::selftest(net);
  firmware::storage::selftest(storage);
  firmware::app::selftest(app);
  const int failures = net.failures() + storage.failures() + app.failures();
  if (failures != 0) {
    std::printf("selftest failed: %d check%s\n", failures, failures == 1 ? "" : "s");
    return 1;
  }
  std::printf("selftest ok\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--selftest") == 0) return selftest();
  if (argc != 1) {
    std::fprintf(stderr, "usage: firmware [--selftest]\n");
    return 2;
  }
  if (!start_components()) return 1;
  print_budget_table();
  return 0;
}
