/* hog: allocates argv[1] bytes in one block, touches them, frees them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
    size_t bytes = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1024;
    unsigned char* block = malloc(bytes);
    if (block == NULL) return 1;
    memset(block, 1, bytes);
    printf("allocated %zu bytes\n", bytes);
    free(block);
    return 0;
}
