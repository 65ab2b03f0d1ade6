// The job log's reading of command lines (buildmem/job_log.hpp): which link jobs are static
// archive steps, as lowmem_profile() runs them through the launcher (CMake's
// CMAKE_<LANG>_ARCHIVE_CREATE with `ar qc`, CMAKE_<LANG>_ARCHIVE_CREATE_IPO with gcc-ar).
#include "buildmem/job_log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bm = buildbudget::buildmem;

TEST(BuildmemJobLog, ArchiversByNameAfterLaunchers) {
    using V = std::vector<std::string>;
    for (const V& command : {V{"/usr/bin/ar", "qc", "libx.a", "a.o"}, V{"ar", "rcs", "libx.a"},
                             V{"/usr/bin/gcc-ar-12", "qc", "libx.a", "a.o"}, V{"llvm-ar-14", "qc", "libx.a"},
                             V{"/usr/bin/x86_64-linux-gnu-ar", "qc", "libx.a"}, V{"llvm-ar", "qc", "libx.a"},
                             V{"ccache", "ar", "qc", "libx.a"}, V{"env", "LC_ALL=C", "ar", "qc", "libx.a"},
                             V{"ZERO_AR_DATE=1", "/usr/bin/ar", "qc", "libx.a"}}) {
        EXPECT_TRUE(bm::is_archive_command(command)) << command.front();
        EXPECT_EQ(bm::command_files(command, true).output, std::optional<std::string>("libx.a")) << command.front();
    }
    for (const V& command : {V{"/usr/bin/c++", "-o", "app", "a.o"}, V{"tar", "cf", "x.tar"}, V{"/usr/bin/ranlib", "libx.a"},
                             V{"/usr/bin/cmake", "-E", "rm", "-f", "libx.a"}, V{"ar-tool", "x"}, V{}, V{"env"}}) {
        EXPECT_FALSE(bm::is_archive_command(command)) << (command.empty() ? std::string("(empty)") : command.front());
    }
}

TEST(BuildmemJobLog, AnArchiveIsALinkJobWhoseCommandArchives) {
    bm::JobRecord r;
    r.kind = "link";
    r.command = {"/usr/bin/ar", "qc", "lib/libgtest.a", "gtest-all.cc.o"};
    EXPECT_TRUE(r.archive());
    r.command = {"/usr/bin/c++", "-o", "app", "main.o"};
    EXPECT_FALSE(r.archive());
    // A compile is never an archive step, whatever its command.
    r.kind = "compile";
    r.command = {"ar", "qc", "libx.a"};
    EXPECT_FALSE(r.archive());
    // The record format is unchanged: an archive step is written and read as a "link" job.
    r.kind = "link";
    r.output = "libx.a";
    const bm::JobRecord back = bm::record_from_json(bm::record_to_json(r), "log", 1);
    EXPECT_EQ(back.kind, "link");
    EXPECT_TRUE(back.archive());
}
