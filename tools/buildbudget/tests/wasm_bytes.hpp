// Test support: a tiny builder for hand-made WebAssembly modules (core spec
// §5 "Binary Format": LEB128 integers §5.2.2, length-prefixed names §5.2.4,
// sections §5.5.2, custom sections and name subsections, appendix 7.4), for
// the unit tests of the reader, the analysis and the .d.ts generator; such a module parsed.
#pragma once

#include "wasm/reader.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

namespace buildbudget::test {

struct Bytes {
    std::vector<std::uint8_t> v;

    Bytes() = default;
    Bytes(std::initializer_list<std::uint8_t> raw) : v(raw) {}

    Bytes& u8(std::uint8_t b) {
        v.push_back(b);
        return *this;
    }
    Bytes& raw(std::initializer_list<std::uint8_t> raw) {
        v.insert(v.end(), raw.begin(), raw.end());
        return *this;
    }
    /// Unsigned LEB128, shortest form.
    Bytes& uleb(std::uint64_t x) {
        do {
            std::uint8_t b = x & 0x7F;
            x >>= 7;
            if (x != 0) b |= 0x80;
            v.push_back(b);
        } while (x != 0);
        return *this;
    }
    /// Signed LEB128, shortest form.
    Bytes& sleb(std::int64_t x) {
        for (;;) {
            const std::uint8_t b = static_cast<std::uint8_t>(x & 0x7F);
            x >>= 7;  // arithmetic shift (C++20 guarantees it; GCC and Clang do it in C++17)
            const bool done = (x == 0 && (b & 0x40) == 0) || (x == -1 && (b & 0x40) != 0);
            v.push_back(done ? b : static_cast<std::uint8_t>(b | 0x80));
            if (done) return *this;
        }
    }
    /// A name: its byte length, then its bytes.
    Bytes& str(const std::string& s) {
        uleb(s.size());
        v.insert(v.end(), s.begin(), s.end());
        return *this;
    }
    Bytes& append(const Bytes& other) {
        v.insert(v.end(), other.v.begin(), other.v.end());
        return *this;
    }
    /// A section: id, payload size, payload.
    Bytes& section(std::uint8_t id, const Bytes& payload) {
        u8(id).uleb(payload.v.size());
        return append(payload);
    }
    /// A custom section (id 0): its name, then the payload.
    Bytes& custom(const std::string& name, const Bytes& payload) {
        Bytes p;
        p.str(name).append(payload);
        return section(0, p);
    }
    /// A name-section subsection: id, size, contents.
    Bytes& subsection(std::uint8_t id, const Bytes& contents) {
        u8(id).uleb(contents.v.size());
        return append(contents);
    }
    [[nodiscard]] std::size_t size() const { return v.size(); }
};

/// The module header: magic "\0asm" and version 1.
inline Bytes header() { return Bytes{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}; }

/// The module `b` as the reader gives it (wasm::parse); throws its wasm::ParseError.
inline wasm::Module parse(const Bytes& b) { return wasm::parse(b.v.data(), b.v.size()); }

/// KiB of this process's resident set in the mapping that starts at `start`
/// (its "Rss:" line in /proc/self/smaps, proc(5)); -1 when no mapping starts there.
inline long resident_kib(const void* start) {
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "%lx-", static_cast<unsigned long>(reinterpret_cast<std::uintptr_t>(start)));
    std::ifstream smaps("/proc/self/smaps");
    bool inside = false;
    for (std::string line; std::getline(smaps, line);) {
        if (!line.empty() && ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'))) {
            inside = line.rfind(prefix, 0) == 0;  // a mapping's first line, "start-end perms ..."; fields are "Name: ..."
        } else if (inside && line.rfind("Rss:", 0) == 0) {
            return std::stol(line.substr(4));
        }
    }
    return -1;
}

/// Writes `bytes` to the file `name` in gtest's temporary directory and returns its path; "" when it
/// cannot (callers assert it is not).
inline std::string write_temp_file(const std::string& name, const std::vector<std::uint8_t>& bytes) {
    const std::string path = ::testing::TempDir() + name;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return "";
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    return std::fclose(f) == 0 && written ? path : "";
}

/// KiB of this process's resident set in the mappings that lie wholly inside the `length` bytes at
/// `start` (their "Rss:" lines in /proc/self/smaps, proc(5)), and whether the first of them is
/// advised for transparent huge pages ("hg" in its "VmFlags:" line).
struct RegionResidence {
    long kib = 0;
    bool first_advised_huge = false;
};
inline RegionResidence resident_in(const void* start, std::size_t length) {
    const auto from = reinterpret_cast<std::uintptr_t>(start), to = from + length;
    std::ifstream smaps("/proc/self/smaps");
    RegionResidence out;
    bool inside = false, first = true, first_seen = false;
    for (std::string line; std::getline(smaps, line);) {
        if (!line.empty() && ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'))) {
            const std::size_t dash = line.find('-'), space = line.find(' ');
            const auto begin = static_cast<std::uintptr_t>(std::stoull(line.substr(0, dash), nullptr, 16));
            const auto end = static_cast<std::uintptr_t>(std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16));
            inside = begin >= from && end <= to;
            first = inside && !first_seen;
            if (inside) first_seen = true;
        } else if (inside && line.rfind("Rss:", 0) == 0) {
            out.kib += std::stol(line.substr(4));
        } else if (inside && first && line.rfind("VmFlags:", 0) == 0) {
            out.first_advised_huge = line.find(" hg") != std::string::npos;
        }
    }
    return out;
}

}  // namespace buildbudget::test
