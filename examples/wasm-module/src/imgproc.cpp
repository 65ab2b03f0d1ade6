// imgproc: a 3x3 box blur and a sharpen filter over an 8-bit greyscale image,
// exported for a host (EXPORTS blur sharpen) and self-tested from main().
// The SIMD variant (-msimd128) computes the row sums with wasm_simd128.h.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

namespace {

// Horizontal 3-tap sums of one row: out[x] = in[x-1] + in[x] + in[x+1].
void row_sums(const std::uint8_t* in, std::uint16_t* out, int width) {
    int x = 1;
#ifdef __wasm_simd128__
    for (; x + 8 <= width - 1; x += 8) {
        const v128_t left = wasm_u16x8_load8x8(in + x - 1);
        const v128_t mid = wasm_u16x8_load8x8(in + x);
        const v128_t right = wasm_u16x8_load8x8(in + x + 1);
        wasm_v128_store(out + x, wasm_i16x8_add(wasm_i16x8_add(left, mid), right));
    }
#endif
    for (; x < width - 1; ++x) out[x] = std::uint16_t(in[x - 1] + in[x] + in[x + 1]);
    out[0] = std::uint16_t(in[0] * 3);
    out[width - 1] = std::uint16_t(in[width - 1] * 3);
}

}  // namespace

extern "C" {

// 3x3 box blur of `src` (width x height) into `dst`; edge pixels are copied.
void blur(const std::uint8_t* src, std::uint8_t* dst, int width, int height) {
    std::vector<std::uint16_t> sums(static_cast<std::size_t>(width) * 3);
    std::memcpy(dst, src, static_cast<std::size_t>(width) * height);
    for (int y = 1; y + 1 < height; ++y) {
        for (int r = 0; r < 3; ++r) row_sums(src + (y - 1 + r) * width, sums.data() + r * width, width);
        for (int x = 1; x + 1 < width; ++x) {
            const int total = sums[x] + sums[width + x] + sums[2 * width + x];
            dst[y * width + x] = std::uint8_t(total / 9);
        }
    }
}

// Sharpen: 2 * pixel - blurred pixel, clamped to 0..255.
void sharpen(const std::uint8_t* src, std::uint8_t* dst, int width, int height) {
    blur(src, dst, width, height);
    for (int i = 0; i < width * height; ++i) {
        const int v = 2 * src[i] - dst[i];
        dst[i] = std::uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

}  // extern "C"

int main(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "--selftest") != 0) {
        std::printf("usage: imgproc --selftest\n");
        return 2;
    }
    const int w = 64, h = 48;
    std::vector<std::uint8_t> img(w * h), out(w * h);
    for (int i = 0; i < w * h; ++i) img[i] = std::uint8_t((i * 37) % 251);
    blur(img.data(), out.data(), w, h);
    // The centre pixel of a blur is the mean of its 3x3 neighbourhood.
    int sum = 0;
    for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) sum += img[(10 + dy) * w + 10 + dx];
    if (out[10 * w + 10] != sum / 9) {
        std::printf("blur wrong: %d != %d\n", out[10 * w + 10], sum / 9);
        return 1;
    }
    std::vector<std::uint8_t> flat(w * h, 100), sharp(w * h);
    sharpen(flat.data(), sharp.data(), w, h);
    if (sharp[w * 5 + 5] != 100) {
        std::printf("sharpen wrong: %d\n", sharp[w * 5 + 5]);
        return 1;
    }
    std::printf("imgproc ok (%d args)\n", argc - 1);
    return 0;
}
