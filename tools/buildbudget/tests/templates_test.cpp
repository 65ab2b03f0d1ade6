#include "common/templates.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

using buildbudget::read_template;
using buildbudget::render_template;
using buildbudget::template_dirs;

TEST(RenderTemplate, ReplacesKnownPlaceholdersOnce) {
    EXPECT_EQ(render_template("<t>@TITLE@</t> @TITLE@", {{"TITLE", "a"}}), "<t>a</t> a");
    // A value is never scanned again: it may hold `@` and placeholder names.
    EXPECT_EQ(render_template("@A@@B@", {{"A", "@B@"}, {"B", "x@"}}), "@B@x@");
}

TEST(RenderTemplate, KeepsEveryOtherAt) {
    EXPECT_EQ(render_template("a@b.c @UNKNOWN@ @ @@ end@", {{"TITLE", "t"}}), "a@b.c @UNKNOWN@ @ @@ end@");
    EXPECT_EQ(render_template("x@@TITLE@", {{"TITLE", "t"}}), "x@t");
    EXPECT_EQ(render_template("", {{"TITLE", "t"}}), "");
}

TEST(ReadTemplate, FindsTheTreemapPageInTheSourceTree) {
    // The unit tests run from the build tree: the source tree's templates/ is the fallback.
    EXPECT_NE(read_template("treemap/treemap.html").find("@DATA@"), std::string::npos);
}

TEST(ReadTemplate, AMissingTemplateNamesEveryPathSearched) {
    ASSERT_EQ(::setenv("BUILDBUDGET_TEMPLATES_DIR", "/nonexistent/templates", 1), 0);
    ASSERT_EQ(template_dirs().size(), 1U);
    try {
        (void)read_template("treemap/treemap.html");
        ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("treemap/treemap.html is missing (searched "
                                             "/nonexistent/templates/treemap/treemap.html)"),
                  std::string::npos)
            << e.what();
    }
    ::unsetenv("BUILDBUDGET_TEMPLATES_DIR");
    EXPECT_EQ(template_dirs().size(), 2U);
}
