// A self-contained HTML page (templates/treemap/treemap.html) with a treemap of where a module's bytes go
// (`buildbudget wasm analyze --html`, doc/helper-wasm-analyze.md, "The treemap page"; issue 5): one file, no network
// access (a Content-Security-Policy in the page forbids any fetch), opened
// directly in a browser, also from file://.
//
// The page holds:
// - <title> and <h1> from `title`, `summary_lines` as a <ul>;
// - the tree as JSON in <script type="application/json" id="treemap-data">:
//     {"schema":"buildbudget-treemap/1","root":NODE}
//     NODE = {"n":name,"k":kind,"b":bytes[,"d":detail][,"c":[NODE,...]]}
//   ("d" only when the detail is not empty, "c" only when there are children;
//   children in the order given). `<`, `>`, `&`, U+2028 and U+2029 are
//   written as \uXXXX escapes, so no name can end the script element or open
//   a comment in it; bytes that are not valid UTF-8 become U+FFFD;
// - inline JavaScript that draws a squarified treemap (Bruls, Huizing and van
//   Wijk, "Squarified Treemaps", 2000) of the tree as absolutely positioned
//   <div class="tm"> elements, one per node whose rectangle is at least 3 px
//   on both sides, each with data-name, data-kind, data-bytes and data-depth
//   (and data-own="1" for the area of a node's bytes not in any child). A click
//   zooms into a node (the URL fragment becomes #n=<pre-order index>, so the
//   browser's Back goes up again), a breadcrumb leads back up, the map is
//   redrawn when the window is resized;
// - a <details> table (open when JavaScript is off) of the top level and the
//   25 largest leaves, so the page says something without JavaScript.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace buildbudget::report {

/// One rectangle of the treemap. A node's area is `bytes`; children are laid
/// out inside their parent. The children's bytes may sum to less than the
/// parent's (the rest is drawn as the parent's own, hatched remainder), never
/// to more (if they do, the page lays out the children's sum instead, and the
/// percentages still use `bytes`). Names and details are arbitrary bytes
/// (wasm name sections): invalid UTF-8 is shown as U+FFFD, never an error.
struct TreemapNode {
    std::string name;    ///< label ("code", "sqlite3VdbeExec", "data[3] .rodata")
    std::string kind;    ///< "module", "section", "custom", "function", "data", "other": picks the colour (unknown: as "other")
    std::uint64_t bytes = 0;
    std::string detail;  ///< extra tooltip text (may be empty)
    std::vector<TreemapNode> children;
};

/// The page's template, relative to the package's templates/
/// (templates/treemap/treemap.html: the HTML, CSS and JavaScript; its
/// placeholders @TITLE@, @SUMMARY@, @TABLES@ and @DATA@).
inline constexpr std::string_view treemap_template = "treemap/treemap.html";

/// The whole page (UTF-8 HTML5, see the file comment for what it holds):
/// `page_template` (the text of treemap_template) with `title` in <title>,
/// the heading and the map's label, `summary_lines` as a list under the
/// heading, both HTML-escaped, the fallback tables and the tree's JSON.
/// Deterministic: the same input gives the same bytes (no time stamps, no
/// locale-dependent formatting). Never throws on any name; only
/// std::bad_alloc. Size: about 13 KB of style, script and fallback table,
/// plus about 36 bytes per node besides its name and detail (5002 nodes with
/// 61-byte names: 486 KB; the 2000 functions `wasm analyze` keeps per
/// section: about 250 KB).
[[nodiscard]] std::string render_treemap_html(std::string_view page_template, const std::string& title,
                                              const std::vector<std::string>& summary_lines, const TreemapNode& root);

/// The same with the installed template (read_template(treemap_template));
/// also throws std::runtime_error when the template is missing.
[[nodiscard]] std::string render_treemap_html(const std::string& title, const std::vector<std::string>& summary_lines,
                                              const TreemapNode& root);

}  // namespace buildbudget::report
