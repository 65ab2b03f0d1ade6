#include "buildmem/report.hpp"

#include "budget/size.hpp"
#include "report/table.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <set>

namespace buildbudget::buildmem {
namespace {

using json = nlohmann::ordered_json;
using report::Align;

std::string size_and_count(std::uint64_t bytes) { return format_size(bytes) + " (" + std::to_string(bytes) + ")"; }

/// "2024-05-01T12:00:00.123Z".
std::string utc_time(std::int64_t ms) {
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char text[96];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(((ms % 1000) + 1000) % 1000));
    return text;
}

std::string seconds(std::int64_t ms) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f s", static_cast<double>(ms) / 1000.0);
    return text;
}

std::string signal_name(int sig) {
    const char* name = ::sigabbrev_np(sig);
    return name != nullptr ? "SIG" + std::string(name) : std::to_string(sig);
}

std::string outcome(const JobRecord& r) {
    if (r.signal) return "killed by " + signal_name(*r.signal);
    if (r.oom_kills > 0) return "exit " + std::to_string(r.exit_code) + ", OOM kill";
    return "exit " + std::to_string(r.exit_code);
}

json job_json(const JobRecord& r) {
    json j;
    j["kind"] = r.kind;
    j["source"] = r.source ? json(*r.source) : json(nullptr);
    j["output"] = r.output ? json(*r.output) : json(nullptr);
    j["peak_rss"] = r.peak_rss;
    j["start_ms"] = r.start_ms;
    j["end_ms"] = r.end_ms;
    j["duration_ms"] = r.end_ms - r.start_ms;
    j["exit_code"] = r.exit_code;
    j["signal"] = r.signal ? json(*r.signal) : json(nullptr);
    j["waited_ms"] = r.waited_ms;
    j["oom_kills"] = r.oom_kills;
    if (r.distributed) j["distributed"] = *r.distributed;
    return j;
}

/// A compile a farm host ran, or that failed to distribute: its peak is the local client's.
bool ran_elsewhere(const JobRecord& r) {
    return r.distributed && r.distributed->ran && (*r.distributed->ran == "remote" || *r.distributed->ran == "failed");
}

std::size_t shown(std::size_t count, std::size_t top) { return top == 0 ? count : std::min(count, top); }

/// The directory (ending in '/') that every one of `paths` is under, when they
/// are absolute and there are at least two; else empty. CMake passes absolute
/// source paths, which make a table too wide to read.
std::string common_directory(const std::vector<std::string>& paths) {
    if (paths.size() < 2) return {};
    std::string prefix = paths.front();
    for (const auto& p : paths) {
        if (p.empty() || p[0] != '/') return {};
        std::size_t n = 0;
        while (n < prefix.size() && n < p.size() && prefix[n] == p[n]) ++n;
        prefix.resize(n);
    }
    const std::size_t slash = prefix.rfind('/');
    if (slash == std::string::npos || slash == 0) return {};
    return prefix.substr(0, slash + 1);
}

std::string counted(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

ConcurrencyPeak concurrency_peak(const std::vector<JobRecord>& records) {
    struct Event {
        std::int64_t at;
        bool start;
        std::size_t job;
    };
    std::vector<Event> events;
    events.reserve(records.size() * 2);
    for (std::size_t i = 0; i < records.size(); ++i) {
        events.push_back({records[i].start_ms, true, i});
        events.push_back({std::max(records[i].end_ms, records[i].start_ms + 1), false, i});
    }
    // Ends before starts at the same millisecond (half-open intervals).
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
        if (a.at != b.at) return a.at < b.at;
        if (a.start != b.start) return !a.start;
        return a.job < b.job;
    });
    ConcurrencyPeak peak;
    std::set<std::size_t> running;
    std::uint64_t sum = 0;
    for (std::size_t e = 0; e < events.size(); ++e) {
        const Event& ev = events[e];
        if (ev.start) {
            running.insert(ev.job);
            sum += records[ev.job].peak_rss;
        } else {
            running.erase(ev.job);
            sum -= records[ev.job].peak_rss;
        }
        // Measure once all events of this millisecond are applied.
        if (e + 1 < events.size() && events[e + 1].at == ev.at) continue;
        peak.max_jobs = std::max(peak.max_jobs, running.size());
        if (!running.empty() && (sum > peak.bytes || !peak.at_ms)) {
            peak.bytes = sum;
            peak.at_ms = ev.at;
            peak.jobs.assign(running.begin(), running.end());
        }
    }
    std::sort(peak.jobs.begin(), peak.jobs.end(), [&](std::size_t a, std::size_t b) {
        return records[a].start_ms != records[b].start_ms ? records[a].start_ms < records[b].start_ms : a < b;
    });
    return peak;
}


std::optional<FarmSummary> summarize_farm(const std::vector<JobRecord>& records) {
    std::optional<FarmSummary> farm;
    std::map<std::string, std::size_t> hosts, failed_hosts;
    std::set<std::string> engines;
    for (const auto& rec : records) {
        if (!rec.distributed) continue;
        if (!farm) farm.emplace();
        FarmSummary& f = *farm;
        engines.insert(rec.distributed->engine);
        const std::string ran = rec.distributed->ran.value_or("");
        (ran == "remote" ? f.remote : ran == "local" ? f.local : ran == "fallback" ? f.fallback : ran == "failed" ? f.failed : f.unknown)++;
        if (rec.distributed->host) ++hosts[*rec.distributed->host];
        if (rec.distributed->failed_host) ++failed_hosts[*rec.distributed->failed_host];
        if (rec.distributed->preprocessed) ++(*rec.distributed->preprocessed == "local" ? f.preprocessed_local : f.preprocessed_remote);
    }
    if (farm) {
        farm->engines.assign(engines.begin(), engines.end());
        farm->hosts.assign(hosts.begin(), hosts.end());
        farm->failed_hosts.assign(failed_hosts.begin(), failed_hosts.end());
    }
    return farm;
}

BuildmemReport build_report(std::vector<JobRecord> records, const std::string& log, const std::optional<LowmemPlan>& plan) {
    BuildmemReport r;
    r.log = log;
    r.records = records.size();
    r.all = std::move(records);
    if (plan) {
        r.plan = plan->file;
        r.plan_data = plan;
    }
    // The latest record of each (kind, key).
    std::map<std::pair<std::string, std::string>, std::size_t> latest;
    for (std::size_t i = 0; i < r.all.size(); ++i) {
        latest[std::make_pair(r.all[i].kind, r.all[i].key())] = i;
        if (r.all[i].killed()) r.killed.push_back(i);
    }
    for (const auto& [id, index] : latest) (id.first == "link" ? r.links : r.compiles).push_back(index);
    const auto heaviest_first = [&](std::size_t a, std::size_t b) {
        if (r.all[a].peak_rss != r.all[b].peak_rss) return r.all[a].peak_rss > r.all[b].peak_rss;
        return r.all[a].key() < r.all[b].key();
    };
    std::sort(r.compiles.begin(), r.compiles.end(), heaviest_first);
    std::sort(r.links.begin(), r.links.end(), heaviest_first);
    r.concurrency = concurrency_peak(r.all);
    r.farm = summarize_farm(r.all);
    if (plan) {
        for (const char* kind : {"compile", "link"}) {
            PoolFit fit;
            fit.kind = kind;
            fit.planned = plan->pool(kind);
            // As `buildmem plan --log` sizes pools: the latest run of each output, unless it was killed.
            for (const auto& [id, index] : latest) {
                if (id.first != kind || !r.all[index].finished() || ran_elsewhere(r.all[index])) continue;
                if (!fit.heaviest || r.all[index].peak_rss > *fit.heaviest) {
                    fit.heaviest = r.all[index].peak_rss;
                    fit.heaviest_job = r.all[index].name();
                }
            }
            if (fit.heaviest) {
                fit.memory_fit = fitting_pool(plan->memory_limit, plan->reserve, *fit.heaviest);
                fit.pool = std::max(1U, std::min(*fit.memory_fit, plan->cpus));
            }
            r.pools.push_back(fit);
        }
    }
    return r;
}

std::string farm_preprocessed_text(std::size_t here, std::size_t on_hosts) {
    return "Where the remote compiles were preprocessed: " + std::to_string(here) +
           " here (icecream, plain distcc, or distcc pump mode without the include server's includes), " +
           std::to_string(on_hosts) + " on their hosts (distcc pump mode)";
}

std::string farm_counts_text(const FarmSummary& f, const std::string& scope) {
    const auto per_host = [](const std::vector<std::pair<std::string, std::size_t>>& list) {
        std::string text;
        for (const auto& [host, n] : list) text += (text.empty() ? "" : ", ") + host + " " + std::to_string(n);
        return text;
    };
    std::string out = "Compile farm (" + scope + "): " + std::to_string(f.remote) + " remote" +
                      (f.hosts.empty() ? "" : " (" + per_host(f.hosts) + ")") + ", " + std::to_string(f.local) +
                      " local, " + std::to_string(f.fallback) + " fell back to a local compile, " +
                      std::to_string(f.failed) + " failed to distribute";
    if (f.unknown > 0) out += ", " + std::to_string(f.unknown) + " where the engine does not say";
    if (!f.failed_hosts.empty()) {
        out += "; hosts that failed (the compiles each failed, which went to another host or fell back): " +
               per_host(f.failed_hosts);
    }
    return out;
}

std::string report_text(const BuildmemReport& r, std::size_t top) {
    std::string out;
    std::size_t compile_records = 0;
    for (const auto& rec : r.all) compile_records += rec.kind == "compile" ? 1 : 0;
    out += "Job log: " + r.log;
    if (r.log_missing) {
        out += " (no job recorded yet: the launcher writes it during the build)\n";
    } else {
        out += " (" + counted(r.records, "record", "records") + ": " + counted(compile_records, "compile", "compiles") +
               ", " + counted(r.records - compile_records, "link", "links") + ")\n";
    }

    const auto jobs_table = [&](const char* title, const std::vector<std::size_t>& list, bool link) {
        if (list.empty()) return;
        const std::size_t n = shown(list.size(), top);
        std::vector<std::string> sources;
        for (std::size_t i = 0; i < n && !link; ++i) {
            if (r.all[list[i]].source) sources.push_back(*r.all[list[i]].source);
        }
        const std::string under = sources.size() == n ? common_directory(sources) : std::string();
        out += std::string("\n") + title + " (" +
               (n == list.size() ? std::to_string(n) : std::to_string(n) + " of " + std::to_string(list.size())) +
               ", the latest run of each output, heaviest first" + (under.empty() ? "" : "; sources under " + under) +
               "):\n";
        std::vector<std::vector<std::string>> rows;
        for (std::size_t i = 0; i < n; ++i) {
            const JobRecord& j = r.all[list[i]];
            std::vector<std::string> row;
            if (!link) row.push_back(j.source ? j.source->substr(under.size()) : "-");
            row.push_back(j.output.value_or("-"));
            row.push_back(size_and_count(j.peak_rss));
            row.push_back(seconds(j.end_ms - j.start_ms));
            row.push_back(outcome(j));
            rows.push_back(std::move(row));
        }
        if (link) {
            out += report::render_table({"Output", "Peak RSS (bytes)", "Time", "Result"}, rows,
                                        {Align::left, Align::right, Align::right, Align::left});
        } else {
            out += report::render_table({"Source", "Output", "Peak RSS (bytes)", "Time", "Result"}, rows,
                                        {Align::left, Align::left, Align::right, Align::right, Align::left});
        }
    };
    jobs_table("Heaviest compiles", r.compiles, false);
    jobs_table("Heaviest links", r.links, true);

    out += "\nPeak concurrent memory (the sum of the peaks of the jobs running at the same time): ";
    if (!r.concurrency.at_ms) {
        out += "none (no jobs)\n";
    } else {
        out += size_and_count(r.concurrency.bytes) + " at " + utc_time(*r.concurrency.at_ms) + ", " +
               counted(r.concurrency.jobs.size(), "job", "jobs") + ":";
        for (std::size_t i = 0; i < r.concurrency.jobs.size(); ++i) {
            out += std::string(i == 0 ? " " : ", ") + r.all[r.concurrency.jobs[i]].name();
        }
        out += "\nMost jobs running at once: " + std::to_string(r.concurrency.max_jobs) + "\n";
    }

    if (r.farm) {
        const FarmSummary& f = *r.farm;
        std::string scope;
        for (const auto& e : f.engines) scope += e + ", ";
        out += "\n" + farm_counts_text(f, scope + "every record of the log") + "\n";
        if (f.preprocessed_local + f.preprocessed_remote > 0) {
            out += farm_preprocessed_text(f.preprocessed_local, f.preprocessed_remote) + "\n";
        }
    }

    if (r.killed.empty()) {
        out += "\nKilled jobs: none\n";
    } else {
        out += "\nKilled jobs (" + std::to_string(r.killed.size()) +
               "; SIGKILL, or a failure while the OOM killer struck, is most likely the kernel's OOM killer):\n";
        std::vector<std::vector<std::string>> rows;
        for (std::size_t index : r.killed) {
            const JobRecord& j = r.all[index];
            rows.push_back({j.kind, j.name(), j.output.value_or("-"), outcome(j), size_and_count(j.peak_rss), utc_time(j.end_ms)});
        }
        out += report::render_table({"Kind", "Job", "Output", "Result", "Peak RSS at the kill (bytes)", "Killed at (UTC)"},
                                    rows, {Align::left, Align::left, Align::left, Align::left, Align::right, Align::left});
    }

    if (r.plan_data) {
        const LowmemPlan& p = *r.plan_data;
        const std::uint64_t usable = p.memory_limit > p.reserve ? p.memory_limit - p.reserve : 0;
        out += "\nPools from the recorded peaks (plan " + p.file + ": " + format_size(p.memory_limit) + " memory limit - " +
               format_size(p.reserve) + " reserve, " + counted(p.cpus, "CPU", "CPUs") + "):\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& f : r.pools) {
            if (!f.heaviest) {
                rows.push_back({f.kind, "(none finished)", "-", "-", "-", std::to_string(f.planned)});
                continue;
            }
            rows.push_back({f.kind, f.heaviest_job, size_and_count(*f.heaviest),
                            *f.memory_fit == 0 ? "0 (one job > " + format_size(usable) + ")" : std::to_string(*f.memory_fit),
                            std::to_string(*f.pool), std::to_string(f.planned)});
        }
        out += report::render_table({"Kind", "Heaviest finished job", "Peak RSS (bytes)", "Fits in memory", "Pool (CPU cap)",
                                     "Plan's pool"},
                                    rows, {Align::left, Align::left, Align::right, Align::right, Align::right, Align::right});
        for (const auto& f : r.pools) {
            if (!f.memory_fit || *f.memory_fit != 0) continue;
            out += "The " + f.kind + " " + f.heaviest_job + " alone needs " + format_size(*f.heaviest) + ", more than the " +
                   format_size(usable) + " the plan leaves for jobs (" + format_size(p.memory_limit) + " memory limit - " +
                   format_size(p.reserve) + " reserve): it does not fit even on its own; " +
                   (f.kind == "link" ? std::string("lower the debug info or LTO of what it links")
                                     : "lower its debug info (set_source_files_properties(... COMPILE_OPTIONS -g1 or -g0))") +
                   " or give the build a memory limit of at least " + format_size(*f.heaviest + p.reserve) + ".\n";
        }
    }
    return out;
}

std::string report_json(const BuildmemReport& r, std::size_t top) {
    json j;
    j["schema"] = "buildbudget-buildmem-report/1";
    j["log"] = r.log;
    j["plan"] = r.plan ? json(*r.plan) : json(nullptr);
    j["records"] = r.records;
    const auto jobs = [&](const std::vector<std::size_t>& list, std::size_t limit) {
        json a = json::array();
        for (std::size_t i = 0; i < shown(list.size(), limit); ++i) a.push_back(job_json(r.all[list[i]]));
        return a;
    };
    j["compiles"] = jobs(r.compiles, top);
    j["compile_outputs"] = r.compiles.size();
    j["links"] = jobs(r.links, top);
    j["link_outputs"] = r.links.size();
    json c;
    c["peak_bytes"] = r.concurrency.bytes;
    c["at_ms"] = r.concurrency.at_ms ? json(*r.concurrency.at_ms) : json(nullptr);
    c["jobs"] = jobs(r.concurrency.jobs, 0);
    c["max_jobs"] = r.concurrency.max_jobs;
    j["concurrency"] = c;
    j["killed"] = jobs(r.killed, 0);
    if (r.plan_data) {
        json p;
        p["memory_limit"] = r.plan_data->memory_limit;
        p["reserve"] = r.plan_data->reserve;
        p["cpus"] = r.plan_data->cpus;
        for (const auto& f : r.pools) {
            json k;
            k["planned"] = f.planned;
            k["heaviest"] = f.heaviest ? json(*f.heaviest) : json(nullptr);
            k["heaviest_job"] = f.heaviest ? json(f.heaviest_job) : json(nullptr);
            k["memory_fit"] = f.memory_fit ? json(*f.memory_fit) : json(nullptr);
            k["pool"] = f.pool ? json(*f.pool) : json(nullptr);
            p[f.kind] = k;
        }
        j["pools"] = p;
    } else {
        j["pools"] = nullptr;
    }
    if (r.farm) {
        const FarmSummary& f = *r.farm;
        json hosts = json::object(), failed = json::object();
        for (const auto& [host, n] : f.hosts) hosts[host] = n;
        for (const auto& [host, n] : f.failed_hosts) failed[host] = n;
        j["distributed"] = {{"engines", f.engines}, {"remote", f.remote},     {"local", f.local},
                            {"fallback", f.fallback}, {"failed", f.failed},   {"unknown", f.unknown},
                            {"preprocessed", {{"local", f.preprocessed_local}, {"remote", f.preprocessed_remote}}},
                            {"hosts", hosts},         {"failed_hosts", failed}};
    } else {
        j["distributed"] = nullptr;
    }
    return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace buildbudget::buildmem
