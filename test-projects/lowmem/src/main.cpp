#include <cstdio>

long square_areas(int n);
extern "C" unsigned fnv1a(const char* text);

int main() {
    std::printf("%ld %u\n", square_areas(10), fnv1a("lowmem"));
    return 0;
}
