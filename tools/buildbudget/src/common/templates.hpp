// The package's templates/ (templates/README.md lists each file): the files the
// helper renders into a consumer's build, read at run time from the installed
// package rather than compiled into the helper, so each can be read and diffed
// on its own.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace buildbudget {

/// The directories searched for templates, in order:
/// - BUILDBUDGET_TEMPLATES_DIR from the environment, when set and not empty
///   (only that directory);
/// - else the installed package's, beside the helper: <dir of the running
///   executable>/../lib/cmake/BuildBudget/templates (the relative path is
///   fixed when the package is configured, from its install directories);
/// - then the source tree's templates/ the helper was built from (a build
///   tree, or the configure-time bootstrap of add_subdirectory/FetchContent).
[[nodiscard]] std::vector<std::filesystem::path> template_dirs();

/// The text of template `name` (a path relative to templates/, e.g.
/// "treemap/treemap.html") from the first directory of template_dirs() that
/// has it. Throws std::runtime_error naming the template and every path
/// searched when none has it, or the file and the system's reason when it
/// cannot be read.
[[nodiscard]] std::string read_template(std::string_view name);

/// `text` with each @NAME@ whose NAME is a key of `values` replaced by its
/// value, in one pass (a value is never scanned again, so it may hold `@`);
/// any other `@` is kept as it is.
[[nodiscard]] std::string render_template(std::string_view text, const std::map<std::string, std::string>& values);

}  // namespace buildbudget
