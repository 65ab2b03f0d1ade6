// The Cargo configuration writer (SPEC §5 "Cargo", §7): the resulting file is
// read back with toml++ as data, and its text is checked for what must
// survive (the user's comments and keys).
#include "buildmem/cargo_config.hpp"

#include <toml++/toml.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
namespace bm = buildbudget::buildmem;

namespace {

toml::table parse(const std::string& text) { return toml::parse(std::string_view(text), std::string_view("result.toml")); }

bm::CargoSettings settings(bm::DebugInfo d, bm::Lto l, const char* version = "1.95.0") {
    bm::CargoSettings s;
    s.jobs = 3;
    s.debug_info = d;
    s.lto = l;
    s.rust_version = bm::parse_rust_version(version);
    return s;
}

std::vector<std::string> strings(const toml::node* node) {
    std::vector<std::string> out;
    if (!node || !node->is_array()) return out;
    for (const auto& item : *node->as_array()) out.push_back(item.value_or(std::string("?")));
    return out;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST(BuildmemCargoConfig, ParsesRustVersions) {
    const auto v = bm::parse_rust_version("1.65.0");
    ASSERT_TRUE(v);
    EXPECT_EQ(v->major, 1U);
    EXPECT_EQ(v->minor, 65U);
    EXPECT_TRUE(bm::parse_rust_version("1.95"));
    EXPECT_TRUE(bm::parse_rust_version("1.80.0-nightly"));
    EXPECT_FALSE(bm::parse_rust_version("1"));
    EXPECT_FALSE(bm::parse_rust_version("one.two"));
    EXPECT_FALSE(bm::parse_rust_version("1.65x"));
}

TEST(BuildmemCargoConfig, NewFileHasTheSettings) {
    const auto r = bm::update_cargo_config("c.toml", "", settings(bm::DebugInfo::split, bm::Lto::thin));
    const toml::table t = parse(r.text);
    EXPECT_EQ(t["build"]["jobs"].value<std::int64_t>(), 3);
    for (const char* profile : {"dev", "release"}) {
        EXPECT_EQ(t["profile"][profile]["debug"].value<std::int64_t>(), 2);
        EXPECT_EQ(t["profile"][profile]["split-debuginfo"].value<std::string>(), "unpacked");
        EXPECT_EQ(t["profile"][profile]["lto"].value<std::string>(), "thin");
        EXPECT_FALSE(t["profile"][profile]["codegen-units"]);
    }
    EXPECT_TRUE(r.preserved_layout);
}

TEST(BuildmemCargoConfig, DebugAndLtoValues) {
    const std::pair<bm::DebugInfo, std::int64_t> debug[] = {
        {bm::DebugInfo::off, 0}, {bm::DebugInfo::line_tables, 1}, {bm::DebugInfo::full, 2}};
    for (const auto& [d, level] : debug) {
        const toml::table t = parse(bm::update_cargo_config("c.toml", "", settings(d, bm::Lto::off)).text);
        EXPECT_EQ(t["profile"]["dev"]["debug"].value<std::int64_t>(), level);
        EXPECT_EQ(t["profile"]["release"]["lto"].value<bool>(), false);
        EXPECT_FALSE(t["profile"]["dev"]["split-debuginfo"]);
    }
    const toml::table fat = parse(bm::update_cargo_config("c.toml", "", settings(bm::DebugInfo::off, bm::Lto::full)).text);
    EXPECT_EQ(fat["profile"]["release"]["lto"].value<std::string>(), "fat");
}

TEST(BuildmemCargoConfig, SplitDebugInfoOnlyFromRust165) {
    const auto old = bm::update_cargo_config("c.toml", "", settings(bm::DebugInfo::split, bm::Lto::off, "1.63.0"));
    const toml::table t = parse(old.text);
    EXPECT_FALSE(t["profile"]["dev"]["split-debuginfo"]);
    EXPECT_EQ(t["profile"]["dev"]["debug"].value<std::int64_t>(), 2);
    ASSERT_EQ(old.notes.size(), 1U);
    EXPECT_NE(old.notes[0].find("Rust 1.63.0 has no split-debuginfo"), std::string::npos) << old.notes[0];

    bm::CargoSettings unknown = settings(bm::DebugInfo::split, bm::Lto::off);
    unknown.rust_version.reset();
    EXPECT_FALSE(parse(bm::update_cargo_config("c.toml", "", unknown).text)["profile"]["dev"]["split-debuginfo"]);
    EXPECT_TRUE(parse(bm::update_cargo_config("c.toml", "", settings(bm::DebugInfo::split, bm::Lto::off, "1.65.0")).text)
                    ["profile"]["dev"]["split-debuginfo"]);
}

TEST(BuildmemCargoConfig, KeepsUserKeysAndComments) {
    const std::string user =
        "# project settings\n"
        "[alias]\n"
        "b = \"build --release\"  # short\n"
        "\n"
        "[build]\n"
        "jobs = 16\n"
        "target-dir = \"out\"\n"
        "\n"
        "[profile.release]\n"
        "codegen-units = 1\n"
        "opt-level = \"s\"\n"
        "\n"
        "[env]\n"
        "GREETING = { value = \"größe\", force = true }\n";
    const auto r = bm::update_cargo_config("c.toml", user, settings(bm::DebugInfo::line_tables, bm::Lto::thin));
    EXPECT_TRUE(r.preserved_layout);
    EXPECT_NE(r.text.find("# project settings\n"), std::string::npos);
    EXPECT_NE(r.text.find("b = \"build --release\"  # short\n"), std::string::npos);
    const toml::table t = parse(r.text);
    EXPECT_EQ(t["build"]["jobs"].value<std::int64_t>(), 3);
    EXPECT_EQ(t["build"]["target-dir"].value<std::string>(), "out");
    EXPECT_EQ(t["alias"]["b"].value<std::string>(), "build --release");
    EXPECT_EQ(t["env"]["GREETING"]["value"].value<std::string>(), "größe");
    EXPECT_EQ(t["profile"]["release"]["opt-level"].value<std::string>(), "s");
    // codegen-units is never lowered nor raised; a low value is noted.
    EXPECT_EQ(t["profile"]["release"]["codegen-units"].value<std::int64_t>(), 1);
    ASSERT_FALSE(r.notes.empty());
    EXPECT_NE(r.notes[0].find("codegen-units = 1 is kept"), std::string::npos);
    // Applying the same settings again changes nothing.
    EXPECT_EQ(bm::update_cargo_config("c.toml", r.text, settings(bm::DebugInfo::line_tables, bm::Lto::thin)).text, r.text);
}

TEST(BuildmemCargoConfig, AppendsMissingRustflagsOnly) {
    const std::string user =
        "[target.x86_64-unknown-linux-gnu]\n"
        "rustflags = [\n"
        "  \"-C\", \"target-cpu=native\",  # user's\n"
        "  \"-Clink-arg=-Wl,--no-keep-memory\",\n"
        "]\n";
    bm::CargoSettings s;
    s.target = "x86_64-unknown-linux-gnu";
    s.rustflags = {"-C", "link-arg=-Wl,--no-keep-memory", "-C", "link-arg=-Wl,--reduce-memory-overheads",
                   "-C", "target-cpu=native"};
    const auto r = bm::update_cargo_config("c.toml", user, s);
    EXPECT_TRUE(r.preserved_layout);
    EXPECT_NE(r.text.find("# user's"), std::string::npos);
    const toml::table t = parse(r.text);
    EXPECT_EQ(strings(t["target"]["x86_64-unknown-linux-gnu"]["rustflags"].node()),
              (std::vector<std::string>{"-C", "target-cpu=native", "-Clink-arg=-Wl,--no-keep-memory", "-C",
                                        "link-arg=-Wl,--reduce-memory-overheads"}));
    EXPECT_EQ(bm::update_cargo_config("c.toml", r.text, s).text, r.text);

    // A string value stays a string.
    const auto str = bm::update_cargo_config("c.toml", "[target.x86_64-unknown-linux-gnu]\nrustflags = \"-Copt-level=1\"\n", s);
    EXPECT_EQ(parse(str.text)["target"]["x86_64-unknown-linux-gnu"]["rustflags"].value<std::string>(),
              "-Copt-level=1 -C link-arg=-Wl,--no-keep-memory -C link-arg=-Wl,--reduce-memory-overheads -C target-cpu=native");

    // [build] rustflags would stop applying once the target has its own: carried over.
    const auto carried = bm::update_cargo_config("c.toml", "[build]\nrustflags = [\"--cfg\", \"mine\"]\n", s);
    EXPECT_EQ(strings(parse(carried.text)["target"]["x86_64-unknown-linux-gnu"]["rustflags"].node()).at(1), "mine");
}

TEST(BuildmemCargoConfig, InlineTablesFallBackToTomlLayout) {
    const auto r = bm::update_cargo_config("c.toml", "profile = { dev = { opt-level = 1 } }\n",
                                           settings(bm::DebugInfo::off, bm::Lto::off));
    EXPECT_FALSE(r.preserved_layout);
    const toml::table t = parse(r.text);
    EXPECT_EQ(t["profile"]["dev"]["opt-level"].value<std::int64_t>(), 1);
    EXPECT_EQ(t["profile"]["dev"]["debug"].value<std::int64_t>(), 0);
    EXPECT_EQ(t["build"]["jobs"].value<std::int64_t>(), 3);
}

TEST(BuildmemCargoConfig, ErrorsNameFileLineAndColumn) {
    try {
        (void)bm::update_cargo_config("cfg.toml", "[build]\njobs = 1\n[alias\n", settings(bm::DebugInfo::off, bm::Lto::off));
        ADD_FAILURE() << "invalid TOML accepted";
    } catch (const bm::CargoConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("cfg.toml:3:", 0), 0U) << e.what();
    }
    try {
        (void)bm::update_cargo_config("cfg.toml", "\nbuild = 3\n", settings(bm::DebugInfo::off, bm::Lto::off));
        ADD_FAILURE() << "build = 3 accepted";
    } catch (const bm::CargoConfigError& e) {
        EXPECT_EQ(std::string(e.what()), "cfg.toml:2:9: expected [build] to be a table, found an integer");
    }
    bm::CargoSettings s;
    s.target = "x";
    s.rustflags = {"-Cx"};
    try {
        (void)bm::update_cargo_config("cfg.toml", "[target.x]\nrustflags = [1]\n", s);
        ADD_FAILURE() << "rustflags = [1] accepted";
    } catch (const bm::CargoConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("cfg.toml:2:14: expected target.x.rustflags to hold strings only", 0), 0U)
            << e.what();
    }
}

TEST(BuildmemCargoConfig, WritesOnlyWhenChangedAndLeavesBadFilesAlone) {
    const fs::path dir = fs::temp_directory_path() /
                         ("buildbudget-cargo-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    fs::remove_all(dir);
    const fs::path file = dir / ".cargo" / "config.toml";
    bool written = false;
    (void)bm::write_cargo_config(file.string(), settings(bm::DebugInfo::full, bm::Lto::off), written);
    EXPECT_TRUE(written);
    const std::string first = slurp(file);
    (void)bm::write_cargo_config(file.string(), settings(bm::DebugInfo::full, bm::Lto::off), written);
    EXPECT_FALSE(written);
    EXPECT_EQ(slurp(file), first);

    std::ofstream(file, std::ios::binary) << "[build\n";
    EXPECT_THROW((void)bm::write_cargo_config(file.string(), settings(bm::DebugInfo::full, bm::Lto::off), written),
                 bm::CargoConfigError);
    EXPECT_EQ(slurp(file), "[build\n");
    fs::remove_all(dir);
}
