#include "wasm/symbols.hpp"

#include "wasm/demangle.hpp"
#include "wasm/dwarf.hpp"
#include "wasm/size.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

namespace buildbudget::wasm {
namespace {

namespace fs = std::filesystem;

constexpr const char* expected_line = "expected <index>:<name>, e.g. 12:main";

bool exists(const std::string& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw SymbolMapError(path + ": cannot read: " + std::strerror(errno));
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) throw SymbolMapError(path + ": cannot read: " + std::strerror(errno));
    return text;
}

/// `line` quoted for a message, at most 60 bytes of it.
std::string quoted(std::string_view line) {
    return "\"" + std::string(line.substr(0, 60)) + (line.size() > 60 ? "...\"" : "\"");
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// A name as binaryen writes it in a symbol map, unescaped: binaryen escapes
/// each byte that is not an identifier character of the text format as
/// "\" and two hex digits ("operator\20new\28unsigned\20long\29"); any
/// other backslash is kept.
std::string unescape(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\\' && i + 2 < name.size() && hex_digit(name[i + 1]) >= 0 && hex_digit(name[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit(name[i + 1]) * 16 + hex_digit(name[i + 2]));
            i += 2;
        } else {
            out += name[i];
        }
    }
    return out;
}

/// The names of a twin module that is checked to be a build of `module`.
ModuleNames twin_names(const std::string& file, const Module& module, const std::string& twin_file) {
    LoadedModule twin = load_module(twin_file);
    const std::string prefix = twin_file + " is not a build of the same module as " + file + ": ";
    const std::uint32_t twin_imports = twin.module.imported_function_count(), imports = module.imported_function_count();
    if (twin.module.functions.size() != module.functions.size() || twin_imports != imports) {
        throw SymbolMapError(prefix + "it has " + std::to_string(twin.module.functions.size()) + " functions and " +
                             std::to_string(twin_imports) + " imported ones, " + file + " has " +
                             std::to_string(module.functions.size()) + " and " + std::to_string(imports) +
                             "; expected the same module built without stripping its names");
    }
    for (std::size_t i = 0; i < module.functions.size(); ++i) {
        const Function& a = module.functions[i];
        const Function& b = twin.module.functions[i];
        if (a.body_size != b.body_size) {
            throw SymbolMapError(prefix + "the body of function " + std::to_string(a.index) + " is " +
                                 std::to_string(b.body_size) + " bytes in " + twin_file + " and " +
                                 std::to_string(a.body_size) + " bytes in " + file +
                                 "; expected the same module built without stripping its names");
        }
    }
    ModuleNames out;
    out.names_file = twin_file;
    out.source = NameSource::twin;
    for (const auto& [index, name] : twin.module.function_names) {
        if (!name.empty()) out.names.emplace(index, name);
    }
    try {
        out.compile_units = function_compile_units(twin.bytes.data(), twin.bytes.size(), twin.module);
        if (!out.compile_units.empty()) out.dwarf_file = twin_file;
    } catch (const DwarfError& e) {
        out.warnings.push_back(twin_file + ": " + e.what() + "; its functions are not grouped by compile unit");
    }
    if (out.names.empty() && out.compile_units.empty()) {
        throw SymbolMapError(twin_file + " has no name section and no DWARF, so it cannot name the functions of " + file +
                             "; expected an unstripped build (wasm-ld without --strip-all, wasm-opt -g)");
    }
    return out;
}

}  // namespace

FunctionNameMap parse_symbol_map(std::string_view text, const std::string& file, std::optional<std::uint32_t> function_count) {
    FunctionNameMap names;
    std::size_t line_number = 0;
    while (!text.empty()) {
        const std::size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        const auto fail = [&](const std::string& problem) {
            throw SymbolMapError(file + ":" + std::to_string(line_number) + ": " + problem + "; " + expected_line);
        };
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) fail(quoted(line) + " has no ':'");
        const std::string_view index_text = line.substr(0, colon);
        std::uint64_t index = 0;
        if (index_text.empty() || index_text.size() > 10 ||
            !std::all_of(index_text.begin(), index_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            fail("the index " + quoted(index_text) + " is not a decimal number");
        }
        for (const char c : index_text) index = index * 10 + static_cast<std::uint64_t>(c - '0');
        if (index > 0xffffffffu) fail("the index " + std::string(index_text) + " is beyond the function index space (2^32)");
        if (function_count && index >= *function_count) {
            fail("function index " + std::to_string(index) + " is beyond the module's " + std::to_string(*function_count) +
                 " functions (imports included): is this the map of another build?");
        }
        const std::string_view name = line.substr(colon + 1);
        if (name.empty()) fail("function " + std::to_string(index) + " has an empty name");
        if (!names.emplace(static_cast<std::uint32_t>(index), unescape(name)).second) {
            fail("function " + std::to_string(index) + " is named twice");
        }
    }
    return names;
}

std::string symbol_map_beside(const std::string& module_file) {
    if (exists(module_file + ".symbols")) return module_file + ".symbols";
    const fs::path p(module_file);
    if (p.extension() == ".wasm") {
        const std::string emcc = fs::path(p).replace_extension(".symbols").string();
        if (exists(emcc)) return emcc;
    }
    return {};
}

ModuleNames find_names(const std::string& file, const std::uint8_t* data, std::size_t size, const Module& module,
                       const std::string& symbols) {
    ModuleNames out;
    const std::string source = symbols.empty() ? symbol_map_beside(file) : symbols;
    if (!source.empty()) {
        std::string head;
        {
            std::ifstream in(source, std::ios::binary);
            if (!in) throw SymbolMapError(source + ": cannot read: " + std::strerror(errno));
            head.resize(4);
            in.read(head.data(), 4);
            head.resize(static_cast<std::size_t>(in.gcount()));
        }
        if (has_wasm_magic(reinterpret_cast<const std::uint8_t*>(head.data()), head.size())) {
            out = twin_names(file, module, source);
        } else {
            const auto count = static_cast<std::uint32_t>(module.imported_function_count() + module.functions.size());
            out.names = parse_symbol_map(read_text(source), source, count);
            out.names_file = source;
            out.source = NameSource::symbol_map;
        }
    }
    try {
        std::vector<std::string> units = function_compile_units(data, size, module);
        if (!units.empty()) {
            out.compile_units = std::move(units);
            out.dwarf_file = file;
        }
    } catch (const DwarfError& e) {
        out.warnings.push_back(file + ": " + e.what() + "; its functions are not grouped by compile unit");
    }
    return out;
}

namespace {

/// FunctionNaming: runs of this many functions; from function_naming_threads_min functions, two threads.
constexpr std::size_t function_naming_run = 256;
constexpr std::size_t function_naming_threads_min = 4096;

}  // namespace

FunctionNaming::FunctionNaming(ModuleAnalysis& a, const ModuleNames& names) : a_(a), names_(names) {
    a.names_file = names.names_file;
    a.dwarf_file = names.dwarf_file;
    if (a.functions.size() < function_naming_threads_min) return;
    try {
        thread_ = std::thread([this] {
            try {
                name_runs();
            } catch (...) {
                thread_error_ = std::current_exception();
                stop_ = true;
            }
        });
    } catch (const std::system_error&) {
        // No thread: finish() names them all.
    }
}

FunctionNaming::~FunctionNaming() {
    if (thread_.joinable()) {
        stop_ = true;
        thread_.join();
    }
}

void FunctionNaming::finish() {
    try {
        name_runs();
    } catch (...) {
        stop_ = true;
        if (thread_.joinable()) thread_.join();  // not left running on `a` (nor destroyed joinable)
        throw;
    }
    if (thread_.joinable()) thread_.join();
    if (thread_error_) std::rethrow_exception(thread_error_);
}

void FunctionNaming::name_runs() {
    const std::size_t n = a_.functions.size();
    while (!stop_) {
        const std::size_t begin = next_run_.fetch_add(function_naming_run);
        if (begin >= n) return;
        const std::size_t end = std::min(n, begin + function_naming_run);
        for (std::size_t i = begin; i < end; ++i) {
            FunctionInfo& f = a_.functions[i];
            if (f.name_source != NameSource::name_section) {
                if (const auto it = names_.names.find(f.index); it != names_.names.end()) {
                    f.name = it->second;
                    f.name_source = names_.source;
                }
            }
            if (f.name_source != NameSource::index) {
                std::string demangled = demangle(f.name);
                f.group = name_group(demangled);
                if (demangled != f.name) f.demangled = std::move(demangled);  // else not a second copy
            }
            if (i < names_.compile_units.size()) f.compile_unit = names_.compile_units[i];
        }
    }
}

void apply_names(ModuleAnalysis& a, const ModuleNames& names) { FunctionNaming(a, names).finish(); }

void add_function_names(Module& module, const ModuleNames& names) {
    for (const auto& [index, name] : names.names) module.function_names.emplace(index, name);
}

std::vector<FunctionGroup> function_groups(const ModuleAnalysis& a, bool by_compile_unit) {
    if (by_compile_unit && a.dwarf_file.empty()) return {};
    std::vector<FunctionGroup> groups;
    std::unordered_map<std::string_view, std::size_t> where;  // views of the functions' own strings
    std::string_view last;  // the group of the function before: the next one's too, more often than not
    std::size_t last_group = 0;
    for (const auto& f : a.functions) {
        std::string_view name = by_compile_unit ? f.compile_unit : f.group;
        if (name.empty()) name = by_compile_unit ? "(no compile unit)" : "(global)";
        if (groups.empty() || name != last) {
            const auto [it, added] = where.emplace(name, groups.size());
            if (added) groups.push_back({std::string(name), 0, 0});
            last = name;
            last_group = it->second;
        }
        FunctionGroup& g = groups[last_group];
        ++g.functions;
        g.body_bytes += f.body_bytes;
    }
    std::sort(groups.begin(), groups.end(), [](const FunctionGroup& x, const FunctionGroup& y) {
        return x.body_bytes != y.body_bytes ? x.body_bytes > y.body_bytes : x.name < y.name;
    });
    return groups;
}

}  // namespace buildbudget::wasm
