// The build-memory subcommands (lowmem_profile()), documented in doc/helper-buildmem.md and --help:
//   buildbudget buildmem probe          memory and CPUs as a container sees them (cgroup v2/v1, /proc)
//   buildbudget buildmem plan           compile and link pool sizes from the memory limit, with reasons
//   buildbudget buildmem cargo-config   a .cargo/config.toml with the same limits, keeping the user's keys
//   buildbudget buildmem launch         the job launcher: runs a compile or link, records its peak RSS
//   buildbudget buildmem report         the heaviest compiles and links of the job log
// Exit codes: 0 ok, 1 invalid input or a failed job (with a message), 2 usage error.
#pragma once

#include <CLI/CLI.hpp>

namespace buildbudget::cli {

/// Adds the `buildmem` subcommand group to `app`; the chosen subcommand
/// stores its exit code in `exit_code` (cli/buildmem.cpp).
void add_buildmem(CLI::App& app, int& exit_code);

/// `buildbudget buildmem launch` (cli/buildmem_launch.cpp), added to the `buildmem` group.
void add_buildmem_launch(CLI::App& buildmem_group, int& exit_code);

/// `buildbudget buildmem report` (cli/buildmem_report.cpp), added to the `buildmem` group.
void add_buildmem_report(CLI::App& buildmem_group, int& exit_code);

}  // namespace buildbudget::cli
