// Job pools from the memory limit (doc/lowmem.md, "The rule"): see plan.hpp for
// the rule and its sources.
#include "buildmem/plan.hpp"

#include "buildmem/job_log.hpp"

#include "budget/size.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

namespace buildbudget::buildmem {
namespace {

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
    std::string text = "(" + format_size(limit) + " limit - " + format_size(reserve) + " reserve) / " + format_size(per_job) + " per " +
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

/// max(floor, limit * percent / 100), at most limit / 2; `why` (when given) gets the reason's text.
std::uint64_t reserve_rule(std::uint64_t limit, std::uint64_t floor, unsigned percent, std::string* why) {
    const std::uint64_t share = limit / 100 * percent + limit % 100 * percent / 100;
    const std::uint64_t reserve = std::min(std::max(floor, share), limit / 2);
    if (why != nullptr) {
        *why = "the larger of " + format_size(floor) + " and " + std::to_string(percent) + "% of the limit (" + format_size(share) + ")";
        if (reserve < std::max(floor, share)) *why += ", at most half the limit";
    }
    return reserve;
}

/// The median peak of `jobs` (heaviest first, not empty): the middle one, or the mean of the two
/// middle ones, rounded up.
std::uint64_t median_peak(const std::vector<RecordedPeak>& jobs) {
    const std::size_t n = jobs.size();
    if (n % 2 == 1) return jobs[n / 2].peak_rss;
    const std::uint64_t a = jobs[n / 2 - 1].peak_rss, b = jobs[n / 2].peak_rss;
    return b + (a - b + 1) / 2;
}

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

std::uint64_t default_reserve(std::uint64_t limit) { return reserve_rule(limit, min_reserve, reserve_percent, nullptr); }

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
    // By kind and key(): the last record of each job, and its last two finished ones.
    struct Job {
        const JobRecord* latest = nullptr;
        const JobRecord* finished[2] = {nullptr, nullptr};  // previous, last
    };
    std::map<std::string, Job> jobs;
    for (const auto& record : records) {
        // A compile a farm host ran (or that failed to distribute) took locally only the client's
        // memory, not a local compile's (doc/lowmem-distributed.md): it says nothing about the pool.
        if (record.distributed && record.distributed->ran &&
            (*record.distributed->ran == "remote" || *record.distributed->ran == "failed")) {
            continue;
        }
        Job& job = jobs[record.kind + '\n' + record.key()];
        job.latest = &record;
        if (record.finished()) {
            job.finished[0] = job.finished[1];
            job.finished[1] = &record;
        }
    }
    LogPeaks peaks;
    peaks.records = records.size();
    std::vector<std::pair<std::size_t, double>> changes;  // by the line of the job's latest record
    for (const auto& [key, job] : jobs) {
        const JobRecord& record = *job.latest;
        if (record.killed()) {
            ++peaks.left_out;
            continue;
        }
        const bool compile = record.kind == "compile";
        RecordedPeak peak{record.peak_rss, compile ? record.name() : record.key(), record.line,
                          !compile && record.archive()};
        (compile ? peaks.compiles : peaks.links).push_back(peak);
        if (peak.archive) ++peaks.archives;
        const JobRecord* previous = job.finished[0];
        if (previous != nullptr && previous->command == record.command && previous->peak_rss > 0) {
            changes.emplace_back(record.line, (static_cast<double>(record.peak_rss) - static_cast<double>(previous->peak_rss)) /
                                                  static_cast<double>(previous->peak_rss));
        }
    }
    for (auto* list : {&peaks.compiles, &peaks.links}) {
        std::stable_sort(list->begin(), list->end(), [](const RecordedPeak& a, const RecordedPeak& b) {
            return a.peak_rss != b.peak_rss ? a.peak_rss > b.peak_rss : a.line < b.line;
        });
    }
    if (!peaks.compiles.empty()) peaks.compile = peaks.compiles.front();
    if (!peaks.links.empty()) peaks.link = peaks.links.front();
    std::sort(changes.begin(), changes.end());
    for (const auto& c : changes) peaks.changes.push_back(c.second);
    return peaks;
}

LearnedMargin learned_margin(const std::vector<double>& changes) {
    LearnedMargin m;
    m.samples = changes.size();
    if (changes.empty()) {
        m.percent = margin_prior_percent;
        return m;
    }
    double sum = 0;
    for (double d : changes) sum += d * d;
    m.rms = std::sqrt(sum / static_cast<double>(changes.size()));
    if (changes.size() < margin_min_samples) {
        m.percent = margin_prior_percent;
        return m;
    }
    const double percent = std::ceil(100.0 * margin_sigmas * m.rms - 1e-9);
    m.percent = percent > 1000 ? 1000U : std::max(margin_floor_percent, static_cast<unsigned>(percent));
    return m;
}

std::uint64_t with_margin(std::uint64_t bytes, unsigned percent) {
    const std::uint64_t add = bytes / 100 * percent + (bytes % 100 * percent + 99) / 100;
    return bytes + add;
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
    plan.reasons.push_back("memory limit " + format_size(plan.memory_limit) + " (" + std::to_string(plan.memory_limit) +
                           " bytes): " + plan.memory_limit_source);
    plan.reasons.push_back("memory class " + plan.memory_class + ": " + format_size(plan.memory_limit) +
                           (plan.memory_class == std::string("small")    ? " is below 8 GiB"
                            : plan.memory_class == std::string("medium") ? " is from 8 GiB to 16 GiB"
                                                                         : " is above 16 GiB"));

    // What earlier builds recorded.
    LogPeaks peaks;
    LearnedMargin margin;
    if (!request.log.empty()) {
        peaks = read_log_peaks(request.log);
        margin = learned_margin(peaks.changes);
        plan.compile_learned = !request.compile_memory && !peaks.compiles.empty();
        plan.link_learned = !request.link_memory && !peaks.links.empty();
        std::string text = "job log " + request.log + " of earlier builds: " + std::to_string(peaks.records) + " record" +
                           (peaks.records == 1 ? "" : "s") + ", the latest finished run of " +
                           std::to_string(peaks.compiles.size()) + " compile" + (peaks.compiles.size() == 1 ? "" : "s") +
                           " and " + std::to_string(peaks.links.size() - peaks.archives) + " link" +
                           (peaks.links.size() - peaks.archives == 1 ? "" : "s") + " and " +
                           std::to_string(peaks.archives) + " static archive step" + (peaks.archives == 1 ? "" : "s");
        if (peaks.left_out > 0) {
            text += " (" + std::to_string(peaks.left_out) + " job" + (peaks.left_out == 1 ? "" : "s") +
                    " left out: the latest run was killed or failed under the OOM killer)";
        }
        if (plan.compile_learned || plan.link_learned) {
            plan.learned_from = request.log;
            plan.margin_percent = margin.percent;
            text += "; margin " + std::to_string(margin.percent) + "% on each recorded peak: ";
            if (margin.samples >= margin_min_samples) {
                char rms[32];
                std::snprintf(rms, sizeof rms, "%.1f%%", 100.0 * margin.rms);
                text += std::to_string(margin_sigmas) + " x the " + rms + " root mean square change of the peaks of " +
                        std::to_string(margin.samples) + " jobs recorded in two builds";
                if (margin.percent == margin_floor_percent) text += ", at least " + std::to_string(margin_floor_percent) + "%";
            } else {
                text += "the default until at least " + std::to_string(margin_min_samples) +
                        " jobs were recorded in two builds (" + std::to_string(margin.samples) + " so far)";
            }
        } else {
            text += "; nothing to learn from";
        }
        plan.reasons.push_back(text);
    }

    // Reserve.
    if (request.reserve) {
        if (*request.reserve >= plan.memory_limit) {
            throw std::invalid_argument("--reserve: " + format_size(*request.reserve) + " (" + std::to_string(*request.reserve) +
                                        " bytes) is not below the memory limit " + format_size(plan.memory_limit) + " (" +
                                        std::to_string(plan.memory_limit) + " bytes); expected a smaller reserve");
        }
        plan.reserve = *request.reserve;
        plan.reasons.push_back("reserve " + format_size(plan.reserve) + ": --reserve");
    } else if (plan.compile_learned) {
        std::string why;
        plan.reserve = reserve_rule(plan.memory_limit, learned_min_reserve, learned_reserve_percent, &why);
        plan.reasons.push_back("reserve " + format_size(plan.reserve) + ": " + why +
                               " for the build tool and the launchers, the compiles being recorded");
    } else {
        std::string why;
        plan.reserve = reserve_rule(plan.memory_limit, min_reserve, reserve_percent, &why);
        plan.reasons.push_back("reserve " + format_size(plan.reserve) + ": " + why);
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

    // Per-job memory and pools.
    const DebugInfo debug = request.debug_info.value_or(DebugInfo::off);
    const Factor factor = debug_info_factor(debug);
    const std::string debug_name =
        request.debug_info ? std::string("debug info ") + to_string(*request.debug_info)
                           : std::string("debug info as the build type sets it (no factor)");
    std::vector<std::string> pool_reasons;
    auto size_kind = [&](const char* kind, const std::optional<std::uint64_t>& given, const std::vector<RecordedPeak>& jobs,
                         bool learned, std::uint64_t estimate, const std::string& estimate_why, std::uint64_t& memory,
                         unsigned& pool) {
        const std::string option = std::string("--") + kind + "-memory";
        if (given) {
            if (*given == 0) throw std::invalid_argument(option + ": expected a size above 0 bytes");
            memory = *given;
            plan.reasons.push_back(std::string(kind) + " memory " + format_size(memory) + " per job: " + option);
        } else if (learned) {
            memory = with_margin(std::max<std::uint64_t>(1, jobs.front().peak_rss), margin.percent);
            plan.reasons.push_back(std::string(kind) + " memory " + format_size(memory) + " per job: the heaviest recorded " + kind +
                                   ", " + jobs.front().job + " (" + describe_line(request.log, jobs.front().line) + "), " +
                                   format_size(jobs.front().peak_rss) + " + " + std::to_string(margin.percent) + "%");
        } else {
            memory = estimate;
            plan.reasons.push_back(std::string(kind) + " memory " + format_size(memory) + " per job: " + estimate_why);
        }
        if (!learned) {
            const Pool sized = size_pool(kind, kind, plan.memory_limit, plan.reserve, memory, plan.cpus, plan.cpus_source);
            pool = sized.jobs;
            pool_reasons.push_back(sized.reason);
            return;
        }
        const std::uint64_t usable = plan.memory_limit - plan.reserve;
        const std::string head = "(" + format_size(plan.memory_limit) + " limit - " + format_size(plan.reserve) + " reserve)";
        std::string text;
        std::uint64_t fit = 0;
        const std::uint64_t median = median_peak(jobs);
        if (request.admission) {
            const std::uint64_t per_job = with_margin(std::max<std::uint64_t>(1, median), margin.percent);
            fit = usable / per_job;
            text = head + " / " + format_size(per_job) + " per " + kind + " (the median of " + std::to_string(jobs.size()) +
                   " recorded, " + format_size(median) + ", + " + std::to_string(margin.percent) + "%) = " + std::to_string(fit);
        } else {
            // Beyond the recorded jobs, a job not recorded yet counts as the heaviest.
            std::uint64_t sum = 0;
            while (fit < plan.cpus) {
                const RecordedPeak& job = fit < jobs.size() ? jobs[fit] : jobs.front();
                const std::uint64_t next = with_margin(std::max<std::uint64_t>(1, job.peak_rss), margin.percent);
                if (sum + next > usable) break;
                sum += next;
                ++fit;
            }
            const std::uint64_t shown = std::max<std::uint64_t>(fit, 1);
            const std::uint64_t recorded = std::min<std::uint64_t>(shown, jobs.size());
            text = head + ": the " + std::to_string(recorded) + " heaviest recorded " + kind + (recorded > 1 ? "s" : "");
            if (shown > recorded) {
                text += " and " + std::to_string(shown - recorded) + " not recorded yet (as heavy as the heaviest)";
            }
            text += " (+ " + std::to_string(margin.percent) + "%) take " +
                    format_size(fit > 0 ? sum : with_margin(jobs.front().peak_rss, margin.percent)) + " together, so " +
                    std::to_string(fit) + " fit" + (fit == 1 ? "s" : "") + " at once";
        }
        if (fit < 1) {
            pool = 1;
            text += ", raised to 1 (one job always runs)";
        } else if (fit > plan.cpus) {
            pool = plan.cpus;
            text += ", capped at " + std::to_string(plan.cpus) + " CPU" + (plan.cpus == 1 ? "" : "s") + " (" +
                    plan.cpus_source + ")";
        } else {
            pool = static_cast<unsigned>(fit);
        }
        if (request.admission && jobs.front().peak_rss > median) {
            text += "; admission holds a heavier " + std::string(kind) + " back until its own recorded peak is free";
        }
        pool_reasons.push_back(std::string(kind) + " pool " + std::to_string(pool) + ": " + text);
    };
    size_kind("compile", request.compile_memory, peaks.compiles, plan.compile_learned, compile_memory_estimate(debug),
              "estimate, " + format_size(base_compile_memory) + " base " + times(factor.compile_percent) + " for " + debug_name,
              plan.compile_memory, plan.compile_jobs);
    std::string link_why = "estimate, " + format_size(base_link_memory) + " base " + times(factor.link_percent) + " for " + debug_name;
    if (request.lto != Lto::off) link_why += ", " + times(lto_link_percent(request.lto)) + " for LTO " + to_string(request.lto);
    size_kind("link", request.link_memory, peaks.links, plan.link_learned, link_memory_estimate(debug, request.lto), link_why,
              plan.link_memory, plan.link_jobs);
    if (plan.link_learned && peaks.archives == peaks.links.size()) {
        plan.reasons.back() += " (every recorded link job is a static archive step: the project links no program or "
                               "shared library yet)";
    }
    plan.reasons.insert(plan.reasons.end(), pool_reasons.begin(), pool_reasons.end());
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
