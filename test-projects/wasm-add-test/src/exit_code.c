/* exit_code out|err <text> <code>: writes <text> and a newline to stdout (out)
 * or stderr (err), then exits with <code>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: exit_code out|err <text> <code>\n");
        return 2;
    }
    fprintf(strcmp(argv[1], "err") == 0 ? stderr : stdout, "%s\n", argv[2]);
    return atoi(argv[3]);
}
