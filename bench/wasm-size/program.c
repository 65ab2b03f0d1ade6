/* The benchmark's C program: uses the C library the way real modules do
 * (formatting, strings, allocation, sorting, number parsing). It counts the
 * words of a text, sorts them by frequency and prints a report. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct word {
    char* text;
    int count;
};

static int by_count(const void* a, const void* b) {
    const struct word* x = a;
    const struct word* y = b;
    if (x->count != y->count) return y->count - x->count;
    return strcmp(x->text, y->text);
}

static const char* sample =
    "the quick brown fox jumps over the lazy dog while the dog sleeps and the fox runs "
    "3.5 apples cost 2.25 each so the total is 7.875 for the quick buyer";

int main(int argc, char** argv) {
    const char* text = argc > 1 ? argv[1] : sample;
    size_t cap = 8, n = 0;
    struct word* words = malloc(cap * sizeof *words);
    double total = 0;
    char* copy = strdup(text);
    for (char* tok = strtok(copy, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
        char* end;
        double value = strtod(tok, &end);
        if (end != tok && *end == '\0') {
            total += value;
            continue;
        }
        for (char* p = tok; *p; ++p) *p = (char)tolower((unsigned char)*p);
        size_t i = 0;
        while (i < n && strcmp(words[i].text, tok) != 0) ++i;
        if (i == n) {
            if (n == cap) words = realloc(words, (cap *= 2) * sizeof *words);
            words[n].text = strdup(tok);
            words[n].count = 0;
            ++n;
        }
        words[i].count++;
    }
    qsort(words, n, sizeof *words, by_count);
    char line[128];
    for (size_t i = 0; i < n && i < 5; ++i) {
        snprintf(line, sizeof line, "%-8s %3d %5.1f%%", words[i].text, words[i].count, 100.0 * words[i].count / (double)n);
        puts(line);
    }
    printf("numbers sum to %.3f over %zu distinct words\n", total, n);
    for (size_t i = 0; i < n; ++i) free(words[i].text);
    free(words);
    free(copy);
    return 0;
}
