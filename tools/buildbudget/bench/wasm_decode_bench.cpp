// The call graph's instruction decoder alone (wasm::decode_code(), wasm/code.hpp), on one thread:
// how many nanoseconds it spends per instruction and how many MB of function bodies it decodes per
// second on a module, best of N runs from memory (the file is read once, into the heap, so the page
// cache and release_read_pages() are out of the figure). For trying decoder changes before the
// whole `analyze` is measured with bench/wasm_analyze.py (bench/README.md, "The decoder alone").
//
//   wasm_decode_bench MODULE.wasm [RUNS]     (RUNS: 10 by default)
//
// Prints one line: the module, its code bytes, instructions, call-graph edges, a checksum of the
// decoder's whole output (offsets, targets, indirect flags and sites: equal before and after a
// change that keeps the result), the best time, MB/s and ns per instruction. Exit 1 on a module
// that does not parse, with the reader's message.
#include "wasm/code.hpp"
#include "wasm/reader.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

int main(int argc, char** argv) {
    using namespace buildbudget::wasm;
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: wasm_decode_bench MODULE.wasm [RUNS]\n");
        return 2;
    }
    const int runs = argc == 3 ? std::atoi(argv[2]) : 10;
    if (runs < 1) {
        std::fprintf(stderr, "wasm_decode_bench: error: RUNS \"%s\": expected a whole number of at least 1\n", argv[2]);
        return 2;
    }
    try {
        std::ifstream in(argv[1], std::ios::binary);
        if (!in) throw std::runtime_error("cannot read the file");
        const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const Module module = parse(bytes.data(), bytes.size());
        std::uint64_t code = 0;
        for (const auto& f : module.functions) code += f.body_size;
        double best = 0;
        CodeRefs refs;
        for (int i = 0; i < runs; ++i) {
            const auto start = std::chrono::steady_clock::now();
            refs = decode_code(bytes.data(), bytes.size(), module, 1);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (i == 0 || seconds < best) best = seconds;
        }
        std::uint64_t sum = 1469598103934665603ULL;  // FNV-1a over the output's numbers
        const auto mix = [&sum](std::uint64_t v) { sum = (sum ^ v) * 1099511628211ULL; };
        for (const auto v : refs.offsets) mix(v);
        for (const auto v : refs.targets) mix(v);
        for (const auto v : refs.indirect) mix(v);
        mix(refs.indirect_sites);
        std::printf("%s: %.1f MB of code, %llu instructions, %zu edges, checksum %016llx: best of %d %.2f ms, "
                    "%.0f MB/s, %.2f ns per instruction\n",
                    argv[1], static_cast<double>(code) / 1e6, static_cast<unsigned long long>(refs.instructions),
                    refs.targets.size(), static_cast<unsigned long long>(sum), runs, best * 1e3,
                    static_cast<double>(code) / best / 1e6, best * 1e9 / static_cast<double>(refs.instructions));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "wasm_decode_bench: error: %s: %s\n", argv[1], e.what());
        return 1;
    }
    return 0;
}
