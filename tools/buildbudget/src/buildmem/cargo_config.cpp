// A Cargo configuration with the build's memory limits (doc/lowmem.md,
// "Cargo"): see cargo_config.hpp.
#include "buildmem/cargo_config.hpp"
#include "buildmem/rustc_wrapper.hpp"

#include "common/output_file.hpp"
#include "common/process.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <sys/stat.h>

namespace buildbudget::buildmem {
namespace {

using Path = std::vector<std::string>;

/// Rust 1.65: -Csplit-debuginfo stabilised on Linux (rust-lang/rust#98051).
constexpr RustVersion split_debuginfo_since{1, 65, 0};

/// Cargo's default codegen-units (The Cargo Book, "Profiles"): 256 for
/// incremental (dev) builds, 16 otherwise.
constexpr std::int64_t default_codegen_units_dev = 256;
constexpr std::int64_t default_codegen_units_release = 16;

bool at_least(const RustVersion& v, const RustVersion& min) {
    if (v.major != min.major) return v.major > min.major;
    if (v.minor != min.minor) return v.minor > min.minor;
    return v.patch >= min.patch;
}

std::string version_text(const RustVersion& v) {
    return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
}

std::string path_text(const Path& path) {
    std::string text;
    for (const auto& part : path) {
        if (!text.empty()) text += '.';
        bool bare = !part.empty();
        for (char c : part) {
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) bare = false;
        }
        text += bare ? part : "\"" + part + "\"";
    }
    return text;
}

/// A TOML basic string literal.
std::string quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

std::string where(const std::string& file, const toml::source_region& region) {
    if (region.begin.line == 0) return file;
    return file + ":" + std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column);
}

const char* type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        default: return "a date or time";
    }
}

toml::table parse_toml(const std::string& file, const std::string& text) {
    try {
        return toml::parse(std::string_view(text), std::string_view(file));
    } catch (const toml::parse_error& e) {
        throw CargoConfigError(where(file, e.source()) + ": " + std::string(e.description()) + " (expected valid TOML)");
    }
}

/// The node at `path` in `root`, or null. A node on the way that is not a
/// table throws (the user's file has, say, `build = 3`).
const toml::node* find(const std::string& file, const toml::table& root, const Path& path) {
    const toml::table* table = &root;
    const toml::node* node = nullptr;
    Path so_far;
    for (std::size_t i = 0; i < path.size(); ++i) {
        node = table->get(path[i]);
        so_far.push_back(path[i]);
        if (!node) return nullptr;
        if (i + 1 < path.size()) {
            table = node->as_table();
            if (!table) {
                throw CargoConfigError(where(file, node->source()) + ": expected [" + path_text(so_far) +
                                       "] to be a table, found " + type_name(*node));
            }
        }
    }
    return node;
}

/// Sets `path` (tables created as needed) to `value` in `root`.
void assign(toml::table& root, const Path& path, const toml::node& value) {
    toml::table* table = &root;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        auto [it, inserted] = table->insert(path[i], toml::table{});
        table = it->second.as_table();
        if (!table) throw CargoConfigError("[" + path_text(Path(path.begin(), path.begin() + static_cast<long>(i) + 1)) + "] is not a table");
    }
    value.visit([&](const auto& v) { table->insert_or_assign(path.back(), v); });
}

// --- rustflags ---------------------------------------------------------------

/// Flags grouped as rustc reads them: an option and its separate value
/// ("-C" "opt-level=1") are one unit.
std::vector<std::vector<std::string>> flag_units(const std::vector<std::string>& flags) {
    static const char* const takes_value[] = {"-C", "--codegen", "-Z", "-L", "-l", "--cfg", "--cap-lints", "-A", "-W",
                                              "-D", "-F", "--allow", "--warn", "--deny", "--forbid", "--target"};
    std::vector<std::vector<std::string>> units;
    for (std::size_t i = 0; i < flags.size(); ++i) {
        std::vector<std::string> unit{flags[i]};
        for (const char* option : takes_value) {
            if (flags[i] == option && i + 1 < flags.size()) {
                unit.push_back(flags[++i]);
                break;
            }
        }
        units.push_back(unit);
    }
    return units;
}

/// A unit in one canonical spelling: "-C x", "-Cx", "--codegen x" and
/// "--codegen=x" are all "-Cx".
std::string canonical(const std::vector<std::string>& unit) {
    std::string text = unit[0];
    if (unit.size() > 1) text += unit[1];
    if (text.rfind("--codegen=", 0) == 0) return "-C" + text.substr(10);
    if (text.rfind("--codegen", 0) == 0) return "-C" + text.substr(9);
    return text;
}

/// Reads a rustflags value: an array of strings, or a string of flags
/// separated by white space (The Cargo Book, "build.rustflags").
std::vector<std::string> read_flags(const std::string& file, const Path& path, const toml::node& node) {
    std::vector<std::string> flags;
    if (const auto* s = node.as_string()) {
        std::istringstream in(s->get());
        std::string flag;
        while (in >> flag) flags.push_back(flag);
        return flags;
    }
    const auto* array = node.as_array();
    if (!array) {
        throw CargoConfigError(where(file, node.source()) + ": expected " + path_text(path) +
                               " to be an array of strings or a string, found " + type_name(node));
    }
    for (const auto& item : *array) {
        const auto* s = item.as_string();
        if (!s) {
            throw CargoConfigError(where(file, item.source()) + ": expected " + path_text(path) +
                                   " to hold strings only, found " + type_name(item));
        }
        flags.push_back(s->get());
    }
    return flags;
}

// --- text edits --------------------------------------------------------------

/// Byte offsets of toml++'s (line, column) positions; columns count UTF-8
/// code points.
class TextIndex {
public:
    explicit TextIndex(const std::string& text) : text_(text) {
        starts_.push_back(0);
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\n') starts_.push_back(i + 1);
        }
    }
    [[nodiscard]] std::optional<std::size_t> offset(const toml::source_position& p) const {
        if (p.line == 0 || p.line > starts_.size()) return std::nullopt;
        std::size_t i = starts_[p.line - 1];
        for (std::uint32_t column = 1; column < p.column; ++column) {
            if (i >= text_.size()) return std::nullopt;
            ++i;
            while (i < text_.size() && (static_cast<unsigned char>(text_[i]) & 0xC0) == 0x80) ++i;
        }
        return i;
    }
    /// Offset just past the end of `line` (after its '\n'), or the text's end.
    [[nodiscard]] std::size_t after_line(std::uint32_t line) const {
        return line < starts_.size() ? starts_[line] : text_.size();
    }
    [[nodiscard]] std::string line_text(std::uint32_t line) const {
        if (line == 0 || line > starts_.size()) return {};
        const std::size_t begin = starts_[line - 1];
        const std::size_t end = line < starts_.size() ? starts_[line] : text_.size();
        return text_.substr(begin, end - begin);
    }

private:
    const std::string& text_;
    std::vector<std::size_t> starts_;
};

/// The keys of a standard table header line "[a.'b'.\"c\"]  # comment", or
/// empty when the line is not one.
std::optional<Path> header_keys(const std::string& line) {
    std::size_t i = line.find_first_not_of(" \t");
    if (i == std::string::npos || line[i] != '[' || (i + 1 < line.size() && line[i + 1] == '[')) return std::nullopt;
    ++i;
    Path keys;
    while (true) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i >= line.size()) return std::nullopt;
        std::string key;
        if (line[i] == '"' || line[i] == '\'') {
            const char q = line[i++];
            while (i < line.size() && line[i] != q) {
                if (q == '"' && line[i] == '\\') return std::nullopt;  // escapes: let the check decide
                key += line[i++];
            }
            if (i >= line.size()) return std::nullopt;
            ++i;
        } else {
            while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == '-')) {
                key += line[i++];
            }
            if (key.empty()) return std::nullopt;
        }
        keys.push_back(key);
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i < line.size() && line[i] == '.') {
            ++i;
            continue;
        }
        if (i < line.size() && line[i] == ']') return keys;
        return std::nullopt;
    }
}

/// One key to set: where, its value as TOML data and as text.
struct Setting {
    Path path;  ///< tables then the key
    std::shared_ptr<toml::node> value;
    std::string literal;
    /// rustflags array: elements to append to the user's array (text form)
    std::vector<std::string> append;
};

// --- rustflags of a target ------------------------------------------------------

/// A "-C link-arg=..." unit holding a linker memory flag (of any linker, see
/// cargo_config.hpp): its option ("--threads" for "--threads=2"), else empty.
std::string memory_flag_option(const std::vector<std::string>& unit) {
    const std::string c = canonical(unit);
    if (c.rfind("-Clink-arg=", 0) != 0) return {};
    std::string value = c.substr(11);
    if (value.rfind("-Wl,", 0) == 0) value = value.substr(4);
    for (const char* exact : {"--no-keep-memory", "--reduce-memory-overheads", "--no-map-whole-files", "--no-keep-files-mapped"}) {
        if (value == exact) return value;
    }
    for (const char* prefix : {"--threads=", "--thread-count="}) {
        const std::string p = prefix;
        if (value.rfind(p, 0) == 0) return p.substr(0, p.size() - 1);
    }
    return {};
}

/// Adds the Setting for [target.<target>] rustflags: `flags` appended when
/// missing; when they hold linker memory flags, the user's memory flags that
/// are not among them (another linker's, or another thread count) are removed
/// with a note.
void add_target_rustflags(const std::string& file, const toml::table& original, const std::string& target,
                          const std::vector<std::string>& flags, std::vector<Setting>& wanted,
                          std::vector<std::string>& notes) {
    const Path path{"target", target, "rustflags"};
    const toml::node* existing = find(file, original, path);
    std::vector<std::string> current;
    bool as_string = false;
    bool seeded = false;
    if (existing) {
        current = read_flags(file, path, *existing);
        as_string = existing->is_string();
    } else if (const toml::node* build_flags = find(file, original, {"build", "rustflags"})) {
        // Cargo uses target.<triple>.rustflags instead of build.rustflags:
        // the user's build flags are carried over so they still apply.
        current = read_flags(file, {"build", "rustflags"}, *build_flags);
        seeded = !current.empty();
    }
    const auto new_units = flag_units(flags);
    bool manages_memory_flags = false;
    std::vector<std::string> new_canonical;
    for (const auto& unit : new_units) {
        new_canonical.push_back(canonical(unit));
        if (!memory_flag_option(unit).empty()) manages_memory_flags = true;
    }
    std::vector<std::string> kept, removed;
    for (const auto& unit : flag_units(current)) {
        if (manages_memory_flags && !memory_flag_option(unit).empty() &&
            std::find(new_canonical.begin(), new_canonical.end(), canonical(unit)) == new_canonical.end()) {
            for (const auto& f : unit) removed.push_back(f);
            continue;
        }
        kept.insert(kept.end(), unit.begin(), unit.end());
    }
    std::vector<std::string> have;
    for (const auto& unit : flag_units(kept)) have.push_back(canonical(unit));
    std::vector<std::string> missing;
    for (const auto& unit : new_units) {
        const std::string c = canonical(unit);
        if (std::find(have.begin(), have.end(), c) != have.end()) continue;
        have.push_back(c);
        missing.insert(missing.end(), unit.begin(), unit.end());
    }
    bool needs_array = false;
    for (const auto& f : missing) {
        if (f.find_first_of(" \t") != std::string::npos) needs_array = true;
    }
    if (missing.empty() && !seeded && removed.empty()) return;
    std::vector<std::string> all = kept;
    all.insert(all.end(), missing.begin(), missing.end());
    Setting s;
    s.path = path;
    if (as_string && !needs_array) {
        std::string joined;
        for (const auto& f : all) joined += (joined.empty() ? "" : " ") + f;
        s.value = std::make_shared<toml::value<std::string>>(joined);
        s.literal = quote(joined);
    } else {
        auto array = std::make_shared<toml::array>();
        std::string literal = "[";
        for (const auto& f : all) {
            array->push_back(f);
            literal += (literal.size() == 1 ? "" : ", ") + quote(f);
        }
        s.value = array;
        s.literal = literal + "]";
        if (existing && !as_string && removed.empty()) s.append = missing;
    }
    wanted.push_back(std::move(s));
    if (seeded) {
        notes.push_back("[target." + path_text({target}) +
                        "] rustflags starts with the [build] rustflags: cargo uses the target's flags "
                        "instead of [build] rustflags, so they are carried over");
    }
    if (!removed.empty()) {
        std::string text;
        for (const auto& f : removed) text += (text.empty() ? "" : " ") + f;
        notes.push_back("[target." + path_text({target}) + "] rustflags: removed " + text +
                        " (memory flags for another linker or thread count than the one rustc uses now)");
    }
}

/// Appends "[table]\nkey = value" to `text`, after a blank line.
bool append_table(std::string& text, const std::string& newline, const Path& table_path, const Setting& s) {
    std::string block;
    if (!text.empty()) {
        if (text.back() != '\n') block += newline;
        block += newline;
    }
    block += "[" + path_text(table_path) + "]" + newline + path_text({s.path.back()}) + " = " + s.literal + newline;
    text += block;
    return true;
}

/// Edits `text` so that `s` holds; false when no in-place edit applies.
bool edit_text(std::string& text, const std::string& file, const Setting& s) {
    toml::table root;
    try {
        root = toml::parse(std::string_view(text), std::string_view(file));
    } catch (const toml::parse_error&) {
        return false;
    }
    const std::string newline = text.find("\r\n") != std::string::npos ? "\r\n" : "\n";
    const TextIndex index(text);
    const Path table_path(s.path.begin(), s.path.end() - 1);
    const toml::node* table_node = &root;
    for (const auto& k : table_path) {
        table_node = table_node->as_table()->get(k);
        if (!table_node) break;
        if (!table_node->is_table()) return false;
    }
    if (table_node) {
        const auto& table = *table_node->as_table();
        if (const toml::node* existing = table.get(s.path.back())) {
            const auto begin = index.offset(existing->source().begin);
            const auto end = index.offset(existing->source().end);
            if (!begin || !end || *end <= *begin) return false;
            if (!s.append.empty() && existing->is_array()) {
                if (text[*end - 1] != ']') return false;
                std::size_t back = *end - 1;
                while (back > *begin && std::isspace(static_cast<unsigned char>(text[back - 1]))) --back;
                std::string items;
                for (const auto& item : s.append) items += (items.empty() ? "" : ", ") + quote(item);
                const char before = text[back - 1];
                std::string insert = before == '[' ? items : before == ',' ? " " + items + "," : ", " + items;
                text.insert(back, insert);
                return true;
            }
            text.replace(*begin, *end - *begin, s.literal);
            return true;
        }
        // A new key in an existing table: under its header, after its last value.
        const auto header_line = table_node->source().begin.line;
        const auto keys = header_keys(index.line_text(header_line));
        if (table.is_inline()) return false;
        if (!keys || *keys != table_path) {
            // Defined only through its subtables ([profile.dev.package.x]):
            // a header of its own may still follow; the check decides.
            return append_table(text, newline, table_path, s);
        }
        std::uint32_t last = header_line;
        for (const auto& [k, child] : table) {
            if (!child.is_table() && child.source().end.line > last) last = child.source().end.line;
        }
        std::size_t at = index.after_line(last);
        std::string line = path_text({s.path.back()}) + " = " + s.literal + newline;
        if (at == text.size() && !text.empty() && text.back() != '\n') line = newline + line;
        text.insert(at, line);
        return true;
    }
    return append_table(text, newline, table_path, s);
}

}  // namespace

std::string cargo_debug_value(DebugInfo d) {
    switch (d) {
        case DebugInfo::off: return "0";
        case DebugInfo::line_tables: return "1";
        case DebugInfo::split:
        case DebugInfo::full: return "2";
    }
    return "2";
}

std::string cargo_lto_value(Lto l) {
    switch (l) {
        case Lto::off: return "false";
        case Lto::thin: return "thin";
        case Lto::full: return "fat";
    }
    return "false";
}

std::string cargo_jobs_reason(unsigned local_jobs, const std::string& engine) {
    return "cargo jobs " + std::to_string(local_jobs) + ": the local plan's compile pool, since rustc runs on this machine (" +
           engine + " distributes C and C++ compiles only); the farm's pool is for those";
}

bool cargo_split_debuginfo(DebugInfo d, const std::optional<RustVersion>& rust_version) {
    return d == DebugInfo::split && rust_version && at_least(*rust_version, split_debuginfo_since);
}

std::optional<RustVersion> parse_rust_version(const std::string& text) {
    RustVersion v;
    unsigned* parts[] = {&v.major, &v.minor, &v.patch};
    std::size_t i = 0;
    int count = 0;
    while (count < 3) {
        if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
        unsigned value = 0;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            if (value > 100000) return std::nullopt;
            value = value * 10 + static_cast<unsigned>(text[i++] - '0');
        }
        *parts[count++] = value;
        if (i < text.size() && text[i] == '.' && count < 3) {
            ++i;
            continue;
        }
        break;
    }
    if (count < 2) return std::nullopt;
    if (i < text.size() && text[i] != '-' && text[i] != '+' && text[i] != ' ') return std::nullopt;
    return v;
}

CargoConfigResult update_cargo_config(const std::string& file, const std::string& text, const CargoSettings& settings) {
    const toml::table original = parse_toml(file, text);
    CargoConfigResult result;
    std::vector<Setting> wanted;
    auto add = [&](Path path, std::shared_ptr<toml::node> value, std::string literal) {
        Setting s;
        s.path = std::move(path);
        s.value = std::move(value);
        s.literal = std::move(literal);
        wanted.push_back(std::move(s));
    };
    auto integer = [](std::int64_t v) { return std::make_shared<toml::value<std::int64_t>>(v); };
    auto string = [](const char* v) { return std::make_shared<toml::value<std::string>>(v); };
    // Each key's table must be a table (or absent).
    for (const Path& p : {Path{"build", "jobs"}, Path{"profile", "dev", "debug"}, Path{"profile", "release", "debug"}}) {
        (void)find(file, original, p);
    }

    if (settings.jobs) {
        if (*settings.jobs == 0) throw CargoConfigError("--jobs: expected at least 1");
        add({"build", "jobs"}, integer(*settings.jobs), std::to_string(*settings.jobs));
    }
    const bool split_supported = settings.rust_version && at_least(*settings.rust_version, split_debuginfo_since);
    for (const char* profile : {"dev", "release"}) {
        if (settings.debug_info) {
            const std::string debug = cargo_debug_value(*settings.debug_info);
            add({"profile", profile, "debug"}, integer(std::stoll(debug)), debug);
            if (cargo_split_debuginfo(*settings.debug_info, settings.rust_version)) {
                add({"profile", profile, "split-debuginfo"}, string("unpacked"), "\"unpacked\"");
            }
        }
        if (settings.lto) {
            const std::string lto = cargo_lto_value(*settings.lto);
            if (*settings.lto == Lto::off) {
                add({"profile", profile, "lto"}, std::make_shared<toml::value<bool>>(false), lto);
            } else {
                add({"profile", profile, "lto"}, string(lto.c_str()), "\"" + lto + "\"");
            }
        }
        const Path units_path{"profile", profile, "codegen-units"};
        if (const toml::node* units = find(file, original, units_path)) {
            const auto value = units->value<std::int64_t>();
            const std::int64_t by_default =
                std::string(profile) == "dev" ? default_codegen_units_dev : default_codegen_units_release;
            if (value && *value < by_default) {
                result.notes.push_back("[profile." + std::string(profile) + "] codegen-units = " + std::to_string(*value) +
                                       " is kept: fewer codegen units than cargo's default (" + std::to_string(by_default) +
                                       ") raise rustc's peak memory; it is never lowered for memory's sake");
            }
        }
    }
    if (settings.debug_info == DebugInfo::split && !split_supported) {
        result.notes.push_back(
            settings.rust_version
                ? "Rust " + version_text(*settings.rust_version) +
                      " has no split-debuginfo on Linux (stable from 1.65; cargo drops the key without a word): "
                      "[profile.*] debug = 2 (full debug info) instead"
                : "the Rust version is unknown (--cargo-version): split-debuginfo is not written (stable on Linux "
                  "from 1.65); [profile.*] debug = 2 (full debug info) instead");
    }

    if (!settings.rustc_wrapper.empty()) {
        // Cargo runs one wrapper (The Cargo Book, "build.rustc-wrapper"): the user's own stays.
        const Path key{"build", "rustc-wrapper"};
        std::string theirs;
        if (const toml::node* node = find(file, original, key)) {
            const auto* value = node->as_string();
            if (!value) {
                throw CargoConfigError(where(file, node->source()) + ": expected [build] rustc-wrapper to be a string, found " +
                                       type_name(*node));
            }
            theirs = value->get();
        }
        if (theirs.empty() || theirs == settings.rustc_wrapper || is_buildbudget_rustc_wrapper(theirs) ||
            (settings.rustc_wrapper_sccache && is_sccache(theirs))) {
            add(key, std::make_shared<toml::value<std::string>>(settings.rustc_wrapper), quote(settings.rustc_wrapper));
            if (is_buildbudget_rustc_wrapper(theirs) && theirs != settings.rustc_wrapper) {
                result.notes.push_back("[build] rustc-wrapper = " + quote(theirs) + ", another build tree's, is replaced by " +
                                       settings.rustc_wrapper + ": the last build tree configured records cargo's rustc jobs");
            } else if (!theirs.empty() && theirs != settings.rustc_wrapper) {
                result.notes.push_back("[build] rustc-wrapper = " + quote(theirs) + " is replaced by " +
                                       settings.rustc_wrapper + ", which runs sccache with rustc behind the job launcher");
            }
        } else {
            result.notes.push_back("[build] rustc-wrapper = " + quote(theirs) +
                                   " is kept: cargo runs one wrapper, so rustc jobs are not recorded in the job log (to "
                                   "record them, remove the key; BuildBudget's wrapper " +
                                   settings.rustc_wrapper + " runs sccache when it is installed)");
        }
    }

    if (settings.no_rustc_wrapper && settings.rustc_wrapper.empty()) {
        const Path key{"build", "rustc-wrapper"};
        if (const toml::node* node = find(file, original, key); node != nullptr && node->as_string() != nullptr &&
                                                               is_buildbudget_rustc_wrapper(node->as_string()->get())) {
            add(key, std::make_shared<toml::value<std::string>>(""), "\"\"");
            result.notes.push_back("[build] rustc-wrapper = \"\": BuildBudget's wrapper " + node->as_string()->get() +
                                   " is taken out (no launcher), so cargo runs rustc directly");
        }
    }

    if (!settings.rustflags.empty() && settings.target.empty()) {
        throw CargoConfigError("--rustflag: expected --target <triple> as well");
    }
    std::vector<std::pair<std::string, std::vector<std::string>>> targets;
    if (!settings.rustflags.empty()) targets.emplace_back(settings.target, settings.rustflags);
    for (const auto& entry : settings.target_rustflags) {
        if (entry.second.empty()) continue;
        auto same = std::find_if(targets.begin(), targets.end(), [&](const auto& t) { return t.first == entry.first; });
        if (same == targets.end()) {
            targets.push_back(entry);
        } else {
            same->second.insert(same->second.end(), entry.second.begin(), entry.second.end());
        }
    }
    for (const auto& [target, flags] : targets) add_target_rustflags(file, original, target, flags, wanted, result.notes);

    // The data the file must hold: the user's plus the settings.
    toml::table expected = original;
    for (const auto& s : wanted) assign(expected, s.path, *s.value);

    // The text, edited in place and checked against that data.
    std::string edited = text;
    bool ok = true;
    for (const auto& s : wanted) {
        if (!edit_text(edited, file, s)) {
            ok = false;
            break;
        }
    }
    if (ok) {
        try {
            ok = toml::parse(std::string_view(edited), std::string_view(file)) == expected;
        } catch (const toml::parse_error&) {
            ok = false;
        }
    }
    if (ok) {
        result.text = edited;
        return result;
    }
    std::ostringstream out;
    out << expected << '\n';
    result.text = out.str();
    result.preserved_layout = false;
    result.notes.push_back(file + " is written in toml++'s layout (its comments are not kept): the settings could not "
                                  "be edited into its text in place (inline tables or dotted keys)");
    return result;
}

std::string read_cargo_config(const std::string& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
        if (errno == ENOENT) return {};
        throw CargoConfigError(file + ": cannot read (" + std::strerror(errno) + ")");
    }
    if (S_ISDIR(st.st_mode)) throw CargoConfigError(file + ": is a directory (expected a TOML file)");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw CargoConfigError(file + ": cannot read (" + std::strerror(errno) + ")");
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

CargoConfigResult write_cargo_config(const std::string& file, const CargoSettings& settings, bool& written) {
    CargoConfigResult result = update_cargo_config(file, read_cargo_config(file), settings);
    std::string error;
    switch (write_file_if_changed(file, result.text, error)) {
        case WriteResult::unchanged: written = false; break;
        case WriteResult::written: written = true; break;
        case WriteResult::failed: throw CargoConfigError(file + ": " + error);
    }
    return result;
}

// --- the linker rustc runs ---------------------------------------------------------

namespace {

/// The words of a `--print link-args` line: "NAME=\"value\"" environment
/// assignments and "\"word\"" arguments, quoted as Rust's Debug format
/// does (\" and \\ escaped). Assignments are returned as NAME=value.
std::vector<std::string> link_words(const std::string& line) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') ++i;
        if (i >= line.size()) break;
        std::string word;
        while (i < line.size() && line[i] != ' ') {
            if (line[i] == '"') {
                ++i;
                while (i < line.size() && line[i] != '"') {
                    if (line[i] == '\\' && i + 1 < line.size()) ++i;
                    word += line[i++];
                }
                ++i;
            } else {
                word += line[i++];
            }
        }
        words.push_back(word);
    }
    return words;
}

bool is_upper_case_assignment(const std::string& word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0) return false;
    return std::all_of(word.begin(), word.begin() + static_cast<long>(eq),
                       [](char c) { return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string base_name(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string trim_line(std::string line) {
    const auto note = line.find("= note: ");
    if (note != std::string::npos && line.find_first_not_of(" ") == note) line = line.substr(note + 8);
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) return {};
    const auto last = line.find_last_not_of(" \t\r");
    return line.substr(first, last - first + 1);
}

/// A linker's version line: the kind and the version text, or unknown.
std::pair<RustLinkerKind, std::string> version_of(const std::string& line) {
    static const std::regex lld(R"(^((?:\S+ )?LLD [0-9][0-9.]*))");
    static const std::regex mold(R"(^(mold [0-9][0-9.]*))");
    std::smatch m;
    if (line.rfind("GNU gold ", 0) == 0) return {RustLinkerKind::gold, line};
    if (line.rfind("GNU ld ", 0) == 0) return {RustLinkerKind::bfd, line};
    if (std::regex_search(line, m, lld)) return {RustLinkerKind::lld, m[1]};
    if (std::regex_search(line, m, mold)) return {RustLinkerKind::mold, m[1]};
    return {RustLinkerKind::unknown, {}};
}

RustLinkerKind kind_of_program(const std::string& program) {
    const std::string name = base_name(program);
    for (const char* lld : {"rust-lld", "ld.lld", "lld", "wasm-ld", "ld64.lld"}) {
        if (name == lld) return RustLinkerKind::lld;
    }
    if (name == "ld.gold" || name == "gold") return RustLinkerKind::gold;
    if (name == "mold" || name == "ld.mold") return RustLinkerKind::mold;
    if (name == "ld.bfd") return RustLinkerKind::bfd;
    return RustLinkerKind::unknown;
}

RustLinkerKind kind_of_fuse_ld(const std::string& value) {
    const std::string name = base_name(value);
    if (name == "lld" || name == "ld.lld") return RustLinkerKind::lld;
    if (name == "gold" || name == "ld.gold") return RustLinkerKind::gold;
    if (name == "mold" || name == "ld.mold") return RustLinkerKind::mold;
    if (name == "bfd" || name == "ld.bfd") return RustLinkerKind::bfd;
    return RustLinkerKind::unknown;
}

/// The first "error: ..." line of rustc's output, for a message.
std::string first_error(const std::string& output) {
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        line = trim_line(line);
        if (line.rfind("error", 0) == 0) return line;
    }
    return "no error message";
}

/// A temporary directory, removed with everything in it when destroyed.
class TempDir {
public:
    TempDir() {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/buildbudget-rustc-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw CargoConfigError(pattern + ": cannot create a temporary directory (" + std::strerror(errno) + ")");
        }
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

constexpr const char* missing_library = "buildbudget_linker_probe_missing";
/// The version request the probe gives a linker behind a C compiler driver.
constexpr const char* probe_version_flag = "-Wl,-v";

}  // namespace

const char* to_string(RustLinkerKind kind) {
    switch (kind) {
        case RustLinkerKind::bfd: return "GNU ld";
        case RustLinkerKind::gold: return "gold";
        case RustLinkerKind::lld: return "lld";
        case RustLinkerKind::mold: return "mold";
        case RustLinkerKind::unknown: break;
    }
    return "unknown";
}

std::string RustLinker::describe() const {
    // GNU ld, gold and mold name themselves in their version line; lld's says "LLD" only.
    std::string text = kind == RustLinkerKind::lld && self_contained ? "rust-lld" : to_string(kind);
    if (kind == RustLinkerKind::lld) {
        std::vector<std::string> details;
        if (!version.empty()) details.push_back(version);
        if (self_contained) details.push_back("the Rust toolchain's own");
        for (std::size_t i = 0; i < details.size(); ++i) text += (i == 0 ? " (" : ", ") + details[i];
        if (!details.empty()) text += ")";
    } else if (!version.empty()) {
        text = version;
    }
    if (through_cc && !program.empty()) text += " through " + program;
    return text;
}

RustLinker identify_rust_linker(const std::string& target, const std::string& link_args, const std::string& output) {
    RustLinker linker;
    linker.target = target;
    // The link command: the last line of --print link-args that holds one.
    std::vector<std::string> words;
    {
        std::istringstream in(link_args);
        std::string line;
        while (std::getline(in, line)) {
            if (line.find('"') != std::string::npos) words = link_words(line);
        }
    }
    std::size_t first = 0;
    while (first < words.size() && is_upper_case_assignment(words[first])) ++first;
    if (first >= words.size()) {
        linker.problem = "rustc did not get as far as linking: " + first_error(output);
        return linker;
    }
    linker.program = base_name(words[first]);
    linker.through_cc = false;
    RustLinkerKind fuse = RustLinkerKind::unknown;
    for (std::size_t i = first + 1; i < words.size(); ++i) {
        const std::string& w = words[i];
        // rustc's own -Wl, options show a C compiler driver; the probe's own -Wl,-v does not.
        if (w != probe_version_flag && (w.rfind("-Wl,", 0) == 0 || w == "-Xlinker" || w.rfind("-fuse-ld=", 0) == 0)) {
            linker.through_cc = true;
        }
        if (w.rfind("-fuse-ld=", 0) == 0) fuse = kind_of_fuse_ld(w.substr(9));
        if (w.find("/gcc-ld") != std::string::npos && (w.rfind("-B", 0) == 0 || (i > 0 && words[i - 1] == "-B"))) {
            linker.self_contained = true;
        }
    }
    if (linker.program == "rust-lld") linker.self_contained = true;
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        const auto [kind, version] = version_of(trim_line(line));
        if (kind != RustLinkerKind::unknown) {
            linker.kind = kind;
            linker.version = version;
        }
    }
    if (linker.kind == RustLinkerKind::unknown) linker.kind = kind_of_program(words[first]);
    if (linker.kind == RustLinkerKind::unknown && linker.through_cc) linker.kind = fuse;
    if (linker.kind != RustLinkerKind::lld) linker.self_contained = false;
    if (linker.kind == RustLinkerKind::unknown) {
        linker.problem = "rustc runs " + words[first] + ", which printed no known linker version (GNU ld, gold, LLD, mold)";
    }
    return linker;
}

std::vector<std::string> linker_memory_rustflags(const RustLinker& linker, unsigned threads) {
    std::vector<std::string> options;
    const std::string n = std::to_string(std::max(threads, 1U));
    switch (linker.kind) {
        case RustLinkerKind::bfd: options = {"--no-keep-memory", "--reduce-memory-overheads"}; break;
        case RustLinkerKind::gold: options = {"--no-map-whole-files", "--no-keep-files-mapped"}; break;
        case RustLinkerKind::lld: options = {"--threads=" + n}; break;
        case RustLinkerKind::mold: options = {"--thread-count=" + n}; break;
        case RustLinkerKind::unknown: break;
    }
    std::vector<std::string> flags;
    for (const auto& o : options) {
        flags.push_back("-C");
        flags.push_back("link-arg=" + (linker.through_cc ? "-Wl," + o : o));
    }
    return flags;
}

RustcInfo query_rustc(const std::string& rustc) {
    const ProcessResult r = run_process({rustc, "-vV"}, ChildOutput::capture);
    if (!r.started()) throw CargoConfigError(rustc + ": cannot run (" + std::strerror(r.spawn_errno) + ")");
    if (!r.ok()) {
        throw CargoConfigError(rustc + " -vV " + r.describe_end() + ": " + trim_line(r.err.substr(0, r.err.find('\n'))));
    }
    RustcInfo info;
    static const std::regex release(R"((?:^|\n)release: (\S+))");
    static const std::regex host(R"((?:^|\n)host: (\S+))");
    std::smatch m;
    std::optional<RustVersion> version;
    if (std::regex_search(r.out, m, release)) version = parse_rust_version(m[1]);
    if (!version) throw CargoConfigError(rustc + " -vV: no \"release: X.Y.Z\" line (expected rustc's version output)");
    info.version = *version;
    if (!std::regex_search(r.out, m, host)) throw CargoConfigError(rustc + " -vV: no \"host: <triple>\" line");
    info.host = m[1];
    return info;
}

RustLinker detect_rust_linker(const std::string& rustc, const std::string& target, const std::vector<std::string>& flags) {
    const TempDir dir;
    const std::string source = dir.path() + "/probe.rs";
    {
        std::ofstream out(source);
        out << "fn main() {}\n";
        if (!out) throw CargoConfigError(source + ": cannot write (" + std::strerror(errno) + ")");
    }
    const auto run = [&](const std::string& version_flag) {
        std::vector<std::string> argv{rustc, "--crate-name", "buildbudget_linker_probe", "--crate-type", "bin",
                                      "--target", target, "-C", "opt-level=0", "-C", "debuginfo=0",
                                      "--print", "link-args", "-o", dir.path() + "/probe"};
        argv.insert(argv.end(), flags.begin(), flags.end());
        argv.insert(argv.end(), {"-C", "link-arg=" + version_flag, "-C", std::string("link-arg=-l") + missing_library, source});
        const ProcessResult r = run_process(argv, ChildOutput::capture);
        if (!r.started()) throw CargoConfigError(rustc + ": cannot run (" + std::strerror(r.spawn_errno) + ")");
        return identify_rust_linker(target, r.out, r.err + "\n" + r.out);
    };
    RustLinker linker = run(probe_version_flag);
    // A linker rustc runs directly takes -v itself (-Wl,-v is an unknown option to it).
    if (!linker.through_cc && !linker.program.empty()) {
        RustLinker direct = run("-v");
        if (direct.kind != RustLinkerKind::unknown || linker.kind == RustLinkerKind::unknown) linker = direct;
    }
    return linker;
}

CargoTargetInputs cargo_target_inputs(const std::string& file, const std::string& text, const std::string& target,
                                      const std::function<std::string(const std::string&)>& env) {
    const toml::table root = parse_toml(file, text);
    CargoTargetInputs inputs;
    std::string upper;
    for (char c : target) upper += (c == '-' || c == '.') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string target_env = "CARGO_TARGET_" + upper;
    std::vector<std::string> flags;
    const std::string where_target = "[target." + path_text({target}) + "] rustflags";
    if (const std::string encoded = env("CARGO_ENCODED_RUSTFLAGS"); !encoded.empty()) {
        std::size_t start = 0;
        while (start <= encoded.size()) {
            const auto sep = encoded.find('\x1f', start);
            const std::string flag = encoded.substr(start, sep == std::string::npos ? std::string::npos : sep - start);
            if (!flag.empty()) flags.push_back(flag);
            if (sep == std::string::npos) break;
            start = sep + 1;
        }
        inputs.notes.push_back("CARGO_ENCODED_RUSTFLAGS is set: cargo uses it instead of " + where_target +
                               ", so the linker flags written there apply only to builds without it");
    } else if (const std::string rustflags = env("RUSTFLAGS"); !rustflags.empty()) {
        std::istringstream in(rustflags);
        std::string flag;
        while (in >> flag) flags.push_back(flag);
        inputs.notes.push_back("RUSTFLAGS is set: cargo uses it instead of " + where_target +
                               ", so the linker flags written there apply only to builds without it");
    } else if (const std::string target_flags = env(target_env + "_RUSTFLAGS"); !target_flags.empty()) {
        std::istringstream in(target_flags);
        std::string flag;
        while (in >> flag) flags.push_back(flag);
        inputs.notes.push_back(target_env + "_RUSTFLAGS is set: cargo uses it instead of " + where_target +
                               ", so the linker flags written there apply only to builds without it");
    } else if (const toml::node* node = find(file, root, {"target", target, "rustflags"})) {
        flags = read_flags(file, {"target", target, "rustflags"}, *node);
    } else if (const std::string build_flags = env("CARGO_BUILD_RUSTFLAGS"); !build_flags.empty()) {
        std::istringstream in(build_flags);
        std::string flag;
        while (in >> flag) flags.push_back(flag);
    } else if (const toml::node* build = find(file, root, {"build", "rustflags"})) {
        flags = read_flags(file, {"build", "rustflags"}, *build);
    }
    for (const auto& unit : flag_units(flags)) {
        if (memory_flag_option(unit).empty()) inputs.flags.insert(inputs.flags.end(), unit.begin(), unit.end());
    }
    std::string linker = env(target_env + "_LINKER");
    if (linker.empty()) {
        if (const toml::node* node = find(file, root, {"target", target, "linker"})) {
            const auto* s = node->as_string();
            if (!s) {
                throw CargoConfigError(where(file, node->source()) + ": expected [target." + path_text({target}) +
                                       "] linker to be a string, found " + type_name(*node));
            }
            linker = s->get();
            if (linker.find('/') != std::string::npos && linker[0] != '/') {
                // Relative to the directory that holds .cargo (The Cargo Book, "Config-relative paths").
                const std::filesystem::path config_dir = std::filesystem::absolute(file).parent_path();
                const std::filesystem::path base =
                    config_dir.filename() == ".cargo" ? config_dir.parent_path() : config_dir;
                linker = (base / linker).lexically_normal().string();
            }
        }
    }
    if (!linker.empty()) {
        inputs.flags.push_back("-C");
        inputs.flags.push_back("linker=" + linker);
    }
    return inputs;
}

std::vector<std::string> cargo_build_targets(const std::string& file, const std::string& text,
                                             const std::function<std::string(const std::string&)>& env) {
    const toml::table root = parse_toml(file, text);
    std::vector<std::string> targets;
    const auto add = [&](const std::string& t) {
        if (!t.empty() && std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(t);
    };
    if (const toml::node* node = find(file, root, {"build", "target"})) {
        if (const auto* s = node->as_string()) {
            add(s->get());
        } else if (const auto* array = node->as_array()) {
            for (const auto& item : *array) {
                const auto* t = item.as_string();
                if (!t) {
                    throw CargoConfigError(where(file, item.source()) + ": expected [build] target to hold strings only, found " +
                                           type_name(item));
                }
                add(t->get());
            }
        } else {
            throw CargoConfigError(where(file, node->source()) +
                                   ": expected [build] target to be a string or an array of strings, found " + type_name(*node));
        }
    }
    add(env("CARGO_BUILD_TARGET"));
    return targets;
}

}  // namespace buildbudget::buildmem
