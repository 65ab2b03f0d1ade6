// app: the application's tasks. Their control blocks, their stacks and the
// task table are all carved out of one static Arena sized by BUDGET_APP, the
// way a small RTOS port allocates tasks at start-up and never frees them.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "components.hpp"
#include "pool_checks.hpp"

namespace firmware::app {
namespace {

Pool arena;

struct Task {
  const char* name;
  std::uint32_t period_ms;
  unsigned char* stack;
  std::size_t stack_size;
  std::uint32_t runs;
};

constexpr std::size_t max_tasks = 8;
Task** tasks;  // in the arena: max_tasks entries
std::size_t task_count;

static_assert(sizeof tasks + sizeof task_count <= reserved_bytes, "app's statics outgrew reserved_bytes");
static_assert(sizeof arena + reserved_bytes <= BUDGET_APP, "app's arena and statics exceed BUDGET_APP");

constexpr unsigned char stack_paint = 0xA5;  // unused stack keeps this pattern

// Empties the arena and allocates the task table.
bool start() noexcept {
  arena.reset();
  task_count = 0;
  tasks = static_cast<Task**>(arena.allocate(max_tasks * sizeof(Task*), alignof(Task*)));
  return tasks != nullptr;
}

// Creates a task and its painted stack in the arena; nullptr, with the arena
// unchanged, when either does not fit or the task table is full.
Task* spawn(const char* name, std::uint32_t period_ms, std::size_t stack_size) noexcept {
  if (tasks == nullptr || task_count == max_tasks) return nullptr;
  const std::size_t mark = arena.mark();
  auto* stack = static_cast<unsigned char*>(arena.allocate(stack_size));
  Task* task = stack == nullptr ? nullptr : arena.create<Task>(name, period_ms, stack, stack_size, std::uint32_t{0});
  if (task == nullptr) {
    arena.release(mark);
    return nullptr;
  }
  std::memset(stack, stack_paint, stack_size);
  tasks[task_count++] = task;
  return task;
}

// A cooperative scheduler over `ms` ticks of 1 ms: every due task runs once,
// touching the top of its (downward-growing) stack as a real call chain would.
void run(std::uint32_t ms) noexcept {
  for (std::uint32_t tick = 0; tick < ms; ++tick) {
    for (std::size_t i = 0; i < task_count; ++i) {
      Task& task = *tasks[i];
      if (tick % task.period_ms != 0) continue;
      ++task.runs;
      const std::size_t depth = 64 + (task.runs % 8) * 32;
      std::memset(task.stack + task.stack_size - depth, 0, depth);
    }
  }
}

// How much of a task's stack has ever been used: the bytes whose paint is gone.
std::size_t stack_used(const Task& task) noexcept {
  std::size_t painted = 0;
  while (painted < task.stack_size && task.stack[painted] == stack_paint) ++painted;
  return task.stack_size - painted;
}

struct TaskSpec {
  const char* name;
  std::uint32_t period_ms;
  std::size_t stack_size;
  std::uint32_t runs_in_100_ms;
};
constexpr TaskSpec task_specs[] = {
    {"control", 1, 16 * 1024, 100},
    {"sensor", 10, 8 * 1024, 10},
    {"ui", 50, 64 * 1024, 2},
    {"telemetry", 100, 32 * 1024, 1},
};

// Starts the application's tasks and runs them for 100 ms.
bool boot() noexcept {
  if (!start()) return false;
  for (const TaskSpec& spec : task_specs) {
    if (spawn(spec.name, spec.period_ms, spec.stack_size) == nullptr) return false;
  }
  run(100);
  bool ok = true;
  for (std::size_t i = 0; i < task_count; ++i) {
    const std::size_t used = stack_used(*tasks[i]);
    ok = ok && tasks[i]->runs == task_specs[i].runs_in_100_ms && used > 0 && used < tasks[i]->stack_size;
  }
  return ok;
}

}  // namespace

bool init() noexcept { return boot(); }

void selftest(Check& check) noexcept {
  exercise_arena(arena, check);
  check.expect(boot(), "tasks start, run on schedule and stay within their stacks");
  check.expect(arena.owns(tasks) && arena.owns(tasks[0]) && arena.owns(tasks[0]->stack), "tasks live in the arena");

  const std::size_t used = arena.used();
  check.expect(spawn("huge", 1, arena.remaining() + 1) == nullptr, "a stack larger than the arena's rest is refused");
  check.expect(arena.used() == used, "a refused task leaves the arena unchanged");

  std::size_t spawned = task_count;
  while (spawn("filler", 1000, 256) != nullptr) ++spawned;
  check.expect(spawned == max_tasks, "the task table fills up");
  check.expect(spawn("one-more", 1000, 256) == nullptr, "a full task table is reported");
  arena.reset();
  tasks = nullptr;
  task_count = 0;
}

}  // namespace firmware::app
