// Compile pools with a compile farm (doc/lowmem-distributed.md): see
// distributed.hpp for the host list's grammar, the rule and their sources.
#include "buildmem/distributed.hpp"

#include "budget/size.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <unistd.h>

namespace buildbudget::buildmem {
namespace {

namespace fs = std::filesystem;

std::string plural(unsigned n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

/// A whole number from `min` to 65535 x 1000, or nothing.
std::optional<unsigned> whole(const std::string& text, unsigned min, unsigned max) {
    if (text.empty() || text.size() > 8 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const unsigned long n = std::stoul(text);
    if (n < min || n > max) return std::nullopt;
    return static_cast<unsigned>(n);
}

[[noreturn]] void bad(const std::string& where, const std::string& spec, const std::string& problem,
                      const std::string& expected) {
    throw DistributedError(where + ": " + problem + " in host specification \"" + spec + "\"; expected " + expected);
}

const char* limit_expected = "/LIMIT with LIMIT a whole number of jobs from 1";
const char* port_expected = ":PORT with PORT a whole number from 1 to 65535";

/// The options after the host part: ",lzo", ",cpp", ",auth[=NAME]".
void parse_options(const std::string& rest, DistccHost& h) {
    std::size_t at = 0;
    while (at < rest.size()) {
        // rest[at] == ','
        const std::size_t end = rest.find(',', at + 1);
        const std::string option = rest.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
        if (option == "lzo") {
            h.lzo = true;
        } else if (option == "cpp") {
            h.cpp = true;
        } else if (option == "auth" || option.rfind("auth=", 0) == 0) {
            h.auth = true;
        } else {
            bad(h.where, h.spec, "unknown option \"," + option + "\"",
                "the options ,lzo ,cpp or ,auth[=NAME]");
        }
        at = end == std::string::npos ? rest.size() : end;
    }
}

/// HOSTID at the start of `text`: a name or IPv4 address up to ':', '/' or ',', or [IPv6].
std::size_t host_id_end(const std::string& text, const DistccHost& h) {
    if (!text.empty() && text[0] == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string::npos) bad(h.where, h.spec, "no closing ]", "an IPv6 address as [ADDRESS]");
        return close + 1;
    }
    const std::size_t end = text.find_first_of(":/,");
    return end == std::string::npos ? text.size() : end;
}

void parse_limit(const std::string& text, DistccHost& h) {
    if (h.limit_given) bad(h.where, h.spec, "a second limit \"/" + text + "\"", "one /LIMIT");
    const auto n = whole(text, 1, 1000000);
    if (!n) bad(h.where, h.spec, "bad limit \"/" + text + "\"", limit_expected);
    h.limit = *n;
    h.limit_given = true;
}

DistccHost parse_spec(const std::string& spec, const std::string& where) {
    DistccHost h;
    h.spec = spec;
    h.where = where;
    if (spec == "localhost" || spec.rfind("localhost/", 0) == 0) {
        // distcc reads options after localhost/N but runs local compiles without them.
        h.kind = DistccHost::Kind::local;
        h.host = "localhost";
        h.limit = 2;
        const std::size_t options = spec.find(',');
        if (options != std::string::npos) parse_options(spec.substr(options), h);
        if (spec.size() > 9) parse_limit(spec.substr(10, options == std::string::npos ? std::string::npos : options - 10), h);
        return h;
    }
    // Options follow the host part; neither an IPv6 address nor (here) an SSH command has a comma.
    const std::size_t option_start = spec.find(',');
    const std::string main = spec.substr(0, option_start);
    if (option_start != std::string::npos) parse_options(spec.substr(option_start), h);
    const std::size_t at = main.find('@');
    if (at != std::string::npos) {
        h.kind = DistccHost::Kind::ssh;
        h.user = main.substr(0, at);
        std::string rest = main.substr(at + 1);
        const std::size_t id_end = host_id_end(rest, h);
        h.host = rest.substr(0, id_end);
        if (h.host.empty()) bad(where, spec, "no host after @", "[USER]@HOST[/LIMIT][:COMMAND]");
        rest = rest.substr(id_end);
        if (!rest.empty() && rest[0] == '/') {
            const std::size_t colon = rest.find(':');
            parse_limit(rest.substr(1, colon == std::string::npos ? std::string::npos : colon - 1), h);
            rest = colon == std::string::npos ? std::string() : rest.substr(colon);
        }
        if (!rest.empty()) {
            // rest[0] == ':'
            h.command = rest.substr(1);
            if (h.command.empty()) bad(where, spec, "an empty :COMMAND", "[USER]@HOST[/LIMIT][:COMMAND]");
        }
        return h;
    }
    h.kind = DistccHost::Kind::tcp;
    const std::size_t id_end = host_id_end(main, h);
    h.host = main.substr(0, id_end);
    if (h.host.empty() || h.host == "[]") bad(where, spec, "no host name", "HOST[:PORT][/LIMIT]");
    std::string rest = main.substr(id_end);
    while (!rest.empty()) {
        const char kind = rest[0];
        const std::size_t next = rest.find_first_of(":/", 1);
        const std::string value = rest.substr(1, next == std::string::npos ? std::string::npos : next - 1);
        if (kind == '/') {
            parse_limit(value, h);
        } else {
            if (h.port) bad(where, spec, "a second port \":" + value + "\"", "one :PORT");
            h.port = whole(value, 1, 65535);
            if (!h.port) bad(where, spec, "bad port \":" + value + "\"", port_expected);
        }
        rest = next == std::string::npos ? std::string() : rest.substr(next);
    }
    return h;
}

}  // namespace

unsigned DistccHostList::local_slots() const {
    unsigned n = 0;
    for (const auto& h : hosts) n += h.kind == DistccHost::Kind::local ? h.limit : 0;
    return n;
}

unsigned DistccHostList::remote_slots() const {
    unsigned n = 0;
    for (const auto& h : hosts) n += h.kind == DistccHost::Kind::local ? 0 : h.limit;
    return n;
}

unsigned DistccHostList::remote_pump_slots() const {
    unsigned n = 0;
    for (const auto& h : hosts) n += h.kind != DistccHost::Kind::local && h.cpp ? h.limit : 0;
    return n;
}

DistccHostList parse_distcc_hosts(const std::string& text, const std::string& source) {
    DistccHostList list;
    list.source = source;
    std::size_t line = 1, column = 1, i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '\n') {
            ++line;
            column = 1;
            ++i;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            ++column;
            ++i;
            continue;
        }
        if (c == '#') {
            while (i < text.size() && text[i] != '\n') ++i;
            continue;
        }
        std::size_t end = i;
        while (end < text.size() && std::string(" \t\r\n\f\v#").find(text[end]) == std::string::npos) ++end;
        const std::string token = text.substr(i, end - i);
        const std::string where = source + ":" + std::to_string(line) + ":" + std::to_string(column);
        column += end - i;
        i = end;
        if (token == "--randomize") {
            list.randomize = true;
        } else if (token == "+zeroconf") {
            list.zeroconf = true;
        } else if (token.rfind("--localslots=", 0) == 0 || token.rfind("--localslots_cpp=", 0) == 0) {
            const bool cpp = token[12] == '_';
            const std::string value = token.substr(cpp ? 17 : 13);
            const auto n = whole(value, 1, 1000000);
            if (!n) {
                throw DistributedError(where + ": bad value \"" + value + "\" in \"" + token +
                                       "\"; expected a whole number of local slots from 1");
            }
            (cpp ? list.localslots_cpp : list.localslots) = *n;
        } else if (token.rfind("-", 0) == 0) {
            throw DistributedError(where + ": unknown option \"" + token +
                                   "\"; expected a host specification or --randomize, --localslots=N, "
                                   "--localslots_cpp=N");
        } else {
            list.hosts.push_back(parse_spec(token, where));
        }
    }
    return list;
}

DistccLookup DistccLookup::from_environment() {
    DistccLookup l;
    const auto get = [](const char* name) -> std::optional<std::string> {
        const char* value = std::getenv(name);
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
    l.distcc_hosts = get("DISTCC_HOSTS");
    l.distcc_dir = get("DISTCC_DIR");
    l.home = get("HOME");
    return l;
}

std::optional<DistccHostList> find_distcc_hosts(const DistccLookup& lookup) {
    if (lookup.distcc_hosts) return parse_distcc_hosts(*lookup.distcc_hosts, "DISTCC_HOSTS");
    std::vector<std::string> files;
    if (lookup.distcc_dir) {
        files.push_back((fs::path(*lookup.distcc_dir) / "hosts").string());
    } else if (lookup.home) {
        files.push_back((fs::path(*lookup.home) / ".distcc" / "hosts").string());
    }
    files.push_back(lookup.system_file);
    for (const auto& file : files) {
        std::error_code ec;
        if (!fs::exists(file, ec)) continue;
        std::ifstream in(file, std::ios::binary);
        std::ostringstream text;
        // An empty file reads no characters, which sets failbit on `text` too.
        if (!fs::is_regular_file(file, ec) || !in.is_open() || (!(text << in.rdbuf()) && fs::file_size(file, ec) != 0)) {
            throw DistributedError(file + ": cannot read the distcc host list; expected a readable file");
        }
        return parse_distcc_hosts(text.str(), file);
    }
    return std::nullopt;
}

const char* to_string(Engine e) { return e == Engine::distcc ? "distcc" : "icecc"; }

std::uint64_t preprocess_memory(std::uint64_t compile_memory) {
    return std::min(compile_memory, std::max(compile_memory / 8, min_preprocess_memory));
}

namespace {

/// The engine a launcher names: a word whose file name contains distcc or icecc (the value
/// may be a CMake list, such as "ccache;distcc").
std::optional<Engine> launcher_engine(const std::string& launcher) {
    std::string words = launcher;
    std::replace(words.begin(), words.end(), ';', ' ');
    std::istringstream in(words);
    std::string word;
    while (in >> word) {
        const std::string name = fs::path(word).filename().string();
        if (name.find("distcc") != std::string::npos) return Engine::distcc;
        if (name.find("icecc") != std::string::npos) return Engine::icecc;
    }
    return std::nullopt;
}

/// The pid of a running iceccd under <root>/proc, or nothing.
std::optional<std::string> iceccd_pid(const std::string& root) {
    std::error_code ec;
    for (fs::directory_iterator it(fs::path(root) / "proc", ec), end; !ec && it != end; it.increment(ec)) {
        const std::string pid = it->path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream comm(it->path() / "comm");
        std::string name;
        if (std::getline(comm, name) && name == "iceccd") return pid;
    }
    return std::nullopt;
}

}  // namespace

DistributedPlan plan_distributed(const Plan& local, const DistributedRequest& request) {
    DistributedPlan d;
    std::optional<DistccHostList> hosts;
    bool hosts_read = false;
    const auto read_hosts = [&]() -> const std::optional<DistccHostList>& {
        if (!hosts_read) hosts = find_distcc_hosts(request.lookup);
        hosts_read = true;
        return hosts;
    };
    const auto hosts_name = [&](const DistccHostList& list) {
        return list.source == "DISTCC_HOSTS" ? std::string("$DISTCC_HOSTS") : "the host list " + list.source;
    };

    // The engine.
    if (request.engine == "distcc" || request.engine == "icecc") {
        d.engine = request.engine == "distcc" ? Engine::distcc : Engine::icecc;
        d.engine_source = "--distributed " + request.engine;
    } else if (request.engine == "auto") {
        std::optional<Engine> found;
        for (const auto& launcher : request.launchers) {
            found = launcher_engine(launcher);
            if (found) {
                d.engine_source = "--distributed auto: the compiler launcher \"" + launcher + "\" names " + to_string(*found);
                break;
            }
        }
        if (!found && read_hosts()) {
            found = Engine::distcc;
            d.engine_source = "--distributed auto: " + hosts_name(*hosts) + " is present";
        }
        if (!found) {
            if (const auto pid = iceccd_pid(request.root)) {
                found = Engine::icecc;
                d.engine_source = "--distributed auto: iceccd is running (pid " + *pid + ")";
            }
        }
        if (!found) {
            throw DistributedError(
                "--distributed auto: no engine found: no compiler launcher names distcc or icecc, no distcc host list "
                "($DISTCC_HOSTS, " +
                (request.lookup.distcc_dir ? "$DISTCC_DIR/hosts" : std::string("~/.distcc/hosts")) + ", " +
                request.lookup.system_file + ") and no iceccd process; expected --distributed distcc or icecc");
        }
        d.engine = *found;
    } else {
        throw DistributedError("--distributed: unknown engine \"" + request.engine + "\"; expected distcc, icecc or auto");
    }
    d.reasons.push_back(std::string("distributed engine ") + to_string(d.engine) + ": " + d.engine_source);

    // The remote capacity.
    unsigned list_local_slots = 0;
    if (d.engine == Engine::distcc) {
        if (read_hosts()) {
            d.hosts = hosts;
            const DistccHostList& list = *hosts;
            if (list.hosts.empty() && !list.zeroconf && !request.remote_slots) {
                throw DistributedError(list.source + ": no hosts (distcc then compiles everything locally); expected "
                                       "at least one host specification, or --remote-slots N");
            }
            list_local_slots = list.local_slots();
            unsigned remote_hosts = 0;
            std::string limits;
            for (const auto& h : list.hosts) {
                if (h.kind == DistccHost::Kind::local) continue;
                ++remote_hosts;
                limits += (limits.empty() ? "" : " + ") + std::to_string(h.limit) + (h.limit_given ? "" : " (default)");
            }
            std::string text = hosts_name(list) + ": " + plural(remote_hosts, "remote host") +
                               (limits.empty() ? std::string() : " (" + limits + " slots)") + ", " +
                               plural(list_local_slots, "localhost slot");
            if (list.remote_pump_slots() > 0) text += ", " + plural(list.remote_pump_slots(), "pump-mode (,cpp) slot");
            if (list.randomize) text += ", --randomize";
            if (list.zeroconf) text += ", +zeroconf (hosts found at run time, not counted)";
            if (list.localslots) text += ", --localslots=" + std::to_string(*list.localslots);
            if (list.localslots_cpp) text += ", --localslots_cpp=" + std::to_string(*list.localslots_cpp);
            d.reasons.push_back(text);
            d.remote_slots = list.remote_slots();
            d.remote_pump_slots = list.remote_pump_slots();
            d.remote_slots_source = "the sum of the remote hosts' limits in " + hosts_name(list);
        } else if (!request.remote_slots) {
            throw DistributedError("--distributed distcc: no host list ($DISTCC_HOSTS, " +
                                   (request.lookup.distcc_dir ? std::string("$DISTCC_DIR/hosts")
                                                              : std::string("~/.distcc/hosts")) +
                                   " or " + request.lookup.system_file +
                                   "); expected one of them, or --remote-slots N");
        }
    }
    if (request.remote_slots) {
        d.remote_slots = *request.remote_slots;
        d.remote_slots_source = "--remote-slots " + std::to_string(*request.remote_slots);
        // Pump mode is a property of distcc's hosts: with an override, all or none of the slots are pump slots.
        d.remote_pump_slots = d.engine == Engine::distcc && d.hosts && d.hosts->remote_slots() > 0 &&
                                      d.hosts->remote_pump_slots() == d.hosts->remote_slots()
                                  ? d.remote_slots
                                  : 0;
    } else if (d.engine == Engine::icecc) {
        // The scheduler's view (icecream.hpp): the other daemons' -m, not the local one's.
        IcecreamLookup lookup = request.icecream;
        lookup.root = request.root;
        d.icecream = read_icecc_farm(lookup);
        const IcecreamFarm& farm = *d.icecream;
        std::string hosts;
        for (const auto& h : farm.hosts) {
            hosts += std::string(hosts.empty() ? "" : ", ") + h.name + " " + std::to_string(h.max_jobs) +
                     (h.local ? " (local)" : h.no_remote ? " (--no-remote)" : "");
        }
        d.reasons.push_back("icecream scheduler " + farm.scheduler.host + ":" + std::to_string(farm.scheduler.port) +
                            " (" + farm.scheduler.source + "): " + plural(static_cast<unsigned>(farm.hosts.size()), "host") +
                            (hosts.empty() ? std::string() : " with their max jobs: " + hosts) + "; the local daemon is " +
                            (farm.local_name.empty() ? std::string("unknown") : farm.local_name) + " (" +
                            farm.local_source + ")");
        d.remote_slots = farm.remote_slots();
        d.remote_slots_source = "the sum of the other icecream hosts' max jobs, as the scheduler reports them";
    }
    if (d.hosts && d.hosts->zeroconf && !request.remote_slots) {
        throw DistributedError(d.hosts->source + ": +zeroconf: the hosts are found at run time, so their slots cannot "
                               "be counted; expected --remote-slots N");
    }

    // Local cost of a remote compile.
    const std::uint64_t usable = local.memory_limit - local.reserve;
    d.preprocess_memory = preprocess_memory(local.compile_memory);
    d.client_memory = client_memory;
    const unsigned plain = d.remote_slots - d.remote_pump_slots;  // plain distcc and icecream: preprocessed here
    if (plain > 0) {
        // icecc's client/local.cpp compiler_only_rewrite_includes() and client/cpp.cpp call_cpp() (distributed.hpp).
        d.reasons.push_back("local cost of a remote compile " + format_size(d.preprocess_memory) +
                            (d.engine == Engine::icecc
                                 ? ": icecream preprocesses here (-fdirectives-only / -frewrite-includes merges the "
                                   "includes locally; with ICECC_REMOTE_CPP=0 the whole preprocessor)"
                                 : ": plain distcc preprocesses locally") +
                            ", max(" + format_size(local.compile_memory) +
                            " compile memory / 8, " + format_size(min_preprocess_memory) + ")" +
                            (d.preprocess_memory == local.compile_memory ? ", at most the compile memory" : ""));
    }
    if (d.remote_pump_slots > 0) {
        d.reasons.push_back("local cost of a remote compile " + format_size(d.client_memory) +
                            ": pump mode (,cpp) preprocesses on the remote host, only the client runs locally");
    }

    // Remote slots that local memory holds.
    std::uint64_t remote_cost = static_cast<std::uint64_t>(plain) * d.preprocess_memory +
                                static_cast<std::uint64_t>(d.remote_pump_slots) * d.client_memory;
    unsigned remote = d.remote_slots;
    std::string remote_text = "remote slots " + std::to_string(d.remote_slots) + ": " + d.remote_slots_source;
    if (remote_cost > usable) {
        // Pump slots first (cheapest), then plain ones, while they fit.
        std::uint64_t left = usable;
        const unsigned pump = static_cast<unsigned>(std::min<std::uint64_t>(d.remote_pump_slots, left / d.client_memory));
        left -= pump * d.client_memory;
        const unsigned fit_plain = static_cast<unsigned>(std::min<std::uint64_t>(plain, left / d.preprocess_memory));
        remote = pump + fit_plain;
        remote_cost = pump * d.client_memory + fit_plain * d.preprocess_memory;
        remote_text += ", lowered to " + std::to_string(remote) + ": their local cost does not fit (" +
                       format_size(local.memory_limit) + " limit - " + format_size(local.reserve) + " reserve)";
    }
    d.reasons.push_back(remote_text);

    // Local compile slots.
    const std::uint64_t fit = (usable - remote_cost) / local.compile_memory;
    unsigned local_jobs = static_cast<unsigned>(std::min<std::uint64_t>(fit, local.cpus));
    std::string why = "(" + format_size(local.memory_limit) + " limit - " + format_size(local.reserve) + " reserve - " +
                      format_size(remote_cost) + " for " + plural(remote, "remote compile") + ") / " +
                      format_size(local.compile_memory) + " per compile = " + std::to_string(fit);
    if (fit > local.cpus) why += ", capped at " + plural(local.cpus, "CPU");
    if (d.engine == Engine::distcc && d.hosts && local_jobs > list_local_slots) {
        local_jobs = list_local_slots;
        why += list_local_slots == 0
                   ? ", 0: the host list has no localhost, so distcc compiles locally only when a host fails"
                   : ", at most the host list's " + plural(list_local_slots, "localhost slot");
    }
    const std::string local_text = "local compile slots " + std::to_string(local_jobs) + ": " + why;
    d.local_compile_jobs = local_jobs;
    d.reasons.push_back(local_text);
    if (d.engine == Engine::distcc && d.hosts && list_local_slots > local_jobs) {
        // distcc, not the launcher, picks localhost: it takes a free localhost slot in list order, so up to
        // the list's localhost slots compile here at once, each at the full compile memory.
        d.reasons.push_back("distcc compiles up to " + plural(list_local_slots, "unit") + " here at once (the host " +
                            "list's localhost slots), more than the " + plural(local_jobs, "local compile slot") +
                            " above: " + (local_jobs == 0 ? std::string("take localhost out of the list")
                                                          : "lower it to localhost/" + std::to_string(local_jobs)));
    }
    if (d.icecream) {
        // Icecream's local daemon, not the launcher, decides how many compiles run here at once, those
        // it keeps local when the farm's hosts are busy or gone included: its -m must fit in memory.
        const auto& hosts = d.icecream->hosts;
        const auto here = std::find_if(hosts.begin(), hosts.end(), [](const IcecreamHost& h) { return h.local; });
        if (here != hosts.end()) {
            const unsigned fits = std::max(1U, local_jobs);
            const std::string daemon = "icecream's local daemon " + here->name + " runs up to " +
                                       plural(here->max_jobs, "compile") + " here at once (iceccd -m " +
                                       std::to_string(here->max_jobs) + "), also when the farm's hosts are gone";
            d.reasons.push_back(here->max_jobs > fits
                                    ? daemon + ", more than the " + plural(fits, "local compile") +
                                          " that memory holds: start it with -m " + std::to_string(fits)
                                    : daemon + ": they fit in memory");
        }
    }

    d.compile_jobs = std::max(1U, remote + local_jobs);
    d.reasons.push_back("distributed compile pool " + std::to_string(d.compile_jobs) + ": " + std::to_string(remote) +
                        " remote + " + std::to_string(local_jobs) + " local" +
                        (remote + local_jobs == 0 ? ", raised to 1 (one job always runs)" : "") +
                        "; a compile that falls back to local needs the full " + format_size(local.compile_memory));
    d.link_jobs = local.link_jobs;
    d.reasons.push_back("distributed link pool " + std::to_string(d.link_jobs) +
                        ": links run locally, the local plan's link pool");
    return d;
}

std::string find_engine_client(Engine engine, const std::vector<std::string>& launchers, const std::string& path) {
    const std::string name = to_string(engine);
    const auto on_path = [&](const std::string& program) -> std::optional<std::string> {
        if (program.find('/') != std::string::npos) {
            std::error_code ec;
            return fs::is_regular_file(program, ec) ? std::optional<std::string>(fs::absolute(program).string())
                                                    : std::nullopt;
        }
        std::istringstream dirs(path);
        std::string dir;
        while (std::getline(dirs, dir, ':')) {
            const fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
            if (::access(candidate.c_str(), X_OK) == 0) return fs::absolute(candidate).string();
        }
        return std::nullopt;
    };
    for (const auto& launcher : launchers) {
        std::string words = launcher;
        std::replace(words.begin(), words.end(), ';', ' ');
        std::istringstream in(words);
        std::string word;
        while (in >> word) {
            if (fs::path(word).filename() != name) continue;
            if (auto found = on_path(word)) return *found;
            throw DistributedError("the " + name + " client \"" + word + "\" of the compiler launcher \"" + launcher +
                                   "\" is not an executable file; expected the path of the engine's client");
        }
    }
    if (auto found = on_path(name)) return *found;
    throw DistributedError("the " + name + " client is not on PATH (" + path +
                           "); expected the engine's client installed (Debian: the " + name +
                           " package) or named by the compiler launcher");
}

}  // namespace buildbudget::buildmem
