#include "common/output_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <unistd.h>

namespace buildbudget {

WriteResult write_file_if_changed(const std::string& path, const std::string& content, std::string& error) {
    namespace fs = std::filesystem;
    {
        std::ifstream in(path, std::ios::binary);
        if (in) {
            std::ostringstream old;
            old << in.rdbuf();
            if (old.str() == content) return WriteResult::unchanged;
        }
    }
    const fs::path target(path);
    std::error_code ec;
    if (target.has_parent_path()) {
        fs::create_directories(target.parent_path(), ec);
        if (ec) {
            error = "cannot create directory " + target.parent_path().string() + ": " + ec.message();
            return WriteResult::failed;
        }
    }
    const std::string temp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) {
            error = "cannot write " + temp + ": " + std::strerror(errno);
            return WriteResult::failed;
        }
        out << content;
        out.flush();
        if (!out) {
            error = "cannot write " + temp + ": " + std::strerror(errno);
            out.close();
            std::remove(temp.c_str());
            return WriteResult::failed;
        }
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
        error = "cannot rename " + temp + " to " + path + ": " + std::strerror(errno);
        std::remove(temp.c_str());
        return WriteResult::failed;
    }
    return WriteResult::written;
}

}  // namespace buildbudget
