/* defs: INCLUDE_DIRECTORIES (greeting.h), COMPILE_DEFINITIONS (SCALE) and
 * LINK_LIBRARIES (m, for sqrt) reach the sub-build. */
#include <math.h>
#include <stdio.h>

#include "greeting.h"

#ifndef SCALE
#error "SCALE is not defined: COMPILE_DEFINITIONS did not reach the compiler"
#endif

int main(int argc, char** argv) {
    (void)argv;
    printf("%s %d %.1f\n", GREETING, SCALE, sqrt(16.0 * argc));
    return 0;
}
