// The static checks of a budget set against the built artifacts
// (doc/memory-budget.md, "Budget checks"):
// static RAM per component, and the deny list of FREESTANDING components.
#pragma once

#include "footprint/artifact.hpp"
#include "footprint/budget_file.hpp"
#include "report/check_report.hpp"

#include <string>
#include <vector>

namespace buildbudget::footprint {

/// A component's artifact: `wrt_memory_budget_attach(<set> COMPONENT <component> TARGETS ...)`
/// becomes one of these per target, with the target's file.
struct Attachment {
    std::string component;
    std::string path;
};

/// One symbol that adds to a component's static RAM, for the "largest
/// contributors" of an overrun.
struct Contributor {
    std::string symbol;  ///< demangled; empty when only the object is known
    std::string object;  ///< "libnet.a(ring.cpp.o)" or the file
    std::uint64_t bytes = 0;
};

/// An artifact as JSON: path, kind, format, has_symbols, notes, sizes (text,
/// rodata, data, bss, static_ram), wasm (linear memory; wasm modules only) and
/// objects (name and sizes of each).
[[nodiscard]] nlohmann::ordered_json describe(const Artifact& artifact);

/// The `limit` largest contributors of `artifacts`: sized data symbols when
/// there are any, else whole objects by static RAM.
[[nodiscard]] std::vector<Contributor> largest_contributors(const std::vector<Artifact>& artifacts, std::size_t limit);

/// Static RAM (.data + .bss; wasm: data segments + stack) of each component's
/// artifacts, summed, against the component's budget. A component fails when
/// it is over, with a message naming the component, the bytes, the budget and
/// the three largest contributors; an unreadable artifact is an error case
/// with the reader's message. Components are reported in the order the budget
/// declares them, then any attached component the budget does not know (an
/// error: "not in budget set ...").
[[nodiscard]] report::CheckReport check_static_ram(const BudgetFile& budget, const std::vector<Attachment>& attachments);

/// The deny list of FREESTANDING components (doc/design.md, "Budget checks"):
/// each entry is a symbol name, or a prefix ending in '*', with the group it
/// belongs to.
struct DeniedSymbol {
    std::string pattern;  ///< "malloc", or "_Znw*" (every operator new)
    std::string group;    ///< "heap", "exceptions", or "denied by DENY"
};

/// The default list: heap (malloc, calloc, realloc, free, posix_memalign,
/// aligned_alloc, memalign, valloc, pvalloc, reallocarray, and operator
/// new/new[]/delete/delete[] in every Itanium-mangled form: _Znw*, _Zna*,
/// _Zdl*, _Zda*) and exceptions (__cxa_throw, __cxa_allocate_exception,
/// __cxa_rethrow).
[[nodiscard]] std::vector<DeniedSymbol> default_deny_list();

/// Per-component changes to the deny list: DENY adds symbols, ALLOW removes
/// symbols (an exact entry of the list, or a symbol the artifact needs).
struct DenyListChanges {
    std::string component;
    std::vector<std::string> deny;
    std::vector<std::string> allow;
};

/// The undefined symbols of each component's artifacts against the deny list
/// (plus `changes` for that component). Every offending symbol is named, with
/// the object file that needs it and its group; a component passes with none.
/// measured_bytes is the number of offending references.
[[nodiscard]] report::CheckReport check_freestanding(const std::string& set_name,
                                                     const std::vector<Attachment>& attachments,
                                                     const std::vector<DenyListChanges>& changes);

/// A C++ symbol demangled (Itanium ABI, via abi::__cxa_demangle), else as given.
[[nodiscard]] std::string demangle(const std::string& symbol);

}  // namespace buildbudget::footprint
