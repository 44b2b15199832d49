"""The terminal progress line (drawn only when stderr is a terminal), and what feeds it while queued."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.request
from typing import Any

from comfyui_skill import Backend, ComfyClient, Event, Message, make_server

from comfyui_skill_run.follow import Follower
from comfyui_skill_run.progress import ProgressLine

from .conftest import load_workflow


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def last_drawn(stream: io.StringIO) -> str:
    return stream.getvalue().split("\r\x1b[K")[-1]


def test_progress_line_shows_position_node_steps_and_clears():
    stream = io.StringIO()
    line = ProgressLine(stream, width=80)
    line(Event("queued", data={"position": 3}))
    assert "queued, position 3" in stream.getvalue()
    line(Event("node", data={"node": "3", "title": "ColorTransfer (#3)"}))
    line(Event("progress", data={"node": "3", "value": 6, "max": 24}))
    assert last_drawn(stream).startswith("0:00  ColorTransfer (#3) [######------------------] 6/24")
    line(Event("done"))
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_line_shows_a_status_the_server_made_up():
    stream = io.StringIO()
    ProgressLine(stream, width=80)(Event("queued", data={"position": None, "server_status": "waiting_for_gpu"}))
    assert stream.getvalue().endswith("queued (the server says 'waiting_for_gpu')")


def test_the_elapsed_time_moves_while_nothing_happens():
    stream, clock = io.StringIO(), Clock()
    line = ProgressLine(stream, width=80, clock=clock)
    line(Event("queued", data={"position": 2}))
    clock.now += 65
    line.redraw()
    assert last_drawn(stream) == "1:05  queued, position 2"
    line.close()
    line.redraw()  # a closed line stays cleared
    assert stream.getvalue().endswith("\r\x1b[K")


def test_the_clock_redraws_by_itself_and_stops_on_close():
    stream, clock = io.StringIO(), Clock()
    line = ProgressLine(stream, width=80, tick=0.01, clock=clock)
    line(Event("queued", data={"position": 1}))
    clock.now += 3
    deadline = time.monotonic() + 10
    while last_drawn(stream) != "0:03  queued, position 1" and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    assert last_drawn(stream) == "0:03  queued, position 1"
    clock_thread = line.clock_thread
    line.close()
    clock_thread.join(10)
    assert not clock_thread.is_alive() and stream.getvalue().endswith("\r\x1b[K")


def test_a_long_node_title_is_cut_before_the_steps():
    stream = io.StringIO()
    line = ProgressLine(stream, width=60)
    line(Event("node", data={"node": "12", "title": "A very long title somebody gave this sampler node (#12)"}))
    assert len(last_drawn(stream)) == 59
    line(Event("progress", data={"node": "12", "value": 12, "max": 24}))
    drawn = last_drawn(stream)
    assert len(drawn) == 59 and drawn.endswith("… [############------------] 12/24"), drawn
    assert drawn.startswith("0:00  A very long")


def _post(fake: Any, prompt: dict[str, Any]) -> str:
    request = urllib.request.Request(f"{fake.url}/prompt", data=json.dumps({"prompt": prompt}).encode(), method="POST")
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)["prompt_id"]


def _w1(color: int) -> dict[str, Any]:
    prompt = load_workflow("W1")
    prompt["1"]["inputs"]["color"] = color
    return prompt


class BusySocket:
    """A socket flooded with the progress of somebody else's prompt; a ``status`` message when asked."""

    def __init__(self) -> None:
        self.queue_moved = False

    def receive(self, timeout: float) -> Message:
        if self.queue_moved:
            self.queue_moved = False
            return Message("status", {"status": {"exec_info": {"queue_remaining": 2}}})
        threading.Event().wait(min(timeout, 0.01))  # a message every 10 ms, not a spinning loop
        return Message("progress", {"prompt_id": "somebody-else", "node": "3", "value": 1, "max": 24})

    def close(self) -> None:
        pass


def test_the_queue_position_is_reported_and_updated_on_a_busy_socket(fake_comfy):
    fake_comfy.faults.hold_execution = True
    _post(fake_comfy, _w1(1))  # runs, held
    ahead = _post(fake_comfy, _w1(2))
    ours = _post(fake_comfy, _w1(3))
    socket = BusySocket()
    positions: list[Any] = []

    def emit(event_type: str, /, **data: Any) -> None:
        if event_type != "queued":
            return
        positions.append(data["position"])
        if data["position"] == 2:  # the prompt ahead leaves the queue: the server says so on the socket
            body = json.dumps({"delete": [ahead]}).encode()
            urllib.request.urlopen(urllib.request.Request(f"{fake_comfy.url}/queue", data=body, method="POST"))
            socket.queue_moved = True
        elif data["position"] == 1:
            fake_comfy.faults.hold_execution = False

    client = ComfyClient(Backend(make_server("fake", {"url": fake_comfy.url})))
    state = Follower(client, ours, None, emit, deadline=time.monotonic() + 60, stream=socket).follow()
    assert state.status == "success" and positions == [2, 1]


class ScriptedSocket:
    """The messages given, then silence."""

    def __init__(self, *messages: Message) -> None:
        self.messages = list(messages)

    def receive(self, timeout: float) -> Message | None:
        return self.messages.pop(0) if self.messages else None

    def close(self) -> None:
        pass


def test_joining_while_a_node_runs_names_the_node_from_its_steps(fake_comfy):
    """``wait`` opens its socket after the node's ``executing`` was sent: its steps say which node runs."""
    ours = "9f0c1a2b-0000-4000-8000-000000000001"
    socket = ScriptedSocket(
        Message("progress", {"prompt_id": ours, "node": "3", "value": 5, "max": 24}),
        Message("progress", {"prompt_id": ours, "node": "3", "value": 6, "max": 24}),
        Message("execution_error", {"prompt_id": ours, "node_id": "3", "exception_message": "stop here"}))
    events: list[tuple[str, dict[str, Any]]] = []
    client = ComfyClient(Backend(make_server("fake", {"url": fake_comfy.url})))
    state = Follower(client, ours, None, lambda kind, **data: events.append((kind, data)), deadline=None,
                     stream=socket, titles=lambda node: f"ColorTransfer (#{node})").follow()
    assert state.status == "error"
    assert [kind for kind, _ in events] == ["started", "node", "progress", "progress"]
    assert events[1][1]["title"] == "ColorTransfer (#3)"
