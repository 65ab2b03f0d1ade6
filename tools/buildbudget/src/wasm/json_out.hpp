// The streaming JSON writer of the wasm analysis report (analysis_json.cpp).
#pragma once

#include "wasm/reader.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <exception>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

namespace buildbudget::wasm {

/// A streaming JSON writer: objects and arrays are written one member per
/// line, indented by two spaces, except "inline" ones (all of whose members
/// are scalars) which stay on one line: a function or a data segment is one
/// line, so a report with 10^5 of them stays readable and small. Building an
/// nlohmann tree of that many objects first costs more than the analysis.
class JsonOut {
    template <typename T>
    struct is_optional : std::false_type {};
    template <typename T>
    struct is_optional<std::optional<T>> : std::true_type {};

public:
    using json = nlohmann::ordered_json;

    JsonOut() = default;

    std::string text;
    /// Where finished text goes, or null (all of it stays in `text`): at the
    /// end of each object or array, once `text` holds flush_bytes or more, it
    /// is written there and emptied, so a 10 MB report never sits in memory whole.
    std::ostream* sink = nullptr;
    static constexpr std::size_t flush_bytes = std::size_t{1} << 16;

    /// Writes `text` to the sink (if any) and empties it.
    void flush() {
        if (sink == nullptr) return;
        sink->write(text.data(), static_cast<std::streamsize>(text.size()));
        text.clear();
    }

    void begin_object(bool inline_ = false) { open('{', inline_); }
    void end_object() { close('}'); }
    void begin_array(bool inline_ = false) { open('[', inline_); }
    void end_array() { close(']'); }

    JsonOut& key(std::string_view k) {
        separator();
        string(k);
        text += ": ";
        pending_ = true;
        return *this;
    }
    /// A key written in the source ("name"), which must need no escaping (printable ASCII other
    /// than '"' and '\\', as every key of the reports): in an inline object, the separator, the
    /// quoted key and the colon go in with one append instead of five, sizes known when compiled
    /// (10^6 members in duckdb-mvp.wasm's report; doc/helper-wasm-analyze.md, "Speed").
    template <std::size_t N>
    JsonOut& key(const char (&k)[N]) {
        char piece[N + 5];
        text.append(piece, member_start(piece, k));
        pending_ = true;
        return *this;
    }

    void value(std::nullptr_t) { scalar("null"); }
    void value(bool b) { scalar(b ? "true" : "false"); }
    void value(std::uint64_t v) {
        prefix();
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        text.append(buf, static_cast<std::size_t>(r.ptr - buf));  // (first, last) would be a replace()
    }
    void value(std::uint32_t v) { value(static_cast<std::uint64_t>(v)); }
    void value(std::int64_t v) {
        prefix();
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        text.append(buf, static_cast<std::size_t>(r.ptr - buf));
    }
    void value(double v) {
        prefix();
        if (!std::isfinite(v)) {
            text += "null";
            return;
        }
        char buf[32];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest form that reads back the same
        const std::string_view digits(buf, static_cast<std::size_t>(r.ptr - buf));
        text += digits;
        if (digits.find_first_of(".e") == std::string_view::npos) text += ".0";
    }
    void value(std::string_view s) {
        prefix();
        string(s);
    }
    void value(const char* s) { value(std::string_view(s)); }
    void value(const std::string& s) { value(std::string_view(s)); }
    template <typename T>
    void value(const std::optional<T>& v) {
        if (v) {
            value(*v);
        } else {
            value(nullptr);
        }
    }
    /// An nlohmann value (recommendation figures), with the same layout rules.
    void value(const json& j) {
        switch (j.type()) {
            case json::value_t::object: {
                begin_object(all_scalars(j));
                for (const auto& [k, v] : j.items()) {
                    key(k);
                    value(v);
                }
                end_object();
                break;
            }
            case json::value_t::array: {
                begin_array(all_scalars(j));
                for (const auto& v : j) value(v);
                end_array();
                break;
            }
            case json::value_t::string: value(std::string_view(j.get_ref<const std::string&>())); break;
            case json::value_t::boolean: value(j.get<bool>()); break;
            case json::value_t::number_unsigned: value(j.get<std::uint64_t>()); break;
            case json::value_t::number_integer: value(j.get<std::int64_t>()); break;
            case json::value_t::number_float: value(j.get<double>()); break;
            default: value(nullptr); break;
        }
    }

    /// Before an array element (optional: a value written without it is separated too).
    void element() { separator(); }

    /// An inline array of the numbers [first, last): the text begin_array(true), element() and
    /// value() for each, and end_array() write, a run of numbers per append (a function's
    /// callees in the report: 256,523 of them on duckdb-mvp.wasm).
    void inline_numbers(const std::uint32_t* first, const std::uint32_t* last) {
        begin_array(true);
        char piece[512];
        std::size_t at = 0;
        for (const std::uint32_t* p = first; p != last; ++p) {
            if (at + 12 > sizeof piece) {  // ", " and the 10 digits of 2^32 - 1
                text.append(piece, at);
                at = 0;
            }
            if (p != first) {
                piece[at++] = ',';
                piece[at++] = ' ';
            }
            at = static_cast<std::size_t>(std::to_chars(piece + at, piece + sizeof piece, *p).ptr - piece);
        }
        text.append(piece, at);
        levels_.back().first = first == last;
        end_array();
    }

    /// key(k) then value(v).
    template <typename T>
    void member(std::string_view k, const T& v) {
        key(k);
        value(v);
    }
    /// The same with a key written in the source (key(const char (&)[N])): in an inline object, a
    /// number or a string that needs no escaping goes in with the separator and the key in one
    /// append.
    template <std::size_t N, typename T>
    void member(const char (&k)[N], const T& v) {
        if constexpr (std::is_same_v<T, std::uint64_t> || std::is_same_v<T, std::uint32_t>) {
            char piece[N + 5 + 20];  // and the 20 digits of 2^64 - 1
            std::size_t at = member_start(piece, k);
            at = static_cast<std::size_t>(std::to_chars(piece + at, piece + sizeof piece, v).ptr - piece);
            text.append(piece, at);
            pending_ = false;
        } else if constexpr (is_optional<T>::value) {
            if (v) {
                member(k, *v);
            } else {
                key(k);
                value(nullptr);
            }
        } else if constexpr (std::is_convertible_v<const T&, std::string_view> && !std::is_same_v<T, std::nullptr_t>) {
            const std::string_view s = v;
            constexpr std::size_t short_string = 240;
            if (s.size() > short_string || plain_run(s) != s.size()) {
                key(k);
                value(s);
                return;
            }
            char piece[N + 5 + short_string + 2];
            std::size_t at = member_start(piece, k);
            piece[at++] = '"';
            if (!s.empty()) std::memcpy(piece + at, s.data(), s.size());  // (an empty view's data may be null)
            at += s.size();
            piece[at++] = '"';
            text.append(piece, at);
            pending_ = false;
        } else {
            key(k);
            value(v);
        }
    }

    /// The elements 0 .. count-1 of the array just begun, each written by
    /// `write(JsonOut& w, std::size_t i)` into the writer it is given (a
    /// writer at this one's depth and layout), in order. From
    /// parallel_elements on, runs of element_run elements are written on this
    /// thread and one more, each taking the next run as it becomes free, and
    /// each run's text is appended here in order (or written to the sink) as
    /// soon as the runs before it are: the same text as one thread writes.
    /// No run is begun more than run_buffers runs ahead of the first one not
    /// appended yet, and the runs' text goes into buffers this thread makes
    /// and the runs reuse, so their memory stays a few runs' worth and comes
    /// from this thread's heap (common/heap.hpp), written again rather than
    /// faulted in anew. Writing the functions of duckdb-mvp.wasm (62,171;
    /// 30 MB of the report's 59 MB) was a third of `analyze --json`'s time
    /// on one thread (doc/helper-wasm-analyze.md, "Speed"). `write` is called
    /// from both threads at once, so it may only read what it shares. An
    /// exception from it (std::bad_alloc) is thrown here once both threads
    /// stopped.
    template <typename Write>
    void elements(std::size_t count, const Write& write) {
        if (count < parallel_elements) {
            for (std::size_t i = 0; i < count; ++i) write(*this, i);
            return;
        }
        const std::size_t runs = (count + element_run - 1) / element_run;
        const bool first = levels_.back().first;
        // Shared under `mutex`: the runs' state, the buffers, and whether a run failed.
        std::mutex mutex;
        std::condition_variable changed;           // a run done or appended, or a failure
        std::vector<std::string> texts(runs);      // of the runs done and not appended yet
        std::vector<char> done(runs, 0);
        std::size_t next = 0;                      // the next run to begin
        std::size_t appended = 0;                  // the runs appended to `text` or the sink
        std::vector<std::string> spare(run_buffers);  // buffers for the next runs
        for (auto& buffer : spare) buffer.reserve(run_buffer_bytes);
        bool failed = false;
        std::exception_ptr error;
        // Begins the next run if one is left within the window (under the lock); SIZE_MAX if none.
        const auto begin_run = [&](std::string& buffer) {
            if (failed || next == runs || next >= appended + run_buffers) return SIZE_MAX;
            if (!spare.empty()) {
                buffer = std::move(spare.back());
                spare.pop_back();
            }
            return next++;
        };
        // Writes run `run` into `buffer`, outside the lock; an element's exception is kept for the caller.
        const auto write_run = [&](std::size_t run, std::string&& buffer) {
            try {
                JsonOut w(levels_, first && run == 0);
                w.text = std::move(buffer);
                const std::size_t end = std::min(count, (run + 1) * element_run);
                for (std::size_t i = run * element_run; i < end; ++i) write(w, i);
                const std::lock_guard<std::mutex> lock(mutex);
                texts[run] = std::move(w.text);
                done[run] = 1;
            } catch (...) {
                const std::lock_guard<std::mutex> lock(mutex);
                if (!failed) error = std::current_exception();
                failed = true;
            }
            changed.notify_all();
        };
        std::thread helper;
        try {
            helper = std::thread([&] {
                for (;;) {
                    std::string buffer;
                    std::size_t run = SIZE_MAX;
                    {
                        std::unique_lock<std::mutex> lock(mutex);
                        changed.wait(lock, [&] {
                            return failed || next == runs || next < appended + run_buffers;
                        });
                        run = begin_run(buffer);
                        if (run == SIZE_MAX) return;
                    }
                    write_run(run, std::move(buffer));
                }
            });
        } catch (const std::system_error&) {
            // No second thread: this one writes every run.
        }
        // This thread: appends the runs done in order, and writes a run itself whenever one can be
        // begun; otherwise it waits for the first run not appended, which the other is writing.
        const auto stop_helper = [&] {
            {
                const std::lock_guard<std::mutex> lock(mutex);
                next = runs;  // the helper begins no more
            }
            changed.notify_all();
            if (helper.joinable()) helper.join();
        };
        try {
            for (;;) {
                std::string run_text;
                std::string buffer;
                std::size_t run = SIZE_MAX;
                {
                    std::unique_lock<std::mutex> lock(mutex);
                    if (failed || appended == runs) break;
                    if (done[appended] != 0) {
                        run_text = std::move(texts[appended]);
                        ++appended;
                    } else {
                        run = begin_run(buffer);
                        if (run == SIZE_MAX) {
                            changed.wait(lock, [&] { return failed || done[appended] != 0; });
                            continue;
                        }
                    }
                }
                if (run != SIZE_MAX) {
                    write_run(run, std::move(buffer));
                    continue;
                }
                changed.notify_all();  // a place in the window
                if (sink != nullptr) {  // straight to the sink, not copied
                    flush();
                    sink->write(run_text.data(), static_cast<std::streamsize>(run_text.size()));
                } else {
                    text += run_text;
                }
                run_text.clear();
                const std::lock_guard<std::mutex> lock(mutex);
                spare.push_back(std::move(run_text));
            }
        } catch (...) {  // appending failed (std::bad_alloc): the helper is not left running
            stop_helper();
            throw;
        }
        stop_helper();
        if (failed) std::rethrow_exception(error);
        levels_.back().first = false;
    }
    /// elements() writes on two threads from this many elements on, a run of
    /// element_run at a time (a thread costs about 0.1 ms to start and join),
    /// at most run_buffers runs ahead of the output, into buffers of
    /// run_buffer_bytes to begin with (a run of duckdb-mvp.wasm's functions
    /// is about 500 KB).
    static constexpr std::size_t parallel_elements = 8192;
    static constexpr std::size_t element_run = 1024;
    static constexpr std::size_t run_buffers = 4;
    static constexpr std::size_t run_buffer_bytes = std::size_t{1} << 20;

private:
    struct Level {
        bool inline_;
        bool first;
    };
    std::vector<Level> levels_;
    bool pending_ = false;  // a key or a separator was written: the value comes next

    // elements(): a writer inside the same arrays and objects as `levels` says.
    JsonOut(const std::vector<Level>& levels, bool first) : levels_(levels) { levels_.back().first = first; }

    static bool all_scalars(const json& j) {
        for (const auto& v : j) {
            if (v.is_structured() && !v.empty()) return false;
        }
        return true;
    }

    // The separator before a member whose key is written in the source, and the quoted key and its
    // colon, into `piece` (room for N + 5 bytes); returns their length. In an inline object the
    // separator is ", " (or nothing for the first member); else a line of its own, written here.
    template <std::size_t N>
    std::size_t member_start(char* piece, const char (&k)[N]) {
        std::size_t at = 0;
        if (levels_.empty() || !levels_.back().inline_) {
            separator();
        } else {
            Level& l = levels_.back();
            if (!l.first) {
                piece[at++] = ',';
                piece[at++] = ' ';
            }
            l.first = false;
        }
        piece[at++] = '"';
        std::memcpy(piece + at, k, N - 1);
        at += N - 1;
        std::memcpy(piece + at, "\": ", 3);
        return at + 3;
    }

    void newline() {
        text += '\n';
        text.append(2 * levels_.size(), ' ');
    }

    // Before a member or an element: the comma and the line break; the next
    // value goes right after it.
    void separator() {
        if (levels_.empty()) return;
        Level& l = levels_.back();
        if (!l.first) text.append(", ", l.inline_ ? 2 : 1);
        if (!l.inline_) newline();
        l.first = false;
        pending_ = true;
    }

    // Before a value: nothing after key() or element(); else (an array
    // element written directly) the separator.
    void prefix() {
        if (!pending_) separator();
        pending_ = false;
    }

    void scalar(const char* literal) {
        prefix();
        text += literal;
    }

    void open(char c, bool inline_) {
        prefix();
        text += c;
        levels_.push_back({inline_ || (!levels_.empty() && levels_.back().inline_), true});
    }

    void close(char c) {
        const Level l = levels_.back();
        levels_.pop_back();
        if (!l.inline_ && !l.first) newline();
        text += c;
        if (sink != nullptr && text.size() >= flush_bytes) flush();
    }

    static bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

    // The length of the run of plain() bytes at the start of `s`: sixteen bytes at a time with SSE2
    // (below), else eight at a time, where a word's bytes are all plain when none is below 0x20,
    // none has its high bit, and none is '"' or '\\' (the zero-byte test of "Bit Twiddling Hacks",
    // Sean Eron Anderson, "Determine if a word has a byte less than n", on the word and on its XOR
    // with each of the two).
    static std::size_t plain_run(std::string_view s) {
        constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        std::size_t i = 0;
#if defined(__SSE2__)
        // Sixteen bytes at a time where SSE2 is (every x86-64): as signed bytes, a control character
        // and a byte with its high bit are both less than 0x20; the mask says where the first
        // byte that is not plain() is.
        const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
        const auto stops = [&](std::size_t at) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + at));
            const __m128i stop = _mm_or_si128(_mm_cmplt_epi8(v, space),
                                              _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
            return static_cast<unsigned>(_mm_movemask_epi8(stop));
        };
        for (; i + 16 <= s.size(); i += 16) {
            if (const unsigned mask = stops(i); mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(mask));
        }
        if (i < s.size() && s.size() >= 16) {
            // The rest, fewer than 16 bytes, as the end of the last 16: the bytes before i are plain.
            const std::size_t last = s.size() - 16;
            const unsigned mask = stops(last) >> (i - last);
            return mask != 0 ? i + static_cast<std::size_t>(__builtin_ctz(mask)) : s.size();
        }
#endif
        for (; i + 8 <= s.size(); i += 8) {
            std::uint64_t w;
            std::memcpy(&w, s.data() + i, 8);
            const std::uint64_t control = (w - ones * 0x20) & ~w;
            const std::uint64_t quote = ((w ^ (ones * '"')) - ones) & ~(w ^ (ones * '"'));
            const std::uint64_t backslash = ((w ^ (ones * '\\')) - ones) & ~(w ^ (ones * '\\'));
            if (((control | quote | backslash) & highs) != 0 || (w & highs) != 0) break;
        }
        while (i < s.size() && plain(static_cast<unsigned char>(s[i]))) ++i;
        return i;
    }

    // A JSON string (RFC 8259 §7): quotes, backslashes and control characters
    // escaped; valid UTF-8 passes through, an invalid byte (a file name given on
    // the command line may have one) becomes U+FFFD.
    // Not inlined: into a call with a short literal, GCC 12 warns (-Warray-bounds) on plain_run()'s
    // 16-byte loads, which its length check never lets run there.
    [[gnu::noinline]] void string(std::string_view s) {
        text += '"';
        std::size_t i = 0;
        while (i < s.size()) {
            // Printable ASCII other than '"' and '\\' (nearly every key and name) is
            // appended a run at a time: byte-by-byte appends were a fifth of
            // `analyze --json`'s time on a 30 MB module (perf; bench/wasm_analyze.py).
            const std::size_t run = i + plain_run(s.substr(i));
            if (run != i) {
                text.append(s.data() + i, run - i);
                i = run;
                continue;
            }
            const auto c = static_cast<unsigned char>(s[i]);
            if (c < 0x80) {
                switch (c) {
                    case '"': text += "\\\""; break;
                    case '\\': text += "\\\\"; break;
                    case '\n': text += "\\n"; break;
                    case '\t': text += "\\t"; break;
                    case '\r': text += "\\r"; break;
                    case '\b': text += "\\b"; break;
                    case '\f': text += "\\f"; break;
                    default: {
                        char buf[8];
                        std::snprintf(buf, sizeof buf, "\\u%04x", c);
                        text += buf;
                    }
                }
                ++i;
                continue;
            }
            const std::size_t len =
                utf8_sequence_length(reinterpret_cast<const std::uint8_t*>(s.data()) + i, s.size() - i);
            if (len == 0) {
                text += "\xEF\xBF\xBD";
                ++i;
            } else {
                text.append(s.data() + i, len);
                i += len;
            }
        }
        text += '"';
    }
};

}  // namespace buildbudget::wasm
