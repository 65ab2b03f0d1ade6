/* A WASI command program for tests/test_wasm_package.py, run through the
 * npm package's loader: it prints its arguments, two environment variables,
 * the clocks, random bytes and what fopen() says with no preopened
 * directories, writes to stderr, ends its output without a newline, and
 * exits with the status given as its last argument. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  const char *names[] = {"GREETING", "MISSING"};
  for (int i = 0; i < 2; i++) {
    const char *value = getenv(names[i]);
    printf("%s=%s\n", names[i], value ? value : "(unset)");
  }

  printf("time=%lld\n", (long long)time(NULL));
  struct timespec first, second, resolution;
  if (clock_gettime(CLOCK_MONOTONIC, &first) != 0 || clock_gettime(CLOCK_MONOTONIC, &second) != 0 ||
      clock_getres(CLOCK_REALTIME, &resolution) != 0) {
    printf("clock: %s\n", strerror(errno));
  } else {
    int forward = second.tv_sec > first.tv_sec || (second.tv_sec == first.tv_sec && second.tv_nsec >= first.tv_nsec);
    printf("monotonic=%s\n", forward ? "forward" : "backward");
    printf("realtime_resolution_ns=%lld\n", (long long)resolution.tv_sec * 1000000000LL + resolution.tv_nsec);
  }

  unsigned char bytes[16];
  if (getentropy(bytes, sizeof bytes) != 0) {
    printf("getentropy: %s\n", strerror(errno));
  } else {
    printf("random=");
    for (size_t i = 0; i < sizeof bytes; i++) printf("%02x", bytes[i]);
    printf("\n");
  }

  FILE *file = fopen("input.txt", "r");
  if (file) {
    printf("fopen input.txt: opened\n");
    fclose(file);
  } else {
    fprintf(stderr, "fopen input.txt: %s (errno %d)\n", strerror(errno), errno);
  }
  fputs("written to stderr\n", stderr);
  printf("done");
  return argc > 1 ? atoi(argv[argc - 1]) : 0;
}
