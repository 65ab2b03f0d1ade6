"""doc/ci.md's two CI recipes, run: the shell commands of each YAML block marked
`<!-- ci-recipe: github -->` / `<!-- ci-recipe: gitlab -->` run in order on a copy of
examples/embedded-firmware, with the CI variables they read set to the test's own paths, and the
results checked: the job summary holds report.md, the artifact and JUnit paths the YAML names are
real files, the baseline reaches the report, and the exit codes are the ones the page gives. The
`growth-limit` block (sh) runs after a pull request that grew.

The YAML is read by a small parser of the subset the recipes use (block mappings and sequences,
plain, single-quoted, literal `|` and folded `>` scalars), standard library only; anything else in a
recipe fails the test. What a CI service does itself is done here as the page says it does it:
- the install step (`Install BuildBudget`, GitLab's `before_script`) is not run: it must install into
  `$BUILDBUDGET_PREFIX`, which is the package the `package.install` fixture installed;
- GitHub's actions: checkout is the copy of the example; cache/restore puts the scenario's baseline at
  its `path`; upload-artifact and cache/save need every path they name to exist; a step runs by its
  `if:` (the two conditions the recipe uses), GitHub's default being success();
- GitLab's jobs API is a local HTTP server that answers the recipe's curl with the default branch's
  report.json, or 404 before there is one, and needs the job token."""
import glob
import http.server
import json
import pathlib
import re
import shutil
import subprocess
import threading
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

from support import PREFIX, SOURCE_DIR, TestCase, clean_env, fresh_dir

PAGE = SOURCE_DIR / "doc" / "ci.md"
EXAMPLE = SOURCE_DIR / "examples" / "embedded-firmware"


# --- the YAML subset -----------------------------------------------------------------------------

def recipes(markdown):
    """{name: text} of the fenced blocks (yaml, or sh) right after a `<!-- ci-recipe: <name> -->` line."""
    return dict(re.findall(r"^<!-- ci-recipe: ([\w-]+) -->\n```(?:yaml|sh)\n(.*?)^```$", markdown, re.M | re.S))


def indent_of(line):
    return len(line) - len(line.lstrip(" "))


def scalar(text, where):
    """A one-line scalar: single-quoted ('' is a quote) or plain."""
    text = text.strip()
    if text.startswith("'"):
        if not text.endswith("'") or len(text) < 2:
            raise ValueError(f"{where}: unterminated single-quoted scalar {text!r}")
        return text[1:-1].replace("''", "'")
    if text.startswith(('"', "[", "{", "&", "*", "!")):
        raise ValueError(f"{where}: {text!r} is outside the YAML subset this test reads")
    return text


def block_scalar(style, lines, where):
    """A literal (`|`) or folded (`>`) block scalar from its (more indented) lines."""
    body = [l for l in lines]
    while body and not body[-1].strip():
        body.pop()
    if not body:
        raise ValueError(f"{where}: empty block scalar")
    base = min(indent_of(l) for l in body if l.strip())
    body = [l[base:] for l in body]
    if style == "|":
        return "\n".join(body) + "\n"
    if style == ">":
        if any(l.startswith(" ") for l in body):
            raise ValueError(f"{where}: a more-indented line in a folded scalar")
        return " ".join(l for l in body if l) + "\n"
    raise ValueError(f"{where}: block scalar style {style!r}")


def take_block(lines, i, indent):
    """The lines after lines[i] that are blank or indented more than `indent`; returns (block, next i)."""
    j = i + 1
    while j < len(lines) and (not lines[j].strip() or indent_of(lines[j]) > indent):
        j += 1
    return lines[i + 1:j], j


def node(lines, where):
    """A block mapping or sequence from `lines` (all at or past a common indent)."""
    lines = [l for l in lines if l.strip() and not l.lstrip().startswith("#")]
    if not lines:
        raise ValueError(f"{where}: empty block")
    return (sequence if lines[0].lstrip().startswith("- ") or lines[0].strip() == "-" else mapping)(lines, where)


KEY = re.compile(r"([A-Za-z_][\w.-]*):(?: +(.*))?$")


def value_after(rest, block, where):
    """The value of `key: rest` (or `- rest`) whose more-indented lines are `block`."""
    if rest in ("|", ">"):
        return block_scalar(rest, block, where)
    if rest:
        if any(l.strip() for l in block):
            raise ValueError(f"{where}: a scalar {rest!r} followed by more-indented lines")
        return scalar(rest, where)
    if not any(l.strip() for l in block):
        return None  # `pull_request:`: a key without a value
    return node(block, where)


def mapping(lines, where):
    indent, result, i = indent_of(lines[0]), {}, 0
    while i < len(lines):
        line = lines[i]
        if indent_of(line) != indent:
            raise ValueError(f"{where}: line {line!r} is not at indent {indent}")
        m = KEY.fullmatch(line.strip())
        if not m:
            raise ValueError(f"{where}: {line!r} is not a `key: value` line")
        block, i = take_block(lines, i, indent)
        key = m.group(1)
        if key in result:
            raise ValueError(f"{where}: key {key} twice")
        result[key] = value_after((m.group(2) or "").strip(), block, f"{where}.{key}")
    return result


def sequence(lines, where):
    indent, result, i = indent_of(lines[0]), [], 0
    while i < len(lines):
        line = lines[i]
        if indent_of(line) != indent or not line.lstrip().startswith("-"):
            raise ValueError(f"{where}: line {line!r} is not an item at indent {indent}")
        block, i = take_block(lines, i, indent)
        rest = line.strip()[1:].strip()
        item_where = f"{where}[{len(result)}]"
        if KEY.fullmatch(rest) and not rest.startswith("'"):
            # An item that is a mapping: its first key sits where the `- ` was, two columns on.
            result.append(mapping([" " * (indent + 2) + rest, *block], item_where))
        else:
            result.append(value_after(rest, block, item_where))
    return result


def parse(yaml_text, name):
    return node(yaml_text.splitlines(), name)


# --- the fake jobs API of GitLab -----------------------------------------------------------------

class JobsApi(http.server.BaseHTTPRequestHandler):
    """GET <prefix>/projects/<id>/jobs/artifacts/<ref>/raw/<path>?job=<name> with the JOB-TOKEN header:
    the file from server.artifacts[(ref, job, path)], else 404 (as GitLab answers without one)."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        self.server.requests.append((url.path, urllib.parse.parse_qs(url.query), self.headers.get("JOB-TOKEN")))
        m = re.fullmatch(r"/api/v4/projects/42/jobs/artifacts/([^/]+)/raw/(.+)", url.path)
        job = urllib.parse.parse_qs(url.query).get("job", [""])[0]
        body = self.server.artifacts.get((m.group(1), job, m.group(2))) if m else None
        if self.headers.get("JOB-TOKEN") != "test-job-token":
            body = None
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body if body is not None else b'{"message":"404 Not Found"}')


# --- the recipes, run ----------------------------------------------------------------------------

# The `if:` conditions of the GitHub recipe, as GitHub evaluates them: (a step failed, on main) -> run.
CONDITIONS = {
    None: lambda failed, main: not failed,
    "${{ !cancelled() }}": lambda failed, main: True,
    "github.ref == 'refs/heads/main'": lambda failed, main: main and not failed,
}


def bash(script, cwd, env, options):
    return subprocess.run(["bash", "--noprofile", "--norc", *options, "-c", script], cwd=cwd, env=env,
                          text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def over_budget(project):
    """Puts 64 KiB more static RAM into the example's `storage` component than its budget allows."""
    with open(project / "src" / "storage.cpp", "a") as f:
        f.write("\n// 64 KiB more static RAM than storage's budget allows (test_ci_recipes.py)\n"
                "extern char ci_recipes_extra[65536];\nchar ci_recipes_extra[65536];\n")


def serve_jobs_api():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), JobsApi)
    server.artifacts, server.requests = {}, []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Recipes(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = fresh_dir("ci")
        cls.yaml = recipes(PAGE.read_text())
        cls.github = parse(cls.yaml["github"], "github")
        cls.gitlab = parse(cls.yaml["gitlab"], "gitlab")
        # The GitLab recipe twice in one project: the default branch's first run (the jobs API has no
        # report yet), then a merge request's run with that report as its baseline.
        server = serve_jobs_api()
        try:
            cls.gitlab_project = cls.project("gitlab")
            report = cls.gitlab_project / "build" / "buildbudget-report" / "report.json"
            proc = cls.run_gitlab(cls.gitlab_project, server)
            cls.gitlab_first = (proc, list(server.requests), json.loads(report.read_text()) if report.exists() else None)
            if report.exists():
                server.artifacts[("main", "budget", "build/buildbudget-report/report.json")] = report.read_bytes()
            proc = cls.run_gitlab(cls.gitlab_project, server)
            cls.gitlab_second = (proc, server.requests[len(cls.gitlab_first[1]):],
                                 json.loads(report.read_text()) if report.exists() else None)
        finally:
            server.shutdown()
            server.server_close()

    @classmethod
    def project(cls, name):
        dest = cls.work / name
        shutil.copytree(EXAMPLE, dest)
        return dest

    # --- GitHub Actions ---

    def github_steps(self):
        job = self.github["jobs"]["budget"]
        self.assertEqual(set(job["env"]), {"BUILDBUDGET_PREFIX"}, "a variable the test does not set")
        return job["steps"]

    def run_github(self, project, main, baseline=None):
        """Runs the recipe's steps in `project` as a push to main or a pull request; returns
        ({step name: exit status, or None when skipped}, the summary file's text, [artifact paths], log)."""
        temp = self.work / f"{project.name}-runner-temp"
        temp.mkdir(exist_ok=True)
        summary = temp / "step-summary.md"
        summary.write_text("")
        env = clean_env(BUILDBUDGET_PREFIX=PREFIX, RUNNER_TEMP=temp, GITHUB_STEP_SUMMARY=summary,
                        GITHUB_WORKSPACE=project, CI="true",
                        GITHUB_REF="refs/heads/main" if main else "refs/pull/7/merge")
        outcome, failed, uploaded, log = {}, False, [], ""
        for step in self.github_steps():
            name = step.get("name", step.get("uses"))
            self.assertIn(step.get("if"), CONDITIONS, f"{name}: a condition the test does not know")
            if not CONDITIONS[step.get("if")](failed, main):
                outcome[name] = None
                continue
            uses = step.get("uses", "")
            if name == "Install BuildBudget":
                self.assertIn('--prefix "$BUILDBUDGET_PREFIX"', step["run"])
                outcome[name] = 0  # done by the package.install fixture
            elif "run" in step:
                self.assertNotIn("${{", step["run"], f"{name}: an expression the shell would not see")
                proc = bash(step["run"], project, env, ["-e"])
                outcome[name] = proc.returncode
                log += f"--- {name}: exit {proc.returncode}\n{proc.stdout}"
            elif uses.startswith("actions/checkout@"):
                outcome[name] = 0
            elif uses.startswith("actions/cache/restore@"):
                if baseline is not None:
                    dest = project / step["with"]["path"]
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_text(baseline)
                outcome[name] = 0
            elif uses.startswith(("actions/upload-artifact@", "actions/cache/save@")):
                paths = step["with"]["path"].split()
                for path in paths:
                    self.assertTrue((project / path).is_file(), f"{name}: {path} does not exist")
                uploaded += paths if uses.startswith("actions/upload-artifact@") else []
                outcome[name] = 0
            else:
                self.fail(f"{name}: an action the test does not know: {uses}")
            failed = failed or outcome[name] != 0
        return outcome, summary.read_text(), uploaded, log

    def test_github_baseline_is_the_cached_main_report(self):
        steps = {s.get("name"): s for s in self.github_steps()}
        restore, save = steps["Baseline (the main branch's report.json)"], steps["Save the baseline"]
        self.assertEqual(restore["with"]["path"], save["with"]["path"])
        self.assertTrue(save["with"]["key"].startswith(restore["with"]["restore-keys"]))
        self.assertTrue(restore["with"]["key"].startswith(restore["with"]["restore-keys"]))
        self.assertIn(f'-DBUILDBUDGET_REPORT_BASELINE="$PWD/{restore["with"]["path"]}"', steps["Build"]["run"])

    def test_github_pull_request_that_grew_then_push_to_main(self):
        project = self.project("github")
        # The main branch's report (the GitLab run's, of the same example), every figure 10% smaller
        # than this build's: a pull request that grew by 11%, still within its budgets.
        main = self.gitlab_first[2]
        self.assertIsNotNone(main, self.gitlab_first[0].stdout)
        for figure in main["figures"]:
            figure["value"] = figure["value"] * 9 // 10
        outcome, summary, uploaded, log = self.run_github(project, main=False, baseline=json.dumps(main))
        self.assertEqual(outcome, {
            "actions/checkout@v4": 0, "Install BuildBudget": 0, "Baseline (the main branch's report.json)": 0,
            "Build": 0, "Budget checks and report": 0, "Job summary": 0, "Upload the report": 0,
            "Keep the baseline": None, "Save the baseline": None}, log)
        report_dir = project / "build" / "buildbudget-report"
        markdown = (report_dir / "report.md").read_text()
        self.assertEqual(summary, markdown)
        self.assertEqual(markdown.splitlines()[2], "**Within budget**: 3 budgets. "
                         "Against the baseline: 4 grew, 0 shrank, 0 new, 0 removed.")
        self.assertEqual(json.loads((report_dir / "report.json").read_text())["baseline"]["file"],
                         str(project / "baseline" / "report.json"))
        self.assertEqual(sorted(uploaded), [f"build/buildbudget-report/report.{e}" for e in ("html", "json", "md")])
        # The page shows this summary's first lines, as this run wrote them.
        shown = re.search(r"all still within\ntheir budgets:\n\n```\n(.*?)```\n", PAGE.read_text(), re.S)
        self.assertIsNotNone(shown, "doc/ci.md has no example summary")
        self.assertTrue(markdown.startswith(shown.group(1).removesuffix("...\n")), shown.group(1))
        # The growth limit the page adds after ctest: 11% is more than 2%.
        proc = bash(self.yaml["growth-limit"], project, clean_env(BUILDBUDGET_PREFIX=PREFIX), ["-e"])
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertRegex(proc.stdout, r"fw app static RAM: grew from \d+ to \d+ bytes \(\+\d+ bytes, \+11\.1\d%\), "
                                      r"more than --fail-above-percent 2%")

        # The push to main that follows, with no cache for it yet: within budget, and the baseline kept.
        shutil.rmtree(project / "baseline")
        shutil.rmtree(project / "build")
        outcome, summary, _, log = self.run_github(project, main=True)
        self.assertEqual(set(outcome.values()), {0}, log)
        self.assertLine(summary, "**Within budget**: 3 budgets.")
        self.assertEqual((project / "baseline" / "report.json").read_text(), (report_dir / "report.json").read_text())
        self.assertIsNone(json.loads((report_dir / "report.json").read_text())["baseline"])

    def test_github_pull_request_over_budget(self):
        """A component over its budget: the checks fail, the summary and the artifact are still there."""
        project = self.project("github-over")
        over_budget(project)
        outcome, summary, uploaded, log = self.run_github(project, main=False)
        self.assertEqual(outcome, {
            "actions/checkout@v4": 0, "Install BuildBudget": 0, "Baseline (the main branch's report.json)": 0,
            "Build": 0, "Budget checks and report": 8, "Job summary": 0, "Upload the report": 0,
            "Keep the baseline": None, "Save the baseline": None}, log)
        self.assertRegex(summary.splitlines()[2], r"^\*\*Over budget\*\*: 1 item over budget")
        self.assertEqual(len(uploaded), 3)

    # --- GitLab CI ---

    @classmethod
    def run_gitlab(cls, project, server):
        job = cls.gitlab["budget"]
        if set(job["variables"]) != {"GIT_SUBMODULE_STRATEGY", "BUILDBUDGET_PREFIX"}:
            raise AssertionError(f"variables the test does not set: {job['variables']}")
        if '--prefix "$BUILDBUDGET_PREFIX"' not in job["before_script"][-1]:
            raise AssertionError("before_script does not install into $BUILDBUDGET_PREFIX")  # the fixture's package
        env = clean_env(BUILDBUDGET_PREFIX=PREFIX, CI="true", CI_JOB_TOKEN="test-job-token",
                        CI_API_V4_URL=f"http://127.0.0.1:{server.server_port}/api/v4", CI_PROJECT_ID="42",
                        CI_DEFAULT_BRANCH="main", CI_JOB_NAME="budget")
        return bash("\n".join(job["script"]), project, env, ["-e", "-o", "pipefail"])

    def test_gitlab_junit_artifacts_and_baseline(self):
        project = self.gitlab_project
        first, requests, report = self.gitlab_first
        self.assertOk(first, "the GitLab script without a baseline")
        # The first run asked the jobs API for the default branch's report, got 404 and went on without.
        self.assertEqual(requests, [("/api/v4/projects/42/jobs/artifacts/main/raw/build/buildbudget-report/report.json",
                                     {"job": ["budget"]}, "test-job-token")])
        self.assertIsNone(report["baseline"])
        self.assertEqual(report["status"], "ok")

        artifacts = self.gitlab["budget"]["artifacts"]
        self.assertEqual(artifacts["when"], "always")
        self.assertEqual(artifacts["paths"], ["build/buildbudget-report/"])
        self.assertEqual(sorted(p.name for p in (project / artifacts["paths"][0]).iterdir()),
                         ["report.html", "report.json", "report.md"])
        junit = sorted(pathlib.Path(p).name for p in glob.glob(str(project / artifacts["reports"]["junit"])))
        self.assertEqual(junit, ["fw.footprint.xml", "fw.freestanding.xml", "fw.heap_peak.xml"])
        for name in junit:
            root = ET.parse(project / "build" / "buildbudget-reports" / name).getroot()
            self.assertEqual((root.tag, root.get("failures")), ("testsuites", "0"), name)
        self.assertIn("`fw.footprint.xml`, `fw.freestanding.xml`, `fw.heap_peak.xml`", PAGE.read_text())

        # The merge request's run: the default branch's report.json is the baseline.
        second, requests, report = self.gitlab_second
        self.assertOk(second, "the GitLab script with a baseline")
        self.assertEqual(len(requests), 1)
        self.assertEqual(report["baseline"]["file"], str(project / "baseline" / "report.json"))
        self.assertEqual(report["status"], "ok")
        markdown = (project / "build" / "buildbudget-report" / "report.md").read_text()
        self.assertRegex(markdown.splitlines()[2], r"^\*\*Within budget\*\*: 3 budgets\. Against the baseline: ")

    def test_gitlab_report_is_written_when_a_check_fails(self):
        """A component over its budget: the check fails, the report is still written, the job fails."""
        project = self.project("gitlab-over")
        over_budget(project)
        server = serve_jobs_api()
        try:
            proc = self.run_gitlab(project, server)
        finally:
            server.shutdown()
            server.server_close()
        self.assertFails(proc, 8, "the GitLab script over budget")
        self.assertIn("fw.footprint", proc.stdout)
        report = json.loads((project / "build" / "buildbudget-report" / "report.json").read_text())
        self.assertEqual(report["status"], "over")
        junit = ET.parse(project / "build" / "buildbudget-reports" / "fw.footprint.xml").getroot()
        failed = [(case.get("name"), case.find("failure").get("message"))
                  for case in junit.iter("testcase") if case.find("failure") is not None]
        self.assertEqual(len(failed), 1, failed)
        self.assertEqual(failed[0][0], "storage")
        # The message the page quotes.
        self.assertIn(f"`{failed[0][1].split('; largest: ')[0]}; largest: ...`", PAGE.read_text())


if __name__ == "__main__":
    unittest.main()
