"""Soak: many consecutive ``comfyui-skill run`` against the fake ComfyUI, watching for leaks.

1. Process per run: ``--runs`` fresh ``python -m comfyui_skill run`` processes, one after the other.
   Watched: failed runs, the peak RSS of any child, and the fake server's open files (a client that
   leaves sockets half-open shows there).
2. One batch in one process: the same number of runs through ``comfyui_skill.app.run`` in this very
   process. Watched: failed runs, this process's open file descriptors and RSS, sampled every 10% of
   the runs after a warm-up.

Both phases also check that no temporary ``.part`` file is left and that every output arrived.
The fake server runs in its own process so that its sockets and memory are not counted as ours.
The code soaked is a snapshot of a commit (``--ref``, default HEAD) taken at the start, never the live
working tree: edits made there while the soak runs (others working in the same tree) failed runs with
half-written modules (NameError, ImportError) that said nothing about the client.
Prints figures and exits 1 if a run failed or file descriptors grew; memory growth is reported
(a few MB of allocator noise is normal). It takes minutes: it is a benchmark, not a test.

Usage: ``.venv/bin/python benchmarks/soak.py [--runs 1000] [--ref HEAD]``
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
W1 = ROOT / "tests" / "fixtures" / "workflows" / "W1_empty_image_save.json"
SERVER = """
import sys
from comfyui_skill.testing.fake_comfyui import FakeComfyUI
with FakeComfyUI() as fake:
    print(fake.url, flush=True)
    sys.stdin.read()
"""
MB = 1024 * 1024


def snapshot(ref: str, into: Path) -> list[str]:
    """Extract ``core/`` and ``plugins/`` as of ``ref`` into ``into``; returns them as import roots
    (put first on the path, they shadow the editable install's paths into the working tree)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "core", "plugins"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into)
    return [str(into / "core"), str(into / "plugins")]


def open_fds(pid: int | str = "self") -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def isolated_env(home: Path) -> dict[str, str]:
    return {"COMFYUI_SKILL_CONFIG": str(home / "config.toml"), "COMFYUI_SKILL_DATA_DIR": str(home / "data"),
            "COMFYUI_SKILL_CACHE_DIR": str(home / "cache"), "COMFYUI_SKILL_NO_CACHE": "1"}


def failure(code: int, stdout: str, stderr: str) -> str:
    """Why a run failed: the error of its JSON envelope (``--json`` puts it on stdout), else stderr."""
    try:
        error = json.loads(stdout)["error"]
        reason = f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        reason = stderr.strip()[-300:] or stdout.strip()[-300:] or "no output"
    return f"exit {code}: {reason}"


def check_outputs(out: Path, runs: int) -> str:
    files = [p for p in out.rglob("*") if p.is_file()]
    parts = [p for p in files if p.name.endswith(".part")]
    return f"{len(files) - len(parts)} outputs (expected {runs}), {len(parts)} temporary files left"


def per_process(url: str, runs: int, server_pid: int, work: Path) -> bool:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMFYUI_SKILL_")},
           **isolated_env(work / "home-a"), "PYTHONPATH": os.pathsep.join(sys.path[:2])}
    out = work / "out-a"
    server_fds = [open_fds(server_pid)]
    failures: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    for n in range(1, runs + 1):
        done = subprocess.run([sys.executable, "-m", "comfyui_skill", "--url", url, "run", str(W1), "-o", str(out),
                               "--json", "--timeout", "60"], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            failures[failure(done.returncode, done.stdout, done.stderr)] += 1
        if n % max(runs // 10, 1) == 0:
            server_fds.append(open_fds(server_pid))
    seconds = time.perf_counter() - started
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    failed = sum(failures.values())
    print(f"process per run: {runs} runs in {seconds:.0f} s ({seconds / runs * 1000:.0f} ms each), {failed} failed")
    for message, count in failures.most_common():
        print(f"  {count} x {message}")
    print(f"  peak RSS of a child: {child_peak / MB:.1f} MB; server open files: {' -> '.join(map(str, server_fds))}")
    print(f"  {check_outputs(out, runs)}")
    return failed == 0 and server_fds[-1] <= server_fds[0] + 2


def one_process(url: str, runs: int, work: Path) -> bool:
    from comfyui_skill.app import run

    env = isolated_env(work / "home-b")
    os.environ.update(env)  # paths helpers read os.environ
    out = work / "out-b"
    argv = ["--url", url, "run", str(W1), "-o", str(out), "--json", "--timeout", "60"]
    warmup = max(runs // 50, 5)
    failures: collections.Counter[str] = collections.Counter()
    samples: list[tuple[int, int, int]] = []
    started = time.perf_counter()
    for n in range(1, runs + 1):
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = run(argv, stdin=io.StringIO(""), environ=env)
        if code != 0:
            failures[failure(code, stdout.getvalue(), stderr.getvalue())] += 1
        if n == warmup or n % max(runs // 10, 1) == 0:
            samples.append((n, open_fds(), rss()))
    seconds = time.perf_counter() - started
    failed = sum(failures.values())
    print(f"one process: {runs} runs in {seconds:.0f} s ({seconds / runs * 1000:.0f} ms each), {failed} failed")
    for message, count in failures.most_common():
        print(f"  {count} x {message}")
    print("  after run   open fds   RSS")
    for n, fds, size in samples:
        print(f"  {n:>9}   {fds:>8}   {size / MB:.1f} MB")
    (_, fds0, rss0), (_, fds1, rss1) = samples[0], samples[-1]
    print(f"  growth after the warm-up: {fds1 - fds0:+d} fds, {(rss1 - rss0) / MB:+.1f} MB")
    print(f"  {check_outputs(out, runs)}")
    return failed == 0 and fds1 <= fds0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--ref", default="HEAD", help="the commit whose code is soaked (default: HEAD)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="comfyui-skill-soak-") as work:
        sys.path[:0] = snapshot(args.ref, Path(work) / "code")
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.ref],
                                capture_output=True, text=True, check=True).stdout.strip()
        print(f"soaking commit {commit} ({args.runs} runs per phase)")
        server = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path[:2])})
        try:
            url = server.stdout.readline().strip()
            good = per_process(url, args.runs, server.pid, Path(work))
            good = one_process(url, args.runs, Path(work)) and good
        finally:
            server.stdin.close()
            server.wait(30)
    print("OK" if good else "FAILED: a run failed or open files grew")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
