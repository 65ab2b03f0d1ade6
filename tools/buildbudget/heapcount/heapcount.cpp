// buildbudget_heapcount: the heap-counting preload library behind
// wrt_memory_budget_add_test() (doc/memory-budget.md, "Budget checks", under
// "Run-time peak"): it counts the malloc family, posix_memalign,
// aligned_alloc and operator new/delete, and records each process's peak of
// live heap bytes.
//
// Use (glibc/Linux only):
//
//   BUILDBUDGET_HEAP_REPORT_DIR=/existing/dir LD_PRELOAD=/path/to/libbuildbudget_heapcount.so ./program args...
//
// Every process that runs with the library loaded (the command and any child
// that inherits LD_PRELOAD, including after fork() and exec()) writes, when
// it exits through exit() or by returning from main(), one file
// `<dir>/heap.<pid>.json` holding exactly one JSON object:
//
//   {"schema":"buildbudget-heap-report/1","pid":1234,"command":"prog",
//    "peak_bytes":3146000,"final_live_bytes":73000,"allocations":105,"frees":103}
//
//   pid               getpid() of the process that wrote the file.
//   command           /proc/self/comm (at most 15 bytes, as the kernel keeps
//                     it), JSON-escaped; bytes that are not valid UTF-8 are
//                     written as U+FFFD.
//   peak_bytes        the largest number of live heap bytes seen at any time
//                     (bytes: malloc_usable_size() of every live block).
//   final_live_bytes  live heap bytes when the report was written (at exit;
//                     blocks the program never freed, or freed later by
//                     library destructors).
//   allocations       successful allocations (malloc, calloc, realloc of a
//                     null pointer, every aligned form, every operator new).
//   frees             frees of non-null blocks (free, realloc to size 0,
//                     every operator delete). A realloc that resizes or moves
//                     a block is neither an allocation nor a free.
//
// The directory is read from the environment when the library is loaded (a
// relative one is resolved against the current directory at that moment); it
// must exist (it is not created). Without the variable nothing is written and
// the library only counts. The file is written to `<dir>/.heap.<pid>.json.tmp`
// and renamed into place, so a reader never sees half a file; the writer uses
// only open/write/close/rename and snprintf into stack buffers, never the
// heap. A failure to write is reported as one line on stderr
// (`buildbudget_heapcount: cannot write <path>: <reason>`) and does not change
// the program's exit status.
//
// How the counting works, and why:
//   * Every entry point forwards to glibc's own allocator through the exported
//     __libc_malloc, __libc_calloc, __libc_realloc, __libc_free and
//     __libc_memalign (and __libc_valloc, __libc_pvalloc), so there is no
//     dlsym(RTLD_NEXT) on the hot path and hence no recursion while the
//     dynamic linker itself allocates. The blocks are ordinary glibc blocks,
//     so glibc's malloc_usable_size(), malloc_trim() etc. keep working.
//   * Live bytes are counted as malloc_usable_size() of the real block, added
//     after a successful allocation and subtracted before the block is freed.
//     The requested size is not known at free() without keeping it somewhere:
//     a header in front of the block would break the alignment guarantees of
//     posix_memalign/aligned_alloc/aligned operator new (and of blocks freed
//     by code that never came through us), and a side table would need
//     allocation and locking inside the hooks. Usable size is what the block
//     really occupies, so the figures are slightly above the requested sizes
//     (glibc rounds up to 16 bytes and adds 8 bytes per chunk; large blocks
//     are mmapped and rounded to a page).
//   * realloc subtracts the old block's usable size and adds the new one's in
//     one step, so the instant in which glibc holds both the old and the new
//     block while copying is not part of the peak.
//   * The counters are lock-free std::atomic<long long> (peak is raised with
//     a compare-and-swap loop), constant-initialized, so the hooks work before
//     any constructor has run and from any thread. Nothing inside the hooks
//     allocates.
//   * operator new/delete (all C++17 replaceable forms: plain, array,
//     nothrow, sized, std::align_val_t) use the same accounting. When the
//     allocation fails, the call is handed to the C++ runtime's own operator
//     of the same form (found with dlsym(RTLD_NEXT) on that failure path
//     only), which retries through these hooks, calls the new-handler and
//     throws std::bad_alloc or returns nullptr exactly as the standard says.
//     This keeps the library free of any C++ runtime dependency, so loading
//     it into a C program does not pull in libstdc++ (whose start-up
//     allocation, a ~71 KiB exception pool, would be counted against the
//     program). The linker must then be told not to record the unused
//     libstdc++ (--as-needed: Debian's g++ passes it, clang++ does not).
//   * After fork() the child starts its own peak at the live bytes it
//     inherited and its allocation/free counts at zero (pthread_atfork).
//     exec() starts a new image with fresh counters; the image that finally
//     exits writes the report for that pid.
//
// Limitations: nothing is written when the process ends through _exit()
// (as some shells, e.g. dash, always do), quick_exit(), abort(), a signal or
// exec() without a later exit; static
// executables and set-user-ID programs ignore LD_PRELOAD; a program that
// defines its own malloc in the executable is not counted (its definitions
// win), while one linking a shared allocator (jemalloc, tcmalloc) is measured
// on glibc's allocator instead, because these hooks take precedence; blocks
// freed here that were allocated without these hooks (e.g. by a direct call
// of __libc_malloc) make the live count low (reports clamp it at 0). Not for
// use together with sanitizers.
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#if !defined(__GLIBC__)
#error "buildbudget_heapcount forwards to glibc's __libc_* allocator entry points; it needs glibc"
#endif

// glibc's own allocator entry points (exported since GLIBC_2.0/2.2.5, not in
// any header). Calling them never goes back through the interposed symbols.
// Their names are glibc's, hence reserved identifiers.
// NOLINTBEGIN(bugprone-reserved-identifier)
extern "C" {
void* __libc_malloc(std::size_t size) noexcept;
void* __libc_calloc(std::size_t count, std::size_t size) noexcept;
void* __libc_realloc(void* ptr, std::size_t size) noexcept;
void __libc_free(void* ptr) noexcept;
void* __libc_memalign(std::size_t alignment, std::size_t size) noexcept;
void* __libc_valloc(std::size_t size) noexcept;
void* __libc_pvalloc(std::size_t size) noexcept;
}
// NOLINTEND(bugprone-reserved-identifier)

#define BUILDBUDGET_HEAPCOUNT_EXPORT __attribute__((visibility("default")))

namespace buildbudget::heapcount {
namespace {

static_assert(std::atomic<long long>::is_always_lock_free, "the counters must be lock-free atomics");

// Constant-initialized: valid before any constructor runs.
std::atomic<long long> g_live{0};         // bytes (usable sizes) of the live blocks
std::atomic<long long> g_peak{0};         // largest g_live seen
std::atomic<long long> g_allocations{0};  // successful allocations
std::atomic<long long> g_frees{0};        // frees of non-null blocks
std::atomic<bool> g_reported{false};      // the report is written once per process

// BUILDBUDGET_HEAP_REPORT_DIR as it was when the library was loaded; empty:
// do not write a report.
char g_report_dir[PATH_MAX] = {};

// The counters are only touched through fetch_add/fetch_sub/exchange and the
// four-argument compare_exchange_weak. libstdc++ 12 implements load(), store()
// and the three-argument compare_exchange through memory_order operators that
// are not noexcept, and clang++ then makes every hook refer to the C++
// runtime's personality routine (__gxx_personality_v0), which would make the
// library need libstdc++ and count its start-up allocations in C programs.

/// Reads a counter (relaxed); see above for why this is not load().
long long read(std::atomic<long long>& counter) noexcept { return counter.fetch_add(0, std::memory_order_relaxed); }

/// Raises g_peak to at least `candidate` (bytes); lock-free CAS loop. The
/// first compare-exchange doubles as the read of the current peak.
void raise_peak(long long candidate) noexcept {
    long long seen = 0;
    while (candidate > seen &&
           !g_peak.compare_exchange_weak(seen, candidate, std::memory_order_relaxed, std::memory_order_relaxed)) {
    }
}

/// Counts a block just returned by glibc (null: a failed allocation, ignored).
/// Returns `ptr` so the callers can tail-return it.
void* count_allocation(void* ptr) noexcept {
    if (ptr != nullptr) {
        const auto bytes = static_cast<long long>(malloc_usable_size(ptr));
        raise_peak(g_live.fetch_add(bytes, std::memory_order_relaxed) + bytes);
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    }
    return ptr;
}

/// Uncounts a live block that is about to be freed (null: nothing).
void count_free(void* ptr) noexcept {
    if (ptr != nullptr) {
        g_live.fetch_sub(static_cast<long long>(malloc_usable_size(ptr)), std::memory_order_relaxed);
        g_frees.fetch_add(1, std::memory_order_relaxed);
    }
}

void* counted_malloc(std::size_t size) noexcept { return count_allocation(__libc_malloc(size)); }

void* counted_calloc(std::size_t count, std::size_t size) noexcept {
    return count_allocation(__libc_calloc(count, size));
}

void counted_free(void* ptr) noexcept {
    count_free(ptr);
    __libc_free(ptr);
}

/// realloc with glibc's semantics: null `ptr` is malloc; size 0 frees `ptr`
/// and returns null; on failure `ptr` is untouched. Live bytes change by
/// (new usable size - old usable size) in one step.
void* counted_realloc(void* ptr, std::size_t size) noexcept {
    if (ptr == nullptr) return counted_malloc(size);
    const auto old_bytes = static_cast<long long>(malloc_usable_size(ptr));
    void* result = __libc_realloc(ptr, size);
    if (result != nullptr) {
        const auto new_bytes = static_cast<long long>(malloc_usable_size(result));
        const long long delta = new_bytes - old_bytes;
        raise_peak(g_live.fetch_add(delta, std::memory_order_relaxed) + delta);
    } else if (size == 0) {  // glibc freed the block (REALLOC_ZERO_BYTES_FREES)
        g_live.fetch_sub(old_bytes, std::memory_order_relaxed);
        g_frees.fetch_add(1, std::memory_order_relaxed);
    }
    return result;
}

/// memalign with glibc's semantics (any alignment is rounded up to a power of
/// two; errno EINVAL/ENOMEM on failure).
void* counted_memalign(std::size_t alignment, std::size_t size) noexcept {
    return count_allocation(__libc_memalign(alignment, size));
}

bool is_power_of_two(std::size_t value) noexcept { return value != 0 && (value & (value - 1)) == 0; }

// ---------------------------------------------------------------------------
// operator new failure path: hand the call to the C++ runtime's own operator.

/// The mangled names of the replaceable operators for this ABI's size_t
/// (Itanium C++ ABI: `m` for unsigned long, `j` for unsigned int).
constexpr bool size_t_is_ulong = std::is_same<std::size_t, unsigned long>::value;
static_assert(size_t_is_ulong || std::is_same<std::size_t, unsigned int>::value, "unexpected size_t");
constexpr const char* name_new = size_t_is_ulong ? "_Znwm" : "_Znwj";
constexpr const char* name_new_array = size_t_is_ulong ? "_Znam" : "_Znaj";
constexpr const char* name_new_nothrow = size_t_is_ulong ? "_ZnwmRKSt9nothrow_t" : "_ZnwjRKSt9nothrow_t";
constexpr const char* name_new_array_nothrow = size_t_is_ulong ? "_ZnamRKSt9nothrow_t" : "_ZnajRKSt9nothrow_t";
constexpr const char* name_new_aligned = size_t_is_ulong ? "_ZnwmSt11align_val_t" : "_ZnwjSt11align_val_t";
constexpr const char* name_new_array_aligned = size_t_is_ulong ? "_ZnamSt11align_val_t" : "_ZnajSt11align_val_t";
constexpr const char* name_new_aligned_nothrow =
    size_t_is_ulong ? "_ZnwmSt11align_val_tRKSt9nothrow_t" : "_ZnwjSt11align_val_tRKSt9nothrow_t";
constexpr const char* name_new_array_aligned_nothrow =
    size_t_is_ulong ? "_ZnamSt11align_val_tRKSt9nothrow_t" : "_ZnajSt11align_val_tRKSt9nothrow_t";

using new_fn = void* (*)(std::size_t);
// Passed to the runtime's nothrow operators (a reference to std::nothrow
// itself would make this library depend on the C++ runtime).
constexpr std::nothrow_t nothrow_tag{};
using new_nothrow_fn = void* (*)(std::size_t, const std::nothrow_t&) noexcept;
using new_aligned_fn = void* (*)(std::size_t, std::align_val_t);
using new_aligned_nothrow_fn = void* (*)(std::size_t, std::align_val_t, const std::nothrow_t&) noexcept;

/// Writes all of `text` to stderr (no allocation).
void say(const char* text) {
    std::size_t left = std::strlen(text);
    while (left > 0) {
        const ssize_t n = ::write(STDERR_FILENO, text, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        text += n;
        left -= static_cast<std::size_t>(n);
    }
}

/// The next definition of the operator `name` after this library (the C++
/// runtime's), or null. Only called when an allocation has failed.
void* next_operator(const char* name) noexcept { return ::dlsym(RTLD_NEXT, name); }

/// next_operator() for a throwing form: aborts with a message on stderr when
/// there is none, because the only other choice, throwing std::bad_alloc,
/// needs the C++ runtime.
void* required_next_operator(const char* name) {
    void* symbol = next_operator(name);
    if (symbol == nullptr) {
        char line[256];
        std::snprintf(line, sizeof line,
                      "buildbudget_heapcount: allocation failed and no C++ runtime operator %s to throw "
                      "std::bad_alloc; aborting\n",
                      name);
        say(line);
        std::abort();
    }
    return symbol;
}

template <typename Fn>
Fn as_function(void* symbol) noexcept {
    Fn fn;
    static_assert(sizeof fn == sizeof symbol, "function and object pointers differ in size");
    std::memcpy(&fn, &symbol, sizeof fn);
    return fn;
}

void* new_or_throw(std::size_t size, const char* name) {
    if (size == 0) size = 1;
    if (void* ptr = counted_malloc(size)) return ptr;
    return as_function<new_fn>(required_next_operator(name))(size);
}

void* new_or_null(std::size_t size, const char* name) noexcept {
    if (size == 0) size = 1;
    if (void* ptr = counted_malloc(size)) return ptr;
    void* next = next_operator(name);
    return next == nullptr ? nullptr : as_function<new_nothrow_fn>(next)(size, nothrow_tag);
}

void* aligned_new_or_throw(std::size_t size, std::align_val_t alignment, const char* name) {
    if (size == 0) size = 1;
    if (void* ptr = counted_memalign(static_cast<std::size_t>(alignment), size)) return ptr;
    return as_function<new_aligned_fn>(required_next_operator(name))(size, alignment);
}

void* aligned_new_or_null(std::size_t size, std::align_val_t alignment, const char* name) noexcept {
    if (size == 0) size = 1;
    if (void* ptr = counted_memalign(static_cast<std::size_t>(alignment), size)) return ptr;
    void* next = next_operator(name);
    return next == nullptr ? nullptr : as_function<new_aligned_nothrow_fn>(next)(size, alignment, nothrow_tag);
}

// ---------------------------------------------------------------------------
// The report.

/// Appends `text` (`length` bytes) JSON-escaped to out[0..capacity), keeping
/// it NUL-terminated: `"` and `\` are backslash-escaped, control characters
/// become \u00XX, valid UTF-8 sequences are copied, any other byte becomes
/// \ufffd. Stops early (without splitting an escape) when out is full.
void json_escape(const unsigned char* text, std::size_t length, char* out, std::size_t capacity) noexcept {
    std::size_t used = 0;
    auto put = [&](const char* piece, std::size_t n) noexcept {
        if (used + n + 1 > capacity) return false;
        std::memcpy(out + used, piece, n);
        used += n;
        out[used] = '\0';
        return true;
    };
    if (capacity > 0) out[0] = '\0';
    std::size_t i = 0;
    while (i < length) {
        const unsigned char c = text[i];
        if (c == '"' || c == '\\') {
            const char pair[2] = {'\\', static_cast<char>(c)};
            if (!put(pair, 2)) return;
            ++i;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
            if (!put(escape, 6)) return;
            ++i;
            continue;
        }
        if (c < 0x80) {
            const char one = static_cast<char>(c);
            if (!put(&one, 1)) return;
            ++i;
            continue;
        }
        // Multi-byte UTF-8 (RFC 3629 table 3-7 ranges).
        std::size_t need = 0;
        unsigned char low = 0x80, high = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            if (c == 0xe0) low = 0xa0;
            if (c == 0xed) high = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            if (c == 0xf0) low = 0x90;
            if (c == 0xf4) high = 0x8f;
        }
        bool valid = need > 0 && i + need < length;  // the continuation bytes are there
        if (valid) {
            for (std::size_t k = 1; k <= need; ++k) {
                const unsigned char next = text[i + k];
                const unsigned char lo = k == 1 ? low : 0x80;
                const unsigned char hi = k == 1 ? high : 0xbf;
                if (next < lo || next > hi) {
                    valid = false;
                    break;
                }
            }
        }
        if (valid) {
            if (!put(reinterpret_cast<const char*>(text + i), need + 1)) return;
            i += need + 1;
        } else {
            if (!put("\\ufffd", 6)) return;
            ++i;
        }
    }
}

/// /proc/self/comm without its trailing newline, JSON-escaped into out
/// (empty when it cannot be read).
void read_command(char* out, std::size_t capacity) {
    unsigned char raw[64];
    std::size_t length = 0;
    const int fd = ::open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        for (;;) {
            const ssize_t n = ::read(fd, raw + length, sizeof raw - length);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            length += static_cast<std::size_t>(n);
            if (length == sizeof raw) break;
        }
        ::close(fd);
    }
    while (length > 0 && (raw[length - 1] == '\n' || raw[length - 1] == '\0')) --length;
    json_escape(raw, length, out, capacity);
}

bool write_all(int fd, const char* data, std::size_t length) {
    while (length > 0) {
        const ssize_t n = ::write(fd, data, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return false;
        }
        data += n;
        length -= static_cast<std::size_t>(n);
    }
    return true;
}

/// The system's text for an error number, without allocating.
const char* error_text(int error) noexcept {
#if __GLIBC_PREREQ(2, 32)
    const char* text = ::strerrordesc_np(error);
    if (text != nullptr) return text;
#endif
    (void)error;
    return "unknown error";
}

void report_failure(const char* path, int error) {
    char line[PATH_MAX + 160];
    std::snprintf(line, sizeof line, "buildbudget_heapcount: cannot write %s: %s\n", path, error_text(error));
    say(line);
}

long long clamp_non_negative(long long value) noexcept { return value < 0 ? 0 : value; }

/// Writes `<dir>/heap.<pid>.json` (see the top of this file). Once per
/// process; errno is preserved.
void write_report() {
    if (g_report_dir[0] == '\0') return;
    if (g_reported.exchange(true)) return;
    const int saved_errno = errno;

    // Snapshot first, so nothing below can change the figures.
    const long long peak = clamp_non_negative(read(g_peak));
    const long long live = clamp_non_negative(read(g_live));
    const long long allocations = read(g_allocations);
    const long long frees = read(g_frees);
    const long pid = static_cast<long>(::getpid());

    char command[128];
    read_command(command, sizeof command);

    char json[512];
    const int json_length = std::snprintf(
        json, sizeof json,
        "{\"schema\":\"buildbudget-heap-report/1\",\"pid\":%ld,\"command\":\"%s\",\"peak_bytes\":%lld,"
        "\"final_live_bytes\":%lld,\"allocations\":%lld,\"frees\":%lld}\n",
        pid, command, peak, live, allocations, frees);

    char path[PATH_MAX];
    char temp[PATH_MAX];
    const int path_length = std::snprintf(path, sizeof path, "%s/heap.%ld.json", g_report_dir, pid);
    const int temp_length = std::snprintf(temp, sizeof temp, "%s/.heap.%ld.json.tmp", g_report_dir, pid);
    if (json_length < 0 || static_cast<std::size_t>(json_length) >= sizeof json || path_length < 0 ||
        static_cast<std::size_t>(path_length) >= sizeof path || temp_length < 0 ||
        static_cast<std::size_t>(temp_length) >= sizeof temp) {
        report_failure(path, ENAMETOOLONG);
        errno = saved_errno;
        return;
    }

    const int fd = ::open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        report_failure(temp, errno);
        errno = saved_errno;
        return;
    }
    bool ok = write_all(fd, json, static_cast<std::size_t>(json_length));
    int error = errno;
    if (::close(fd) != 0 && ok) {
        ok = false;
        error = errno;
    }
    if (ok && ::rename(temp, path) != 0) {
        ok = false;
        error = errno;
    }
    if (!ok) {
        ::unlink(temp);
        report_failure(path, error);
    }
    errno = saved_errno;
}

/// pthread_atfork child handler: the child's peak starts at what it inherited.
void reset_after_fork() noexcept {
    g_peak.exchange(read(g_live), std::memory_order_relaxed);
    g_allocations.exchange(0, std::memory_order_relaxed);
    g_frees.exchange(0, std::memory_order_relaxed);
    g_reported.exchange(false, std::memory_order_relaxed);
}

/// Records BUILDBUDGET_HEAP_REPORT_DIR (made absolute against the current
/// directory at load time, so a later chdir() does not move the report) and
/// registers the fork handler.
__attribute__((constructor)) void on_load() {
    if (const char* dir = std::getenv("BUILDBUDGET_HEAP_REPORT_DIR"); dir != nullptr && dir[0] != '\0') {
        char cwd[PATH_MAX] = {};
        int length = -1;
        if (dir[0] == '/') {
            length = std::snprintf(g_report_dir, sizeof g_report_dir, "%s", dir);
        } else if (::getcwd(cwd, sizeof cwd) != nullptr) {
            length = std::snprintf(g_report_dir, sizeof g_report_dir, "%s/%s", cwd, dir);
        }
        if (length < 0 || static_cast<std::size_t>(length) >= sizeof g_report_dir) {
            g_report_dir[0] = '\0';
            say("buildbudget_heapcount: BUILDBUDGET_HEAP_REPORT_DIR cannot be resolved (too long, or no current "
                "directory); no report will be written\n");
        }
    }
    ::pthread_atfork(nullptr, nullptr, &reset_after_fork);
}

// Runs from the dynamic linker's finalizer, which exit() (and returning from
// main) calls after the program's atexit handlers and static destructors, so
// final_live_bytes sees what they freed.
__attribute__((destructor)) void on_unload() { write_report(); }

}  // namespace
}  // namespace buildbudget::heapcount

// ---------------------------------------------------------------------------
// The interposed C entry points (declarations in <stdlib.h>/<malloc.h>).

using namespace buildbudget::heapcount;

extern "C" {

BUILDBUDGET_HEAPCOUNT_EXPORT void* malloc(std::size_t size) noexcept { return counted_malloc(size); }

BUILDBUDGET_HEAPCOUNT_EXPORT void* calloc(std::size_t count, std::size_t size) noexcept {
    return counted_calloc(count, size);
}

BUILDBUDGET_HEAPCOUNT_EXPORT void* realloc(void* ptr, std::size_t size) noexcept { return counted_realloc(ptr, size); }

BUILDBUDGET_HEAPCOUNT_EXPORT void free(void* ptr) noexcept { counted_free(ptr); }

/// reallocarray (glibc 2.26): realloc of count*size bytes; ENOMEM on overflow.
BUILDBUDGET_HEAPCOUNT_EXPORT void* reallocarray(void* ptr, std::size_t count, std::size_t size) noexcept {
    std::size_t bytes = 0;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return nullptr;
    }
    return counted_realloc(ptr, bytes);
}

/// POSIX: alignment must be a power of two and a multiple of sizeof(void*)
/// (else EINVAL); returns ENOMEM on failure, *memptr untouched.
BUILDBUDGET_HEAPCOUNT_EXPORT int posix_memalign(void** memptr, std::size_t alignment, std::size_t size) noexcept {
    if (!is_power_of_two(alignment) || alignment % sizeof(void*) != 0) return EINVAL;
    const int saved_errno = errno;
    void* ptr = counted_memalign(alignment, size);
    errno = saved_errno;
    if (ptr == nullptr) return ENOMEM;
    *memptr = ptr;
    return 0;
}

/// C11 aligned_alloc as the installed glibc does it: glibc 2.38 and later
/// reject an alignment that is not a power of two (EINVAL); older glibc
/// treats it as memalign (rounding the alignment up).
BUILDBUDGET_HEAPCOUNT_EXPORT void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
#if __GLIBC_PREREQ(2, 38)
    if (!is_power_of_two(alignment)) {
        errno = EINVAL;
        return nullptr;
    }
#endif
    return counted_memalign(alignment, size);
}

BUILDBUDGET_HEAPCOUNT_EXPORT void* memalign(std::size_t alignment, std::size_t size) noexcept {
    return counted_memalign(alignment, size);
}

BUILDBUDGET_HEAPCOUNT_EXPORT void* valloc(std::size_t size) noexcept { return count_allocation(__libc_valloc(size)); }

BUILDBUDGET_HEAPCOUNT_EXPORT void* pvalloc(std::size_t size) noexcept {
    return count_allocation(__libc_pvalloc(size));
}

}  // extern "C"

// ---------------------------------------------------------------------------
// The replaceable C++ allocation functions ([new.delete], C++17).

BUILDBUDGET_HEAPCOUNT_EXPORT void* operator new(std::size_t size) { return new_or_throw(size, name_new); }
BUILDBUDGET_HEAPCOUNT_EXPORT void* operator new[](std::size_t size) { return new_or_throw(size, name_new_array); }

BUILDBUDGET_HEAPCOUNT_EXPORT void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return new_or_null(size, name_new_nothrow);
}
BUILDBUDGET_HEAPCOUNT_EXPORT void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return new_or_null(size, name_new_array_nothrow);
}

BUILDBUDGET_HEAPCOUNT_EXPORT void* operator new(std::size_t size, std::align_val_t alignment) {
    return aligned_new_or_throw(size, alignment, name_new_aligned);
}
BUILDBUDGET_HEAPCOUNT_EXPORT void* operator new[](std::size_t size, std::align_val_t alignment) {
    return aligned_new_or_throw(size, alignment, name_new_array_aligned);
}

BUILDBUDGET_HEAPCOUNT_EXPORT void* operator new(std::size_t size, std::align_val_t alignment,
                                                const std::nothrow_t&) noexcept {
    return aligned_new_or_null(size, alignment, name_new_aligned_nothrow);
}
BUILDBUDGET_HEAPCOUNT_EXPORT void* operator new[](std::size_t size, std::align_val_t alignment,
                                                  const std::nothrow_t&) noexcept {
    return aligned_new_or_null(size, alignment, name_new_array_aligned_nothrow);
}

BUILDBUDGET_HEAPCOUNT_EXPORT void operator delete(void* ptr) noexcept { counted_free(ptr); }
BUILDBUDGET_HEAPCOUNT_EXPORT void operator delete[](void* ptr) noexcept { counted_free(ptr); }
BUILDBUDGET_HEAPCOUNT_EXPORT void operator delete(void* ptr, std::size_t) noexcept { counted_free(ptr); }
BUILDBUDGET_HEAPCOUNT_EXPORT void operator delete[](void* ptr, std::size_t) noexcept { counted_free(ptr); }
BUILDBUDGET_HEAPCOUNT_EXPORT void operator delete(void* ptr, const std::nothrow_t&) noexcept { counted_free(ptr); }
BUILDBUDGET_HEAPCOUNT_EXPORT void operator delete[](void* ptr, const std::nothrow_t&) noexcept { counted_free(ptr); }
BUILDBUDGET_HEAPCOUNT_EXPORT void operator delete(void* ptr, std::align_val_t) noexcept { counted_free(ptr); }
BUILDBUDGET_HEAPCOUNT_EXPORT void operator delete[](void* ptr, std::align_val_t) noexcept { counted_free(ptr); }
BUILDBUDGET_HEAPCOUNT_EXPORT void operator delete(void* ptr, std::size_t, std::align_val_t) noexcept {
    counted_free(ptr);
}
BUILDBUDGET_HEAPCOUNT_EXPORT void operator delete[](void* ptr, std::size_t, std::align_val_t) noexcept {
    counted_free(ptr);
}
BUILDBUDGET_HEAPCOUNT_EXPORT void operator delete(void* ptr, std::align_val_t, const std::nothrow_t&) noexcept {
    counted_free(ptr);
}
BUILDBUDGET_HEAPCOUNT_EXPORT void operator delete[](void* ptr, std::align_val_t, const std::nothrow_t&) noexcept {
    counted_free(ptr);
}
