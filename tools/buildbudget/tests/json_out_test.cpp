// The analysis report's JSON writer (wasm/json_out.hpp): its strings against nlohmann_json's, the
// well-kept reference, on every position of every character that needs escaping, so that the
// eight-bytes-at-a-time scan of plain runs (JsonOut::plain_run()) cannot skip one.
#include "wasm/json_out.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace {

std::string written(const std::string& s) {
    buildbudget::wasm::JsonOut out;
    out.value(s);
    return out.text;
}

std::string reference(const std::string& s) { return nlohmann::json(s).dump(); }

TEST(JsonOut, StringsAreEscapedAsNlohmannJsonEscapesThemAtEveryPosition) {
    // Each needs escaping or stops a plain run: quote, backslash, the control characters (escaped
    // by name or as \u00xx), DEL (plain in JSON), and UTF-8 of two, three and four bytes.
    const std::vector<std::string> specials = {"\"", "\\", "\n", "\t", "\r", "\b", "\f", std::string(1, '\0'), "\x01",
                                               "\x1f", " ", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    for (const std::string& special : specials) {
        for (std::size_t before = 0; before <= 17; ++before) {
            for (std::size_t after : {0, 1, 7, 8, 9}) {
                const std::string s = std::string(before, 'a') + special + std::string(after, 'z');
                EXPECT_EQ(written(s), reference(s)) << "special " << reference(special) << " after " << before << " bytes";
            }
        }
    }
    const std::string two = std::string(5, 'x') + "\"" + std::string(9, 'y') + "\\" + std::string(3, 'w') + "\n";
    EXPECT_EQ(written(two), reference(two));
    EXPECT_EQ(written(""), "\"\"");
}

TEST(JsonOut, AnInvalidUtf8ByteBecomesTheReplacementCharacterAtEveryPosition) {
    for (std::size_t before = 0; before <= 17; ++before) {
        const std::string s = std::string(before, 'a') + "\xff" + "bcdefghij";
        EXPECT_EQ(written(s), "\"" + std::string(before, 'a') + "\xEF\xBF\xBD" + "bcdefghij\"") << before;
    }
}

}  // namespace
