// A self-contained HTML page (templates/treemap/treemap.html) with a treemap of where a module's bytes go
// (`buildbudget wasm analyze --html`, doc/helper-wasm-analyze.md, "The treemap page"): one file, no network
// access (a Content-Security-Policy in the page forbids any fetch), opened
// directly in a browser, also from file://.
//
// The page holds:
// - <title> and <h1> from `title`, `summary_lines` as a <ul>;
// - the tree as JSON in <script type="application/json" id="treemap-data">:
//     {"schema":"buildbudget-treemap/1","root":NODE}
//     NODE = {"n":name,"k":kind,"b":bytes[,"d":detail][,"c":[NODE,...]][,"G":[GROUPING,...]][,"g":[int,...]]}
//     GROUPING = {"k":kind,"s":separator,"g":[[parent,name,rest_count,rest_bytes],...],"r":[rest_count,rest_bytes]}
//   ("d" only when the detail is not empty, "c" only when there are children,
//   "G"/"g" only when the node has groupings / a group index per grouping of
//   its parent; children in the order given). `<`, `>`, `&`, U+2028 and U+2029 are
//   written as \uXXXX escapes, so no name can end the script element or open
//   a comment in it; bytes that are not valid UTF-8 become U+FFFD;
// - inline JavaScript that draws a squarified treemap (Bruls, Huizing and van
//   Wijk, "Squarified Treemaps", 2000) of the tree as absolutely positioned
//   <div class="tm"> elements, one per node whose rectangle is at least 3 px
//   on both sides, each with data-name, data-kind, data-bytes and data-depth
//   (and data-own="1" for the area of a node's bytes not in any child). A click
//   zooms into a node (the URL fragment becomes #n=<pre-order index>, so the
//   browser's Back goes up again), a breadcrumb leads back up, the map is
//   redrawn when the window is resized. A node with groupings (the code
//   section with namespaces or compile units) draws its children nested in
//   boxes of the grouping chosen in the "Group code by" <select> (the first
//   by default; "none" is flat); the group boxes of every grouping are
//   numbered after the tree's nodes, so #n= also names a group (and selects
//   its grouping);
// - a <details> table (open when JavaScript is off) of the top level and the
//   25 largest leaves, so the page says something without JavaScript.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace buildbudget::report {

/// One group of a TreemapGrouping: a box the page can put some of a node's
/// children in (a namespace, a compile unit).
struct TreemapGroup {
    std::int64_t parent = -1;       ///< index of the enclosing group in the same grouping; -1 at the top; always < own index
    std::string name;               ///< label ("std::__2", "basic_string", "src/blur.cpp")
    std::uint64_t rest_count = 0;   ///< children of this group folded into the node's "(N smaller ...)" child
    std::uint64_t rest_bytes = 0;   ///< their bytes
};

/// One way to group a node's children into nested boxes (doc/helper-wasm-analyze.md,
/// "The treemap page"): the page's "Group code by" control switches between
/// the node's groupings and its flat children.
struct TreemapGrouping {
    std::string kind;                  ///< "namespace", "compile unit": the groups' kind and the control's label
    std::string separator;             ///< joins a group's name to its parent's for the full path ("::")
    std::vector<TreemapGroup> groups;  ///< parents before their children
    std::uint64_t rest_count = 0;      ///< folded children in no group
    std::uint64_t rest_bytes = 0;
};

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
    /// Alternative nestings of `children` (empty: always flat). When not
    /// empty, each child has `group_of` (its group's index in each grouping,
    /// -1 for none), except one "(N smaller ...)" child that folds children
    /// of several groups (its bytes are the groupings' rest_bytes summed).
    std::vector<TreemapGrouping> groupings;
    std::vector<std::int64_t> group_of;
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
/// std::bad_alloc. Size: about 18 KB of style, script and fallback table,
/// plus about 36 bytes per node besides its name and detail (5002 nodes with
/// 61-byte names: 486 KB; the 2000 functions `wasm analyze` keeps per
/// section: about 250 KB); groupings add about 11 bytes a child and 23 a
/// group (ffmpeg-core.wasm's 2000 kept functions in 4,520 namespaces: 125 KB).
[[nodiscard]] std::string render_treemap_html(std::string_view page_template, const std::string& title,
                                              const std::vector<std::string>& summary_lines, const TreemapNode& root);

/// The same with the installed template (read_template(treemap_template));
/// also throws std::runtime_error when the template is missing.
[[nodiscard]] std::string render_treemap_html(const std::string& title, const std::vector<std::string>& summary_lines,
                                              const TreemapNode& root);

}  // namespace buildbudget::report
