// The data of the treemap in `buildbudget wasm analyze --html`: the analysis
// model (analysis.hpp) as a tree of report::TreemapNode, which
// report/treemap_html.hpp renders as the page.
#pragma once

#include "report/treemap_html.hpp"
#include "wasm/analysis.hpp"

#include <cstddef>

namespace buildbudget::wasm {

/// The treemap of the HTML report: for one module the module itself, for
/// several a root "modules" (kind "other") with one child per module (kind
/// "module"). A module's children are its sections (kind "section", or
/// "custom"); the code section's children are its functions (kind
/// "function"), the data section's its segments (kind "data"). Of each, the
/// `max_items` largest are kept (size order, index as tie-break) and the rest
/// become one node "(N smaller functions)" / "(N smaller data segments)"
/// (kind "other") with their bytes, so the page stays small. When functions
/// have names with a namespace / crate path or a DWARF compile unit, the code
/// section gets the groupings "namespace" (one level per path component, a
/// level holding only one deeper level merged into it: "std::__2") and
/// "compile unit" (report::TreemapGrouping), with the folded functions counted
/// in their groups, so the page can nest the functions either way or draw them flat.
[[nodiscard]] report::TreemapNode treemap_tree(const Analysis& analysis, std::size_t max_items);

}  // namespace buildbudget::wasm
