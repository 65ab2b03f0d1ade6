"""`buildbudget footprint` and `freestanding` on files a user may hand them by mistake
(doc/messages.md, "Budget checks"): each one a clear error naming the file, never a crash. The files
are made at test time with the real compilers and binutils."""
import json
import re
import subprocess
import unittest

from support import HELPER, TestCase, fresh_dir, helper, run

C_SOURCE = "unsigned char buffer[4096];\nint table[16] = {1};\nint get(int i) { return table[i] + buffer[i]; }\n"


class BadInput(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = fresh_dir("footprint-inputs")
        (cls.dir / "data.c").write_text(C_SOURCE)
        (cls.dir / "main.c").write_text('#include <stdlib.h>\nvoid* volatile keep;\nint main(void) { keep = malloc(64); free(keep); return 0; }\n')

    def sh(self, *cmd):
        proc = subprocess.run([str(c) for c in cmd], cwd=self.dir, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        self.assertOk(proc, " ".join(map(str, cmd)))

    def fails_with(self, path, pattern):
        proc = helper("footprint", path)
        self.assertFails(proc)
        self.assertRegex(proc.stderr, re.compile(r"^buildbudget: error: " + pattern + "$", re.M))
        self.assertNotIn("Aborted", proc.stderr)
        return proc

    def test_not_an_elf_or_wasm_file(self):
        (self.dir / "notes.txt").write_text("hello\n")
        self.fails_with(self.dir / "notes.txt", re.escape(f"{self.dir}/notes.txt: not an ELF file, an archive or a "
                                                          "WebAssembly module") + r".*")

    def test_truncated_object(self):
        self.sh("gcc", "-c", "data.c", "-o", "whole.o")
        whole = (self.dir / "whole.o").read_bytes()
        (self.dir / "cut.o").write_bytes(whole[:len(whole) // 2])
        self.fails_with(self.dir / "cut.o", re.escape(f"{self.dir}/cut.o: truncated: ") +
                        r"the section header table \(bytes \d+\.\.\d+\) runs past the end of the file \(" +
                        str(len(whole) // 2) + r" bytes\)")
        (self.dir / "header.o").write_bytes(whole[:40])
        self.fails_with(self.dir / "header.o", re.escape(f"{self.dir}/header.o: truncated: the ELF header needs 64 "
                                                         "bytes, the file has 40"))

    def test_archive_with_a_non_elf_member(self):
        self.sh("gcc", "-c", "data.c", "-o", "data.o")
        (self.dir / "README").write_text("not an object\n")
        self.sh("ar", "rc", "mixed.a", "data.o", "README")
        self.fails_with(self.dir / "mixed.a", re.escape(f"{self.dir}/mixed.a(README): not an ELF object (member at "
                                                        "byte offset ") + r"\d+\); expected an archive of ELF objects")

    def test_lto_objects_need_the_linked_file(self):
        self.sh("clang", "-flto", "-c", "data.c", "-o", "clang-lto.o")
        self.sh("ar", "rc", "libclang-lto.a", "clang-lto.o")
        self.sh("gcc", "-flto", "-c", "data.c", "-o", "gcc-lto.o")
        for name, what in (("clang-lto.o", "an LLVM bitcode object"), ("libclang-lto.a(clang-lto.o)", "an LLVM bitcode object"),
                           ("gcc-lto.o", "a GCC LTO object")):
            path = name.split("(")[0]
            with self.subTest(file=name):
                self.fails_with(self.dir / path, re.escape(f"{self.dir}/{name}: {what} (-flto): ") +
                                r".*the footprint of LTO objects needs the linked executable or shared library.*")

    def test_stripped_binary_has_sizes_but_no_symbols(self):
        self.sh("gcc", "-O2", "main.c", "data.c", "-o", "prog")
        self.sh("strip", "prog", "-o", "prog-stripped")
        stripped = helper("footprint", self.dir / "prog-stripped")
        self.assertOk(stripped)
        self.assertIn(f"{self.dir}/prog-stripped: note: no symbol table (stripped): sizes are complete, but the "
                      "largest data symbols cannot be named", stripped.stdout)
        row = lambda out, name: re.search(rf"^{re.escape(str(self.dir / name))}\s+\| executable\s+\|(.*)$", out, re.M).group(1)
        unstripped = helper("footprint", self.dir / "prog")
        self.assertEqual(row(stripped.stdout, "prog-stripped"), row(unstripped.stdout, "prog"))
        # An archive with one stripped member of two: its sizes count, the note says which part lacks names.
        self.sh("gcc", "-c", "data.c", "-o", "named.o")
        self.sh("gcc", "-c", "main.c", "-o", "bare.o")
        self.sh("strip", "bare.o")
        self.sh("ar", "rc", "libhalf.a", "named.o", "bare.o")
        half = helper("footprint", self.dir / "libhalf.a")
        self.assertOk(half)
        self.assertIn(f"{self.dir}/libhalf.a: note: 1 of 2 objects have no symbol table: their data symbols cannot "
                      "be named", half.stdout)
        # The dynamic symbol table is still there: the heap functions are still found.
        free = helper("freestanding", self.dir / "prog-stripped")
        self.assertFails(free)
        self.assertIn("prog-stripped needs malloc (heap)", free.stderr)

    def test_missing_file(self):
        self.fails_with(self.dir / "absent.a", re.escape(f"{self.dir}/absent.a: cannot open: No such file or directory"))

    def test_truncated_wasm_module_names_the_byte_offset(self):
        # A module with data, zero-initialised data and a stack; --export-all exports wasm-ld's layout symbols.
        (self.dir / "layout.c").write_text(
            "unsigned char buffer[4096];\nint table[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};\n"
            "int get(int i) { volatile int local[64]; local[i & 63] = i; return table[i & 15] + buffer[i] + "
            "local[(i + 1) & 63]; }\n")
        self.sh("clang", "--target=wasm32", "-nostdlib", "-O2", "-Wl,--no-entry", "-Wl,--export-all", "layout.c",
                "-o", "layout.wasm")
        whole = (self.dir / "layout.wasm").read_bytes()
        (self.dir / "cut.wasm").write_bytes(whole[:len(whole) - 10])
        self.fails_with(self.dir / "cut.wasm", re.escape(f"{self.dir}/cut.wasm: ") + r".* at byte offset \d+")
        ok = helper("footprint", "--json", self.dir / "layout.wasm")
        self.assertOk(ok)
        [module] = json.loads(ok.stdout)
        # wasm-objdump (wabt) as the independent reader: everything from __global_base to __heap_base is
        # reserved before the heap: data, zero-initialised data and the stack.
        dump = subprocess.run(["wasm-objdump", "-x", self.dir / "layout.wasm"], text=True,
                              stdout=subprocess.PIPE, check=True).stdout
        value = lambda name: int(re.search(rf"<{name}> - init i32=(\d+)", dump).group(1))
        segments = [int(n) for n in re.findall(r"- segment\[\d+\](?: <[^>]*>)? memory=0 size=(\d+)", dump)]
        self.assertEqual(module["sizes"]["data"], sum(segments))  # table[16] (wasm-ld drops its trailing zeros)
        self.assertGreater(sum(segments), 60)
        self.assertEqual(module["sizes"]["static_ram"], value("__heap_base") - value("__global_base"))
        self.assertGreaterEqual(module["sizes"]["bss"], 4096 + 65536 - 64)  # buffer and wasm-ld's 64 KiB stack

    def test_usage_errors_exit_2(self):
        self.assertFails(helper("footprint"), 2)
        self.assertFails(helper("footprint", "--artifact", "net=x.a"), 2)
        self.assertFails(helper("footprint", "--budget", "b.json", "--artifact", "netx.a"), 2)
        self.assertFails(helper("footprint", "x.a", "--junit", "x.xml"), 2)

    def test_json_lists_every_file(self):
        self.sh("gcc", "-c", "data.c", "-o", "json.o")
        proc = helper("footprint", "--json", self.dir / "json.o")
        self.assertOk(proc)
        [obj] = json.loads(proc.stdout)
        self.assertEqual((obj["kind"], obj["sizes"]["bss"], obj["sizes"]["data"]), ("object file", 4096, 64))


if __name__ == "__main__":
    unittest.main()
