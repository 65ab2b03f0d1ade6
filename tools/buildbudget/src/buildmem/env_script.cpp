#include "buildmem/env_script.hpp"

#include "common/templates.hpp"

#include <utility>
#include <vector>

namespace buildbudget::buildmem {

std::string sh_quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string render_env_script(const std::string& template_text, const EnvScriptInputs& in) {
    const std::string compile_jobs = std::to_string(in.compile_jobs);
    std::vector<std::pair<std::string, std::string>> vars = {
        {"BUILDBUDGET_MEMORY_LIMIT", std::to_string(in.memory_limit)},
        {"BUILDBUDGET_COMPILE_JOBS", compile_jobs},
        {"BUILDBUDGET_LINK_JOBS", std::to_string(in.link_jobs)},
        {"CMAKE_BUILD_PARALLEL_LEVEL", compile_jobs},
        {"MAKEFLAGS", "-j" + compile_jobs},
        {"CARGO_BUILD_JOBS", std::to_string(in.cargo_jobs.value_or(in.compile_jobs))}};
    for (const char* profile : {"DEV", "RELEASE"}) {
        const std::string prefix = std::string("CARGO_PROFILE_") + profile + "_";
        if (in.debug_info) vars.emplace_back(prefix + "DEBUG", cargo_debug_value(*in.debug_info));
        if (in.debug_info && cargo_split_debuginfo(*in.debug_info, in.rust_version)) {
            vars.emplace_back(prefix + "SPLIT_DEBUGINFO", "unpacked");
        }
        if (in.lto) vars.emplace_back(prefix + "LTO", cargo_lto_value(*in.lto));
    }
    std::string exports;
    for (const auto& [name, value] : vars) {
        exports += (exports.empty() ? "" : "\n") + name + "=" + sh_quoted(value) + "\nexport " + name;
    }
    if (!in.rustc_wrapper.empty()) {
        // Cargo runs one wrapper: a RUSTC_WRAPPER of the user's own (other than sccache) stays.
        const std::string ours = sh_quoted(in.rustc_wrapper);
        exports += "\n# cargo's rustc through BuildBudget's launcher" + std::string(in.rustc_wrapper_sccache ? " and sccache" : "") +
                   "; a RUSTC_WRAPPER of your own is kept\ncase ${RUSTC_WRAPPER-} in\n  ''|*/buildbudget-lowmem/rustc-wrapper|" + ours +
                   (in.rustc_wrapper_sccache ? "|sccache|*/sccache" : "") + ") RUSTC_WRAPPER=" + ours +
                   "; export RUSTC_WRAPPER ;;\nesac";
    }
    return render_template(template_text, {{"PROJECT_NAME", in.project_name},
                                           {"BUILD_DIR", in.build_dir},
                                           {"SCRIPT", sh_quoted(in.script)},
                                           {"EXPORTS", exports}});
}

}  // namespace buildbudget::buildmem
