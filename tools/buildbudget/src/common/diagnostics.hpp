// Diagnostics: the one-line, located messages every subcommand reports.
//
// Shape: `<location>: <severity>: <message>`, the form compilers use
// (`memory_budget.toml:3:1: error: ...`), so editors and CI log parsers can
// jump to the place. A location is a file with optional line and column, an
// environment variable, or a free-form origin such as
// `CMakeLists.txt: wrt_memory_budget(fw)`.
#pragma once

#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace buildbudget {

/// Where a value or a problem comes from. Lines and columns are 1-based;
/// 0 means "not known" and is left out when printed.
struct Location {
    std::string where;      ///< file path, "environment variable X", or an origin text
    std::uint32_t line = 0;
    std::uint32_t column = 0;

    /// "file:line:col", "file:line" or "file".
    [[nodiscard]] std::string str() const;
};

enum class Severity { warning, error };

struct Diagnostic {
    Severity severity = Severity::error;
    Location location;
    std::string message;

    /// `<location>: error: <message>` (the location part is left out when empty).
    [[nodiscard]] std::string str() const;
};

/// Collects every problem of one run, so all of them are reported together
/// before the configure fails (doc/design.md, "Memory budgets").
class Diagnostics {
public:
    void error(Location where, std::string message);
    void warning(Location where, std::string message);

    /// STRICT mode (doc/design.md, "Memory budgets"): turns every warning, already recorded or later, into an error.
    void set_warnings_are_errors(bool on);

    [[nodiscard]] const std::vector<Diagnostic>& all() const { return items_; }
    [[nodiscard]] std::size_t error_count() const;
    [[nodiscard]] std::size_t warning_count() const;

private:
    std::vector<Diagnostic> items_;
    bool warnings_are_errors_ = false;
};

/// A diagnostic that no line of a file locates, in the program-name form GCC writes
/// ("gcc: error: ..."): `buildbudget: <severity>: <message>`, without a newline. <severity> is
/// "error", "warning" or "note"; <message> names its input first ("<input>: <problem>") where
/// there is one. A build log then says which tool wrote the line (doc/messages.md). Diagnostics
/// located in a file (Diagnostic above: `<file>:<line>:<col>: error: ...`) keep that form.
[[nodiscard]] std::string program_diagnostic(std::string_view severity, std::string_view message);

/// Writes program_diagnostic("error" / "warning" / "note", message) and a newline to `out`:
/// stderr, or stdout for the notes a command prints under its result, or the job launcher's
/// stream.
void print_error(std::string_view message, std::ostream& out = std::cerr);
void print_warning(std::string_view message, std::ostream& out = std::cerr);
void print_note(std::string_view message, std::ostream& out = std::cerr);

}  // namespace buildbudget
