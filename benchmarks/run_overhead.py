"""How much time and memory ``comfyui-skill run`` adds on top of the server's own work.

1. Overhead: for a trivial workflow (W1) on the fake ComfyUI, the median wall time of
   ``comfyui-skill run`` minus the server's own execution time, next to the same figure for a minimal
   hand-written client (WebSocket, POST /prompt, wait, GET /view). All run as fresh processes.
   Target: the CLI's client time is at most 1.3x the minimal script's. Two minimal scripts are
   measured: one on the libraries comfyui-skill is built on (urllib3 and websocket-client; what the
   CLI adds over them is its own cost), and one on the standard library's urllib.request (for scale:
   it also shows what importing urllib3 costs).
2. Memory: the peak RSS of a process downloading a 1 GiB output through ``ComfyClient.download``
   (streamed to disk). Target: under 100 MB.

Both sides run with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` is dropped from the children's
environment, as an installed package has its ``.pyc`` files) after one warm-up round that is not
counted; the rounds interleave the two, so a busy machine slows both alike. Besides wall time the
children's CPU time (user + system) is shown: it is steadier on a shared machine.

Prints figures; asserts nothing. Usage: ``.venv/bin/python benchmarks/run_overhead.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from comfyui_skill.testing.fake_comfyui import FakeComfyUI
from measure import child

ROOT = Path(__file__).resolve().parent.parent
W1 = ROOT / "tests" / "fixtures" / "workflows" / "W1_empty_image_save.json"

#: the part both minimal clients share: wait on the WebSocket for the prompt's end, noting its images
FOLLOW = r"""
files = []
while True:
    message = ws.recv()
    if isinstance(message, bytes):
        continue
    message = json.loads(message)
    data = message.get("data", {})
    if data.get("prompt_id") != prompt_id:
        continue
    if message["type"] == "executed":
        files += data["output"].get("images", [])
    if message["type"] == "executing" and data.get("node") is None:
        break
"""

MINIMAL_STDLIB = r"""
import json, sys, uuid, urllib.parse, urllib.request, websocket
url, workflow, out = sys.argv[1], sys.argv[2], sys.argv[3]
client_id = uuid.uuid4().hex
ws = websocket.create_connection(url.replace("http", "ws", 1) + "/ws?clientId=" + client_id)
body = json.dumps({"prompt": json.load(open(workflow)), "client_id": client_id}).encode()
prompt_id = json.load(urllib.request.urlopen(urllib.request.Request(url + "/prompt", data=body)))["prompt_id"]
""" + FOLLOW + r"""
for item in files:
    query = urllib.parse.urlencode({k: item[k] for k in ("filename", "subfolder", "type")})
    with urllib.request.urlopen(url + "/view?" + query) as response, open(out + "/" + item["filename"], "wb") as f:
        f.write(response.read())
print(prompt_id)
"""

MINIMAL_URLLIB3 = r"""
import json, sys, uuid, urllib3, websocket
url, workflow, out = sys.argv[1], sys.argv[2], sys.argv[3]
http = urllib3.PoolManager()
client_id = uuid.uuid4().hex
ws = websocket.create_connection(url.replace("http", "ws", 1) + "/ws?clientId=" + client_id)
body = json.dumps({"prompt": json.load(open(workflow)), "client_id": client_id}).encode()
prompt_id = http.request("POST", url + "/prompt", body=body).json()["prompt_id"]
""" + FOLLOW + r"""
for item in files:
    fields = {k: item[k] for k in ("filename", "subfolder", "type")}
    with open(out + "/" + item["filename"], "wb") as f:
        f.write(http.request("GET", url + "/view", fields=fields).data)
print(prompt_id)
"""

DOWNLOAD = r"""
import resource, sys
from pathlib import Path
from comfyui_skill import Backend, ComfyClient, make_server
client = ComfyClient(Backend(make_server("bench", {"url": sys.argv[1]})))
path = client.download(sys.argv[2], "", "output", Path(sys.argv[3]))
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(path.stat().st_size, rss * (1 if sys.platform == "darwin" else 1024))
"""


#: the minimal clients, by the label printed for each
SCRIPTS = {"script (urllib3)": MINIMAL_URLLIB3, "script (urllib.request)": MINIMAL_STDLIB}


def server_seconds(url: str, prompt_id: str) -> float:
    """execution_start -> execution_success, from the server's history."""
    with urllib.request.urlopen(f"{url}/history/{prompt_id}") as response:
        entry = json.load(response)[prompt_id]
    stamps = {name: data["timestamp"] for name, data in entry["status"]["messages"] if "timestamp" in data}
    return (stamps["execution_success"] - stamps["execution_start"]) / 1000


def workflow_copy(folder: Path, index: int) -> str:
    graph = json.loads(W1.read_text())
    graph["1"]["inputs"]["color"] = index  # a new input each time: really executed, never cached
    path = folder / f"w1-{index}.json"
    path.write_text(json.dumps(graph))
    return str(path)


def overhead(runs: int) -> None:
    with FakeComfyUI() as fake, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "COMFYUI_SKILL_DATA_DIR": str(folder / "data"),
               "COMFYUI_SKILL_CONFIG": str(folder / "config.toml"), "COMFYUI_SKILL_CACHE_DIR": str(folder / "cache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        figures: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in [*SCRIPTS, "cli", "queue"]}

        def measure(name: str, command: list[str], counted: bool) -> str:
            wall, cpu, stdout = child(command, env)
            if name != "queue":
                wall -= server_seconds(fake.url, (json.loads(stdout)["data"]["prompt_id"] if name == "cli"
                                                  else stdout.strip()))
            if counted:
                figures[name][0].append(wall)
                figures[name][1].append(cpu)
            return stdout

        for index in range(runs + 1):  # round 0 warms up: bytecode, the paid-node catalog cache
            out = folder / f"out-{index}"
            out.mkdir()
            measure("queue", [sys.executable, "-m", "comfyui_skill", "--url", fake.url, "queue", "list"], index > 0)
            measure("cli", [sys.executable, "-m", "comfyui_skill", "--url", fake.url, "run",
                            workflow_copy(folder, 3 * index), "-o", str(out / "cli"), "--json"], index > 0)
            for offset, name in enumerate(SCRIPTS, start=1):
                measure(name, [sys.executable, "-c", SCRIPTS[name], fake.url,
                               workflow_copy(folder, 3 * index + offset), str(out)], index > 0)
        medians = {name: (statistics.median(wall), statistics.median(cpu)) for name, (wall, cpu) in figures.items()}
        (cli, cli_cpu), (queue, _) = medians["cli"], medians["queue"]
        print(f"runs: {runs} of W1 on the fake server (fresh processes; server time subtracted)")
        print(f"comfyui-skill run          median client time {cli * 1000:7.1f} ms   CPU {cli_cpu * 1000:6.1f} ms")
        for name in SCRIPTS:
            script, script_cpu = medians[name]
            print(f"{name:26} median client time {script * 1000:7.1f} ms   CPU {script_cpu * 1000:6.1f} ms   "
                  f"ratio {cli / script:.2f}x   CPU {cli_cpu / script_cpu:.2f}x")
        print("target: the CLI at most 1.30x the minimal script on the same libraries (urllib3 + websocket)")
        print(f"for scale: 'comfyui-skill queue list' (start-up and one GET) takes {queue * 1000:.1f} ms")


def download_memory() -> None:
    with FakeComfyUI() as fake, tempfile.TemporaryDirectory() as tmp:
        big = Path(fake.output_dir) / "big.bin"
        with big.open("wb") as handle:  # sparse: 1 GiB of zeros costs no disk on the server side
            handle.truncate(1 << 30)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", DOWNLOAD, fake.url, big.name, tmp], capture_output=True,
                              text=True, check=True)
        seconds = time.perf_counter() - started
        size, rss = (int(v) for v in done.stdout.split())
        print(f"1 GiB download      {size / (1 << 30):.2f} GiB in {seconds:.1f} s, "
              f"peak RSS {rss / (1 << 20):.1f} MB (target < 100 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--skip-download", action="store_true")
    args = parser.parse_args()
    overhead(args.runs)
    if not args.skip_download:
        download_memory()


if __name__ == "__main__":
    main()
