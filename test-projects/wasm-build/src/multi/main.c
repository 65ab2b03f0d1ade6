/* multi: two sources and a header, for the edit-rebuild tests (the header is
 * included by main.c only). */
#include <stdio.h>

#include "twice.h"

int main(void) {
    printf("multi %d\n", twice(21));
    return 0;
}
