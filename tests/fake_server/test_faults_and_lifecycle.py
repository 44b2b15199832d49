"""Injected faults, access control, request log, restarts and clean shutdown."""

from __future__ import annotations

import gc
import http.client
import json
import threading
import time
import uuid
import urllib.error
import urllib.request
import warnings

import pytest
import websocket

from comfyui_skill.testing.fake_comfyui import FakeComfyUI

from .support import TIMEOUT, Socket, call, new_client_id, post_prompt, workflow


def raw_get(fake, path, headers=None):
    """A GET that does not follow redirects."""
    connection = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=TIMEOUT)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def closed_by_server(socket):
    """Read until the server's close frame (a socket that stays open times out instead)."""
    try:
        while socket.ws.recv() != "":
            pass
    except websocket.WebSocketConnectionClosedException:
        pass
    return True


def test_fail_http_burst(fake):
    fake.faults.fail_http(r"^/system_stats$", 503, times=2, body="busy", content_type="text/plain")
    fake.faults.fail_http(r"/prompt$", 502, method="POST")
    failures = [call(fake, "GET", "/system_stats") for _ in range(2)]
    assert [(r.status, r.body, r.headers["Content-Type"]) for r in failures] == [(503, b"busy", "text/plain")] * 2
    assert call(fake, "GET", "/system_stats").status == 200
    assert call(fake, "GET", "/prompt").status == 200
    assert call(fake, "POST", "/prompt", json_body={"prompt": workflow("W7")}).status == 502
    assert call(fake, "POST", "/prompt", json_body={"prompt": workflow("W7")}).status == 200


def test_delay_and_a_read_that_never_answers(fake):
    fake.faults.delay_http(r"^/queue$", 0.2, times=1)
    started = time.monotonic()
    assert call(fake, "GET", "/queue").status == 200
    assert time.monotonic() - started >= 0.2
    fake.faults.delay_http(r"^/history$", 3600)
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        urllib_get_with_timeout(fake, "/history", 0.2)
    stopper = threading.Thread(target=fake.stop, daemon=True)
    stopper.start()
    stopper.join(20)  # not the hour the read would take
    assert not stopper.is_alive(), "stop() waited for a delayed answer"


def test_a_delay_can_spare_the_first_requests(fake):
    fake.faults.delay_http(r"^/queue$", 3600, times=1, after=1)  # only the second request hangs
    assert call(fake, "GET", "/queue").status == 200
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        urllib_get_with_timeout(fake, "/queue", 0.2)
    assert call(fake, "GET", "/queue").status == 200  # the rule was used up by the one it delayed


def test_an_answer_can_be_lost_after_the_request_was_handled(fake):
    """A POST the server took, whose answer never comes: the prompt is queued all the same."""
    fake.faults.delay_http(r"^/prompt$", 3600, times=1, answer_only=True)
    prompt_id = str(uuid.uuid4())
    body = json.dumps({"prompt": workflow("W7"), "prompt_id": prompt_id}).encode()
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        urllib.request.urlopen(urllib.request.Request(f"{fake.url}/prompt", data=body), timeout=0.5)
    end = time.monotonic() + TIMEOUT  # the prompt runs whatever the client's wait was
    while prompt_id not in fake.history_ids():
        assert time.monotonic() < end, "the prompt whose answer was lost never ran"
        time.sleep(0.01)


def test_held_requests_wait_until_released(fake):
    fake.faults.hold_http(r"^/queue$")
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        urllib_get_with_timeout(fake, "/queue", 0.2)
    answers: list[int] = []
    asker = threading.Thread(target=lambda: answers.append(call(fake, "GET", "/queue").status), daemon=True)
    asker.start()
    end = time.monotonic() + TIMEOUT
    while sum(r.path == "/queue" for r in fake.requests) < 2:  # the second request has come, and waits
        assert time.monotonic() < end, "the second request never came"
        time.sleep(0.01)
    assert not answers
    fake.faults.hold_http(None)
    asker.join(TIMEOUT)
    assert answers == [200]


def urllib_get_with_timeout(fake, path, timeout):
    with urllib.request.urlopen(fake.url + path, timeout=timeout) as reply:
        return reply.read()


def test_respond_raw_and_redirect(fake):
    fake.faults.respond_raw(r"^/object_info$", 200, "<html>login</html>", "text/html", times=1)
    fake.faults.respond_raw(r"^/history$", 200, b"x" * 5_000_000, "application/json", times=1)
    fake.faults.redirect(r"^/features$", "http://127.0.0.1:1/elsewhere", status=307)
    status, headers, body = raw_get(fake, "/object_info")
    assert (status, headers["Content-Type"], body) == (200, "text/html", b"<html>login</html>")
    assert len(call(fake, "GET", "/history").body) == 5_000_000
    status, headers, _ = raw_get(fake, "/features")
    assert (status, headers["Location"]) == (307, "http://127.0.0.1:1/elsewhere")
    fake.faults.clear()
    assert raw_get(fake, "/features")[0] == 200


def test_refuse_websocket(fake):
    fake.faults.refuse_websocket = True
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        Socket(fake)
    assert refused.value.status_code == 404


def test_drop_websocket_after_n_messages(fake):
    fake.faults.drop_websocket_after(2)
    socket = Socket(fake, new_client_id())
    try:
        assert socket.recv()["type"] == "status"
        post_prompt(fake, workflow("W7"))
        assert socket.recv()["type"] == "status"
        assert closed_by_server(socket)
    finally:
        socket.close()


def test_stall_websocket(fake):
    client_id = new_client_id()
    socket = Socket(fake, client_id)
    try:
        socket.recv()
        fake.faults.stall_websocket = True
        post_prompt(fake, workflow("W7"), client_id=client_id)
        fake.wait_idle()
        socket.ws.settimeout(0.2)
        with pytest.raises(websocket.WebSocketTimeoutException):
            socket.recv()
        assert fake.ws_clients == [client_id]
    finally:
        socket.close()


def test_bearer_token_required_for_http_and_websocket():
    with FakeComfyUI(require_token="secret") as fake:
        denied = call(fake, "GET", "/system_stats")
        assert (denied.status, denied.body) == (401, b"401: Unauthorized")
        assert call(fake, "GET", "/system_stats", headers={"Authorization": "Bearer wrong"}).status == 401
        assert call(fake, "GET", "/system_stats", headers={"Authorization": "Bearer secret"}).status == 200
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            Socket(fake)
        assert refused.value.status_code == 401
        socket = Socket(fake, header=["Authorization: Bearer secret"])
        assert socket.recv()["type"] == "status"
        socket.close()


def test_api_prefix_only():
    with FakeComfyUI(api_prefix_only=True) as fake:
        assert call(fake, "GET", "/api/system_stats").status == 200
        assert call(fake, "GET", "/system_stats").status == 404
        assert call(fake, "POST", "/prompt", json_body={}).status == 405
        assert call(fake, "GET", "/internal/logs").status == 200
        assert fake.ws_url.endswith("/api/ws")
        socket = Socket(fake)
        assert socket.recv()["type"] == "status"
        socket.close()


def test_upload_size_limit(fake):
    fake.max_upload_size = 1000
    response = call(fake, "POST", "/upload/image", body=b"x" * 2000, headers={"Content-Type": "text/plain"})
    assert (response.status, response.headers["Content-Type"], response.body) == \
        (413, "text/plain; charset=utf-8", b"Maximum request body size 1000 exceeded.")
    assert call(fake, "GET", "/features").json()["max_upload_size"] == 1000


def test_request_log(fake):
    Socket(fake, "abc").close()
    call(fake, "POST", "/prompt?x=1", json_body={"prompt": {}}, headers={"Comfy-Usage-Source": "tests"})
    upgrade, posted = fake.requests[-2:]
    assert (upgrade.method, upgrade.path, upgrade.query) == ("GET", "/ws", {"clientId": "abc"})
    assert (posted.method, posted.path, posted.query, posted.body) == ("POST", "/prompt", {"x": "1"},
                                                                     b'{"prompt": {}}')
    assert posted.headers["Comfy-Usage-Source"] == "tests"


def test_csrf_guard_for_cross_site_fetches(fake):
    assert call(fake, "GET", "/queue", headers={"Sec-Fetch-Site": "cross-site"}).status == 403
    assert call(fake, "GET", "/queue", headers={"Origin": fake.url}).status == 200


def test_restart_loses_queue_history_and_sockets(fake):
    fake.progress_steps_delay = 0.05
    client_id = new_client_id()
    finished = post_prompt(fake, workflow("W7")).json()["prompt_id"]
    fake.wait_idle()
    socket = Socket(fake, client_id)
    try:
        socket.recv()
        running = post_prompt(fake, workflow("W4"), client_id=client_id).json()["prompt_id"]
        post_prompt(fake, workflow("W3"))
        socket.until(lambda f: f["type"] == "progress")
        port = fake.port
        fake.restart()
        assert closed_by_server(socket)
    finally:
        socket.close()
    assert fake.port == port and fake.history_ids() == [] and fake.ws_clients == []
    assert fake.queue_snapshot() == {"queue_running": [], "queue_pending": []}
    assert call(fake, "GET", f"/api/jobs/{running}").status == 404
    assert call(fake, "GET", f"/history/{finished}").json() == {}
    fake.progress_steps_delay = 0.001
    again = post_prompt(fake, workflow("W7")).json()["prompt_id"]
    fake.wait_idle()
    assert fake.history_ids() == [again]


def test_restart_keeping_the_queue(fake):
    kept = post_prompt(fake, workflow("W7")).json()["prompt_id"]
    fake.wait_idle()
    socket = Socket(fake)
    try:
        socket.recv()
        fake.restart(lose_queue=False)
        assert closed_by_server(socket)
    finally:
        socket.close()
    assert fake.history_ids() == [kept]


def test_clean_start_and_stop():
    before = {thread.name for thread in threading.enumerate()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fake = FakeComfyUI()
        with fake:
            base = fake.input_dir.parent
            socket = Socket(fake)
            socket.recv()
            post_prompt(fake, workflow("W1"))
            fake.wait_idle()
        assert closed_by_server(socket)  # stop() closes sockets that are still open
        socket.close()
        fake.stop()
        gc.collect()
    assert not base.exists()
    assert {thread.name for thread in threading.enumerate()} <= before
    assert [str(w.message) for w in caught if issubclass(w.category, (ResourceWarning, RuntimeWarning))] == []
    with pytest.raises(RuntimeError):
        fake.history_ids()


def test_custom_catalog(fake):
    catalog = {name: info for name, info in call(fake, "GET", "/object_info").json().items()
               if name in ("EmptyImage", "SaveImage")}
    with FakeComfyUI(object_info=catalog) as small:
        assert sorted(call(small, "GET", "/object_info").json()) == ["EmptyImage", "SaveImage"]
        assert post_prompt(small, workflow("W1")).status == 200
        assert post_prompt(small, workflow("W7")).json()["error"]["type"] == "missing_node_type"
        small.wait_idle()
