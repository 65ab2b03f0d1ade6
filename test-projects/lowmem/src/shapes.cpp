#include <numeric>
#include <vector>

// The area sum of squares 1..n, in a static library.
long square_areas(int n) {
    std::vector<long> sides(static_cast<std::size_t>(n));
    std::iota(sides.begin(), sides.end(), 1L);
    return std::accumulate(sides.begin(), sides.end(), 0L, [](long sum, long side) { return sum + side * side; });
}
