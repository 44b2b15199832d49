"""W1..W7 and the recorded WebSocket scenarios, driven over a real websocket-client socket."""

from __future__ import annotations

import json
import struct

import pytest
import websocket

from .support import (Socket, base_dir, call, exchange, new_client_id, normalize, post_prompt, replay, shape,
                      workflow, ws_posted_prompts, ws_recording)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(fake, prompt, client_id=None, metadata=False, **fields):
    """Submit ``prompt`` with a fresh socket; all frames from connect to ``executing null``."""
    client_id = client_id or new_client_id()
    socket = Socket(fake, client_id, metadata=metadata)
    try:
        frames = socket.until(lambda f: f["type"] == ("feature_flags" if metadata else "status"))
        prompt_id = post_prompt(fake, prompt, client_id=client_id, **fields).json()["prompt_id"]
        return prompt_id, frames + socket.until_done(prompt_id)
    finally:
        socket.close()


def data_of(frames, kind):
    return [frame["data"] for frame in frames if frame["type"] == kind]


def comparable(fake, value):
    """A frame payload with the fake's base directory written like the recordings and ids blanked."""
    return normalize(json.loads(json.dumps(value).replace(json.dumps(base_dir(fake))[1:-1], "<COMFY_DIR>")))


def upload_input_image(fake):
    replay(fake, exchange("upload_image_new"))


SCENARIOS = {
    # recording: (workflow, set-up run before the recorded one, preview metadata flag)
    "w1_success": ("W1", None, False),
    "w2_loadimage_invert": ("W2", None, False),
    "w3_progress": ("W3", None, False),
    "w5_binary_legacy": ("W5", None, False),
    "w5_binary_preview_metadata": ("W5", "W5", True),
    "w6_execution_error": ("W6", None, False),
    "w7_text_output": ("W7", None, False),
    "w1_cached_rerun": ("W1", "W1", False),
}


@pytest.mark.parametrize("recording", sorted(SCENARIOS))
def test_workflow_message_order(fake, recording):
    name, setup, metadata = SCENARIOS[recording]
    upload_input_image(fake)
    if setup:
        run(fake, workflow(setup))
    _, frames = run(fake, workflow(name), metadata=metadata)
    expected = ws_recording(recording)
    assert shape(frames) == shape(expected)
    for kind in ("executed", "execution_error", "execution_cached", "feature_flags"):
        assert comparable(fake, data_of(frames, kind)) == comparable(fake, data_of(expected, kind))


def test_progress_ticks_are_preceded_by_progress_state(fake):
    _, frames = run(fake, workflow("W3"))
    ticks = [i for i, frame in enumerate(frames) if frame["type"] == "progress"]
    assert [frames[i]["data"]["value"] for i in ticks] == list(range(1, 25))
    for i in ticks:
        state = frames[i - 1]
        assert state["type"] == "progress_state"
        assert state["data"]["nodes"]["3"] == {**state["data"]["nodes"]["3"], "value": frames[i]["data"]["value"],
                                               "max": 24, "state": "running"}
    temp_files = data_of(frames, "executed")[0]["output"]["images"]
    assert len(temp_files) == 24 and all(item["type"] == "temp" for item in temp_files)
    assert (fake.temp_dir / temp_files[0]["filename"]).read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("metadata", [False, True])
def test_binary_preview_frames(fake, metadata):
    prompt_id, frames = run(fake, workflow("W5"), metadata=metadata)
    binary = [frame["data"] for frame in frames if frame["type"] == "binary"]
    assert len(binary) == 2
    for frame in binary:
        event, second = struct.unpack(">II", frame[:8])
        if metadata:
            meta = json.loads(frame[8:8 + second])
            expected = data_of(ws_recording("w5_binary_preview_metadata"), "binary")[0]["metadata"]
            assert (event, normalize(meta)) == (4, normalize(expected))
            assert meta["prompt_id"] == prompt_id
            assert frame[8 + second:].startswith(PNG_SIGNATURE)
        else:
            assert (event, second) == (1, 2) and frame[8:].startswith(PNG_SIGNATURE)
    assert call(fake, "GET", f"/history/{prompt_id}").json()[prompt_id]["outputs"] == {}


def test_first_frame_and_generated_sid(fake):
    socket = Socket(fake)
    try:
        first = socket.recv()
    finally:
        socket.close()
    assert first["type"] == "status" and first["data"]["status"] == {"exec_info": {"queue_remaining": 0}}
    assert len(first["data"]["sid"]) == 32 and int(first["data"]["sid"], 16) >= 0


def test_without_client_id_only_progress_and_status_are_broadcast(fake):
    [posted] = ws_posted_prompts("no_client_id_observer")
    observer = Socket(fake, "observer")
    try:
        frames = [observer.recv()]
        prompt_id = post_prompt(fake, posted["prompt"]).json()["prompt_id"]
        frames += observer.until(lambda f: f["type"] == "progress")
        frames += observer.until(lambda f: f["type"] == "status"
                                 and not f["data"]["status"]["exec_info"]["queue_remaining"])
    finally:
        observer.close()
    assert shape(frames) == shape(ws_recording("no_client_id_observer", "observer"))
    assert call(fake, "GET", f"/history/{prompt_id}").json()[prompt_id]["status"]["status_str"] == "success"


def test_two_prompts_back_to_back(fake):
    run(fake, workflow("W3"))
    recorded = ws_recording("two_prompts_back_to_back")
    bodies = ws_posted_prompts("two_prompts_back_to_back")
    client_id = new_client_id()
    socket = Socket(fake, client_id)
    try:
        frames = [socket.recv()]
        fake.faults.hold_execution = True  # the second is queued while the first runs, however slow the machine
        ids = [post_prompt(fake, body["prompt"], client_id=client_id).json()["prompt_id"] for body in bodies]
        fake.faults.hold_execution = False
        frames += socket.until_done(ids[1])
    finally:
        socket.close()

    def without_status(items):
        return [kind for kind in shape(items) if kind != "status"]
    assert without_status(frames) == without_status(recorded)
    remaining = [f["data"]["status"]["exec_info"]["queue_remaining"] for f in frames if f["type"] == "status"]
    assert max(remaining) == 2 and remaining[-1] == 0


@pytest.mark.parametrize("recording", ["w4_interrupt_prompt_id", "w4_cancel_jobs_api"])
def test_interrupting_a_running_prompt(fake, recording):
    run(fake, workflow("W3"))  # caches node 2, as in the recording
    fake.progress_steps_delay = 0.05  # 256 steps: 13 s to interrupt it in (each tick checks at once)
    client_id = new_client_id()
    socket = Socket(fake, client_id)
    try:
        frames = [socket.recv()]
        prompt_id = post_prompt(fake, workflow("W4"), client_id=client_id).json()["prompt_id"]
        frames += socket.until(lambda f: f["type"] == "progress" and f["data"]["value"] >= 3)
        if recording == "w4_interrupt_prompt_id":
            assert call(fake, "POST", "/interrupt", json_body={"prompt_id": prompt_id}).body == b""
        else:
            assert call(fake, "POST", f"/api/jobs/{prompt_id}/cancel").json() == {"cancelled": True}
        frames += socket.until_done(prompt_id)
    finally:
        socket.close()
    expected = ws_recording(recording)
    assert shape(frames) == shape(expected)
    assert normalize(data_of(frames, "execution_interrupted")) == normalize(data_of(expected, "execution_interrupted"))
    job = call(fake, "GET", f"/api/jobs/{prompt_id}").json()
    assert job["status"] == "cancelled" and job["execution_status"]["status_str"] == "error"


def test_reconnect_with_the_same_client_id(fake):
    run(fake, workflow("W3"))
    fake.progress_steps_delay = 0.05  # W4 runs 13 s unless interrupted: it is, at the end
    recorded = ws_recording("reconnect_same_client_id_trimmed", "B")
    client_id = new_client_id()
    first = Socket(fake, client_id)
    first.recv()
    prompt_id = post_prompt(fake, workflow("W4"), client_id=client_id).json()["prompt_id"]
    first.until(lambda f: f["type"] == "progress")
    first.close()
    second = Socket(fake, client_id)
    try:
        frames = [second.recv(), second.recv()]
        assert normalize(frames) == normalize(recorded[:2])
        assert frames[1] == {"type": "executing", "data": {"node": "3"}}
        assert second.recv()["type"] == "progress_state"
        call(fake, "POST", "/interrupt")
        rest = second.until_done(prompt_id)
    finally:
        second.close()
    assert data_of(rest, "execution_interrupted")[0]["node_id"] == "3"


def test_a_newer_socket_with_the_same_id_takes_over(fake):
    client_id = new_client_id()
    old, new = Socket(fake, client_id), None
    try:
        old.recv()
        new = Socket(fake, client_id)
        new.recv()
        prompt_id = post_prompt(fake, workflow("W7"), client_id=client_id).json()["prompt_id"]
        assert data_of(new.until_done(prompt_id), "executed")
        assert fake.ws_clients == [client_id]
        old.ws.settimeout(0.2)
        with pytest.raises(websocket.WebSocketTimeoutException):
            old.recv()
    finally:
        old.close()
        if new is not None:
            new.close()


def test_logs_subscription(fake):
    recorded = ws_recording("logs_subscribe")
    client_id = new_client_id()
    socket = Socket(fake, client_id)
    try:
        frames = [socket.recv()]
        call(fake, "PATCH", "/internal/logs/subscribe", json_body={"clientId": client_id, "enabled": True})
        prompt = {"1": {"class_type": "StringConcatenate",
                        "inputs": {"string_a": "logs", "string_b": "demo", "delimiter": " "}},
                  "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}
        prompt_id = post_prompt(fake, prompt, client_id=client_id).json()["prompt_id"]
        frames += socket.until_done(prompt_id)
        frames += socket.until(lambda f: f["type"] == "logs")
        fake.add_log("custom line")
        frames += [socket.recv()]
    finally:
        socket.close()
    assert shape(frames[:-1]) == shape(recorded)
    logs = data_of(frames, "logs")
    assert logs[0]["size"] == {"cols": 80, "rows": 24} and logs[1]["size"] is None
    assert logs[0]["entries"][0]["m"].endswith("got prompt\n")
    assert logs[-1]["entries"][0]["m"] == "custom line\n"


def test_other_sockets_only_see_status(fake):
    observer = Socket(fake, "observer")
    try:
        frames = [observer.recv()]
        _, own = run(fake, workflow("W7"))
        frames += observer.until(lambda f: f["type"] == "status"
                                 and not f["data"]["status"]["exec_info"]["queue_remaining"])
    finally:
        observer.close()
    assert "executed" in shape(own)
    assert shape(frames) == ["status"] * 4


def test_interrupt_is_broadcast_even_without_client_id(fake):
    fake.progress_steps_delay = 0.05  # W4 runs 13 s unless interrupted: it is
    observer = Socket(fake, "observer")
    try:
        observer.recv()
        prompt_id = post_prompt(fake, workflow("W4")).json()["prompt_id"]
        observer.until(lambda f: f["type"] == "progress")
        call(fake, "POST", "/interrupt")
        interrupted = observer.until(lambda f: f["type"] == "execution_interrupted")[-1]
    finally:
        observer.close()
    assert (interrupted["data"]["prompt_id"], interrupted["data"]["node_id"]) == (prompt_id, "3")
