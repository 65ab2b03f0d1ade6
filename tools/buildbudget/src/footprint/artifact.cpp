#include "footprint/artifact.hpp"

#include "elf/elf_artifact.hpp"
#include "footprint/wasm_artifact.hpp"
#include "wasm/reader.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace buildbudget::footprint {

SectionSizes& SectionSizes::operator+=(const SectionSizes& other) {
    text += other.text;
    rodata += other.rodata;
    data += other.data;
    bss += other.bss;
    return *this;
}

const char* to_string(ArtifactKind kind) {
    switch (kind) {
        case ArtifactKind::static_library: return "static library";
        case ArtifactKind::relocatable_object: return "object file";
        case ArtifactKind::executable: return "executable";
        case ArtifactKind::shared_library: return "shared library";
        case ArtifactKind::wasm_module: return "WebAssembly module";
    }
    return "artifact";
}

SectionSizes Artifact::totals() const {
    SectionSizes sum;
    for (const auto& o : objects) sum += o.sizes;
    return sum;
}

std::string lto_object_message(const std::string& what) {
    return what + ": its code is generated when it is linked, so it has no sizes yet; "
                  "the footprint of LTO objects needs the linked executable or shared library "
                  "(attach that target, or build this library without -flto)";
}

Artifact read_artifact(const std::string& path) {
    char magic[8] = {};
    std::size_t got = 0;
    {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw ArtifactError(path + ": cannot open: " + std::strerror(errno));
        in.read(magic, sizeof magic);
        got = static_cast<std::size_t>(in.gcount());
    }
    const auto starts_with = [&](const char* m, std::size_t n) { return got >= n && std::memcmp(magic, m, n) == 0; };
    if (starts_with("\x7f" "ELF", 4) || starts_with("!<arch>\n", 8)) return elf::read_elf_artifact(path);
    if (wasm::has_wasm_magic(reinterpret_cast<const std::uint8_t*>(magic), got)) return read_wasm_artifact(path);
    if (starts_with("!<thin>\n", 8)) {
        throw ArtifactError(path + ": a thin archive (it holds only the paths of its objects); "
                                   "expected a regular archive: build it without `ar T`");
    }
    if (starts_with("BC\xC0\xDE", 4) || starts_with("\xDE\xC0\x17\x0B", 4)) {
        throw ArtifactError(lto_object_message(path + ": an LLVM bitcode object (-flto)"));
    }
    if (got == 0) throw ArtifactError(path + ": an empty file; expected an ELF file, an archive or a WebAssembly module");
    throw ArtifactError(path + ": not an ELF file, an archive or a WebAssembly module (its first bytes are not "
                               "\\x7fELF, !<arch> or \\0asm)");
}

}  // namespace buildbudget::footprint
