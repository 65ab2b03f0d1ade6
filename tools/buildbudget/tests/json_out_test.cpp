// The analysis report's JSON writer (wasm/json_out.hpp): its strings against nlohmann_json's, the
// well-kept reference, on every position of every character that needs escaping, so that the
// sixteen- and eight-bytes-at-a-time scans of plain runs (JsonOut::plain_run()) cannot skip one;
// keys given as literals against the same given as strings; and the elements written on two
// threads (JsonOut::elements()) against the same written on one.
#include "wasm/json_out.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <sstream>
#include <stdexcept>
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
        for (std::size_t before = 0; before <= 33; ++before) {
            for (std::size_t after : {0, 1, 7, 8, 9, 15, 16, 17}) {
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
    for (std::size_t before = 0; before <= 33; ++before) {
        const std::string s = std::string(before, 'a') + "\xff" + "bcdefghij";
        EXPECT_EQ(written(s), "\"" + std::string(before, 'a') + "\xEF\xBF\xBD" + "bcdefghij\"") << before;
    }
}


using buildbudget::wasm::JsonOut;

// inline_numbers() writes what begin_array(true), element() and value() for each number, and
// end_array() write: empty, one, and more than one append's worth (500 numbers of 10 digits), as a
// member of an inline object and as an element of an array.
TEST(JsonOut, InlineNumbersAreTheArrayWrittenElementByElement) {
    std::vector<std::uint32_t> many(500);
    for (std::size_t i = 0; i < many.size(); ++i) many[i] = 4000000000U + static_cast<std::uint32_t>(i);
    const std::vector<std::vector<std::uint32_t>> arrays = {{}, {7}, {0, 1, 4294967295U}, many};
    const auto document = [&arrays](bool batched) {
        JsonOut out;
        out.begin_array();
        for (const auto& numbers : arrays) {
            out.begin_object(true);
            out.member("before", std::uint64_t{1});
            out.key("numbers");
            if (batched) {
                out.inline_numbers(numbers.data(), numbers.data() + numbers.size());
            } else {
                out.begin_array(true);
                for (const std::uint32_t n : numbers) {
                    out.element();
                    out.value(n);
                }
                out.end_array();
            }
            out.member("after", std::uint64_t{2});
            out.end_object();
            if (batched) {
                out.inline_numbers(numbers.data(), numbers.data() + numbers.size());
            } else {
                out.begin_array(true);
                for (const std::uint32_t n : numbers) out.value(n);
                out.end_array();
            }
        }
        out.end_array();
        return out.text;
    };
    const std::string text = document(true);
    EXPECT_EQ(text, document(false));
    const nlohmann::json parsed = nlohmann::json::parse(text);
    ASSERT_EQ(parsed.size(), 8U);
    EXPECT_EQ(parsed[6]["numbers"].get<std::vector<std::uint32_t>>(), many);
    EXPECT_EQ(parsed[1], nlohmann::json::array());
}

// key("literal") writes a separator, the key and the colon in one piece where it can (an inline
// object), and member("literal", v) a number or a plain string with them: the same text as
// key(std::string_view), first member or not, inline or on lines of their own, nested in an array
// too, for every kind of value.
TEST(JsonOut, LiteralKeysAreWrittenAsTheSameKeysGivenAsStrings) {
    const std::string long_text(300, 'n');
    const auto document = [](bool literal) {
        const std::string alpha = "alpha", inner = "inner", x = "x", y = "y", list = "list", k = "k";
        JsonOut out;
        out.begin_object();
        literal ? out.key("alpha") : out.key(alpha);
        out.value(std::uint64_t{1});
        literal ? out.key("inner") : out.key(inner);
        out.begin_object(true);
        literal ? out.member("x", std::uint64_t{2}) : out.member(x, std::uint64_t{2});
        literal ? out.member("y", "z") : out.member(y, "z");
        out.end_object();
        // Members of every kind member() writes in one piece, or not: numbers, a plain string, one
        // to escape, one too long for a piece, an optional with and without a value, null.
        const std::string quote = "say \"hi\"", long_name(300, 'n'), kinds = "kinds";
        literal ? out.key("kinds") : out.key(kinds);
        out.begin_object(true);
        const std::string u64 = "u64", u32 = "u32", plain = "plain", escaped = "escaped", longer = "long",
                          some = "some", none = "none", null = "null";
        literal ? out.member("u64", std::uint64_t{18446744073709551615ULL}) : out.member(u64, std::uint64_t{18446744073709551615ULL});
        literal ? out.member("u32", std::uint32_t{7}) : out.member(u32, std::uint32_t{7});
        literal ? out.member("plain", std::string("abc")) : out.member(plain, std::string("abc"));
        literal ? out.member("escaped", quote) : out.member(escaped, quote);
        literal ? out.member("long", long_name) : out.member(longer, long_name);
        literal ? out.member("some", std::optional<std::string_view>("x")) : out.member(some, std::optional<std::string_view>("x"));
        literal ? out.member("none", std::optional<std::uint64_t>()) : out.member(none, std::optional<std::uint64_t>());
        literal ? out.member("null", nullptr) : out.member(null, nullptr);
        out.end_object();
        literal ? out.member("outside", std::uint64_t{3}) : out.member(std::string("outside"), std::uint64_t{3});
        literal ? out.key("list") : out.key(list);
        out.begin_array();
        for (std::uint64_t i = 0; i < 2; ++i) {
            out.begin_object(true);
            literal ? out.member("k", i) : out.member(k, i);
            out.end_object();
        }
        out.end_array();
        out.end_object();
        return out.text;
    };
    const std::string text = document(true);
    EXPECT_EQ(text, document(false));
    nlohmann::json expected = nlohmann::json::parse(R"({"alpha": 1, "inner": {"x": 2, "y": "z"}, "outside": 3,
                                                         "list": [{"k": 0}, {"k": 1}]})");
    expected["kinds"] = {{"u64", 18446744073709551615ULL}, {"u32", 7},           {"plain", "abc"},
                         {"escaped", "say \"hi\""},       {"long", long_text}, {"some", "x"},
                         {"none", nullptr},                {"null", nullptr}};
    EXPECT_EQ(nlohmann::json::parse(text), expected);
    EXPECT_NE(text.find("{\"x\": 2, \"y\": \"z\"}"), std::string::npos) << text;
}

// One element of the arrays below: an inline object with a nested inline array, and every
// fifth one a string that needs escaping.
void write_element(JsonOut& out, std::size_t i) {
    out.begin_object(true);
    out.member("index", std::uint64_t{i});
    out.member("name", i % 5 == 0 ? "quote \" " + std::to_string(i) : "f" + std::to_string(i));
    out.key("callees");
    out.begin_array(true);
    for (std::size_t k = 0; k < i % 4; ++k) {
        out.element();
        out.value(std::uint64_t{i + k});
    }
    out.end_array();
    out.end_object();
}

// A document with `before` elements written one by one, then `count` through elements()
// (or, with `one_thread`, one by one too), then one more; into `sink`, or kept in `text`.
std::string document(std::size_t before, std::size_t count, bool one_thread, bool to_sink) {
    std::ostringstream sink;
    JsonOut out;
    if (to_sink) out.sink = &sink;
    out.begin_object();
    out.member("schema", "test");
    out.key("elements");
    out.begin_array();
    for (std::size_t i = 0; i < before; ++i) write_element(out, i);
    if (one_thread) {
        for (std::size_t i = 0; i < count; ++i) write_element(out, before + i);
    } else {
        out.elements(count, [before](JsonOut& w, std::size_t i) { write_element(w, before + i); });
    }
    write_element(out, before + count);
    out.end_array();
    out.member("after", true);
    out.end_object();
    out.flush();
    return to_sink ? sink.str() : out.text;
}

// From JsonOut::parallel_elements elements on, two threads write runs of them; the text is the
// one a single thread writes, byte for byte: the commas, line breaks and indentation at the
// joins of runs, after elements written before, into a sink or kept.
TEST(JsonOut, ElementsOnTwoThreadsAreTheTextOfOne) {
    const std::size_t threshold = JsonOut::parallel_elements, run = JsonOut::element_run;
    for (const std::size_t count : {std::size_t{0}, std::size_t{3}, threshold, threshold + 1, threshold + run - 1,
                                    5 * threshold + 17}) {
        for (const std::size_t before : {0, 2}) {
            for (const bool to_sink : {false, true}) {
                const std::string expected = document(before, count, true, to_sink);
                EXPECT_EQ(document(before, count, false, to_sink), expected)
                    << count << " elements after " << before << (to_sink ? ", into a sink" : "");
                if (count == threshold + 1 && before == 2 && !to_sink) {
                    const auto parsed = nlohmann::json::parse(expected);  // and it is JSON
                    EXPECT_EQ(parsed["elements"].size(), before + count + 1);
                    EXPECT_EQ(parsed["elements"][5]["name"], "quote \" 5");
                }
            }
        }
    }
}

// An exception from an element (std::bad_alloc, in the report) comes out of elements() once
// both threads stopped, from whichever thread wrote that element.
TEST(JsonOut, AnElementsExceptionIsThrownOnTheCallingThread) {
    for (const std::size_t failing : {std::size_t{5}, JsonOut::parallel_elements - 1, JsonOut::element_run + 3}) {
        JsonOut out;
        out.begin_array();
        EXPECT_THROW(out.elements(JsonOut::parallel_elements, [failing](JsonOut& w, std::size_t i) {
            if (i == failing) throw std::runtime_error("element " + std::to_string(i));
            write_element(w, i);
        }),
                     std::runtime_error)
            << failing;
    }
}

}  // namespace
