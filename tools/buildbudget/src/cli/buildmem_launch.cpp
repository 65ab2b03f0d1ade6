// `buildbudget buildmem launch --plan FILE --kind compile|link -- <command...>`
// (doc/lowmem.md, "The job launcher"): the launcher
// lowmem_profile() puts in front of every compile and link. Runs the command
// (stdio inherited), records its process tree's peak RSS and RSS over time in
// the plan's job log, passes its exit code through (128 + signal when a signal
// ended it; 127 / 126 when it cannot be run, as a shell), and names a job
// killed by SIGKILL with its peak and the pool that would have fit. Exit 1 for a missing or invalid
// plan (nothing is run), 2 for a usage error.
#include "buildmem/launch.hpp"
#include "cli/buildmem.hpp"
#include "cli/options.hpp"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace buildbudget::cli {
namespace {

struct LaunchOptions {
    std::string plan;
    std::string kind;
    std::vector<std::string> command;
};

int run_launch(const LaunchOptions& o) {
    buildmem::LowmemPlan plan;
    try {
        plan = buildmem::read_lowmem_plan(o.plan);
    } catch (const buildmem::PlanFileError& e) {
        return fail(e.what());
    }
    return buildmem::launch_job(plan, o.kind, o.command, std::cerr);
}

}  // namespace

void add_buildmem_launch(CLI::App& group, int& exit_code) {
    auto o = std::make_shared<LaunchOptions>();
    CLI::App* cmd = group.add_subcommand(
        "launch",
        "Run one compile or link job and record its peak memory (the RSS of its whole process tree) and its\n"
        "memory over time (at most 64 samples) in the plan's job log; used as CMAKE_<LANG>_COMPILER_LAUNCHER /\n"
        "CMAKE_<LANG>_LINKER_LAUNCHER by lowmem_profile(), in front of ccache, sccache or distcc. With the\n"
        "plan's admission on, the job first waits until the memory it is predicted to need is free. Exits with\n"
        "the job's exit code (128 + signal when a signal ended it, 127 when the command does not exist); a job\n"
        "killed by SIGKILL is named with its peak and the pool size that would have fit. Exit 1 for a missing\n"
        "or invalid plan, 2 usage error.");
    cmd->add_option("--plan", o->plan, "The plan file lowmem_profile() wrote (buildbudget-lowmem/plan.json)")->required();
    cmd->add_option("--kind", o->kind, "The kind of job: compile or link")
        ->required()
        ->check(CLI::IsMember({"compile", "link"}));
    cmd->add_option("command", o->command, "The job's command line, after --")->required();
    // Everything from the command's first word on is the command's, even without "--".
    cmd->positionals_at_end();
    cmd->callback([o, &exit_code]() { exit_code = run_launch(*o); });
}

}  // namespace buildbudget::cli
