/* too_big: printf alone pulls in more of wasi-libc than MAX_SIZE 1KB allows. */
#include <stdio.h>

int main(int argc, char** argv) {
    printf("%s has %d arguments, %f of them real\n", argv[0], argc - 1, argc * 0.5);
    return 0;
}
