/* FNV-1a (32 bits) of a string, in C. */
unsigned fnv1a(const char* text) {
    unsigned hash = 2166136261u;
    for (; *text; ++text) {
        hash ^= (unsigned char)*text;
        hash *= 16777619u;
    }
    return hash;
}
