// `buildbudget presets` (doc/presets.md): writes BuildBudget's consumer presets
// (the installed templates/presets/CMakePresets.json) into a project's
// CMakePresets.json, keeping the project's own presets.
// Exit codes: 0 written or already there, 1 a name clash or an unreadable or
// invalid file (nothing written), 2 usage error.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace buildbudget::cli {

void add_presets(CLI::App& app, int& exit_code);

/// The outcome of merging the template's presets into a project's presets file.
struct PresetsMerge {
    enum class Result { created, updated, unchanged, refused } result = Result::refused;
    std::string content;              ///< the file's new text (created, updated)
    std::vector<std::string> added;   ///< "configurePresets embedded", ... (created, updated)
    std::vector<std::string> replaced;  ///< earlier versions of BuildBudget's presets that were replaced
    std::vector<std::string> errors;  ///< one-line diagnostics, `<file>[:line:col]: error: ...` (refused)
    std::string note;                 ///< e.g. the raised "version" (updated)
};

/// Merges the presets of `template_text` (read from `template_path`) into the
/// project file `project_path`, whose text is `project_text` (`exists` false:
/// no file yet). `user_presets_text`, when not empty, is the project's
/// CMakeUserPresets.json (`user_presets_path`): its names clash too.
/// Rules (doc/presets.md, "What the command does"):
///  - a preset of the same kind and name that equals the template's is left as it is;
///  - one that carries the vendor key "buildbudget/presets" (an earlier run wrote it) is replaced;
///  - any other one is a clash: the merge is refused and nothing is written;
///  - the file's "version" is raised to the template's when lower (workflow presets need 6).
/// JSON syntax errors name file, line and column (from nlohmann's byte offset).
PresetsMerge merge_presets(const std::string& template_path, const std::string& template_text,
                           const std::string& project_path, const std::string& project_text, bool exists,
                           const std::string& user_presets_path, const std::string& user_presets_text);

}  // namespace buildbudget::cli
