// alloc (FREESTANDING, but not): allocates nodes with new[].
extern "C" int* node_alloc(unsigned n) { return new int[n]; }
