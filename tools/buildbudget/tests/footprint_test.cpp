// The footprint checks on artifacts built in memory: contributors and the deny list.
#include "footprint/check.hpp"

#include <gtest/gtest.h>

namespace buildbudget::footprint {
namespace {

Artifact archive(const std::string& path, std::vector<ObjectFile> objects) {
    Artifact a;
    a.path = path;
    a.kind = ArtifactKind::static_library;
    a.objects = std::move(objects);
    return a;
}

TEST(Contributors, LargestSymbolsAcrossArtifactsDemangledWithTheirObject) {
    ObjectFile ring{"ring.o", {0, 0, 0, 3000}, {{"rx", 2000, SymbolKind::bss}, {"tx", 1000, SymbolKind::bss}}, {}, {}};
    ObjectFile stats{"stats.o", {0, 0, 500, 0}, {{"_ZN3net5statsE", 500, SymbolKind::data}}, {}, {}};
    ObjectFile big{"big.o", {0, 0, 0, 2500}, {{"pool", 2500, SymbolKind::bss}}, {}, {}};
    const auto top = largest_contributors({archive("/b/libnet.a", {ring, stats}), archive("libx.a", {big})}, 3);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[0].symbol, "pool");
    EXPECT_EQ(top[0].object, "libx.a(big.o)");
    EXPECT_EQ(top[1].symbol, "rx");
    EXPECT_EQ(top[1].object, "libnet.a(ring.o)");
    EXPECT_EQ(top[2].symbol, "tx");
    const auto all = largest_contributors({archive("libnet.a", {ring, stats})}, 10);
    EXPECT_EQ(all.back().symbol, "net::stats");
}

TEST(Contributors, WholeObjectsWhenThereAreNoSymbols) {
    ObjectFile a{"a.o", {0, 0, 10, 20}, {}, {}, {}};
    ObjectFile b{"b.o", {0, 0, 100, 0}, {}, {}, {}};
    const auto top = largest_contributors({archive("lib.a", {a, b})}, 3);
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].object, "lib.a(b.o)");
    EXPECT_EQ(top[0].symbol, "");
    EXPECT_EQ(top[0].bytes, 100u);
}

TEST(DenyList, CoversTheHeapInEveryMangledFormAndExceptions) {
    const auto list = default_deny_list();
    const auto has = [&](const std::string& p, const std::string& group) {
        for (const auto& d : list) {
            if (d.pattern == p) return d.group == group;
        }
        return false;
    };
    for (const char* s : {"malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc", "_Znw*", "_Zna*",
                          "_Zdl*", "_Zda*"}) {
        EXPECT_TRUE(has(s, "heap")) << s;
    }
    EXPECT_TRUE(has("__cxa_throw", "exceptions"));
    EXPECT_TRUE(has("__cxa_allocate_exception", "exceptions"));
}

TEST(Demangle, ItaniumNamesAndPlainOnes) {
    EXPECT_EQ(demangle("_Znwm"), "operator new(unsigned long)");
    EXPECT_EQ(demangle("_ZdlPvmSt11align_val_t"), "operator delete(void*, unsigned long, std::align_val_t)");
    EXPECT_EQ(demangle("malloc"), "malloc");
    EXPECT_EQ(demangle("_Znot_mangled_at_all!"), "_Znot_mangled_at_all!");
}

TEST(SectionSizes, StaticRamIsDataPlusBss) {
    SectionSizes s{100, 200, 30, 40};
    EXPECT_EQ(s.static_ram(), 70u);
    s += SectionSizes{1, 2, 3, 4};
    EXPECT_EQ(s.text, 101u);
    EXPECT_EQ(s.static_ram(), 77u);
}

}  // namespace
}  // namespace buildbudget::footprint
