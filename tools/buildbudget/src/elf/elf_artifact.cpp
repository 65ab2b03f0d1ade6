#include "elf/elf_artifact.hpp"

#include <gelf.h>
#include <libelf.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>

namespace buildbudget::elf {
namespace {

using footprint::Artifact;
using footprint::ArtifactError;
using footprint::ArtifactKind;
using footprint::lto_object_message;
using footprint::DataSymbol;
using footprint::ObjectFile;
using footprint::SymbolKind;

std::string libelf_error() {
    const char* msg = elf_errmsg(-1);
    return msg != nullptr ? msg : "unknown libelf error";
}

/// Closes the file descriptor on every path out.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

struct ElfCloser {
    void operator()(Elf* e) const { elf_end(e); }
};
using ElfHandle = std::unique_ptr<Elf, ElfCloser>;

/// "ELF64 x86-64": the class and the machine, for the report.
std::string format_name(const GElf_Ehdr& ehdr) {
    std::string machine;
    switch (ehdr.e_machine) {
        case EM_X86_64: machine = "x86-64"; break;
        case EM_386: machine = "i386"; break;
        case EM_ARM: machine = "ARM"; break;
        case EM_AARCH64: machine = "AArch64"; break;
        case EM_RISCV: machine = "RISC-V"; break;
        case EM_XTENSA: machine = "Xtensa"; break;
        case EM_PPC64: machine = "PowerPC64"; break;
        case EM_S390: machine = "s390"; break;
        default: machine = "machine " + std::to_string(ehdr.e_machine); break;
    }
    return std::string(ehdr.e_ident[EI_CLASS] == ELFCLASS64 ? "ELF64 " : "ELF32 ") + machine;
}

enum class SectionClass { none, text, rodata, data, bss };

/// The classes of footprint::SectionSizes, from the section's flags and type.
SectionClass classify(const GElf_Shdr& shdr) {
    if ((shdr.sh_flags & SHF_ALLOC) == 0) return SectionClass::none;
    if (shdr.sh_type == SHT_NOBITS) return SectionClass::bss;
    if ((shdr.sh_flags & SHF_EXECINSTR) != 0) return SectionClass::text;
    if ((shdr.sh_flags & SHF_WRITE) != 0) return SectionClass::data;
    return SectionClass::rodata;
}

/// Strips the symbol version ("malloc@GLIBC_2.2.5", "malloc@@GLIBC_2.2.5").
std::string without_version(const char* name) {
    std::string s(name);
    const auto at = s.find('@');
    if (at != std::string::npos && at > 0) s.erase(at);
    return s;
}

/// What one ELF object (a whole file or one archive member) holds.
struct ElfObject {
    ObjectFile object;
    ArtifactKind kind = ArtifactKind::relocatable_object;
    std::string format;
    bool has_symtab = false;
    bool gcc_lto = false;       ///< has .gnu.lto_* sections
    bool gcc_lto_slim = false;  ///< ... and no code of its own (the __gnu_lto_slim marker)
};

/// `where` names the object in messages: "libnet.a(ring.o)" or "firmware".
/// `size` is the object's size in bytes (the file, or the archive member).
ElfObject read_object(Elf* e, const std::string& where, std::uint64_t size) {
    ElfObject out;
    GElf_Ehdr ehdr;
    if (gelf_getehdr(e, &ehdr) == nullptr) {
        throw ArtifactError(where + ": unreadable ELF header (truncated or corrupt?): " + libelf_error());
    }
    out.format = format_name(ehdr);
    const std::uint64_t shdr_end = ehdr.e_shoff + std::uint64_t{ehdr.e_shnum} * ehdr.e_shentsize;
    if (ehdr.e_shoff != 0 && shdr_end > size) {
        throw ArtifactError(where + ": truncated: the section header table (bytes " + std::to_string(ehdr.e_shoff) +
                            ".." + std::to_string(shdr_end) + ") runs past the end of the file (" +
                            std::to_string(size) + " bytes)");
    }
    switch (ehdr.e_type) {
        case ET_REL: out.kind = ArtifactKind::relocatable_object; break;
        case ET_EXEC: out.kind = ArtifactKind::executable; break;
        case ET_DYN: {
            // A position-independent executable is ET_DYN too; it has an interpreter.
            out.kind = ArtifactKind::shared_library;
            std::size_t phnum = 0;
            if (elf_getphdrnum(e, &phnum) == 0) {
                for (std::size_t i = 0; i < phnum; ++i) {
                    GElf_Phdr phdr;
                    if (gelf_getphdr(e, static_cast<int>(i), &phdr) != nullptr && phdr.p_type == PT_INTERP) {
                        out.kind = ArtifactKind::executable;
                    }
                }
            }
            break;
        }
        default:
            throw ArtifactError(where + ": an ELF file of type " + std::to_string(ehdr.e_type) +
                                "; expected an object file, an executable or a shared library");
    }

    std::size_t shstrndx = 0;
    if (elf_getshdrstrndx(e, &shstrndx) != 0) {
        throw ArtifactError(where + ": no section name table (truncated or corrupt?): " + libelf_error());
    }

    std::map<std::size_t, SectionClass> class_of;  // section index -> class
    Elf_Scn* symtab = nullptr;
    Elf_Scn* dynsym = nullptr;
    for (Elf_Scn* scn = elf_nextscn(e, nullptr); scn != nullptr; scn = elf_nextscn(e, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) == nullptr) {
            throw ArtifactError(where + ": unreadable section header: " + libelf_error());
        }
        const char* raw_name = elf_strptr(e, shstrndx, shdr.sh_name);
        const std::string name = raw_name != nullptr ? raw_name : "";
        if (shdr.sh_type != SHT_NOBITS && shdr.sh_size > 0 && shdr.sh_offset + shdr.sh_size > size) {
            throw ArtifactError(where + ": truncated: section " + name + " (bytes " + std::to_string(shdr.sh_offset) +
                                ".." + std::to_string(shdr.sh_offset + shdr.sh_size) +
                                ") runs past the end of the file (" + std::to_string(size) + " bytes)");
        }
        if (name.rfind(".gnu.lto_", 0) == 0) out.gcc_lto = true;
        if (shdr.sh_type == SHT_SYMTAB) symtab = scn;
        if (shdr.sh_type == SHT_DYNSYM) dynsym = scn;
        const SectionClass cls = classify(shdr);
        class_of[elf_ndxscn(scn)] = cls;
        auto& s = out.object.sizes;
        switch (cls) {
            case SectionClass::text: s.text += shdr.sh_size; break;
            case SectionClass::rodata: s.rodata += shdr.sh_size; break;
            case SectionClass::data: s.data += shdr.sh_size; break;
            case SectionClass::bss: s.bss += shdr.sh_size; break;
            case SectionClass::none: break;
        }
    }

    out.has_symtab = symtab != nullptr;
    Elf_Scn* symbols = symtab != nullptr ? symtab : dynsym;
    if (symbols != nullptr) {
        GElf_Shdr shdr;
        gelf_getshdr(symbols, &shdr);
        Elf_Data* data = elf_getdata(symbols, nullptr);
        if (data == nullptr) {
            throw ArtifactError(where + ": unreadable symbol table: " + libelf_error());
        }
        const std::size_t count = shdr.sh_entsize != 0 ? shdr.sh_size / shdr.sh_entsize : 0;
        const bool relocatable = out.kind == ArtifactKind::relocatable_object;
        for (std::size_t i = 1; i < count; ++i) {
            GElf_Sym sym;
            if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) break;
            const char* raw = elf_strptr(e, shdr.sh_link, sym.st_name);
            if (raw == nullptr || *raw == '\0') continue;
            const int type = GELF_ST_TYPE(sym.st_info);
            const int bind = GELF_ST_BIND(sym.st_info);
            if (std::strcmp(raw, "__gnu_lto_slim") == 0) out.gcc_lto_slim = true;
            if (sym.st_shndx == SHN_UNDEF) {
                if (bind == STB_GLOBAL || bind == STB_WEAK) out.object.undefined_symbols.push_back(without_version(raw));
                continue;
            }
            if (bind == STB_GLOBAL || bind == STB_WEAK) out.object.defined_symbols.push_back(without_version(raw));
            if (sym.st_size == 0 || (type != STT_OBJECT && type != STT_TLS && type != STT_COMMON)) continue;
            if (sym.st_shndx == SHN_COMMON) {
                // A tentative definition (-fcommon): the linker puts it in .bss.
                if (relocatable) out.object.sizes.bss += sym.st_size;
                out.object.data_symbols.push_back({without_version(raw), sym.st_size, SymbolKind::bss});
                continue;
            }
            const auto it = class_of.find(sym.st_shndx);
            if (it == class_of.end()) continue;
            if (it->second == SectionClass::data) {
                out.object.data_symbols.push_back({without_version(raw), sym.st_size, SymbolKind::data});
            } else if (it->second == SectionClass::bss) {
                out.object.data_symbols.push_back({without_version(raw), sym.st_size, SymbolKind::bss});
            }
        }
    }
    return out;
}

/// The first bytes of an archive member, to name what it is when it is not ELF.
std::string describe_non_elf(Elf* member) {
    std::size_t n = 0;
    const char* raw = elf_rawfile(member, &n);
    if (raw != nullptr && n >= 4 && std::memcmp(raw, "BC\xC0\xDE", 4) == 0) return "LLVM bitcode";
    if (raw != nullptr && n >= 4 && std::memcmp(raw, "\xDE\xC0\x17\x0B", 4) == 0) return "LLVM bitcode";
    if (raw != nullptr && n >= 4 && std::memcmp(raw, "\0asm", 4) == 0) return "a WebAssembly object";
    return "not an ELF object";
}

}  // namespace

footprint::Artifact read_elf_artifact(const std::string& path) {
    if (elf_version(EV_CURRENT) == EV_NONE) {
        throw ArtifactError("libelf is too old for this ELF version: " + libelf_error());
    }
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw ArtifactError(path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw ArtifactError(path + ": cannot stat: " + std::strerror(errno));
    const auto file_size = static_cast<std::uint64_t>(st.st_size);

    unsigned char ident[EI_NIDENT] = {};
    const ssize_t got = ::pread(fd.get(), ident, sizeof ident, 0);
    if (got >= 4 && std::memcmp(ident, ELFMAG, SELFMAG) == 0) {
        // ELF header sizes: 52 bytes for ELFCLASS32, 64 for ELFCLASS64 (System V gABI, "ELF Header").
        const std::uint64_t header_size = (got > EI_CLASS && ident[EI_CLASS] == ELFCLASS32) ? 52 : 64;
        if (file_size < header_size) {
            throw ArtifactError(path + ": truncated: the ELF header needs " + std::to_string(header_size) +
                                " bytes, the file has " + std::to_string(file_size));
        }
    }
    ElfHandle top(elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr));
    if (!top) throw ArtifactError(path + ": cannot read: " + libelf_error());

    Artifact artifact;
    artifact.path = path;
    if (elf_kind(top.get()) == ELF_K_ELF) {
        ElfObject obj = read_object(top.get(), path, file_size);
        if (obj.gcc_lto_slim) throw ArtifactError(lto_object_message(path + ": a GCC LTO object (-flto)"));
        artifact.kind = obj.kind;
        artifact.format = obj.format;
        artifact.has_symbols = obj.has_symtab;
        if (obj.gcc_lto) artifact.notes.push_back("a fat LTO object: the sizes are those of its non-LTO code");
        obj.object.name = std::filesystem::path(path).filename().string();
        artifact.objects.push_back(std::move(obj.object));
    } else if (elf_kind(top.get()) == ELF_K_AR) {
        artifact.kind = footprint::ArtifactKind::static_library;
        std::size_t without_symtab = 0;  // members with no symbol table: stripped, or nothing to name
        Elf_Cmd cmd = ELF_C_READ_MMAP;
        std::uint64_t members_end = 8;  // after "!<arch>\n"
        while (Elf* raw_member = elf_begin(fd.get(), cmd, top.get())) {
            ElfHandle member(raw_member);
            // elf_getarhdr() shows the parent's current header, which elf_next() moves on.
            const Elf_Arhdr* header = elf_getarhdr(member.get());
            if (header == nullptr) throw ArtifactError(path + ": unreadable archive member header: " + libelf_error());
            const std::string name = header->ar_name != nullptr ? header->ar_name : "";
            const auto member_size = static_cast<std::uint64_t>(header->ar_size);
            cmd = elf_next(member.get());
            const auto offset = static_cast<std::uint64_t>(elf_getbase(member.get()));
            members_end = offset + member_size + (member_size % 2);  // members are 2-byte aligned
            // The symbol index and the long-name table are not objects.
            if (name == "/" || name == "//" || name == "/SYM64/") continue;
            const std::string where = path + "(" + name + ")";
            if (elf_kind(member.get()) != ELF_K_ELF) {
                const std::string what = describe_non_elf(member.get());
                if (what == "LLVM bitcode") {
                    throw ArtifactError(lto_object_message(where + ": an LLVM bitcode object (-flto)"));
                }
                throw ArtifactError(where + ": " + what + " (member at byte offset " + std::to_string(offset) +
                                    "); expected an archive of ELF objects");
            }
            ElfObject obj = read_object(member.get(), where, member_size);
            if (obj.gcc_lto_slim) throw ArtifactError(lto_object_message(where + ": a GCC LTO object (-flto)"));
            if (artifact.format.empty()) artifact.format = obj.format;
            if (!obj.has_symtab) ++without_symtab;
            obj.object.name = name;
            artifact.objects.push_back(std::move(obj.object));
        }
        // libelf stops quietly at a member header it cannot read, and shortens a
        // member that the file cuts off (read_object() then finds its sections cut).
        if (members_end < file_size) {
            throw ArtifactError(path + ": truncated or corrupt archive: bytes " + std::to_string(members_end) + ".." +
                                std::to_string(file_size) + " after the last readable member (" +
                                std::to_string(artifact.objects.size()) + " objects) are not a member");
        }
        artifact.has_symbols = artifact.objects.empty() || without_symtab < artifact.objects.size();
        if (artifact.has_symbols && without_symtab > 0) {
            artifact.notes.push_back(std::to_string(without_symtab) + " of " + std::to_string(artifact.objects.size()) +
                                     " objects have no symbol table: their data symbols cannot be named");
        }
        if (artifact.objects.empty()) artifact.notes.push_back("an empty archive");
    } else {
        throw ArtifactError(path + ": not an ELF file, an archive or a WebAssembly module");
    }
    if (!artifact.has_symbols) {
        artifact.notes.push_back(
            "no symbol table (stripped): sizes are complete, but the largest data symbols cannot be named");
    }
    return artifact;
}

}  // namespace buildbudget::elf
