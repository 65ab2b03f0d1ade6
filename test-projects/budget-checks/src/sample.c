/* sensor: a 64 KiB sample buffer in .bss. */
unsigned char sample_buffer[65536];

unsigned char sensor_sample(unsigned i) { return sample_buffer[i % sizeof sample_buffer]; }
