#include "footprint/wasm_artifact.hpp"

#include "wasm/reader.hpp"

#include <algorithm>
#include <filesystem>

namespace buildbudget::footprint {
namespace {

constexpr std::uint64_t wasm_page_bytes = 65536;  // WebAssembly core spec §2.5.5

/// LLVM's stack pointer global: by name, else the first mutable i32 global
/// with a constant initialiser (wasm-ld makes __stack_pointer global 0).
std::optional<std::uint64_t> stack_pointer(const wasm::Module& m) {
    const wasm::Global* candidate = nullptr;
    for (const auto& g : m.globals) {
        if (g.name == "__stack_pointer") {
            candidate = &g;
            break;
        }
        if (candidate == nullptr && g.is_mutable && g.type == wasm::ValueType::i32 &&
            g.init.kind == wasm::ConstExpr::Kind::i32) {
            candidate = &g;
        }
    }
    if (candidate == nullptr || candidate->init.kind != wasm::ConstExpr::Kind::i32) return std::nullopt;
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(candidate->init.value));
}

}  // namespace

Artifact read_wasm_artifact(const std::string& path) {
    wasm::Module m;
    try {
        m = wasm::read_file(path);
    } catch (const wasm::ParseError& e) {
        throw ArtifactError(e.what());
    } catch (const std::runtime_error& e) {
        throw ArtifactError(e.what());
    }

    Artifact a;
    a.path = path;
    a.kind = ArtifactKind::wasm_module;
    a.format = "WebAssembly " + std::to_string(m.version);
    ObjectFile obj;
    obj.name = std::filesystem::path(path).filename().string();
    for (const auto& s : m.sections) {
        if (s.id == 10) obj.sizes.text += s.size;
    }

    WasmMemory mem;
    if (const auto limits = m.memory0()) {
        mem.initial_bytes = limits->initial * wasm_page_bytes;
        if (limits->maximum) mem.maximum_bytes = *limits->maximum * wasm_page_bytes;
    }
    std::optional<std::uint64_t> data_start;
    std::uint64_t data_end = 0;
    for (std::size_t i = 0; i < m.data.size(); ++i) {
        const auto& seg = m.data[i];
        mem.data_segment_bytes += seg.size;
        obj.data_symbols.push_back({seg.name.empty() ? "data[" + std::to_string(i) + "]" : seg.name, seg.size, SymbolKind::data});
        if (seg.address) {
            data_start = std::min(data_start.value_or(*seg.address), *seg.address);
            data_end = std::max(data_end, *seg.address + seg.size);
        }
    }
    obj.sizes.data = mem.data_segment_bytes;
    mem.stack_pointer = stack_pointer(m);
    const std::uint64_t sp = mem.stack_pointer.value_or(0);
    const std::uint64_t start = (!data_start || (mem.stack_pointer && sp <= *data_start)) ? 0 : *data_start;
    const std::uint64_t end = std::max(sp, data_end);
    const std::uint64_t reserved = end > start ? end - start : 0;
    obj.sizes.bss = reserved > mem.data_segment_bytes ? reserved - mem.data_segment_bytes : 0;
    if (obj.sizes.bss > 0) obj.data_symbols.push_back({"stack and zero-initialised data", obj.sizes.bss, SymbolKind::bss});
    if (!mem.stack_pointer) a.notes.push_back("no stack pointer global: the stack is not counted");

    for (const auto& imp : m.imports) {
        if (imp.kind == wasm::ExternalKind::function) obj.undefined_symbols.push_back(imp.name);
    }
    a.has_symbols = !m.function_names.empty() || !m.data_names.empty() || !m.global_names.empty();
    if (!a.has_symbols) a.notes.push_back("no name section (stripped): data segments are numbered, not named");
    a.wasm = mem;
    a.objects.push_back(std::move(obj));
    return a;
}

}  // namespace buildbudget::footprint
