#include "common/output_file.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using buildbudget::WriteResult;
using buildbudget::write_file_if_changed;

namespace {

using buildbudget::test::slurp;
using buildbudget::test::TempDir;

}  // namespace

TEST(WriteFileIfChanged, CreatesDirectoriesAndWrites) {
    const TempDir tmp;
    const fs::path file = tmp.path() / "new" / "a b" / "out.h";
    std::string error;
    EXPECT_EQ(write_file_if_changed(file.string(), "one\n", error), WriteResult::written) << error;
    EXPECT_EQ(slurp(file), "one\n");
}

TEST(WriteFileIfChanged, LeavesAnUnchangedFileAlone) {
    const TempDir tmp;
    const fs::path& dir = tmp.path();
    const fs::path file = dir / "out.h";
    std::string error;
    ASSERT_EQ(write_file_if_changed(file.string(), "same\n", error), WriteResult::written);
    const auto before = fs::last_write_time(file);
    fs::last_write_time(file, before - std::chrono::hours(1));
    const auto aged = fs::last_write_time(file);
    EXPECT_EQ(write_file_if_changed(file.string(), "same\n", error), WriteResult::unchanged);
    EXPECT_EQ(fs::last_write_time(file), aged);
    EXPECT_EQ(write_file_if_changed(file.string(), "different\n", error), WriteResult::written);
    EXPECT_EQ(slurp(file), "different\n");
    // Nothing but the file itself is left (no temporary files).
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(WriteFileIfChanged, ReportsFailureAndKeepsTheOldFile) {
    const TempDir tmp;
    const fs::path blocker = tmp.path() / "not-a-dir";
    std::ofstream(blocker) << "x";
    std::string error;
    EXPECT_EQ(write_file_if_changed((blocker / "out.h").string(), "x", error), WriteResult::failed);
    EXPECT_NE(error.find("not-a-dir"), std::string::npos) << error;
}
