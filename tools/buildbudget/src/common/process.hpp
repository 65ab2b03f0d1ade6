// Running a program and waiting for it: the one place the helper starts
// processes (`buildbudget peak` runs a test command, `wasm optimize` runs
// wasm-opt). No shell is involved: argv[0] is looked up on PATH when it has
// no '/', as execvp does.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace buildbudget {

/// What the child's standard streams are.
enum class ChildOutput {
    inherit,  ///< stdin, stdout and stderr are the helper's (a test command's output reaches CTest)
    capture,  ///< stdin is /dev/null; stdout and stderr are read into ProcessResult::out and ::err
};

/// How a process ended.
struct ProcessResult {
    int spawn_errno = 0;  ///< why it did not start (ENOENT: not found); 0 when it ran
    int exit_code = 0;    ///< its exit status, when it exited
    int signal = 0;       ///< the signal that ended it, else 0
    std::string out, err;  ///< captured output (ChildOutput::capture)

    [[nodiscard]] bool started() const { return spawn_errno == 0; }
    [[nodiscard]] bool ok() const { return spawn_errno == 0 && signal == 0 && exit_code == 0; }
    /// "exited with 3" or "was killed by signal 9 (SIGKILL)".
    [[nodiscard]] std::string describe_end() const;
};

/// Runs `argv` with the helper's environment plus `environment` (NAME, VALUE;
/// replacing a variable of that name) and waits for it. Throws
/// std::runtime_error only when the pipes for capturing cannot be made; a
/// program that does not start is ProcessResult::spawn_errno.
ProcessResult run_process(const std::vector<std::string>& argv, ChildOutput output,
                          const std::vector<std::pair<std::string, std::string>>& environment = {});

/// The helper's environment variable `name`, or nothing when it is not set
/// (an empty value is set).
[[nodiscard]] std::optional<std::string> environment_variable(const char* name);

}  // namespace buildbudget
