// The job log (buildmem/job_log.hpp): which link jobs are static archive steps, as lowmem_profile()
// runs them through the launcher (CMake's CMAKE_<LANG>_ARCHIVE_CREATE with `ar qc`,
// CMAKE_<LANG>_ARCHIVE_CREATE_IPO with gcc-ar), and the RSS samples over time (RssSamples).
#include "buildmem/job_log.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace bm = buildbudget::buildmem;

TEST(BuildmemJobLog, RustcJobsAreKeyedBySourceAndCargoUnit) {
    // Cargo 1.95's own command lines (cargo build -v --release) for a package's lib and bin: one source each,
    // and outputs that tell the two units apart (the crate name with cargo's extra-filename, in --out-dir).
    const std::string rustc = "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin/rustc";
    const std::vector<std::string> tail{"--error-format=json", "--json=diagnostic-rendered-ansi,artifacts,future-incompat",
                                        "--check-cfg", "cfg(docsrs,test)", "-C", "opt-level=3", "-C", "embed-bitcode=no"};
    std::vector<std::string> lib{rustc, "--crate-name", "rc1", "--edition=2024", "src/lib.rs"};
    lib.insert(lib.end(), tail.begin(), tail.end());
    lib.insert(lib.end(), {"--crate-type", "lib", "--emit=dep-info,metadata,link", "-C", "metadata=711ac4a1a8c24d8b",
                           "-C", "extra-filename=-402101dc14d30693", "--out-dir", "/tmp/rc1/target/release/deps", "-L",
                           "dependency=/tmp/rc1/target/release/deps"});
    std::vector<std::string> bin{rustc, "--crate-name", "tool", "--edition=2024", "src/bin/tool.rs"};
    bin.insert(bin.end(), tail.begin(), tail.end());
    bin.insert(bin.end(), {"--crate-type", "bin", "-Cextra-filename=-f3f7aa6fe952862c", "--out-dir",
                           "/tmp/rc1/target/release/deps", "--extern",
                           "rc1=/tmp/rc1/target/release/deps/librc1-402101dc14d30693.rlib"});
    const bm::CommandFiles l = bm::command_files(lib, false);
    EXPECT_EQ(l.source, std::optional<std::string>("src/lib.rs"));
    EXPECT_EQ(l.output, std::optional<std::string>("/tmp/rc1/target/release/deps/rc1-402101dc14d30693"));
    const bm::CommandFiles b = bm::command_files(bin, false);
    EXPECT_EQ(b.source, std::optional<std::string>("src/bin/tool.rs"));
    EXPECT_EQ(b.output, std::optional<std::string>("/tmp/rc1/target/release/deps/tool-f3f7aa6fe952862c"));
    // -o names the output itself (rustc main.rs -o app), and Debian's versioned rustc is rustc too.
    const bm::CommandFiles o = bm::command_files({"rustc-1.63", "-C", "opt-level=2", "main.rs", "-o", "app"}, false);
    EXPECT_EQ(o.source, std::optional<std::string>("main.rs"));
    EXPECT_EQ(o.output, std::optional<std::string>("app"));
    EXPECT_TRUE(bm::is_rustc_command(lib));
    EXPECT_TRUE(bm::is_rustc_command({"ccache", "rustc-1.63", "main.rs"}));
    EXPECT_FALSE(bm::is_rustc_command({"/usr/bin/g++", "-c", "main.rs"}));
}

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

// --- the RSS samples over time (JobRecord::samples, RssSamples) ------------------------------------

namespace {

bm::JobRecord timed_record() {
    bm::JobRecord r;
    r.kind = "compile";
    r.source = "a.cpp";
    r.output = "a.o";
    r.command = {"g++", "-c", "a.cpp", "-o", "a.o"};
    r.start_ms = 1700000000000;
    r.end_ms = 1700000000800;
    r.peak_rss = 300;
    return r;
}

/// What record_from_json() says about `line`, or "no error".
std::string job_record_error(const std::string& line) {
    try {
        (void)bm::record_from_json(line, "jobs.jsonl", 7);
    } catch (const bm::JobLogError& e) {
        return e.what();
    }
    return "no error";
}

/// timed_record() as a line with its "samples" spelled `samples`.
std::string with_samples(const std::string& samples) {
    std::string line = bm::record_to_json(timed_record());
    const std::size_t at = line.find("\"samples\":[]");
    EXPECT_NE(at, std::string::npos) << line;
    return line.replace(at, 12, "\"samples\":" + samples);
}

}  // namespace

TEST(BuildmemJobLog, SamplesRoundTripAtTheEndOfTheLine) {
    bm::JobRecord r = timed_record();
    r.samples = {{0, 10}, {10, 120}, {250, 300}, {800, 40}};
    const std::string line = bm::record_to_json(r);
    // The other fields keep their place; the samples come last, as [ms, bytes] pairs.
    EXPECT_NE(line.find("\"oom_kills\":0,\"samples\":[[0,10],[10,120],[250,300],[800,40]]}"), std::string::npos) << line;
    const bm::JobRecord back = bm::record_from_json(line, "jobs.jsonl", 1);
    EXPECT_EQ(back.samples, r.samples);
    EXPECT_EQ(back.peak_rss, 300U);
    // A record without samples is written with an empty list; one of an older launcher, without the field, reads empty.
    EXPECT_NE(bm::record_to_json(timed_record()).find(",\"samples\":[]}"), std::string::npos);
    std::string old = bm::record_to_json(timed_record());
    old.erase(old.find(",\"samples\":[]"), 13);
    EXPECT_EQ(old.find("samples"), std::string::npos);
    EXPECT_TRUE(bm::record_from_json(old, "jobs.jsonl", 1).samples.empty());
}

TEST(BuildmemJobLog, BadSamplesAreNamedByFileLineAndIndex) {
    EXPECT_EQ(job_record_error(with_samples("[[0,10]]")), "no error");
    EXPECT_EQ(job_record_error(with_samples("{}")),
              "jobs.jsonl:7: \"samples\" must be an array (expected [ms since start_ms, RSS bytes] pairs of "
              "non-negative integers), got {}");
    const std::string pair = " must be a pair [ms, bytes] (expected [ms since start_ms, RSS bytes] pairs of non-negative integers), got ";
    EXPECT_EQ(job_record_error(with_samples("[[0,10],5]")), "jobs.jsonl:7: \"samples\"[1]" + pair + "5");
    EXPECT_EQ(job_record_error(with_samples("[[0,10,3]]")), "jobs.jsonl:7: \"samples\"[0]" + pair + "[0,10,3]");
    EXPECT_EQ(job_record_error(with_samples("[[-1,10]]")), "jobs.jsonl:7: \"samples\"[0]" + pair + "[-1,10]");
    EXPECT_EQ(job_record_error(with_samples("[[0,\"10\"]]")), "jobs.jsonl:7: \"samples\"[0]" + pair + "[0,\"10\"]");
    EXPECT_EQ(job_record_error(with_samples("[[0,1.5]]")), "jobs.jsonl:7: \"samples\"[0]" + pair + "[0,1.5]");
    EXPECT_EQ(job_record_error(with_samples("[[10,1],[10,2]]")),
              "jobs.jsonl:7: \"samples\"[1]: 10 ms is not after the sample before it (10 ms); samples are in increasing time");
    EXPECT_EQ(job_record_error(with_samples("[[20,1],[10,2]]")),
              "jobs.jsonl:7: \"samples\"[1]: 10 ms is not after the sample before it (20 ms); samples are in increasing time");
    EXPECT_EQ(job_record_error(with_samples("[[0,1],[801,2]]")),
              "jobs.jsonl:7: \"samples\"[1]: 801 ms is after the job's end (end_ms - start_ms = 800 ms)");
    EXPECT_EQ(job_record_error(with_samples("[[0,301]]")), "jobs.jsonl:7: \"samples\"[0]: 301 bytes is above \"peak_rss\" 300");
}

TEST(BuildmemJobLog, RssSamplesKeepEveryPollUntilTheBound) {
    bm::RssSamples s;
    EXPECT_EQ(s.slot_ms(), bm::first_rss_slot_ms);
    for (std::int64_t ms = 0; ms < 640; ms += 10) s.add(ms, 1000 + static_cast<std::uint64_t>(ms));
    ASSERT_EQ(s.samples().size(), bm::max_rss_samples);
    EXPECT_EQ(s.slot_ms(), 10);
    EXPECT_EQ(s.samples().front(), (bm::RssSamples::Sample{0, 1000}));
    EXPECT_EQ(s.samples().back(), (bm::RssSamples::Sample{630, 1630}));
    // Two polls in one slot: the slot keeps the higher, with its time; a lower one changes nothing.
    bm::RssSamples t;
    t.add(0, 5);
    t.add(3, 9);
    t.add(7, 4);
    t.add(12, 1);
    EXPECT_EQ(t.samples(), (std::vector<bm::RssSamples::Sample>{{3, 9}, {12, 1}}));
}

TEST(BuildmemJobLog, RssSamplesHalveWhenFullAndKeepThePeakAndTheSpan) {
    // A 10-minute job polled as the launcher does: every 10 ms for 0.5 s, then every 50 ms; one short
    // spike at 123.45 s, and a value that falls over time elsewhere (so a spike that is not the last
    // of its slot must be kept by being the slot's highest).
    bm::RssSamples s;
    std::size_t most = 0;
    std::int64_t ms = 0;
    const std::int64_t end = 600000;
    while (ms <= end) {
        const std::uint64_t rss = ms == 123450 ? 999999 : 500000 - static_cast<std::uint64_t>(ms / 2);
        s.add(ms, rss);
        most = std::max(most, s.samples().size());
        ms += ms < 500 ? 10 : 50;
    }
    EXPECT_LE(most, bm::max_rss_samples);
    const auto& samples = s.samples();
    EXPECT_GE(samples.size(), bm::max_rss_samples / 2);
    // Slots of 10 ms x 2^k between T/64 and T/32: 10.24 s for 600 s.
    EXPECT_EQ(s.slot_ms(), 10240);
    EXPECT_EQ(samples.front().first, 0);  // the falling value: each slot's highest is its first
    EXPECT_GE(samples.back().first, end - s.slot_ms());
    EXPECT_NE(std::find(samples.begin(), samples.end(), bm::RssSamples::Sample{123450, 999999}), samples.end());
    for (std::size_t i = 1; i < samples.size(); ++i) {
        EXPECT_LT(samples[i - 1].first, samples[i].first);
        // At most one sample per slot (the same slot would have merged them).
        EXPECT_NE(samples[i - 1].first / s.slot_ms(), samples[i].first / s.slot_ms());
    }
    // Times never go back: an earlier time is taken as the previous sample's.
    bm::RssSamples back;
    back.add(50, 1);
    back.add(40, 7);
    EXPECT_EQ(back.samples(), (std::vector<bm::RssSamples::Sample>{{50, 7}}));
}
