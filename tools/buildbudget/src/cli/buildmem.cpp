// The `buildmem` group (lowmem_profile(); doc/helper-buildmem.md) and its
// `probe`, `plan` and `cargo-config` subcommands; `launch` and `report` are
// added from cli/buildmem_launch.cpp and cli/buildmem_report.cpp.
//
//   buildbudget buildmem probe [--root DIR] [--json]
//   buildbudget buildmem plan [--memory-limit auto|SIZE] [--root DIR] [--cpus auto|N]
//       [--compile-memory SIZE] [--link-memory SIZE] [--reserve SIZE]
//       [--debug-info off|line-tables|split|full] [--lto off|thin|full]
//       [--linker bfd|gold|lld|mold|other] [--log FILE] [--admission on|off] [--json]
//       [--cmake-out FILE] [--write-plan FILE [--admission-timeout SECONDS]]
//       [--write-env FILE [--project NAME] [--build-dir DIR] [--rustc RUSTC] [--rustc-wrapper]]
//       [--distributed distcc|icecc|auto [--remote-slots N] [--icecc-scheduler HOST[:PORT]] [--compiler-launcher L...]
//        [--distributed-fallback on|off]]
//   buildbudget buildmem cargo-config --file PATH [--jobs N] [--debug-info ...] [--lto ...]
//       [--cargo-version X.Y.Z] [--rustc RUSTC [--linker-threads N]] [--target TRIPLE...]
//       [--rustflag=ARG ...] [--plan FILE] [--json]
//
// Exit codes: 0 ok, 1 bad input ("buildbudget: error: <input>: <problem>"), 2 usage.
#include "cli/buildmem.hpp"
#include "cli/options.hpp"

#include "budget/size.hpp"
#include "common/output_file.hpp"
#include "common/templates.hpp"
#include "common/text.hpp"
#include "buildmem/cargo_config.hpp"
#include "buildmem/distributed.hpp"
#include "buildmem/env_script.hpp"
#include "buildmem/launch.hpp"
#include "buildmem/plan.hpp"
#include "buildmem/probe.hpp"
#include "buildmem/rustc_wrapper.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace buildbudget::cli {
namespace {

using json = nlohmann::ordered_json;
namespace bm = buildbudget::buildmem;


/// "7.2 GiB (7730941132 bytes)".
std::string human(std::uint64_t bytes) { return format_size(bytes) + " (" + std::to_string(bytes) + " bytes)"; }

/// A size option: parse_size() or a message naming the option.
std::optional<std::uint64_t> size_option(const std::string& option, const std::string& text, std::string& error) {
    const SizeParse parsed = parse_size(text);
    if (!parsed.bytes) {
        error = option + ": invalid size \"" + text + "\": " + parsed.error;
        return std::nullopt;
    }
    return parsed.bytes;
}

// --- buildmem probe ----------------------------------------------------------

struct ProbeOptions {
    std::string root = "/";
    bool json = false;
};

std::string quota_text(double quota) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", quota);
    std::string s = text;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}

int run_probe(const ProbeOptions& o) {
    bm::Probe p;
    try {
        p = bm::probe(o.root);
    } catch (const bm::ProbeError& e) {
        return fail(e.what());
    }
    if (o.json) {
        json j;
        j["schema"] = "buildbudget-buildmem-probe/1";
        j["root"] = p.root;
        j["memory"] = {{"limit", p.memory.limit},
                       {"limit_source", p.memory.limit_source},
                       {"physical", p.memory.physical},
                       {"available", p.memory.available},
                       {"available_source", p.memory.available_source},
                       {"cgroup", p.memory.cgroup_version.empty() ? json(nullptr) : json(p.memory.cgroup_version)},
                       {"cgroup_limit", p.memory.cgroup_limit ? json(*p.memory.cgroup_limit) : json(nullptr)}};
        j["cpus"] = {{"count", p.cpus.count},
                     {"source", p.cpus.source},
                     {"affinity", p.cpus.affinity},
                     {"online", p.cpus.online},
                     {"quota", p.cpus.quota ? json(*p.cpus.quota) : json(nullptr)}};
        std::cout << j.dump(2) << '\n';
        return 0;
    }
    std::cout << "Memory limit:     " << human(p.memory.limit) << ", from " << p.memory.limit_source << '\n'
              << "Physical memory:  " << human(p.memory.physical) << '\n'
              << "Available now:    " << human(p.memory.available) << ", from " << p.memory.available_source << '\n'
              << "Memory cgroup:    "
              << (p.memory.cgroup_version.empty()
                      ? std::string("none")
                      : p.memory.cgroup_version + ", " +
                            (p.memory.cgroup_limit ? "limit " + human(*p.memory.cgroup_limit) : std::string("no limit")))
              << '\n'
              << "CPUs:             " << p.cpus.count << ", from " << p.cpus.source << '\n'
              << "  affinity mask:  " << p.cpus.affinity << '\n'
              << "  online:         " << p.cpus.online << '\n'
              << "  cgroup quota:   " << (p.cpus.quota ? quota_text(*p.cpus.quota) + " CPUs" : std::string("none")) << '\n';
    return 0;
}

// --- buildmem plan -----------------------------------------------------------

struct PlanOptions {
    std::string memory_limit = "auto", root = "/", cpus = "auto", compile_memory, link_memory, reserve;
    std::string debug_info, lto = "off", linker = "other", log, admission = "off";
    bool lto_given = false;  ///< --lto was given (the env script sets cargo's lto only then)
    bool json = false;
    std::string cmake_out, write_plan, admission_timeout = "600";
    std::string write_env, project, build_dir, rustc;
    bool rustc_wrapper = false;  ///< --rustc-wrapper: the env script exports RUSTC_WRAPPER
    std::string distributed, remote_slots;       ///< --distributed (empty: local only), --remote-slots
    std::vector<std::string> compiler_launchers;  ///< --compiler-launcher, for --distributed auto
    std::string distributed_fallback = "on";      ///< --distributed-fallback, into the plan file
    std::optional<std::string> icecc_scheduler;   ///< --icecc-scheduler HOST[:PORT]
};

/// The --cmake-out script: one set(BUILDBUDGET_PLAN_<KEY> "<value>") a field
/// (sizes in bytes), the reasons one a line in BUILDBUDGET_PLAN_REASONS.
std::string plan_cmake_script(const bm::Plan& plan, const std::optional<bm::DistributedPlan>& distributed) {
    std::string reasons;
    for (const auto& reason : plan.reasons) reasons += (reasons.empty() ? "" : "\n") + reason;
    if (distributed) {
        for (const auto& reason : distributed->reasons) reasons += "\n" + reason;
        reasons += "\n" + bm::cargo_jobs_reason(plan.compile_jobs, bm::to_string(distributed->engine));
    }
    std::string out = "# buildbudget buildmem plan --cmake-out: the plan lowmem_profile() include()s.\n";
    const auto set = [&](const char* key, const std::string& value) {
        out += std::string("set(BUILDBUDGET_PLAN_") + key + " " + cmake_quoted(value) + ")\n";
    };
    set("MEMORY_LIMIT", std::to_string(plan.memory_limit));
    set("MEMORY_CLASS", plan.memory_class);
    set("RESERVE", std::to_string(plan.reserve));
    set("CPUS", std::to_string(plan.cpus));
    set("COMPILE_MEMORY", std::to_string(plan.compile_memory));
    set("LINK_MEMORY", std::to_string(plan.link_memory));
    set("COMPILE_JOBS", std::to_string(plan.compile_jobs));
    set("LINK_JOBS", std::to_string(plan.link_jobs));
    set("LINKER_THREADS", std::to_string(plan.linker_threads));
    if (distributed) {
        // Only with --distributed: the farm's pools beside the local ones.
        set("DISTRIBUTED_ENGINE", bm::to_string(distributed->engine));
        set("DISTRIBUTED_REMOTE_SLOTS", std::to_string(distributed->remote_slots));
        set("DISTRIBUTED_LOCAL_COMPILE_JOBS", std::to_string(distributed->local_compile_jobs));
        set("DISTRIBUTED_COMPILE_JOBS", std::to_string(distributed->compile_jobs));
        set("DISTRIBUTED_LINK_JOBS", std::to_string(distributed->link_jobs));
    }
    set("REASONS", reasons);
    return out;
}

/// The "distributed" object of `plan --json` (null without --distributed).
json distributed_json(const bm::DistributedPlan& d) {
    json j;
    j["engine"] = bm::to_string(d.engine);
    j["engine_source"] = d.engine_source;
    if (d.hosts) {
        json hosts = json::array();
        for (const auto& h : d.hosts->hosts) {
            hosts.push_back({{"spec", h.spec},
                             {"where", h.where},
                             {"kind", h.kind == bm::DistccHost::Kind::local ? "local"
                                      : h.kind == bm::DistccHost::Kind::ssh ? "ssh"
                                                                            : "tcp"},
                             {"host", h.host},
                             {"port", h.port ? json(*h.port) : json(nullptr)},
                             {"limit", h.limit},
                             {"limit_given", h.limit_given},
                             {"lzo", h.lzo},
                             {"cpp", h.cpp}});
        }
        j["host_list"] = {{"source", d.hosts->source},
                          {"hosts", hosts},
                          {"randomize", d.hosts->randomize},
                          {"zeroconf", d.hosts->zeroconf},
                          {"localslots", d.hosts->localslots ? json(*d.hosts->localslots) : json(nullptr)},
                          {"localslots_cpp", d.hosts->localslots_cpp ? json(*d.hosts->localslots_cpp) : json(nullptr)},
                          {"local_slots", d.hosts->local_slots()},
                          {"remote_slots", d.hosts->remote_slots()}};
    } else {
        j["host_list"] = nullptr;
    }
    if (d.icecream) {
        json hosts = json::array();
        for (const auto& h : d.icecream->hosts) {
            hosts.push_back({{"name", h.name}, {"address", h.address}, {"platform", h.platform},
                             {"max_jobs", h.max_jobs}, {"no_remote", h.no_remote}, {"local", h.local}});
        }
        j["icecream"] = {{"scheduler", d.icecream->scheduler.host + ":" + std::to_string(d.icecream->scheduler.port)},
                         {"scheduler_source", d.icecream->scheduler.source},
                         {"local_name", d.icecream->local_name},
                         {"hosts", hosts},
                         {"remote_slots", d.icecream->remote_slots()}};
    } else {
        j["icecream"] = nullptr;
    }
    j["remote_slots"] = d.remote_slots;
    j["remote_pump_slots"] = d.remote_pump_slots;
    j["remote_slots_source"] = d.remote_slots_source;
    j["preprocess_memory"] = d.preprocess_memory;
    j["client_memory"] = d.client_memory;
    j["local_compile_jobs"] = d.local_compile_jobs;
    j["compile_jobs"] = d.compile_jobs;
    j["link_jobs"] = d.link_jobs;
    j["reasons"] = d.reasons;
    return j;
}

int run_plan(const PlanOptions& o) {
    bm::PlanRequest r;
    std::string error;
    if (o.memory_limit != "auto") {
        r.memory_limit = size_option("--memory-limit", o.memory_limit, error);
        if (!r.memory_limit) return fail(error + " (expected auto or a size)");
        r.memory_limit_text = o.memory_limit;
    }
    r.root = o.root;
    if (o.cpus != "auto") {
        const auto digits = o.cpus.find_first_not_of("0123456789");
        if (o.cpus.empty() || digits != std::string::npos || o.cpus.size() > 6 || std::stoul(o.cpus) == 0) {
            return fail("--cpus: invalid value \"" + o.cpus + "\" (expected auto or a whole number of CPUs, at least 1)");
        }
        r.cpus = static_cast<unsigned>(std::stoul(o.cpus));
    }
    for (auto [option, text, slot] : {std::make_tuple("--compile-memory", &o.compile_memory, &r.compile_memory),
                                      std::make_tuple("--link-memory", &o.link_memory, &r.link_memory),
                                      std::make_tuple("--reserve", &o.reserve, &r.reserve)}) {
        if (text->empty()) continue;
        *slot = size_option(option, *text, error);
        if (!*slot) return fail(error);
    }
    const auto debug = bm::parse_debug_info(o.debug_info);
    const auto lto = bm::parse_lto(o.lto);
    const auto linker = bm::parse_linker(o.linker);
    // CLI11's IsMember check rejects other values before this (exit 2).
    if ((!o.debug_info.empty() && !debug) || !lto || !linker) return fail("--debug-info, --lto or --linker: unexpected value");
    r.debug_info = debug;
    r.lto = *lto;
    r.linker = *linker;
    r.log = o.log;
    r.admission = o.admission == "on";
    if (o.admission_timeout.empty() || o.admission_timeout.size() > 7 ||
        o.admission_timeout.find_first_not_of("0123456789") != std::string::npos) {
        return fail("--admission-timeout: invalid value \"" + o.admission_timeout +
                    "\" (expected a whole number of seconds, such as 600)");
    }

    std::optional<unsigned> remote_slots;
    if (!o.remote_slots.empty()) {
        if (o.distributed.empty()) {
            return fail("--remote-slots: given without --distributed; expected --distributed distcc|icecc|auto");
        }
        if (o.remote_slots.size() > 6 || o.remote_slots.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(o.remote_slots) == 0) {
            return fail("--remote-slots: invalid value \"" + o.remote_slots +
                        "\" (expected a whole number of remote job slots, at least 1)");
        }
        remote_slots = static_cast<unsigned>(std::stoul(o.remote_slots));
    }

    if (o.icecc_scheduler && o.distributed.empty()) {
        return fail("--icecc-scheduler: given without --distributed; expected --distributed icecc|auto");
    }

    bm::Plan plan;
    std::optional<bm::DistributedPlan> distributed;
    try {
        plan = bm::make_plan(r);
        if (!o.distributed.empty()) {
            bm::DistributedRequest d;
            d.engine = o.distributed;
            d.remote_slots = remote_slots;
            d.launchers = o.compiler_launchers;
            d.lookup = bm::DistccLookup::from_environment();
            d.root = o.root;
            d.icecream = bm::IcecreamLookup::from_environment();
            d.icecream.option = o.icecc_scheduler;
            distributed = bm::plan_distributed(plan, d);
        }
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    // Every file's content first, then the writes: a bad input leaves no file half-made.
    struct Output {
        const char* option;
        std::string path, content;
    };
    std::vector<Output> outputs;
    if (!o.cmake_out.empty()) outputs.push_back({"--cmake-out", o.cmake_out, plan_cmake_script(plan, distributed)});
    if (!o.write_plan.empty()) {
        bm::LowmemPlan launcher;
        launcher.log = (std::filesystem::path(o.write_plan).parent_path() / "jobs.jsonl").string();
        launcher.memory_limit = plan.memory_limit;
        launcher.reserve = plan.reserve;
        launcher.compile_memory = plan.compile_memory;
        launcher.link_memory = plan.link_memory;
        launcher.compile_jobs = plan.compile_jobs;
        launcher.link_jobs = plan.link_jobs;
        launcher.cpus = plan.cpus;
        launcher.memory_limit_probed = o.memory_limit == "auto";
        launcher.admission.enabled = r.admission;
        launcher.admission.timeout_seconds = static_cast<double>(std::stoul(o.admission_timeout));
        launcher.admission.probe_root = o.root;
        if (distributed) {
            // The farm: compiles go through its client in the larger pool (doc/lowmem-distributed.md).
            bm::DistributedSettings farm;
            farm.engine = bm::to_string(distributed->engine);
            try {
                const char* path = std::getenv("PATH");
                farm.client = bm::find_engine_client(distributed->engine, o.compiler_launchers, path ? path : "");
            } catch (const std::exception& e) {
                return fail(std::string("--write-plan: ") + e.what());
            }
            farm.remote_slots = distributed->remote_slots;
            farm.local_compile_jobs = distributed->local_compile_jobs;
            farm.pump = distributed->remote_slots > 0 && distributed->remote_pump_slots == distributed->remote_slots;
            farm.remote_compile_memory = farm.pump ? distributed->client_memory : distributed->preprocess_memory;
            farm.fallback = o.distributed_fallback == "on";
            launcher.distributed = farm;
            launcher.compile_jobs = distributed->compile_jobs;
        }
        outputs.push_back({"--write-plan", o.write_plan, bm::lowmem_plan_text(launcher)});
    }
    if (!o.write_env.empty()) {
        bm::EnvScriptInputs env;
        env.project_name = o.project;
        env.build_dir = o.build_dir;
        env.script = o.write_env;
        env.memory_limit = plan.memory_limit;
        env.compile_jobs = plan.compile_jobs;
        env.cargo_jobs = plan.compile_jobs;  // rustc runs here, also with a farm (cargo_jobs_reason())
        env.link_jobs = plan.link_jobs;
        env.debug_info = r.debug_info;
        if (o.lto_given) env.lto = r.lto;
        // Only split debug info depends on the Rust version; a rustc that does not answer counts as unknown.
        if (!o.rustc.empty() && r.debug_info == bm::DebugInfo::split) {
            try {
                env.rust_version = bm::query_rustc(o.rustc).version;
            } catch (const bm::CargoConfigError&) {
            }
        }
        try {
            if (o.rustc_wrapper) {
                // Cargo's rustc through the launcher of this plan (and sccache): rustc_wrapper.hpp.
                if (o.write_plan.empty()) return fail("--rustc-wrapper: expected --write-plan as well (the wrapper's launcher reads that plan)");
                const bm::RustcWrapperInputs wrapper = bm::rustc_wrapper_inputs(o.write_plan);
                env.rustc_wrapper = bm::rustc_wrapper_path(o.write_plan);
                env.rustc_wrapper_sccache = !wrapper.sccache.empty();
                outputs.push_back({"--rustc-wrapper", env.rustc_wrapper, bm::rustc_wrapper_text(wrapper)});
            }
            outputs.push_back({"--write-env", o.write_env, bm::render_env_script(read_template(bm::env_script_template), env)});
        } catch (const std::runtime_error& e) {
            return fail(std::string("--write-env: ") + e.what());
        }
    }
    for (const Output& output : outputs) {
        std::string error;
        if (write_file_if_changed(output.path, output.content, error) == WriteResult::failed) {
            return fail(std::string(output.option) + " " + output.path + ": " + error);
        }
        if (std::string(output.option) == "--rustc-wrapper") {
            try {
                bm::make_executable(output.path);
            } catch (const std::runtime_error& e) {
                return fail(std::string("--rustc-wrapper ") + e.what());
            }
        }
    }
    if (o.json) {
        json j;
        j["schema"] = "buildbudget-buildmem-plan/1";
        j["memory_limit"] = plan.memory_limit;
        j["memory_limit_source"] = plan.memory_limit_source;
        j["memory_class"] = plan.memory_class;
        j["reserve"] = plan.reserve;
        j["cpus"] = plan.cpus;
        j["cpus_source"] = plan.cpus_source;
        j["compile_memory"] = plan.compile_memory;
        j["link_memory"] = plan.link_memory;
        j["compile_jobs"] = plan.compile_jobs;
        j["link_jobs"] = plan.link_jobs;
        j["linker_threads"] = plan.linker_threads;
        j["debug_info"] = r.debug_info ? json(bm::to_string(*r.debug_info)) : json(nullptr);
        j["lto"] = bm::to_string(r.lto);
        j["linker"] = bm::to_string(r.linker);
        j["learned_from"] = plan.learned_from.empty() ? json(nullptr) : json(plan.learned_from);
        j["compile_learned"] = plan.compile_learned;
        j["link_learned"] = plan.link_learned;
        j["margin_percent"] = plan.margin_percent;
        j["reasons"] = plan.reasons;
        j["distributed"] = distributed ? distributed_json(*distributed) : json(nullptr);
        std::cout << j.dump(2) << '\n';
        return 0;
    }
    for (const auto& reason : plan.reasons) std::cout << reason << '\n';
    if (distributed) {
        for (const auto& reason : distributed->reasons) std::cout << reason << '\n';
        std::cout << bm::cargo_jobs_reason(plan.compile_jobs, bm::to_string(distributed->engine)) << '\n';
    }
    return 0;
}

// --- buildmem cargo-config ---------------------------------------------------

struct CargoOptions {
    std::string file, debug_info, lto, cargo_version, rustc, plan;
    bool no_rustc_wrapper = false;
    std::vector<std::string> targets;
    std::optional<unsigned> jobs;
    unsigned linker_threads = 1;
    std::vector<std::string> rustflags;
    bool json = false;
};

std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
    return text;
}

int run_cargo_config(const CargoOptions& o) {
    bm::CargoSettings s;
    if (o.jobs) {
        if (*o.jobs == 0) return fail("--jobs: expected at least 1 job, got 0");
        s.jobs = o.jobs;
    }
    if (!o.debug_info.empty()) s.debug_info = bm::parse_debug_info(o.debug_info);
    if (!o.lto.empty()) s.lto = bm::parse_lto(o.lto);
    if (!o.cargo_version.empty()) {
        s.rust_version = bm::parse_rust_version(o.cargo_version);
        if (!s.rust_version) {
            return fail("--cargo-version: invalid version \"" + o.cargo_version + "\" (expected X.Y.Z, such as 1.65.0)");
        }
    }
    if (o.rustc.empty() && !o.rustflags.empty() && o.targets.size() != 1) {
        return fail("--rustflag: expected one --target <triple> as well (or --rustc), got " +
                    std::to_string(o.targets.size()));
    }
    if (o.linker_threads == 0) return fail("--linker-threads: expected at least 1 thread, got 0");
    if (o.rustc.empty()) {
        s.target = o.targets.empty() ? std::string() : o.targets.front();
        s.rustflags = o.rustflags;
    }
    std::vector<std::string> notes;
    json linkers = json::array();
    bm::CargoConfigResult result;
    bm::RustcWrapperInputs wrapper;
    bool written = false;
    try {
        if (!o.rustc.empty()) {
            // The linker flags of the linker this rustc really runs, for each target.
            const bm::RustcInfo info = bm::query_rustc(o.rustc);
            if (!s.rust_version) s.rust_version = info.version;
            const std::string text = bm::read_cargo_config(o.file);
            const auto env = [](const std::string& name) {
                const char* value = std::getenv(name.c_str());
                return std::string(value != nullptr ? value : "");
            };
            std::vector<std::string> targets = o.targets;
            if (targets.empty()) {
                targets.push_back(info.host);
                for (const auto& t : bm::cargo_build_targets(o.file, text, env)) {
                    if (t != info.host) targets.push_back(t);
                }
            }
            for (const auto& target : targets) {
                const bm::CargoTargetInputs inputs = bm::cargo_target_inputs(o.file, text, target, env);
                const bm::RustLinker linker = bm::detect_rust_linker(o.rustc, target, inputs.flags);
                std::vector<std::string> flags = bm::linker_memory_rustflags(linker, o.linker_threads);
                const std::vector<std::string> memory_flags = flags;
                flags.insert(flags.end(), o.rustflags.begin(), o.rustflags.end());
                s.target_rustflags.emplace_back(target, flags);
                notes.insert(notes.end(), inputs.notes.begin(), inputs.notes.end());
                if (linker.kind == bm::RustLinkerKind::unknown) {
                    notes.push_back(target + ": no linker flags: the linker rustc uses is not known (" + linker.problem + ")");
                } else {
                    notes.push_back(target + ": rustc links with " + linker.describe() + ": rustflags " + joined(memory_flags));
                }
                json l;
                l["target"] = target;
                l["linker"] = bm::to_string(linker.kind);
                l["self_contained"] = linker.self_contained;
                l["program"] = linker.program;
                l["through_cc"] = linker.through_cc;
                l["version"] = linker.version.empty() ? json(nullptr) : json(linker.version);
                l["rustflags"] = memory_flags;
                l["problem"] = linker.problem.empty() ? json(nullptr) : json(linker.problem);
                linkers.push_back(l);
            }
        }
        s.no_rustc_wrapper = o.no_rustc_wrapper;
        if (!o.plan.empty()) {
            // [build] rustc-wrapper: rustc through the launcher of this plan (and sccache): rustc_wrapper.hpp.
            wrapper = bm::rustc_wrapper_inputs(o.plan);
            bool wrapper_written = false;
            s.rustc_wrapper = bm::write_rustc_wrapper(wrapper, wrapper_written);
            s.rustc_wrapper_sccache = !wrapper.sccache.empty();
            for (const char* name : {"RUSTC_WRAPPER", "CARGO_BUILD_RUSTC_WRAPPER"}) {
                const char* value = std::getenv(name);
                if (value == nullptr || *value == '\0' || s.rustc_wrapper == value) continue;
                notes.push_back(std::string(name) + " is set: cargo runs it instead of [build] rustc-wrapper, so rustc " +
                                "jobs are recorded only in builds without it");
                break;
            }
        }
        result = bm::write_cargo_config(o.file, s, written);
    } catch (const std::runtime_error& e) {  // CargoConfigError, and the wrapper's template or file
        return fail(e.what());
    }
    notes.insert(notes.end(), result.notes.begin(), result.notes.end());
    if (o.json) {
        json j;
        j["schema"] = "buildbudget-buildmem-cargo-config/1";
        j["file"] = o.file;
        j["result"] = written ? "written" : "unchanged";
        j["layout_kept"] = result.preserved_layout;
        j["rust_version"] = s.rust_version ? json(std::to_string(s.rust_version->major) + "." +
                                                  std::to_string(s.rust_version->minor) + "." +
                                                  std::to_string(s.rust_version->patch))
                                           : json(nullptr);
        j["linkers"] = linkers;
        j["rustc_wrapper"] = s.rustc_wrapper.empty() ? json(nullptr) : json(s.rustc_wrapper);
        j["sccache"] = wrapper.sccache.empty() ? json(nullptr) : json(wrapper.sccache);
        j["notes"] = notes;
        std::cout << j.dump(2) << '\n';
        return 0;
    }
    std::cout << o.file << ": " << (written ? "written" : "unchanged") << '\n';
    if (!s.rustc_wrapper.empty()) {
        const std::string behind = wrapper.sccache.empty() ? ", no sccache on PATH" : ", behind sccache " + wrapper.sccache;
        print_note("rustc runs through " + s.rustc_wrapper + " (the job launcher" + behind + ")", std::cout);
    }
    for (const auto& n : notes) print_note(n, std::cout);
    return 0;
}

}  // namespace

void add_buildmem(CLI::App& app, int& exit_code) {
    CLI::App* group = app.add_subcommand("buildmem", "The build's own memory (lowmem_profile)");
    group->require_subcommand(1);

    auto p = std::make_shared<ProbeOptions>();
    CLI::App* probe = group->add_subcommand(
        "probe", "Memory limit, free memory and CPUs as this container sees them (cgroup v2/v1, /proc)");
    probe->add_option("--root", p->root, "Read /proc and /sys under this directory (default /; tests use a fake tree)");
    probe->add_flag("--json", p->json, "Print JSON (schema buildbudget-buildmem-probe/1)");
    probe->callback([p, &exit_code]() { exit_code = run_probe(*p); });

    auto pl = std::make_shared<PlanOptions>();
    CLI::App* plan = group->add_subcommand(
        "plan",
        "Compile and link pool sizes from the memory limit, with reasons.\n"
        "  pool = clamp(floor((limit - reserve) / per-job memory), 1, CPUs); reserve = max(512 MiB, 10% of limit).\n"
        "  Per-job estimates: compile 1 GiB, link 2 GiB, times debug info (off x1/x1, line-tables x1.1/x1.25,\n"
        "  split x1.4/x1.25, full x1.5/x2) and LTO on links (thin x2, full x4).\n"
        "  --log learns from earlier builds: each job's recorded peak plus a margin (15%, or 3 x the RMS change of\n"
        "  jobs recorded in two builds, at least 5%), a reserve of max(64 MiB, 5%), pools from the median job with\n"
        "  --admission on, else from the heaviest jobs that fit together; archive steps (ar) count as links.");
    plan->add_option("--memory-limit", pl->memory_limit, "auto (probe) or a size such as 4GiB")->capture_default_str();
    plan->add_option("--root", pl->root, "Probe root for auto values (default /)");
    plan->add_option("--cpus", pl->cpus, "auto (probe) or a number of CPUs")->capture_default_str();
    plan->add_option("--compile-memory", pl->compile_memory, "Peak memory of one compile job (replaces the estimate)");
    plan->add_option("--link-memory", pl->link_memory, "Peak memory of one link job (replaces the estimate)");
    plan->add_option("--reserve", pl->reserve, "Memory kept free (default max(512 MiB, 10% of the limit), at most half)");
    plan->add_option("--debug-info", pl->debug_info,
                     "off, line-tables, split or full (default: the build type's own, estimated without a factor)")
        ->check(CLI::IsMember({"off", "line-tables", "split", "full"}));
    CLI::Option* lto_option =
        plan->add_option("--lto", pl->lto, "off, thin or full")->check(CLI::IsMember({"off", "thin", "full"}))->capture_default_str();
    plan->add_option("--linker", pl->linker, "bfd, gold, lld, mold or other")
        ->check(CLI::IsMember({"bfd", "gold", "lld", "mold", "other"}))
        ->capture_default_str();
    plan->add_option("--log", pl->log, "Launcher job log (jobs.jsonl): recorded peaks replace the estimates");
    plan->add_option("--admission", pl->admission, "on: the launcher's admission runs (learned pools from the median job)")
        ->check(CLI::IsMember({"on", "off"}))
        ->capture_default_str();
    plan->add_flag("--json", pl->json, "Print JSON (schema buildbudget-buildmem-plan/1)");
    plan->add_option("--cmake-out", pl->cmake_out,
                     "Write the plan as a CMake script: set(BUILDBUDGET_PLAN_<KEY> ...) for MEMORY_LIMIT, MEMORY_CLASS, "
                     "RESERVE, CPUS, COMPILE_MEMORY, LINK_MEMORY, COMPILE_JOBS, LINK_JOBS, LINKER_THREADS (bytes, counts), "
                     "with --distributed DISTRIBUTED_ENGINE, DISTRIBUTED_REMOTE_SLOTS, DISTRIBUTED_LOCAL_COMPILE_JOBS, "
                     "DISTRIBUTED_COMPILE_JOBS, DISTRIBUTED_LINK_JOBS, and REASONS (one a line); unchanged content is "
                     "not rewritten");
    plan->add_option("--write-plan", pl->write_plan,
                     "Write the launcher's plan file (schema buildbudget-lowmem-plan/1; its job log is jobs.jsonl "
                     "beside it, its probe root --root, admission from --admission)");
    plan->add_option("--admission-timeout", pl->admission_timeout,
                     "With --write-plan: seconds a job waits for free memory before it runs anyway")
        ->capture_default_str();
    plan->add_option("--write-env", pl->write_env,
                     "Write a POSIX sh script exporting the limits (CMAKE_BUILD_PARALLEL_LEVEL, MAKEFLAGS, "
                     "CARGO_BUILD_JOBS, CARGO_PROFILE_*_DEBUG/LTO/SPLIT_DEBUGINFO, BUILDBUDGET_*), from the package's "
                     "template lowmem/build-env.sh.in");
    plan->add_option("--project", pl->project, "With --write-env: the project named in the script's comment");
    plan->add_option("--build-dir", pl->build_dir, "With --write-env: the build tree named in the script's comment");
    plan->add_option("--rustc", pl->rustc,
                     "With --write-env and --debug-info split: this rustc's version decides SPLIT_DEBUGINFO (1.65+)");
    plan->add_flag("--rustc-wrapper", pl->rustc_wrapper,
                   "With --write-env and --write-plan: write cargo's rustc wrapper <plan dir>/rustc-wrapper (each rustc "
                   "through the launcher, behind sccache when it is on PATH) and export it as RUSTC_WRAPPER unless "
                   "RUSTC_WRAPPER names another wrapper");
    plan->add_option("--distributed", pl->distributed,
                     "Size the compile pool for a compile farm: distcc (its host list: $DISTCC_HOSTS, $DISTCC_DIR/hosts "
                     "or ~/.distcc/hosts, /etc/distcc/hosts), icecc (the hosts its scheduler reports) or auto (a --compiler-launcher "
                     "naming one, a distcc host list, a running iceccd); pool = remote slots + local compiles that fit")
        ->check(CLI::IsMember({"distcc", "icecc", "auto"}));
    plan->add_option("--remote-slots", pl->remote_slots,
                     "With --distributed: the farm's job slots (replaces distcc's host limits and icecream's "
                     "scheduler)");
    plan->add_option("--icecc-scheduler", pl->icecc_scheduler,
                     "With --distributed icecc: the icecream scheduler to ask for the farm's hosts, HOST[:PORT] "
                     "(default: $ICECC_SCHEDULER, the local iceccd's -s, ICECC_SCHEDULER_HOST in "
                     "/etc/icecc/icecc.conf, else icecream's broadcast)");
    plan->add_option("--compiler-launcher", pl->compiler_launchers,
                     "With --distributed auto: a CMAKE_<LANG>_COMPILER_LAUNCHER value (repeatable)")
        ->allow_extra_args(false);
    plan->add_option("--distributed-fallback", pl->distributed_fallback,
                     "With --distributed and --write-plan: on (default): the launcher compiles a unit whose distribution "
                     "failed locally, through admission; off: such a compile fails, naming the host")
        ->check(CLI::IsMember({"on", "off"}));
    plan->callback([pl, lto_option, &exit_code]() {
        pl->lto_given = lto_option->count() > 0;
        exit_code = run_plan(*pl);
    });

    auto c = std::make_shared<CargoOptions>();
    CLI::App* cargo = group->add_subcommand(
        "cargo-config", "Write the limits into a .cargo/config.toml, keeping the user's keys and comments");
    cargo->add_option("--file", c->file, "The config file (created when missing)")->required();
    cargo->add_option("--jobs", c->jobs, "[build] jobs");
    cargo->add_option("--debug-info", c->debug_info, "[profile.dev|release] debug: off 0, line-tables 1, split/full 2")
        ->check(CLI::IsMember({"off", "line-tables", "split", "full"}));
    cargo->add_option("--lto", c->lto, "[profile.dev|release] lto: off false, thin \"thin\", full \"fat\"")
        ->check(CLI::IsMember({"off", "thin", "full"}));
    cargo->add_option("--cargo-version", c->cargo_version,
                      "Rust version (rustc -vV release): split-debuginfo is written only from 1.65");
    cargo->add_option("--rustc", c->rustc,
                      "Ask this rustc which linker it runs for each target and write that linker's memory flags "
                      "(also gives --cargo-version)");
    cargo->add_option("--linker-threads", c->linker_threads, "Threads for lld (--threads) and mold (--thread-count)")
        ->capture_default_str();
    cargo->add_option("--target", c->targets,
                      "Target triple of the [target.<triple>] rustflags (with --rustc: repeatable; default the host "
                      "and [build] target)")
        ->allow_extra_args(false);
    cargo->add_option("--rustflag", c->rustflags, "A rustflags value to add when missing (write --rustflag=-C)")
        ->allow_extra_args(false);
    cargo->add_option("--plan", c->plan,
                      "The launcher's plan file (lowmem_profile()'s buildbudget-lowmem/plan.json): write cargo's rustc "
                      "wrapper <plan dir>/rustc-wrapper (each rustc through the launcher, behind sccache when it is on "
                      "PATH) and set [build] rustc-wrapper to it (a wrapper of your own is kept)");
    cargo->add_flag("--no-rustc-wrapper", c->no_rustc_wrapper,
                    "Take BuildBudget's rustc wrapper out: a [build] rustc-wrapper naming one becomes \"\" (no wrapper); "
                    "a wrapper of your own stays")
        ->excludes(cargo->get_option("--plan"));
    cargo->add_flag("--json", c->json, "Print JSON (schema buildbudget-buildmem-cargo-config/1)");
    cargo->callback([c, &exit_code]() { exit_code = run_cargo_config(*c); });

    add_buildmem_launch(*group, exit_code);
    add_buildmem_report(*group, exit_code);
}

}  // namespace buildbudget::cli
