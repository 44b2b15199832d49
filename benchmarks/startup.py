"""Start-up time of ``comfyui-skill --help`` against ``python -c pass``.

Prints the median wall time of each (after warm-up runs, so the help cache is built and the OS
file cache is warm) and their ratio. Target: ratio <= 1.5 with every built-in plugin installed.
Also prints the cold figure (help cache disabled), which is what a first run after installing or
upgrading a plugin costs.

    python benchmarks/startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def median_seconds(command: list[str], runs: int, env: dict[str, str]) -> float:
    for _ in range(3):
        subprocess.run(command, stdout=subprocess.DEVNULL, env=env, check=True)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, env=env, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    executable = shutil.which("comfyui-skill", path=os.path.dirname(sys.executable)) or "comfyui-skill"
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "COMFYUI_SKILL_CACHE_DIR": cache}
        env.pop("COMFYUI_SKILL_NO_CACHE", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode
        baseline = median_seconds([sys.executable, "-c", "pass"], runs, env)
        cached = median_seconds([executable, "--help"], runs, env)
        cold = median_seconds([executable, "--help"], runs, {**env, "COMFYUI_SKILL_NO_CACHE": "1"})
        listing = median_seconds([executable, "server", "list"], runs, env)
    print(f"python -c pass             {baseline * 1000:7.1f} ms")
    print(f"comfyui-skill --help       {cached * 1000:7.1f} ms   ratio {cached / baseline:.2f} (target <= 1.5)")
    print(f"  without the help cache   {cold * 1000:7.1f} ms   ratio {cold / baseline:.2f}")
    print(f"comfyui-skill server list  {listing * 1000:7.1f} ms   ratio {listing / baseline:.2f}")


if __name__ == "__main__":
    main()
