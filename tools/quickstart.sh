#!/usr/bin/env bash
# Quick start, command 1 (README.md): on a fresh Debian 12 machine, as root,
# install whatever is missing, build and install BuildBudget into
# build/install, then run the main job: the embedded example end to end
# (validate the budget, generate the header, build the firmware, run it, hold
# it to its budget with the footprint, freestanding and heap-peak checks, and
# print where the report of every budget is and the first lines of its report.md).
# Command 2 is `ctest --test-dir build -j2 --output-on-failure`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# Build tools and the helper's libraries (libelf reads ELF files; zlib and
# brotli give the compressed sizes of WebAssembly modules); the test
# suite also compiles the generated header with clang, wasm modules with clang
# and wasm-ld (lld), the Rust constants with rustc, runs wasm modules with
# Node.js and cross-checks sizes with binutils.
packages=(cmake ninja-build g++ clang lld llvm binutils python3 libtomlplusplus-dev nlohmann-json3-dev libcli11-dev
          libelf-dev zlib1g-dev libbrotli-dev libgtest-dev
          # `wasm analyze`: libiberty demangles C++ and Rust names, OpenSSL's libcrypto hashes
          # modules for the compressed-size cache
          libiberty-dev libssl-dev
          # WebAssembly: clang's wasm32-wasi libraries, Debian's Rust with the wasm32 standard
          # libraries, binaryen (wasm-opt), wabt (the tests' independent reader), Emscripten
          wasi-libc libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32
          rustc cargo libstd-rust-dev-wasm32 binaryen wabt emscripten node-acorn
          # Go (js/wasm modules from the wild for `wasm analyze`), npm (TypeScript, `npm pack`,
          # the npm modules the analysis tests read) and Chromium (the packaged loader in a browser)
          golang-go chromium
          # lowmem_profile(): the linkers it sets flags for (GNU ld and gold are in binutils, lld
          # above), ccache (the launcher chains it) and dash (the env script is POSIX sh)
          mold ccache dash
          # sccache: cargo's rustc runs through it behind the launcher (tests/test_buildmem_cargo.py)
          sccache
          # the compile farms lowmem_profile() sizes pools for (tests/test_buildmem_distributed.py runs distccd),
          # and libicecc, the helper's client of icecream's scheduler (tests/test_buildmem_icecream.py);
          # distcc-pump: distcc's pump mode (tests/test_lowmem_distributed.py)
          distcc distcc-pump icecc libicecc-dev
          # GNU time: the peak memory of the helper alone (tests/test_wasm_analyze_scale.py)
          time
          # GitHub's Markdown renderer: the tests render `buildbudget report`'s report.md (tests/test_report.py)
          cmark-gfm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "quickstart: missing Debian packages: ${missing[*]}; run this script as root (or install them)" >&2
    exit 1
  fi
  echo "== Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The real TypeScript compiler: the tests check every generated .d.ts with `tsc --strict`.
if ! command -v tsc >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "quickstart: tsc is missing; run this script as root (or npm install -g typescript@5)" >&2
    exit 1
  fi
  echo "== Installing TypeScript from npm"
  npm install -g --no-fund --no-audit typescript@5
fi

echo "== Building and installing BuildBudget into build/install"
cmake -S . -B build -G Ninja
cmake --build build
cmake --install build --prefix "$root/build/install"

echo "== Main job: examples/embedded-firmware"
echo "-- validate the budget and generate fw_budget.h (every component and the source of its value)"
WRT_DEBUG_VALIDATION=1 cmake -S examples/embedded-firmware -B build/embedded-firmware -G Ninja \
  -DCMAKE_PREFIX_PATH="$root/build/install"
echo "-- build the firmware (its pools are sized from the generated header)"
cmake --build build/embedded-firmware
echo "-- run it"
./build/embedded-firmware/firmware
./build/embedded-firmware/firmware --selftest
echo "-- hold the build to its budget: static RAM per component, storage freestanding, the self-test's heap peak"
ctest --test-dir build/embedded-firmware -L budget -V | sed -nE 's/^[0-9]+: //p' \
  | grep -vE '^(Test command|Working Directory|Test timeout)'
echo "-- reports (JSON and JUnit XML): build/embedded-firmware/buildbudget-reports/"
report=build/embedded-firmware/buildbudget-report
echo "-- every budget in one report (ctest -L budget ran buildbudget.report last): $report/"
echo "   the page: file://$root/$report/report.html"
head -n 5 "$report/report.md"
