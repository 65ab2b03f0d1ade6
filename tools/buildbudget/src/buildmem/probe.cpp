// The build-memory probe (doc/helper-buildmem.md, "buildbudget buildmem
// probe"): see probe.hpp for what is read and why.
#include "buildmem/probe.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace buildbudget::buildmem {
namespace {

/// cgroup v1 reports "no limit" as PAGE_COUNTER_MAX pages (9223372036854771712
/// bytes with 4 KiB pages, larger page sizes give other values near 2^63); any
/// value from 2^62 up is taken as "no limit", as hotspot does for values above
/// physical memory.
constexpr std::uint64_t v1_unlimited_threshold = 1ULL << 62;

/// One line of /proc/self/mountinfo (proc(5)), the fields the probe uses.
struct Mount {
    std::string root;         ///< field 4: the mount's root inside its file system
    std::string mount_point;  ///< field 5, absolute, as the kernel prints it
    std::string fstype;       ///< after the " - " separator
    std::vector<std::string> super_options;
};

/// The cgroup directory of one controller, ready to read.
struct CgroupDir {
    std::string version;                 ///< "v2" or "v1"
    std::string mount_point;             ///< ROOT + mount point
    std::vector<std::string> levels;     ///< the cgroup directory first, then its ancestors up to the mount point
};

class Reader {
public:
    explicit Reader(const std::string& root) : root_(root) {
        while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
        if (root_ == "/") root_.clear();
    }

    /// ROOT joined with the absolute `path`.
    [[nodiscard]] std::string at(const std::string& path) const { return root_ + path; }

    /// The content of `file` (a full path), or empty when it does not exist.
    /// Other read errors throw.
    static std::optional<std::string> read(const std::string& file) {
        const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
            throw ProbeError(file + ": cannot read (" + std::strerror(errno) + ")");
        }
        std::string text;
        char buffer[8192];
        while (true) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                const int error = errno;
                ::close(fd);
                throw ProbeError(file + ": cannot read (" + std::strerror(error) + ")");
            }
            if (n == 0) break;
            text.append(buffer, static_cast<std::size_t>(n));
        }
        ::close(fd);
        return text;
    }

    /// The content of `file`, which must exist.
    static std::string require(const std::string& file, const std::string& expected) {
        auto text = read(file);
        if (!text) throw ProbeError(file + ": missing (expected " + expected + ")");
        return *text;
    }

private:
    std::string root_;
};

bool is_dir(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const auto pos = s.find(sep, start);
        out.emplace_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) out.push_back(line);
    return out;
}

/// A decimal unsigned number, the whole of `s`.
std::optional<std::uint64_t> parse_u64(std::string_view s) {
    if (s.empty() || s.size() > 20) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

/// "found \"...\"" for messages, shortened.
std::string found(const std::string& text) {
    std::string shown = text.size() > 40 ? text.substr(0, 40) + "..." : text;
    for (char& c : shown) {
        if (c == '\n') c = ' ';
    }
    return "found \"" + shown + "\"";
}

/// A file holding one unsigned number (a cgroup interface file). `max_word`:
/// the word that means "no limit" ("max" in cgroup v2), returned as empty.
std::optional<std::uint64_t> read_number_file(const std::string& file, const char* max_word) {
    const std::string expected = max_word ? std::string("a byte count or \"") + max_word + "\"" : "a byte count";
    const std::string text = trim(Reader::require(file, expected));
    if (max_word && text == max_word) return std::nullopt;
    auto value = parse_u64(text);
    if (!value) throw ProbeError(file + ": expected " + expected + ", " + found(text));
    return value;
}

/// Octal escapes of mountinfo paths ("\040" for a space).
std::string unescape(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' &&
            s[i + 3] <= '7') {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

/// Parses mountinfo; a malformed line throws naming the file and line.
std::vector<Mount> parse_mountinfo(const std::string& file, const std::string& text) {
    std::vector<Mount> mounts;
    std::size_t number = 0;
    for (const auto& line : lines_of(text)) {
        ++number;
        if (trim(line).empty()) continue;
        std::vector<std::string> fields;
        std::istringstream in(line);
        std::string f;
        while (in >> f) fields.push_back(f);
        const auto sep = std::find(fields.begin(), fields.end(), "-");
        if (fields.size() < 7 || sep == fields.end() || sep - fields.begin() < 6 || fields.end() - sep < 3) {
            throw ProbeError(file + ":" + std::to_string(number) +
                             ": expected \"ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS ... - FSTYPE SOURCE SUPER-OPTIONS\", " +
                             found(line));
        }
        Mount m;
        m.root = unescape(fields[3]);
        m.mount_point = unescape(fields[4]);
        m.fstype = *(sep + 1);
        m.super_options = split(*(sep + 3), ',');
        mounts.push_back(std::move(m));
    }
    return mounts;
}

/// /proc/self/cgroup: the v1 path of each controller and the v2 path.
struct CgroupMembership {
    std::vector<std::pair<std::string, std::string>> v1;  ///< (controller, path)
    std::optional<std::string> v2;

    [[nodiscard]] std::optional<std::string> v1_path(const std::string& controller) const {
        for (const auto& [c, p] : v1) {
            if (c == controller) return p;
        }
        return std::nullopt;
    }
};

CgroupMembership parse_proc_cgroup(const std::string& file, const std::string& text) {
    CgroupMembership out;
    std::size_t number = 0;
    for (const auto& line : lines_of(text)) {
        ++number;
        if (trim(line).empty()) continue;
        const auto first = line.find(':');
        const auto second = first == std::string::npos ? std::string::npos : line.find(':', first + 1);
        if (second == std::string::npos || !parse_u64(line.substr(0, first))) {
            throw ProbeError(file + ":" + std::to_string(number) + ": expected \"ID:CONTROLLERS:PATH\", " + found(line));
        }
        const std::string controllers = line.substr(first + 1, second - first - 1);
        const std::string path = line.substr(second + 1);
        if (path.empty() || path[0] != '/') {
            throw ProbeError(file + ":" + std::to_string(number) + ": expected an absolute cgroup path, " + found(line));
        }
        if (line.compare(0, first, "0") == 0 && controllers.empty()) {
            out.v2 = path;
        } else {
            for (const auto& c : split(controllers, ',')) out.v1.emplace_back(c, path);
        }
    }
    return out;
}

/// The levels of a cgroup: `mount_point` + the cgroup path below the mount's
/// root, and each ancestor up to the mount point.
std::vector<std::string> cgroup_levels(const std::string& mount_point, const std::string& mount_root,
                                       const std::string& cgroup_path) {
    std::string relative;
    if (mount_root == "/") {
        relative = cgroup_path;
    } else if (cgroup_path.compare(0, mount_root.size() + 1, mount_root + "/") == 0) {
        relative = cgroup_path.substr(mount_root.size());
    } else {
        relative = "/";  // the mount's root itself, or outside it: the mount point is what this process sees
    }
    while (relative.size() > 1 && relative.back() == '/') relative.pop_back();
    std::vector<std::string> levels;
    std::string dir = relative == "/" ? mount_point : mount_point + relative;
    if (!is_dir(dir)) dir = mount_point;  // the cgroup is not visible here: the mount point is
    while (true) {
        levels.push_back(dir);
        if (dir.size() <= mount_point.size()) break;
        dir = dir.substr(0, dir.rfind('/'));
        if (dir.size() < mount_point.size()) dir = mount_point;
    }
    return levels;
}

bool has_option(const Mount& m, const std::string& option) {
    return std::find(m.super_options.begin(), m.super_options.end(), option) != m.super_options.end();
}

/// Whether the v2 cgroup at `dir` has `controller` enabled: its
/// cgroup.controllers lists it, or, without that file, `interface_file`
/// (memory.max, cpu.max) exists there.
bool v2_controller_enabled(const std::string& dir, const std::string& controller, const std::string& interface_file) {
    const auto text = Reader::read(dir + "/cgroup.controllers");
    if (!text) return Reader::read(dir + "/" + interface_file).has_value();
    std::istringstream in(*text);
    std::string word;
    while (in >> word) {
        if (word == controller) return true;
    }
    return false;
}

/// Finds the cgroup directory of `controller` ("memory" or "cpu"), or empty
/// when the process has none (see probe.hpp for the choice between v1 and v2).
std::optional<CgroupDir> find_cgroup(const Reader& r, const std::string& controller) {
    const std::string cgroup_file = r.at("/proc/self/cgroup");
    const auto cgroup_text = Reader::read(cgroup_file);
    if (!cgroup_text) return std::nullopt;  // a kernel without cgroups
    const CgroupMembership membership = parse_proc_cgroup(cgroup_file, *cgroup_text);

    const std::string mountinfo_file = r.at("/proc/self/mountinfo");
    const auto mountinfo_text = Reader::read(mountinfo_file);
    std::vector<Mount> mounts;
    if (mountinfo_text) mounts = parse_mountinfo(mountinfo_file, *mountinfo_text);

    if (const auto path = membership.v1_path(controller)) {
        const Mount* chosen = nullptr;
        for (const auto& m : mounts) {
            if (m.fstype == "cgroup" && has_option(m, controller)) {
                chosen = &m;
                break;
            }
        }
        std::string mount_point, mount_root = "/";
        if (chosen) {
            mount_point = r.at(chosen->mount_point);
            mount_root = chosen->root;
        } else if (is_dir(r.at("/sys/fs/cgroup/" + controller))) {
            mount_point = r.at("/sys/fs/cgroup/" + controller);
        }
        if (!mount_point.empty()) return CgroupDir{"v1", mount_point, cgroup_levels(mount_point, mount_root, *path)};
    }
    if (membership.v2) {
        std::string mount_point, mount_root = "/";
        for (const auto& m : mounts) {
            if (m.fstype == "cgroup2") {
                mount_point = r.at(m.mount_point);
                mount_root = m.root;
                break;
            }
        }
        if (mount_point.empty() && Reader::read(r.at("/sys/fs/cgroup/cgroup.controllers"))) {
            mount_point = r.at("/sys/fs/cgroup");
        }
        if (!mount_point.empty()) {
            CgroupDir dir{"v2", mount_point, cgroup_levels(mount_point, mount_root, *membership.v2)};
            if (v2_controller_enabled(dir.levels.front(), controller, controller + ".max")) return dir;
        }
    }
    return std::nullopt;
}

/// A value of /proc/meminfo in bytes ("MemTotal:  24684096 kB").
std::uint64_t meminfo_value(const std::string& file, const std::string& text, const std::string& key) {
    const std::string expected = "\"" + key + ": <n> kB\"";
    std::size_t number = 0;
    for (const auto& line : lines_of(text)) {
        ++number;
        if (line.compare(0, key.size() + 1, key + ":") != 0) continue;
        std::istringstream in(line.substr(key.size() + 1));
        std::string value, unit;
        in >> value >> unit;
        const auto kb = parse_u64(value);
        if (!kb || unit != "kB" || *kb > (std::numeric_limits<std::uint64_t>::max() >> 10)) {
            throw ProbeError(file + ":" + std::to_string(number) + ": expected " + expected + ", " + found(line));
        }
        return *kb * 1024;
    }
    throw ProbeError(file + ": no " + key + " line (expected " + expected + ")");
}

/// A "key value" line of a cgroup memory.stat file.
std::uint64_t stat_value(const std::string& file, const std::string& key) {
    const std::string text = Reader::require(file, "\"" + key + " <bytes>\" lines");
    std::size_t number = 0;
    for (const auto& line : lines_of(text)) {
        ++number;
        if (line.compare(0, key.size() + 1, key + " ") != 0) continue;
        const auto value = parse_u64(trim(line.substr(key.size() + 1)));
        if (!value) throw ProbeError(file + ":" + std::to_string(number) + ": expected \"" + key + " <bytes>\", " + found(line));
        return *value;
    }
    throw ProbeError(file + ": no " + key + " line (expected \"" + key + " <bytes>\")");
}

/// One level of a memory cgroup that has a limit.
struct LimitedLevel {
    std::string dir;
    std::string limit_file;
    std::uint64_t limit = 0;
};

MemoryProbe probe_memory(const Reader& r) {
    MemoryProbe m;
    const std::string meminfo_file = r.at("/proc/meminfo");
    const std::string meminfo = Reader::require(meminfo_file, "\"MemTotal:\" and \"MemAvailable:\" lines");
    m.physical = meminfo_value(meminfo_file, meminfo, "MemTotal");
    const std::uint64_t mem_available = meminfo_value(meminfo_file, meminfo, "MemAvailable");
    m.available = mem_available;
    m.available_source = "MemAvailable in " + meminfo_file;

    const auto cgroup = find_cgroup(r, "memory");
    std::vector<LimitedLevel> limited;
    if (cgroup) {
        m.cgroup_version = cgroup->version;
        const bool v2 = cgroup->version == "v2";
        const char* limit_name = v2 ? "memory.max" : "memory.limit_in_bytes";
        for (const auto& dir : cgroup->levels) {
            const std::string file = dir + "/" + limit_name;
            if (v2 && !Reader::read(file)) {
                // No memory.max: the root cgroup, or a level whose parent does
                // not enable the memory controller for it.
                if (dir == cgroup->mount_point || !Reader::read(dir + "/cgroup.controllers") ||
                    !v2_controller_enabled(dir, "memory", "memory.max")) {
                    continue;
                }
            }
            const auto limit = read_number_file(file, v2 ? "max" : nullptr);
            if (!limit || (!v2 && *limit >= v1_unlimited_threshold)) continue;
            limited.push_back({dir, file, *limit});
        }
    }
    const std::string kind = "cgroup " + m.cgroup_version + " ";
    const LimitedLevel* binding = nullptr;
    for (const auto& level : limited) {
        if (!binding || level.limit < binding->limit) binding = &level;
    }
    if (!binding) {
        m.limit = m.physical;
        m.limit_source = "MemTotal in " + meminfo_file + " (no cgroup memory limit)";
    } else {
        m.cgroup_limit = binding->limit;
        if (binding->limit > m.physical) {
            m.limit = m.physical;
            m.limit_source = "MemTotal in " + meminfo_file + " (the " + kind + "limit " + std::to_string(binding->limit) +
                             " in " + binding->limit_file + " is above physical memory)";
        } else {
            m.limit = binding->limit;
            m.limit_source = kind + (m.cgroup_version == "v2" ? "memory.max" : "memory.limit_in_bytes") + " in " +
                             binding->limit_file;
        }
    }
    // Headroom under each limited level: limit - (usage - inactive_file).
    for (const auto& level : limited) {
        const bool v2 = m.cgroup_version == "v2";
        const std::string usage_file = level.dir + (v2 ? "/memory.current" : "/memory.usage_in_bytes");
        const std::string stat_file = level.dir + "/memory.stat";
        const std::uint64_t usage = read_number_file(usage_file, nullptr).value_or(0);
        const std::uint64_t inactive = stat_value(stat_file, v2 ? "inactive_file" : "total_inactive_file");
        const std::uint64_t used = usage > inactive ? usage - inactive : 0;
        const std::uint64_t headroom = level.limit > used ? level.limit - used : 0;
        if (headroom < m.available) {
            m.available = headroom;
            m.available_source = kind + (v2 ? "memory.max - (memory.current - inactive_file)"
                                            : "memory.limit_in_bytes - (memory.usage_in_bytes - total_inactive_file)") +
                                 " in " + level.dir;
        }
    }
    if (m.available > m.limit) {
        m.available = m.limit;
        m.available_source = "the memory limit (" + m.limit_source + ")";
    }
    return m;
}

/// The CPUs of a kernel CPU list, or empty when malformed.
std::optional<std::set<unsigned>> cpu_set(std::string_view list) {
    const std::string text = trim(list);
    if (text.empty()) return std::nullopt;
    std::set<unsigned> cpus;
    for (const auto& part : split(text, ',')) {
        const auto dash = part.find('-');
        const auto lo = parse_u64(part.substr(0, dash));
        const auto hi = dash == std::string::npos ? lo : parse_u64(part.substr(dash + 1));
        if (!lo || !hi || *lo > *hi || *hi > 1'000'000) return std::nullopt;
        for (auto c = *lo; c <= *hi; ++c) cpus.insert(static_cast<unsigned>(c));
    }
    return cpus;
}

CpuProbe probe_cpus(const Reader& r) {
    CpuProbe c;
    const std::string status_file = r.at("/proc/self/status");
    const std::string status = Reader::require(status_file, "a \"Cpus_allowed_list:\" line");
    std::optional<std::set<unsigned>> allowed;
    std::size_t number = 0;
    for (const auto& line : lines_of(status)) {
        ++number;
        if (line.compare(0, 18, "Cpus_allowed_list:") != 0) continue;
        allowed = cpu_set(line.substr(18));
        if (!allowed) {
            throw ProbeError(status_file + ":" + std::to_string(number) +
                             ": expected \"Cpus_allowed_list: <cpu list such as 0-3,6>\", " + found(line));
        }
    }
    if (!allowed) throw ProbeError(status_file + ": no Cpus_allowed_list line (expected \"Cpus_allowed_list: 0-3\")");

    const std::string online_file = r.at("/sys/devices/system/cpu/online");
    const std::string online_text = Reader::require(online_file, "a CPU list such as 0-3");
    const auto online = cpu_set(online_text);
    if (!online) throw ProbeError(online_file + ": expected a CPU list such as 0-3,6, " + found(trim(online_text)));
    c.online = static_cast<unsigned>(online->size());
    // The mask may name possible CPUs that are not online; the kernel's
    // sched_getaffinity(2) reports the intersection, and so does this.
    unsigned usable = 0;
    for (unsigned cpu : *allowed) usable += online->count(cpu);
    c.affinity = std::max(1U, usable);
    c.count = c.affinity;
    c.source = "Cpus_allowed_list in " + status_file;

    const auto cgroup = find_cgroup(r, "cpu");
    if (!cgroup) return c;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> binding;  // (quota, period)
    std::string binding_source;
    for (const auto& dir : cgroup->levels) {
        std::uint64_t quota = 0, period = 0;
        std::string source;
        if (cgroup->version == "v2") {
            const std::string file = dir + "/cpu.max";
            const auto text = Reader::read(file);
            if (!text) continue;  // the root cgroup has no cpu.max
            std::istringstream in(trim(*text));
            std::string q, p, extra;
            in >> q >> p;
            const auto qv = parse_u64(q);
            const auto pv = parse_u64(p);
            if ((q != "max" && !qv) || !pv || *pv == 0 || (in >> extra)) {
                throw ProbeError(file + ": expected \"<quota> <period>\" or \"max <period>\" (microseconds), " +
                                 found(trim(*text)));
            }
            if (q == "max") continue;
            quota = *qv;
            period = *pv;
            source = "cgroup v2 cpu.max in " + file;
        } else {
            const std::string quota_file = dir + "/cpu.cfs_quota_us";
            const auto text = Reader::read(quota_file);
            if (!text) continue;  // a kernel without CONFIG_CFS_BANDWIDTH
            const std::string q = trim(*text);
            if (q == "-1") continue;
            const auto qv = parse_u64(q);
            if (!qv) throw ProbeError(quota_file + ": expected microseconds or -1 (no quota), " + found(q));
            const std::string period_file = dir + "/cpu.cfs_period_us";
            const auto pv = read_number_file(period_file, nullptr);
            if (*pv == 0) throw ProbeError(period_file + ": expected a period above 0 microseconds, found \"0\"");
            quota = *qv;
            period = *pv;
            source = "cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us in " + dir;
        }
        if (!binding || static_cast<double>(quota) / static_cast<double>(period) <
                            static_cast<double>(binding->first) / static_cast<double>(binding->second)) {
            binding = std::make_pair(quota, period);
            binding_source = source;
        }
    }
    if (!binding) return c;
    c.quota = static_cast<double>(binding->first) / static_cast<double>(binding->second);
    const std::uint64_t ceiling = std::max<std::uint64_t>(1, (binding->first + binding->second - 1) / binding->second);
    if (ceiling < c.count) {
        c.count = static_cast<unsigned>(ceiling);
        c.source = binding_source;
    }
    return c;
}

}  // namespace

std::optional<unsigned> count_cpu_list(std::string_view list) {
    const auto cpus = cpu_set(list);
    if (!cpus) return std::nullopt;
    return static_cast<unsigned>(cpus->size());
}

Probe probe(const std::string& root) {
    const Reader r(root);
    Probe p;
    p.root = root;
    p.memory = probe_memory(r);
    p.cpus = probe_cpus(r);
    return p;
}

MemoryProbe probe_memory(const std::string& root) { return probe_memory(Reader(root)); }

std::optional<MemoryCgroup> memory_cgroup(const std::string& root) {
    const auto cgroup = find_cgroup(Reader(root), "memory");
    if (!cgroup) return std::nullopt;
    return MemoryCgroup{cgroup->version, cgroup->levels.front()};
}

std::uint64_t available_memory(const std::string& root) { return probe_memory(Reader(root)).available; }

}  // namespace buildbudget::buildmem
