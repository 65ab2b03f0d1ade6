#include "wasm/dts.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace buildbudget::wasm {
namespace {

constexpr const char* indent = "    ";  // as tsc's own declaration output

bool ascii_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool identifier_start(char c) { return ascii_letter(c) || c == '_' || c == '$'; }
bool identifier_part(char c) { return identifier_start(c) || ascii_digit(c); }

bool ascii_identifier_name(std::string_view text) {
    if (text.empty() || !identifier_start(text.front())) return false;
    return std::all_of(text.begin() + 1, text.end(), identifier_part);
}

/// Length of the UTF-8 sequence that starts with `lead` (1 for ASCII and, as
/// a fallback, for stray bytes: the reader has already checked names, §5.2.4).
std::size_t utf8_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;
}

/// TypeScript keywords that are legal property names but read as something
/// else in some places (modifiers, accessors, type operators), and
/// "constructor"; quoting them is never wrong.
bool typescript_keyword(std::string_view text) {
    static const std::set<std::string_view> words = {
        "abstract", "accessor", "any",     "as",       "asserts", "async",     "bigint",   "boolean",
        "constructor", "declare", "from",  "get",      "global",  "infer",     "is",       "keyof",
        "module",   "namespace", "never",  "number",   "object",  "of",        "out",      "override",
        "readonly", "require",  "satisfies", "set",    "string",  "symbol",    "type",     "undefined",
        "unique",   "unknown",
    };
    return words.count(text) != 0;
}

/// `text` made safe inside a /** */ or // comment: no "*/", no line terminators
/// (ECMA-262 §12.3: LF, CR, U+2028, U+2029) or other control characters.
std::string comment_text(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '*' && i + 1 < text.size() && text[i + 1] == '/') {
            out += "*\\";
        } else if (c < 0x20 || c == 0x7F) {
            out += '?';
        } else if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(text[i + 2]) == 0xA8 || static_cast<unsigned char>(text[i + 2]) == 0xA9)) {
            out += '?';
            i += 2;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

/// A WebAssembly text-format identifier ($name, or $"..." when it has
/// characters outside idchar, text format §6.3.5).
std::string wat_id(std::string_view name) {
    const auto idchar = [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7F) return false;
        return std::string_view("\"',;()[]{}").find(ch) == std::string_view::npos;
    };
    if (!name.empty() && std::all_of(name.begin(), name.end(), idchar)) return "$" + std::string(name);
    return "$" + string_literal(name);
}

std::string join_types(const std::vector<ValueType>& types) {
    std::string out;
    for (const ValueType t : types) out += std::string(" ") + to_string(t);
    return out;
}

bool has_v128(const FuncType& type) {
    const auto is_v128 = [](ValueType t) { return t == ValueType::v128; };
    return std::any_of(type.params.begin(), type.params.end(), is_v128) ||
           std::any_of(type.results.begin(), type.results.end(), is_v128);
}

/// "(memory 1 16)", "(memory i64 1 shared)": text-format memory and table
/// types (limits = min max?, §6.4.4; address type and `shared` around them).
std::string wat_limits(const Limits& l) {
    std::string out = l.is64 ? "i64 " : "";
    out += std::to_string(l.initial);
    if (l.maximum) out += " " + std::to_string(*l.maximum);
    return out;
}

std::string wat_memory(const Limits& l) { return "(memory " + wat_limits(l) + (l.shared ? " shared" : "") + ")"; }
std::string wat_table(const Limits& l, ValueType element) {
    return "(table " + wat_limits(l) + " " + to_string(element) + ")";
}
std::string wat_global(ValueType type, bool is_mutable) {
    return std::string("(global ") + (is_mutable ? "(mut " : "") + to_string(type) + (is_mutable ? ")" : "") + ")";
}
std::string wat_tag(const FuncType& type) {
    std::string out = "(tag";
    if (!type.params.empty()) out += " (param" + join_types(type.params) + ")";
    return out + ")";
}

/// The key of WebAssembly.Global's type parameter (TypeScript lib.dom.d.ts
/// WebAssembly.ValueTypeMap, the JS API's ValueType enum: funcref is "anyfunc").
const char* global_key(ValueType type) { return type == ValueType::funcref ? "anyfunc" : to_string(type); }

/// "pages of 64 KiB" wording for a memory's doc comment.
std::string memory_note(const Limits& l) {
    const auto pages = [](std::uint64_t n) { return std::to_string(n) + (n == 1 ? " page" : " pages"); };
    std::string out = "Linear memory of 64 KiB pages: " + pages(l.initial) + " initially, ";
    out += l.maximum ? "at most " + pages(*l.maximum) : std::string("no maximum");
    out += ".";
    if (l.shared) out += " Shared (threads): its buffer is a SharedArrayBuffer.";
    if (l.is64) out += " 64-bit addresses (memory64): sizes and grow() take BigInts where engines support it.";
    return out;
}

/// Lines of one doc comment, written with `prefix` as indentation.
void doc_comment(std::string& out, const std::string& prefix, const std::vector<std::string>& lines) {
    if (lines.size() == 1) {
        out += prefix + "/** " + comment_text(lines.front()) + " */\n";
        return;
    }
    out += prefix + "/**\n";
    for (const auto& line : lines) out += prefix + " * " + comment_text(line) + "\n";
    out += prefix + " */\n";
}

const std::string v128_call_note =
    "Cannot be called from JavaScript: v128 does not cross the JS boundary, the call throws a TypeError "
    "(WebAssembly JS API, \"call an Exported Function\").";
const std::string funcref_note =
    "funcref values are null or functions exported by a WebAssembly instance; other functions throw a TypeError "
    "(JS API ToWebAssemblyValue).";

/// Describes one function type for either side of the boundary.
class FunctionTyper {
public:
    explicit FunctionTyper(const Module& m) : m_(m) {}

    /// The parameter list "(a: number, p1: bigint)" for function `index`.
    std::string params(std::uint32_t index, const FuncType& type) const {
        const std::map<std::uint32_t, std::string>* locals = nullptr;
        if (const auto it = m_.local_names.find(index); it != m_.local_names.end()) locals = &it->second;
        std::set<std::string> used;
        std::string out = "(";
        for (std::size_t i = 0; i < type.params.size(); ++i) {
            std::string name;
            if (locals != nullptr) {
                if (const auto it = locals->find(static_cast<std::uint32_t>(i)); it != locals->end()) {
                    name = parameter_name(it->second);
                }
            }
            if (name.empty()) name = "p" + std::to_string(i);
            while (used.count(name) != 0) name += "_";
            used.insert(name);
            out += (i == 0 ? "" : ", ") + name + ": " + ts_value_type(type.params[i]);
        }
        return out + ")";
    }

    static std::string results(const FuncType& type) {
        if (type.results.empty()) return "void";
        if (type.results.size() == 1) return ts_value_type(type.results.front());
        std::string out = "[";
        for (std::size_t i = 0; i < type.results.size(); ++i) {
            out += (i == 0 ? "" : ", ") + ts_value_type(type.results[i]);
        }
        return out + "]";
    }

    /// The TypeScript type of function `index` as an export (an Exported Function JS calls).
    std::string exported(std::uint32_t index, const FuncType& type) const {
        if (has_v128(type)) return "(...args: never) => never";
        return params(index, type) + " => " + results(type);
    }

    /// The TypeScript type of the host function a function import needs.
    std::string imported(std::uint32_t index, const FuncType& type) const {
        // Any function will link; calling it throws, so nothing about it can be checked.
        if (has_v128(type)) return "(...args: never) => unknown";
        return params(index, type) + " => " + results(type);
    }

    /// The doc comment lines of function `index`.
    std::vector<std::string> doc(std::uint32_t index, const FuncType& type, bool exported_side) const {
        std::string name;
        if (const auto it = m_.function_names.find(index); it != m_.function_names.end()) name = it->second;
        std::vector<std::string> lines{wat_func_type(type, name)};
        if (has_v128(type)) {
            lines.push_back(exported_side
                                ? v128_call_note
                                : "Calls of it from WebAssembly throw a TypeError: v128 does not cross the JS boundary.");
        }
        const auto is_funcref = [](ValueType t) { return t == ValueType::funcref; };
        if (std::any_of(type.params.begin(), type.params.end(), is_funcref) ||
            std::any_of(type.results.begin(), type.results.end(), is_funcref)) {
            lines.push_back(funcref_note);
        }
        return lines;
    }

private:
    const Module& m_;
};

/// Index of each import within its own kind's index space.
struct ImportIndex {
    std::vector<std::uint32_t> of;  // parallel to Module::imports
};

ImportIndex index_imports(const Module& m) {
    ImportIndex ix;
    std::array<std::uint32_t, 5> next{};
    for (const auto& imp : m.imports) {
        const auto k = static_cast<std::size_t>(imp.kind);
        ix.of.push_back(k < next.size() ? next[k]++ : 0);
    }
    return ix;
}

/// The import that is entry `index` of `kind`'s index space, or null when that entry is a definition.
const Import* imported(const Module& m, ExternalKind kind, std::uint32_t index) {
    std::uint32_t n = 0;
    for (const auto& imp : m.imports) {
        if (imp.kind != kind) continue;
        if (n == index) return &imp;
        ++n;
    }
    return nullptr;
}

/// The type of function `index` (imported or defined); null if unknown.
const FuncType* function_type(const Module& m, std::uint32_t index) {
    std::uint32_t type_index = 0;
    if (const Import* imp = imported(m, ExternalKind::function, index)) {
        type_index = imp->type_index;
    } else {
        const std::uint32_t first = m.imported_function_count();
        if (index < first || index - first >= m.functions.size()) return nullptr;
        type_index = m.functions[index - first].type_index;
    }
    return type_index < m.types.size() ? &m.types[type_index] : nullptr;
}

const FuncType* tag_type(const Module& m, std::uint32_t index) {
    std::uint32_t type_index = 0;
    if (const Import* imp = imported(m, ExternalKind::tag, index)) {
        type_index = imp->type_index;
    } else {
        const std::uint32_t first = m.imported_tag_count();
        if (index < first || index - first >= m.tags.size()) return nullptr;
        type_index = m.tags[index - first];
    }
    return type_index < m.types.size() ? &m.types[type_index] : nullptr;
}

/// One member of an interface: doc comment lines and TypeScript type.
struct Member {
    std::vector<std::string> doc;
    std::string type;
};

/// The export `e` as an interface member.
Member export_member(const Module& m, const Export& e, const FunctionTyper& typer) {
    Member out;
    switch (e.kind) {
        case ExternalKind::function: {
            const FuncType* t = function_type(m, e.index);
            if (t == nullptr) return {{"(func)"}, "Function"};  // not reached: the reader checks indices
            out.doc = typer.doc(e.index, *t, true);
            out.type = typer.exported(e.index, *t);
            return out;
        }
        case ExternalKind::memory: {
            Limits l;
            if (const Import* imp = imported(m, ExternalKind::memory, e.index)) {
                l = imp->limits;
            } else if (e.index - m.imported_memory_count() < m.memories.size()) {
                l = m.memories[e.index - m.imported_memory_count()];
            }
            return {{wat_memory(l), memory_note(l)}, "WebAssembly.Memory"};
        }
        case ExternalKind::table: {
            Limits l;
            ValueType element = ValueType::funcref;
            if (const Import* imp = imported(m, ExternalKind::table, e.index)) {
                l = imp->limits;
                element = imp->table_type;
            } else {
                const std::size_t i = e.index - m.imported_table_count();
                if (i < m.tables.size()) l = m.tables[i];
                if (i < m.table_types.size()) element = m.table_types[i];
            }
            return {{wat_table(l, element), std::string("Table of ") + to_string(element) + ": get() returns " +
                                                ts_value_type(element) + "."},
                    "WebAssembly.Table"};
        }
        case ExternalKind::global: {
            ValueType type = ValueType::i32;
            bool is_mutable = false;
            std::string name;
            if (const Import* imp = imported(m, ExternalKind::global, e.index)) {
                type = imp->global_type;
                is_mutable = imp->global_mutable;
            } else if (e.index - m.imported_global_count() < m.globals.size()) {
                const Global& g = m.globals[e.index - m.imported_global_count()];
                type = g.type;
                is_mutable = g.is_mutable;
            }
            if (const auto it = m.global_names.find(e.index); it != m.global_names.end()) name = it->second;
            std::string wat = wat_global(type, is_mutable);
            if (!name.empty()) wat.insert(7, " " + wat_id(name));
            std::string note = std::string("Global of ") + to_string(type) + ", " +
                               (is_mutable ? "mutable" : "immutable (setting .value throws a TypeError)") +
                               "; .value is " + ts_value_type(type) + ".";
            if (type == ValueType::v128) note = "Global of v128: reading or writing .value throws a TypeError.";
            return {{wat, note}, std::string("WebAssembly.Global<\"") + global_key(type) + "\">"};
        }
        case ExternalKind::tag: {
            const FuncType* t = tag_type(m, e.index);
            return {{t ? wat_tag(*t) : "(tag)", "Exception tag: WebAssembly.Tag (an object where TypeScript's lib "
                                                "has no WebAssembly.Tag)."},
                    "WasmTag"};
        }
    }
    return {{"(unknown)"}, "unknown"};
}

/// The import `imp` (entry `index` of its kind) as a member of its module's object.
Member import_member(const Module& m, const Import& imp, std::uint32_t index, const FunctionTyper& typer) {
    switch (imp.kind) {
        case ExternalKind::function: {
            if (imp.type_index >= m.types.size()) return {{"(func)"}, "Function"};
            const FuncType& t = m.types[imp.type_index];
            return {typer.doc(index, t, false), typer.imported(index, t)};
        }
        case ExternalKind::memory:
            return {{wat_memory(imp.limits), memory_note(imp.limits)}, "WebAssembly.Memory"};
        case ExternalKind::table:
            return {{wat_table(imp.limits, imp.table_type)}, "WebAssembly.Table"};
        case ExternalKind::global: {
            const ValueType t = imp.global_type;
            std::string type = std::string("WebAssembly.Global<\"") + global_key(t) + "\">";
            std::string note;
            if (imp.global_mutable) {
                note = "Mutable: needs a WebAssembly.Global created with mutable: true.";
            } else if (t == ValueType::v128) {
                note = "Needs a WebAssembly.Global (a v128 value cannot come from JavaScript).";
            } else if (t == ValueType::externref) {
                type = "unknown";
                note = "A WebAssembly.Global, or any JavaScript value.";
            } else {
                const std::string value = ts_value_type(t);
                type += " | " + value;
                note = "A WebAssembly.Global or a " + value + " (JS API \"read the imports\").";
            }
            std::string wat = wat_global(t, imp.global_mutable);
            if (const auto it = m.global_names.find(index); it != m.global_names.end()) {
                wat.insert(7, " " + wat_id(it->second));
            }
            return {{wat, note}, type};
        }
        case ExternalKind::tag: {
            const FuncType* t = imp.type_index < m.types.size() ? &m.types[imp.type_index] : nullptr;
            return {{t ? wat_tag(*t) : "(tag)", "A WebAssembly.Tag."}, "WasmTag"};
        }
    }
    return {{"(unknown)"}, "unknown"};
}

bool needs_parentheses(const std::string& type) {
    return type.find("=>") != std::string::npos || type.find('|') != std::string::npos;
}

}  // namespace

bool is_reserved_word(std::string_view text) {
    static const std::set<std::string_view> words = {
        // ECMA-262 §12.7.2 ReservedWord
        "await", "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do",
        "else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in",
        "instanceof", "new", "null", "return", "super", "switch", "this", "throw", "true", "try", "typeof", "var",
        "void", "while", "with", "yield",
        // reserved in strict mode code (§12.7.2, §13.1.1)
        "implements", "interface", "let", "package", "private", "protected", "public", "static",
        // not bindable in strict mode code (§13.1.1)
        "arguments", "eval",
    };
    return words.count(text) != 0;
}

bool is_js_identifier(std::string_view text) { return ascii_identifier_name(text) && !is_reserved_word(text); }

std::string string_literal(std::string_view text) {
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        char escape[8];
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7F) {
            std::snprintf(escape, sizeof escape, "\\u%04X", static_cast<unsigned>(c));
            out += escape;
        } else if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(text[i + 2]) == 0xA8 || static_cast<unsigned char>(text[i + 2]) == 0xA9)) {
            out += static_cast<unsigned char>(text[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string property_name(std::string_view name) {
    if (is_js_identifier(name) && !typescript_keyword(name)) return std::string(name);
    return string_literal(name);
}

std::string parameter_name(std::string_view local_name) {
    std::string out;
    for (std::size_t i = 0; i < local_name.size();) {
        const auto c = static_cast<unsigned char>(local_name[i]);
        const std::size_t n = std::min(utf8_length(c), local_name.size() - i);
        out += (n == 1 && identifier_part(static_cast<char>(c))) ? static_cast<char>(c) : '_';
        i += n;
    }
    if (out.empty()) return out;
    if (ascii_digit(out.front())) out.insert(out.begin(), '_');
    if (is_reserved_word(out)) out += '_';
    return out;
}

std::string ts_value_type(ValueType type) {
    switch (type) {
        case ValueType::i32:
        case ValueType::f32:
        case ValueType::f64: return "number";
        case ValueType::i64: return "bigint";
        case ValueType::funcref: return "Function | null";
        case ValueType::externref: return "unknown";
        case ValueType::v128: return "never";
    }
    return "unknown";
}

std::string wat_func_type(const FuncType& type, std::string_view name) {
    std::string out = "(func";
    if (!name.empty()) out += " " + wat_id(name);
    if (!type.params.empty()) out += " (param" + join_types(type.params) + ")";
    if (!type.results.empty()) out += " (result" + join_types(type.results) + ")";
    return out + ")";
}

std::string default_interface_name(std::string_view file_name) {
    std::string_view stem = file_name;
    constexpr std::string_view extension = ".wasm";
    if (stem.size() > extension.size() && stem.substr(stem.size() - extension.size()) == extension) {
        stem.remove_suffix(extension.size());
    }
    std::string out;
    bool start = true;
    for (const char c : stem) {
        if (!ascii_letter(c) && !ascii_digit(c)) {
            start = true;
            continue;
        }
        out += (start && c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        start = false;
    }
    if (out.empty() || ascii_digit(out.front())) out.insert(0, "Wasm");
    return out;
}

std::string loader_function_name(std::string_view module_name) {
    std::string out;
    bool start = true;
    for (const char c : module_name) {
        if (!ascii_letter(c) && !ascii_digit(c)) {
            start = true;
            continue;
        }
        if (out.empty() && c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c - 'A' + 'a');
        } else if (!out.empty() && start && c >= 'a' && c <= 'z') {
            out += static_cast<char>(c - 'a' + 'A');
        } else {
            out += c;
        }
        start = false;
    }
    if (!out.empty() && ascii_digit(out.front())) out.insert(0, "m");
    return out;
}

std::string generate_dts(const Module& module, const DtsOptions& options) {
    const std::string name = options.name.empty() ? default_interface_name(options.file_name) : options.name;
    if (!is_js_identifier(name)) {
        throw std::invalid_argument("the interface name \"" + name + "\" is not a JavaScript identifier");
    }
    {
        std::set<std::string_view> seen;
        for (const auto& e : module.exports) {
            if (seen.insert(e.name).second) continue;
            std::uint64_t offset = 0;
            for (const auto& s : module.sections) {
                if (s.id == 7) offset = s.offset;
            }
            throw DtsError("export name \"" + e.name +
                           "\" appears twice (export names must be distinct, core spec §3.4.10 validation) in "
                           "the export section at byte offset " +
                           std::to_string(offset));
        }
    }

    const FunctionTyper typer(module);
    const std::string file = options.file_name;
    bool uses_tags = false;

    std::string exports;
    for (const auto& e : module.exports) {
        const Member member = export_member(module, e, typer);
        uses_tags = uses_tags || e.kind == ExternalKind::tag;
        doc_comment(exports, indent, member.doc);
        exports += std::string(indent) + "readonly " + property_name(e.name) + ": " + member.type + ";\n";
    }

    // module name -> field -> members, both in order of first appearance.
    std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::vector<Member>>>>> groups;
    const ImportIndex index = index_imports(module);
    for (std::size_t i = 0; i < module.imports.size(); ++i) {
        const Import& imp = module.imports[i];
        uses_tags = uses_tags || imp.kind == ExternalKind::tag;
        auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == imp.module; });
        if (group == groups.end()) group = groups.insert(groups.end(), {imp.module, {}});
        auto field = std::find_if(group->second.begin(), group->second.end(),
                                  [&](const auto& f) { return f.first == imp.name; });
        if (field == group->second.end()) field = group->second.insert(group->second.end(), {imp.name, {}});
        field->second.push_back(import_member(module, imp, index.of[i], typer));
    }
    std::string imports;
    for (const auto& [module_name, fields] : groups) {
        imports += std::string(indent) + string_literal(module_name) + ": {\n";
        const std::string inner = std::string(indent) + indent;
        for (const auto& [field, members] : fields) {
            std::vector<std::string> doc;
            std::vector<std::string> types;
            for (const auto& mem : members) {
                doc.insert(doc.end(), mem.doc.begin(), mem.doc.end());
                if (std::find(types.begin(), types.end(), mem.type) == types.end()) types.push_back(mem.type);
            }
            if (members.size() > 1) {
                doc.insert(doc.begin(), "Imported " + std::to_string(members.size()) +
                                            " times: the value must suit every import.");
            }
            std::string type;
            for (const auto& t : types) {
                if (!type.empty()) type += " & ";
                type += types.size() > 1 && needs_parentheses(t) ? "(" + t + ")" : t;
            }
            doc_comment(imports, inner, doc);
            imports += inner + property_name(field) + ": " + type + ";\n";
        }
        imports += std::string(indent) + "};\n";
    }

    std::string out;
    out += "// generated by buildbudget wasm dts from " + comment_text(file) + ", do not edit\n";
    out += "//\n";
    out += "// Values crossing the JavaScript boundary (WebAssembly JS API, ToJSValue and\n";
    out += "// ToWebAssemblyValue, https://webassembly.github.io/spec/js-api/#tojsvalue):\n";
    out += "// i32, f32, f64 -> number; i64 -> bigint; funcref -> Function | null;\n";
    out += "// externref -> unknown; v128 cannot cross (the call throws a TypeError).\n";
    out += "// Several results (multi-value) come back as an array.\n";
    out += "\n";
    if (uses_tags) {
        out += "/** WebAssembly.Tag where TypeScript's lib declares it (5.9's lib.dom.d.ts does not), else object. */\n";
        out += "type WasmTag = typeof WebAssembly extends { Tag: { prototype: infer T } } ? T : object;\n\n";
    }
    doc_comment(out, "", {"Exports of " + file + ": the exports object of its WebAssembly.Instance (frozen)."});
    out += "export interface " + name + "Exports {" + (exports.empty() ? "}\n" : "\n" + exports + "}\n");
    out += "\n";
    doc_comment(out, "",
                {"Imports " + file + " needs: module name -> field -> type.",
                 "The importObject of WebAssembly.instantiate(); pass it as { ...imports } where",
                 "TypeScript wants WebAssembly.Imports (an interface has no index signature)."});
    out += "export interface " + name + "Imports {" + (imports.empty() ? "}\n" : "\n" + imports + "}\n");
    return out;
}

}  // namespace buildbudget::wasm
