//! Exports `sum(a, b)`: a + b, wrapping.

#[no_mangle]
pub extern "C" fn sum(a: u32, b: u32) -> u32 {
    a.wrapping_add(b)
}
