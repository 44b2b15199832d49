"""HTTP transport and client rules: retries, redirects, credentials, caps, safe downloads."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from comfyui_skill import Backend, ComfyClient, make_server
from comfyui_skill.errors import AuthError, RejectedError, ServerError, TimeoutExpired, UnreachableError
from comfyui_skill.transport.http import HttpTransport, TransportOptions

from .scripted_server import ScriptedServer, redirect, send, send_chunks

TOKEN = "tok-secret-0123456789"
FAST = {"backoff_base": 0.01, "backoff_cap": 0.02, "retry_after_cap": 0.05}


@pytest.fixture
def server():
    with ScriptedServer() as srv:
        yield srv


@pytest.fixture
def storage():
    # a second host name on loopback: "localhost" is not "127.0.0.1" to an HTTP client
    with ScriptedServer(host="127.0.0.1") as srv:
        yield srv


def client_for(srv: ScriptedServer, **options: object) -> ComfyClient:
    config = make_server("test", {"url": srv.url(), "token": TOKEN, **options})
    backend = Backend(config)
    transport_options = backend.transport_options()
    for key, value in FAST.items():
        setattr(transport_options, key, value)
    return ComfyClient(backend, HttpTransport(transport_options))


def test_get_is_retried_on_503_then_succeeds(server: ScriptedServer) -> None:
    server.on("/system_stats", send(503, b"busy"), send(502, b"bad gw"), send(200, b'{"system": {}}'))
    assert client_for(server).system_stats() == {"system": {}}
    assert len(server.seen) == 3


def test_retry_after_is_honoured_for_429(server: ScriptedServer) -> None:
    server.on("/queue", send(429, b"slow down", {"Retry-After": "0.01"}), send(200, b'{"queue_running": []}'))
    assert client_for(server).queue() == {"queue_running": []}


def test_a_retry_after_that_is_neither_seconds_nor_a_date_means_a_backoff(server: ScriptedServer) -> None:
    server.on("/queue", send(503, b"busy", {"Retry-After": "soon"}), send(200, b'{"queue_running": []}'))
    assert client_for(server).queue() == {"queue_running": []}


def test_retries_are_capped(server: ScriptedServer) -> None:
    server.on("/system_stats", send(503, b"still busy"))
    with pytest.raises(ServerError) as caught:
        client_for(server).system_stats()
    assert "503" in caught.value.message
    assert len(server.seen) == 1 + TransportOptions().retries


def test_a_post_is_never_retried_blindly(server: ScriptedServer) -> None:
    server.on("/prompt", send(503, b"busy"))
    with pytest.raises(ServerError):
        client_for(server).submit({"1": {"class_type": "X", "inputs": {}}})
    assert [s.method for s in server.seen] == ["POST"]


def test_credentials_go_to_the_server(server: ScriptedServer) -> None:
    server.on("/system_stats", send(200, b"{}"))
    client_for(server).system_stats()
    assert server.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert server.seen[0].headers["User-Agent"].startswith("comfyui-skill/")


def test_redirects_are_refused_on_api_calls(server: ScriptedServer, storage: ScriptedServer) -> None:
    storage.on("/elsewhere", send(200, b"{}"))
    server.on("/system_stats", redirect(storage.url("/elsewhere", host="localhost")))
    with pytest.raises(ServerError) as caught:
        client_for(server).system_stats()
    assert "does not follow redirects with credentials" in caught.value.message
    assert storage.seen == []


def test_download_follows_a_redirect_without_any_credential(
        server: ScriptedServer, storage: ScriptedServer, tmp_path: Path) -> None:
    storage.on("/bucket/img.png", send(200, b"PNGDATA", content_type="image/png"))
    server.on("/view", redirect(storage.url("/bucket/img.png?sig=abc", host="localhost")))
    client = client_for(server, headers={"X-Proxy-Auth": "proxy-secret"})
    path = client.download("img.png", "", "output", tmp_path)
    assert path.read_bytes() == b"PNGDATA"
    assert server.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    received = storage.seen[0].headers
    assert "Authorization" not in received and "X-Proxy-Auth" not in received
    assert TOKEN not in json.dumps(received) and "proxy-secret" not in json.dumps(received)


def test_redirect_to_a_non_http_scheme_is_refused(server: ScriptedServer, tmp_path: Path) -> None:
    server.on("/view", redirect("file:///etc/passwd"))
    with pytest.raises(ServerError) as caught:
        client_for(server).download("x.png", "", "output", tmp_path)
    assert "non-HTTP" in caught.value.message
    assert list(tmp_path.iterdir()) == []


def test_html_instead_of_json_is_a_clear_error(server: ScriptedServer) -> None:
    server.on("/system_stats", send(200, b"<!doctype html><html>login</html>", content_type="text/html"))
    with pytest.raises(ServerError) as caught:
        client_for(server).system_stats()
    assert "does not look like a ComfyUI server: /system_stats answered a web page (HTML)" in caught.value.message


def test_bodies_over_the_cap_are_refused(server: ScriptedServer) -> None:
    server.on("/object_info", send_chunks(200, itertools.repeat(b"x" * 65536)))  # endless
    client = client_for(server)
    client.http.options.max_body_bytes = 1024 * 1024
    with pytest.raises(ServerError) as caught:
        client.object_info()
    assert "more than 1 MiB" in caught.value.message


def test_a_body_that_drips_forever_hits_the_deadline(server: ScriptedServer) -> None:
    server.on("/queue", send_chunks(200, itertools.repeat(b" "), delay=0.05))
    client = client_for(server, read_timeout=0.3)
    with pytest.raises(TimeoutExpired):
        client.queue()


def test_a_server_that_never_answers_times_out(server: ScriptedServer) -> None:
    server.on("/queue", _hang)
    client = client_for(server, read_timeout=0.2)
    client.http.options.retries = 0
    with pytest.raises(UnreachableError) as caught:
        client.queue()
    assert caught.value.details["reason"] == "read_timeout"


def _hang(handler) -> None:  # never answers: waits until the client gives up and closes the connection
    handler.rfile.read(1)


def test_connection_refused_says_so(refused_port: int) -> None:
    backend = Backend(make_server("down", {"url": f"http://127.0.0.1:{refused_port}"}))
    options = backend.transport_options()
    options.retries = 1
    options.backoff_base = 0.01
    with pytest.raises(UnreachableError) as caught:
        ComfyClient(backend, HttpTransport(options)).system_stats()
    assert caught.value.details["reason"] == "refused"
    assert "server 'down'" in caught.value.message
    assert caught.value.hint == "check it with 'comfyui-skill -s down server status'"


def test_unresolvable_host_is_not_retried() -> None:
    backend = Backend(make_server("nowhere", {"url": "http://no-such-host.invalid:8188"}))
    with pytest.raises(UnreachableError) as caught:
        ComfyClient(backend).system_stats()
    assert caught.value.details["reason"] == "dns"


def test_401_is_an_auth_error_naming_the_masked_credential(server: ScriptedServer) -> None:
    server.on("/system_stats", send(401, b"401: Unauthorized", content_type="text/plain"))
    with pytest.raises(AuthError) as caught:
        client_for(server).system_stats()
    assert "bearer token ***6789" in caught.value.message
    assert TOKEN not in caught.value.message + (caught.value.hint or "")
    assert "COMFYUI_SKILL_SERVER_TEST_TOKEN" in caught.value.hint
    assert len(server.seen) == 1  # not retried


def test_rejected_prompt_carries_node_errors(server: ScriptedServer) -> None:
    body = {"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                      "details": "", "extra_info": {}},
            "node_errors": {"1": {"errors": [{"type": "required_input_missing"}], "class_type": "EmptyImage"}}}
    server.on("/prompt", send(400, json.dumps(body).encode()))
    with pytest.raises(RejectedError) as caught:
        client_for(server).submit({"1": {"class_type": "EmptyImage", "inputs": {}}})
    assert caught.value.details["node_errors"]["1"]["class_type"] == "EmptyImage"
    sent = json.loads(server.seen[0].body)
    assert sent["prompt_id"] == sent["prompt_id"].lower() and len(sent["prompt_id"]) == 36


def test_a_cut_short_download_leaves_no_file(server: ScriptedServer, tmp_path: Path) -> None:
    server.on("/view", send_chunks(200, [b"x" * 1000], length=5000))
    with pytest.raises((ServerError, UnreachableError)):
        client_for(server).download("big.png", "", "output", tmp_path)
    assert list(tmp_path.rglob("*")) == []


def test_download_never_overwrites_and_stays_inside(server: ScriptedServer, tmp_path: Path) -> None:
    server.on("/view", send(200, b"new", content_type="image/png"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.png").write_bytes(b"old")
    client = client_for(server)
    first = client.download("a.png", "sub", "output", tmp_path)
    assert first == tmp_path / "sub" / "a (1).png"
    assert (tmp_path / "sub" / "a.png").read_bytes() == b"old"
    hostile = client.download("../../../etc/passwd", "../../..", "output", tmp_path)
    assert hostile == tmp_path / "passwd"
    absolute = client.download("/etc/shadow", "/abs/dir", "output", tmp_path)
    assert absolute == tmp_path / "abs" / "dir" / "shadow"
    nul = client.download("a\x00b.png", "x\x00y", "output", tmp_path)
    assert nul.parent == tmp_path / "xy" and "\x00" not in nul.name


def test_a_refused_connection_is_retried_once_quickly(refused_port: int) -> None:
    backend = Backend(make_server("down", {"url": f"http://127.0.0.1:{refused_port}"}))
    pauses: list[float] = []
    with pytest.raises(UnreachableError):
        ComfyClient(backend, HttpTransport(backend.transport_options(), sleep=pauses.append)).system_stats()
    assert len(pauses) == 1 and pauses[0] <= 0.25


def test_downloaded_files_follow_the_umask(server: ScriptedServer, tmp_path: Path) -> None:
    import os
    import stat

    server.on("/view", send(200, b"png", content_type="image/png"))
    previous = os.umask(0o022)
    try:
        path = client_for(server).download("a.png", "", "output", tmp_path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_auth_and_tls_hints_for_a_url_server_say_how_to_name_it() -> None:
    server = make_server("url", {"url": "https://gpu.example.com"})
    server.one_off = True
    backend = Backend(server)
    assert backend.auth_hint().startswith("a --url server has no settings: add it first with "
                                          "'comfyui-skill server add NAME https://gpu.example.com'")
    assert "servers.NAME.token" in backend.auth_hint() and "servers.url." not in backend.tls_hint()


def test_comfy_api_keys_from_the_environment_are_redacted(server: ScriptedServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    key = "comfyui-env-key-0123456789abcdef"
    monkeypatch.setenv("COMFY_API_KEY", key)
    server.on("/system_stats", send(500, f"proxy echoed {key}".encode(), content_type="text/plain"))
    client = client_for(server)
    client.http.options.retries = 0
    with pytest.raises(ServerError) as caught:
        client.system_stats()
    assert key not in caught.value.message and "***" in caught.value.message


def test_a_download_is_resumed_only_when_its_first_answer_allows_it():
    from comfyui_skill.transport.resume import _resume_headers

    assert _resume_headers({"Accept-Ranges": "bytes", "ETag": '"abc"'}) == {"If-Range": '"abc"'}
    # a weak ETag may not guard a range; the date may
    assert _resume_headers({"Accept-Ranges": "bytes", "ETag": 'W/"abc"', "Last-Modified": "Tue, 01 Dec 2026"}) \
        == {"If-Range": "Tue, 01 Dec 2026"}
    assert _resume_headers({"Accept-Ranges": "bytes"}) == {}  # comfy-api-proxy: no validator, still resumable
    assert _resume_headers({"Accept-Ranges": "none", "ETag": '"abc"'}) is None
    assert _resume_headers({"ETag": '"abc"'}) is None
    assert _resume_headers({"Accept-Ranges": "bytes", "Content-Encoding": "gzip"}) is None  # ranges of what?


def test_a_cut_body_counts_its_bytes_in_words():
    from urllib3.exceptions import ProtocolError

    from comfyui_skill.transport.resume import BodyCut

    assert str(BodyCut(1, 0, ProtocolError("gone"))) == "ProtocolError after 1 byte"
    assert str(BodyCut(2048, 3, ProtocolError("gone"))) == "ProtocolError after 2048 bytes"
