// Function names of a WebAssembly module made readable and grouped
// (doc/helper-wasm-analyze.md, "Names"): C++ (Itanium ABI) and Rust (v0 and
// legacy) symbols demangled with GNU libiberty's cplus_demangle (binutils'
// c++filt uses the same code), and the namespace or crate path a function
// belongs to.
#pragma once

#include <string>
#include <string_view>

namespace buildbudget::wasm {

/// `name` demangled: C++ "_ZN3foo3barEi" -> "foo::bar(int)" (parameters and
/// cv-qualifiers: DMGL_PARAMS | DMGL_ANSI), Rust legacy "_ZN4core3fmt5write17h…E"
/// -> "core::fmt::write" and v0 "_RNv…" -> "core::fmt::write" (the hash left
/// out, as `c++filt --no-verbose` prints them); anything that is not a mangled
/// name (C functions, names wasm-ld already demangled) comes back unchanged.
[[nodiscard]] std::string demangle(std::string_view name);

/// The namespace / class / crate-and-module path of a demangled function name,
/// without template or generic arguments, parameters, return type or Rust hash:
///   "std::__2::basic_string<char>::append(char const*)" -> "std::__2::basic_string"
///   "void img::blur<float>(float*, int)"                -> "img"
///   "(anonymous namespace)::helper(int)"                -> "(anonymous namespace)"
///   "core::fmt::write::h0123456789abcdef"               -> "core::fmt"
///   "<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop" -> "alloc::vec::Vec"
///   "main", "memcpy", "</script><b>"                     -> "" (global: no namespace)
/// Thunk prefixes ("non-virtual thunk to ") and clone suffixes (" [clone .cold]")
/// are ignored.
[[nodiscard]] std::string name_group(std::string_view demangled);

}  // namespace buildbudget::wasm
