"""The files `buildbudget buildmem plan` writes for lowmem_profile() (doc/lowmem.md):
--write-plan (the launcher's plan file), --cmake-out (the plan as a CMake script the module
include()s) and --write-env (the env script, from the package's templates/lowmem/build-env.sh.in).

Each file's values are compared with the same plan's --json output, the CMake script is read by a
real `cmake -P`, the env script by a real dash, and the plan file by the real launcher."""
import json
import os
import shutil
import subprocess
import unittest

from support import CMAKE, TestCase, fresh_dir, helper, run

GiB = 1 << 30
PLAN_ARGS = ["--memory-limit", "6GiB", "--cpus", "8", "--debug-info", "line-tables", "--lto", "thin"]


def plan_json(*args):
    proc = helper("buildmem", "plan", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


class PlanOutputs(TestCase):
    def test_write_plan_layout_and_launcher(self):
        d = fresh_dir("plan-file")
        plan_file = d / "plan.json"
        proc = helper("buildmem", "plan", *PLAN_ARGS, "--admission", "on", "--admission-timeout", "90",
                      "--root", "/", "--write-plan", plan_file)
        self.assertOk(proc, "plan --write-plan")
        p = plan_json(*PLAN_ARGS, "--admission", "on")
        # The layout lowmem_profile() wrote with CMake's string(JSON) before: sorted keys, `"key" : value`.
        self.assertEqual(plan_file.read_text(), (
            '{\n  "admission" : \n  {\n    "enabled" : true,\n    "probe_root" : "/",\n'
            '    "timeout_seconds" : 90\n  },\n'
            f'  "compile_jobs" : {p["compile_jobs"]},\n  "compile_memory" : {p["compile_memory"]},\n'
            f'  "cpus" : 8,\n  "link_jobs" : {p["link_jobs"]},\n  "link_memory" : {p["link_memory"]},\n'
            f'  "log" : {json.dumps(str(d / "jobs.jsonl"))},\n  "memory_limit" : {6 * GiB},\n'
            f'  "memory_limit_probed" : false,\n  "reserve" : {p["reserve"]},\n'
            '  "schema" : "buildbudget-lowmem-plan/1"\n}\n'))
        # The launcher reads it: a job runs and is recorded in the log beside the plan.
        proc = helper("buildmem", "launch", "--plan", plan_file, "--kind", "compile", "--", "true")
        self.assertOk(proc, "launch with the written plan")
        self.assertTrue((d / "jobs.jsonl").is_file())
        # An unchanged plan is not rewritten.
        before = plan_file.stat().st_mtime_ns
        proc = helper("buildmem", "plan", *PLAN_ARGS, "--admission", "on", "--admission-timeout", "90",
                      "--root", "/", "--write-plan", plan_file)
        self.assertOk(proc)
        self.assertEqual(plan_file.stat().st_mtime_ns, before)
        # A probed limit (auto) is recorded as such.
        helper("buildmem", "plan", "--cpus", "8", "--write-plan", plan_file)
        self.assertIs(json.loads(plan_file.read_text())["memory_limit_probed"], True)

    def test_cmake_out_is_included_by_cmake(self):
        d = fresh_dir("cmake-out")
        # A log path with the characters a quoted CMake argument must escape: it appears in a reason.
        odd = d / 'odd "dir" $HOME ${x} ;\\'
        helper("buildmem", "plan", *PLAN_ARGS, "--write-plan", odd / "plan.json")
        self.assertOk(helper("buildmem", "launch", "--plan", odd / "plan.json", "--kind", "compile", "--",
                             "sh", "-c", ": > a.o", cwd=d), "a recorded job")
        log = odd / "jobs.jsonl"
        script = d / "plan.cmake"
        args = [*PLAN_ARGS, "--log", str(log)]
        proc = helper("buildmem", "plan", *args, "--cmake-out", script)
        self.assertOk(proc, "plan --cmake-out")
        p = plan_json(*args)
        reader = d / "read.cmake"
        reader.write_text(f'include([==[{script}]==])\n'
                          'foreach(key MEMORY_LIMIT MEMORY_CLASS RESERVE CPUS COMPILE_MEMORY LINK_MEMORY '
                          'COMPILE_JOBS LINK_JOBS LINKER_THREADS)\n'
                          '  message("${key}=${BUILDBUDGET_PLAN_${key}}")\nendforeach()\n'
                          'message("REASONS=${BUILDBUDGET_PLAN_REASONS}")\n')
        proc = run([CMAKE, "-P", reader])
        self.assertOk(proc, "cmake -P")
        out = proc.stderr
        for key in ("memory_limit", "memory_class", "reserve", "cpus", "compile_memory", "link_memory",
                    "compile_jobs", "link_jobs", "linker_threads"):
            self.assertLine(out, f"{key.upper()}={p[key]}")
        self.assertIn("REASONS=" + "\n".join(p["reasons"]) + "\n", out)
        self.assertTrue(any(str(log) in r for r in p["reasons"]), p["reasons"])

    def test_write_env(self):
        d = fresh_dir("env")
        script = d / "it's env.sh"
        proc = helper("buildmem", "plan", *PLAN_ARGS, "--write-env", script, "--project", "Demo",
                      "--build-dir", "/b")
        self.assertOk(proc, "plan --write-env")
        p = plan_json(*PLAN_ARGS)
        text = script.read_text()
        self.assertTrue(text.startswith("# Generated by lowmem_profile() (BuildBudget) for Demo: the build-memory "
                                        "limits\n# of /b, for builds started from a shell. Use: . "
                                        f"'{d}/it'\\''s env.sh'\nBUILDBUDGET_MEMORY_LIMIT='{6 * GiB}'\n"), text)
        shell = shutil.which("dash") or "sh"
        proc = subprocess.run([shell, "-c", '. "$1" && env', "sh", str(script)], text=True, capture_output=True,
                              env={"PATH": os.environ["PATH"]})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        exported = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
        jobs = str(p["compile_jobs"])
        self.assertEqual({k: v for k, v in exported.items() if k.startswith(("CARGO", "BUILDBUDGET", "CMAKE_B", "MAKEF"))},
                         {"BUILDBUDGET_MEMORY_LIMIT": str(6 * GiB), "BUILDBUDGET_COMPILE_JOBS": jobs,
                          "BUILDBUDGET_LINK_JOBS": str(p["link_jobs"]), "CMAKE_BUILD_PARALLEL_LEVEL": jobs,
                          "MAKEFLAGS": f"-j{jobs}", "CARGO_BUILD_JOBS": jobs,
                          "CARGO_PROFILE_DEV_DEBUG": "1", "CARGO_PROFILE_RELEASE_DEBUG": "1",
                          "CARGO_PROFILE_DEV_LTO": "thin", "CARGO_PROFILE_RELEASE_LTO": "thin"})
        # Without --lto and --debug-info: no cargo profile variables (the project's own settings stay).
        helper("buildmem", "plan", "--memory-limit", "6GiB", "--cpus", "8", "--write-env", script)
        self.assertNotIn("CARGO_PROFILE", script.read_text())
        # Split debug info: SPLIT_DEBUGINFO only with a rustc of 1.65 or later (Debian's is 1.63).
        for rustc, expected in (("/usr/bin/rustc", False), (shutil.which("rustc"), True)):
            with self.subTest(rustc=rustc):
                version = run([rustc, "--version"]).stdout.split()[1]
                self.assertEqual(tuple(map(int, version.split(".")[:2])) >= (1, 65), expected, version)
                proc = helper("buildmem", "plan", "--memory-limit", "6GiB", "--cpus", "8", "--debug-info", "split",
                              "--rustc", rustc, "--write-env", script)
                self.assertOk(proc)
                self.assertEqual("CARGO_PROFILE_RELEASE_SPLIT_DEBUGINFO='unpacked'" in script.read_text(), expected)

    def test_bad_input(self):
        d = fresh_dir("bad")
        proc = helper("buildmem", "plan", *PLAN_ARGS, "--admission-timeout", "soon", "--write-plan", d / "plan.json")
        self.assertFails(proc, 1)
        self.assertEqual(proc.stderr, 'buildbudget: error: --admission-timeout: invalid value "soon" (expected a '
                                      'whole number of seconds, such as 600)\n')
        self.assertFalse((d / "plan.json").exists())
        (d / "a-file").write_text("")
        proc = helper("buildmem", "plan", *PLAN_ARGS, "--write-plan", d / "a-file" / "plan.json")
        self.assertFails(proc, 1)
        self.assertRegex(proc.stderr, rf"^buildbudget: error: --write-plan {d}/a-file/plan\.json: ")
        proc = helper("buildmem", "plan", *PLAN_ARGS, "--cmake-out", d / "a-file" / "plan.cmake")
        self.assertFails(proc, 1)
        self.assertRegex(proc.stderr, rf"^buildbudget: error: --cmake-out {d}/a-file/plan\.cmake: ")
        # The env script's template missing from the templates directory: named, with where it was looked for.
        empty = fresh_dir("bad", "templates")
        proc = helper("buildmem", "plan", *PLAN_ARGS, "--write-env", d / "env.sh",
                      env={**os.environ, "BUILDBUDGET_TEMPLATES_DIR": str(empty)})
        self.assertFails(proc, 1)
        self.assertRegex(proc.stderr, r"^buildbudget: error: --write-env: .*lowmem/build-env\.sh\.in")
        self.assertIn(str(empty), proc.stderr)
        self.assertFalse((d / "env.sh").exists())


if __name__ == "__main__":
    unittest.main()
