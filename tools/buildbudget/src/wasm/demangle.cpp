#include "wasm/demangle.hpp"

#include <libiberty/demangle.h>

#include <string>
#include <vector>

namespace buildbudget::wasm {
namespace {

/// Whether `name` may be a mangled C++ or Rust symbol (Itanium "_Z", Rust v0
/// "_R"; with the extra underscore some platforms add): others are not passed
/// to the demangler, which would accept a few plain words as type names.
bool looks_mangled(std::string_view name) {
    if (name.size() > 1 && name[0] == '_' && name[1] == '_') name.remove_prefix(1);
    return name.size() > 2 && name[0] == '_' && (name[1] == 'Z' || name[1] == 'R');
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

/// Index of the first character after a balanced group that opens at `i`
/// (one of "<([{"), or s.size() when it is not closed.
std::size_t skip_group(std::string_view s, std::size_t i) {
    int depth = 0;
    for (; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '<' || c == '(' || c == '[' || c == '{') ++depth;
        if (c == '>' || c == ')' || c == ']' || c == '}') {
            if (--depth == 0) return i + 1;
        }
    }
    return s.size();
}

/// The components of a qualified name up to its parameter list, split at
/// top-level "::", each without its template / generic arguments.
std::vector<std::string> components(std::string_view s) {
    std::vector<std::string> out;
    std::string current;
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (starts_with(s.substr(i), "(anonymous namespace)")) {
            current += "(anonymous namespace)";
            i += 21;
        } else if (starts_with(s.substr(i), "operator") && current.empty()) {
            // "operator<<", "operator()", "operator new": the last component, never a namespace.
            current = "operator";
            break;
        } else if (c == '(') {
            break;  // the parameter list
        } else if (c == '<' || c == '[' || c == '{') {
            if (c == '{') current += std::string(s.substr(i, skip_group(s, i) - i));  // {lambda()#1}
            i = skip_group(s, i);
        } else if (c == ':' && i + 1 < s.size() && s[i + 1] == ':') {
            out.push_back(std::move(current));
            current.clear();
            i += 2;
        } else if (c == ' ') {
            // All before a top-level space was a return type ("void foo<int>(int)"): start again.
            out.clear();
            current.clear();
            ++i;
        } else {
            current += c;
            ++i;
        }
    }
    out.push_back(std::move(current));
    return out;
}

bool rust_hash(std::string_view component) {
    if (component.size() != 17 || component[0] != 'h') return false;
    for (std::size_t i = 1; i < component.size(); ++i) {
        const char c = component[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

}  // namespace

std::string demangle(std::string_view name) {
    if (!looks_mangled(name)) return std::string(name);
    // As cplus_demangle(DMGL_AUTO) and c++filt: Rust (legacy and v0) first, then the Itanium C++
    // ABI, each with the same options; but through their callbacks, into a buffer this thread
    // keeps, instead of a string that libiberty grows by realloc() for each name and frees
    // (doc/helper-wasm-analyze.md, "Speed"). A demangler that fails may have written part of its
    // output: the buffer is emptied before the next one.
    thread_local std::string text, out;
    text.assign(name.data(), name.size());
    out.clear();
    const auto append = [](const char* piece, std::size_t length, void* opaque) {
        static_cast<std::string*>(opaque)->append(piece, length);
    };
    constexpr int options = DMGL_PARAMS | DMGL_ANSI;
    // A legacy Rust symbol ends in a "17h" hash segment (libiberty's rust-demangle.c checks that
    // first, after a pass over the whole name): a C++ name without "17h" anywhere is not one.
    const bool maybe_rust = name[1] == 'R' || name.find("17h") != std::string_view::npos;
    if (maybe_rust && rust_demangle_callback(text.c_str(), options, append, &out) != 0) return out;
    out.clear();
    if (cplus_demangle_v3_callback(text.c_str(), options, append, &out) != 0) return out;
    return text;
}

std::string name_group(std::string_view demangled) {
    std::string_view s = demangled;
    for (const std::string_view prefix : {"non-virtual thunk to ", "virtual thunk to ", "covariant return thunk to "}) {
        if (starts_with(s, prefix)) s.remove_prefix(prefix.size());
    }
    if (const auto clone = s.find(" [clone "); clone != std::string_view::npos) s = s.substr(0, clone);
    // Rust trait impls: "<Type as Trait>::method" belongs to Type. A name
    // that only starts with '<' (an export "</script>") is not one.
    if (!s.empty() && s[0] == '<' && s.substr(skip_group(s, 0)).substr(0, 2) == "::") {
        const std::size_t end = skip_group(s, 0);
        std::string_view inner = s.substr(1, end >= 2 ? end - 2 : 0);
        std::size_t depth = 0, as = std::string_view::npos;
        for (std::size_t i = 0; i < inner.size(); ++i) {
            if (inner[i] == '<' || inner[i] == '(' || inner[i] == '[') ++depth;
            if ((inner[i] == '>' || inner[i] == ')' || inner[i] == ']') && depth > 0) --depth;
            if (depth == 0 && starts_with(inner.substr(i), " as ")) {
                as = i;
                break;
            }
        }
        if (as != std::string_view::npos) inner = inner.substr(0, as);
        if (!inner.empty() && inner[0] == '&') inner.remove_prefix(1);  // <&T as Trait>
        auto parts = components(inner);
        std::string group;
        for (const auto& p : parts) group += (group.empty() ? "" : "::") + p;
        return group;
    }
    auto parts = components(s);
    if (!parts.empty() && rust_hash(parts.back())) parts.pop_back();
    if (!parts.empty()) parts.pop_back();  // the function's own name
    std::string group;
    for (const auto& p : parts) group += (group.empty() ? "" : "::") + p;
    return group;
}

}  // namespace buildbudget::wasm
