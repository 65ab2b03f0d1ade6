#include "common/templates.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

// Set for this file by tools/buildbudget/CMakeLists.txt.
#ifndef BUILDBUDGET_TEMPLATES_RELATIVE
#error "BUILDBUDGET_TEMPLATES_RELATIVE is not defined (tools/buildbudget/CMakeLists.txt)"
#endif
#ifndef BUILDBUDGET_TEMPLATES_SOURCE_DIR
#error "BUILDBUDGET_TEMPLATES_SOURCE_DIR is not defined (tools/buildbudget/CMakeLists.txt)"
#endif

namespace buildbudget {
namespace fs = std::filesystem;

std::vector<fs::path> template_dirs() {
    if (const char* env = std::getenv("BUILDBUDGET_TEMPLATES_DIR"); env != nullptr && *env != '\0') {
        return {fs::path(env)};
    }
    std::vector<fs::path> dirs;
    std::error_code ec;
    // Linux: the running executable, symbolic links resolved.
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) dirs.push_back((exe.parent_path() / BUILDBUDGET_TEMPLATES_RELATIVE).lexically_normal());
    dirs.emplace_back(BUILDBUDGET_TEMPLATES_SOURCE_DIR);
    return dirs;
}

std::string read_template(std::string_view name) {
    std::string searched;
    for (const auto& dir : template_dirs()) {
        const fs::path path = dir / fs::path(std::string(name));
        std::error_code ec;
        if (!fs::is_regular_file(path, ec)) {
            searched += (searched.empty() ? "" : ", ") + path.string();
            continue;
        }
        std::ifstream in(path, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in.good() && !in.eof()) {
            throw std::runtime_error("cannot read the template " + path.string() + ": " + std::strerror(errno));
        }
        return text.str();
    }
    throw std::runtime_error("the package's template " + std::string(name) + " is missing (searched " + searched +
                             "); reinstall BuildBudget, or set BUILDBUDGET_TEMPLATES_DIR to its templates directory");
}

std::string render_template(std::string_view text, const std::map<std::string, std::string>& values) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t at = text.find('@', i);
        if (at == std::string_view::npos) break;
        out.append(text, i, at - i);
        const std::size_t end = text.find('@', at + 1);
        if (end != std::string_view::npos) {
            const auto it = values.find(std::string(text.substr(at + 1, end - at - 1)));
            if (it != values.end()) {
                out += it->second;
                i = end + 1;
                continue;
            }
        }
        out += '@';
        i = at + 1;
    }
    out.append(text, i, std::string_view::npos);
    return out;
}

}  // namespace buildbudget
