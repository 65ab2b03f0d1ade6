"""The generated header, Rust constants and JSON (doc/memory-budget.md, "The outputs"), compiled by
the real compilers."""
import json
import os
import shutil
import subprocess
import time
import unittest

from support import KiB, MiB, TestCase, clean_env, fresh_dir, helper, run

FW = ("--name", "fw", "--platform", "embedded", "--component", "net=1MB", "--component", "storage=512KB",
      "--component", "app=1.5MB")


def generate(d, *args, env=None):
    proc = helper("budget", "validate", *args, "--header-out", d / "gen" / "fw_budget.h",
                  "--rust-out", d / "gen" / "memory_constants.rs", "--json-out", d / "gen" / "fw_budget.json",
                  env=env if env is not None else clean_env())
    return proc


def tool(name):
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not on PATH; .ci/run installs it")
    return path


C_CHECK = r"""
#include "fw_budget.h"
#include <stdio.h>
#include <string.h>
#if TOTAL_MEMORY_BUDGET != 3145728
#error "total"
#endif
#if BUDGET_NET != 1048576 || BUDGET_STORAGE != 524288 || BUDGET_APP != 1572864
#error "components"
#endif
#if EMBEDDED_MAX_BUDGET != 4194304 || IOT_MAX_BUDGET != 16777216 || DESKTOP_MAX_BUDGET != 134217728 || SERVER_MAX_BUDGET != 536870912
#error "platform maxima"
#endif
#if !defined(MEMORY_BUDGET_PLATFORM_EMBEDDED) || defined(MEMORY_BUDGET_PLATFORM_IOT) || PLATFORM_MAX_BUDGET != 4194304
#error "platform"
#endif
static unsigned char net_pool[BUDGET_NET];
#define ADD(name, id, bytes) + (bytes)
static const unsigned long long sum = 0 MEMORY_BUDGET_COMPONENTS(ADD);
int main(void) {
  net_pool[BUDGET_NET - 1] = 1;
  if (sizeof net_pool != 1048576u || net_pool[1048575] != 1) return 1;
  if (sum != TOTAL_MEMORY_BUDGET) return 2;
  if (MEMORY_BUDGET_COMPONENT_COUNT != 3) return 3;
  if (strcmp(MEMORY_BUDGET_PLATFORM, "embedded") != 0) return 4;
  puts("c ok");
  return 0;
}
"""

CXX_CHECK = r"""
#include "fw_budget.h"
#include <cstdio>
#include <cstring>
static_assert(fw_budget::total_memory_budget == 3145728ULL, "total");
static_assert(fw_budget::budget_net == BUDGET_NET && fw_budget::budget_app == 1572864ULL, "components");
static_assert(fw_budget::component_count == 3, "count");
static_assert(fw_budget::components[1].bytes == 524288ULL, "order");
static_assert(fw_budget::platform_max_budget == fw_budget::embedded_max_budget, "platform");
static char pool[fw_budget::budget_storage];
int main() {
  unsigned long long sum = 0;
  for (const auto& c : fw_budget::components) sum += c.bytes;
  if (sum != TOTAL_MEMORY_BUDGET || sizeof pool != 524288) return 1;
  if (std::strcmp(fw_budget::components[2].name, "app") != 0 || std::strcmp(fw_budget::platform, "embedded") != 0) return 2;
  std::puts("c++ ok");
}
"""

RUST_CHECK = r"""
include!("gen/memory_constants.rs");
const _: () = assert!(TOTAL_MEMORY_BUDGET == 3145728);
fn main() {
    assert_eq!(BUDGET_NET, 1048576);
    assert_eq!(BUDGET_STORAGE, 524288);
    assert_eq!(BUDGET_APP, 1572864);
    assert_eq!(EMBEDDED_MAX_BUDGET, 4 * 1024 * 1024);
    assert_eq!(SERVER_MAX_BUDGET, 512 * 1024 * 1024);
    assert_eq!(MEMORY_BUDGET_PLATFORM, "embedded");
    assert_eq!(PLATFORM_MAX_BUDGET, EMBEDDED_MAX_BUDGET);
    let names: Vec<&str> = MEMORY_BUDGET_COMPONENTS.iter().map(|c| c.0).collect();
    assert_eq!(names, ["net", "storage", "app"]);
    assert_eq!(MEMORY_BUDGET_COMPONENTS.iter().map(|c| c.1).sum::<usize>(), TOTAL_MEMORY_BUDGET);
    static POOL: [u8; BUDGET_NET] = [0; BUDGET_NET];
    assert_eq!(POOL.len(), 1048576);
    println!("rust ok");
}
"""


class Header(TestCase):
    def setUp(self):
        self.d = fresh_dir("outputs", self.id().rsplit(".", 1)[-1])
        self.assertOk(generate(self.d, *FW))

    def compile_and_run(self, compiler, flags, source_name, source):
        (self.d / source_name).write_text(source)
        exe = self.d / (source_name + ".bin")
        self.assertOk(run([tool(compiler), *flags, "-Wall", "-Wextra", "-Werror", "-I", self.d / "gen",
                           self.d / source_name, "-o", exe]), f"{compiler} {flags}")
        return run([exe])

    def test_compiles_as_c(self):
        for std in ("-std=c99", "-std=c11", "-std=c17"):
            with self.subTest(std=std):
                proc = self.compile_and_run("cc", [std, "-pedantic"], "check.c", C_CHECK)
                self.assertOk(proc)
                self.assertEqual(proc.stdout, "c ok\n")

    def test_compiles_as_cxx(self):
        for std in ("-std=c++11", "-std=c++17", "-std=c++20"):
            with self.subTest(std=std):
                proc = self.compile_and_run("c++", [std], "check.cpp", CXX_CHECK)
                self.assertOk(proc)
                self.assertEqual(proc.stdout, "c++ ok\n")

    def test_compiles_with_clang_too(self):
        proc = self.compile_and_run("clang", ["-std=c11"], "check.c", C_CHECK)
        self.assertOk(proc)

    def test_prefix_applies_to_every_macro(self):
        d = fresh_dir("outputs", "prefix")
        self.assertOk(generate(d, *FW, "--prefix", "FW_"))
        text = (d / "gen" / "fw_budget.h").read_text()
        macros = [l.split()[1] for l in text.splitlines() if l.startswith("#define ")]
        guard = macros[0]
        self.assertEqual([m for m in macros[1:] if not m.startswith("FW_")], [])
        self.assertIn("FW_BUDGET_NET", macros)
        self.assertIn("FW_TOTAL_MEMORY_BUDGET", macros)
        self.assertIn("FW_MEMORY_BUDGET_COMPONENTS(X)", macros)
        self.assertTrue(guard.startswith("BUILDBUDGET_FW_"))
        rust = (d / "gen" / "memory_constants.rs").read_text()
        consts = [l.split()[2].rstrip(":") for l in rust.splitlines() if l.startswith("pub const ")]
        self.assertEqual([c for c in consts if not c.startswith("FW_")], [])
        # Two sets, one with a prefix, in one translation unit: no clashes.
        other = fresh_dir("outputs", "prefix-other")
        self.assertOk(helper("budget", "validate", "--name", "wrt", "--preset", "wrt",
                             "--header-out", other / "wrt_budget.h", env=clean_env()))
        (d / "both.cpp").write_text('#include "fw_budget.h"\n#include "wrt_budget.h"\n'
                                    "static_assert(FW_TOTAL_MEMORY_BUDGET == 3145728ULL, \"fw\");\n"
                                    "static_assert(TOTAL_MEMORY_BUDGET == 67633152ULL, \"wrt\");\n"
                                    "static_assert(wrt_budget::budget_wrt_runtime == 16777216ULL, \"ns\");\n"
                                    "int main() { return fw_budget::component_count == 3 ? 0 : 1; }\n")
        self.assertOk(run([tool("c++"), "-std=c++17", "-Wall", "-Wextra", "-Werror", "-I", d / "gen", "-I", other,
                           d / "both.cpp", "-o", d / "both"]))


class Rust(TestCase):
    def test_compiled_by_rustc(self):
        d = fresh_dir("outputs", "rust")
        self.assertOk(generate(d, *FW))
        (d / "main.rs").write_text(RUST_CHECK)
        proc = run([tool("rustc"), "--edition", "2021", "-D", "warnings", "main.rs", "-o", "check"], cwd=d)
        self.assertOk(proc, "rustc")
        proc = run([d / "check"])
        self.assertOk(proc)
        self.assertEqual(proc.stdout, "rust ok\n")


class Json(TestCase):
    def test_description(self):
        d = fresh_dir("outputs", "json")
        self.assertOk(generate(d, *FW, env=clean_env(WRT_BUDGET_APP="1MB")))
        data = json.loads((d / "gen" / "fw_budget.json").read_text())
        self.assertEqual(data["platform"], "embedded")
        self.assertEqual(data["total_bytes"], MiB + 512 * KiB + MiB)
        self.assertEqual([(c["name"], c["bytes"], c["source"]) for c in data["components"]],
                         [("net", MiB, "cmake"), ("storage", 512 * KiB, "cmake"), ("app", MiB, "env")])
        self.assertEqual(data["rules"]["platform_max_bytes"],
                         {"embedded": 4 * MiB, "iot": 16 * MiB, "desktop": 128 * MiB, "server": 512 * MiB})


class Files(TestCase):
    def test_reproducible_byte_for_byte(self):
        a, b = fresh_dir("outputs", "repro-a"), fresh_dir("outputs", "repro-b")
        self.assertOk(generate(a, *FW))
        time.sleep(1.1)
        self.assertOk(generate(b, *FW))
        for name in ("fw_budget.h", "memory_constants.rs", "fw_budget.json"):
            self.assertEqual((a / "gen" / name).read_bytes(), (b / "gen" / name).read_bytes(), name)
            self.assertNotRegex((a / "gen" / name).read_text(), r"20\d\d-\d\d-\d\d|\d\d:\d\d:\d\d")

    def test_unchanged_outputs_keep_their_modification_time(self):
        d = fresh_dir("outputs", "mtime")
        self.assertOk(generate(d, *FW))
        files = [d / "gen" / n for n in ("fw_budget.h", "memory_constants.rs", "fw_budget.json")]
        old = time.time() - 3600
        for f in files:
            os.utime(f, (old, old))
        self.assertOk(generate(d, *FW))
        self.assertEqual([int(f.stat().st_mtime) for f in files], [int(old)] * 3)
        self.assertOk(generate(d, *FW[:-1], "app=1MB"))
        self.assertTrue(all(f.stat().st_mtime > old for f in files))
        self.assertEqual(sorted(p.name for p in (d / "gen").iterdir()),
                         ["fw_budget.h", "fw_budget.json", "memory_constants.rs"])  # no temporary files left

    def test_nothing_is_written_when_invalid(self):
        d = fresh_dir("outputs", "invalid")
        self.assertOk(generate(d, *FW))
        before = (d / "gen" / "fw_budget.h").read_bytes()
        self.assertFails(generate(d, *FW[:-1], "app=3MB"))  # 4.5 MiB > embedded
        self.assertEqual((d / "gen" / "fw_budget.h").read_bytes(), before)

    def test_unwritable_output_is_an_error(self):
        d = fresh_dir("outputs", "unwritable")
        (d / "file").write_text("x")
        proc = helper("budget", "validate", *FW, "--header-out", d / "file" / "fw.h", env=clean_env())
        self.assertFails(proc)
        self.assertRegex(proc.stderr, rf"(?m)^{d}/file/fw\.h: error: Cannot write the output: cannot create "
                                      r"directory .*/file: .+$")


if __name__ == "__main__":
    unittest.main()
