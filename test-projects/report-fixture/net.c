static char buffer[NET_BYTES];
char *net_buffer(void) { return buffer; }
