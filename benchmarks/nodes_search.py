"""How fast ``nodes list --search`` answers from the node-catalog cache, on the real 887-class catalog.

Starts the fake ComfyUI (which serves the recorded ``/object_info``), fills the cache once, then
times, as medians of ``--runs`` runs:

* ``python -c pass`` (the interpreter's start-up; the target is well under twice that for the
  command's own work),
* ``comfyui-skill server list`` (the CLI's full start-up and parser, no network: ``--version``
  takes a cached fast path and would flatter the comparison),
* ``comfyui-skill nodes list --search TEXT`` as a whole process,
* the same command in-process (plugins already imported): the cost the cache leaves.

Run: ``.venv/bin/python benchmarks/nodes_search.py [--runs N] [--search TEXT]``. It prints figures
and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from comfyui_skill.app import run
from comfyui_skill.testing.fake_comfyui import FakeComfyUI


def median_seconds(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def process(argv: Sequence[str], env: dict[str, str], cwd: str) -> Callable[[], object]:
    def action() -> object:
        return subprocess.run(list(argv), env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              check=True)
    return action


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--search", default="latent")
    options = parser.parse_args()
    cli = str(Path(sys.executable).with_name("comfyui-skill"))
    with tempfile.TemporaryDirectory() as home, FakeComfyUI() as server:
        env = {**os.environ, "COMFYUI_SKILL_CACHE_DIR": f"{home}/cache", "COMFYUI_SKILL_CONFIG": f"{home}/config.toml",
               "COMFYUI_SKILL_DATA_DIR": f"{home}/data"}
        os.environ.update(env)
        command = ["--url", server.url, "nodes", "list", "--search", options.search]
        fill = median_seconds(lambda: run([*command, "--refresh"], stdout=io.StringIO(), stderr=io.StringIO()), 1)
        figures = {
            "python -c pass": median_seconds(process([sys.executable, "-c", "pass"], env, home), options.runs),
            "comfyui-skill server list": median_seconds(process([cli, "server", "list"], env, home), options.runs),
            "nodes list --search (process)": median_seconds(process([cli, *command], env, home), options.runs),
            "nodes list --search (in-process)": median_seconds(
                lambda: run(command, stdout=io.StringIO(), stderr=io.StringIO()), options.runs),
            "nodes list --search --refresh (in-process, no cache)": fill,
        }
    width = max(len(name) for name in figures)
    for name, seconds in figures.items():
        print(f"{name:<{width}}  {seconds * 1000:8.1f} ms")
    startup = figures["python -c pass"]
    own = figures["nodes list --search (process)"] - figures["comfyui-skill server list"]
    print(f"{'2 x python start-up':<{width}}  {2 * startup * 1000:8.1f} ms")
    print(f"{'command work beyond CLI start-up':<{width}}  {own * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
