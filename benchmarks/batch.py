"""Throughput, CPU and memory of a batch: 200 items of a ~0.1 s job over 2 fake servers.

The two fake ComfyUI servers run in a child process (so their work is not counted as the client's);
each executed node takes ``--delay`` seconds, W1 has two, so a job takes ~0.1 s. The batch runs the
real CLI in this process: ``run W1 --sweep 1.width=1..200 --servers A,B`` (a different width per item,
so no job is served from the server's cache).

Prints:
* achieved throughput as a fraction of the ideal, where the ideal keeps both servers busy all the
  time: (sum of the servers' own execution times / 2) / batch wall time; and against the nominal job
  time (items x 2 x delay / 2);
* the client's CPU time per item (user + system of this process over the batch);
* the client's RSS before the batch, at 10 % / 50 % / 100 % of its wall time, and its peak (the step
  from "before" to 10 % is loading the HTTP/WebSocket stack and the server's node catalog; flat
  memory means the later figures stay level).
Target: >= 0.9 of ideal, memory flat. Asserts nothing.

Usage: ``.venv/bin/python benchmarks/batch.py [--items 200] [--delay 0.05]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
W1 = ROOT / "tests" / "fixtures" / "workflows" / "W1_empty_image_save.json"

SERVERS = r"""
import sys
from comfyui_skill.testing.fake_comfyui import FakeComfyUI
fakes = [FakeComfyUI().start() for _ in range(2)]
for fake in fakes:
    fake.exec_delay = float(sys.argv[1])
    fake.progress_steps_delay = 0
print(" ".join(fake.url for fake in fakes), flush=True)
sys.stdin.read()
for fake in fakes:
    fake.stop()
"""


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.05):
            self.samples.append(rss_mb())


def busy_seconds(url: str) -> float:
    """The server's own execution time, summed over its history."""
    with urllib.request.urlopen(f"{url}/history?max_items=100000") as response:
        history = json.load(response)
    total = 0.0
    for entry in history.values():
        messages = dict(entry["status"]["messages"])
        total += (messages["execution_success"]["timestamp"] - messages["execution_start"]["timestamp"]) / 1000
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds per executed node (W1 runs two)")
    options = parser.parse_args()

    from comfyui_skill.app import run  # imported before measuring: start-up is not the batch's cost

    servers = subprocess.Popen([sys.executable, "-c", SERVERS, str(options.delay)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    urls = servers.stdout.readline().split()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"COMFYUI_SKILL_CONFIG": f"{tmp}/config.toml", "COMFYUI_SKILL_DATA_DIR": f"{tmp}/data",
               "COMFYUI_SKILL_CACHE_DIR": f"{tmp}/cache", "COMFYUI_SKILL_NO_CACHE": "1"}
        os.environ.update(env)
        argv = ["run", str(W1), "--sweep", f"1.width=1..{options.items}", "--servers", ",".join(urls),
                "-o", f"{tmp}/out", "--json"]
        sampler = Sampler()
        rss_start = rss_mb()
        cpu_start = resource.getrusage(resource.RUSAGE_SELF)
        sampler.start()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = run(argv, environ={**os.environ, **env})
        cpu_end = resource.getrusage(resource.RUSAGE_SELF)
        sampler.halt.set()
        sampler.join()
        rss_end = rss_mb()
        data = json.loads(out.getvalue())["data"]
        busy = [busy_seconds(url) for url in urls]
    servers.stdin.close()
    servers.wait(10)

    wall = data["elapsed"]
    cpu = (cpu_end.ru_utime - cpu_start.ru_utime) + (cpu_end.ru_stime - cpu_start.ru_stime)
    ideal = sum(busy) / len(urls)
    nominal = options.items * 2 * options.delay / len(urls)
    print(f"exit code {code}; {data['counts']['done']}/{options.items} done in {wall:.2f} s "
          f"({data['rate']:.1f} items/s) over {len(urls)} servers "
          f"({', '.join(str(s['done']) for s in data['servers'])} items each)")
    print(f"throughput vs ideal (servers' own busy time {busy[0]:.2f} s + {busy[1]:.2f} s): {ideal / wall:.3f}")
    print(f"throughput vs nominal job time ({2 * options.delay:.2f} s/job): {nominal / wall:.3f}")
    print(f"client CPU: {cpu:.2f} s total, {cpu / options.items * 1000:.1f} ms per item")
    samples = sampler.samples or [rss_end]
    at = [samples[min(int(len(samples) * share), len(samples) - 1)] for share in (0.1, 0.5, 1.0)]
    print(f"client RSS: before {rss_start:.1f} MB; at 10% {at[0]:.1f} MB, 50% {at[1]:.1f} MB, end {at[2]:.1f} MB "
          f"(after {rss_end:.1f} MB); peak {max(samples):.1f} MB")


if __name__ == "__main__":
    main()
