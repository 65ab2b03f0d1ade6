/* alloc (FREESTANDING, but not): grows its pool with malloc. */
#include <stdlib.h>

void* pool_grow(unsigned size) { return malloc(size); }
