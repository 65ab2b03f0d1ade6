#include "wasm/demangle.hpp"

#include <libiberty/demangle.h>

#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/// The position of the first of the characters `set` in `s` from `i` on, or s.size(): sixteen
/// bytes at a time where SSE2 is (every x86-64). Demangled C++ names run to hundreds of
/// characters, mostly template arguments that name_group() skips (doc/helper-wasm-analyze.md,
/// "Speed").
template <std::size_t N>
std::size_t find_any(std::string_view s, std::size_t i, const char (&set)[N]) {
#if defined(__SSE2__)
    for (; i + 16 <= s.size(); i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        __m128i hit = _mm_setzero_si128();
        for (std::size_t k = 0; k + 1 < N; ++k) hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8(set[k])));
        if (const auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit)); mask != 0) {
            return i + static_cast<std::size_t>(__builtin_ctz(mask));
        }
    }
#endif
    for (; i < s.size(); ++i) {
        for (std::size_t k = 0; k + 1 < N; ++k) {
            if (s[i] == set[k]) return i;
        }
    }
    return s.size();
}

/// Index of the first character after a balanced group that opens at `i`
/// (one of "<([{"), or s.size() when it is not closed.
std::size_t skip_group(std::string_view s, std::size_t i) {
    int depth = 0;
    for (; (i = find_any(s, i, "<([{>)]}")) < s.size(); ++i) {
        const char c = s[i];
        if (c == '<' || c == '(' || c == '[' || c == '{') ++depth;
        if (c == '>' || c == ')' || c == ']' || c == '}') {
            if (--depth == 0) return i + 1;
        }
    }
    return s.size();
}

/// The components of a qualified name up to its parameter list, split at top-level "::", each
/// without its template / generic arguments, joined again by "::" as they are found (the leading
/// empty ones, of a name such as "::f", left out), with where the last two begin: name_group()
/// takes a prefix of `text`, with no string per component (doc/helper-wasm-analyze.md, "Speed").
struct Components {
    std::string text;
    std::size_t last = 0;         ///< where the last component begins in `text`
    std::size_t before_last = 0;  ///< where `text` ended before the last component (and its "::")
    std::size_t before_that = 0;  ///< the same for the component before the last
};

void components(std::string_view s, Components& out) {
    std::string& text = out.text;
    text.clear();
    out.last = out.before_last = out.before_that = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '(' && starts_with(s.substr(i), "(anonymous namespace)")) {
            text += "(anonymous namespace)";
            i += 21;
        } else if (c == 'o' && text.size() == out.last && starts_with(s.substr(i), "operator")) {
            // "operator<<", "operator()", "operator new": the last component, never a namespace.
            text += "operator";
            break;
        } else if (c == '(') {
            break;  // the parameter list
        } else if (c == '<' || c == '[' || c == '{') {
            const std::size_t end = skip_group(s, i);
            if (c == '{') text.append(s.substr(i, end - i));  // {lambda()#1}
            i = end;
        } else if (c == ':' && i + 1 < s.size() && s[i + 1] == ':') {
            out.before_that = out.before_last;
            out.before_last = text.size();
            if (!text.empty()) text += "::";
            out.last = text.size();
            i += 2;
        } else if (c == ' ') {
            // All before a top-level space was a return type ("void foo<int>(int)"): start again.
            text.clear();
            out.last = out.before_last = out.before_that = 0;
            ++i;
        } else {
            // A run of plain characters (this one may be a lone ':') up to one components() looks at.
            const std::size_t end = find_any(s, i + 1, "(<[{: ");
            text.append(s.substr(i, end - i));
            i = end;
        }
    }
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
    thread_local Components parts;  // its text's buffer kept from name to name
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
        components(inner, parts);
        return parts.text;
    }
    components(s, parts);
    // Without the Rust hash, if any, and the function's own name.
    const std::string_view all = parts.text;
    return std::string(all.substr(0, rust_hash(all.substr(parts.last)) ? parts.before_that : parts.before_last));
}

}  // namespace buildbudget::wasm
