"""Comfy API v2: what ``comfyui-skill`` costs on top of a minimal client, and a batch's throughput.

Both parts run the real comfy-api-proxy (PyPI) in front of the fake ComfyUI, as the tests do.

1. Run overhead: the median wall time (and CPU time) of ``comfyui-skill run W1`` through the proxy,
   next to a minimal hand-written v2 client on urllib3 (POST /jobs, poll GET /jobs/{id} every 50 ms,
   GET each output's link). Fresh processes, interleaved rounds after one warm-up round.
   Target: the CLI's wall time at most 1.2x the minimal client's.
2. Batch: 200 items of W1 (a different width each, so none is cached) over two proxies, each in front
   of its own fake ComfyUI whose nodes take ``--delay`` s. Throughput as a fraction of the ideal that
   keeps both ComfyUIs busy all the time: (sum of their own execution times / 2) / batch wall time.
   Target: >= 0.9.

Prints figures; asserts nothing. Usage: ``.venv/bin/python benchmarks/comfy_api.py [--runs N] [--items N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from batch import busy_seconds
from comfyui_skill.testing.fake_comfyui import FakeComfyUI
from measure import child
from run_overhead import workflow_copy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.comfy_api.conftest import start_proxy  # noqa: E402 - the same start-up as the tests

W1 = ROOT / "tests" / "fixtures" / "workflows" / "W1_empty_image_save.json"

MINIMAL = r"""
import json, sys, time, uuid, urllib3
url, workflow, out = sys.argv[1], sys.argv[2], sys.argv[3]
http = urllib3.PoolManager()
body = json.dumps({"workflow": json.load(open(workflow))}).encode()
job = http.request("POST", url + "/api/v2/jobs", body=body,
                   headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}).json()
while job["status"] not in ("succeeded", "failed", "canceled", "expired"):
    time.sleep(0.05)
    job = http.request("GET", url + "/api/v2/jobs/" + job["id"]).json()
for output in job["outputs"]:
    with open(out + "/" + output["name"].rsplit("/", 1)[-1], "wb") as f:
        f.write(http.request("GET", output["url"]).data)
print(job["id"])
"""


def overhead(runs: int) -> None:
    with FakeComfyUI() as fake, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        proxy = start_proxy(fake.url, folder)
        env = {**os.environ, "COMFYUI_SKILL_DATA_DIR": str(folder / "data"),
               "COMFYUI_SKILL_CONFIG": str(folder / "config.toml"), "COMFYUI_SKILL_CACHE_DIR": str(folder / "cache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        figures: dict[str, tuple[list[float], list[float]]] = {"minimal client": ([], []), "comfyui-skill run": ([], [])}
        try:
            for index in range(runs + 1):  # round 0 warms up
                out = folder / f"out-{index}"
                out.mkdir()
                commands = {
                    "minimal client": [sys.executable, "-c", MINIMAL, proxy.url, workflow_copy(folder, 2 * index), str(out)],
                    "comfyui-skill run": [sys.executable, "-m", "comfyui_skill", "--url", proxy.url, "--kind",
                                          "comfy-api", "run", workflow_copy(folder, 2 * index + 1), "-o", str(out)],
                }
                for name, command in commands.items():
                    wall, cpu, _stdout = child(command, env)
                    if index:
                        figures[name][0].append(wall)
                        figures[name][1].append(cpu)
        finally:
            proxy.stop()
    medians = {name: (statistics.median(walls), statistics.median(cpus)) for name, (walls, cpus) in figures.items()}
    for name, (wall, cpu) in medians.items():
        print(f"{name:18}  wall {wall * 1000:7.1f} ms   cpu {cpu * 1000:7.1f} ms   ({runs} runs, median)")
    ratio = medians["comfyui-skill run"][0] / medians["minimal client"][0]
    print(f"W1 through the proxy: comfyui-skill run / minimal client = {ratio:.2f}x wall (target <= 1.2x), "
          f"{medians['comfyui-skill run'][1] / medians['minimal client'][1]:.2f}x CPU")


def batch(items: int, delay: float) -> None:
    from comfyui_skill.app import run

    with tempfile.TemporaryDirectory() as tmp:
        fakes = [FakeComfyUI().start() for _ in range(2)]
        for fake in fakes:
            fake.exec_delay = delay
        proxies = [start_proxy(fake.url, Path(tmp)) for fake in fakes]
        env = {"COMFYUI_SKILL_CONFIG": f"{tmp}/config.toml", "COMFYUI_SKILL_DATA_DIR": f"{tmp}/data",
               "COMFYUI_SKILL_CACHE_DIR": f"{tmp}/cache", "COMFYUI_SKILL_NO_CACHE": "1"}
        os.environ.update(env)
        try:
            for index, proxy in enumerate(proxies):
                with contextlib.redirect_stdout(io.StringIO()):
                    run(["server", "add", f"proxy{index}", proxy.url, "--kind", "comfy-api"], environ={**os.environ})
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = run(["run", str(W1), "--sweep", f"1.width=1..{items}", "--servers", "proxy0,proxy1",
                            "-o", f"{tmp}/out", "--json"], environ={**os.environ})
            data = json.loads(out.getvalue())["data"]
            busy = [busy_seconds(fake.url) for fake in fakes]
        finally:
            for proxy in proxies:
                proxy.stop()
            for fake in fakes:
                fake.stop()
    wall = data["elapsed"]
    print(f"batch: exit code {code}; {data['counts']['done']}/{items} done in {wall:.2f} s ({data['rate']:.1f} items/s) "
          f"over 2 proxies ({', '.join(str(s['done']) for s in data['servers'])} items each)")
    print(f"throughput vs ideal (ComfyUIs' own busy time {busy[0]:.2f} s + {busy[1]:.2f} s): "
          f"{sum(busy) / 2 / wall:.3f} (target >= 0.9)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds per executed node (W1 runs two)")
    options = parser.parse_args()
    overhead(options.runs)
    batch(options.items, options.delay)


if __name__ == "__main__":
    main()
