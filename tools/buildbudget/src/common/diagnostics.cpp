#include "common/diagnostics.hpp"

#include <algorithm>

namespace buildbudget {

std::string Location::str() const {
    std::string out = where;
    if (line != 0) {
        out += ':' + std::to_string(line);
        if (column != 0) out += ':' + std::to_string(column);
    }
    return out;
}

std::string Diagnostic::str() const {
    std::string out;
    const std::string loc = location.str();
    if (!loc.empty()) out = loc + ": ";
    out += severity == Severity::error ? "error: " : "warning: ";
    out += message;
    return out;
}

void Diagnostics::error(Location where, std::string message) {
    items_.push_back({Severity::error, std::move(where), std::move(message)});
}

void Diagnostics::warning(Location where, std::string message) {
    items_.push_back({warnings_are_errors_ ? Severity::error : Severity::warning, std::move(where),
                      std::move(message)});
}

void Diagnostics::set_warnings_are_errors(bool on) {
    warnings_are_errors_ = on;
    if (on) {
        for (auto& d : items_) d.severity = Severity::error;
    }
}

std::size_t Diagnostics::error_count() const {
    return static_cast<std::size_t>(std::count_if(
        items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::error; }));
}

std::size_t Diagnostics::warning_count() const { return items_.size() - error_count(); }

std::string program_diagnostic(std::string_view severity, std::string_view message) {
    std::string line = "buildbudget: ";
    line += severity;
    line += ": ";
    line += message;
    return line;
}

void print_error(std::string_view message, std::ostream& out) { out << program_diagnostic("error", message) << '\n'; }

void print_warning(std::string_view message, std::ostream& out) { out << program_diagnostic("warning", message) << '\n'; }

void print_note(std::string_view message, std::ostream& out) { out << program_diagnostic("note", message) << '\n'; }

}  // namespace buildbudget
