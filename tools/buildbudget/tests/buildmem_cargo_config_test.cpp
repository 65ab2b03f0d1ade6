// The Cargo configuration writer (doc/lowmem.md, "Cargo"): the resulting file is
// read back with toml++ as data, and its text is checked for what must
// survive (the user's comments and keys).
#include "buildmem/cargo_config.hpp"

#include "temp_dir.hpp"

#include <toml++/toml.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace fs = std::filesystem;
namespace bm = buildbudget::buildmem;

namespace {

using buildbudget::test::slurp;

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

// --- the linker rustc runs (doc/lowmem.md, "Cargo") ----------------------------------------
// The outputs below are what rustc printed on this machine for the probe link
// (`--print link-args -C link-arg=-Wl,-v -C link-arg=-lbuildbudget_linker_probe_missing`),
// shortened: rlibs and object files left out.

namespace {

const char* const rustc_195_link_args =
    "LC_ALL=\"C\" PATH=\"/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/rustlib/x86_64-unknown-linux-gnu/"
    "bin:/usr/bin:/bin\" VSLANG=\"1033\" \"cc\" \"-m64\" \"/tmp/rustcAlfwdE/symbols.o\" \"-Wl,--as-needed\" "
    "\"-Wl,-Bstatic\" \"-B/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/rustlib/x86_64-unknown-linux-gnu/"
    "bin/gcc-ld\" \"-fuse-ld=lld\" \"-Wl,--eh-frame-hdr\" \"-o\" \"probe\" \"-Wl,-v\" "
    "\"-lbuildbudget_linker_probe_missing\"\n";
const char* const rustc_195_output =
    "error: linking with `cc` failed: exit status: 1\n"
    "  |\n"
    "  = note: some arguments are omitted. use `--verbose` to show all linker arguments\n"
    "  = note: rust-lld: error: unable to find library -lbuildbudget_linker_probe_missing\n"
    "          collect2: error: ld returned 1 exit status\n"
    "          LLD 22.1.2 (/checkout/src/llvm-project/llvm 1cb4e3833c1919c2e6fb579a23ac0e2b22587b7e) (compatible with "
    "GNU linkers)\n"
    "\n"
    "error: aborting due to 1 previous error\n";
const char* const rustc_163_link_args =
    "\"cc\" \"-m64\" \"/tmp/rustcDWaoZi/symbols.o\" \"-Wl,--as-needed\" \"-L\" "
    "\"/usr/lib/rustlib/x86_64-unknown-linux-gnu/lib\" \"-Wl,--start-group\" \"-o\" \"probe\" \"-Wl,-v\" "
    "\"-lbuildbudget_linker_probe_missing\"\n";
const char* const rustc_163_output =
    "error: linking with `cc` failed: exit status: 1\n"
    "  |\n"
    "  = note: \"cc\" \"-m64\" \"-Wl,-v\"\n"
    "  = note: /usr/bin/ld: cannot find -lbuildbudget_linker_probe_missing: No such file or directory\n"
    "          collect2: error: ld returned 1 exit status\n"
    "          GNU ld (GNU Binutils for Debian) 2.40\n"
    "\n"
    "error: aborting due to previous error\n";

}  // namespace

TEST(BuildmemRustLinker, Rust195LinksWithItsOwnLldThroughCc) {
    const bm::RustLinker l = bm::identify_rust_linker("x86_64-unknown-linux-gnu", rustc_195_link_args, rustc_195_output);
    EXPECT_EQ(l.kind, bm::RustLinkerKind::lld);
    EXPECT_TRUE(l.through_cc);
    EXPECT_TRUE(l.self_contained);
    EXPECT_EQ(l.program, "cc");
    EXPECT_EQ(l.version, "LLD 22.1.2");
    EXPECT_EQ(l.describe(), "rust-lld (LLD 22.1.2, the Rust toolchain's own) through cc");
    EXPECT_EQ(bm::linker_memory_rustflags(l, 3), (std::vector<std::string>{"-C", "link-arg=-Wl,--threads=3"}));
}

TEST(BuildmemRustLinker, Rust163LinksWithGnuLdThroughCc) {
    const bm::RustLinker l = bm::identify_rust_linker("x86_64-unknown-linux-gnu", rustc_163_link_args, rustc_163_output);
    EXPECT_EQ(l.kind, bm::RustLinkerKind::bfd);
    EXPECT_FALSE(l.self_contained);
    EXPECT_EQ(l.version, "GNU ld (GNU Binutils for Debian) 2.40");
    EXPECT_EQ(l.describe(), "GNU ld (GNU Binutils for Debian) 2.40 through cc");
    EXPECT_EQ(bm::linker_memory_rustflags(l, 3),
              (std::vector<std::string>{"-C", "link-arg=-Wl,--no-keep-memory", "-C", "link-arg=-Wl,--reduce-memory-overheads"}));
}

TEST(BuildmemRustLinker, GoldMoldAndDirectLinkers) {
    const bm::RustLinker gold = bm::identify_rust_linker(
        "t", "\"cc\" \"-Wl,--as-needed\" \"-fuse-ld=gold\"\n",
        "  = note: /usr/bin/ld.gold: error: cannot find -lbuildbudget_linker_probe_missing\n"
        "          GNU gold (GNU Binutils for Debian 2.40) 1.16\n");
    EXPECT_EQ(gold.kind, bm::RustLinkerKind::gold);
    EXPECT_EQ(bm::linker_memory_rustflags(gold, 2),
              (std::vector<std::string>{"-C", "link-arg=-Wl,--no-map-whole-files", "-C", "link-arg=-Wl,--no-keep-files-mapped"}));
    const bm::RustLinker mold = bm::identify_rust_linker(
        "t", "\"clang\" \"-Wl,--as-needed\" \"-fuse-ld=mold\"\n",
        "  = note: mold: fatal: library not found: buildbudget_linker_probe_missing\n"
        "          clang: error: linker command failed with exit code 1 (use -v to see invocation)\n"
        "          mold 1.10.1 (compatible with GNU ld)\n");
    EXPECT_EQ(mold.kind, bm::RustLinkerKind::mold);
    EXPECT_EQ(mold.program, "clang");
    EXPECT_EQ(bm::linker_memory_rustflags(mold, 2), (std::vector<std::string>{"-C", "link-arg=-Wl,--thread-count=2"}));
    // wasm32: rustc runs rust-lld itself (-flavor wasm); wasm-ld stops after -v, so no version line:
    // the program's name decides, and the flag goes to the linker as is.
    const bm::RustLinker wasm =
        bm::identify_rust_linker("wasm32-wasi",
                                 "\"rust-lld\" \"-flavor\" \"wasm\" \"--export\" \"main\" \"-Wl,-v\" "
                                 "\"-lbuildbudget_linker_probe_missing\"\n",
                                 "  = note: rust-lld: error: unknown argument: -Wl,-v\n");
    EXPECT_EQ(wasm.kind, bm::RustLinkerKind::lld);
    EXPECT_FALSE(wasm.through_cc);
    EXPECT_TRUE(wasm.self_contained);
    EXPECT_EQ(bm::linker_memory_rustflags(wasm, 2), (std::vector<std::string>{"-C", "link-arg=--threads=2"}));
    // Without a version line, cc's -fuse-ld decides.
    EXPECT_EQ(bm::identify_rust_linker("t", "\"cc\" \"-Wl,--as-needed\" \"-fuse-ld=bfd\"\n", "").kind, bm::RustLinkerKind::bfd);
}

TEST(BuildmemRustLinker, UnknownLinkersGetNoFlags) {
    const bm::RustLinker none = bm::identify_rust_linker(
        "aarch64-unknown-linux-gnu", "",
        "error[E0463]: can't find crate for `std`\n  |\n  = note: the `aarch64-unknown-linux-gnu` target may not be installed\n");
    EXPECT_EQ(none.kind, bm::RustLinkerKind::unknown);
    EXPECT_EQ(none.problem, "rustc did not get as far as linking: error[E0463]: can't find crate for `std`");
    EXPECT_TRUE(bm::linker_memory_rustflags(none, 2).empty());
    const bm::RustLinker odd = bm::identify_rust_linker("t", "\"my-linker\" \"-Wl,--as-needed\"\n", "my-linker 1.0\n");
    EXPECT_EQ(odd.kind, bm::RustLinkerKind::unknown);
    EXPECT_NE(odd.problem.find("rustc runs my-linker"), std::string::npos) << odd.problem;
}

TEST(BuildmemRustLinker, MemoryFlagsOfAnotherLinkerAreReplaced) {
    // What the helper wrote before it asked rustc, under rust-lld (which rejects --reduce-memory-overheads).
    const std::string user =
        "[target.x86_64-unknown-linux-gnu]\n"
        "rustflags = [\"--cfg\", \"mine\", \"-C\", \"link-arg=-Wl,--no-keep-memory\", \"-C\", "
        "\"link-arg=-Wl,--reduce-memory-overheads\", \"-Clink-arg=-Wl,--threads=8\"]\n";
    bm::CargoSettings s;
    s.target_rustflags.emplace_back("x86_64-unknown-linux-gnu", std::vector<std::string>{"-C", "link-arg=-Wl,--threads=2"});
    const auto r = bm::update_cargo_config("c.toml", user, s);
    EXPECT_EQ(strings(parse(r.text)["target"]["x86_64-unknown-linux-gnu"]["rustflags"].node()),
              (std::vector<std::string>{"--cfg", "mine", "-C", "link-arg=-Wl,--threads=2"}));
    ASSERT_EQ(r.notes.size(), 1U);
    EXPECT_EQ(r.notes[0],
              "[target.x86_64-unknown-linux-gnu] rustflags: removed -C link-arg=-Wl,--no-keep-memory -C "
              "link-arg=-Wl,--reduce-memory-overheads -Clink-arg=-Wl,--threads=8 (memory flags for another linker or "
              "thread count than the one rustc uses now)");
    EXPECT_EQ(bm::update_cargo_config("c.toml", r.text, s).text, r.text);
    // Two targets, each with its own linker's flags.
    s.target_rustflags.emplace_back("wasm32-wasi", std::vector<std::string>{"-C", "link-arg=--threads=2"});
    const toml::table two = parse(bm::update_cargo_config("c.toml", "", s).text);
    EXPECT_EQ(strings(two["target"]["wasm32-wasi"]["rustflags"].node()),
              (std::vector<std::string>{"-C", "link-arg=--threads=2"}));
}

TEST(BuildmemRustLinker, CargoInputsInCargosOrder) {
    const std::string text =
        "[build]\nrustflags = [\"--cfg\", \"from_build\"]\ntarget = [\"wasm32-wasi\", \"x86_64-unknown-linux-gnu\"]\n"
        "[target.x86_64-unknown-linux-gnu]\nlinker = \"tools/cc-wrapper\"\n"
        "rustflags = [\"-C\", \"link-arg=-fuse-ld=mold\", \"-C\", \"link-arg=-Wl,--reduce-memory-overheads\"]\n";
    std::map<std::string, std::string> vars;
    const auto env = [&](const std::string& name) { return vars.count(name) ? vars[name] : std::string(); };
    const std::string file = "/p/.cargo/config.toml";
    auto in = bm::cargo_target_inputs(file, text, "x86_64-unknown-linux-gnu", env);
    // The stale memory flag is left out; the linker is relative to the directory holding .cargo.
    EXPECT_EQ(in.flags, (std::vector<std::string>{"-C", "link-arg=-fuse-ld=mold", "-C", "linker=/p/tools/cc-wrapper"}));
    EXPECT_TRUE(in.notes.empty());
    // A target without its own rustflags gets [build] rustflags.
    EXPECT_EQ(bm::cargo_target_inputs(file, text, "wasm32-wasi", env).flags,
              (std::vector<std::string>{"--cfg", "from_build"}));
    vars["RUSTFLAGS"] = "-C link-arg=-fuse-ld=gold";
    vars["CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER"] = "clang";
    in = bm::cargo_target_inputs(file, text, "x86_64-unknown-linux-gnu", env);
    EXPECT_EQ(in.flags, (std::vector<std::string>{"-C", "link-arg=-fuse-ld=gold", "-C", "linker=clang"}));
    ASSERT_EQ(in.notes.size(), 1U);
    EXPECT_EQ(in.notes[0].rfind("RUSTFLAGS is set: cargo uses it instead of [target.x86_64-unknown-linux-gnu] rustflags", 0),
              0U);
    vars["CARGO_ENCODED_RUSTFLAGS"] = std::string("-C\x1f") + "link-arg=-fuse-ld=bfd";
    EXPECT_EQ(bm::cargo_target_inputs(file, text, "x86_64-unknown-linux-gnu", env).flags,
              (std::vector<std::string>{"-C", "link-arg=-fuse-ld=bfd", "-C", "linker=clang"}));
    vars["CARGO_BUILD_TARGET"] = "x86_64-unknown-linux-musl";
    EXPECT_EQ(bm::cargo_build_targets(file, text, env),
              (std::vector<std::string>{"wasm32-wasi", "x86_64-unknown-linux-gnu", "x86_64-unknown-linux-musl"}));
    EXPECT_THROW((void)bm::cargo_build_targets(file, "[build]\ntarget = 3\n", env), bm::CargoConfigError);
}
