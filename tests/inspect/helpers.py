"""Talking to the fake server directly (to prepare a state), and reading what it received."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"


#: a host name that never resolves (RFC 2606): unreachable at once, without the retries a refused
#: connection gets
UNRESOLVABLE_URL = "http://no-such-host.invalid:8188"


def call(fake: Any, method: str, route: str, payload: Any = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(fake.url + route, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


def submit(fake: Any, color: int, client_id: str = "test-client") -> str:
    """Queue W1 (EmptyImage -> SaveImage) with a distinct colour; returns its prompt id."""
    graph = json.loads((WORKFLOWS / "W1_empty_image_save.json").read_text())
    graph["1"]["inputs"]["color"] = color
    return call(fake, "POST", "/prompt", {"prompt": graph, "client_id": client_id})["prompt_id"]


def wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll ``condition`` until it returns something true (no blind sleeps)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


def received(fake: Any, method: str, path: str) -> list[Any]:
    """The requests the fake received for one route, oldest first."""
    return [r for r in fake.requests if r.method == method and r.path == path]


def requested(fake: Any, method: str, path: str) -> int:
    return len(received(fake, method, path))


def write_config(path: str, servers: dict[str, str], default: str) -> None:
    lines = [f'default_server = "{default}"']
    for name, url in servers.items():
        lines += [f"[servers.{name}]", f'url = "{url}"', 'kind = "local"']
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines) + "\n")


def sent_prompts(fake: Any) -> list[dict[str, Any]]:
    """The bodies of every POST /prompt the fake received, in order."""
    return [json.loads(r.body) for r in received(fake, "POST", "/prompt")]
