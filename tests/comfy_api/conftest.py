"""The real comfy-api-proxy (PyPI), started in front of the fake ComfyUI, and a CLI pointed at it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from comfyui_skill.testing import CliResult

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"
#: Generous bounds for the proxy to come up; the wait ends as soon as it answers.
START_TIMEOUT = 60.0


class Proxy:
    """A running ``comfy-api-proxy run`` subprocess."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path, token: str | None) -> None:
        self.process, self.port, self.log, self.token = process, port, log, token

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, route: str) -> Any:
        """A v2 route's JSON, as the proxy answers it (with the token when it has one)."""
        request = urllib.request.Request(self.url + "/api/v2" + route)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback only
            return json.loads(answer.read())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/api/v2/health", timeout=5) as answer:  # noqa: S310 - loopback
            return answer.status == 200
    except urllib.error.HTTPError as exc:
        return exc.code == 401  # up, and asking for its token
    except OSError:
        return False


def start_proxy(comfy_url: str, folder: Path, token: str | None = None) -> Proxy:
    """Start the proxy on a free loopback port and wait until it answers (a taken port: next one)."""
    executable = shutil.which("comfy-api-proxy", path=os.path.dirname(sys.executable))
    if executable is None:
        pytest.fail("comfy-api-proxy is not installed: pip install -e '.[test]'")
    for attempt in range(3):
        port = _free_port()
        log = folder / f"proxy-{port}.log"
        argv = [executable, "run", "--comfyui", comfy_url, "--host", "127.0.0.1", "--port", str(port)]
        env = dict(os.environ)
        if token:
            argv += ["--token", token]
        with log.open("wb") as output:
            process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT, env=env)
        proxy = Proxy(process, port, log, token)
        end = time.monotonic() + START_TIMEOUT
        while process.poll() is None and time.monotonic() < end:
            if _healthy(proxy.url):
                return proxy
            time.sleep(0.05)  # polling a condition (the proxy answering), bounded by START_TIMEOUT
        proxy.stop()
        if "address already in use" not in log.read_text(errors="replace").lower():
            break
    pytest.fail(f"comfy-api-proxy did not start: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture
def proxy(fake_comfy: Any, tmp_path: Path) -> Iterator[Proxy]:
    started = start_proxy(fake_comfy.url, tmp_path)
    yield started
    started.stop()
    fake_comfy.wait_idle(15)


@pytest.fixture
def run_v2(run_cli: Any, proxy: Proxy) -> Callable[..., CliResult]:
    """``run_v2("run", path)``: the CLI with ``--url <proxy> --kind comfy-api``."""

    def run(*argv: str, **kwargs: Any) -> CliResult:
        return run_cli("--url", proxy.url, "--kind", "comfy-api", *argv, **kwargs)

    return run


@pytest.fixture
def w1(tmp_path: Path) -> Callable[..., str]:
    """``w1("prefix")``: the path of workflow W1 saving under ``prefix``."""

    def make(prefix: str = "v2/empty", **inputs: Any) -> str:
        graph = json.loads((WORKFLOWS / "W1_empty_image_save.json").read_text())
        graph["2"]["inputs"]["filename_prefix"] = prefix
        graph["1"]["inputs"].update(inputs)
        path = tmp_path / f"{prefix.replace('/', '_')}.json"
        path.write_text(json.dumps(graph))
        return str(path)

    return make


@pytest.fixture
def surface(proxy: Proxy) -> Iterator[Any]:
    """A fake Serverless deployment (Bearer key, signed downloads, programmable trouble) before the proxy."""
    from .fake_surface import FakeSurface

    with FakeSurface(proxy.url) as fake:
        yield fake


@pytest.fixture
def run_deployment(run_cli: Any, surface: Any) -> Callable[..., CliResult]:
    """The CLI with a configured server ``dep``: the fake surface as a Serverless deployment."""
    added = run_cli("server", "add", "dep", surface.url, "--kind", "comfy-api")
    assert added.exit_code == 0, added.stderr
    for key, value in (("surface", "deployment"),):
        assert run_cli("config", "set", f"servers.dep.{key}", value).exit_code == 0
    stored = run_cli("config", "set", "servers.dep.api_key", "--stdin", input=surface.api_key + "\n")
    assert stored.exit_code == 0, stored.stderr

    def run(*argv: str, **kwargs: Any) -> CliResult:
        return run_cli("-s", "dep", *argv, **kwargs)

    return run
