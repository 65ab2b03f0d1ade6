#include "wasm/features.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string_view>

namespace buildbudget::wasm {
namespace {

constexpr std::uint8_t end_opcode = 0x0B;

std::string hex(unsigned value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%02X", value);
    return text;
}

/// Ends the scan of one function body or segment: `offset` is where, `what` why.
struct Stop {
    std::size_t offset;
    std::string what;
};

/// Bounds-checked reading of [pos, end) of the file. LEB128 values are read
/// leniently (the reader has validated the module's structure; here only
/// instruction immediates are skipped), but never past `end`.
class Cursor {
public:
    Cursor(const std::uint8_t* data, std::size_t pos, std::size_t end) : data_(data), pos_(pos), end_(end) {}

    [[nodiscard]] std::size_t pos() const { return pos_; }
    [[nodiscard]] bool at_end() const { return pos_ >= end_; }

    std::uint8_t u8() {
        if (pos_ >= end_) throw Stop{pos_, "unexpected end of the body"};
        return data_[pos_++];
    }
    [[nodiscard]] std::uint8_t peek() const {
        if (pos_ >= end_) throw Stop{pos_, "unexpected end of the body"};
        return data_[pos_];
    }
    void skip(std::size_t n) {
        if (end_ - pos_ < n) throw Stop{pos_, "unexpected end of the body"};
        pos_ += n;
    }
    /// Unsigned LEB128 of at most `max_bytes` bytes (5 for u32, 10 for u64).
    std::uint64_t uleb(unsigned max_bytes = 10) {
        const std::size_t at = pos_;
        std::uint64_t value = 0;
        for (unsigned i = 0; i < max_bytes; ++i) {
            const std::uint8_t b = u8();
            if (i < 10) value |= static_cast<std::uint64_t>(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return value;
        }
        throw Stop{at, "over-long LEB128 number"};
    }
    std::uint32_t u32() { return static_cast<std::uint32_t>(uleb(5)); }
    /// Signed LEB128 of at most `max_bytes` bytes (5 for s33/s32, 10 for s64).
    std::int64_t sleb(unsigned max_bytes = 10) {
        const std::size_t at = pos_;
        std::uint64_t value = 0;
        unsigned shift = 0;
        for (unsigned i = 0; i < max_bytes; ++i) {
            const std::uint8_t b = u8();
            if (shift < 64) value |= static_cast<std::uint64_t>(b & 0x7F) << shift;
            shift += 7;
            if ((b & 0x80) == 0) {
                if (shift < 64 && (b & 0x40) != 0) value |= ~std::uint64_t{0} << shift;
                return static_cast<std::int64_t>(value);
            }
        }
        throw Stop{at, "over-long LEB128 number"};
    }

private:
    const std::uint8_t* data_;
    std::size_t pos_;
    std::size_t end_;
};

/// Collects the features found, each with its first evidence.
class Scan {
public:
    Scan(const std::vector<std::uint8_t>& bytes, const Module& m) : bytes_(bytes), m_(m) {}

    FeatureScan run() {
        for (const auto& f : m_.target_features) use(f.c_str(), "target_features section");
        structure();
        element_section();
        code();
        FeatureScan out;
        for (auto& [name, evidence] : found_) out.used.push_back({name, std::move(evidence)});
        out.notes = std::move(notes_);
        return out;
    }

private:
    void use(const char* feature, const std::string& evidence) { found_.emplace(feature, evidence); }
    [[nodiscard]] bool known(const char* feature) const { return found_.count(feature) != 0; }

    // --- What the module's sections show ---------------------------------------

    void value_type(ValueType t, const std::string& where) {
        if (t == ValueType::v128 && !known("simd128")) use("simd128", "v128 " + where);
        // Core 2.0 allows funcref only as a table's element type: as a value it needs reference types.
        if ((t == ValueType::externref || t == ValueType::funcref) && !known("reference-types")) {
            use("reference-types", std::string(to_string(t)) + " " + where);
        }
    }

    void memory(const Limits& l, const std::string& which) {
        if (l.shared && !known("atomics")) use("atomics", "shared " + which);
        if (l.is64 && !known("memory64")) use("memory64", "64-bit " + which);
    }

    void structure() {
        for (std::size_t i = 0; i < m_.types.size(); ++i) {
            const auto& t = m_.types[i];
            const std::string where = "in function type " + std::to_string(i);
            if (t.results.size() > 1 && !known("multivalue")) {
                use("multivalue", "function type " + std::to_string(i) + " has " + std::to_string(t.results.size()) +
                                      " results");
            }
            for (ValueType v : t.params) value_type(v, where);
            for (ValueType v : t.results) value_type(v, where);
        }
        std::size_t memories = m_.memories.size();
        std::size_t tables = m_.tables.size();
        for (const auto& imp : m_.imports) {
            const std::string which = "imported " + std::string(to_string(imp.kind)) + " " + imp.module + "." + imp.name;
            switch (imp.kind) {
                case ExternalKind::memory:
                    ++memories;
                    memory(imp.limits, which);
                    break;
                case ExternalKind::table: ++tables; break;
                case ExternalKind::global:
                    if (imp.global_mutable && !known("mutable-globals")) use("mutable-globals", "mutable " + which);
                    value_type(imp.global_type, which);
                    break;
                case ExternalKind::tag:
                    if (!known("exception-handling")) use("exception-handling", which);
                    break;
                case ExternalKind::function: break;
            }
        }
        for (std::size_t i = 0; i < m_.memories.size(); ++i) memory(m_.memories[i], "memory " + std::to_string(i));
        if (memories > 1) use("multimemory", std::to_string(memories) + " memories");
        if (tables > 1) use("reference-types", std::to_string(tables) + " tables");
        if (!m_.tags.empty()) use("exception-handling", "tag section");
        const std::uint32_t imported_globals = m_.imported_global_count();
        for (std::size_t i = 0; i < m_.globals.size(); ++i) {
            const auto& g = m_.globals[i];
            const std::string which = "global " + std::to_string(imported_globals + i);
            value_type(g.type, which);
            if (g.init.kind == ConstExpr::Kind::other && !known("extended-const")) {
                use("extended-const", "the initialiser of " + which + " is an extended constant expression");
            }
            if ((g.init.kind == ConstExpr::Kind::ref_null || g.init.kind == ConstExpr::Kind::ref_func) &&
                !known("reference-types")) {
                use("reference-types", "the initialiser of " + which + " is a reference");
            }
        }
        for (const auto& e : m_.exports) {
            if (e.kind == ExternalKind::tag && !known("exception-handling")) use("exception-handling", "exported tag " + e.name);
            if (e.kind != ExternalKind::global || known("mutable-globals")) continue;
            bool is_mutable = false;
            if (e.index < imported_globals) {
                std::uint32_t k = 0;
                for (const auto& imp : m_.imports) {
                    if (imp.kind != ExternalKind::global) continue;
                    if (k++ == e.index) is_mutable = imp.global_mutable;
                }
            } else if (e.index - imported_globals < m_.globals.size()) {
                is_mutable = m_.globals[e.index - imported_globals].is_mutable;
            }
            if (is_mutable) use("mutable-globals", "exported mutable global " + e.name);
        }
        for (const auto& s : m_.sections) {
            if (s.id == 12 && !known("bulk-memory")) {
                use("bulk-memory", "datacount section at byte offset " + std::to_string(s.offset));
            }
        }
        for (std::size_t i = 0; i < m_.data.size(); ++i) {
            const auto& d = m_.data[i];
            if (d.passive && !known("bulk-memory")) use("bulk-memory", "passive data segment " + std::to_string(i));
            if (d.memory_index != 0 && !known("multimemory")) {
                use("multimemory", "data segment " + std::to_string(i) + " of memory " + std::to_string(d.memory_index));
            }
        }
    }

    // --- Instructions ---------------------------------------------------------

    /// Records `feature` with "<what> at byte offset <at> in <where_>" when it is new.
    void op(const char* feature, std::string_view what, std::size_t at) {
        if (!known(feature)) use(feature, std::string(what) + " at byte offset " + std::to_string(at) + " in " + where_);
    }

    void block_type(Cursor& c) {
        const std::size_t at = c.pos();
        const std::uint8_t b = c.peek();
        switch (b) {
            case 0x40:
            case 0x7F:
            case 0x7E:
            case 0x7D:
            case 0x7C: c.skip(1); return;
            case 0x7B:
                c.skip(1);
                op("simd128", "a v128 block type", at);
                return;
            case 0x70:
            case 0x6F:
                c.skip(1);
                op("reference-types", "a reference block type", at);
                return;
            default: {
                const std::int64_t index = c.sleb(5);  // s33 type index
                if (index < 0) throw Stop{at, "unknown block type " + hex(b)};
                op("multivalue", "a block type that is a type index", at);
            }
        }
    }

    void memarg(Cursor& c, std::size_t at) {
        const std::uint32_t align = c.u32();
        if ((align & 0x40) != 0 && c.u32() != 0) op("multimemory", "a memory index other than 0", at);
        c.uleb(10);  // offset: u32, or u64 with memory64
    }

    void memory_index(Cursor& c, std::size_t at) {
        if (c.u32() != 0) op("multimemory", "a memory index other than 0", at);
    }

    void prefix_fc(Cursor& c, std::size_t at) {
        const std::uint32_t sub = c.u32();
        switch (sub) {
            case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
                op("nontrapping-fptoint", "a saturating float-to-int conversion (0xFC 0-7)", at);
                return;
            case 8:  // memory.init data memory
                c.u32();
                memory_index(c, at);
                op("bulk-memory", "memory.init (0xFC 8)", at);
                return;
            case 9:
                c.u32();
                op("bulk-memory", "data.drop (0xFC 9)", at);
                return;
            case 10:
                memory_index(c, at);
                memory_index(c, at);
                op("bulk-memory", "memory.copy (0xFC 10)", at);
                return;
            case 11:
                memory_index(c, at);
                op("bulk-memory", "memory.fill (0xFC 11)", at);
                return;
            case 12:  // table.init elem table
            case 14:  // table.copy table table
                c.u32();
                if (c.u32() != 0) op("reference-types", "a table index other than 0", at);
                op("bulk-memory", sub == 12 ? "table.init (0xFC 12)" : "table.copy (0xFC 14)", at);
                return;
            case 13:
                c.u32();
                op("bulk-memory", "elem.drop (0xFC 13)", at);
                return;
            case 15:
            case 16:
            case 17:
                c.u32();
                op("reference-types", "table.grow/size/fill (0xFC 15-17)", at);
                return;
            default: throw Stop{at, "unknown instruction 0xFC " + std::to_string(sub)};
        }
    }

    // SIMD (0xFD): immediates by opcode, from the SIMD proposal's binary
    // encoding table; relaxed SIMD is 0x100-0x113, without immediates.
    void prefix_fd(Cursor& c, std::size_t at) {
        const std::uint32_t sub = c.u32();
        if (sub <= 11 || sub == 92 || sub == 93) {
            memarg(c, at);  // v128.load*, v128.store, v128.load32/64_zero
        } else if (sub == 12 || sub == 13) {
            c.skip(16);  // v128.const, i8x16.shuffle
        } else if (sub >= 21 && sub <= 34) {
            c.skip(1);  // extract_lane / replace_lane
        } else if (sub >= 84 && sub <= 91) {
            memarg(c, at);  // v128.load*_lane / store*_lane
            c.skip(1);
        } else if (sub >= 0x100 && sub <= 0x113) {
            op("relaxed-simd", "a relaxed SIMD instruction (0xFD 0x100-0x113)", at);
        } else if (sub > 0xFF) {
            throw Stop{at, "unknown instruction 0xFD " + std::to_string(sub)};
        }
        op("simd128", "a SIMD instruction (0xFD)", at);
    }

    void prefix_fe(Cursor& c, std::size_t at) {
        const std::uint32_t sub = c.u32();
        if (sub == 3) {
            c.skip(1);  // atomic.fence 0x00
        } else if (sub <= 2 || (sub >= 0x10 && sub <= 0x4E)) {
            memarg(c, at);
        } else {
            throw Stop{at, "unknown instruction 0xFE " + std::to_string(sub)};
        }
        op("atomics", "an atomic instruction (0xFE)", at);
    }

    /// Reads one instruction with its immediates; returns its opcode.
    std::uint8_t instruction(Cursor& c) {
        const std::size_t at = c.pos();
        const std::uint8_t code = c.u8();
        switch (code) {
            case 0x00: case 0x01: case 0x05: case 0x0B: case 0x0F: case 0x1A: case 0x1B: break;
            case 0x02: case 0x03: case 0x04: block_type(c); break;
            case 0x06:
                block_type(c);
                op("exception-handling", "try (0x06)", at);
                break;
            case 0x07: case 0x08: case 0x09: case 0x18:
                c.u32();
                op("exception-handling", "catch/throw/rethrow/delegate (0x07-0x09, 0x18)", at);
                break;
            case 0x0A: case 0x19: op("exception-handling", "throw_ref/catch_all (0x0A, 0x19)", at); break;
            case 0x0C: case 0x0D: case 0x10: c.u32(); break;
            case 0x0E: {
                const std::uint32_t n = c.u32();
                for (std::uint64_t i = 0; i <= n; ++i) c.u32();  // n labels and the default
                break;
            }
            case 0x11: case 0x13:
                c.u32();
                if (c.u32() != 0) op("reference-types", "call_indirect with a table index other than 0", at);
                if (code == 0x13) op("tail-call", "return_call_indirect (0x13)", at);
                break;
            case 0x12:
                c.u32();
                op("tail-call", "return_call (0x12)", at);
                break;
            case 0x1C: {
                const std::uint32_t n = c.u32();
                for (std::uint32_t i = 0; i < n; ++i) {
                    if (c.u8() == 0x7B) op("simd128", "a v128 select", at);
                }
                op("reference-types", "a typed select (0x1C)", at);
                break;
            }
            case 0x1F: {
                block_type(c);
                const std::uint32_t n = c.u32();
                for (std::uint32_t i = 0; i < n; ++i) {
                    const std::uint8_t kind = c.u8();
                    if (kind > 3) throw Stop{at, "unknown catch kind " + hex(kind) + " in try_table"};
                    if (kind <= 1) c.u32();  // tag
                    c.u32();                 // label
                }
                op("exception-handling", "try_table (0x1F)", at);
                break;
            }
            case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: c.u32(); break;
            case 0x25: case 0x26:
                c.u32();
                op("reference-types", "table.get/table.set (0x25, 0x26)", at);
                break;
            case 0x3F: case 0x40: memory_index(c, at); break;
            case 0x41: c.sleb(5); break;
            case 0x42: c.sleb(10); break;
            case 0x43: c.skip(4); break;
            case 0x44: c.skip(8); break;
            case 0xC0: case 0xC1: case 0xC2: case 0xC3: case 0xC4:
                op("sign-ext", "a sign-extension instruction (0xC0-0xC4)", at);
                break;
            case 0xD0:
                c.sleb(5);  // heap type
                op("reference-types", "ref.null (0xD0)", at);
                break;
            case 0xD1: op("reference-types", "ref.is_null (0xD1)", at); break;
            case 0xD2:
                c.u32();
                op("reference-types", "ref.func (0xD2)", at);
                break;
            case 0xFC: prefix_fc(c, at); break;
            case 0xFD: prefix_fd(c, at); break;
            case 0xFE: prefix_fe(c, at); break;
            default:
                if (code >= 0x28 && code <= 0x3E) {
                    memarg(c, at);  // loads and stores
                } else if (code < 0x45 || code > 0xBF) {
                    throw Stop{at, "unknown instruction " + hex(code)};
                }  // 0x45-0xBF: numeric instructions without immediates
        }
        return code;
    }

    void stopped(const Stop& s, const std::string& where) {
        if (notes_.size() >= max_notes) return;
        notes_.push_back("the feature scan stopped in " + where + " at byte offset " + std::to_string(s.offset) +
                         ": " + s.what + "; features after that point were not looked for");
    }

    void code() {
        for (const auto& f : m_.functions) {
            if (f.body_offset > bytes_.size() || bytes_.size() - f.body_offset < f.body_size) continue;
            where_ = "function " + std::to_string(f.index);
            if (!f.name.empty()) where_ += " (" + f.name + ")";
            Cursor c(bytes_.data(), static_cast<std::size_t>(f.body_offset), static_cast<std::size_t>(f.body_offset + f.body_size));
            try {
                const std::uint32_t groups = c.u32();
                for (std::uint32_t i = 0; i < groups; ++i) {
                    c.u32();
                    const std::size_t at = c.pos();
                    const std::uint8_t t = c.u8();
                    if (t == 0x7B) op("simd128", "a v128 local", at);
                    if (t == 0x70 || t == 0x6F) op("reference-types", "a reference-typed local", at);
                }
                while (!c.at_end()) instruction(c);
            } catch (const Stop& s) {
                stopped(s, where_);
            }
        }
    }

    /// A constant expression: instructions up to and including `end`.
    void expression(Cursor& c) {
        while (instruction(c) != end_opcode) {
        }
    }

    // Element segments (core spec §5.5.12): flags 0-7; bit 0 passive or
    // declarative, bit 1 explicit table index / declarative, bit 2 expressions.
    void element_section() {
        const Section* section = nullptr;
        for (const auto& s : m_.sections) {
            if (s.id == 9) section = &s;
        }
        if (section == nullptr) return;
        where_ = "the element section";
        Cursor c(bytes_.data(), static_cast<std::size_t>(section->payload_offset),
                 static_cast<std::size_t>(section->payload_offset + section->size));
        try {
            const std::uint32_t n = c.u32();
            for (std::uint32_t i = 0; i < n; ++i) {
                const std::size_t at = c.pos();
                const std::uint32_t flags = c.u32();
                if (flags > 7) throw Stop{at, "unknown element segment flags " + std::to_string(flags)};
                const bool passive_or_declarative = (flags & 1) != 0;
                const bool explicit_table = (flags & 3) == 2;
                const bool expressions = (flags & 4) != 0;
                const std::string which = "element segment " + std::to_string(i);
                if (passive_or_declarative && (flags & 2) == 0) {
                    op("bulk-memory", ("passive " + which), at);
                } else if (passive_or_declarative) {
                    op("reference-types", ("declarative " + which), at);
                }
                if (explicit_table && c.u32() != 0) op("reference-types", (which + " of a table other than 0"), at);
                if (!passive_or_declarative) expression(c);  // offset
                if (flags != 0 && flags != 4) {
                    const std::uint8_t kind = c.u8();  // elemkind (0x00 = funcref) or reference type
                    if (kind == 0x6F) op("reference-types", ("externref " + which), at);
                }
                const std::uint32_t items = c.u32();
                for (std::uint32_t k = 0; k < items; ++k) {
                    if (expressions) {
                        expression(c);
                    } else {
                        c.u32();
                    }
                }
            }
        } catch (const Stop& s) {
            stopped(s, where_);
        }
    }

    static constexpr std::size_t max_notes = 5;

    const std::vector<std::uint8_t>& bytes_;
    const Module& m_;
    std::map<std::string, std::string> found_;
    std::vector<std::string> notes_;
    std::string where_;
};

}  // namespace

bool FeatureScan::uses(std::string_view name) const {
    return std::any_of(used.begin(), used.end(), [&](const FeatureUse& f) { return f.name == name; });
}

std::vector<std::string> FeatureScan::names() const {
    std::vector<std::string> out;
    out.reserve(used.size());
    for (const auto& f : used) out.push_back(f.name);
    return out;
}

FeatureScan scan_features(const std::vector<std::uint8_t>& bytes, const Module& module) {
    return Scan(bytes, module).run();
}

const std::vector<FeatureFlag>& feature_flags() {
    // Binaryen 108's flags checked against `wasm-opt --help` of Debian 12's
    // binaryen 108-1. LLVM names: llvm/lib/Target/WebAssembly/WebAssembly.td
    // and the tool-conventions feature list.
    static const std::vector<FeatureFlag> table{
        {"sign-ext", "sign-ext", true},
        {"mutable-globals", "mutable-globals", true},
        {"nontrapping-fptoint", "nontrapping-float-to-int", true},
        {"bulk-memory", "bulk-memory", true},
        {"bulk-memory-opt", "bulk-memory", true},
        {"simd128", "simd", true},
        {"relaxed-simd", "relaxed-simd", true},
        {"atomics", "threads", true},
        {"multivalue", "multivalue", true},
        {"reference-types", "reference-types", true},
        {"exception-handling", "exception-handling", true},
        {"tail-call", "tail-call", true},
        {"extended-const", "extended-const", true},
        {"memory64", "memory64", true},
        {"gc", "gc", true},
        {"multimemory", "multimemory", false},
    };
    return table;
}

const FeatureFlag* find_feature(std::string_view name) {
    for (const auto& f : feature_flags()) {
        if (name == f.feature) return &f;
    }
    for (const auto& f : feature_flags()) {
        if (name == f.binaryen) return &f;
    }
    return nullptr;
}

std::set<std::string> enable_flags_in_help(std::string_view help_text) {
    std::set<std::string> out;
    constexpr std::string_view prefix = "--enable-";
    for (std::size_t at = help_text.find(prefix); at != std::string_view::npos; at = help_text.find(prefix, at + 1)) {
        if (at > 0 && help_text[at - 1] != ' ' && help_text[at - 1] != '\t' && help_text[at - 1] != '\n') continue;
        std::size_t end = at + prefix.size();
        while (end < help_text.size() && ((help_text[end] >= 'a' && help_text[end] <= 'z') ||
                                          (help_text[end] >= '0' && help_text[end] <= '9') || help_text[end] == '-')) {
            ++end;
        }
        if (end > at + prefix.size()) out.emplace(help_text.substr(at, end - at));
    }
    return out;
}

WasmOptFeatures wasm_opt_features(const std::vector<std::string>& features,
                                  const std::optional<std::set<std::string>>& supported) {
    WasmOptFeatures out;
    std::set<std::string> wanted;
    for (const auto& name : features) {
        const FeatureFlag* f = find_feature(name);
        if (f == nullptr) {
            out.notes.push_back("feature \"" + name + "\" has no wasm-opt flag; none is passed for it");
            continue;
        }
        const std::string flag = std::string("--enable-") + f->binaryen;
        const bool offered = supported ? supported->count(flag) != 0 : f->in_binaryen_108;
        if (!offered) {
            out.notes.push_back("feature \"" + name + "\": " +
                                (supported ? "this wasm-opt has no " + flag
                                           : flag + " is not in binaryen 108, and wasm-opt's --help could not be read") +
                                "; it is not passed (wasm-opt will say whether it can read the module)");
            continue;
        }
        wanted.insert(flag);
    }
    for (const auto& f : feature_flags()) {
        const std::string flag = std::string("--enable-") + f.binaryen;
        if (wanted.erase(flag) != 0) out.flags.push_back(flag);
    }
    return out;
}

}  // namespace buildbudget::wasm
