"""Links in the documentation resolve.

- Every relative Markdown link in a Markdown file of the repository (README.md, doc/, examples/, bench/,
  templates/, ...) names a file or directory inside the repository, and its #anchor a heading of that
  file, by GitHub's rule for heading anchors: lower case, punctuation other than `-` and `_` dropped,
  spaces as `-`, a repeated heading getting -1, -2, .... Links inside code (fenced blocks, `spans`) are
  not links.
- Every `README.md#<anchor>` or `doc/<page>.md#<anchor>` that the CMake modules print in their messages
  (e.g. the unknown-argument errors of _buildbudget_check_arguments()) names a section that exists.
- Every citation of a page's section in the repository's code, comments and pages, written
  `doc/<page>.md, "<Section>"` (the comma may be left out, the quote may run over comment lines and
  may be the start of the heading), names a page that exists and a heading of it."""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import unittest

from support import SOURCE_DIR, TestCase


def strip_code(markdown):
    """The lines of `markdown` with fenced blocks blanked and inline code spans removed (line numbers kept)."""
    lines, fence = [], None
    for line in markdown.splitlines():
        m = re.match(r" {0,3}(`{3,}|~{3,})", line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):]:
                fence = None
            lines.append("")
        elif m:
            fence = m.group(1)
            lines.append("")
        else:
            lines.append(re.sub(r"(`+)(?:(?!\1).)+?\1", "", line))
    return lines


def slug(heading):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def headings(markdown):
    """The text of every ATX heading outside code, in order."""
    found, fence = [], None
    for line in markdown.splitlines():
        m = re.match(r" {0,3}(`{3,}|~{3,})", line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
        elif m:
            fence = m.group(1)
        elif h := re.match(r" {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", line):
            found.append(h.group(1))
    return found


def anchors(markdown):
    found, seen = set(), {}
    for heading in headings(markdown):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    found.update(re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", markdown))
    return found


def repository_files(pattern):
    """The repository's files matching `pattern`: tracked or new (not ignored), else every one under the tree."""
    try:
        out = subprocess.run(["git", "-C", str(SOURCE_DIR), "ls-files", "--cached", "--others",
                              "--exclude-standard", pattern], capture_output=True, text=True, check=True).stdout
        files = [SOURCE_DIR / line for line in out.splitlines()]
    except (OSError, subprocess.CalledProcessError):
        files = [p for p in SOURCE_DIR.rglob(pattern) if not {"build", ".git", "node_modules"} & set(p.parts)]
    return sorted(f for f in files if f.is_file() and "node_modules" not in f.parts)


def markdown_files():
    return repository_files("*.md")


CITATION = re.compile(r"(doc/[\w.-]+\.md),? \\?\"([^\"\\]{1,120})\\?\"")


def citations(text):
    """(page, section) of every `doc/<page>.md, "<Section>"` in `text`, its comment lines joined."""
    joined = re.sub(r"\n[ \t]*(?:#+|//+|\*)?[ \t]*", " ", text)
    for page, section in CITATION.findall(joined):
        section = re.sub(r"\s+", " ", section).strip()
        if re.match(r"\w", section):
            yield page, section


def normal(text):
    return re.sub(r"\s+", " ", text.replace("`", "")).strip().lower()


LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")


def links(markdown):
    """(line number, target) of every link outside code."""
    for number, line in enumerate(strip_code(markdown), 1):
        for target in LINK.findall(line):
            yield number, target
        if m := REFERENCE.match(line):
            yield number, m.group(1)


def broken(path, target, root=SOURCE_DIR, cache={}):
    """Why the link `target` in `path` does not resolve, or None."""
    if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//"):
        return None  # http:, https:, mailto: ...: not inside the repository
    file_part, _, anchor = target.partition("#")
    dest = path if not file_part else (path.parent / file_part.split("?")[0])
    dest = dest.resolve()
    if os.path.commonpath([dest, root.resolve()]) != str(root.resolve()):
        return f"{file_part} is outside the repository"
    if not dest.exists():
        return f"{file_part} does not exist"
    if anchor:
        if dest.is_dir() or dest.suffix.lower() != ".md":
            return f"#{anchor} points into {file_part}, which is not a Markdown file"
        if dest not in cache:
            cache[dest] = anchors(dest.read_text())
        if anchor not in cache[dest]:
            return f"{dest.relative_to(root.resolve())} has no heading whose anchor is #{anchor}"
    return None


class Slugs(TestCase):
    def test_githubs_rule(self):
        self.assertEqual(slug("Budget checks: `wrt_memory_budget_attach()` and `wrt_memory_budget_add_test()`"),
                         "budget-checks-wrt_memory_budget_attach-and-wrt_memory_budget_add_test")
        self.assertEqual(slug("Edit-rebuild: ThinLTO with a cache"), "edit-rebuild-thinlto-with-a-cache")
        self.assertEqual(slug("See [the page](x.md) ✓"), "see-the-page-")
        self.assertEqual(anchors("# A\n## A\n```\n# A\n```\n## A\n"), {"a", "a-1", "a-2"})

    def test_broken_links_are_found(self):
        # The checker itself: a page with a missing file, a missing anchor, links in code (ignored) and good ones.
        root = pathlib.Path(tempfile.mkdtemp(prefix="doc-anchors-")) / "repo"
        self.addCleanup(shutil.rmtree, root.parent)
        root.mkdir()
        (root / "doc").mkdir()
        (root / "doc" / "a.md").write_text("# Title\n\n## Some `code()` here\n")
        page = root / "README.md"
        page.write_text("[ok](doc/a.md#some-code-here) [ok](#top) [bad](doc/b.md) [bad](doc/a.md#nope)\n"
                        "`[code](nowhere.md)`\n```\n[fenced](nowhere.md)\n```\n[web](https://example.com/x.md)\n"
                        "[out](../outside.md)\n# Top\n")
        found = [(n, t, broken(page, t, root)) for n, t in links(page.read_text())]
        self.assertEqual([(n, t) for n, t, why in found if why],
                         [(1, "doc/b.md"), (1, "doc/a.md#nope"), (7, "../outside.md")])


class Anchors(TestCase):
    def test_every_relative_link_resolves(self):
        files = markdown_files()
        self.assertIn(SOURCE_DIR / "README.md", files)
        self.assertTrue(any(f.parent.name == "doc" for f in files))
        for path in files:
            for number, target in links(path.read_text()):
                with self.subTest(link=f"{path.relative_to(SOURCE_DIR)}:{number}: {target}"):
                    self.assertIsNone(broken(path, target), f"{path.relative_to(SOURCE_DIR)}:{number}: ({target})")

    def test_module_messages_point_at_existing_sections(self):
        used = {}
        for module in sorted((SOURCE_DIR / "Modules").rglob("*.cmake")):
            for page, anchor in re.findall(r"((?:doc/[\w.-]+|README)\.md)#([\w-]+)", module.read_text()):
                used.setdefault((page, anchor), module.name)
        self.assertTrue(any(anchor == "webassembly-wasm_build_target-and-wasm_add_test" for _, anchor in used))
        for (page, anchor), module in used.items():
            with self.subTest(page=page, anchor=anchor):
                self.assertTrue((SOURCE_DIR / page).is_file(), f"{module} points at {page}, which does not exist")
                self.assertIn(anchor, anchors((SOURCE_DIR / page).read_text()),
                              f"{module} points at {page}#{anchor}, which no heading makes")

    def test_code_cites_existing_sections(self):
        files = [f for pattern in ("*.cmake", "*.py", "*.cpp", "*.hpp", "*.md", "*.in", "*.js", "*.mjs", "*.sh",
                                   "CMakeLists.txt") for f in repository_files(pattern)]
        self.assertIn(SOURCE_DIR / "Modules" / "BuildBudgetWasm.cmake", files)
        found = 0
        for path in files:
            if path == pathlib.Path(__file__).resolve():
                continue  # the examples of test_citations_are_found
            for page, section in citations(path.read_text(errors="replace")):
                found += 1
                with self.subTest(file=str(path.relative_to(SOURCE_DIR)), page=page, section=section):
                    target = SOURCE_DIR / page
                    self.assertTrue(target.is_file(), f"{path.relative_to(SOURCE_DIR)} cites {page}, which does not exist")
                    self.assertTrue(any(normal(h).startswith(normal(section)) for h in headings(target.read_text())),
                                    f"{path.relative_to(SOURCE_DIR)} cites {page}, \"{section}\": no heading starts so")
        self.assertGreater(found, 0)

    def test_citations_are_found(self):
        text = ('# see doc/a.md, "Some long\n#   section" and (doc/b.md, \\"Other\\")\n'
                '// doc/c.md "without a comma"; doc/d.md, "" doc/e.md, "(not a title)"')
        self.assertEqual(list(citations(text)), [("doc/a.md", "Some long section"), ("doc/b.md", "Other"),
                                                 ("doc/c.md", "without a comma")])


if __name__ == "__main__":
    unittest.main()
