#include "wasm/dwarf.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace buildbudget::wasm {
namespace {

// DWARF 5 §7.5.1 unit types, §7.5.4 attribute and §7.5.5 form encodings, §7.25 range list entries.
constexpr std::uint64_t DW_TAG_compile_unit = 0x11, DW_TAG_partial_unit = 0x3c, DW_TAG_skeleton_unit = 0x4a;
constexpr std::uint64_t DW_AT_name = 0x03, DW_AT_low_pc = 0x11, DW_AT_high_pc = 0x12, DW_AT_ranges = 0x55,
                        DW_AT_str_offsets_base = 0x72, DW_AT_addr_base = 0x73, DW_AT_rnglists_base = 0x74;
enum Form : std::uint64_t {
    DW_FORM_addr = 0x01, DW_FORM_block2 = 0x03, DW_FORM_block4 = 0x04, DW_FORM_data2 = 0x05, DW_FORM_data4 = 0x06,
    DW_FORM_data8 = 0x07, DW_FORM_string = 0x08, DW_FORM_block = 0x09, DW_FORM_block1 = 0x0a, DW_FORM_data1 = 0x0b,
    DW_FORM_flag = 0x0c, DW_FORM_sdata = 0x0d, DW_FORM_strp = 0x0e, DW_FORM_udata = 0x0f, DW_FORM_ref_addr = 0x10,
    DW_FORM_ref1 = 0x11, DW_FORM_ref2 = 0x12, DW_FORM_ref4 = 0x13, DW_FORM_ref8 = 0x14, DW_FORM_ref_udata = 0x15,
    DW_FORM_indirect = 0x16, DW_FORM_sec_offset = 0x17, DW_FORM_exprloc = 0x18, DW_FORM_flag_present = 0x19,
    DW_FORM_strx = 0x1a, DW_FORM_addrx = 0x1b, DW_FORM_ref_sup4 = 0x1c, DW_FORM_strp_sup = 0x1d, DW_FORM_data16 = 0x1e,
    DW_FORM_line_strp = 0x1f, DW_FORM_ref_sig8 = 0x20, DW_FORM_implicit_const = 0x21, DW_FORM_loclistx = 0x22,
    DW_FORM_rnglistx = 0x23, DW_FORM_ref_sup8 = 0x24, DW_FORM_strx1 = 0x25, DW_FORM_strx2 = 0x26, DW_FORM_strx3 = 0x27,
    DW_FORM_strx4 = 0x28, DW_FORM_addrx1 = 0x29, DW_FORM_addrx2 = 0x2a, DW_FORM_addrx3 = 0x2b, DW_FORM_addrx4 = 0x2c,
};

/// One custom section's contents (after its name).
struct DwarfSection {
    std::string_view name;
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;
};

/// Bounds-checked little-endian reading of one section.
class DwarfCursor {
public:
    DwarfCursor(const DwarfSection& s, std::size_t offset) : s_(&s), pos_(offset) {
        if (offset > s.size) fail("offset beyond the section's " + std::to_string(s.size) + " bytes");
    }
    [[noreturn]] void fail(const std::string& what) const {
        throw DwarfError(std::string(s_->name) + " at offset " + std::to_string(pos_) + ": " + what);
    }
    [[nodiscard]] std::size_t pos() const { return pos_; }
    [[nodiscard]] bool at_end() const { return pos_ >= s_->size; }
    std::uint64_t fixed(std::size_t n) {
        need(n);
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{s_->data[pos_ + i]} << (8 * i);
        pos_ += n;
        return v;
    }
    std::uint64_t uleb() {
        std::uint64_t v = 0;
        for (unsigned shift = 0;; shift += 7) {
            need(1);
            const std::uint8_t b = s_->data[pos_++];
            if (shift < 64) v |= std::uint64_t{b & 0x7fu} << shift;
            if ((b & 0x80) == 0) return v;
            if (shift > 70) fail("LEB128 number longer than 10 bytes");
        }
    }
    std::int64_t sleb() {
        std::int64_t v = 0;
        unsigned shift = 0;
        std::uint8_t b = 0;
        do {
            need(1);
            b = s_->data[pos_++];
            if (shift < 64) v |= static_cast<std::int64_t>(std::uint64_t{b & 0x7fu} << shift);
            shift += 7;
            if (shift > 77) fail("LEB128 number longer than 10 bytes");
        } while ((b & 0x80) != 0);
        if (shift < 64 && (b & 0x40) != 0) v |= static_cast<std::int64_t>(~std::uint64_t{0} << shift);
        return v;
    }
    std::string cstring() {
        const std::size_t start = pos_;
        while (pos_ < s_->size && s_->data[pos_] != 0) ++pos_;
        if (pos_ >= s_->size) fail("string without its terminating NUL");
        return {reinterpret_cast<const char*>(s_->data + start), pos_++ - start};
    }
    void skip(std::uint64_t n) {
        need(n);
        pos_ += static_cast<std::size_t>(n);
    }

private:
    void need(std::uint64_t n) const {
        if (n > s_->size - pos_) fail("needs " + std::to_string(n) + " more bytes, the section ends after " + std::to_string(s_->size - pos_));
    }
    const DwarfSection* s_;
    std::size_t pos_;
};

struct AttrSpec {
    std::uint64_t attr = 0, form = 0;
    std::int64_t implicit = 0;
};
struct Abbrev {
    std::uint64_t tag = 0;
    std::vector<AttrSpec> attrs;
};

/// The abbreviation with `code` in the table at `offset` of .debug_abbrev.
Abbrev find_abbrev(const DwarfSection& abbrev, std::uint64_t offset, std::uint64_t code) {
    DwarfCursor c(abbrev, static_cast<std::size_t>(std::min<std::uint64_t>(offset, abbrev.size + 1)));
    for (;;) {
        const std::uint64_t this_code = c.uleb();
        if (this_code == 0) c.fail("no abbreviation " + std::to_string(code) + " in the table at offset " + std::to_string(offset));
        Abbrev a;
        a.tag = c.uleb();
        c.skip(1);  // DW_CHILDREN_*
        for (;;) {
            AttrSpec spec;
            spec.attr = c.uleb();
            spec.form = c.uleb();
            if (spec.form == DW_FORM_implicit_const) spec.implicit = c.sleb();
            if (spec.attr == 0 && spec.form == 0) break;
            a.attrs.push_back(spec);
        }
        if (this_code == code) return a;
    }
}

/// A unit's DIE attribute value: a number, or a string for DW_FORM_string.
struct Value {
    std::uint64_t form = 0;
    std::uint64_t number = 0;
    std::string text;
};

struct Sections {
    DwarfSection info, abbrev, str, line_str, str_offsets, addr, ranges, rnglists;
};

struct UnitRanges {
    std::string name;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // [begin, end) code-section offsets
};

class UnitReader {
public:
    UnitReader(const Sections& s, unsigned version, unsigned offset_size, unsigned address_size)
        : s_(s), version_(version), offset_size_(offset_size), address_size_(address_size) {}

    Value read(DwarfCursor& c, std::uint64_t form, std::int64_t implicit) {
        Value v;
        v.form = form;
        switch (form) {
            case DW_FORM_addr: v.number = c.fixed(address_size_); break;
            case DW_FORM_data1: case DW_FORM_ref1: case DW_FORM_flag: case DW_FORM_strx1: case DW_FORM_addrx1:
                v.number = c.fixed(1); break;
            case DW_FORM_data2: case DW_FORM_ref2: case DW_FORM_strx2: case DW_FORM_addrx2: v.number = c.fixed(2); break;
            case DW_FORM_strx3: case DW_FORM_addrx3: v.number = c.fixed(3); break;
            case DW_FORM_data4: case DW_FORM_ref4: case DW_FORM_ref_sup4: case DW_FORM_strx4: case DW_FORM_addrx4:
                v.number = c.fixed(4); break;
            case DW_FORM_data8: case DW_FORM_ref8: case DW_FORM_ref_sig8: case DW_FORM_ref_sup8: v.number = c.fixed(8); break;
            case DW_FORM_data16: c.skip(16); break;
            case DW_FORM_sdata: v.number = static_cast<std::uint64_t>(c.sleb()); break;
            case DW_FORM_udata: case DW_FORM_ref_udata: case DW_FORM_strx: case DW_FORM_addrx: case DW_FORM_loclistx:
            case DW_FORM_rnglistx:
                v.number = c.uleb(); break;
            case DW_FORM_strp: case DW_FORM_line_strp: case DW_FORM_sec_offset: case DW_FORM_strp_sup:
                v.number = c.fixed(offset_size_); break;
            case DW_FORM_ref_addr: v.number = c.fixed(version_ <= 2 ? address_size_ : offset_size_); break;
            case DW_FORM_string: v.text = c.cstring(); break;
            case DW_FORM_block1: c.skip(c.fixed(1)); break;
            case DW_FORM_block2: c.skip(c.fixed(2)); break;
            case DW_FORM_block4: c.skip(c.fixed(4)); break;
            case DW_FORM_block: case DW_FORM_exprloc: c.skip(c.uleb()); break;
            case DW_FORM_flag_present: v.number = 1; break;
            case DW_FORM_implicit_const: v.number = static_cast<std::uint64_t>(implicit); break;
            case DW_FORM_indirect: return read(c, c.uleb(), implicit);
            default: c.fail("unknown attribute form 0x" + hex(form));
        }
        return v;
    }

    std::string string_of(const Value& v, std::uint64_t str_offsets_base) const {
        switch (v.form) {
            case DW_FORM_string: return v.text;
            case DW_FORM_strp: return DwarfCursor(s_.str, static_cast<std::size_t>(std::min<std::uint64_t>(v.number, s_.str.size + 1))).cstring();
            case DW_FORM_line_strp:
                return DwarfCursor(s_.line_str, static_cast<std::size_t>(std::min<std::uint64_t>(v.number, s_.line_str.size + 1))).cstring();
            case DW_FORM_strx: case DW_FORM_strx1: case DW_FORM_strx2: case DW_FORM_strx3: case DW_FORM_strx4: {
                DwarfCursor o(s_.str_offsets, clamp(str_offsets_base + v.number * offset_size_, s_.str_offsets));
                const std::uint64_t offset = o.fixed(offset_size_);
                return DwarfCursor(s_.str, clamp(offset, s_.str)).cstring();
            }
            default: return {};
        }
    }

    std::uint64_t address_of(const Value& v, std::uint64_t addr_base) const {
        if (v.form == DW_FORM_addrx || (v.form >= DW_FORM_addrx1 && v.form <= DW_FORM_addrx4)) {
            DwarfCursor a(s_.addr, clamp(addr_base + v.number * address_size_, s_.addr));
            return a.fixed(address_size_);
        }
        return v.number;
    }

    /// DWARF 2-4 .debug_ranges at `offset`: (begin, end) pairs, a base address selection entry (begin = max).
    void ranges_v4(std::uint64_t offset, std::uint64_t base, UnitRanges& out) const {
        DwarfCursor c(s_.ranges, clamp(offset, s_.ranges));
        const std::uint64_t max = address_size_ == 8 ? ~std::uint64_t{0} : 0xffffffffu;
        for (;;) {
            const std::uint64_t begin = c.fixed(address_size_), end = c.fixed(address_size_);
            if (begin == 0 && end == 0) return;
            if (begin == max) {
                base = end;
                continue;
            }
            out.ranges.emplace_back(base + begin, base + end);
        }
    }

    /// DWARF 5 .debug_rnglists at `offset` (§7.25 range list entries).
    void ranges_v5(std::uint64_t offset, std::uint64_t base, std::uint64_t addr_base, UnitRanges& out) const {
        DwarfCursor c(s_.rnglists, clamp(offset, s_.rnglists));
        const auto addrx = [&](std::uint64_t index) {
            DwarfCursor a(s_.addr, clamp(addr_base + index * address_size_, s_.addr));
            return a.fixed(address_size_);
        };
        for (;;) {
            const std::uint64_t kind = c.fixed(1);
            switch (kind) {
                case 0: return;                                     // DW_RLE_end_of_list
                case 1: base = addrx(c.uleb()); break;              // DW_RLE_base_addressx
                case 2: {                                           // DW_RLE_startx_endx
                    const std::uint64_t b = addrx(c.uleb()), e = addrx(c.uleb());
                    out.ranges.emplace_back(b, e);
                    break;
                }
                case 3: {                                           // DW_RLE_startx_length
                    const std::uint64_t b = addrx(c.uleb());
                    out.ranges.emplace_back(b, b + c.uleb());
                    break;
                }
                case 4: {                                           // DW_RLE_offset_pair
                    const std::uint64_t b = c.uleb(), e = c.uleb();
                    out.ranges.emplace_back(base + b, base + e);
                    break;
                }
                case 5: base = c.fixed(address_size_); break;       // DW_RLE_base_address
                case 6: {                                           // DW_RLE_start_end
                    const std::uint64_t b = c.fixed(address_size_), e = c.fixed(address_size_);
                    out.ranges.emplace_back(b, e);
                    break;
                }
                case 7: {                                           // DW_RLE_start_length
                    const std::uint64_t b = c.fixed(address_size_);
                    out.ranges.emplace_back(b, b + c.uleb());
                    break;
                }
                default: c.fail("unknown range list entry kind " + std::to_string(kind));
            }
        }
    }

    [[nodiscard]] unsigned offset_size() const { return offset_size_; }

private:
    static std::string hex(std::uint64_t v) {
        static const char digits[] = "0123456789abcdef";
        std::string s;
        do {
            s.insert(s.begin(), digits[v & 15]);
            v >>= 4;
        } while (v != 0);
        return s;
    }
    static std::size_t clamp(std::uint64_t offset, const DwarfSection& s) {
        return static_cast<std::size_t>(std::min<std::uint64_t>(offset, std::uint64_t{s.size} + 1));
    }
    const Sections& s_;
    unsigned version_, offset_size_, address_size_;
};

std::vector<UnitRanges> read_units(const Sections& s) {
    std::vector<UnitRanges> units;
    DwarfCursor c(s.info, 0);
    while (!c.at_end()) {
        const std::size_t unit_start = c.pos();
        std::uint64_t length = c.fixed(4);
        unsigned offset_size = 4;
        if (length == 0xffffffffu) {
            length = c.fixed(8);
            offset_size = 8;
        } else if (length >= 0xfffffff0u) {
            c.fail("reserved unit length 0x" + std::to_string(length));
        }
        const std::size_t header = c.pos();
        if (length > s.info.size - header) c.fail("unit of " + std::to_string(length) + " bytes runs past the section's end");
        const std::size_t next = header + static_cast<std::size_t>(length);
        const auto version = static_cast<unsigned>(c.fixed(2));
        if (version < 2 || version > 5) c.fail("unit version " + std::to_string(version) + ", expected 2 to 5");
        std::uint64_t abbrev_offset = 0;
        unsigned address_size = 0;
        if (version == 5) {
            const std::uint64_t unit_type = c.fixed(1);
            address_size = static_cast<unsigned>(c.fixed(1));
            abbrev_offset = c.fixed(offset_size);
            if (unit_type == 2 || unit_type == 6) {  // type units: no code
                DwarfCursor skip(s.info, next);
                c = skip;
                continue;
            }
            if (unit_type == 4 || unit_type == 5) c.skip(8);  // dwo_id
        } else {
            abbrev_offset = c.fixed(offset_size);
            address_size = static_cast<unsigned>(c.fixed(1));
        }
        if (address_size != 4 && address_size != 8) c.fail("address size " + std::to_string(address_size) + ", expected 4 or 8");
        const std::uint64_t code = c.uleb();
        if (code != 0) {
            const Abbrev a = find_abbrev(s.abbrev, abbrev_offset, code);
            if (a.tag == DW_TAG_compile_unit || a.tag == DW_TAG_partial_unit || a.tag == DW_TAG_skeleton_unit) {
                UnitReader r(s, version, offset_size, address_size);
                std::optional<Value> name, low, high, ranges;
                std::uint64_t str_offsets_base = 8, addr_base = 8, rnglists_base = 0;
                bool have_rnglists_base = false;
                for (const auto& spec : a.attrs) {
                    Value v = r.read(c, spec.form, spec.implicit);
                    switch (spec.attr) {
                        case DW_AT_name: name = std::move(v); break;
                        case DW_AT_low_pc: low = std::move(v); break;
                        case DW_AT_high_pc: high = std::move(v); break;
                        case DW_AT_ranges: ranges = std::move(v); break;
                        case DW_AT_str_offsets_base: str_offsets_base = v.number; break;
                        case DW_AT_addr_base: addr_base = v.number; break;
                        case DW_AT_rnglists_base: rnglists_base = v.number; have_rnglists_base = true; break;
                        default: break;
                    }
                }
                UnitRanges u;
                if (name) u.name = r.string_of(*name, str_offsets_base);
                const std::uint64_t base = low ? r.address_of(*low, addr_base) : 0;
                if (ranges) {
                    if (version >= 5) {
                        std::uint64_t offset = ranges->number;
                        if (ranges->form == DW_FORM_rnglistx) {
                            if (!have_rnglists_base) rnglists_base = offset_size == 8 ? 20 : 12;
                            DwarfCursor t(s.rnglists, static_cast<std::size_t>(std::min<std::uint64_t>(
                                                     rnglists_base + offset * offset_size, s.rnglists.size + 1)));
                            offset = rnglists_base + t.fixed(offset_size);
                        }
                        r.ranges_v5(offset, base, addr_base, u);
                    } else {
                        r.ranges_v4(ranges->number, base, u);
                    }
                } else if (low && high) {
                    const bool absolute = high->form == DW_FORM_addr || high->form == DW_FORM_addrx ||
                                          (high->form >= DW_FORM_addrx1 && high->form <= DW_FORM_addrx4);
                    u.ranges.emplace_back(base, absolute ? r.address_of(*high, addr_base) : base + high->number);
                }
                if (u.name.empty()) u.name = "(unit at .debug_info offset " + std::to_string(unit_start) + ")";
                units.push_back(std::move(u));
            }
        }
        DwarfCursor after(s.info, next);
        c = after;
    }
    return units;
}

/// The contents of a custom section: its payload after the name.
DwarfSection contents(const std::uint8_t* data, std::size_t size, const wasm::Section& s) {
    std::size_t p = static_cast<std::size_t>(s.payload_offset);
    const std::size_t end = static_cast<std::size_t>(std::min<std::uint64_t>(s.payload_offset + s.size, size));
    std::uint64_t name_length = 0;
    for (unsigned shift = 0; p < end; shift += 7) {
        const std::uint8_t b = data[p++];
        name_length |= std::uint64_t{b & 0x7fu} << (shift < 64 ? shift : 0);
        if ((b & 0x80) == 0) break;
    }
    p = static_cast<std::size_t>(std::min<std::uint64_t>(p + name_length, end));
    return {s.name, data + p, end - p};
}

}  // namespace

bool has_dwarf(const Module& module) {
    bool info = false, abbrev = false;
    for (const auto& s : module.sections) {
        if (s.id != 0) continue;
        info = info || s.name == ".debug_info";
        abbrev = abbrev || s.name == ".debug_abbrev";
    }
    return info && abbrev;
}

std::vector<std::string> function_compile_units(const std::uint8_t* data, std::size_t size, const Module& module) {
    if (!has_dwarf(module)) return {};
    Sections s;
    s.info.name = ".debug_info";
    s.abbrev.name = ".debug_abbrev";
    s.str.name = ".debug_str";
    s.line_str.name = ".debug_line_str";
    s.str_offsets.name = ".debug_str_offsets";
    s.addr.name = ".debug_addr";
    s.ranges.name = ".debug_ranges";
    s.rnglists.name = ".debug_rnglists";
    std::optional<std::uint64_t> code_payload;
    for (const auto& sec : module.sections) {
        if (sec.id == 10) code_payload = sec.payload_offset;
        if (sec.id != 0) continue;
        for (DwarfSection* target : {&s.info, &s.abbrev, &s.str, &s.line_str, &s.str_offsets, &s.addr, &s.ranges, &s.rnglists}) {
            if (sec.name == target->name && target->data == nullptr) *target = contents(data, size, sec);
        }
    }
    std::vector<std::string> out(module.functions.size());
    if (!code_payload) return out;
    const std::vector<UnitRanges> units = read_units(s);

    // Every unit's ranges, by start; empty ranges and the tombstones of
    // functions the linker dropped (an address at or near the maximum) are left out.
    struct Range {
        std::uint64_t begin, end;
        std::size_t unit;
    };
    std::vector<Range> ranges;
    for (std::size_t u = 0; u < units.size(); ++u) {
        for (const auto& [b, e] : units[u].ranges) {
            if (b < e && b < 0xfffffff0u) ranges.push_back({b, e, u});
        }
    }
    std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
    std::uint64_t widest = 0;
    for (const auto& r : ranges) widest = std::max(widest, r.end - r.begin);

    for (std::size_t i = 0; i < module.functions.size(); ++i) {
        const Function& f = module.functions[i];
        if (f.body_offset < *code_payload) continue;
        const std::uint64_t begin = f.body_offset - *code_payload, end = begin + std::max<std::uint64_t>(f.body_size, 1);
        // Ranges that can overlap [begin, end): those starting before `end` and after `begin - widest`.
        auto it = std::lower_bound(ranges.begin(), ranges.end(), end, [](const Range& r, std::uint64_t v) { return r.begin < v; });
        std::map<std::size_t, std::uint64_t> overlap;
        while (it != ranges.begin()) {
            --it;
            if (it->begin + widest < begin) break;
            const std::uint64_t lo = std::max(begin, it->begin), hi = std::min(end, it->end);
            if (lo < hi) overlap[it->unit] += hi - lo;
        }
        std::size_t best = units.size();
        std::uint64_t best_bytes = 0;
        for (const auto& [unit, bytes] : overlap) {
            if (bytes > best_bytes) {
                best = unit;
                best_bytes = bytes;
            }
        }
        if (best < units.size()) out[i] = units[best].name;
    }
    return out;
}

}  // namespace buildbudget::wasm
