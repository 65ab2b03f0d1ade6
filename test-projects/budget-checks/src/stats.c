/* net: a statistics table in .data (4 KiB, initialised). */
int net_stats[1024] = {1, 2, 3};

int net_stats_total(void) {
    int total = 0;
    for (int i = 0; i < 1024; ++i) total += net_stats[i];
    return total;
}
