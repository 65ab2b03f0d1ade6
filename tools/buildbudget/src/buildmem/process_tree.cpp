#include "buildmem/process_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <set>

namespace buildbudget::buildmem {
namespace {

/// The whole (small) file at `path`, or empty when it cannot be read.
std::optional<std::string> read_small_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got > 0) {
            text.append(buffer, static_cast<std::size_t>(got));
            continue;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            ::close(fd);
            return std::nullopt;
        }
        break;
    }
    ::close(fd);
    return text;
}

std::uint64_t page_size() {
    const long size = ::sysconf(_SC_PAGESIZE);
    return size > 0 ? static_cast<std::uint64_t>(size) : 4096U;
}

/// A decimal number made of digits only.
std::optional<std::uint64_t> parse_number(const std::string& text) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

/// Splits at runs of spaces.
std::vector<std::string> fields(const std::string& text) {
    std::vector<std::string> out;
    std::string current;
    for (char c : text) {
        if (c == ' ' || c == '\n' || c == '\t') {
            if (!current.empty()) out.push_back(std::move(current));
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty()) out.push_back(std::move(current));
    return out;
}

std::optional<std::uint64_t> rss_of(const std::string& proc_root, pid_t pid) {
    const auto statm = read_small_file(proc_root + "/" + std::to_string(pid) + "/statm");
    if (!statm) return std::nullopt;
    return parse_proc_statm(*statm, page_size());
}

/// The children of `pid` from /proc/<pid>/task/<tid>/children (every thread),
/// or empty when there are no such files (a kernel without
/// CONFIG_PROC_CHILDREN, a fake /proc, or a process that just exited).
std::optional<std::vector<pid_t>> children_of(const std::string& proc_root, pid_t pid) {
    const std::string task_dir = proc_root + "/" + std::to_string(pid) + "/task";
    DIR* dir = ::opendir(task_dir.c_str());
    if (dir == nullptr) return std::nullopt;  // gone, or no task directory (a fake /proc)
    std::vector<pid_t> out;
    bool any_file = false;
    while (const dirent* entry = ::readdir(dir)) {
        if (!parse_number(entry->d_name)) continue;
        const auto text = read_small_file(task_dir + "/" + entry->d_name + "/children");
        if (!text) continue;
        any_file = true;
        for (const auto& f : fields(*text)) {
            if (const auto child = parse_number(f)) out.push_back(static_cast<pid_t>(*child));
        }
    }
    ::closedir(dir);
    if (!any_file) {
        // No children file in any thread: either the kernel lacks them or the
        // process vanished; the caller tells these apart.
        return std::nullopt;
    }
    return out;
}

}  // namespace

std::optional<StatFields> parse_proc_stat(const std::string& text) {
    // "pid (comm) state ppid ...": comm may contain ") ", so use the last ')'.
    const std::size_t close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    const std::vector<std::string> rest = fields(text.substr(close + 1));
    // rest[0] = state (field 3), rest[1] = ppid (field 4), rest[19] = starttime (field 22).
    if (rest.size() < 20) return std::nullopt;
    const auto ppid = parse_number(rest[1]);
    const auto start = parse_number(rest[19]);
    if (!ppid || !start) return std::nullopt;
    return StatFields{static_cast<pid_t>(*ppid), *start};
}

std::optional<std::uint64_t> parse_proc_statm(const std::string& text, std::uint64_t page_size) {
    const std::vector<std::string> f = fields(text);
    if (f.size() < 2) return std::nullopt;
    const auto pages = parse_number(f[1]);
    if (!pages) return std::nullopt;
    return *pages * page_size;
}

std::vector<ProcessInfo> scan_processes(const std::string& proc_root) {
    std::vector<ProcessInfo> out;
    DIR* dir = ::opendir(proc_root.c_str());
    if (dir == nullptr) return out;
    while (const dirent* entry = ::readdir(dir)) {
        const auto pid = parse_number(entry->d_name);
        if (!pid) continue;
        const std::string base = proc_root + "/" + entry->d_name;
        const auto stat = read_small_file(base + "/stat");
        if (!stat) continue;
        const auto fields = parse_proc_stat(*stat);
        if (!fields) continue;
        const auto rss = rss_of(proc_root, static_cast<pid_t>(*pid));
        if (!rss) continue;
        out.push_back({static_cast<pid_t>(*pid), fields->ppid, *rss});
    }
    ::closedir(dir);
    return out;
}

std::uint64_t tree_rss(const std::vector<ProcessInfo>& processes, pid_t root) {
    std::multimap<pid_t, const ProcessInfo*> by_parent;
    const ProcessInfo* root_info = nullptr;
    for (const auto& p : processes) {
        by_parent.emplace(p.ppid, &p);
        if (p.pid == root) root_info = &p;
    }
    if (root_info == nullptr) return 0;
    std::uint64_t total = 0;
    std::set<pid_t> seen;
    std::vector<const ProcessInfo*> stack{root_info};
    while (!stack.empty()) {
        const ProcessInfo* p = stack.back();
        stack.pop_back();
        if (!seen.insert(p->pid).second) continue;  // a malformed (cyclic) fake tree
        total += p->rss_bytes;
        const auto range = by_parent.equal_range(p->pid);
        for (auto it = range.first; it != range.second; ++it) stack.push_back(it->second);
    }
    return total;
}

std::uint64_t process_tree_rss(pid_t root, const std::string& proc_root) {
    std::uint64_t total = 0;
    std::set<pid_t> seen;
    std::vector<pid_t> stack{root};
    while (!stack.empty()) {
        const pid_t pid = stack.back();
        stack.pop_back();
        if (!seen.insert(pid).second) continue;
        const auto rss = rss_of(proc_root, pid);
        if (!rss) continue;  // exited meanwhile
        total += *rss;
        const auto children = children_of(proc_root, pid);
        if (!children) {
            // No /proc/<pid>/task/<tid>/children here: follow the ppid links of every process.
            if (pid == root) return tree_rss(scan_processes(proc_root), root);
            continue;
        }
        stack.insert(stack.end(), children->begin(), children->end());
    }
    return total;
}

std::optional<std::uint64_t> process_start_ticks(pid_t pid, const std::string& proc_root) {
    const auto stat = read_small_file(proc_root + "/" + std::to_string(pid) + "/stat");
    if (!stat) return std::nullopt;
    const auto f = parse_proc_stat(*stat);
    if (!f) return std::nullopt;
    return f->start_ticks;
}

}  // namespace buildbudget::buildmem
