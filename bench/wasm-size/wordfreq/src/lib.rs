//! The benchmark's crate: counts words with std's HashMap, sorts them, and
//! formats a report into a buffer the host reads back.
use std::collections::HashMap;
use std::fmt::Write;

static mut REPORT: Vec<u8> = Vec::new();

#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::with_capacity(len);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Counts the words of the UTF-8 text at `ptr`, returns the report's length;
/// `report_ptr()` gives its address.
#[no_mangle]
pub extern "C" fn word_report(ptr: *const u8, len: usize) -> usize {
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    let text = String::from_utf8_lossy(bytes);
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut total = 0.0f64;
    for word in text.split_whitespace() {
        if let Ok(v) = word.parse::<f64>() {
            total += v;
        } else {
            *counts.entry(word.to_lowercase()).or_insert(0) += 1;
        }
    }
    let mut sorted: Vec<(String, usize)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut out = String::new();
    for (word, count) in sorted.iter().take(5) {
        let _ = writeln!(out, "{:<8} {:>3} {:>5.1}%", word, count, 100.0 * *count as f64 / sorted.len() as f64);
    }
    let _ = writeln!(out, "numbers sum to {:.3} over {} distinct words", total, sorted.len());
    unsafe {
        REPORT = out.into_bytes();
        REPORT.len()
    }
}

#[no_mangle]
pub extern "C" fn report_ptr() -> *const u8 {
    unsafe { REPORT.as_ptr() }
}
