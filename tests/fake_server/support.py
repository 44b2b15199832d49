"""Helpers for the fake server's own tests: recorded exchanges, plain HTTP calls, WebSocket reading."""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import websocket

from comfyui_skill.testing.fake_comfyui import FakeComfyUI

RECORDINGS = Path(__file__).parent / "recordings"
VOLATILE_KEYS = {"prompt_id", "timestamp", "create_time", "modified", "created", "number", "id", "priority",
                 "execution_start_time", "execution_end_time", "sid", "size"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TEMP_PREFIX = re.compile(r"ComfyUI_temp_[a-z]{5}_")
BOUNDARY = "fake-comfyui-test-boundary"
TIMEOUT = 30  # a safety net for answers that come (a loaded machine may be slow), never waited out


def exchange(name: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / "http" / f"{name}.json").read_text())


def workflow(name: str) -> dict[str, Any]:
    path = next((RECORDINGS / "workflows").glob(f"{name}_*.json"))
    return json.loads(path.read_text())


def ws_recording(name: str, socket: str | None = None) -> list[dict[str, Any]]:
    """The server-to-client frames of a recorded scenario: ``{"type", "data"}`` (binary: type ``binary``)."""
    frames = []
    for line in (RECORDINGS / "ws" / f"{name}.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if entry["dir"] != "in" or entry.get("socket") != socket:
            continue
        frames.append(entry["data"] if entry["kind"] == "text" else {"type": "binary", "data": entry["info"]})
    return frames


def ws_posted_prompts(name: str) -> list[dict[str, Any]]:
    """The ``POST /prompt`` bodies sent during a recorded WebSocket scenario."""
    return [entry["data"]["request"]["body"]
            for entry in map(json.loads, (RECORDINGS / "ws" / f"{name}.jsonl").read_text().splitlines())
            if entry["kind"] == "http" and entry["data"]["request"]["path"] == "/prompt"]


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(fake: FakeComfyUI, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None, json_body: Any = None) -> Response:
    """One HTTP request with urllib; error statuses are returned, not raised."""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(fake.url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as reply:
            return Response(reply.status, reply.headers, reply.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, error.headers, error.read())


def multipart(parts: list[dict[str, Any]]) -> bytes:
    """Encode recorded ``multipart_form_data`` parts."""
    out = b""
    for part in parts:
        out += f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{part['name']}\"".encode()
        if "filename" in part:
            out += f"; filename=\"{part['filename']}\"\r\nContent-Type: {part['content_type']}\r\n\r\n".encode()
            out += base64.b64decode(part["data_base64"]) + b"\r\n"
        else:
            out += f"\r\n\r\n{part['value']}\r\n".encode()
    return out + f"--{BOUNDARY}--\r\n".encode()


def replay(fake: FakeComfyUI, recorded: dict[str, Any]) -> Response:
    """Send a recorded request to the fake."""
    request = recorded["request"]
    headers = dict(request["headers"])
    encoding, body = request["body_encoding"], request["body"]
    data = {"none": lambda: None, "json": lambda: json.dumps(body).encode(), "raw_text": lambda: body.encode(),
            "multipart": lambda: multipart(body["multipart_form_data"])}[encoding]()
    if encoding == "multipart":
        headers["Content-Type"] = f"multipart/form-data; boundary={BOUNDARY}"
    if headers.get("Origin"):
        headers["Host"] = f"127.0.0.1:{fake.port}"
    query = f"?{request['raw_query']}" if request.get("raw_query") else ""
    return call(fake, request["method"], request["path"] + query, data, headers)


def normalize(value: Any) -> Any:
    """Blank out ids, times and counters so recorded and fake bodies compare."""
    if isinstance(value, dict):
        return {UUID.sub("<uuid>", key): "<volatile>" if key in VOLATILE_KEYS else normalize(
            ["<volatile>", *item[1:]] if key == "prompt" and isinstance(item, list) else item)
            for key, item in value.items()}
    if isinstance(value, list):
        return [normalize(item) for item in value]
    if isinstance(value, str):
        return TEMP_PREFIX.sub("ComfyUI_temp_<random>_", UUID.sub("<uuid>", value))
    return value


def base_dir(fake: FakeComfyUI) -> str:
    return str(fake.input_dir.parent)


def assert_matches(fake: FakeComfyUI, recorded: dict[str, Any], response: Response) -> None:
    """Same status, Content-Type (or none), Allow, and body up to volatile values."""
    expected = recorded["response"]
    assert response.status == expected["status"], response.body
    assert response.headers.get("Content-Type") == expected["headers"].get("Content-Type")
    if "Allow" in expected["headers"]:
        assert response.headers["Allow"] == expected["headers"]["Allow"]
    text = response.body.decode("utf-8", "replace").replace(json.dumps(base_dir(fake))[1:-1], "<COMFY_DIR>")
    if expected["body_encoding"] == "json":
        assert normalize(json.loads(text)) == normalize(expected["body"])
    elif expected["body_encoding"] == "text":
        assert text == expected["body"]
    else:
        assert response.body == base64.b64decode(expected["body"])


def post_prompt(fake: FakeComfyUI, prompt: dict[str, Any], **fields: Any) -> Response:
    return call(fake, "POST", "/prompt", json_body={"prompt": prompt, **fields})


class Socket:
    """A websocket-client connection that decodes server frames."""

    def __init__(self, fake: FakeComfyUI, client_id: str | None = None, metadata: bool = False,
                 header: list[str] | None = None) -> None:
        url = fake.ws_url + (f"?clientId={client_id}" if client_id else "")
        self.ws = websocket.create_connection(url, timeout=TIMEOUT, header=header)
        if metadata:
            self.ws.send(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))

    def recv(self) -> dict[str, Any]:
        frame = self.ws.recv()
        if isinstance(frame, bytes):
            return {"type": "binary", "data": frame}
        return json.loads(frame)

    def until(self, predicate: Any) -> list[dict[str, Any]]:
        """Frames up to and including the first one matching ``predicate``."""
        frames = []
        while True:
            frames.append(self.recv())
            if predicate(frames[-1]):
                return frames

    def until_all(self, *predicates: Any) -> list[dict[str, Any]]:
        """Frames up to the point where every predicate has matched some frame (in any order)."""
        waiting = list(predicates)

        def satisfied(frame: dict[str, Any]) -> bool:
            waiting[:] = [predicate for predicate in waiting if not predicate(frame)]
            return not waiting
        return self.until(satisfied)

    def until_done(self, prompt_id: str) -> list[dict[str, Any]]:
        """Frames up to ``executing {node: null}`` for ``prompt_id``."""
        return self.until(lambda f: f["type"] == "executing" and f["data"].get("node") is None
                          and f["data"].get("prompt_id") == prompt_id)

    def close(self) -> None:
        self.ws.close()
        self.ws.shutdown()  # websocket-client leaves the socket open when the server closed first


def new_client_id() -> str:
    return str(uuid.uuid4())


def shape(frames: list[dict[str, Any]]) -> list[str]:
    """Frame types, with each run of progress ticks (the real server throttles them) squashed to one."""
    types = " ".join(frame["type"] for frame in frames)
    tick = r"progress_state (?:binary )?progress(?: binary)?"
    return re.sub(rf"({tick})(?: {tick})+", r"\1", types).split()
