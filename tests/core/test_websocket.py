"""The WebSocket stream against the fake server: order, binary frames, auth, redaction."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from comfyui_skill import Backend, ComfyClient, make_server, new_client_id
from comfyui_skill.errors import AuthError, UnreachableError
from comfyui_skill.testing.fake_comfyui import FakeComfyUI
from comfyui_skill.transport.ws import ConnectionClosed, WebSocketStream, decode_binary

WORKFLOWS = Path(__file__).resolve().parents[1] / "fixtures" / "workflows"


def client(url: str, **options: object) -> ComfyClient:
    return ComfyClient(Backend(make_server("fake", {"url": url, **options})))


def collect_until_idle(stream: WebSocketStream, prompt_id: str) -> list[tuple[str, dict]]:
    seen = []
    while True:
        message = stream.receive(timeout=30)
        assert message is not None, f"no message within 30 s; got {[t for t, _ in seen]}"
        seen.append((message.type, message.data))
        if message.type == "executing" and message.data.get("node") is None \
                and message.data.get("prompt_id") == prompt_id:
            return seen


def test_events_arrive_in_comfyui_order_when_connected_before_submitting(fake_comfy: FakeComfyUI) -> None:
    comfy = client(fake_comfy.url)
    client_id = new_client_id()
    with comfy.open_events(client_id) as stream:
        first = stream.receive(timeout=30)
        assert first is not None and first.type == "status" and first.data["sid"] == client_id
        prompt = json.loads((WORKFLOWS / "W1_empty_image_save.json").read_text())
        answer = comfy.submit(prompt, client_id=client_id)
        types = [t for t, _ in collect_until_idle(stream, answer["prompt_id"])]
    assert types.index("execution_start") < types.index("executed") < types.index("execution_success")
    assert types[-1] == "executing"


def test_binary_preview_frames_are_decoded(fake_comfy: FakeComfyUI) -> None:
    comfy = client(fake_comfy.url)
    client_id = new_client_id()
    with comfy.open_events(client_id) as stream:
        prompt = json.loads((WORKFLOWS / "W5_save_image_websocket.json").read_text())
        answer = comfy.submit(prompt, client_id=client_id)
        frames = []
        while True:
            message = stream.receive(timeout=30)
            assert message is not None
            if message.type == "preview_image":
                frames.append(message)
            if message.type == "executing" and message.data.get("node") is None:
                break
    assert answer["prompt_id"]
    assert len(frames) == 2
    assert all(f.data["image_type"] == "image/png" and f.payload.startswith(b"\x89PNG") for f in frames)


def test_decode_binary_variants() -> None:
    meta = json.dumps({"node_id": "2", "image_type": "image/png"}).encode()
    with_meta = decode_binary(struct.pack(">II", 4, len(meta)) + meta + b"\x89PNGdata")
    assert with_meta.type == "preview_image" and with_meta.data["node_id"] == "2"
    assert with_meta.payload == b"\x89PNGdata"
    text = decode_binary(struct.pack(">II", 3, 1) + b"7" + "héllo".encode())
    assert (text.type, text.data) == ("progress_text", {"node_id": "7", "text": "héllo"})
    assert decode_binary(b"\x00").type == "binary"


def test_receive_times_out_with_none(fake_comfy: FakeComfyUI) -> None:
    with client(fake_comfy.url).open_events(new_client_id()) as stream:
        assert stream.receive(timeout=30) is not None  # the status greeting
        assert stream.receive(timeout=0.2) is None


def test_a_dropped_socket_raises_connection_closed(fake_comfy: FakeComfyUI) -> None:
    fake_comfy.faults.drop_websocket_after(1)
    with client(fake_comfy.url).open_events(new_client_id()) as stream:
        with pytest.raises(ConnectionClosed):
            for _ in range(5):
                stream.receive(timeout=30)


def test_credentials_go_on_the_upgrade() -> None:
    with FakeComfyUI(require_token="right-token") as fake:
        with client(fake.url, token="right-token").open_events(new_client_id()) as stream:
            assert stream.receive(timeout=30) is not None
        with pytest.raises(AuthError) as caught:
            client(fake.url, token="wrong-token-123456789").open_events(new_client_id())
        assert "wrong-token" not in caught.value.message


def test_token_in_the_url_never_shows_in_errors(refused_port: int) -> None:
    secret = "cloud-key-abcdef0123456789"
    stream = WebSocketStream(f"ws://127.0.0.1:{refused_port}/ws?clientId=x&token={secret}", secrets=(secret,),
                             connect_timeout=2)
    with pytest.raises(UnreachableError) as caught:
        stream.connect()
    assert secret not in str(caught.value) and secret not in caught.value.message
    assert "token=***" in caught.value.message


def test_https_servers_use_wss() -> None:
    backend = Backend(make_server("tls", {"url": "https://gpu.example.com/comfy"}))
    assert backend.websocket_url("abc") == "wss://gpu.example.com/comfy/ws?clientId=abc"
