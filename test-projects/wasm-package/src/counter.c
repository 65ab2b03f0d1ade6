/* A WASI reactor with state: counter_add() keeps a running total across
   calls; counter_wide() returns a 64-bit value (a BigInt in JavaScript). */
#include <stdint.h>

static int total;

int counter_add(int n) {
  total += n;
  return total;
}

int64_t counter_wide(int32_t high, uint32_t low) {
  return ((int64_t)high << 32) | low;
}
