// The instruction decoder of `buildbudget wasm analyze`'s call graph
// (doc/helper-wasm-analyze.md, "Retained sizes and --why"): it walks every
// function body once, skips each instruction's immediates, and keeps what the
// call graph needs: the targets of `call`, `return_call` and `ref.func`, and
// whether the body has a `call_indirect` or `return_call_indirect`.
//
// Source of the format: WebAssembly core specification 2.0, §5.4
// "Instructions" (control, reference, parametric, variable, table, memory,
// numeric and vector instructions, including the 0xFC prefix's saturating
// truncation, bulk memory and table instructions) and §5.5.13 (locals); plus
// the proposals the reader accepts (reader.hpp): threads (0xFE prefix, atomic
// memory instructions), exception handling (try, catch, throw, rethrow,
// delegate, catch_all; and try_table, throw_ref of its newer form), tail calls
// (return_call, return_call_indirect), relaxed SIMD (0xFD 0x100-0x113),
// multi-memory and memory64 memory arguments.
//
// Everything is bounds-checked: a malformed body, a truncated or over-long
// LEB128, or an opcode that none of the above defines gives a ParseError
// with the file offset of the problem, never a crash.
#pragma once

#include "wasm/reader.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace buildbudget::wasm {

/// What the decoder kept of a module's function bodies.
struct CodeRefs {
    /// The targets (function index space) of each defined function's `call`,
    /// `return_call` and `ref.func` instructions, each once, in the order of
    /// their first use in the body: defined function i (position in
    /// Module::functions) has targets[offsets[i] .. offsets[i + 1]). offsets
    /// has functions + 1 entries. (Without repeats, the targets are the call
    /// graph's edges: ort-wasm-simd-threaded.jsep.wasm has 249,072 call sites
    /// and 88,908 edges.)
    std::vector<std::uint32_t> offsets, targets;
    /// 1 for each defined function with a call_indirect or return_call_indirect.
    std::vector<std::uint8_t> indirect;
    /// call_indirect and return_call_indirect instructions in all bodies.
    std::uint64_t indirect_sites = 0;
    /// Instructions in all bodies (each body's final end included), as
    /// `wasm-objdump -d` lists them.
    std::uint64_t instructions = 0;
    /// body_hash() of each defined function's body, taken while the decoder has
    /// its bytes at hand: identical bodies are found from these without reading
    /// every body a second time (analyze_module(), wasm/analysis.hpp).
    std::vector<std::uint64_t> body_hashes;
    /// 1 for each defined function whose body the decoder compared, byte for
    /// byte while it had it at hand, with the first body it met of the same
    /// size and hash, and found equal; that first body is 1 too. The bodies
    /// marked 1 that share a size and hash are identical, so whoever looks for
    /// identical bodies need not read them again once they have left the
    /// resident set (z3-built.wasm's 7,942 bodies that share a hash with
    /// another, 1.4 MB scattered over 26 MB of code, took 17 to 22 ms to fault
    /// back in; doc/helper-wasm-analyze.md, "Speed"). 0: a collision.
    std::vector<std::uint8_t> same_as_first;
};

/// A 64-bit hash of the `size` bytes at `data`, for finding identical function
/// bodies: equal bytes give equal hashes; unequal bytes almost always differ, and
/// whoever relies on equal hashes compares the bytes as well. Four lanes of
/// 8-byte words, each mixed by a multiply and an xor-shift (the step of
/// MurmurHash3's and xxHash's 64-bit variants, with their constants), folded
/// together with the length and MurmurHash3's fmix64 finaliser. Not
/// cryptographic, and not stable across versions of the helper (nothing stores it).
[[nodiscard]] std::uint64_t body_hash(const std::uint8_t* data, std::size_t size) noexcept;

/// The functions of one element segment (core spec §5.5.12, its eight forms):
/// function indices, or the targets of ref.func items (ref.null items are
/// left out), in segment order.
struct ElementRefs {
    /// active: written into a table at instantiation; passive: by table.init;
    /// declarative: only declares the functions that bodies use with ref.func.
    enum class Mode { active, passive, declarative } mode = Mode::active;
    std::vector<std::uint32_t> functions;
};

/// The element segments of `module` (parsed from the `size` bytes at `data`),
/// in section order; the reader checks the section's structure but does not
/// keep its contents. Throws ParseError like decode_code().
[[nodiscard]] std::vector<ElementRefs> decode_elements(const std::uint8_t* data, std::size_t size,
                                                       const Module& module);

/// Decodes every body of `module` (parsed from the `size` bytes at `data`)
/// and collects its references. The pages of the bodies it has read leave the
/// resident set as it goes (release_read_pages(), reader.hpp: when `data` is a
/// FileBytes' mapping or copy on huge pages). `threads` > 1 decodes on that many threads, this one
/// included (CodeDecoding; the result is the same). Throws ParseError on a
/// malformed body ("function 12: unknown opcode 0xFF ... at byte offset N"),
/// or a target outside the function index space.
[[nodiscard]] CodeRefs decode_code(const std::uint8_t* data, std::size_t size, const Module& module,
                                   unsigned threads = 1);

/// decode_code() begun on threads of its own, so that the caller can go on
/// with what does not need the references meanwhile (analyze_module(),
/// doc/helper-wasm-analyze.md, "Speed"). The bodies are cut into runs of
/// consecutive bodies of 256 KiB or more (the last run can be less), which
/// the threads take largest first, each as it becomes free; finish()
/// joins in on the calling thread. `module` is read by the constructor only
/// (it may change afterwards); the `size` bytes at `data` must stay until
/// finish() returns or the object goes (which stops and joins the threads).
class CodeDecoding {
public:
    /// Starts `workers` threads (0: everything is decoded by finish()).
    CodeDecoding(const std::uint8_t* data, std::size_t size, const Module& module, unsigned workers);
    CodeDecoding(const CodeDecoding&) = delete;
    CodeDecoding& operator=(const CodeDecoding&) = delete;
    ~CodeDecoding();

    /// Decodes the runs not taken yet on this thread too, waits for the
    /// others and returns what decode_code() returns; throws as it does. Once.
    [[nodiscard]] CodeRefs finish();

private:
    struct State;
    std::unique_ptr<State> state_;
    std::vector<std::thread> workers_;
};

}  // namespace buildbudget::wasm
