#include "wasm/reader.hpp"

#include "common/heap.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace buildbudget::wasm {

ParseError::ParseError(std::uint64_t at, const std::string& what)
    : std::runtime_error(what + " at byte offset " + std::to_string(at)), offset(at), message(what) {}

const char* to_string(ValueType type) {
    switch (type) {
        case ValueType::i32: return "i32";
        case ValueType::i64: return "i64";
        case ValueType::f32: return "f32";
        case ValueType::f64: return "f64";
        case ValueType::v128: return "v128";
        case ValueType::funcref: return "funcref";
        case ValueType::externref: return "externref";
    }
    return "unknown";
}

const char* to_string(ExternalKind kind) {
    switch (kind) {
        case ExternalKind::function: return "function";
        case ExternalKind::table: return "table";
        case ExternalKind::memory: return "memory";
        case ExternalKind::global: return "global";
        case ExternalKind::tag: return "tag";
    }
    return "unknown";
}

bool has_wasm_magic(const std::uint8_t* data, std::size_t size) {
    return size >= 4 && data[0] == 0x00 && data[1] == 0x61 && data[2] == 0x73 && data[3] == 0x6D;
}

namespace {

constexpr std::uint8_t magic_bytes[4] = {0x00, 0x61, 0x73, 0x6D};
constexpr std::size_t header_size = 8;
constexpr std::uint8_t end_opcode = 0x0B;
constexpr std::uint64_t max_index_space = std::numeric_limits<std::uint32_t>::max();

// Section ids and names (core spec §5.5.2; 12 = data count, bulk memory;
// 13 = tag, exception handling).
const char* standard_section_name(std::uint8_t id) {
    switch (id) {
        case 0: return "custom";
        case 1: return "type";
        case 2: return "import";
        case 3: return "function";
        case 4: return "table";
        case 5: return "memory";
        case 6: return "global";
        case 7: return "export";
        case 8: return "start";
        case 9: return "element";
        case 10: return "code";
        case 11: return "data";
        case 12: return "datacount";
        case 13: return "tag";
        default: return "unknown";
    }
}

// Position of a non-custom section in the required order (core spec §5.5.16:
// type, import, function, table, memory, global, export, start, element,
// data count, code, data; the exception-handling proposal puts tag between
// memory and global). 0 for ids that are not known sections.
int section_rank(std::uint8_t id) {
    switch (id) {
        case 1: return 1;
        case 2: return 2;
        case 3: return 3;
        case 4: return 4;
        case 5: return 5;
        case 13: return 6;
        case 6: return 7;
        case 7: return 8;
        case 8: return 9;
        case 9: return 10;
        case 12: return 11;
        case 10: return 12;
        case 11: return 13;
        default: return 0;
    }
}

std::string section_label(std::uint8_t id) {
    return "section " + std::to_string(id) + " (" + standard_section_name(id) + ")";
}

std::string hex_byte(std::uint8_t b) {
    char text[8];
    std::snprintf(text, sizeof text, "0x%02X", static_cast<unsigned>(b));
    return text;
}

// Well-formed UTF-8 (core spec §5.2.4 names; RFC 3629), a sequence at a time
// (utf8_sequence_length()).
bool valid_utf8(const std::uint8_t* p, std::size_t n) {
    std::size_t i = 0;
    while (i < n) {
        // Fast path: eight ASCII bytes at a time (names are nearly always ASCII).
        if (n - i >= 8) {
            std::uint64_t word;
            std::memcpy(&word, p + i, sizeof word);
            if ((word & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence_length(p + i, n - i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

// A bounds-checked reader over [pos, end) of the file. Offsets are file
// offsets. `scope` names the region for messages ("file", "section 3 (function)").
class Cursor {
public:
    Cursor(const std::uint8_t* base, std::size_t pos, std::size_t end, const std::string& scope)
        : base_(base), pos_(pos), end_(end), scope_(&scope) {}

    [[nodiscard]] std::size_t pos() const { return pos_; }
    [[nodiscard]] std::size_t end() const { return end_; }
    [[nodiscard]] std::size_t remaining() const { return end_ - pos_; }
    [[nodiscard]] bool at_end() const { return pos_ >= end_; }
    [[nodiscard]] const std::string& scope() const { return *scope_; }

    std::uint8_t u8(const char* what) {
        if (pos_ >= end_) fail_end(what);
        return base_[pos_++];
    }

    // LEB128 integers (core spec §5.2.2): at most ceil(N/7) bytes, and the
    // unused bits of the last byte must be 0 (unsigned) or copies of the sign
    // bit (signed).
    std::uint32_t u32(const char* what) {
        if (pos_ < end_ && base_[pos_] < 0x80) return base_[pos_++];
        return static_cast<std::uint32_t>(leb_unsigned(32, what));
    }
    std::uint64_t u64(const char* what) {
        if (pos_ < end_ && base_[pos_] < 0x80) return base_[pos_++];
        return leb_unsigned(64, what);
    }
    std::int32_t s32(const char* what) { return static_cast<std::int32_t>(leb_signed(32, what)); }
    std::int64_t s64(const char* what) { return leb_signed(64, what); }

    // `n` raw bytes; returns a pointer to the first.
    const std::uint8_t* bytes(std::uint64_t n, const char* what) {
        if (n > remaining()) {
            fail(pos_, std::string(what) + " of " + std::to_string(n) + " bytes runs past the end of " + scope() +
                           " (" + std::to_string(remaining()) + " bytes left)");
        }
        const std::uint8_t* p = base_ + pos_;
        pos_ += static_cast<std::size_t>(n);
        return p;
    }

    // A name (core spec §5.2.4): u32 length, then that many bytes of UTF-8.
    std::string_view name_view(const char* what) {
        const std::size_t start = pos_;
        const std::uint32_t len = u32(what);
        if (len > remaining()) {
            fail(start, std::string(what) + " length " + std::to_string(len) + " runs past the end of " + scope() +
                            " (" + std::to_string(remaining()) + " bytes left)");
        }
        const std::uint8_t* p = base_ + pos_;
        if (!valid_utf8(p, len)) fail(pos_, std::string(what) + " is not valid UTF-8");
        pos_ += len;
        return std::string_view(reinterpret_cast<const char*>(p), len);
    }
    std::string name(const char* what) { return std::string(name_view(what)); }

    // A vector length (core spec §5.1.3), checked against the bytes left:
    // every entry takes at least `min_entry_bytes`, so no allocation is ever
    // larger than a small multiple of the input.
    std::uint32_t count(const char* what, std::size_t min_entry_bytes) {
        const std::size_t start = pos_;
        const std::uint32_t n = u32(what);
        if (n > remaining() / min_entry_bytes) {
            if (min_entry_bytes == 1) {
                fail(start, std::string(what) + " " + std::to_string(n) + " is larger than the " +
                                std::to_string(remaining()) + " bytes left in " + scope());
            }
            fail(start, std::string(what) + " " + std::to_string(n) + " needs at least " +
                            std::to_string(std::uint64_t{n} * min_entry_bytes) + " bytes (" +
                            std::to_string(min_entry_bytes) + " per entry) but only " + std::to_string(remaining()) +
                            " are left in " + scope());
        }
        return n;
    }

    [[noreturn]] static void fail(std::size_t offset, const std::string& message) { throw ParseError(offset, message); }

    [[noreturn]] void fail_end(const char* what) const {
        fail(pos_, "unexpected end of " + scope() + " reading " + what);
    }

private:
    std::uint64_t leb_unsigned(unsigned bits, const char* what) {
        const std::size_t start = pos_;
        const unsigned max_bytes = (bits + 6) / 7;
        std::uint64_t result = 0;
        for (unsigned i = 0;; ++i) {
            if (pos_ >= end_) fail_end(what);
            const std::uint8_t b = base_[pos_++];
            if (i + 1 == max_bytes) {
                const unsigned used = bits - 7 * i;  // value bits the last byte may carry
                if ((b >> used) != 0) bad_leb(start, bits, 'u', b, max_bytes, what);
                return result | (static_cast<std::uint64_t>(b) << (7 * i));
            }
            result |= static_cast<std::uint64_t>(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return result;
        }
    }

    std::int64_t leb_signed(unsigned bits, const char* what) {
        const std::size_t start = pos_;
        const unsigned max_bytes = (bits + 6) / 7;
        std::uint64_t result = 0;
        unsigned shift = 0;
        for (unsigned i = 0;; ++i) {
            if (pos_ >= end_) fail_end(what);
            const std::uint8_t b = base_[pos_++];
            if (i + 1 == max_bytes) {
                const unsigned used = bits - 7 * i;  // value bits in the last byte, the top one is the sign
                const unsigned rest = static_cast<unsigned>(b) >> (used - 1);  // sign bit, unused bits, continuation
                if (rest != 0 && rest != (0x7Fu >> (used - 1))) bad_leb(start, bits, 's', b, max_bytes, what);
            }
            result |= static_cast<std::uint64_t>(b & 0x7F) << shift;
            shift += 7;
            if ((b & 0x80) == 0) {
                if (shift < 64 && (b & 0x40) != 0) result |= ~std::uint64_t{0} << shift;
                return static_cast<std::int64_t>(result);
            }
        }
    }

    // NOLINTNEXTLINE(bugprone-easily-swappable-parameters): private, its two callers name each value
    [[noreturn]] static void bad_leb(std::size_t start, unsigned bits, char sign, std::uint8_t last, unsigned max_bytes,
                                     const char* what) {
        const std::string type = std::string(1, sign) + std::to_string(bits);
        std::string why = (last & 0x80) != 0
                              ? "longer than " + std::to_string(max_bytes) + " bytes for a " + type
                              : "unused bits of the last byte set in a " + type + " (value out of range)";
        fail(start, "bad LEB128 reading " + std::string(what) + ": " + why);
    }

    const std::uint8_t* base_;
    std::size_t pos_;
    std::size_t end_;
    const std::string* scope_;
};

std::uint32_t load_le32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
           (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

std::uint64_t load_le64(const std::uint8_t* p) {
    return static_cast<std::uint64_t>(load_le32(p)) | (static_cast<std::uint64_t>(load_le32(p + 4)) << 32);
}

class Parser {
public:
    Parser(const std::uint8_t* data, std::size_t size)
        : data_(data), size_(size), ready_(std::numeric_limits<std::size_t>::max()) {}
    /// Parses `bytes` as they arrive (FileBytes::arrived()).
    Parser(const FileBytes& bytes, const std::function<void(const Module&)>& after_code)
        : data_(bytes.data()), size_(bytes.size()), arriving_(&bytes), after_code_(&after_code) {}

    Module run() {
        ready(header_size);
        header();
        sections();
        finish();
        return std::move(m_);
    }

private:
    // Preamble (core spec §5.5.16): magic "\0asm" and version 1, little endian.
    void header() {
        const std::size_t have = size_ < 4 ? size_ : 4;
        for (std::size_t i = 0; i < have; ++i) {
            if (data_[i] != magic_bytes[i]) {
                std::string got;
                for (std::size_t k = 0; k < have; ++k) got += (k ? " " : "") + hex_byte(data_[k]);
                throw ParseError(
                    0, "not a WebAssembly module: bad magic " + got + " (expected 0x00 0x61 0x73 0x6D, \"\\0asm\")");
            }
        }
        if (size_ < header_size) {
            throw ParseError(
                size_, "unexpected end of file reading the module header (magic and version, 8 bytes; the file has " +
                           std::to_string(size_) + ")");
        }
        const std::uint32_t version = load_le32(data_ + 4);
        if (version != 1) {
            if ((version >> 16) == 1) {
                throw ParseError(4, "unsupported version: this is a WebAssembly component (layer 1, version " +
                                        std::to_string(version & 0xFFFF) + "), not a core module");
            }
            throw ParseError(
                4, "unsupported WebAssembly version " + std::to_string(version) + " (only version 1 is supported)");
        }
        m_.version = version;
    }

    void sections() {
        const std::string file_scope = "file";
        Cursor file(data_, header_size, size_, file_scope);
        int last_rank = 0;
        std::uint8_t last_id = 0;
        while (!file.at_end()) {
            const std::size_t offset = file.pos();
            ready(offset + 6);  // the id and the size
            const std::uint8_t id = file.u8("a section id");
            if (id > 13) Cursor::fail(offset, "unknown section id " + std::to_string(id));
            scope_ = section_label(id);
            const std::uint32_t size = file.u32("a section size");
            const std::size_t payload = file.pos();
            if (size > file.remaining()) {
                Cursor::fail(offset, scope_ + " length " + std::to_string(size) + " runs past the end of the file (" +
                                         std::to_string(size_) + " bytes)");
            }
            file.bytes(size, "a section");
            if (id != 10) ready(payload + size);  // code_section() waits body by body

            Section section;
            section.id = id;
            section.name = standard_section_name(id);
            section.offset = offset;
            section.payload_offset = payload;
            section.size = size;

            Cursor c(data_, payload, payload + size, scope_);
            if (id == 0) {
                section.name = c.name("the custom section name");
                m_.sections.push_back(section);
                custom_section(section.name, c);
                if (section.name == "name") release_read_pages(data_ + payload, size);  // copied, as below
                continue;
            }

            const int rank = section_rank(id);
            if (rank <= last_rank) {
                if (id == last_id) Cursor::fail(offset, "duplicate " + scope_);
                Cursor::fail(offset, scope_ + " is out of order: it must come before " + section_label(last_id) +
                                         " (core spec order: type, import, function, table, memory, tag, global, "
                                         "export, start, element, datacount, code, data)");
            }
            last_rank = rank;
            last_id = id;
            m_.sections.push_back(section);

            // Sections copied whole into the Module, which nothing reads again, are let go.
            const bool copied = id == 1 || id == 2 || id == 3 || id == 6 || id == 7;
            switch (id) {
                case 1: type_section(c); break;
                case 2: import_section(c); break;
                case 3: function_section(c, offset); break;
                case 4: table_section(c); break;
                case 5: memory_section(c); break;
                case 6: global_section(c); break;
                case 7: export_section(c); break;
                case 8: start_section(c); break;
                case 9: element_section(c); break;
                case 10: code_section(c); break;
                case 11: data_section(c); break;
                case 12: data_count_ = c.u32("the data segment count"); break;
                case 13: tag_section(c); break;
                default: break;
            }
            if (!c.at_end()) {
                Cursor::fail(c.pos(), scope_ + " has " + std::to_string(c.remaining()) + " trailing bytes");
            }
            if (copied) release_read_pages(data_ + payload, size);
            if (id == 10 && after_code_ != nullptr && *after_code_) (*after_code_)(m_);
        }
    }

    // Checks that need the whole module, and the names from the name section.
    void finish() {
        if (!function_types_.empty() && !have_code_) {
            Cursor::fail(function_section_offset_, "the function section declares " +
                                                       std::to_string(function_types_.size()) +
                                                       " functions but there is no code section");
        }
        if (data_count_ && *data_count_ != 0 && !have_data_) {
            Cursor::fail(size_, "the data count section says " + std::to_string(*data_count_) +
                                    " data segments but there is no data section");
        }
        {
            auto it = m_.function_names.begin();
            for (auto& f : m_.functions) {
                while (it != m_.function_names.end() && it->first < f.index) ++it;
                if (it == m_.function_names.end()) break;
                if (it->first == f.index) f.name = it->second;
            }
        }
        const std::uint32_t first_global = imported_globals_;
        for (std::size_t i = 0; i < m_.globals.size(); ++i) {
            const auto it = m_.global_names.find(static_cast<std::uint32_t>(first_global + i));
            if (it != m_.global_names.end()) m_.globals[i].name = it->second;
        }
        for (std::size_t i = 0; i < m_.data.size(); ++i) {
            const auto it = m_.data_names.find(static_cast<std::uint32_t>(i));
            if (it != m_.data_names.end()) m_.data[i].name = it->second;
        }
    }

    // --- Types (core spec §5.3) ---------------------------------------------

    static ValueType value_type(Cursor& c, const char* what) {
        const std::size_t at = c.pos();
        const std::uint8_t b = c.u8(what);
        switch (b) {
            case 0x7F:
            case 0x7E:
            case 0x7D:
            case 0x7C:
            case 0x7B:
            case 0x70:
            case 0x6F: return static_cast<ValueType>(b);
            default: Cursor::fail(at, "unknown value type " + hex_byte(b) + " (" + what + ")");
        }
    }

    static ValueType reference_type(Cursor& c, const char* what) {
        const std::size_t at = c.pos();
        const std::uint8_t b = c.u8(what);
        if (b != 0x70 && b != 0x6F) {
            Cursor::fail(at, "unknown reference type " + hex_byte(b) + " (" + what +
                                 "; expected funcref 0x70 or externref 0x6F)");
        }
        return static_cast<ValueType>(b);
    }

    // Limits (core spec §5.3.7) with the flags of the threads (0x02 shared)
    // and memory64 (0x04, 64-bit bounds) proposals.
    static Limits limits(Cursor& c) {
        const std::size_t at = c.pos();
        const std::uint8_t flags = c.u8("limits flags");
        if (flags > 0x07) Cursor::fail(at, "unknown limits flags " + hex_byte(flags));
        Limits l;
        l.is64 = (flags & 0x04) != 0;
        l.shared = (flags & 0x02) != 0;
        l.initial = l.is64 ? c.u64("the minimum of limits") : c.u32("the minimum of limits");
        if (flags & 0x01) l.maximum = l.is64 ? c.u64("the maximum of limits") : c.u32("the maximum of limits");
        return l;
    }

    bool global_mutability(Cursor& c) {
        const std::size_t at = c.pos();
        const std::uint8_t b = c.u8("the global mutability");
        if (b > 1) Cursor::fail(at, "bad global mutability " + hex_byte(b) + " (expected 0x00 or 0x01)");
        return b == 1;
    }

    std::uint32_t type_index(Cursor& c, const char* what) {
        const std::size_t at = c.pos();
        const std::uint32_t index = c.u32(what);
        if (index >= m_.types.size()) {
            Cursor::fail(at, std::string(what) + " " + std::to_string(index) + " is out of range (the module has " +
                                 std::to_string(m_.types.size()) + " types)");
        }
        return index;
    }

    // Constant expressions (core spec §5.4.9, §3.3.10 "constant"): a sequence
    // of instructions ended by `end` (0x0B). Accepted: t.const (§5.4.7),
    // v128.const (0xFD 12, §5.4.8), global.get (§5.4.4), ref.null / ref.func
    // (§5.4.2), and the extended-const proposal's i32/i64 add, sub, mul.
    static ConstExpr const_expr(Cursor& c, const char* what) {
        ConstExpr e;
        std::size_t instructions = 0;
        for (;;) {
            const std::size_t at = c.pos();
            const std::uint8_t op = c.u8(what);
            ConstExpr next;
            switch (op) {
                case end_opcode:
                    if (instructions != 1) e = ConstExpr{};
                    return e;
                case 0x41:
                    next.kind = ConstExpr::Kind::i32;
                    next.value = c.s32(what);
                    break;
                case 0x42:
                    next.kind = ConstExpr::Kind::i64;
                    next.value = c.s64(what);
                    break;
                case 0x43:
                    next.kind = ConstExpr::Kind::f32;
                    next.value = load_le32(c.bytes(4, what));
                    break;
                case 0x44:
                    next.kind = ConstExpr::Kind::f64;
                    next.value = static_cast<std::int64_t>(load_le64(c.bytes(8, what)));
                    break;
                case 0x23:
                    next.kind = ConstExpr::Kind::global_get;
                    next.value = c.u32(what);
                    break;
                case 0xD0:
                    next.kind = ConstExpr::Kind::ref_null;
                    c.s64(what);  // heap type: s33, an abstract type byte or a type index
                    break;
                case 0xD2:
                    next.kind = ConstExpr::Kind::ref_func;
                    next.value = c.u32(what);
                    break;
                case 0xFD: {
                    const std::uint32_t sub = c.u32(what);
                    if (sub != 12) {
                        Cursor::fail(at, "unsupported SIMD instruction 0xFD " + std::to_string(sub) + " in " + what);
                    }
                    c.bytes(16, what);
                    next.kind = ConstExpr::Kind::v128;
                    break;
                }
                case 0x6A:  // i32.add
                case 0x6B:  // i32.sub
                case 0x6C:  // i32.mul
                case 0x7C:  // i64.add
                case 0x7D:  // i64.sub
                case 0x7E:  // i64.mul
                    next.kind = ConstExpr::Kind::other;
                    break;
                default: Cursor::fail(at, "unsupported instruction " + hex_byte(op) + " in " + what);
            }
            e = next;
            ++instructions;
        }
    }

    // --- Sections (core spec §5.5) ------------------------------------------

    // §5.5.4; function types only (0x60), with multi-value results.
    void type_section(Cursor& c) {
        const std::uint32_t n = c.count("the type count", 3);
        m_.types.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::size_t at = c.pos();
            const std::uint8_t form = c.u8("a type");
            if (form != 0x60) {
                Cursor::fail(at,
                             "unsupported type form " + hex_byte(form) + " (only function types, 0x60, are supported)");
            }
            FuncType t;
            const std::uint32_t params = c.count("the parameter count", 1);
            t.params.reserve(params);
            for (std::uint32_t k = 0; k < params; ++k) t.params.push_back(value_type(c, "a parameter type"));
            const std::uint32_t results = c.count("the result count", 1);
            t.results.reserve(results);
            for (std::uint32_t k = 0; k < results; ++k) t.results.push_back(value_type(c, "a result type"));
            m_.types.push_back(std::move(t));
        }
    }

    // §5.5.5, plus tag imports (kind 4, exception handling).
    void import_section(Cursor& c) {
        const std::uint32_t n = c.count("the import count", 4);
        m_.imports.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            Import imp;
            imp.module = c.name("an import module name");
            imp.name = c.name("an import name");
            const std::size_t at = c.pos();
            const std::uint8_t kind = c.u8("an import kind");
            switch (kind) {
                case 0:
                    imp.kind = ExternalKind::function;
                    imp.type_index = type_index(c, "the type index of an imported function");
                    ++imported_functions_;
                    break;
                case 1:
                    imp.kind = ExternalKind::table;
                    imp.table_type = reference_type(c, "the element type of an imported table");
                    imp.limits = limits(c);
                    ++imported_tables_;
                    break;
                case 2:
                    imp.kind = ExternalKind::memory;
                    imp.limits = limits(c);
                    ++imported_memories_;
                    break;
                case 3:
                    imp.kind = ExternalKind::global;
                    imp.global_type = value_type(c, "the type of an imported global");
                    imp.global_mutable = global_mutability(c);
                    ++imported_globals_;
                    break;
                case 4:
                    imp.kind = ExternalKind::tag;
                    tag_attribute(c);
                    imp.type_index = type_index(c, "the type index of an imported tag");
                    ++imported_tags_;
                    break;
                default:
                    Cursor::fail(at, "unknown import kind " + hex_byte(kind) + " for import \"" + imp.module + "\" \"" +
                                         imp.name + "\"");
            }
            m_.imports.push_back(std::move(imp));
        }
    }

    // §5.5.6: the type index of each defined function; bodies come in the code section.
    void function_section(Cursor& c, std::size_t section_offset) {
        function_section_offset_ = section_offset;
        const std::size_t at = c.pos();
        const std::uint32_t n = c.count("the function count", 1);
        if (std::uint64_t{imported_functions_} + n > max_index_space) {
            Cursor::fail(at, "too many functions for a 32-bit index space");
        }
        function_types_.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) function_types_.push_back(type_index(c, "the type index of a function"));
    }

    // §5.5.7.
    void table_section(Cursor& c) {
        const std::uint32_t n = c.count("the table count", 3);
        m_.tables.reserve(n);
        m_.table_types.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            m_.table_types.push_back(reference_type(c, "the element type of a table"));
            m_.tables.push_back(limits(c));
        }
    }

    // §5.5.8.
    void memory_section(Cursor& c) {
        const std::uint32_t n = c.count("the memory count", 2);
        m_.memories.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) m_.memories.push_back(limits(c));
    }

    void tag_attribute(Cursor& c) {
        const std::size_t at = c.pos();
        const std::uint8_t attribute = c.u8("a tag attribute");
        if (attribute != 0) {
            Cursor::fail(at, "unknown tag attribute " + hex_byte(attribute) + " (expected 0x00, exception)");
        }
    }

    // Exception-handling proposal, section 13: attribute byte 0, type index.
    void tag_section(Cursor& c) {
        const std::uint32_t n = c.count("the tag count", 2);
        m_.tags.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            tag_attribute(c);
            m_.tags.push_back(type_index(c, "the type index of a tag"));
        }
    }

    // §5.5.9.
    void global_section(Cursor& c) {
        const std::uint32_t n = c.count("the global count", 3);
        m_.globals.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            Global g;
            g.type = value_type(c, "the type of a global");
            g.is_mutable = global_mutability(c);
            g.init = const_expr(c, "a global initializer");
            m_.globals.push_back(std::move(g));
        }
    }

    [[nodiscard]] std::uint64_t index_space_size(ExternalKind kind) const {
        switch (kind) {
            case ExternalKind::function: return std::uint64_t{imported_functions_} + function_types_.size();
            case ExternalKind::table: return std::uint64_t{imported_tables_} + m_.tables.size();
            case ExternalKind::memory: return std::uint64_t{imported_memories_} + m_.memories.size();
            case ExternalKind::global: return std::uint64_t{imported_globals_} + m_.globals.size();
            case ExternalKind::tag: return std::uint64_t{imported_tags_} + m_.tags.size();
        }
        return 0;
    }

    // §5.5.10; the index must exist (all index spaces are complete by now,
    // sections being in order).
    void export_section(Cursor& c) {
        const std::uint32_t n = c.count("the export count", 3);
        m_.exports.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            Export e;
            e.name = c.name("an export name");
            const std::size_t at = c.pos();
            const std::uint8_t kind = c.u8("an export kind");
            if (kind > 4) Cursor::fail(at, "unknown export kind " + hex_byte(kind) + " for export \"" + e.name + "\"");
            e.kind = static_cast<ExternalKind>(kind);
            const std::size_t index_at = c.pos();
            e.index = c.u32("an export index");
            const std::uint64_t space = index_space_size(e.kind);
            if (e.index >= space) {
                Cursor::fail(index_at, "export \"" + e.name + "\" refers to " + to_string(e.kind) + " " +
                                           std::to_string(e.index) + " but the module has " + std::to_string(space));
            }
            m_.exports.push_back(std::move(e));
        }
    }

    // §5.5.11.
    void start_section(Cursor& c) {
        const std::size_t at = c.pos();
        const std::uint32_t index = c.u32("the start function index");
        const std::uint64_t space = index_space_size(ExternalKind::function);
        if (index >= space) {
            Cursor::fail(at, "the start function " + std::to_string(index) + " does not exist (the module has " +
                                 std::to_string(space) + " functions)");
        }
        m_.start = index;
    }

    // §5.5.12, the eight forms of the bulk-memory / reference-types proposals:
    // flags bit 0 = passive or declarative, bit 1 = explicit table index (when
    // active) or declarative, bit 2 = expressions instead of function indices.
    // Read to check the section's structure; the contents are not kept.
    void element_section(Cursor& c) {
        const std::uint32_t n = c.count("the element segment count", 2);
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::size_t at = c.pos();
            const std::uint32_t flags = c.u32("element segment flags");
            if (flags > 7) Cursor::fail(at, "unknown element segment form " + std::to_string(flags));
            if ((flags & 1) == 0) {
                if (flags & 2) c.u32("a table index");
                const_expr(c, "an element segment offset");
            }
            if ((flags & 3) != 0) {
                if (flags & 4) {
                    reference_type(c, "the type of an element segment");
                } else {
                    const std::size_t kind_at = c.pos();
                    const std::uint8_t kind = c.u8("an element kind");
                    if (kind != 0) {
                        Cursor::fail(kind_at, "unknown element kind " + hex_byte(kind) + " (expected 0x00, funcref)");
                    }
                }
            }
            const std::uint32_t items = c.count("the element count", 1);
            for (std::uint32_t k = 0; k < items; ++k) {
                if (flags & 4) {
                    const_expr(c, "an element expression");
                } else {
                    c.u32("a function index");
                }
            }
        }
    }

    // §5.5.13: one body per function of the function section. Bodies are
    // located (offset, size), not decoded; a body must end with `end`.
    void code_section(Cursor& c) {
        have_code_ = true;
        const std::size_t at = c.pos();
        ready(at + 5);
        const std::uint32_t n = c.count("the function body count", 2);
        if (n != function_types_.size()) {
            Cursor::fail(at, "the code section has " + std::to_string(n) +
                                 " function bodies but the function section declares " +
                                 std::to_string(function_types_.size()) + " functions");
        }
        m_.functions.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::uint32_t index = imported_functions_ + i;
            const std::size_t body_at = c.pos();
            ready(body_at + 5);
            const std::uint32_t size = c.u32("a function body size");
            if (size > c.remaining()) {
                Cursor::fail(body_at, "the body of function " + std::to_string(index) + " (" + std::to_string(size) +
                                          " bytes) runs past the end of " + c.scope() + " (" +
                                          std::to_string(c.remaining()) + " bytes left)");
            }
            if (size == 0) Cursor::fail(body_at, "the body of function " + std::to_string(index) + " is empty");
            Function f;
            f.index = index;
            f.type_index = function_types_[i];
            f.body_size = size;
            f.body_offset = c.pos();
            ready(c.pos() + size);
            const std::uint8_t* body = c.bytes(size, "a function body");
            if (body[size - 1] != end_opcode) {
                Cursor::fail(c.pos() - 1, "the body of function " + std::to_string(index) +
                                              " does not end with an end instruction (0x0B)");
            }
            m_.functions.push_back(std::move(f));
        }
    }

    // §5.5.14, forms 0 (active, memory 0), 1 (passive), 2 (active, explicit memory).
    void data_section(Cursor& c) {
        have_data_ = true;
        const std::size_t at = c.pos();
        const std::uint32_t n = c.count("the data segment count", 2);
        if (data_count_ && *data_count_ != n) {
            Cursor::fail(at, "the data section has " + std::to_string(n) +
                                 " segments but the data count section says " + std::to_string(*data_count_));
        }
        const std::uint64_t memories = index_space_size(ExternalKind::memory);
        m_.data.reserve(n);
        // The segments behind leave the resident set; nothing here reads their contents again.
        ReleaseBehind behind(data_, c.pos());
        for (std::uint32_t i = 0; i < n; ++i) {
            behind.advance(c.pos());
            DataSegment d;
            const std::size_t flags_at = c.pos();
            const std::uint32_t flags = c.u32("data segment flags");
            if (flags > 2) Cursor::fail(flags_at, "unknown data segment form " + std::to_string(flags));
            d.passive = flags == 1;
            if (!d.passive) {
                const std::size_t memory_at = c.pos();
                if (flags == 2) d.memory_index = c.u32("the memory index of a data segment");
                if (d.memory_index >= memories) {
                    Cursor::fail(memory_at, "data segment " + std::to_string(i) + " refers to memory " +
                                                std::to_string(d.memory_index) + " but the module has " +
                                                std::to_string(memories) + " memories");
                }
                const ConstExpr offset = const_expr(c, "a data segment offset");
                if (offset.kind == ConstExpr::Kind::i32) {
                    d.address = static_cast<std::uint32_t>(offset.value);
                } else if (offset.kind == ConstExpr::Kind::i64) {
                    d.address = static_cast<std::uint64_t>(offset.value);
                }
            }
            const std::size_t size_at = c.pos();
            const std::uint32_t size = c.u32("a data segment size");
            if (size > c.remaining()) {
                Cursor::fail(size_at, "data segment " + std::to_string(i) + " (" + std::to_string(size) +
                                          " bytes) runs past the end of " + c.scope() + " (" +
                                          std::to_string(c.remaining()) + " bytes left)");
            }
            d.size = size;
            d.file_offset = c.pos();
            c.bytes(size, "a data segment");
            m_.data.push_back(std::move(d));
        }
        behind.finish(c.pos());
    }

    // --- Custom sections ------------------------------------------------------
    // Their contents are advisory: a malformed one is ignored as a whole.

    void custom_section(const std::string& name, Cursor& c) {
        try {
            if (name == "name") {
                name_section(c);
            } else if (name == "producers") {
                producers_section(c);
            } else if (name == "target_features") {
                target_features_section(c);
            }
        } catch (const ParseError&) {
            // Ignored on purpose (see above); the Section entry is kept.
        }
    }

    // A name map (core spec appendix 7.4.2): vec of (index, name), in
    // increasing index order (so each insertion is at the end of the map; a
    // repeated index keeps its first name).
    static void name_map(Cursor& c, std::map<std::uint32_t, std::string>& out) {
        const std::uint32_t n = c.count("the name count", 2);
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::uint32_t index = c.u32("a name index");
            const std::string_view name = c.name_view("a name");
            out.emplace_hint(out.end(), std::piecewise_construct, std::forward_as_tuple(index),
                             std::forward_as_tuple(name));
        }
    }

    // An indirect name map (core spec appendix 7.4.2, local names): vec of
    // (function index, name map), in increasing function index order.
    static void indirect_name_map(Cursor& c, std::map<std::uint32_t, std::map<std::uint32_t, std::string>>& out) {
        const std::uint32_t n = c.count("the function count of the local names", 2);
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::uint32_t index = c.u32("a function index of the local names");
            std::map<std::uint32_t, std::string> locals;
            name_map(c, locals);
            out.emplace(index, std::move(locals));  // a repeated function index keeps its first map
        }
    }

    // Name section (core spec appendix 7.4): subsections id + u32 size +
    // contents. Used: 0 module, 1 functions, 2 locals, and from the extended
    // name section proposal 7 globals, 9 data segments; the others are skipped.
    void name_section(Cursor& c) {
        std::optional<std::string> module_name;
        std::map<std::uint32_t, std::string> functions, globals, data;
        std::map<std::uint32_t, std::map<std::uint32_t, std::string>> locals;
        while (!c.at_end()) {
            const std::uint8_t id = c.u8("a name subsection id");
            const std::size_t size_at = c.pos();
            const std::uint32_t size = c.u32("a name subsection size");
            if (size > c.remaining()) Cursor::fail(size_at, "name subsection runs past the end of the section");
            Cursor sub(data_, c.pos(), c.pos() + size, c.scope());
            c.bytes(size, "a name subsection");
            switch (id) {
                case 0: module_name = sub.name("the module name"); break;
                case 1: name_map(sub, functions); break;
                case 2: indirect_name_map(sub, locals); break;
                case 7: name_map(sub, globals); break;
                case 9: name_map(sub, data); break;
                default: continue;
            }
            if (!sub.at_end()) Cursor::fail(sub.pos(), "trailing bytes in a name subsection");
        }
        if (module_name) m_.module_name = std::move(*module_name);
        merge(m_.function_names, std::move(functions));
        merge(m_.global_names, std::move(globals));
        merge(m_.data_names, std::move(data));
        for (auto& [index, names] : locals) m_.local_names.insert_or_assign(index, std::move(names));
    }

    static void merge(std::map<std::uint32_t, std::string>& into, std::map<std::uint32_t, std::string>&& from) {
        if (into.empty()) {
            into = std::move(from);
            return;
        }
        for (auto& [index, name] : from) into.insert_or_assign(index, std::move(name));
    }

    // tool-conventions ProducersSection.md: vec of fields (name, vec of
    // (name, version)).
    void producers_section(Cursor& c) {
        decltype(m_.producers) fields;
        const std::uint32_t n = c.count("the producers field count", 2);
        fields.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            std::pair<std::string, std::vector<std::pair<std::string, std::string>>> field;
            field.first = c.name("a producers field name");
            const std::uint32_t values = c.count("the producers value count", 2);
            field.second.reserve(values);
            for (std::uint32_t k = 0; k < values; ++k) {
                std::string tool = c.name("a producer name");
                std::string version = c.name("a producer version");
                field.second.emplace_back(std::move(tool), std::move(version));
            }
            fields.push_back(std::move(field));
        }
        if (!c.at_end()) Cursor::fail(c.pos(), "trailing bytes in the producers section");
        for (auto& f : fields) m_.producers.push_back(std::move(f));
    }

    // tool-conventions Linking.md "Target features section": vec of (prefix
    // byte, name); '+' used, '=' required (used), '-' disallowed.
    void target_features_section(Cursor& c) {
        std::vector<std::string> used;
        const std::uint32_t n = c.count("the target feature count", 2);
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::size_t at = c.pos();
            const std::uint8_t prefix = c.u8("a target feature prefix");
            std::string feature = c.name("a target feature name");
            if (prefix == '+' || prefix == '=') {
                used.push_back(std::move(feature));
            } else if (prefix != '-') {
                Cursor::fail(at, "unknown target feature prefix " + hex_byte(prefix));
            }
        }
        if (!c.at_end()) Cursor::fail(c.pos(), "trailing bytes in the target_features section");
        for (auto& f : used) m_.target_features.push_back(std::move(f));
    }

    // Waits until the bytes before `end` (capped at the end of the file) have arrived, when they are
    // still being read.
    void ready(std::size_t end) {
        if (end > ready_) ready_ = arriving_->arrived(end);
    }

    const std::uint8_t* data_;
    std::size_t size_;
    const FileBytes* arriving_ = nullptr;  // bytes still being read, or null
    const std::function<void(const Module&)>* after_code_ = nullptr;  // parse_file(path, bytes, after_code)
    std::size_t ready_ = 0;                // the bytes before it have arrived
    Module m_;
    std::string scope_;  // label of the section being read, for messages
    std::vector<std::uint32_t> function_types_;
    std::size_t function_section_offset_ = 0;
    std::uint32_t imported_functions_ = 0;
    std::uint32_t imported_tables_ = 0;
    std::uint32_t imported_memories_ = 0;
    std::uint32_t imported_globals_ = 0;
    std::uint32_t imported_tags_ = 0;
    std::optional<std::uint32_t> data_count_;
    bool have_code_ = false;
    bool have_data_ = false;
};

std::uint32_t count_imports(const std::vector<Import>& imports, ExternalKind kind) {
    std::uint32_t n = 0;
    for (const auto& imp : imports) n += imp.kind == kind ? 1 : 0;
    return n;
}

}  // namespace

std::uint32_t Module::imported_function_count() const { return count_imports(imports, ExternalKind::function); }
std::uint32_t Module::imported_table_count() const { return count_imports(imports, ExternalKind::table); }
std::uint32_t Module::imported_memory_count() const { return count_imports(imports, ExternalKind::memory); }
std::uint32_t Module::imported_global_count() const { return count_imports(imports, ExternalKind::global); }
std::uint32_t Module::imported_tag_count() const { return count_imports(imports, ExternalKind::tag); }

std::optional<Limits> Module::memory0() const {
    for (const auto& imp : imports) {
        if (imp.kind == ExternalKind::memory) return imp.limits;
    }
    if (!memories.empty()) return memories.front();
    return std::nullopt;
}

std::string Module::function_name(std::uint32_t index) const {
    if (const auto it = function_names.find(index); it != function_names.end()) return it->second;
    for (const auto& e : exports) {
        if (e.kind == ExternalKind::function && e.index == index) return e.name;
    }
    return "function[" + std::to_string(index) + "]";
}

std::size_t utf8_sequence_length(const std::uint8_t* p, std::size_t n) {
    const std::uint8_t c = p[0];
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
        len = 2, cp = c & 0x1Fu, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, cp = c & 0x0Fu, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, cp = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const std::uint8_t cc = p[k];
        if ((cc & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

Module parse(const std::uint8_t* data, std::size_t size) { return Parser(data, size).run(); }

// --- Files -----------------------------------------------------------------------

FileBytes::FileBytes() = default;

FileBytes::FileBytes(FileBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, false)),
      file_(std::exchange(other.file_, -1)),
      region_(std::exchange(other.region_, 0)),
      owned_(std::move(other.owned_)),
      arrival_(std::move(other.arrival_)) {}

FileBytes& FileBytes::operator=(FileBytes&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        mapped_ = std::exchange(other.mapped_, false);
        file_ = std::exchange(other.file_, -1);
        region_ = std::exchange(other.region_, 0);
        owned_ = std::move(other.owned_);
        arrival_ = std::move(other.arrival_);
    }
    return *this;
}

FileBytes::~FileBytes() { release(); }

namespace {

// The live FileBytes that release_read_pages() can let go: a mapping of a file (file -1), or a copy of
// `file` on huge pages.
struct Releasable {
    const std::uint8_t* start;
    std::size_t length;
    int file;
};
std::mutex releasable_mutex;
std::vector<Releasable> releasable;

constexpr std::uintptr_t huge_page = huge_page_bytes;
// The smallest file read into memory on huge pages rather than mapped. The copy is resident whole
// until its readers let it go, 2 MiB at a time, where a mapping holds only the pages read: on
// esbuild.wasm (12 MB) that took the peak from 1.8x to 2.1x the module's size
// (doc/helper-wasm-analyze.md, "Speed").
constexpr std::size_t huge_copy_threshold = std::size_t{16} << 20;

// "<path>: cannot read: <strerror>" (EIO for 0), or for -1 that the file became shorter while it was read.
std::runtime_error read_error(const std::string& path, int error) {
    if (error < 0) return std::runtime_error(path + ": cannot read: the file became shorter while it was read");
    return std::runtime_error(path + ": cannot read: " + std::strerror(error != 0 ? error : EIO));
}

}  // namespace

// The thread that copies a file to huge pages (read_file_bytes(path, true)), and how far it got.
struct FileBytes::Arrival {
    std::string path;                    // for messages
    std::atomic<std::size_t> done{0};    // the bytes before it are in
    std::mutex mutex;                    // over `done` changing, `error` and `stopped`
    std::condition_variable more;        // `done` grew, or the thread stopped
    int error = 0;                       // errno of a read that failed; -1: the file became shorter
    bool stopped = false;
    std::thread thread;

    [[nodiscard]] std::runtime_error failure() const { return read_error(path, error); }
};

std::size_t FileBytes::wait_for(std::size_t end) const {
    end = std::min(end, size_);
    Arrival& a = *arrival_;
    std::size_t done = a.done.load(std::memory_order_acquire);
    if (done >= end) return done;
    std::unique_lock<std::mutex> lock(a.mutex);
    a.more.wait(lock, [&a, end] { return a.done.load(std::memory_order_acquire) >= end || a.stopped; });
    done = a.done.load(std::memory_order_acquire);
    if (done < end) throw a.failure();
    return done;
}

void FileBytes::finish_reading() {
    if (arrival_ == nullptr) return;
    if (arrival_->thread.joinable()) arrival_->thread.join();
    if (arrival_->error != 0) throw arrival_->failure();
    arrival_.reset();
    (void)::mprotect(const_cast<std::uint8_t*>(data_), region_, PROT_READ);
}

std::size_t release_read_pages(const std::uint8_t* data, std::size_t size) noexcept {
    static const auto small_page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<std::uintptr_t>(data);
    // Under the lock, so that the bytes cannot go (and something else take their place) meanwhile.
    const std::lock_guard<std::mutex> lock(releasable_mutex);
    for (const auto& r : releasable) {
        const auto s = reinterpret_cast<std::uintptr_t>(r.start);
        if (begin < s || size > r.length || begin - s > r.length - size) continue;
        // The copy's region starts on a huge page, at the file's first byte.
        const std::uintptr_t page = r.file < 0 ? small_page : huge_page;
        const std::uintptr_t first = (begin + page - 1) / page * page, last = (begin + size) / page * page;
        if (first >= last) return 0;
        // A hint: if it fails, the pages just stay.
        if (r.file < 0) {
            (void)::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
        } else {
            (void)::mmap(reinterpret_cast<void*>(first), last - first, PROT_READ, MAP_PRIVATE | MAP_FIXED, r.file,
                         static_cast<off_t>(first - s));
        }
        return static_cast<std::size_t>(last - begin);
    }
    return size;
}

void FileBytes::release() {
    if (arrival_ != nullptr) {
        if (arrival_->thread.joinable()) arrival_->thread.join();  // before its pages go
        arrival_.reset();
    }
    if (mapped_ || file_ >= 0) {
        {
            const std::lock_guard<std::mutex> lock(releasable_mutex);
            for (auto it = releasable.begin(); it != releasable.end(); ++it) {
                if (it->start == data_) {
                    releasable.erase(it);
                    break;
                }
            }
        }
        ::munmap(const_cast<std::uint8_t*>(data_), file_ >= 0 ? region_ : size_);
        if (file_ >= 0) ::close(file_);
    }
    data_ = nullptr;
    size_ = 0;
    mapped_ = false;
    file_ = -1;
    region_ = 0;
    owned_.clear();
    owned_.shrink_to_fit();
}


namespace {

// Copies the `length` bytes of `file` to `bytes`, 2 MiB at a time, each in `arrival` (when not
// null) as soon as it is in. Returns 0, the errno of a read that failed, or -1 when the file ended
// before `length` bytes.
int copy_to(int file, std::uint8_t* bytes, std::size_t length, FileBytes::Arrival* arrival) {
    for (std::size_t used = 0; used < length;) {
        const std::size_t chunk = std::min<std::size_t>(length - used, huge_page);
        const ssize_t got = ::pread(file, bytes + used, chunk, static_cast<off_t>(used));
        if (got > 0) {
            used += static_cast<std::size_t>(got);
            if (arrival != nullptr) {
                {
                    const std::lock_guard<std::mutex> lock(arrival->mutex);
                    arrival->done.store(used, std::memory_order_release);
                }
                arrival->more.notify_all();
            }
            continue;
        }
        if (got < 0 && errno == EINTR) continue;
        return got < 0 ? errno : -1;
    }
    return 0;
}

}  // namespace

FileBytes read_file_bytes(const std::string& path, bool in_background) {
    struct Fd {
        int fd;
        ~Fd() {
            if (fd >= 0) ::close(fd);
        }
    };
    const Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) throw read_error(path, errno);
    struct stat st {};
    if (::fstat(file.fd, &st) != 0) throw read_error(path, errno);
    if (S_ISDIR(st.st_mode)) throw read_error(path, EISDIR);

    FileBytes out;
    // A large regular file is read into a region of its own on huge pages, aligned to one; the file
    // stays open for release_read_pages(). When the region cannot be had, the file is mapped.
    if (S_ISREG(st.st_mode) && static_cast<std::uintmax_t>(st.st_size) >= huge_copy_threshold &&
        static_cast<std::uintmax_t>(st.st_size) <= std::numeric_limits<std::size_t>::max() - 2 * huge_page &&
        transparent_huge_pages_on_request()) {
        const auto length = static_cast<std::size_t>(st.st_size);
        const std::size_t region = (length + huge_page - 1) / huge_page * huge_page;
        void* raw = ::mmap(nullptr, region + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw != MAP_FAILED) {
            const auto from = reinterpret_cast<std::uintptr_t>(raw);
            const std::uintptr_t start = (from + huge_page - 1) / huge_page * huge_page;
            // Of the huge page more than the region, what lies before the aligned start and after its end.
            if (start > from) ::munmap(raw, start - from);
            ::munmap(reinterpret_cast<void*>(start + region), from + huge_page - start);
            auto* bytes = reinterpret_cast<std::uint8_t*>(start);
            (void)::madvise(bytes, region, MADV_HUGEPAGE);
            const int copy_file = ::fcntl(file.fd, F_DUPFD_CLOEXEC, 0);
            if (copy_file >= 0) {
                out.data_ = bytes;
                out.size_ = length;
                out.region_ = region;
                out.file_ = copy_file;
                {
                    const std::lock_guard<std::mutex> lock(releasable_mutex);
                    releasable.push_back({out.data_, region, out.file_});
                }
                if (in_background) {
                    out.arrival_ = std::make_unique<FileBytes::Arrival>();
                    FileBytes::Arrival* a = out.arrival_.get();
                    a->path = path;
                    try {
                        a->thread = std::thread([a, copy_file, bytes, length] {
                            const int error = copy_to(copy_file, bytes, length, a);
                            {
                                const std::lock_guard<std::mutex> lock(a->mutex);
                                a->error = error;
                                a->stopped = true;
                            }
                            a->more.notify_all();
                        });
                        return out;
                    } catch (const std::system_error&) {
                        out.arrival_.reset();  // no thread: the copy is made here
                    }
                }
                const int error = copy_to(copy_file, bytes, length, nullptr);
                if (error != 0) {
                    out.release();
                    throw read_error(path, error);
                }
                (void)::mprotect(bytes, region, PROT_READ);
                return out;
            }
            ::munmap(bytes, region);
        }
    }
    // Another regular file is mapped. Its pages are not populated up front
    // (MAP_POPULATE): the kernel maps 64 KiB around each fault from the page
    // cache, as fast, and the inside of a large data segment that nothing
    // reads stays out of the resident set. An empty file is not mapped (mmap
    // refuses length 0); a refusal falls back to read().
    if (S_ISREG(st.st_mode) && st.st_size > 0 &&
        static_cast<std::uintmax_t>(st.st_size) <= std::numeric_limits<std::size_t>::max()) {
        const auto length = static_cast<std::size_t>(st.st_size);
        void* p = ::mmap(nullptr, length, PROT_READ, MAP_PRIVATE, file.fd, 0);
        if (p != MAP_FAILED) {
            out.data_ = static_cast<const std::uint8_t*>(p);
            out.size_ = length;
            out.mapped_ = true;
            const std::lock_guard<std::mutex> lock(releasable_mutex);
            releasable.push_back({out.data_, length, -1});
            return out;
        }
        out.owned_.reserve(length);
    }
    // Anything else (a pipe, a device): read until the end.
    constexpr std::size_t chunk = std::size_t{1} << 16;
    std::size_t used = 0;
    for (;;) {
        out.owned_.resize(used + chunk);
        const ssize_t got = ::read(file.fd, out.owned_.data() + used, chunk);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw read_error(path, errno);
        }
        if (got == 0) break;
        used += static_cast<std::size_t>(got);
    }
    out.owned_.resize(used);
    out.data_ = out.owned_.data();
    out.size_ = used;
    return out;
}

Module parse_file(const std::string& path, FileBytes& bytes, const std::function<void(const Module&)>& after_code) {
    Module module;
    try {
        module = Parser(bytes, after_code).run();
    } catch (const ParseError& e) {
        throw ParseError(e.offset, path + ": " + e.message);
    }
    bytes.finish_reading();
    return module;
}

MappedModule map_module(const std::string& path) {
    MappedModule loaded;
    // Parsed while it is read, on another core, behind the copy (read_file_bytes()).
    loaded.bytes = read_file_bytes(path, /*in_background=*/true);
    loaded.module = parse_file(path, loaded.bytes);
    return loaded;
}

Module read_file(const std::string& path) { return map_module(path).module; }

}  // namespace buildbudget::wasm
