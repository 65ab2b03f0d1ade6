/* net: receive and transmit rings in .bss (256 KiB + 128 KiB). */
unsigned char rx_ring[262144];
unsigned char tx_ring[131072];

unsigned net_ring_checksum(void) {
    unsigned sum = 0;
    for (unsigned i = 0; i < sizeof rx_ring; i += 4096) sum += rx_ring[i] + tx_ring[i / 2];
    return sum;
}
