/* codec: a shared library with an initialised table (16 KiB of .data). */
int codec_table[4096] = {7};

int codec_lookup(unsigned i) { return codec_table[i % 4096]; }
