// Job pools from the memory limit (SPEC §5): see plan.hpp for the rule.
#include "buildmem/plan.hpp"

#include "buildmem/job_log.hpp"

#include "budget/size.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace buildbudget::buildmem {
namespace {

/// "1.5 GiB": format_size, the figure people read in the reasons.
std::string human(std::uint64_t bytes) { return format_size(bytes); }

/// "x1.25" for a percent factor.
std::string times(unsigned percent) {
    std::string text = "x" + std::to_string(percent / 100);
    unsigned rest = percent % 100;
    if (rest != 0) {
        text += '.';
        text += static_cast<char>('0' + rest / 10);
        if (rest % 10 != 0) text += static_cast<char>('0' + rest % 10);
    }
    return text;
}

std::uint64_t scale(std::uint64_t bytes, unsigned percent) {
    // Exact for any size up to 2^63 and any factor up to 400 %.
    return bytes / 100 * percent + bytes % 100 * percent / 100;
}

struct Pool {
    unsigned jobs = 1;
    std::string reason;
};

/// clamp(floor(usable / per_job), 1, cpus), with the reason text.
Pool size_pool(const char* what, const char* per, std::uint64_t limit, std::uint64_t reserve, std::uint64_t per_job,
               unsigned cpus, const std::string& cpus_source) {
    const std::uint64_t usable = limit - reserve;
    const std::uint64_t fit = usable / per_job;
    Pool p;
    std::string text = "(" + human(limit) + " limit - " + human(reserve) + " reserve) / " + human(per_job) + " per " +
                       per + " = " + std::to_string(fit);
    if (fit < 1) {
        p.jobs = 1;
        text += ", raised to 1 (one job always runs)";
    } else if (fit > cpus) {
        p.jobs = cpus;
        text += ", capped at " + std::to_string(cpus) + " CPU" + (cpus == 1 ? "" : "s") + " (" + cpus_source + ")";
    } else {
        p.jobs = static_cast<unsigned>(fit);
    }
    p.reason = std::string(what) + " pool " + std::to_string(p.jobs) + ": " + text;
    return p;
}

std::string describe_line(const std::string& file, std::size_t line) { return file + ":" + std::to_string(line); }

}  // namespace

Factor debug_info_factor(DebugInfo d) {
    switch (d) {
        case DebugInfo::off: return {100, 100};
        case DebugInfo::line_tables: return {110, 125};
        case DebugInfo::split: return {140, 125};
        case DebugInfo::full: return {150, 200};
    }
    return {100, 100};
}

unsigned lto_link_percent(Lto l) {
    switch (l) {
        case Lto::off: return 100;
        case Lto::thin: return 200;
        case Lto::full: return 400;
    }
    return 100;
}

std::uint64_t compile_memory_estimate(DebugInfo d) { return scale(base_compile_memory, debug_info_factor(d).compile_percent); }

std::uint64_t link_memory_estimate(DebugInfo d, Lto l) {
    return scale(scale(base_link_memory, debug_info_factor(d).link_percent), lto_link_percent(l));
}

const char* memory_class(std::uint64_t limit) {
    if (limit < (8ULL << 30)) return "small";
    if (limit <= (16ULL << 30)) return "medium";
    return "large";
}

std::uint64_t default_reserve(std::uint64_t limit) {
    const std::uint64_t share = limit / 100 * reserve_percent + limit % 100 * reserve_percent / 100;
    return std::min(std::max(min_reserve, share), limit / 2);
}

const char* to_string(DebugInfo d) {
    switch (d) {
        case DebugInfo::off: return "off";
        case DebugInfo::line_tables: return "line-tables";
        case DebugInfo::split: return "split";
        case DebugInfo::full: return "full";
    }
    return "full";
}

const char* to_string(Lto l) {
    switch (l) {
        case Lto::off: return "off";
        case Lto::thin: return "thin";
        case Lto::full: return "full";
    }
    return "off";
}

const char* to_string(Linker l) {
    switch (l) {
        case Linker::bfd: return "bfd";
        case Linker::gold: return "gold";
        case Linker::lld: return "lld";
        case Linker::mold: return "mold";
        case Linker::other: return "other";
    }
    return "other";
}

std::optional<DebugInfo> parse_debug_info(const std::string& text) {
    for (auto d : {DebugInfo::off, DebugInfo::line_tables, DebugInfo::split, DebugInfo::full}) {
        if (text == to_string(d)) return d;
    }
    return std::nullopt;
}

std::optional<Lto> parse_lto(const std::string& text) {
    for (auto l : {Lto::off, Lto::thin, Lto::full}) {
        if (text == to_string(l)) return l;
    }
    return std::nullopt;
}

std::optional<Linker> parse_linker(const std::string& text) {
    for (auto l : {Linker::bfd, Linker::gold, Linker::lld, Linker::mold, Linker::other}) {
        if (text == to_string(l)) return l;
    }
    return std::nullopt;
}

LogPeaks read_log_peaks(const std::string& file) {
    std::vector<JobRecord> records;
    try {
        records = read_records(file);
    } catch (const JobLogError& e) {
        throw ProbeError(e.what());
    }
    std::map<std::string, const JobRecord*> latest;  // by kind and key(): the last run of each job
    for (const auto& record : records) latest[record.kind + '\n' + record.key()] = &record;
    LogPeaks peaks;
    peaks.records = records.size();
    for (const auto& [key, record] : latest) {
        if (record->killed()) continue;
        auto& slot = record->kind == "compile" ? peaks.compile : peaks.link;
        if (!slot || record->peak_rss > slot->peak_rss) {
            slot = RecordedPeak{record->peak_rss, record->kind == "compile" ? record->name() : record->key(),
                                record->line};
        }
    }
    return peaks;
}

Plan make_plan(const PlanRequest& request) {
    Plan plan;
    std::optional<Probe> probed;
    auto probe_once = [&]() -> const Probe& {
        if (!probed) probed = probe(request.root);
        return *probed;
    };

    // Memory limit and class.
    if (request.memory_limit) {
        if (*request.memory_limit == 0) throw std::invalid_argument("--memory-limit: expected a size above 0 bytes");
        plan.memory_limit = *request.memory_limit;
        plan.memory_limit_source =
            "--memory-limit " + (request.memory_limit_text.empty() ? std::to_string(plan.memory_limit) : request.memory_limit_text);
    } else {
        const Probe& p = probe_once();
        plan.memory_limit = p.memory.limit;
        plan.memory_limit_source = p.memory.limit_source;
    }
    plan.memory_class = memory_class(plan.memory_limit);
    plan.reasons.push_back("memory limit " + human(plan.memory_limit) + " (" + std::to_string(plan.memory_limit) +
                           " bytes): " + plan.memory_limit_source);
    plan.reasons.push_back("memory class " + plan.memory_class + ": " + human(plan.memory_limit) +
                           (plan.memory_class == std::string("small")    ? " is below 8 GiB"
                            : plan.memory_class == std::string("medium") ? " is from 8 GiB to 16 GiB"
                                                                         : " is above 16 GiB"));

    // Reserve.
    if (request.reserve) {
        if (*request.reserve >= plan.memory_limit) {
            throw std::invalid_argument("--reserve: " + human(*request.reserve) + " (" + std::to_string(*request.reserve) +
                                        " bytes) is not below the memory limit " + human(plan.memory_limit) + " (" +
                                        std::to_string(plan.memory_limit) + " bytes); expected a smaller reserve");
        }
        plan.reserve = *request.reserve;
        plan.reasons.push_back("reserve " + human(plan.reserve) + ": --reserve");
    } else {
        plan.reserve = default_reserve(plan.memory_limit);
        const std::uint64_t share = plan.memory_limit / 100 * reserve_percent + plan.memory_limit % 100 * reserve_percent / 100;
        std::string why = "the larger of " + human(min_reserve) + " and " + std::to_string(reserve_percent) +
                          "% of the limit (" + human(share) + ")";
        if (plan.reserve < std::max(min_reserve, share)) why += ", at most half the limit";
        plan.reasons.push_back("reserve " + human(plan.reserve) + ": " + why);
    }

    // CPUs.
    if (request.cpus) {
        if (*request.cpus == 0) throw std::invalid_argument("--cpus: expected at least 1");
        plan.cpus = *request.cpus;
        plan.cpus_source = "--cpus " + std::to_string(plan.cpus);
    } else {
        const Probe& p = probe_once();
        plan.cpus = p.cpus.count;
        plan.cpus_source = p.cpus.source;
    }
    plan.reasons.push_back("CPUs " + std::to_string(plan.cpus) + ": " + plan.cpus_source);

    // Per-job memory.
    LogPeaks peaks;
    if (!request.log.empty()) peaks = read_log_peaks(request.log);
    const DebugInfo debug = request.debug_info.value_or(DebugInfo::off);
    const Factor factor = debug_info_factor(debug);
    const std::string debug_name =
        request.debug_info ? std::string("debug info ") + to_string(*request.debug_info)
                           : std::string("debug info as the build type sets it (no factor)");
    if (request.compile_memory) {
        if (*request.compile_memory == 0) throw std::invalid_argument("--compile-memory: expected a size above 0 bytes");
        plan.compile_memory = *request.compile_memory;
        plan.reasons.push_back("compile memory " + human(plan.compile_memory) + " per job: --compile-memory");
    } else if (peaks.compile) {
        plan.compile_memory = std::max<std::uint64_t>(1, peaks.compile->peak_rss);
        plan.reasons.push_back("compile memory " + human(plan.compile_memory) + " per job: the heaviest recorded compile, " +
                               peaks.compile->job + " (" + describe_line(request.log, peaks.compile->line) + ")");
    } else {
        plan.compile_memory = compile_memory_estimate(debug);
        plan.reasons.push_back("compile memory " + human(plan.compile_memory) + " per job: estimate, " +
                               human(base_compile_memory) + " base " + times(factor.compile_percent) + " for " + debug_name);
    }
    if (request.link_memory) {
        if (*request.link_memory == 0) throw std::invalid_argument("--link-memory: expected a size above 0 bytes");
        plan.link_memory = *request.link_memory;
        plan.reasons.push_back("link memory " + human(plan.link_memory) + " per job: --link-memory");
    } else if (peaks.link) {
        plan.link_memory = std::max<std::uint64_t>(1, peaks.link->peak_rss);
        plan.reasons.push_back("link memory " + human(plan.link_memory) + " per job: the heaviest recorded link, " +
                               peaks.link->job + " (" + describe_line(request.log, peaks.link->line) + ")");
    } else {
        plan.link_memory = link_memory_estimate(debug, request.lto);
        std::string why = "estimate, " + human(base_link_memory) + " base " + times(factor.link_percent) + " for " + debug_name;
        if (request.lto != Lto::off) {
            why += ", " + times(lto_link_percent(request.lto)) + " for LTO " + to_string(request.lto);
        }
        plan.reasons.push_back("link memory " + human(plan.link_memory) + " per job: " + why);
    }

    // Pools.
    const Pool compile = size_pool("compile", "compile", plan.memory_limit, plan.reserve, plan.compile_memory, plan.cpus,
                                   plan.cpus_source);
    const Pool link = size_pool("link", "link", plan.memory_limit, plan.reserve, plan.link_memory, plan.cpus, plan.cpus_source);
    plan.compile_jobs = compile.jobs;
    plan.link_jobs = link.jobs;
    plan.reasons.push_back(compile.reason);
    plan.reasons.push_back(link.reason);
    plan.linker_threads = std::max(1U, plan.cpus / plan.link_jobs);
    std::string threads = "linker threads " + std::to_string(plan.linker_threads) + ": " + std::to_string(plan.cpus) +
                          " CPU" + (plan.cpus == 1 ? "" : "s") + " / " + std::to_string(plan.link_jobs) + " link job" +
                          (plan.link_jobs == 1 ? "" : "s");
    // Only lld, mold and LTO code generation (GCC -flto=<n>, lld --thinlto-jobs) use the threads.
    if (request.linker == Linker::lld) {
        plan.reasons.push_back(threads + " (lld --threads)");
    } else if (request.linker == Linker::mold) {
        plan.reasons.push_back(threads + " (mold --thread-count)");
    } else if (request.lto != Lto::off) {
        plan.reasons.push_back(threads + " (for LTO code generation)");
    }
    return plan;
}

}  // namespace buildbudget::buildmem
