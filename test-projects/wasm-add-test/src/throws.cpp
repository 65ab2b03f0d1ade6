// throws <n>: throws a C++ exception carrying <n>, catches it, prints
// "caught: thrown <n>" and exits with <n>. Built with Emscripten's
// -fexceptions, it needs Emscripten's JavaScript glue (its invoke_* imports).
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

static void check(int n) {
    if (n >= 0) throw std::runtime_error("thrown " + std::to_string(n));
}

int main(int argc, char** argv) {
    int n = argc > 1 ? std::atoi(argv[1]) : 0;
    try {
        check(n);
    } catch (const std::exception& e) {
        std::printf("caught: %s\n", e.what());
    }
    return n;
}
