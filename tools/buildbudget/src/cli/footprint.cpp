// `buildbudget footprint` and `buildbudget freestanding` (doc/helper-checks.md).
#include "cli/check_output.hpp"
#include "cli/checks.hpp"
#include "cli/options.hpp"
#include "footprint/artifact.hpp"
#include "footprint/budget_file.hpp"
#include "footprint/check.hpp"
#include "report/table.hpp"

#include <filesystem>
#include <iostream>
#include <memory>

namespace buildbudget::cli {
namespace {

using report::Align;
using report::bytes;

struct FootprintOptions {
    std::vector<std::string> files;
    std::string budget;
    std::vector<std::string> artifacts;
    bool objects = false;
    CheckOutputOptions output;
};

std::vector<footprint::Attachment> attachments(const std::vector<std::string>& items, const char* option) {
    std::vector<footprint::Attachment> out;
    for (const auto& [component, path] : split_assignments(items, option)) out.push_back({component, path});
    return out;
}

std::vector<std::string> size_cells(const footprint::SectionSizes& s) {
    return {bytes(s.text), bytes(s.rodata), bytes(s.data), bytes(s.bss), bytes(s.static_ram())};
}

/// Without a budget: the sizes of each file (and, with --objects, of each object in it).
int measure_files(const FootprintOptions& o) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> notes;
    nlohmann::ordered_json described = nlohmann::ordered_json::array();
    int code = 0;
    for (const auto& path : o.files) {
        footprint::Artifact a;
        try {
            a = footprint::read_artifact(path);
        } catch (const footprint::ArtifactError& e) {
            print_error(e.what());
            code = 1;
            continue;
        }
        described.push_back(footprint::describe(a));
        std::vector<std::string> row = {path, to_string(a.kind)};
        const auto cells = size_cells(a.totals());
        row.insert(row.end(), cells.begin(), cells.end());
        rows.push_back(row);
        if (o.objects && a.kind == footprint::ArtifactKind::static_library) {
            for (const auto& obj : a.objects) {
                std::vector<std::string> r = {"  " + obj.name, "member"};
                const auto c = size_cells(obj.sizes);
                r.insert(r.end(), c.begin(), c.end());
                rows.push_back(r);
            }
        }
        if (a.wasm) {
            notes.push_back(path + ": linear memory " + bytes(a.wasm->initial_bytes) + " bytes initial, " +
                            (a.wasm->maximum_bytes ? bytes(*a.wasm->maximum_bytes) + " bytes maximum" : "no maximum") +
                            "; data segments " + bytes(a.wasm->data_segment_bytes) + " bytes" +
                            (a.wasm->stack_pointer ? "; stack pointer starts at " + bytes(*a.wasm->stack_pointer) : ""));
        }
        for (const auto& n : a.notes) notes.push_back(path + ": note: " + n);
    }
    if (o.output.json) {
        std::cout << described.dump(2) << '\n';
        return code;
    }
    if (!rows.empty()) {
        std::cout << report::render_table({"File", "Kind", ".text", ".rodata", ".data", ".bss", "Static RAM"}, rows,
                                          {Align::left, Align::left, Align::right, Align::right, Align::right,
                                           Align::right, Align::right});
    }
    for (const auto& n : notes) std::cout << n << '\n';
    return code;
}

int run_footprint(const FootprintOptions& o) {
    if (o.budget.empty()) {
        if (!o.artifacts.empty()) throw CLI::ValidationError("--artifact", "needs --budget <set.json>");
        if (o.files.empty()) throw CLI::ValidationError("files", "give the files to measure, or --budget and --artifact");
        if (!o.output.report_path.empty() || !o.output.junit_path.empty() || !o.output.baseline_path.empty()) {
            throw CLI::ValidationError("--report/--junit/--baseline", "report a check: they need --budget <set.json>");
        }
        return measure_files(o);
    }
    if (!o.files.empty()) throw CLI::ValidationError("files", "with --budget, give the files as --artifact COMPONENT=FILE");
    const auto attached = attachments(o.artifacts, "--artifact");
    footprint::BudgetFile budget;
    try {
        budget = footprint::read_budget_file(o.budget);
    } catch (const std::runtime_error& e) {
        return fail(e.what());
    }
    const auto rep = footprint::check_static_ram(budget, attached);
    std::vector<std::vector<std::string>> rows;
    std::string notes;
    for (const auto& c : rep.cases) {
        std::vector<std::string> row = {c.component, c.budget_bytes ? bytes(*c.budget_bytes) : "-"};
        if (c.error) {
            row.insert(row.end(), {"-", "-", "-", "-", "-", mark(false)});
            rows.push_back(row);
            continue;
        }
        const auto& s = c.details["sizes"];
        const auto size_of = [](const nlohmann::ordered_json& j, const char* key) { return bytes(j[key].get<std::uint64_t>()); };
        row.insert(row.end(), {bytes(c.measured_bytes), size_of(s, "data"), size_of(s, "bss"), size_of(s, "text"),
                               size_of(s, "rodata"), mark(c.passed)});
        rows.push_back(row);
        for (const auto& a : c.details["artifacts"]) {
            for (const auto& n : a["notes"]) notes += a["path"].get<std::string>() + ": note: " + n.get<std::string>() + "\n";
            if (!o.objects) continue;
            for (const auto& obj : a["objects"]) {
                rows.push_back({"  " + obj["name"].get<std::string>(), "", size_of(obj, "static_ram"), size_of(obj, "data"),
                                size_of(obj, "bss"), size_of(obj, "text"), size_of(obj, "rodata"), ""});
            }
        }
    }
    const std::string table =
        "Static RAM of budget set " + rep.set + " (.data + .bss, bytes):\n" +
        report::render_table({"Component", "Budget", "Static RAM", ".data", ".bss", ".text", ".rodata", "\u2713/\u2717"},
                             rows,
                             {Align::left, Align::right, Align::right, Align::right, Align::right, Align::right,
                              Align::right, Align::left}) +
        notes;
    return finish_check(rep, table, o.output);
}

struct FreestandingOptions {
    std::vector<std::string> files;
    std::string set = "freestanding";
    std::vector<std::string> artifacts, deny, allow;
    CheckOutputOptions output;
};

int run_freestanding(const FreestandingOptions& o) {
    auto list = attachments(o.artifacts, "--artifact");
    for (const auto& f : o.files) list.push_back({std::filesystem::path(f).filename().string(), f});
    if (list.empty()) throw CLI::ValidationError("files", "give the files to check, or --artifact COMPONENT=FILE");
    std::vector<footprint::DenyListChanges> changes;
    for (const auto& [component, symbol] : split_assignments(o.deny, "--deny")) changes.push_back({component, {symbol}, {}});
    for (const auto& [component, symbol] : split_assignments(o.allow, "--allow")) changes.push_back({component, {}, {symbol}});
    const auto rep = footprint::check_freestanding(o.set, list, changes);
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : rep.cases) {
        std::string denied;
        for (const auto& d : c.details["denied"]) {
            if (!denied.empty()) denied += ", ";
            denied += d["demangled"].get<std::string>();
        }
        rows.push_back({c.component, c.error ? "(unreadable)" : (denied.empty() ? "none" : denied), mark(c.passed)});
    }
    const std::string table = "Freestanding check of " + rep.set + " (heap and exception symbols):\n" +
                              report::render_table({"Component", "Denied symbols used", "\u2713/\u2717"}, rows);
    return finish_check(rep, table, o.output);
}

}  // namespace

void add_footprint(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<FootprintOptions>();
    CLI::App* cmd = app.add_subcommand(
        "footprint",
        "Measure ELF static libraries, objects, executables, shared libraries and WebAssembly modules:\n"
        ".text, .rodata, .data and .bss (wasm: code, data segments, stack, linear memory). With --budget,\n"
        "hold each component's static RAM (.data + .bss) to its budget. Exit 0 within budget, 1 over\n"
        "budget or unreadable input, 2 usage error.");
    cmd->add_option("files", o->files, "Files to measure (without --budget)");
    cmd->add_option("--budget", o->budget, "The budget set's JSON description (wrt_memory_budget(... JSON))");
    cmd->add_option("--artifact", o->artifacts, "COMPONENT=FILE: a built file of a component (repeatable)");
    cmd->add_flag("--objects", o->objects, "Also list every object file (archive member)");
    add_check_output_options(*cmd, o->output);
    cmd->callback([o, &exit_code]() { exit_code = run_footprint(*o); });
}

void add_freestanding(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<FreestandingOptions>();
    CLI::App* cmd = app.add_subcommand(
        "freestanding",
        "Check the undefined symbols of FREESTANDING components' artifacts against a deny list\n"
        "(heap: malloc, calloc, realloc, free, aligned allocation, operator new/delete; exceptions:\n"
        "__cxa_throw, __cxa_allocate_exception, __cxa_rethrow), naming each symbol and the object\n"
        "file that needs it. Exit 0 clean, 1 a denied symbol is used or a file is unreadable.");
    cmd->add_option("files", o->files, "Files to check (component = file name)");
    cmd->add_option("--set", o->set, "The budget set's name, for the report")->capture_default_str();
    cmd->add_option("--artifact", o->artifacts, "COMPONENT=FILE: a built file of a component (repeatable)");
    cmd->add_option("--deny", o->deny, "COMPONENT=SYMBOL: also deny SYMBOL (a name, or a prefix ending in *)");
    cmd->add_option("--allow", o->allow, "COMPONENT=SYMBOL: allow SYMBOL although the list denies it");
    add_check_output_options(*cmd, o->output);
    cmd->callback([o, &exit_code]() { exit_code = run_freestanding(*o); });
}

}  // namespace buildbudget::cli
