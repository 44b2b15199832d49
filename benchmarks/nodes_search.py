"""How fast ``nodes list --search`` answers from the node-catalog cache, on the real 887-class catalog.

Target (issue #4): well under the time Python needs to start twice. Starts the fake ComfyUI (which
serves the recorded ``/object_info``), fills the cache once (which also remembers the command's
shortcut, see ``comfyui_skill.shortcuts``), then times, as medians of ``--runs`` interleaved rounds
of fresh processes (bytecode caching on, after a warm-up round):

* ``python -c pass`` (the interpreter's start-up),
* ``comfyui-skill server list`` (the CLI's full start-up and parser, no network: for comparison,
  what every command without a shortcut pays),
* ``comfyui-skill nodes list --search TEXT`` as a whole process (within ``nodes.cache_ttl``: no
  request at all; answered by the shortcut),
* the same with ``-v``, which bypasses the shortcut: the ordinary path (argparse, pluggy, plugins),
* the same command in-process (plugins already imported): the cost of the search itself.

It prints the whole process against twice Python's start-up, and what it costs beyond one Python
start-up. Run: ``.venv/bin/python benchmarks/nodes_search.py [--runs N] [--search TEXT]``. It
asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from comfyui_skill.app import run
from comfyui_skill.testing.fake_comfyui import FakeComfyUI
from measure import child


def seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--search", default="latent")
    options = parser.parse_args()
    cli = str(Path(sys.executable).with_name("comfyui-skill"))
    with tempfile.TemporaryDirectory() as home, FakeComfyUI() as server:
        env = {**os.environ, "COMFYUI_SKILL_CACHE_DIR": f"{home}/cache", "COMFYUI_SKILL_CONFIG": f"{home}/config.toml",
               "COMFYUI_SKILL_DATA_DIR": f"{home}/data"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ.update(env)
        command = ["--url", server.url, "nodes", "list", "--search", options.search]
        fill = seconds(lambda: run([*command, "--refresh"], stdout=io.StringIO(), stderr=io.StringIO()))
        processes = {
            "python -c pass": ([sys.executable, "-c", "pass"], env),
            "comfyui-skill server list": ([cli, "server", "list"], env),
            "nodes list --search (process)": ([cli, *command], env),
            # -v bypasses the shortcut and nothing else (COMFYUI_SKILL_NO_CACHE would bypass the entry-point cache too)
            "nodes list --search (process, no shortcut)": ([cli, "-v", *command], env),
        }
        walls: dict[str, list[float]] = {name: [] for name in processes}
        cpus: dict[str, list[float]] = {name: [] for name in processes}
        for round_ in range(options.runs + 1):  # round 0 warms up (bytecode, OS file cache)
            for name, (argv, environ) in processes.items():
                wall, cpu, _ = child(argv, environ, cwd=home)
                if round_:
                    walls[name].append(wall)
                    cpus[name].append(cpu)
        figures = {name: statistics.median(values) for name, values in walls.items()}
        cpu_figures = {name: statistics.median(values) for name, values in cpus.items()}
        figures["nodes list --search (in-process)"] = statistics.median(
            seconds(lambda: run(command, stdout=io.StringIO(), stderr=io.StringIO())) for _ in range(options.runs))
        figures["nodes list --search --refresh (in-process, no cache)"] = fill
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        cpu = f"   CPU {cpu_figures[name] * 1000:6.1f} ms" if name in cpu_figures else ""
        print(f"{name:<{width}}  {value * 1000:8.1f} ms{cpu}")
    for label, measured in (("wall", figures), ("CPU", cpu_figures)):
        twice = 2 * measured["python -c pass"]
        whole = measured["nodes list --search (process)"]
        beyond = whole - measured["python -c pass"]
        print(f"{label:>4}: whole process {whole * 1000:.1f} ms / (2 x python start-up {twice * 1000:.1f} ms) = "
              f"{whole / twice:.2f} (target: well under 1); beyond one Python start-up {beyond * 1000:.1f} ms; "
              f"without the shortcut {measured['nodes list --search (process, no shortcut)'] / twice:.2f}")
    in_process = figures["nodes list --search (in-process)"]
    print(f"in-process (plugins loaded, from the cache): {in_process * 1000:.1f} ms = "
          f"{in_process / (2 * figures['python -c pass']):.2f} x (2 x python start-up)")


if __name__ == "__main__":
    main()
