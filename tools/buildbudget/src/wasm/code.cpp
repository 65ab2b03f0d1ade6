#include "wasm/code.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

namespace buildbudget::wasm {

namespace {

// What follows an opcode (core spec 2.0 §5.4 and the proposals in code.hpp).
enum class Imm : std::uint8_t {
    bad,          // not an opcode
    none,         // no immediate
    index,        // one u32: label, local, global, table, tag, memory index
    block,        // a block type: 0x40, a value type or an s33 type index
    memarg,       // align u32 (bit 6: a memory index follows), offset u64 (memory64)
    i32,          // s32
    i64,          // s64
    f32,          // 4 bytes
    f64,          // 8 bytes
    br_table,     // vec(label) label
    call,         // function index (call, return_call)
    indirect,     // type index, table index (call_indirect, return_call_indirect)
    select_t,     // vec(value type)
    ref_null,     // reference type byte
    ref_func,     // function index
    end,          // end of a block or of the body
    delegate,     // label; ends a try
    try_table,    // block type, vec(catch clause)
    prefix_fc,    // misc: saturating truncation, bulk memory, table instructions
    prefix_fd,    // SIMD
    prefix_fe,    // threads
};

constexpr std::array<Imm, 256> primary_table() {
    std::array<Imm, 256> t{};
    for (auto& x : t) x = Imm::bad;
    t[0x00] = t[0x01] = Imm::none;                                         // unreachable, nop
    t[0x02] = t[0x03] = t[0x04] = Imm::block;                              // block, loop, if
    t[0x05] = Imm::none;                                                   // else
    t[0x06] = Imm::block;                                                  // try (exception handling)
    t[0x07] = t[0x08] = t[0x09] = Imm::index;                              // catch, throw, rethrow
    t[0x0A] = Imm::none;                                                   // throw_ref
    t[0x0B] = Imm::end;
    t[0x0C] = t[0x0D] = Imm::index;                                        // br, br_if
    t[0x0E] = Imm::br_table;
    t[0x0F] = Imm::none;                                                   // return
    t[0x10] = t[0x12] = Imm::call;                                         // call, return_call
    t[0x11] = t[0x13] = Imm::indirect;                                     // call_indirect, return_call_indirect
    t[0x18] = Imm::delegate;
    t[0x19] = Imm::none;                                                   // catch_all
    t[0x1A] = t[0x1B] = Imm::none;                                         // drop, select
    t[0x1C] = Imm::select_t;
    t[0x1F] = Imm::try_table;
    for (int op = 0x20; op <= 0x26; ++op) t[op] = Imm::index;              // local.*, global.*, table.get/set
    for (int op = 0x28; op <= 0x3E; ++op) t[op] = Imm::memarg;             // loads and stores
    t[0x3F] = t[0x40] = Imm::index;                                        // memory.size, memory.grow
    t[0x41] = Imm::i32;
    t[0x42] = Imm::i64;
    t[0x43] = Imm::f32;
    t[0x44] = Imm::f64;
    for (int op = 0x45; op <= 0xC4; ++op) t[op] = Imm::none;               // numeric, sign extension
    t[0xD0] = Imm::ref_null;
    t[0xD1] = Imm::none;                                                   // ref.is_null
    t[0xD2] = Imm::ref_func;
    t[0xFC] = Imm::prefix_fc;
    t[0xFD] = Imm::prefix_fd;
    t[0xFE] = Imm::prefix_fe;
    return t;
}
constexpr std::array<Imm, 256> primary = primary_table();

// 0xFD sub-opcodes (the SIMD proposal's final opcode table, BinarySIMD.md;
// relaxed SIMD 0x100-0x113): 'm' memarg, 'l' memarg + lane byte, 'L' lane
// byte, 'c' 16 bytes (v128.const, i8x16.shuffle), '-' none, 0 not an opcode.
constexpr std::array<char, 0x114> simd_table() {
    std::array<char, 0x114> t{};
    for (auto& x : t) x = '-';
    for (int op = 0x00; op <= 0x0B; ++op) t[op] = 'm';
    t[0x0C] = t[0x0D] = 'c';
    for (int op = 0x15; op <= 0x22; ++op) t[op] = 'L';
    for (int op = 0x54; op <= 0x5B; ++op) t[op] = 'l';
    t[0x5C] = t[0x5D] = 'm';
    for (int op : {0x9A, 0xA2, 0xA5, 0xA6, 0xAF, 0xB0, 0xB2, 0xB3, 0xB4, 0xBB, 0xC2, 0xC5, 0xC6, 0xCF, 0xD0, 0xD2,
                   0xD3, 0xD4, 0xE2, 0xEE}) {
        t[op] = 0;
    }
    return t;
}
constexpr std::array<char, 0x114> simd = simd_table();

std::string hex(std::uint32_t v) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%02X", v);
    return text;
}

// The length of the LEB128 at p[pos] when it ends within 8 bytes (before `end`), else 0: the first
// byte without the continuation bit, found in one 64-bit load.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "short_leb() reads 8 bytes as a little-endian word");
inline unsigned short_leb(const std::uint8_t* p, std::size_t pos, std::size_t end) {
    if (end - pos < 8) return pos < end && p[pos] < 0x80 ? 1 : 0;
    std::uint64_t w;
    std::memcpy(&w, p + pos, 8);
    const std::uint64_t stops = ~w & 0x8080808080808080ULL;
    return stops == 0 ? 0 : static_cast<unsigned>(__builtin_ctzll(stops) >> 3) + 1;
}

inline std::uint64_t load64(const std::uint8_t* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
}

// One word into one lane of body_hash(): multiply, then fold the high half down.
inline std::uint64_t mix_word(std::uint64_t lane, std::uint64_t word, std::uint64_t k) {
    lane = (lane ^ word) * k;
    return lane ^ (lane >> 29);
}

bool is_value_type(std::uint8_t b) { return (b >= 0x7B && b <= 0x7F) || b == 0x70 || b == 0x6F; }

// Decodes one body. Offsets in messages are file offsets.
class Body {
public:
    // `what` and `index` name the body or segment in messages ("function 12"). The targets of
    // call, return_call and ref.func go to `targets`; with `seen` (one entry per function of the
    // index space), only those whose entry is not `mark` yet, which then becomes `mark`.
    Body(const std::uint8_t* base, std::size_t pos, std::size_t end, const char* what, std::uint32_t index,
         std::uint64_t functions, std::uint64_t types, std::vector<std::uint32_t>& targets,
         std::uint32_t* seen = nullptr, std::uint32_t mark = 0)
        : p_(base), pos_(pos), end_(end), what_(what), index_(index), functions_(functions), types_(types),
          out_(targets), seen_(seen), mark_(mark) {}

    [[nodiscard]] std::size_t pos() const { return pos_; }
    /// Instructions decoded so far (the body's final end included).
    [[nodiscard]] std::uint64_t instructions() const { return instructions_; }

    // A function body: its locals and instructions up to the final end, which
    // must be its last byte. Returns the number of call_indirect /
    // return_call_indirect instructions.
    std::uint64_t body() {
        locals();
        return instructions(false);
    }

    // A constant expression (element segment offsets and items): instructions
    // up to the end at depth 0.
    void expression() { instructions(true); }

    std::uint32_t u32(const char* what) {
        if (pos_ < end_ && p_[pos_] < 0x80) return p_[pos_++];
        return static_cast<std::uint32_t>(leb(5, 4, false, what));
    }

    std::uint8_t byte(const char* what) {
        if (pos_ >= end_) fail(pos_, std::string("unexpected end reading ") + what);
        return p_[pos_++];
    }

    [[noreturn, gnu::cold, gnu::noinline]] void fail(std::size_t at, const std::string& what) const {
        throw ParseError(at, std::string(what_) + " " + std::to_string(index_) + ": " + what);
    }

private:
    std::uint64_t instructions(bool expression) {
        std::uint64_t indirect = 0;
        std::uint64_t depth = 1;  // the body's own block
        // The position and the count live in locals, in registers: as members they went through
        // memory each instruction, a store and a load on the loop's critical path (perf annotate).
        // The switch's cases read pos_, so it is written back before them and read after.
        const std::uint8_t* const p = p_;
        const std::size_t end = end_;
        std::size_t pos = pos_;
        std::uint64_t count = 0;
        while (pos < end) {
            const std::size_t at = pos;
            const std::uint8_t op = p[pos++];
            ++count;
            const Imm kind = primary[op];
            // The common cases first, without the switch's indirect jump: no immediate, one index
            // or constant of one byte (local.get 3, br 0, i32.const 8), a memarg of two (i32.load 2 0).
            if (kind == Imm::none) continue;
            if ((kind == Imm::index || kind == Imm::i32) && pos < end && p[pos] < 0x80) {
                ++pos;
                continue;
            }
            if (kind == Imm::memarg && end - pos >= 2 && p[pos] < 0x40 && p[pos + 1] < 0x80) {
                pos += 2;
                continue;
            }
            // Longer ones (i32.const 1048576, an offset of 3 bytes), still without leb()'s loop: one
            // shorter than its maximum (5 bytes for a u32 or s32, 10 for a u64 offset) has no bits to
            // check (core spec §5.2.2); one of the maximum length goes to leb() for its last byte.
            if (kind == Imm::index || kind == Imm::i32) {
                const unsigned n = short_leb(p, pos, end);
                if (n != 0 && n < 5) {
                    pos += n;
                    continue;
                }
            } else if (kind == Imm::memarg && pos < end && p[pos] < 0x40) {
                const unsigned n = short_leb(p, pos + 1, end);
                if (n != 0 && n < 10) {
                    pos += 1 + n;
                    continue;
                }
            }
            pos_ = pos;
            switch (kind) {
                case Imm::none: break;
                case Imm::index: u32("an index"); break;
                case Imm::block:
                    block_type(at);
                    ++depth;
                    break;
                case Imm::memarg: memarg(); break;
                case Imm::i32: skip_leb(5, 4, true, "an i32 constant"); break;
                case Imm::i64: skip_leb(10, 1, true, "an i64 constant"); break;
                case Imm::f32: skip(4, "an f32 constant"); break;
                case Imm::f64: skip(8, "an f64 constant"); break;
                case Imm::br_table: {
                    const std::uint64_t n = u32("the label count of br_table");
                    if (n > end_ - pos_) fail(at, "br_table has " + std::to_string(n) + " labels, more than the bytes left");
                    for (std::uint64_t k = 0; k <= n; ++k) u32("a br_table label");
                    break;
                }
                case Imm::call:
                case Imm::ref_func: {
                    const std::size_t index_at = pos_;
                    const std::uint32_t target = u32("a function index");
                    if (target >= functions_) {
                        fail(index_at, std::string(op == 0xD2 ? "ref.func" : op == 0x10 ? "call" : "return_call") +
                                           " of function " + std::to_string(target) + ", but the module has " +
                                           std::to_string(functions_) + " functions");
                    }
                    if (seen_ == nullptr) {
                        out_.push_back(target);
                    } else if (seen_[target] != mark_) {
                        seen_[target] = mark_;
                        out_.push_back(target);
                    }
                    break;
                }
                case Imm::indirect: {
                    const std::size_t type_at = pos_;
                    const std::uint32_t type = u32("a type index");
                    if (type >= types_) {
                        fail(type_at, "call_indirect of type " + std::to_string(type) + ", but the module has " +
                                          std::to_string(types_) + " types");
                    }
                    u32("a table index");
                    ++indirect;
                    break;
                }
                case Imm::select_t: {
                    const std::uint64_t n = u32("the type count of select");
                    if (n > end_ - pos_) fail(at, "select has " + std::to_string(n) + " types, more than the bytes left");
                    for (std::uint64_t k = 0; k < n; ++k) value_type("a select type");
                    break;
                }
                case Imm::ref_null: {
                    const std::size_t type_at = pos_;
                    const std::uint8_t t = byte("the type of ref.null");
                    if (t != 0x70 && t != 0x6F) {
                        fail(type_at, "unknown reference type " + hex(t) + " (ref.null; expected funcref 0x70 or "
                                                                            "externref 0x6F)");
                    }
                    break;
                }
                case Imm::end:
                case Imm::delegate:
                    if (primary[op] == Imm::delegate) u32("a delegate label");
                    if (--depth == 0) {
                        if (expression) {
                            instructions_ += count;
                            return indirect;
                        }
                        if (pos_ != end_) {
                            fail(pos_, "the body's final end is followed by " + std::to_string(end_ - pos_) + " bytes");
                        }
                    }
                    break;
                case Imm::try_table: {
                    block_type(at);
                    ++depth;
                    const std::uint64_t n = u32("the catch count of try_table");
                    if (n > end_ - pos_) fail(at, "try_table has " + std::to_string(n) + " catches, more than the bytes left");
                    for (std::uint64_t k = 0; k < n; ++k) {
                        const std::size_t kind_at = pos_;
                        const std::uint8_t kind = byte("a catch kind");
                        if (kind > 3) fail(kind_at, "unknown catch kind " + hex(kind) + " in try_table");
                        if (kind < 2) u32("a tag index");
                        u32("a catch label");
                    }
                    break;
                }
                case Imm::prefix_fc: prefix_fc(at); break;
                case Imm::prefix_fd: prefix_fd(at); break;
                case Imm::prefix_fe: prefix_fe(at); break;
                case Imm::bad: fail(at, "unknown opcode " + hex(op));
            }
            pos = pos_;
        }
        pos_ = pos;
        instructions_ += count;
        if (expression) fail(end_, "unexpected end reading an expression (missing end)");
        if (depth != 0) {
            fail(end_, "the body ends inside " +
                           (depth == 1 ? std::string("an unclosed block") : std::to_string(depth) + " unclosed blocks") +
                           " (missing end)");
        }
        return indirect;
    }


    void skip(std::size_t n, const char* what) {
        if (n > end_ - pos_) fail(pos_, std::string("unexpected end reading ") + what);
        pos_ += n;
    }

    // LEB128 (core spec §5.2.2) of at most `max_bytes`; the last byte may
    // carry `last_bits` value bits, the rest zero (unsigned) or copies of the
    // sign bit (signed). Returns the value (sign-extended to 64 bits when signed).
    // An LEB128 whose value is not needed: one byte inline (most immediates), else leb().
    void skip_leb(unsigned max_bytes, unsigned last_bits, bool is_signed, const char* what) {
        if (pos_ < end_ && p_[pos_] < 0x80) {
            ++pos_;
            return;
        }
        leb(max_bytes, last_bits, is_signed, what);
    }

    [[gnu::noinline]] std::uint64_t leb(unsigned max_bytes, unsigned last_bits, bool is_signed, const char* what) {
        if (pos_ < end_ && p_[pos_] < 0x80) {  // one byte
            const std::uint8_t b = p_[pos_++];
            return is_signed && (b & 0x40) != 0 ? b | ~std::uint64_t{0x7F} : b;
        }
        const std::size_t start = pos_;
        std::uint64_t value = 0;
        for (unsigned i = 0;; ++i) {
            if (pos_ >= end_) fail(start, std::string("unexpected end reading ") + what);
            const std::uint8_t b = p_[pos_++];
            if (i + 1 == max_bytes) {
                const unsigned rest = is_signed ? static_cast<unsigned>(b) >> (last_bits - 1) : b >> last_bits;
                const unsigned ok = is_signed ? (0x7Fu >> (last_bits - 1)) : 0;
                if ((b & 0x80) != 0 || (rest != 0 && rest != ok)) {
                    fail(start, std::string("bad LEB128 reading ") + what +
                                    ((b & 0x80) != 0 ? ": longer than " + std::to_string(max_bytes) + " bytes"
                                                     : ": value out of range"));
                }
                value |= std::uint64_t{b & 0x7Fu} << (7 * i);
                if (is_signed && (b & 0x40) != 0 && 7 * (i + 1) < 64) value |= ~std::uint64_t{0} << (7 * (i + 1));
                return value;
            }
            value |= std::uint64_t{b & 0x7Fu} << (7 * i);
            if ((b & 0x80) == 0) {
                if (is_signed && (b & 0x40) != 0) value |= ~std::uint64_t{0} << (7 * (i + 1));
                return value;
            }
        }
    }

    void value_type(const char* what) {
        const std::size_t at = pos_;
        const std::uint8_t t = byte(what);
        if (!is_value_type(t)) fail(at, "unknown value type " + hex(t) + " (" + what + ")");
    }

    // §5.5.13: vec(count, value type).
    void locals() {
        const std::uint64_t n = u32("the local declaration count");
        if (n > (end_ - pos_) / 2) fail(pos_, "local declaration count " + std::to_string(n) + " is larger than the body");
        for (std::uint64_t k = 0; k < n; ++k) {
            u32("a local count");
            value_type("a local type");
        }
    }

    // §5.4.1 blocktype: 0x40 (empty), a value type, or an s33 type index.
    void block_type(std::size_t at) {
        if (pos_ >= end_) fail(at, "unexpected end reading a block type");
        const std::uint8_t b = p_[pos_];
        if (b == 0x40 || is_value_type(b)) {
            ++pos_;
            return;
        }
        const std::size_t index_at = pos_;
        const auto value = static_cast<std::int64_t>(leb(5, 5, true, "a block type"));
        if (value < 0) fail(index_at, "unknown block type " + hex(b));
        if (static_cast<std::uint64_t>(value) >= types_) {
            fail(index_at, "block type " + std::to_string(value) + " is out of range (the module has " +
                               std::to_string(types_) + " types)");
        }
    }

    // §5.4.6 memarg; multi-memory sets bit 6 of the alignment for a memory
    // index; memory64 offsets are u64.
    void memarg() {
        const std::uint32_t align = u32("a memory alignment");
        if (align & 0x40) u32("a memory index");
        skip_leb(10, 1, false, "a memory offset");
    }

    // §5.4.7 (saturating truncation 0-7), §5.4.6 and §5.4.5 (bulk memory and tables 8-17).
    void prefix_fc(std::size_t at) {
        const std::uint32_t sub = u32("a 0xFC sub-opcode");
        switch (sub) {
            case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: break;
            case 8: u32("a data index"); u32("a memory index"); break;      // memory.init
            case 9: u32("a data index"); break;                             // data.drop
            case 10: u32("a memory index"); u32("a memory index"); break;   // memory.copy
            case 11: u32("a memory index"); break;                          // memory.fill
            case 12: u32("an element index"); u32("a table index"); break;  // table.init
            case 13: u32("an element index"); break;                        // elem.drop
            case 14: u32("a table index"); u32("a table index"); break;     // table.copy
            case 15: case 16: case 17: u32("a table index"); break;         // table.grow, size, fill
            default: fail(at, "unknown opcode 0xFC " + std::to_string(sub));
        }
    }

    void prefix_fd(std::size_t at) {
        const std::uint32_t sub = u32("a 0xFD sub-opcode");
        const char kind = sub < simd.size() ? simd[sub] : 0;
        switch (kind) {
            case '-': break;
            case 'm': memarg(); break;
            case 'l': memarg(); skip(1, "a lane index"); break;
            case 'L': skip(1, "a lane index"); break;
            case 'c': skip(16, "16 immediate bytes"); break;
            default: fail(at, "unknown opcode 0xFD " + std::to_string(sub));
        }
    }

    // Threads proposal: 0 notify, 1-2 wait, 3 fence (one 0x00 byte), 0x10-0x4E atomic loads, stores and rmw.
    void prefix_fe(std::size_t at) {
        const std::uint32_t sub = u32("a 0xFE sub-opcode");
        if (sub <= 2 || (sub >= 0x10 && sub <= 0x4E)) {
            memarg();
        } else if (sub == 3) {
            const std::size_t fence_at = pos_;
            if (byte("the atomic.fence flags") != 0) fail(fence_at, "atomic.fence flags must be 0x00");
        } else {
            fail(at, "unknown opcode 0xFE " + std::to_string(sub));
        }
    }

    const std::uint8_t* p_;
    std::size_t pos_, end_;
    const char* what_;
    std::uint32_t index_;
    std::uint64_t functions_, types_;
    std::vector<std::uint32_t>& out_;
    std::uint32_t* seen_;
    std::uint32_t mark_;
    std::uint64_t instructions_ = 0;
};

// The bodies are decoded in runs of consecutive bodies of this many bytes or more (the last run can
// be less), which the decoding threads take as each becomes free, those of twice this size or more
// first, largest first: on ort's 28 MB of code, the run with its 1.6 MB function goes first, and no
// thread is left with a long tail.
constexpr std::uint64_t run_bytes = std::uint64_t{256} << 10;

struct Span {
    std::uint64_t offset, size;  // the body in the file
    std::uint32_t index;         // function index
};

struct Run {
    std::size_t first = 0, last = 0;  // defined functions [first, last)
    std::uint64_t bytes = 0;
    std::vector<std::uint32_t> offsets, targets;
    std::vector<std::uint8_t> indirect;
    std::vector<std::uint64_t> hashes;
    std::vector<std::uint8_t> same_as_first;
    std::uint64_t sites = 0, instructions = 0;
    std::exception_ptr error;
};

}  // namespace

struct CodeDecoding::State {
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;
    std::uint64_t functions = 0, types = 0;
    std::vector<Span> bodies;            // copied: the module may change while the threads run
    std::vector<Run> runs;               // file order
    std::vector<std::size_t> order;      // positions in runs: the long ones, largest first, then file order
    std::atomic<std::size_t> next{0};    // in order
    // The bodies of the runs decoded leave the resident set (ReleaseBehind, reader.hpp), so that
    // decoding them does not add their bytes to the peak memory: up to the first run not done yet.
    // (Per run, 256 KiB, they would never cover a whole 2 MiB page of a FileBytes on huge pages.)
    std::mutex done_mutex;
    std::vector<std::uint8_t> done;      // per run
    std::size_t frontier = 0;            // the first run not done
    std::optional<ReleaseBehind> behind;
    // The first body of each size and hash (CodeRefs::same_as_first): open addressing, a power of
    // two of at least twice the bodies, without a lock. A slot holds the body's position + 1 in its
    // low 24 bits (0: empty) and the hash's high 40 bits above them, written once by a
    // compare-and-swap. Two bodies whose hashes agree in those bits and whose sizes are equal are
    // compared; a false match only makes the later body 0 (a collision), never a wrong group.
    static constexpr unsigned position_bits = 24;
    static constexpr std::uint64_t position_mask = (std::uint64_t{1} << position_bits) - 1;
    std::vector<std::atomic<std::uint64_t>> firsts;

    void decode(Run& r, std::vector<std::uint32_t>& seen);
    // CodeRefs::same_as_first of the body at `position` (in `bodies`), whose hash is `hash`.
    std::uint8_t same_as_first(std::size_t position, std::uint64_t hash) {
        if (firsts.empty()) return 0;  // more bodies than a slot can name
        const Span& body = bodies[position];
        const std::uint64_t mine = (hash & ~position_mask) | (position + 1);
        const std::size_t mask = firsts.size() - 1;
        for (std::size_t slot = static_cast<std::size_t>(hash) & mask;; slot = (slot + 1) & mask) {
            std::uint64_t held = firsts[slot].load(std::memory_order_relaxed);
            if (held == 0) {
                if (firsts[slot].compare_exchange_strong(held, mine, std::memory_order_relaxed)) return 1;
                // Another thread took the slot meanwhile: `held` is its entry.
            }
            if ((held & ~position_mask) != (hash & ~position_mask)) continue;
            const Span& first = bodies[(held & position_mask) - 1];
            if (first.size != body.size) continue;
            // In place: the first one's pages may have left the resident set, and come back once.
            return std::memcmp(data + first.offset, data + body.offset, static_cast<std::size_t>(body.size)) == 0 ? 1 : 0;
        }
    }
    void completed(std::size_t run) {
        const std::lock_guard<std::mutex> lock(done_mutex);
        done[run] = 1;
        while (frontier < runs.size() && done[frontier] != 0) ++frontier;
        if (frontier < runs.size()) {
            behind->advance(bodies[runs[frontier].first].offset);
        } else {
            const Span& last = bodies.back();
            behind->finish(last.offset + last.size);
        }
    }
    // Takes runs until none is left.
    void work() {
        // Each body's targets without repeats: a mark per function, the body's position (so one
        // array serves every run this thread takes).
        std::vector<std::uint32_t> seen;
        for (std::size_t k = next++; k < order.size(); k = next++) {
            decode(runs[order[k]], seen);
            completed(order[k]);
        }
    }
};

void CodeDecoding::State::decode(Run& r, std::vector<std::uint32_t>& seen) {
    try {
        if (seen.empty()) seen.assign(functions, std::numeric_limits<std::uint32_t>::max());
        for (std::size_t i = r.first; i < r.last; ++i) {
            const Span& f = bodies[i];
            if (f.offset + f.size > size) throw ParseError(f.offset, "function body outside the file");
            // Hashed first, so that the slot of the table of first bodies it needs is fetched
            // into the cache while the body is decoded.
            const std::uint64_t hash = body_hash(data + f.offset, static_cast<std::size_t>(f.size));
            if (!firsts.empty()) __builtin_prefetch(&firsts[static_cast<std::size_t>(hash) & (firsts.size() - 1)]);
            r.offsets.push_back(static_cast<std::uint32_t>(r.targets.size()));
            Body body(data, static_cast<std::size_t>(f.offset), static_cast<std::size_t>(f.offset + f.size), "function",
                      f.index, functions, types, r.targets, seen.data(), static_cast<std::uint32_t>(i));
            const std::uint64_t sites = body.body();
            r.instructions += body.instructions();
            r.indirect.push_back(sites != 0 ? 1 : 0);
            r.sites += sites;
            r.hashes.push_back(hash);
            r.same_as_first.push_back(same_as_first(i, hash));
        }
    } catch (...) {
        r.error = std::current_exception();
    }
}

CodeDecoding::CodeDecoding(const std::uint8_t* data, std::size_t size, const Module& module, unsigned workers)
    : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.data = data;
    s.size = size;
    s.functions = std::uint64_t{module.imported_function_count()} + module.functions.size();
    s.types = module.types.size();
    s.bodies.reserve(module.functions.size());
    for (const auto& f : module.functions) s.bodies.push_back({f.body_offset, f.body_size, f.index});
    for (std::size_t i = 0; i < s.bodies.size();) {
        Run r;
        r.first = i;
        while (i < s.bodies.size() && (i == r.first || r.bytes < run_bytes)) r.bytes += s.bodies[i++].size;
        r.last = i;
        // The run's vectors of one entry per body are made here, so that their memory comes from
        // this thread's heap (prepared for huge pages, common/heap.hpp) and not from the new heap
        // of the thread that fills them, 4 KiB page faults at a time (doc/helper-wasm-analyze.md,
        // "Speed"). The targets, whose number is not known, grow there: reserved here, what they
        // do not use would be resident too, a huge page at a time.
        const std::size_t bodies = r.last - r.first;
        r.offsets.reserve(bodies);
        r.indirect.reserve(bodies);
        r.hashes.reserve(bodies);
        r.same_as_first.reserve(bodies);
        s.runs.push_back(std::move(r));
    }
    s.done.assign(s.runs.size(), 0);
    if (s.bodies.size() < State::position_mask) {
        std::size_t slots = 1;
        while (slots < 2 * s.bodies.size()) slots *= 2;
        s.firsts = std::vector<std::atomic<std::uint64_t>>(slots);  // zeroed (value-initialised)
    }
    if (!s.bodies.empty()) s.behind.emplace(data, s.bodies.front().offset);
    s.order.resize(s.runs.size());
    for (std::size_t k = 0; k < s.order.size(); ++k) s.order[k] = k;
    // The runs of a long body first, largest first; the rest in file order, so that the bodies
    // behind the first run not done can leave the resident set as the threads go.
    const auto long_run = [&](std::size_t k) { return s.runs[k].bytes >= 2 * run_bytes ? s.runs[k].bytes : 0; };
    std::stable_sort(s.order.begin(), s.order.end(), [&](std::size_t x, std::size_t y) { return long_run(x) > long_run(y); });
    workers = static_cast<unsigned>(std::min<std::size_t>(workers, s.runs.size()));
    try {
        for (unsigned w = 0; w < workers; ++w) workers_.emplace_back([&s] { s.work(); });
    } catch (const std::system_error&) {
        // Fewer threads than asked: finish() decodes what the others would have.
    }
}

CodeDecoding::~CodeDecoding() {
    if (state_) state_->next = state_->order.size();  // the runs not started are left
    for (auto& w : workers_) {
        if (w.joinable()) w.join();
    }
}

CodeRefs CodeDecoding::finish() {
    State& s = *state_;
    s.work();
    for (auto& w : workers_) w.join();
    workers_.clear();
    for (const auto& r : s.runs) {
        if (r.error) std::rethrow_exception(r.error);  // the first run's error: the lowest offset
    }
    // The comparisons with first bodies (same_as_first()) faulted some of the pages let go back in,
    // and where the page cache holds the file in large folios each fault maps a whole folio: 17 MB
    // on duckdb-mvp.wasm freshly written, the peak 73 -> 86 MB. All the code is let go again.
    if (!s.bodies.empty()) {
        const Span& last = s.bodies.back();
        const std::uint64_t first = s.bodies.front().offset;
        (void)release_read_pages(s.data + first, static_cast<std::size_t>(last.offset + last.size - first));
    }
    CodeRefs out;
    std::size_t targets = 0;
    for (const auto& r : s.runs) targets += r.targets.size();
    out.offsets.reserve(s.bodies.size() + 1);
    out.targets.reserve(targets);
    out.indirect.reserve(s.bodies.size());
    out.body_hashes.reserve(s.bodies.size());
    out.same_as_first.reserve(s.bodies.size());
    std::vector<std::atomic<std::uint64_t>>().swap(s.firsts);
    for (auto& r : s.runs) {
        const auto base = static_cast<std::uint32_t>(out.targets.size());
        for (const std::uint32_t o : r.offsets) out.offsets.push_back(base + o);
        out.targets.insert(out.targets.end(), r.targets.begin(), r.targets.end());
        out.indirect.insert(out.indirect.end(), r.indirect.begin(), r.indirect.end());
        out.body_hashes.insert(out.body_hashes.end(), r.hashes.begin(), r.hashes.end());
        out.same_as_first.insert(out.same_as_first.end(), r.same_as_first.begin(), r.same_as_first.end());
        out.indirect_sites += r.sites;
        out.instructions += r.instructions;
        r = Run();  // its memory goes at once
    }
    out.offsets.push_back(static_cast<std::uint32_t>(out.targets.size()));
    return out;
}

std::uint64_t body_hash(const std::uint8_t* data, std::size_t size) noexcept {
    // xxHash64's primes 1, 2, 3 and 5 (XXH64 in xxhash.h), one per lane.
    constexpr std::uint64_t k0 = 0x9E3779B185EBCA87ULL, k1 = 0xC2B2AE3D27D4EB4FULL, k2 = 0x165667B19E3779F9ULL,
                            k3 = 0x27D4EB2F165667C5ULL;
    std::uint64_t a = k1 ^ size, b = k2, c = k3, d = k0;
    std::size_t i = 0;
    for (; size - i >= 32; i += 32) {
        a = mix_word(a, load64(data + i), k0);
        b = mix_word(b, load64(data + i + 8), k1);
        c = mix_word(c, load64(data + i + 16), k2);
        d = mix_word(d, load64(data + i + 24), k3);
    }
    for (; size - i >= 8; i += 8) a = mix_word(a, load64(data + i), k0);
    if (i < size) {
        std::uint64_t tail = 0;
        std::memcpy(&tail, data + i, size - i);
        b = mix_word(b, tail, k1);
    }
    std::uint64_t h = a ^ ((b << 17) | (b >> 47)) ^ ((c << 31) | (c >> 33)) ^ ((d << 47) | (d >> 17));
    // MurmurHash3's fmix64.
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    return h ^ (h >> 33);
}

std::vector<ElementRefs> decode_elements(const std::uint8_t* data, std::size_t size, const Module& module) {
    std::vector<ElementRefs> out;
    const Section* section = nullptr;
    for (const auto& s : module.sections) {
        if (s.id == 9) section = &s;
    }
    if (section == nullptr) return out;
    const std::size_t begin = static_cast<std::size_t>(section->payload_offset);
    const std::size_t end = static_cast<std::size_t>(section->payload_offset + section->size);
    if (end > size) throw ParseError(begin, "the element section runs past the end of the file");
    const std::uint64_t functions = std::uint64_t{module.imported_function_count()} + module.functions.size();
    std::vector<std::uint32_t> scratch;
    Body header(data, begin, end, "the element section", 0, functions, module.types.size(), scratch);
    const std::uint32_t n = header.u32("the element segment count");
    std::size_t pos = header.pos();
    for (std::uint32_t i = 0; i < n; ++i) {
        ElementRefs e;
        Body c(data, pos, end, "element segment", i, functions, module.types.size(), e.functions);
        const std::size_t flags_at = c.pos();
        const std::uint32_t flags = c.u32("element segment flags");
        if (flags > 7) c.fail(flags_at, "unknown element segment form " + std::to_string(flags));
        e.mode = (flags & 1) == 0 ? ElementRefs::Mode::active
                 : (flags & 2) == 0 ? ElementRefs::Mode::passive
                                    : ElementRefs::Mode::declarative;
        if (e.mode == ElementRefs::Mode::active) {
            if (flags & 2) c.u32("a table index");
            c.expression();
            e.functions.clear();  // a ref.func in the offset is not an item
        }
        if ((flags & 3) != 0) c.byte(flags & 4 ? "a reference type" : "an element kind");
        const std::uint32_t items = c.u32("the element count");
        if (items > end - c.pos()) c.fail(c.pos(), "element count " + std::to_string(items) + " is larger than the section");
        e.functions.reserve(items);
        for (std::uint32_t k = 0; k < items; ++k) {
            if (flags & 4) {
                c.expression();  // ref.func f (collected) or ref.null t
            } else {
                const std::size_t index_at = c.pos();
                const std::uint32_t f = c.u32("a function index");
                if (f >= functions) {
                    c.fail(index_at, "function " + std::to_string(f) + " is out of range (the module has " +
                                         std::to_string(functions) + " functions)");
                }
                e.functions.push_back(f);
            }
        }
        pos = c.pos();
        out.push_back(std::move(e));
    }
    return out;
}

CodeRefs decode_code(const std::uint8_t* data, std::size_t size, const Module& module, unsigned threads) {
    CodeDecoding decoding(data, size, module, std::max(1U, threads) - 1);
    return decoding.finish();
}

}  // namespace buildbudget::wasm
