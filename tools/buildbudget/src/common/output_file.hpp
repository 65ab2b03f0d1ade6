// Writing generated files safely (doc/design.md, "Outputs"): a file is rewritten
// only when its content changes, so a re-configure does not touch its
// modification time and nothing rebuilds; and it is written to a temporary
// file in the same directory and renamed over the old one, so no reader ever
// sees half a file.
#pragma once

#include <string>

namespace buildbudget {

enum class WriteResult { unchanged, written, failed };

/// Writes `content` to `path` if it differs from what is there, creating the
/// parent directories. On failure, `error` says what failed (with the system's
/// reason) and the old file, if any, is left as it was.
WriteResult write_file_if_changed(const std::string& path, const std::string& content, std::string& error);

}  // namespace buildbudget
