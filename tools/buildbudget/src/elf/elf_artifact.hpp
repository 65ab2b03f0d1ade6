// ELF artifacts (static libraries, relocatable objects, executables, shared
// libraries) read with elfutils' libelf, a well-kept ELF reader from the
// distribution, not our own (doc/layout.md, "Inside the helper").
#pragma once

#include "footprint/artifact.hpp"

#include <string>

namespace buildbudget::elf {

/// Reads an ELF file or an ar archive of ELF objects at `path` into the
/// footprint model: section sizes (classified by flags, see
/// footprint::SectionSizes), sized data symbols and undefined symbols per
/// object. Refuses, with footprint::ArtifactError naming the file, the member
/// and the byte offset: an archive member that is not ELF, LTO objects (LLVM
/// bitcode members, GCC `.gnu.lto_*` slim objects), and a file or member
/// whose headers or sections run past its end (truncated).
[[nodiscard]] footprint::Artifact read_elf_artifact(const std::string& path);

}  // namespace buildbudget::elf
