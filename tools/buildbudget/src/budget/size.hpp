// Sizes as users write them in budgets (doc/memory-budget.md, "Declaring a
// budget set").
//
// An integer is bytes. A string may carry a unit: B, KB/KiB, MB/MiB, GB/GiB,
// in any case. Units are binary (1 KB = 1024 B), as the WRT project's generated
// constants show (`EMBEDDED_MAX_BUDGET = 4194304; // 4MB`). A decimal part is
// allowed when the result is a whole number of bytes ("1.5MB" = 1572864).
// The largest size is 2^63-1 bytes (a signed 64-bit count, the range of a TOML
// integer).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace buildbudget {

/// Largest size accepted anywhere: 2^63-1 bytes.
inline constexpr std::uint64_t max_size_bytes = 0x7fffffffffffffffULL;

/// The result of parse_size(): `bytes` when valid, else `error` says what is
/// wrong in words that complete "invalid size "<text>": ...".
struct SizeParse {
    std::optional<std::uint64_t> bytes;
    std::string error;
};

/// Parses "1048576", "512KB", "512 kib", "1.5MB", "2GiB". Leading and trailing
/// white space is ignored; white space between the number and the unit is
/// allowed. Errors: empty text, a sign (negative budgets), no digits, an
/// unknown unit, a fractional number of bytes, more than 18 decimal places,
/// and values above 2^63-1 bytes.
[[nodiscard]] SizeParse parse_size(std::string_view text);

/// The units parse_size() accepts, for messages: "B, KB, KiB, MB, MiB, GB or GiB".
[[nodiscard]] const char* size_units_list();

/// A short human form: "1.5 MiB", "256 KiB", "1000 B" (at most two decimals,
/// trailing zeros dropped; exact bytes are always printed next to it by callers).
[[nodiscard]] std::string format_size(std::uint64_t bytes);

}  // namespace buildbudget
