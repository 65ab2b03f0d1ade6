#!/usr/bin/env python3
"""googletest built through distcc inside one memory limit (Python 3 standard library only).

What it measures
----------------
googletest's sources as Debian's googletest package ships them (/usr/src/googletest, unedited, with
its samples: -Dgtest_build_samples=ON, RelWithDebInfo; 18 units, 4 static libraries, 10 programs),
configured and built from scratch in each of these ways, each inside a new memory cgroup (v1 or v2)
with the same limit, while two distccd on loopback ports (each --jobs 4, listed as host/4) run
outside it as the farm:

  farm        lowmem_profile() injected (-DCMAKE_PROJECT_INCLUDE=lowmem-inject.cmake) with
              -DBUILDBUDGET_LOWMEM_DISTRIBUTED=distcc: the compile pool is the farm's (8 remote slots
              when memory holds their preprocessors), links sized by local memory; `ninja -j8`.
  farm-fail   the same, with both daemons stopped (by pid) once they have compiled half the units:
              the launcher compiles the rest locally through admission.
  plain-fail  no BuildBudget, CMAKE_CXX_COMPILER_LAUNCHER=distcc, `ninja -j8`, the daemons stopped
              the same way: distcc's own fallback compiles the rest locally, 8 at once.
  local       lowmem_profile() injected without a farm: the local pools, `ninja`.
  local-j8    no BuildBudget, no farm, `ninja -j8`: what the limit is set to OOM-kill.

For each: whether it finished, the cgroup's OOM kills, the local peak (memory.max_usage_in_bytes or
memory.peak, which count the page cache too) and the wall time. The farm shares this machine's CPUs
(2 here), so wall times say nothing about a real farm's speed-up.

Needs root (cgroups; distccd runs as its own user), distcc, and the package installed:
  python3 bench/lowmem_distributed.py --prefix <install prefix> [--limit-mib 1024] [--ways ...]
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
from support import DaemonProcess, become_subreaper, free_port  # noqa: E402  (the tests' daemon handling)

SOURCE = pathlib.Path("/usr/src/googletest")
OPTIONS = ["-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-Dgtest_build_samples=ON"]
UNITS = 18


class Farm:
    """Two distccd on loopback, outside the build's cgroup, stopped by pid (the tests' DaemonProcess)."""

    def __init__(self, work):
        self.daemons = []
        for n in range(2):
            port = free_port()
            log = work / f"distccd-{n}.log"
            log.write_text("")
            os.chmod(log, 0o666)
            daemon = DaemonProcess(["distccd", "--daemon", "--no-detach", "--allow", "127.0.0.1", "--listen",
                                    "127.0.0.1", "--port", str(port), "--jobs", "4", "--log-file", str(log)])
            self.daemons.append((daemon, port, log))
        for _, port, _ in self.daemons:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port)).close()
                    break
                except OSError:
                    time.sleep(0.05)
        self.hosts = " ".join(f"127.0.0.1:{port}/4" for _, port, _ in self.daemons)

    def compiled(self):
        return sum(log.read_text().count("COMPILE_OK") for _, _, log in self.daemons)

    def stop(self):
        for daemon, _, _ in self.daemons:
            daemon.stop(signal.SIGKILL)


class Cgroup:
    def __init__(self, name, limit):
        v1 = pathlib.Path("/sys/fs/cgroup/memory")
        self.v1 = v1.is_dir()
        self.path = (v1 if self.v1 else pathlib.Path("/sys/fs/cgroup")) / name
        self.path.mkdir()
        (self.path / ("memory.limit_in_bytes" if self.v1 else "memory.max")).write_text(str(limit))
        if (self.path / "memory.swap.max").exists():
            (self.path / "memory.swap.max").write_text("0")

    def command(self, cmd):
        return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(self.path), *map(str, cmd)]

    def oom_kills(self):
        text = (self.path / ("memory.oom_control" if self.v1 else "memory.events")).read_text()
        return int(re.search(r"(?m)^oom_kill (\d+)$", text).group(1))

    def peak(self):
        return int((self.path / ("memory.max_usage_in_bytes" if self.v1 else "memory.peak")).read_text())

    def remove(self):
        self.path.rmdir()


def run_way(way, args, work, env):
    build = work / way
    shutil.rmtree(build, ignore_errors=True)
    farm = Farm(work) if not way.startswith("local") else None
    env = dict(env)
    defs = list(OPTIONS)
    if farm:
        env["DISTCC_HOSTS"] = farm.hosts
        (work / "distcc-dir").mkdir(exist_ok=True)
        shutil.rmtree(work / "distcc-dir" / "lock", ignore_errors=True)
        env["DISTCC_DIR"] = str(work / "distcc-dir")
    inject = pathlib.Path(args.prefix) / "lib/cmake/BuildBudget/lowmem-inject.cmake"
    if way == "local-j8":
        pass
    elif way == "plain-fail":
        defs.append("-DCMAKE_CXX_COMPILER_LAUNCHER=distcc")
        defs.append("-DCMAKE_C_COMPILER_LAUNCHER=distcc")
    else:
        defs += [f"-DCMAKE_PROJECT_INCLUDE={inject}", f"-DCMAKE_PREFIX_PATH={args.prefix}"]
        if args.reserve:
            defs.append(f"-DBUILDBUDGET_LOWMEM_RESERVE={args.reserve}")
    if way in ("farm", "farm-fail"):
        defs.append("-DBUILDBUDGET_LOWMEM_DISTRIBUTED=distcc")
    cgroup = Cgroup(f"buildbudget-bench-farm-{os.getpid()}-{way}", args.limit_mib << 20)
    try:
        configure = subprocess.run(cgroup.command(["cmake", "-S", SOURCE, "-B", build, "-G", "Ninja", *defs]),
                                   env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if configure.returncode != 0:
            sys.exit(f"{way}: configure failed:\n{configure.stdout}")
        pools = re.findall(r"(?m)^pool (\w+)\n\s+depth = (\d+)",
                           "".join(p.read_text() for p in build.rglob("*.ninja")))
        jobs = [] if way == "local" else ["-j8"]
        start = time.monotonic()
        ninja = subprocess.Popen(cgroup.command(["ninja", "-C", build, *jobs]), env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if way.endswith("-fail"):
            while ninja.poll() is None and farm.compiled() < UNITS // 2:
                time.sleep(0.05)
            farm.stop()
        output = ninja.communicate()[0]
        wall = time.monotonic() - start
        result = {"way": way, "finished": ninja.returncode == 0, "exit": ninja.returncode,
                  "oom_kills": cgroup.oom_kills(), "peak_mib": round(cgroup.peak() / (1 << 20)),
                  "wall_s": round(wall, 1), "pools": dict(pools),
                  "remote_compiles": farm.compiled() if farm else 0}
        log = build / "buildbudget-lowmem/jobs.jsonl"
        if log.exists():
            ran = [json.loads(line).get("distributed", {}).get("ran") for line in log.read_text().splitlines()]
            result["fallbacks"] = ran.count("fallback")
        if ninja.returncode != 0:
            result["tail"] = output.splitlines()[-3:]
        return result
    finally:
        if farm:
            farm.stop()
        cgroup.remove()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefix", required=True, help="the installed BuildBudget package")
    parser.add_argument("--limit-mib", type=int, default=1024, help="the cgroup memory limit (MiB)")
    parser.add_argument("--reserve", default="256MiB", help="lowmem_profile() RESERVE (-DBUILDBUDGET_LOWMEM_RESERVE)")
    parser.add_argument("--ways", default="local-j8,farm,farm-fail,plain-fail,local")
    parser.add_argument("--work", default="/tmp/buildbudget-bench-farm")
    args = parser.parse_args()
    # The daemons' children, orphaned when a daemon is killed, become this process's to reap.
    assert become_subreaper() == 0, "prctl(PR_SET_CHILD_SUBREAPER)"
    work = pathlib.Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.chmod(work, 0o777)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CMAKE_", "BUILDBUDGET_", "DISTCC_", "CCACHE_", "CXXFLAGS", "CFLAGS", "LDFLAGS",
                                "MAKEFLAGS", "NINJA_"))}
    for way in args.ways.split(","):
        print(json.dumps(run_way(way, args, work, env)), flush=True)


if __name__ == "__main__":
    main()
