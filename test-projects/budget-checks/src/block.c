/* storage (FREESTANDING): a static block cache, no heap, no exceptions. */
#include <string.h>

static unsigned char block_cache[65536];

void storage_write(unsigned offset, const void* data, unsigned size) {
    if (offset + size <= sizeof block_cache) memcpy(block_cache + offset, data, size);
}

unsigned char storage_read(unsigned offset) { return block_cache[offset % sizeof block_cache]; }
