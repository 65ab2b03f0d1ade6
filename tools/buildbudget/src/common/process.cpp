#include "common/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>

extern char** environ;  // NOLINT: POSIX

namespace buildbudget {
namespace {

/// The helper's environment with `overrides` set.
std::vector<std::string> merged_environment(const std::vector<std::pair<std::string, std::string>>& overrides) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry(*e);
        bool replaced = false;
        for (const auto& [name, value] : overrides) {
            if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=') {
                replaced = true;
            }
        }
        if (!replaced) env.push_back(entry);
    }
    for (const auto& [name, value] : overrides) env.push_back(name + "=" + value);
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

/// Reads both pipes until both are closed.
void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    std::string* sinks[2] = {&out, &err};
    int open = 2;
    while (open > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            char buffer[65536];
            const ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
            if (got > 0) {
                sinks[i]->append(buffer, static_cast<std::size_t>(got));
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            }
        }
    }
    for (auto& p : fds) {
        if (p.fd >= 0) ::close(p.fd);
    }
}

}  // namespace

std::string ProcessResult::describe_end() const {
    if (signal != 0) {
        const char* name = ::sigabbrev_np(signal);
        return "was killed by signal " + std::to_string(signal) + (name != nullptr ? std::string(" (SIG") + name + ")" : "");
    }
    return "exited with " + std::to_string(exit_code);
}

ProcessResult run_process(const std::vector<std::string>& argv, ChildOutput output,
                          const std::vector<std::pair<std::string, std::string>>& environment) {
    ProcessResult r;
    int out_pipe[2] = {-1, -1};
    int err_pipe[2] = {-1, -1};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (output == ChildOutput::capture) {
        if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
            const int e = errno;
            for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
                if (fd >= 0) ::close(fd);
            }
            posix_spawn_file_actions_destroy(&actions);
            throw std::runtime_error(std::string("cannot create a pipe: ") + std::strerror(e));
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
        posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    } else {
        std::cout.flush();
        std::cerr.flush();
    }
    std::vector<std::string> args_storage(argv);
    std::vector<std::string> env_storage = merged_environment(environment);
    auto args = pointers(args_storage);
    auto env = pointers(env_storage);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    if (output == ChildOutput::capture) {
        ::close(out_pipe[1]);
        ::close(err_pipe[1]);
        if (rc == 0) {
            drain(out_pipe[0], err_pipe[0], r.out, r.err);
        } else {
            ::close(out_pipe[0]);
            ::close(err_pipe[0]);
        }
    }
    if (rc != 0) {
        r.spawn_errno = rc;
        return r;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    return r;
}

std::optional<std::string> environment_variable(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::nullopt : std::optional<std::string>(value);
}

}  // namespace buildbudget
