// reserve_heap() (common/heap.hpp): after it, large and small allocations come from one region of
// the heap that the kernel has marked for transparent huge pages, read back from /proc/self/smaps.
// That needs a heap nothing has used yet: the test runs itself again, alone, in a process of its
// own, whatever ran before it in this one.
#include "common/heap.hpp"
#include "common/process.hpp"

#include <gtest/gtest.h>

#include <malloc.h>

#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr std::size_t mib = std::size_t{1} << 20;

struct Mapping {
    bool found = false;
    std::string flags;             // VmFlags: "hg" is MADV_HUGEPAGE
    std::uint64_t anon_huge_kb = 0;  // AnonHugePages
};

// The mapping of /proc/self/smaps that holds `address`.
Mapping mapping_of(const void* address) {
    const auto a = reinterpret_cast<std::uintptr_t>(address);
    std::ifstream smaps("/proc/self/smaps");
    Mapping m;
    bool inside = false;
    for (std::string line; std::getline(smaps, line);) {
        std::uint64_t start = 0, end = 0;
        char dash = 0;
        std::istringstream head(line);
        if (head >> std::hex >> start >> dash >> end && dash == '-') {
            if (inside) break;
            inside = a >= start && a < end;
            m.found = inside;
            continue;
        }
        if (!inside) continue;
        if (line.rfind("AnonHugePages:", 0) == 0) m.anon_huge_kb = std::stoull(line.substr(14));
        if (line.rfind("VmFlags:", 0) == 0) m.flags = line.substr(8) + " ";
    }
    return m;
}

std::string thp_mode() {
    std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string text;
    std::getline(in, text);
    const auto open = text.find('['), close = text.find(']');
    return open == std::string::npos || close == std::string::npos ? "" : text.substr(open + 1, close - open - 1);
}

TEST(ReserveHeap, LeavesRequestsBelowTwoHugePagesAlone) { EXPECT_EQ(buildbudget::reserve_heap(3 * mib), 0u); }

// Set in the process that LaterAllocationsComeFromOneRegionAdvisedForHugePages starts.
constexpr const char* fresh_heap_variable = "BUILDBUDGET_TEST_FRESH_HEAP";

TEST(ReserveHeap, LaterAllocationsComeFromOneRegionAdvisedForHugePages) {
    if (!buildbudget::environment_variable(fresh_heap_variable)) {
        // This program again, with this test alone; its output is shown when it fails.
        const ::testing::TestInfo& self = *::testing::UnitTest::GetInstance()->current_test_info();
        const buildbudget::ProcessResult child = buildbudget::run_process(
            {"/proc/" + std::to_string(::getpid()) + "/exe",
             std::string("--gtest_filter=") + self.test_suite_name() + "." + self.name()},
            buildbudget::ChildOutput::capture, {{fresh_heap_variable, "1"}});
        EXPECT_TRUE(child.ok()) << child.describe_end() << "\n" << child.out << child.err;
        EXPECT_NE(child.out.find("[  PASSED  ] 1 test"), std::string::npos) << child.out << child.err;
        return;
    }
    // A malloc other than glibc's (AddressSanitizer's, in the sanitized build) refuses mallopt().
    const bool glibc_malloc = mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1;
    const std::size_t advised = buildbudget::reserve_heap(64 * mib);
    if (!glibc_malloc || thp_mode().empty()) {  // a kernel without transparent huge pages refuses the advice
        EXPECT_EQ(advised, 0u);
        return;
    }
    // 64 MiB, less at most one partial huge page at each end and the one the heap's headers are in.
    ASSERT_GE(advised, 60 * mib);
    ASSERT_LE(advised, 64 * mib);

    // 16 MiB: glibc would map a block this large on its own (above its 128 KiB threshold). Then
    // 100,000 small ones, more than the free lists of this process hold: the last comes from the top.
    auto* const large = static_cast<char*>(std::malloc(16 * mib));
    ASSERT_NE(large, nullptr);
    std::memset(large, 1, 16 * mib);
    std::vector<std::unique_ptr<char[]>> small(100000);
    for (auto& s : small) s = std::make_unique<char[]>(64);
    // The middle of the large block: its first bytes can lie below the first whole huge page.
    const Mapping of_large = mapping_of(large + 8 * mib), of_small = mapping_of(small.back().get());
    ASSERT_TRUE(of_large.found);
    ASSERT_TRUE(of_small.found);
    EXPECT_NE(of_large.flags.find(" hg "), std::string::npos) << of_large.flags;
    EXPECT_NE(of_small.flags.find(" hg "), std::string::npos) << of_small.flags;
    // Written, the 16 MiB are huge pages, unless the kernel's mode is "never".
    if (thp_mode() != "never") {
        EXPECT_GE(of_large.anon_huge_kb, 8 * 1024u);
    }
    // And so is the rest of the region, once written: nothing was written in it before it was
    // advised (a 2 MiB range that already holds a small page is never made a huge one; growing
    // the heap 8 MiB at a time wrote a header every 8 MiB, and a quarter of it stayed small pages).
    // Two more blocks of 16 MiB, after the first and the small ones: of the 54 MiB or more now
    // written, all but a partial huge page at each end and the small ones' first (58 MiB here; 42
    // when the heap was grown 8 MiB at a time).
    auto* const second = static_cast<char*>(std::malloc(16 * mib));
    auto* const third = static_cast<char*>(std::malloc(16 * mib));
    ASSERT_NE(second, nullptr);
    ASSERT_NE(third, nullptr);
    std::memset(second, 2, 16 * mib);
    std::memset(third, 3, 16 * mib);
    if (thp_mode() != "never") {
        const Mapping whole = mapping_of(second + 8 * mib);
        EXPECT_GE(whole.anon_huge_kb, 50 * 1024u);
    }
    std::free(third);
    std::free(second);
    std::free(large);
}

// The value is moved (its source left empty), kept, and never destroyed; under the sanitized build
// LeakSanitizer checks at this process's exit that it is not reported as a leak.
TEST(LeaveToProcessExit, MovesTheValueAndNeverDestroysIt) {
    struct Kept {
        bool* destroyed = nullptr;
        std::vector<int> numbers;
        Kept(bool* d, std::vector<int> n) : destroyed(d), numbers(std::move(n)) {}
        Kept(Kept&& other) noexcept : destroyed(std::exchange(other.destroyed, nullptr)), numbers(std::move(other.numbers)) {}
        Kept(const Kept&) = delete;
        Kept& operator=(const Kept&) = delete;
        Kept& operator=(Kept&&) = delete;
        ~Kept() {
            if (destroyed != nullptr) *destroyed = true;
        }
    };
    static bool destroyed = false;  // static: the kept value points to it for as long as the process lives
    {
        Kept value(&destroyed, std::vector<int>(1000, 7));
        buildbudget::leave_to_process_exit(std::move(value));
        EXPECT_TRUE(value.numbers.empty());  // moved, not copied
        EXPECT_EQ(value.destroyed, nullptr);
    }
    EXPECT_FALSE(destroyed);
    buildbudget::leave_to_process_exit(std::vector<int>(1000, 8));  // a second type, and a second value
    EXPECT_FALSE(destroyed);
}

}  // namespace
