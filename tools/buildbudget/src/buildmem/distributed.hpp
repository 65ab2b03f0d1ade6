// Compile pools with a compile farm (doc/lowmem-distributed.md): the remote
// capacity of distcc or icecream and the pool sizes that keep the local
// machine inside its memory while compiles run elsewhere.
//
// distcc's host list (distcc(1), "HOST SPECIFICATIONS" and "FILES"), read in
// distcc's own order: $DISTCC_HOSTS, else $DISTCC_DIR/hosts (DISTCC_DIR
// defaults to ~/.distcc), else the system-wide /etc/distcc/hosts. Host specs:
//
//   localhost[/LIMIT]                 compiles run in place (limit default 2)
//   --localslots=N, --localslots_cpp=N local jobs distcc cannot send; local preprocessors
//   [USER]@HOSTID[/LIMIT][:COMMAND][OPTIONS]  SSH (limit default 4)
//   HOSTID[:PORT][/LIMIT][OPTIONS], HOSTID[/LIMIT][:PORT][OPTIONS]  TCP (limit default 4)
//   OPTIONS = ,lzo | ,cpp (pump mode) | ,auth[=NAME]
//   --randomize, +zeroconf, comments from # to the end of the line
//
// HOSTID is a name, an IPv4 address or an IPv6 address in brackets. The
// default limits are distcc's ("four per host (two for localhost)"), which
// `distcc -j` sums. As in distcc, "localhost/N,cpp" is local (the options
// ignored) and "localhost,lzo" or "localhost:port" a TCP host. This reader is
// stricter than distcc: distcc takes an unknown "--option" for a host name and
// ignores a second "/N"; here both are errors naming where they are, and so is
// a list without hosts (distcc would compile everything locally).
//
// Icecream's capacity is known only to its scheduler (its own protocol): with
// icecc the remote slots are what the scheduler reports (icecream.hpp), unless
// given (--remote-slots / REMOTE_SLOTS), an override that also applies to distcc.
//
// Icecream's client preprocesses before it sends (client/local.cpp
// compiler_only_rewrite_includes(), client/cpp.cpp call_cpp()): by default
// (ICECC_REMOTE_CPP unset or 1) it runs the local compiler with
// -fdirectives-only (GCC) or -frewrite-includes (clang), which merges every
// #include here; with ICECC_REMOTE_CPP=0 the whole preprocessor (-E). Either
// peaks about as the compiler's -E does, so icecream costs what plain distcc does.
//
// The sizing (all sizes bytes), usable = limit - reserve of the local plan:
//   per remote job locally  plain distcc and icecream: the preprocessor,
//                           preprocess_memory() = max(compile memory / 8,
//                           128 MiB), at most the compile memory; distcc's
//                           pump mode (",cpp"): the client only,
//                           client_memory (16 MiB)
//   remote slots R          sum of the remote hosts' limits (or the override),
//                           lowered to what usable memory holds at that cost
//   local compile slots L   clamp(floor((usable - remote cost) / compile memory),
//                           0, CPUs), and with distcc at most the list's
//                           localhost slots (distcc compiles locally only there;
//                           more localhost slots than L get a reason line, since
//                           distcc uses them whatever the pool)
//   compile pool            R + L, at least 1
//   link pool               the local plan's, unchanged
#pragma once

#include "buildmem/icecream.hpp"
#include "buildmem/plan.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace buildbudget::buildmem {

/// A host list or request that cannot be read: what() is "<where>: <problem>; expected <what>".
class DistributedError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One host of a distcc host list.
struct DistccHost {
    enum class Kind { local, tcp, ssh };
    Kind kind = Kind::tcp;
    std::string spec;               ///< as written
    std::string where;              ///< "DISTCC_HOSTS:1:7" or "<file>:<line>:<column>"
    std::string host;               ///< host name or address ("localhost" for local)
    std::string user, command;      ///< SSH only
    std::optional<unsigned> port;   ///< TCP only; distcc's default is 3632
    unsigned limit = 4;             ///< jobs distcc sends at once
    bool limit_given = false;
    bool lzo = false, cpp = false, auth = false;
};

/// A parsed host list.
struct DistccHostList {
    std::string source;  ///< "DISTCC_HOSTS" or the file's path
    std::vector<DistccHost> hosts;
    bool randomize = false, zeroconf = false;
    std::optional<unsigned> localslots, localslots_cpp;

    [[nodiscard]] unsigned local_slots() const;        ///< sum of the localhost limits
    [[nodiscard]] unsigned remote_slots() const;       ///< sum of the remote hosts' limits
    [[nodiscard]] unsigned remote_pump_slots() const;  ///< of which ",cpp" hosts
};

/// Parses a host list. `source` names it in errors: a file's lines are
/// "<source>:<line>:<column>", the variable's "DISTCC_HOSTS:<line>:<column>".
[[nodiscard]] DistccHostList parse_distcc_hosts(const std::string& text, const std::string& source);

/// Where distcc looks. Empty optionals: the variable is not set.
struct DistccLookup {
    std::optional<std::string> distcc_hosts, distcc_dir, home;
    std::string system_file = "/etc/distcc/hosts";
    /// From the process environment.
    static DistccLookup from_environment();
};

/// The host list distcc would use, or nothing when none is set or present.
/// Errors: DistributedError for a file that exists but cannot be read, or a bad spec.
[[nodiscard]] std::optional<DistccHostList> find_distcc_hosts(const DistccLookup& lookup);

enum class Engine { distcc, icecc };
[[nodiscard]] const char* to_string(Engine e);

/// What `buildmem plan --distributed` is asked.
struct DistributedRequest {
    std::string engine = "auto";                ///< distcc, icecc or auto
    std::optional<unsigned> remote_slots;       ///< --remote-slots
    std::vector<std::string> launchers;         ///< CMAKE_<LANG>_COMPILER_LAUNCHER values
    DistccLookup lookup;
    std::string root = "/";                     ///< auto looks for iceccd under <root>/proc
    IcecreamLookup icecream;                    ///< where icecc's scheduler is (its root: this root)
};

/// The distributed part of the plan.
struct DistributedPlan {
    Engine engine = Engine::distcc;
    std::string engine_source;                  ///< why this engine
    std::optional<DistccHostList> hosts;        ///< distcc's list, when one was read
    std::optional<IcecreamFarm> icecream;       ///< icecream's farm, when its scheduler was asked
    unsigned remote_slots = 0;                  ///< the farm's slots the pool counts on
    unsigned remote_pump_slots = 0;             ///< of which distcc pump mode (,cpp): only the client
    std::string remote_slots_source;
    std::uint64_t preprocess_memory = 0;        ///< local cost of a plain distcc or icecream remote compile
    std::uint64_t client_memory = 0;            ///< local cost of a pump-mode remote compile
    unsigned local_compile_jobs = 0;
    unsigned compile_jobs = 1;                  ///< the compile pool: remote + local
    unsigned link_jobs = 1;                     ///< the local plan's
    std::vector<std::string> reasons;
};

/// The local cost of a distcc pump-mode remote compile: the client (distcc's
/// measured peak is about 4 MiB; 16 MiB leaves room for the argument and file
/// buffers). Not icecream's: icecc preprocesses here (see above).
inline constexpr std::uint64_t client_memory = 16ULL << 20;
/// The preprocessor's floor: clang -E of a TU with the standard library's
/// heavy headers peaks about 83 MiB (GCC's about 25 MiB).
inline constexpr std::uint64_t min_preprocess_memory = 128ULL << 20;
/// max(compile_memory / 8, 128 MiB), at most compile_memory.
[[nodiscard]] std::uint64_t preprocess_memory(std::uint64_t compile_memory);

/// Finds the engine and its capacity, sizes the pools on top of the local
/// plan (its limit, reserve, CPUs, compile memory and link pool), and gives
/// one reason per decision. Errors: DistributedError ("--distributed auto: no
/// engine found ...", "--distributed icecc: --remote-slots: ...", a bad host list).
[[nodiscard]] DistributedPlan plan_distributed(const Plan& local, const DistributedRequest& request);

/// The engine's client program the launcher chains into compiles (launch.hpp,
/// DistributedSettings::client): the word of a `launchers` value
/// (CMAKE_<LANG>_COMPILER_LAUNCHER, ';' or blank separated) whose file name is
/// the engine's ("distcc", "icecc"), else the engine's name looked up on
/// `path` (a $PATH value); a name without a slash is looked up on `path` too.
/// Errors: DistributedError "the distcc client is not on PATH (...); expected
/// the engine's client installed (Debian: the distcc package) or named by the
/// compiler launcher".
[[nodiscard]] std::string find_engine_client(Engine engine, const std::vector<std::string>& launchers,
                                             const std::string& path);

}  // namespace buildbudget::buildmem
