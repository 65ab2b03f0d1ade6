"""`buildbudget wasm cargo-select` (doc/helper-wasm-dts.md, "buildbudget wasm cargo-select"): the
package and target wasm_build_target(CRATE) builds, picked from `cargo metadata --no-deps
--format-version 1` output that the test writes itself. Each selection rule, each error with its exact
text (wasm_build_target() shows it after its own context), a malformed metadata file, and the CMake
script read back by real CMake, with values that need quoting. End to end, wasm_build_target() on a real
cargo workspace shows the helper's message after its context, as it did before the helper picked."""
import json
import os
import subprocess
import tempfile
import unittest

from support import configure, fresh_dir

HELPER = os.environ["BUILDBUDGET_HELPER"]
CMAKE = os.environ.get("BUILDBUDGET_CMAKE", "cmake")


def target(name, *kinds):
    return {"name": name, "kind": list(kinds)}


def package(name, manifest, targets, features=None, dependencies=(), default_run=None):
    return {"name": name, "manifest_path": manifest, "targets": targets,
            "features": {} if features is None else features,
            "dependencies": list(dependencies), "default_run": default_run}


class CargoSelectTest(unittest.TestCase):
    def setUp(self):
        base = os.environ.get("BUILDBUDGET_WORK_DIR")
        if base:
            os.makedirs(base, exist_ok=True)
        self.dir = tempfile.mkdtemp(dir=base)
        self.ws = os.path.join(self.dir, "ws")
        for crate in ("app", "lib"):
            os.makedirs(os.path.join(self.ws, crate))
            open(os.path.join(self.ws, crate, "Cargo.toml"), "w").close()
        open(os.path.join(self.ws, "Cargo.toml"), "w").close()
        self.app = os.path.join(self.ws, "app", "Cargo.toml")
        self.lib = os.path.join(self.ws, "lib", "Cargo.toml")
        self.root = os.path.join(self.ws, "Cargo.toml")

    def select(self, packages, manifest, crate=None, features=(), raw=None):
        metadata = os.path.join(self.dir, "metadata.json")
        with open(metadata, "w") as f:
            f.write(raw if raw is not None else json.dumps({"packages": packages, "workspace_root": self.ws}))
        out = os.path.join(self.dir, "select.cmake")
        if os.path.exists(out):
            os.remove(out)
        args = [HELPER, "wasm", "cargo-select", "--metadata", metadata, "--manifest", manifest,
                "--cmake-out", out]
        if crate is not None:
            args.append("--crate=" + crate)
        args += ["--feature=" + f for f in features]
        r = subprocess.run(args, capture_output=True, text=True)
        return r, out, metadata

    def selected(self, *args, **kwargs):
        r, out, _ = self.select(*args, **kwargs)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        # Real CMake reads the script back.
        probe = os.path.join(self.dir, "probe.cmake")
        with open(probe, "w") as f:
            f.write('include("%s")\n' % out)
            for v in ("package", "package_dir", "workspace_root", "kind", "target_name", "stem"):
                f.write('message("%s=${%s}")\n' % (v, v))
        p = subprocess.run([CMAKE, "-P", probe], capture_output=True, text=True, check=True)
        return dict(line.split("=", 1) for line in p.stderr.splitlines())

    def failure(self, *args, **kwargs):
        r, out, _ = self.select(*args, **kwargs)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertFalse(os.path.exists(out))
        self.assertTrue(r.stderr.startswith("buildbudget: error: "), r.stderr)
        return r.stderr[len("buildbudget: error: "):].rstrip("\n")

    def test_own_package_cdylib_wins_and_stem_has_underscores(self):
        v = self.selected([package("my-lib", self.lib, [target("my-lib", "lib", "cdylib"),
                                                        target("tool", "bin")])], self.lib)
        self.assertEqual(v, {"package": "my-lib", "package_dir": os.path.dirname(self.lib),
                             "workspace_root": self.ws, "kind": "cdylib", "target_name": "my-lib",
                             "stem": "my_lib"})

    def test_manifest_compared_through_symbolic_links(self):
        link = os.path.join(self.dir, "link")
        os.symlink(os.path.join(self.ws, "app"), link)
        packages = [package("lib", self.lib, [target("lib", "cdylib")]),
                    package("app", self.app, [target("app", "bin")])]
        v = self.selected(packages, os.path.join(link, "Cargo.toml"))
        self.assertEqual((v["package"], v["kind"], v["target_name"], v["stem"]), ("app", "bin", "app", "app"))

    def test_crate_names_another_package(self):
        packages = [package("app", self.app, [target("app", "bin")]),
                    package("lib", self.lib, [target("lib", "cdylib")])]
        v = self.selected(packages, self.app, crate="lib")
        self.assertEqual((v["package"], v["kind"], v["package_dir"]), ("lib", "cdylib", os.path.dirname(self.lib)))

    def test_crate_names_a_bin_or_the_cdylib_of_the_own_package(self):
        packages = [package("app", self.app, [target("app_core", "cdylib"), target("one", "bin"),
                                              target("two", "bin")])]
        v = self.selected(packages, self.app, crate="two")
        self.assertEqual((v["kind"], v["target_name"], v["stem"]), ("bin", "two", "two"))
        v = self.selected(packages, self.app, crate="app-core")
        self.assertEqual((v["kind"], v["target_name"], v["stem"]), ("cdylib", "app_core", "app_core"))

    def test_single_bin_and_default_run(self):
        v = self.selected([package("app", self.app, [target("app", "lib"), target("only", "bin")])], self.app)
        self.assertEqual((v["kind"], v["target_name"]), ("bin", "only"))
        v = self.selected([package("app", self.app, [target("a", "bin"), target("b", "bin")], default_run="b")],
                          self.app)
        self.assertEqual((v["kind"], v["target_name"]), ("bin", "b"))

    def test_features_checked_unless_open(self):
        features = {"fast": [], "small": []}
        packages = [package("app", self.app, [target("app", "bin")], features=features)]
        self.selected(packages, self.app, features=["fast", "small", "dep/feature"])
        self.assertEqual(self.failure(packages, self.app, features=["fast", "huge"]),
                         'FEATURES "huge" is not a feature of package app (its features: fast, small)')
        self.assertEqual(self.failure([package("app", self.app, [target("app", "bin")])], self.app,
                                      features=["x"]),
                         'FEATURES "x" is not a feature of package app (its features: none)')
        optional = [package("app", self.app, [target("app", "bin")], features=features,
                            dependencies=[{"name": "serde", "optional": False},
                                          {"name": "log", "optional": True}])]
        self.selected(optional, self.app, features=["log", "anything"])

    def test_errors(self):
        self.assertEqual(self.failure([], self.app),
                         "MANIFEST %s has no package; expected a crate's Cargo.toml" % self.app)
        packages = [package("app", self.app, [target("app", "bin")]),
                    package("lib", self.lib, [target("lib", "cdylib")])]
        self.assertEqual(self.failure(packages, self.root),
                         "MANIFEST %s is a workspace without a package of its own; name the package to build "
                         "with CRATE (one of: app, lib)" % self.root)
        self.assertEqual(self.failure(packages, self.root, crate="nope"),
                         'CRATE "nope" is not a package of %s (packages: app, lib)' % self.root)
        self.assertEqual(self.failure(packages, self.app, crate="nope"),
                         'CRATE "nope" is neither a package of %s (packages: app, lib) nor a cdylib or bin '
                         'target of app (targets: app (bin))' % self.app)
        several = [package("app", self.app, [target("a", "bin"), target("b", "bin")], default_run="c")]
        self.assertEqual(self.failure(several, self.app),
                         "package app has several bin targets (a, b); name one with CRATE")
        none = [package("app", self.app, [target("app", "lib", "rlib"), target("t", "test")])]
        self.assertEqual(self.failure(none, self.app),
                         "package app (%s) builds no .wasm: it has no cdylib or bin target (targets: app (lib), "
                         "app (rlib), t (test)). Add `crate-type = [\"cdylib\"]` under [lib] in its Cargo.toml, "
                         "or a bin." % self.app)

    def test_malformed_metadata(self):
        r, out, metadata = self.select(None, self.app, raw='{"packages": [}')
        self.assertEqual(r.returncode, 1)
        self.assertIn("the cargo metadata file %s is not valid JSON (byte 15): " % metadata, r.stderr)
        self.assertIn("syntax error", r.stderr)
        self.assertFalse(os.path.exists(out))
        r, out, metadata = self.select(None, self.app, raw='{"packages": [{"name": 1}], "workspace_root": "/"}')
        self.assertEqual(r.returncode, 1)
        self.assertIn("the cargo metadata file %s is not `cargo metadata --format-version 1` output" % metadata,
                      r.stderr)

    def test_values_that_need_quoting(self):
        odd = os.path.join(self.dir, 'we"ird $x\\;dir')
        os.makedirs(odd)
        manifest = os.path.join(odd, "Cargo.toml")
        open(manifest, "w").close()
        v = self.selected([package("app", manifest, [target("app", "bin")])], manifest)
        self.assertEqual(v["package_dir"], odd)


class ThroughTheModule(unittest.TestCase):
    """wasm_build_target() passes the helper's message on after its own context."""

    @classmethod
    def setUpClass(cls):
        cls.dir = fresh_dir("cargo_select_module")
        ws = cls.dir / "ws"
        for name, lib in (("app", False), ("lib", True)):
            (ws / name / "src").mkdir(parents=True)
            toml = f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n'
            if lib:
                toml += '[lib]\ncrate-type = ["cdylib"]\n[features]\nfast = []\n'
                (ws / name / "src" / "lib.rs").write_text("")
            else:
                (ws / name / "src" / "main.rs").write_text("fn main() {}\n")
            (ws / name / "Cargo.toml").write_text(toml)
        (ws / "Cargo.toml").write_text('[workspace]\nmembers = ["app", "lib"]\nresolver = "2"\n')
        cls.ws = ws

    def configure(self, case, call):
        src = self.dir / case
        src.mkdir()
        (src / "CMakeLists.txt").write_text(
            "cmake_minimum_required(VERSION 3.20)\nproject(p LANGUAGES NONE)\n"
            "find_package(BuildBudget CONFIG REQUIRED)\n" + call + "\n")
        return configure(str(src), str(self.dir / (case + "-build")))

    def assertMessage(self, proc, message):
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        # CMake wraps and indents a long message: compare the words.
        self.assertIn(" ".join(message.split()), " ".join(proc.stderr.split()), proc.stderr)

    def test_workspace_without_crate(self):
        root = self.ws / "Cargo.toml"
        self.assertMessage(self.configure("workspace", f'wasm_build_target(w CARGO_MANIFEST "{root}")'),
                           f"wasm_build_target(w): MANIFEST {root} is a workspace without a package of its own; "
                           "name the package to build with CRATE (one of: app, lib)")

    def test_unknown_feature(self):
        manifest = self.ws / "lib" / "Cargo.toml"
        self.assertMessage(self.configure("feature", f'wasm_build_target(f CARGO_MANIFEST "{manifest}" '
                                                     "FEATURES fast slow)"),
                           'wasm_build_target(f): FEATURES "slow" is not a feature of package lib '
                           "(its features: fast)")


if __name__ == "__main__":
    unittest.main()
