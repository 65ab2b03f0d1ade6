/* A WASI command without a C library: grows linear memory by PAGES pages of
 * 64 KiB, keeps an initialised table in a data segment, uses its stack (so
 * wasm-ld gives it a stack pointer), exits with 0. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_exit")))
void proc_exit(int code);

int lookup[1024] = {1, 2, 3};

void _start(void) {
    volatile int scratch[16];
    scratch[lookup[2]] = lookup[0];
    if (__builtin_wasm_memory_grow(0, PAGES) < 0) proc_exit(1);
    proc_exit(scratch[3] - 1);
}
