/* bulk: built with -mbulk-memory, so the memset and memcpy below become
 * memory.fill and memory.copy; wasm-opt must be run with the module's features. */
#include <stdio.h>
#include <string.h>
char buffer[4096];
char copy[4096];
__attribute__((noinline)) void fill(char* p, int c, unsigned long n) { memset(p, c, n); }
__attribute__((noinline)) void move(char* d, const char* s, unsigned long n) { memcpy(d, s, n); }
int main(int argc, char** argv) {
    (void)argv;
    fill(buffer, 'w' + argc, sizeof buffer);
    move(copy, buffer, sizeof copy);
    printf("bulk ok %c\n", copy[4095]);
    return 0;
}
