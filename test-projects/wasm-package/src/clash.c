/* Exports `alloc`, as the hasher crate does: the two cannot be one module. */
#include <stdlib.h>

void *alloc(unsigned long size) { return malloc(size); }
