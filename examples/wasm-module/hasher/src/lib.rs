//! FNV-1a (32-bit) over a byte buffer in the module's linear memory.
//!
//! Exports (C ABI, wasm32):
//!   alloc(len) -> ptr          reserve `len` bytes (align 1) for the caller
//!   dealloc(ptr, len)          give them back
//!   fnv1a(ptr, len) -> u32     the FNV-1a hash of the `len` bytes at `ptr`
//!   hasher_variant() -> u32    1 when built with the "fast" feature, else 0
//!
//! fnv1a("") = 0x811c9dc5, fnv1a("a") = 0xe40c292c,
//! fnv1a("foobar") = 0xbf9cf968.

use std::alloc::{alloc as raw_alloc, dealloc as raw_dealloc, Layout};

const OFFSET_BASIS: u32 = 0x811c_9dc5;
const PRIME: u32 = 0x0100_0193;

#[inline(always)]
fn step(hash: u32, byte: u8) -> u32 {
    (hash ^ u32::from(byte)).wrapping_mul(PRIME)
}

#[cfg(not(feature = "fast"))]
fn hash_bytes(bytes: &[u8]) -> u32 {
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| step(hash, byte))
}

#[cfg(feature = "fast")]
fn hash_bytes(bytes: &[u8]) -> u32 {
    let mut hash = OFFSET_BASIS;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        for &byte in chunk {
            hash = step(hash, byte);
        }
    }
    for &byte in chunks.remainder() {
        hash = step(hash, byte);
    }
    hash
}

/// The FNV-1a hash of `len` bytes at `ptr` (a null `ptr` hashes nothing).
///
/// # Safety
/// `ptr` must point at `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn fnv1a(ptr: *const u8, len: usize) -> u32 {
    if ptr.is_null() || len == 0 {
        return OFFSET_BASIS;
    }
    hash_bytes(std::slice::from_raw_parts(ptr, len))
}

/// Reserves `len` bytes for the host to write into; null when `len` is 0 or
/// memory runs out.
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    match Layout::from_size_align(len, 1) {
        Ok(layout) if len > 0 => unsafe { raw_alloc(layout) },
        _ => std::ptr::null_mut(),
    }
}

/// Frees what `alloc(len)` returned.
///
/// # Safety
/// `ptr` must come from `alloc(len)` with the same `len`, and be freed once.
#[no_mangle]
pub unsafe extern "C" fn dealloc(ptr: *mut u8, len: usize) {
    if ptr.is_null() || len == 0 {
        return;
    }
    if let Ok(layout) = Layout::from_size_align(len, 1) {
        raw_dealloc(ptr, layout);
    }
}

/// 1 when the crate was built with the "fast" feature, else 0.
#[no_mangle]
pub extern "C" fn hasher_variant() -> u32 {
    u32::from(cfg!(feature = "fast"))
}
