// The WebAssembly binary reader: the structure of a core module (sections,
// types, imports, functions with the place and size of their bodies, tables,
// memories, globals, exports, data segments) and the names, producers and
// target features that toolchains record in custom sections.
//
// Source of the format: WebAssembly core specification 2.0, chapter 5
// "Binary Format" (§5.2 values, §5.3 types, §5.4 instructions, §5.5 modules)
// and appendix 7.4 "Custom Sections" (name section); plus the proposals real
// modules use: multi-value, reference types, bulk memory (data count section,
// passive segments), SIMD (v128.const), threads (shared memories), memory64,
// exception handling (tag section) and extended-const; the extended name
// section proposal (global names = subsection 7, data segment names = 9); and
// the tool conventions of WebAssembly/tool-conventions ("producers" section,
// "target_features" section of Linking.md).
//
// Instructions are not decoded, except constant expressions (global
// initialisers, segment offsets). Function bodies are located, not copied.
// Everything is bounds-checked: any malformed input gives a ParseError with
// the byte offset of the problem, never a crash or an unbounded allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace buildbudget::wasm {

/// A malformed or unsupported module. what() is
/// "<what was expected> at byte offset <N>", e.g.
/// "section 10 (code) length 5000 runs past the end of the file (3000 bytes) at byte offset 812";
/// read_file() puts "<path>: " in front.
struct ParseError : std::runtime_error {
    std::uint64_t offset;  ///< byte offset in the file where the problem is
    std::string message;   ///< what() without the " at byte offset <N>" suffix

    ParseError(std::uint64_t offset, const std::string& what);
};

/// Value types (core spec §5.3.1-§5.3.4): number types, v128 (SIMD) and the
/// two reference types of the reference-types proposal.
enum class ValueType : std::uint8_t {
    i32 = 0x7F,
    i64 = 0x7E,
    f32 = 0x7D,
    f64 = 0x7C,
    v128 = 0x7B,
    funcref = 0x70,
    externref = 0x6F,
};

/// "i32", "i64", "f32", "f64", "v128", "funcref" or "externref".
[[nodiscard]] const char* to_string(ValueType type);

/// Kinds of imports and exports (core spec §5.5.5, §5.5.10; tag = 4 from the
/// exception-handling proposal).
enum class ExternalKind : std::uint8_t { function = 0, table = 1, memory = 2, global = 3, tag = 4 };

/// "function", "table", "memory", "global" or "tag".
[[nodiscard]] const char* to_string(ExternalKind kind);

/// A function type (core spec §5.3.6): parameters and results (several with multi-value).
struct FuncType {
    std::vector<ValueType> params, results;
};

/// Limits of a memory or a table (core spec §5.3.7-§5.3.9). Units: pages of
/// 64 KiB for memories, elements for tables. Flags byte: bit 0 = has maximum,
/// bit 1 = shared (threads proposal), bit 2 = 64-bit indices (memory64
/// proposal, where the bounds are u64 instead of u32).
struct Limits {
    std::uint64_t initial = 0;
    std::optional<std::uint64_t> maximum;
    bool shared = false;
    bool is64 = false;
};

/// One section as it sits in the file (core spec §5.5.2).
struct Section {
    std::uint8_t id = 0;               ///< 0 = custom, 1 = type ... 12 = datacount, 13 = tag
    std::string name;                  ///< standard name ("type", "import", "function", "table", "memory",
                                       ///< "global", "export", "start", "element", "code", "data",
                                       ///< "datacount", "tag") or the custom section's own name
    std::uint64_t offset = 0;          ///< offset of the id byte
    std::uint64_t payload_offset = 0;  ///< offset of the first payload byte (after the size)
    std::uint64_t size = 0;            ///< payload bytes (for a custom section, including its name)
};

/// An import (core spec §5.5.5). Which fields are meaningful depends on `kind`.
struct Import {
    std::string module, name;
    ExternalKind kind = ExternalKind::function;
    std::uint32_t type_index = 0;  ///< function or tag: index into Module::types
    Limits limits;                 ///< memory or table
    ValueType table_type = ValueType::funcref;  ///< table: element type (funcref or externref, §5.3.9)
    ValueType global_type{};       ///< global
    bool global_mutable = false;   ///< global
};

/// An export (core spec §5.5.10). `index` is in the index space of `kind`
/// (imports first, then definitions).
struct Export {
    std::string name;
    ExternalKind kind = ExternalKind::function;
    std::uint32_t index = 0;
};

/// A constant expression (core spec §3.3.10, binary §5.4.9), classified.
/// A single i32/i64/f32/f64/v128.const, global.get, ref.null or ref.func
/// gives that kind; anything else (an extended-const sum, several
/// instructions, an empty expression) is `other`.
struct ConstExpr {
    enum class Kind { i32, i64, f32, f64, v128, global_get, ref_null, ref_func, other } kind = Kind::other;
    /// i32/i64: the value (an i32 is sign-extended); f32/f64: the IEEE bit
    /// pattern; global_get/ref_func: the global/function index; else 0.
    std::int64_t value = 0;
};

/// A defined global (core spec §5.5.9).
struct Global {
    ValueType type = ValueType::i32;
    bool is_mutable = false;
    ConstExpr init;
    std::string name;  ///< from the name section (subsection 7), may be empty
};

/// The name of a data segment: one pointer, null when the segment has none.
/// Most modules name none of their segments, and a Go module has 10^5 of
/// them: a std::string in each was a third of a segment's 72 bytes, 2 MB of
/// esbuild.wasm's peak memory (doc/helper-wasm-analyze.md, "Speed"). Reads as
/// a const std::string& (or std::string_view); assigned from a std::string.
class SegmentName {
public:
    SegmentName() = default;
    SegmentName(const SegmentName& other) : p_(other.p_ ? std::make_unique<std::string>(*other.p_) : nullptr) {}
    SegmentName(SegmentName&&) noexcept = default;
    SegmentName& operator=(const SegmentName& other) {
        if (this != &other) p_ = other.p_ ? std::make_unique<std::string>(*other.p_) : nullptr;
        return *this;
    }
    SegmentName& operator=(SegmentName&&) noexcept = default;
    ~SegmentName() = default;
    SegmentName& operator=(std::string name) {
        p_ = name.empty() ? nullptr : std::make_unique<std::string>(std::move(name));
        return *this;
    }

    [[nodiscard]] bool empty() const { return !p_; }
    [[nodiscard]] const std::string& str() const {
        static const std::string none;
        return p_ ? *p_ : none;
    }
    // NOLINTNEXTLINE(google-explicit-constructor): reads as the string it holds
    operator const std::string&() const { return str(); }
    // NOLINTNEXTLINE(google-explicit-constructor)
    operator std::string_view() const { return str(); }

private:
    std::unique_ptr<std::string> p_;
};

inline std::string operator+(const char* a, const SegmentName& b) { return a + b.str(); }
inline bool operator==(const SegmentName& a, std::string_view b) { return a.str() == b; }
inline std::ostream& operator<<(std::ostream& os, const SegmentName& n) { return os << n.str(); }

/// A data segment (core spec §5.5.14; bulk memory forms: flags 0 = active in
/// memory 0, 1 = passive, 2 = active with an explicit memory index).
struct DataSegment {
    bool passive = false;
    std::uint32_t memory_index = 0;
    std::optional<std::uint64_t> address;  ///< active segment whose offset is an i32/i64.const
                                           ///< (an i32 offset is taken as unsigned 32-bit)
    std::uint64_t size = 0;                ///< bytes of initial data
    std::uint64_t file_offset = 0;         ///< offset of the segment's bytes in the file
    SegmentName name;                      ///< name section subsection 9, may be empty
};

/// A defined function with its body (function section §5.5.6 + code section §5.5.13).
struct Function {
    std::uint32_t index = 0;        ///< in the function index space (imported functions come first)
    std::uint32_t type_index = 0;   ///< into Module::types
    std::uint64_t body_size = 0;    ///< bytes of the body (locals + instructions), without its size field
    std::uint64_t body_offset = 0;  ///< file offset of the body's first byte
    std::string name;               ///< from the name section, else empty
};

/// Everything read from one module.
struct Module {
    std::uint32_t version = 0;
    std::vector<Section> sections;  ///< in file order, custom ones included
    std::vector<FuncType> types;
    std::vector<Import> imports;
    std::vector<Function> functions;       ///< defined functions, with their code bodies
    std::vector<Limits> tables, memories;  ///< defined ones (imported ones are in imports)
    std::vector<ValueType> table_types;    ///< element type of each defined table (funcref or
                                           ///< externref, §5.3.9), parallel to `tables`
    std::vector<std::uint32_t> tags;       ///< defined tags' type indices (tag section, id 13)
    std::vector<Global> globals;           ///< defined ones
    std::vector<Export> exports;
    std::optional<std::uint32_t> start;
    std::vector<DataSegment> data;
    std::string module_name;  ///< name section subsection 0
    /// Name section subsections 1 (functions), 7 (globals) and 9 (data
    /// segments), by index in their index space (imports first).
    std::map<std::uint32_t, std::string> function_names, global_names, data_names;
    /// Name section subsection 2 (appendix 7.4.2 "Local Names", an indirect
    /// name map): function index -> local index -> name. A function's
    /// parameters are its first locals, so these name the parameters too.
    std::map<std::uint32_t, std::map<std::uint32_t, std::string>> local_names;
    /// "target_features" custom section: the features the module uses (prefix
    /// '+', or '=' for "required" written by older LLVM), e.g. "simd128",
    /// "bulk-memory"; disallowed ('-') ones are left out.
    std::vector<std::string> target_features;
    /// "producers" custom section: field ("language", "processed-by", "sdk")
    /// -> list of (name, version), in file order.
    std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> producers;

    /// Number of imports of each kind (the first indices of each index space).
    [[nodiscard]] std::uint32_t imported_function_count() const;
    [[nodiscard]] std::uint32_t imported_table_count() const;
    [[nodiscard]] std::uint32_t imported_memory_count() const;
    [[nodiscard]] std::uint32_t imported_global_count() const;
    [[nodiscard]] std::uint32_t imported_tag_count() const;

    /// Memory 0, imported (the first memory import) or else defined; empty when
    /// the module has no memory.
    [[nodiscard]] std::optional<Limits> memory0() const;

    /// The name of function `index` (function index space): from the name
    /// section, else the first export of that function, else "function[<index>]".
    [[nodiscard]] std::string function_name(std::uint32_t index) const;
};

/// Parses a module from `size` bytes at `data` (which may be null when size
/// is 0). Only version 1 is accepted; sections must be in the order of core
/// spec §5.5.2 (custom sections anywhere). Throws ParseError on: bad magic,
/// unsupported version (components included), truncation, a section length
/// past the end of the file, over-long or out-of-range LEB128 (§5.2.2), a
/// count larger than the bytes left, unknown ids/types/opcodes, invalid UTF-8
/// names (§5.2.4), out-of-range type/function/global/memory indices,
/// trailing bytes in a known section, function and code counts that differ,
/// a data count that differs from the data section. Malformed "name",
/// "producers" and "target_features" custom sections are ignored (their
/// Section entry is kept).
[[nodiscard]] Module parse(const std::uint8_t* data, std::size_t size);

/// Length (2 to 4) of the well-formed multi-byte UTF-8 sequence at `p`, of
/// the `n` bytes there (n >= 1), or 0 if it is not one (RFC 3629: no overlong
/// forms, no surrogates, nothing above U+10FFFF). An ASCII byte gives 0 too:
/// callers handle ASCII first. parse() checks names with it (§5.2.4).
[[nodiscard]] std::size_t utf8_sequence_length(const std::uint8_t* p, std::size_t n);

/// The bytes of a file, read-only:
///  - a regular file of 16 MiB or more, where the kernel gives transparent huge
///    pages on request (transparent_huge_pages_on_request(), common/heap.hpp):
///    read into memory on 2 MiB pages (copied_to_huge_pages()). Mapped in
///    4 KiB pages instead, a 30 MB module cost its reader a TLB miss on nearly
///    every page it touched first, and on a virtual machine a miss walks two
///    page tables: the parser's walk over the code section took 17 ms mapped
///    and 2 ms after an 8 ms read (doc/helper-wasm-analyze.md, "Speed");
///  - another regular file: a private mapping (mmap), not a copy (mapped());
///    like any mapped file, one truncated by another process while it is being
///    read ends the reader with SIGBUS;
///  - anything else (a pipe, a device, a file mmap refuses): read into memory.
/// release_read_pages() lets a reader give back the pages of the first two
/// kinds. Move-only; the bytes live as long as it does.
///
/// The copy on huge pages can be made by a thread of its own while the caller
/// reads what has arrived (read_file_bytes(path, true)): arrived() waits for
/// the first bytes, finish_reading() for all of them.
class FileBytes {
public:
    struct Arrival;  // the thread copying the file, and how far it got (reader.cpp)

    FileBytes();
    FileBytes(FileBytes&& other) noexcept;
    FileBytes& operator=(FileBytes&& other) noexcept;
    FileBytes(const FileBytes&) = delete;
    FileBytes& operator=(const FileBytes&) = delete;
    ~FileBytes();

    [[nodiscard]] const std::uint8_t* data() const { return data_; }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] bool empty() const { return size_ == 0; }
    [[nodiscard]] const std::uint8_t* begin() const { return data_; }
    [[nodiscard]] const std::uint8_t* end() const { return data_ + size_; }
    [[nodiscard]] std::uint8_t operator[](std::size_t i) const { return data_[i]; }
    /// True when the bytes are a mapping of the file.
    [[nodiscard]] bool mapped() const { return mapped_; }
    /// True when the bytes were read into memory on huge pages.
    [[nodiscard]] bool copied_to_huge_pages() const { return file_ >= 0; }

    /// Waits until the first `end` bytes (at most size()) can be read and
    /// returns how many can: at least that many, and size() unless a thread is
    /// still copying the file. Throws std::runtime_error "<path>: cannot read:
    /// <strerror>" when that thread could not read them (or "the file became
    /// shorter while it was read"). Only the thread that read the file may call it.
    [[nodiscard]] std::size_t arrived(std::size_t end) const {
        return arrival_ == nullptr ? size_ : wait_for(end);
    }
    /// Waits for all the bytes, then makes the copy read-only: afterwards every
    /// byte can be read from any thread. Throws as arrived() does. Once the
    /// bytes are all in, does nothing.
    void finish_reading();

private:
    friend FileBytes read_file_bytes(const std::string& path, bool in_background);
    [[nodiscard]] std::size_t wait_for(std::size_t end) const;
    void release();

    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    bool mapped_ = false;
    int file_ = -1;          // the file, open, while its bytes are a copy on huge pages
    std::size_t region_ = 0;  // the length of that copy's region: size_ rounded up to 2 MiB
    std::vector<std::uint8_t> owned_;  // the bytes when they were read, not mapped
    std::unique_ptr<Arrival> arrival_;  // while a thread copies the file
};

/// Lets the pages of the `size` bytes at `data` leave the process's resident
/// set when they lie in a file that a live FileBytes maps (a private,
/// read-only mapping: reading them again faults the same bytes back in from
/// the page cache, which keeps them); only pages wholly inside the range go.
/// In a FileBytes copied to huge pages, the 2 MiB pages wholly inside the
/// range are replaced by a mapping of the same bytes of the file (mmap
/// MAP_FIXED), which reads the same. Does nothing for other bytes read into
/// memory, or outside a FileBytes. For a reader
/// that is done with a large range, so that it does not add to the peak
/// memory (doc/helper-wasm-analyze.md, "Speed"): parse() with the sections it
/// has copied into the Module and the data segments behind it, the call
/// graph's decoder with the bodies. Returns how many bytes from `data` on are
/// done with: up to the end of the last page let go, 0 when none was, `size`
/// when the bytes cannot be let go at all. Thread-safe.
std::size_t release_read_pages(const std::uint8_t* data, std::size_t size) noexcept;

/// For a reader that goes forward through a file's bytes and does not come back:
/// releases (release_read_pages) the bytes behind it each time it has gone a MiB
/// (`step`) further, up to the last whole page (a 2 MiB page of a copy on huge
/// pages: what is not let go yet is offered again), so that a large section
/// read once does not add to the peak memory (doc/helper-wasm-analyze.md,
/// "Speed"). Offsets
/// are from `data`, the start of the file; `from` is where the reader starts.
class ReleaseBehind {
public:
    static constexpr std::uint64_t step = std::uint64_t{1} << 20;

    ReleaseBehind(const std::uint8_t* data, std::uint64_t from) noexcept : data_(data), released_(from), tried_(from) {}

    /// The reader is done with everything before `offset`: released when a step has gathered.
    void advance(std::uint64_t offset) noexcept {
        if (offset >= tried_ + step) finish(offset);
    }

    /// Releases everything before `offset` now (the whole pages of it).
    void finish(std::uint64_t offset) noexcept {
        if (offset <= released_) return;
        tried_ = offset;
        released_ += release_read_pages(data_ + released_, static_cast<std::size_t>(offset - released_));
    }

private:
    const std::uint8_t* data_;
    std::uint64_t released_;  // everything before it is let go
    std::uint64_t tried_;     // the last offset finish() was given
};

/// The bytes of the file at `path` (FileBytes). Throws std::runtime_error
/// "<path>: cannot read: <strerror>" when it cannot be opened or read
/// (a directory gives EISDIR). With `in_background`, a file copied to huge
/// pages is copied by a thread of its own, 2 MiB at a time, and this returns
/// once it has begun: the caller reads what has arrived (FileBytes::arrived())
/// meanwhile, on another core, while those bytes are still in the cache
/// (parse() behind it; doc/helper-wasm-analyze.md, "Speed"), and calls
/// FileBytes::finish_reading() before anything else reads them. Without a
/// thread to be had, the copy is made before this returns.
[[nodiscard]] FileBytes read_file_bytes(const std::string& path, bool in_background = false);

/// parse() of the `bytes` of the file at `path` (read_file_bytes(path, true)),
/// each part once it has arrived (FileBytes::arrived()), then
/// FileBytes::finish_reading(); with map_module()'s errors (ParseError whose
/// what() is "<path>: <problem> at byte offset <N>", std::runtime_error
/// "<path>: cannot read: <strerror>"). `after_code`, when given, is called
/// once the code section is parsed (when there is one), with the module
/// parsed so far: its types, imports, functions and their bodies, but not the
/// sections after the code (data, names). `bytes` belongs to the caller, so
/// that what `after_code` begins on them can stop before they go.
[[nodiscard]] Module parse_file(const std::string& path, FileBytes& bytes,
                                const std::function<void(const Module&)>& after_code = {});

/// Reads and parses the file at `path`. Throws ParseError whose what() starts
/// with "<path>: " on parse problems, and std::runtime_error
/// "<path>: cannot read: <strerror>" when the file cannot be read.
[[nodiscard]] Module read_file(const std::string& path);

/// A module file with its bytes kept (mapped, see FileBytes), for the
/// readers that need the bytes as well as the structure (`wasm analyze`
/// hashes bodies and compresses the file).
struct MappedModule {
    FileBytes bytes;
    Module module;
};

/// Reads (read_file_bytes()) and parses the file at `path`, with read_file()'s errors: ParseError
/// whose what() is "<path>: <problem> at byte offset <N>", or
/// std::runtime_error "<path>: cannot read: <strerror>".
[[nodiscard]] MappedModule map_module(const std::string& path);

/// True when the bytes start with the WebAssembly magic "\0asm" (core spec §5.5.16).
[[nodiscard]] bool has_wasm_magic(const std::uint8_t* data, std::size_t size);

}  // namespace buildbudget::wasm
