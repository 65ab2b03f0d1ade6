// What a built artifact occupies, as the budget checks see it
// (doc/memory-budget.md, "Budget checks"; doc/design.md, "Budget checks").
//
// One model for every format: an artifact (a static library, an object file,
// an executable, a shared library or a WebAssembly module) is a list of
// objects (an archive's members; otherwise the file itself), each with its
// section sizes, its sized data symbols and its undefined symbols. The ELF
// reader (elf/elf_artifact.cpp) and the wasm reader (footprint/wasm_artifact.cpp)
// fill it; the checks (footprint/check.cpp, footprint/freestanding.cpp) only
// read it.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace buildbudget::footprint {

/// Section sizes in bytes, summed by what the section holds, the way
/// Berkeley `size` sums them but with read-only data apart from code:
///   text    SHF_ALLOC + SHF_EXECINSTR (.text, .init, .plt, ...); wasm: the code section
///   rodata  SHF_ALLOC, not writable, not executable, with contents (.rodata, .eh_frame, ...)
///   data    SHF_ALLOC + SHF_WRITE with contents (.data, .data.rel.ro, .got, .tdata, ...);
///           wasm: the data segments
///   bss     SHF_ALLOC without contents (SHT_NOBITS: .bss, .tbss), plus the common
///           symbols of a relocatable object; wasm: zero-initialised data and the stack
struct SectionSizes {
    std::uint64_t text = 0;
    std::uint64_t rodata = 0;
    std::uint64_t data = 0;
    std::uint64_t bss = 0;

    /// Static RAM: what the component occupies in RAM before it runs: `.data` +
    /// `.bss`; for wasm the data segments plus the stack (doc/design.md, "Budget
    /// checks").
    [[nodiscard]] std::uint64_t static_ram() const { return data + bss; }
    SectionSizes& operator+=(const SectionSizes& other);
};

/// Where a symbol lives, for the contributors of a static RAM overrun.
enum class SymbolKind { data, bss };

/// A defined data object with a size (STT_OBJECT, STT_TLS, common symbols; a
/// wasm data segment or the stack).
struct DataSymbol {
    std::string name;
    std::uint64_t size = 0;
    SymbolKind kind = SymbolKind::data;
};

/// One object of an artifact: an archive member, or the file itself.
struct ObjectFile {
    std::string name;  ///< the member name ("ring.cpp.o"), or the file name for a non-archive
    SectionSizes sizes;
    std::vector<DataSymbol> data_symbols;        ///< sized data objects in .data/.bss
    std::vector<std::string> undefined_symbols;  ///< names as in the symbol table, without @version
    std::vector<std::string> defined_symbols;    ///< global and weak definitions, without @version
};

enum class ArtifactKind { static_library, relocatable_object, executable, shared_library, wasm_module };

[[nodiscard]] const char* to_string(ArtifactKind kind);

/// WebAssembly linear memory facts (WebAssembly core spec §5.5.8 memory
/// section; one page is 64 KiB).
struct WasmMemory {
    std::uint64_t initial_bytes = 0;
    std::optional<std::uint64_t> maximum_bytes;
    std::uint64_t data_segment_bytes = 0;  ///< bytes of every data segment
    /// The initial value of the stack pointer (the `__stack_pointer` global of
    /// LLVM's wasm ABI), when the module has one.
    std::optional<std::uint64_t> stack_pointer;
};

struct Artifact {
    std::string path;
    ArtifactKind kind = ArtifactKind::relocatable_object;
    std::string format;  ///< "ELF64 x86-64", "ELF32 ARM", "WebAssembly 1"
    std::vector<ObjectFile> objects;
    /// False for a stripped file: sizes are still right, but symbols (the
    /// contributors, the undefined symbols of an executable) are missing.
    bool has_symbols = true;
    std::optional<WasmMemory> wasm;
    std::vector<std::string> notes;  ///< said along with the sizes ("no symbol table: stripped")

    [[nodiscard]] SectionSizes totals() const;
};

/// A file the checks cannot measure: not ELF, ar or wasm; truncated; an
/// archive member that is not ELF; LTO bitcode. what() names the file (and
/// the member and byte offset where known) and says what was expected.
class ArtifactError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Reads `path`, recognising it by its first bytes: ELF (`\x7fELF`), an ar
/// archive (`!<arch>\n`; thin archives are refused), a WebAssembly module
/// (`\0asm`), LLVM bitcode (`BC\xC0\xDE` or its wrapper `\xDE\xC0\x17\x0B`).
/// Throws ArtifactError.
[[nodiscard]] Artifact read_artifact(const std::string& path);

/// The message for LTO objects (LLVM bitcode, GCC's `.gnu.lto_*` objects):
/// their code is generated at link time, so only the linked file has sizes.
[[nodiscard]] std::string lto_object_message(const std::string& what);

}  // namespace buildbudget::footprint
