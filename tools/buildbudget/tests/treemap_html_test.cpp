// The treemap page of `buildbudget wasm analyze --html` (report/treemap_html):
// escaping of names that try to end the script element, the embedded JSON
// parsed back (by nlohmann, independently of the writer's escaping), invalid
// UTF-8, determinism, the fallback table's numbers and the page size of a
// large tree. The drawing itself is checked in real Chromium by
// tests/test_wasm_treemap.py.
#include "report/treemap_html.hpp"
#include "wasm/treemap_data.hpp"
#include "common/text.hpp"
#include "page_text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <string>

namespace buildbudget::report {
namespace {

const std::string treemap_data_open = R"(<script type="application/json" id="treemap-data">)";

std::string embedded_treemap_json(const std::string& page) { return test::script_text(page, treemap_data_open); }

TreemapNode leaf(std::string name, std::string kind, std::uint64_t bytes, std::string detail = {}) {
    TreemapNode n;
    n.name = std::move(name);
    n.kind = std::move(kind);
    n.bytes = bytes;
    n.detail = std::move(detail);
    return n;
}

/// A small module: code (three functions and 40 bytes of its own), data (one
/// segment), a custom section without children, and 8 bytes of file header.
TreemapNode sample_tree() {
    TreemapNode code = leaf("code", "section", 12345 + 600 + 15 + 40);
    code.children = {leaf("sqlite3VdbeExec", "function", 12345, "function 7"),
                     leaf("std::vector<int>::push_back(int const&)", "function", 600),
                     leaf("main", "function", 15)};
    TreemapNode data = leaf("data", "section", 1030);
    data.children = {leaf("data[0] .rodata", "data", 1024, "address 1024")};
    TreemapNode root = leaf("app.wasm", "module", 0);
    root.children = {std::move(data), std::move(code), leaf(".debug_info", "custom", 2000)};
    root.bytes = 8 + 1030 + (12345 + 600 + 15 + 40) + 2000;
    return root;
}

/// The JSON node as the header documents it, compared field by field.
void expect_same_tree(const nlohmann::json& j, const TreemapNode& node) {
    SCOPED_TRACE(node.name);
    EXPECT_EQ(j.at("n").get<std::string>(), node.name);
    EXPECT_EQ(j.at("k").get<std::string>(), node.kind);
    EXPECT_EQ(j.at("b").get<std::uint64_t>(), node.bytes);
    EXPECT_EQ(j.contains("d"), !node.detail.empty());
    if (j.contains("d")) {
        EXPECT_EQ(j.at("d").get<std::string>(), node.detail);
    }
    EXPECT_EQ(j.contains("c"), !node.children.empty());
    if (!j.contains("c")) return;
    ASSERT_EQ(j.at("c").size(), node.children.size());
    for (std::size_t i = 0; i < node.children.size(); ++i) expect_same_tree(j.at("c").at(i), node.children[i]);
}

TEST(TreemapHtml, EmbeddedJsonParsesBackToTheTree) {
    const TreemapNode root = sample_tree();
    const std::string page = render_treemap_html("app.wasm", {"raw 16038 bytes"}, root);
    const std::string json = embedded_treemap_json(page);
    ASSERT_FALSE(json.empty()) << page;
    const auto doc = nlohmann::json::parse(json);
    EXPECT_EQ(doc.at("schema"), "buildbudget-treemap/1");
    expect_same_tree(doc.at("root"), root);
    // One object per node: nothing else is in the document.
    EXPECT_EQ(doc.size(), 2U);
}

TEST(TreemapHtml, NamesCannotEndTheScriptElement) {
    const std::string evil = "f</script><script>alert(1)</script><!--<SCRIPT>\xE2\x80\xA8x\xE2\x80\xA9y&amp;";
    TreemapNode root = leaf("m</ScRiPt >", "module", 100);
    root.children = {leaf(evil, "function", 60, evil), leaf("</script", "data", 40, "-->")};
    const std::string page = render_treemap_html("</script><!--", {"</script>", "<!-- x"}, root);
    const std::string low = ascii_lower(page);
    // Exactly the page's own two script elements, and no comment opener anywhere.
    EXPECT_EQ(test::occurrences(low, "<script"), 2U);
    EXPECT_EQ(test::occurrences(low, "</script"), 2U);
    EXPECT_EQ(test::occurrences(page, "<!--"), 0U);
    const std::string json = embedded_treemap_json(page);
    EXPECT_EQ(json.find_first_of("<>&"), std::string::npos) << json;
    // No raw JavaScript line terminators U+2028/U+2029 in the JSON.
    EXPECT_EQ(test::occurrences(json, "\xE2\x80\xA8"), 0U);
    EXPECT_EQ(test::occurrences(json, "\xE2\x80\xA9"), 0U);
    EXPECT_EQ(test::occurrences(json, "\\u2028x\\u2029y"), 2U);  // name and detail
    // ... and the JSON still says the same names, U+2028/2029 included.
    const auto doc = nlohmann::json::parse(json);
    expect_same_tree(doc.at("root"), root);
    // The script element ends where the page's script ends: right before its </script>.
    EXPECT_EQ(page.substr(page.find(treemap_data_open) + treemap_data_open.size() + json.size(), 10), "</script>\n");
}

TEST(TreemapHtml, InvalidUtf8DoesNotThrowAndBecomesReplacementCharacters) {
    // A stray continuation byte, a truncated sequence, an overlong '/', a
    // UTF-16 surrogate and a code point above U+10FFFF.
    const std::string bad = std::string("a\x80") + "b\xC3" + "c\xC0\xAF" + "d\xED\xA0\x80" + "e\xF4\x90\x80\x80" + "f";
    TreemapNode root = leaf(bad, "module", 10);
    root.children = {leaf(bad, "function", 10, bad)};
    std::string page;
    ASSERT_NO_THROW(page = render_treemap_html(bad, {bad}, root));
    // The whole page is valid UTF-8: nlohmann's strict dump throws on anything else.
    EXPECT_NO_THROW((void)nlohmann::json(page).dump());
    const auto doc = nlohmann::json::parse(embedded_treemap_json(page));
    const std::string name = doc.at("root").at("c").at(0).at("n").get<std::string>();
    EXPECT_EQ(name.find('\x80'), std::string::npos);
    EXPECT_EQ(name.front(), 'a');
    EXPECT_EQ(name.back(), 'f');
    for (const char* part : {"b", "c", "d", "e"}) EXPECT_NE(name.find(part), std::string::npos) << name;
    EXPECT_GE(test::occurrences(name, "\xEF\xBF\xBD"), 5U) << name;
    EXPECT_NE(page.find("<title>a\xEF\xBF\xBD" "b"), std::string::npos);
}

TEST(TreemapHtml, TitleAndSummaryAreEscaped) {
    const std::string page =
        render_treemap_html("a<b>&\"c\" 'd'", {"x < y & z > w", "<img src=x onerror=alert(1)>"}, sample_tree());
    const std::string title = "a&lt;b&gt;&amp;&quot;c&quot; &#39;d&#39;";
    EXPECT_NE(page.find("<title>" + title + "</title>"), std::string::npos);
    EXPECT_NE(page.find("<h1>" + title + "</h1>"), std::string::npos);
    EXPECT_NE(page.find("<li>x &lt; y &amp; z &gt; w</li>"), std::string::npos);
    EXPECT_NE(page.find("<li>&lt;img src=x onerror=alert(1)&gt;</li>"), std::string::npos);
    EXPECT_EQ(page.find("<img"), std::string::npos);
}

TEST(TreemapHtml, SelfContainedWithNoExternalResources) {
    const std::string page = render_treemap_html("app.wasm", {}, sample_tree());
    EXPECT_EQ(page.rfind("<!DOCTYPE html>\n", 0), 0U);
    EXPECT_NE(page.find("<meta charset=\"utf-8\">"), std::string::npos);
    EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
    for (const char* ref : {"src=", "href=", "http:", "https:", "url(", "@import", "<link", "<iframe", "fetch("}) {
        EXPECT_EQ(page.find(ref), std::string::npos) << ref;
    }
    // The squarified layout is cited where it is implemented.
    EXPECT_NE(page.find("Squarified"), std::string::npos);
    EXPECT_EQ(page.find("<ul"), std::string::npos);  // no summary lines, no empty list
}

TEST(TreemapHtml, Deterministic) {
    const std::string a = render_treemap_html("app.wasm", {"one", "two"}, sample_tree());
    const std::string b = render_treemap_html("app.wasm", {"one", "two"}, sample_tree());
    EXPECT_EQ(a, b);
    // Any change of the tree shows.
    TreemapNode other = sample_tree();
    other.children[1].children[2].bytes += 1;
    EXPECT_NE(render_treemap_html("app.wasm", {"one", "two"}, other), a);
}

TEST(TreemapHtml, FallbackTableListsTheTopLevelAndTheLargestItems) {
    const std::string page = render_treemap_html("app.wasm", {}, sample_tree());
    const auto table = page.substr(page.find("<details"), page.find("</details>") - page.find("<details"));
    // Total 16038 bytes = 15.66 KiB; code 13000 bytes = 12.7 KiB = 81.06% of the total.
    EXPECT_NE(table.find("Top level of app.wasm: 16,038 bytes (15.66 KiB)"), std::string::npos) << table;
    EXPECT_NE(table.find("<tr><td>code</td><td>section</td><td class=\"n\">13,000 bytes (12.7 KiB)</td>"
                         "<td class=\"n\">81.1%</td></tr>"),
              std::string::npos)
        << table;
    // Largest first: code, .debug_info, data, then the module's own 8 bytes.
    const auto code = table.find("<td>code</td>"), debug = table.find("<td>.debug_info</td>"),
               data = table.find("<td>data</td>"), rest = table.find("<i>rest of app.wasm</i>");
    EXPECT_LT(code, debug);
    EXPECT_LT(debug, data);
    EXPECT_LT(data, rest);
    EXPECT_NE(table.find("<td class=\"n\">8 bytes</td><td class=\"n\">0.0%</td>"), std::string::npos);
    // Leaves with their path, % of the parent (12345 / 13000 = 94.96%) and of the total (76.97%).
    EXPECT_NE(table.find("<tr><td>code \xE2\x80\xBA sqlite3VdbeExec</td><td>function</td>"
                         "<td class=\"n\">12,345 bytes (12.06 KiB)</td><td class=\"n\">95.0%</td>"
                         "<td class=\"n\">77.0%</td></tr>"),
              std::string::npos)
        << table;
    EXPECT_NE(table.find("code \xE2\x80\xBA std::vector&lt;int&gt;::push_back(int const&amp;)"), std::string::npos);
    EXPECT_LT(table.find("sqlite3VdbeExec"), table.find("data[0] .rodata"));
    EXPECT_LT(table.find("data[0] .rodata"), table.find("push_back"));
    // A top-level node without children is not repeated as an item.
    EXPECT_EQ(test::occurrences(table, ".debug_info"), 1U);
}

TEST(TreemapHtml, LargeTreeStaysCompact) {
    // 5000 functions with names of a C++ program's length, in 1 code section.
    TreemapNode code = leaf("code", "section", 0);
    std::uint64_t sum = 0;
    for (int i = 0; i < 5000; ++i) {
        char name[96];
        std::snprintf(name, sizeof name, "ns::Widget%04d::update(std::span<float const>, int)", i);
        const std::uint64_t bytes = 20 + static_cast<std::uint64_t>(i * 7919 % 4000);
        code.children.push_back(leaf(name, "function", bytes));
        sum += bytes;
    }
    code.bytes = sum + 5;
    TreemapNode root = leaf("big.wasm", "module", code.bytes + 8);
    root.children.push_back(std::move(code));
    const std::string page = render_treemap_html("big.wasm", {}, root);
    std::size_t names = 0;
    for (const auto& f : root.children[0].children) names += f.name.size() + 10;  // "<" and ">" become \u003c and \u003e
    const std::size_t per_node = (page.size() - names) / 5002;
    std::printf("[ page size ] 5002 nodes: %zu bytes (%zu of names, %zu bytes per node besides the name)\n",
                page.size(), names, per_node);
    RecordProperty("page_bytes", static_cast<int>(page.size()));
    EXPECT_LT(per_node, 48U);
    // Nothing is written twice: a function that is not among the 25 largest
    // appears in the page once, in the JSON.
    EXPECT_EQ(test::occurrences(page, "ns::Widget0000::"), 1U);
    const auto doc = nlohmann::json::parse(embedded_treemap_json(page));
    EXPECT_EQ(doc.at("root").at("c").at(0).at("c").size(), 5000U);
}

// The code section's groupings (wasm/treemap_data.hpp): one namespace level per
// path component, a level with only one deeper level merged into it, compile
// units, each function's group, the folded functions counted in their groups;
// and the page's JSON "G" / "g" for them.
TEST(TreemapHtml, CodeSectionGroupsByNamespaceAndCompileUnit) {
    wasm::ModuleAnalysis m;
    m.file = "g.wasm";
    wasm::SectionInfo code_section;
    code_section.id = 10;
    code_section.name = "code";
    code_section.bytes = 1000;
    m.sections = {code_section};
    const auto fn = [&](std::string name, std::string group, std::string unit, std::uint64_t bytes) {
        wasm::FunctionInfo f;
        f.index = static_cast<std::uint32_t>(m.functions.size());
        f.name = f.demangled = std::move(name);
        f.group = std::move(group);
        f.compile_unit = std::move(unit);
        f.body_bytes = bytes;
        m.functions.push_back(f);
    };
    fn("img::filter::blur(int)", "img::filter", "a.cpp", 500);
    fn("img::io::load(int)", "img::io", "b.cpp", 200);
    fn("app::detail::Parser::parse(int)", "app::detail::Parser", "a.cpp", 100);
    fn("main", "", "b.cpp", 90);
    fn("img::filter::sharpen(int)", "img::filter", "a.cpp", 5);   // folded
    fn("app::detail::Parser::peek(int)", "app::detail::Parser", "", 4);  // folded
    fn("memset", "", "", 3);  // folded
    wasm::Analysis a;
    a.modules = {m};
    const TreemapNode root = wasm::treemap_tree(a, 4);
    const TreemapNode& code = root.children.at(0);
    ASSERT_EQ(code.children.size(), 5U);  // the 4 largest, then "(3 smaller functions)"
    ASSERT_EQ(code.groupings.size(), 2U);
    const auto& ns = code.groupings[0];
    EXPECT_EQ(ns.kind, "namespace");
    EXPECT_EQ(ns.separator, "::");
    std::vector<std::pair<std::int64_t, std::string>> groups;
    for (const auto& g : ns.groups) groups.emplace_back(g.parent, g.name);
    // "app" and "detail" hold nothing but the next level: one box "app::detail::Parser".
    EXPECT_EQ(groups, (std::vector<std::pair<std::int64_t, std::string>>{
                          {-1, "img"}, {0, "filter"}, {0, "io"}, {-1, "app::detail::Parser"}}));
    EXPECT_EQ(code.children[0].group_of, (std::vector<std::int64_t>{1, 0}));   // blur: img::filter, a.cpp
    EXPECT_EQ(code.children[3].group_of, (std::vector<std::int64_t>{-1, 1}));  // main: global, b.cpp
    EXPECT_TRUE(code.children[4].group_of.empty());                           // the folded ones
    EXPECT_EQ(code.children[4].bytes, 12U);
    EXPECT_EQ((std::vector<std::uint64_t>{ns.groups[1].rest_count, ns.groups[1].rest_bytes, ns.groups[3].rest_count,
                                          ns.groups[3].rest_bytes, ns.rest_count, ns.rest_bytes}),
              (std::vector<std::uint64_t>{1, 5, 1, 4, 1, 3}));
    const auto& units = code.groupings[1];
    EXPECT_EQ(units.kind, "compile unit");
    ASSERT_EQ(units.groups.size(), 2U);
    EXPECT_EQ(units.groups[0].name, "a.cpp");
    EXPECT_EQ((std::vector<std::uint64_t>{units.groups[0].rest_bytes, units.groups[1].rest_bytes, units.rest_bytes}),
              (std::vector<std::uint64_t>{5, 0, 7}));

    const auto doc = nlohmann::json::parse(embedded_treemap_json(render_treemap_html("g.wasm", {}, root)));
    const auto& j = doc.at("root").at("c").at(0);
    EXPECT_EQ(j.at("G").at(0).at("g").at(1), nlohmann::json::parse(R"([0, "filter", 1, 5])"));
    EXPECT_EQ(j.at("G").at(0).at("r"), nlohmann::json::parse("[1, 3]"));
    EXPECT_EQ(j.at("G").at(1).at("k"), "compile unit");
    EXPECT_EQ(j.at("c").at(0).at("g"), nlohmann::json::parse("[1, 0]"));
    EXPECT_FALSE(j.at("c").at(4).contains("g"));
    EXPECT_FALSE(doc.at("root").contains("G"));
}

}  // namespace
}  // namespace buildbudget::report
