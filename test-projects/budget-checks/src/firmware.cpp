// app: the firmware; --selftest allocates a 256 KiB frame buffer and small
// objects on the heap, well inside app's 1.5 MiB budget.
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

extern "C" unsigned net_ring_checksum(void);
extern "C" int net_stats_total(void);
extern "C" void storage_write(unsigned offset, const void* data, unsigned size);
extern "C" unsigned char storage_read(unsigned offset);

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--selftest") == 0) {
        std::vector<unsigned char> frame(256 * 1024, 1);
        std::vector<std::unique_ptr<int>> small;
        for (int i = 0; i < 100; ++i) small.push_back(std::make_unique<int>(i));
        storage_write(0, frame.data(), 16);
        std::printf("selftest ok %u %d %u\n", net_ring_checksum(), net_stats_total(), storage_read(0));
        return 0;
    }
    std::printf("firmware\n");
    return 0;
}
