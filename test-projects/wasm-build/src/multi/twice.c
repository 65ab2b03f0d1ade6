/* A source that builds with a warning, which must reach the console. */
#warning "twice.c: a compiler warning on the console"

int twice(int x) { return 2 * x; }
