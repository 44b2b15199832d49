"""Looking a possibly delivered submission up on the server before ever posting it again."""

from __future__ import annotations

import json
import urllib.request
import uuid
from types import SimpleNamespace

import pytest

from comfyui_skill import Backend, ComfyClient, make_server

from comfyui_skill_run import submission

from .conftest import load_workflow


class Clock:
    """The submission module's clock, moved only by its own sleeps; ``at(moment, action)`` runs
    ``action`` once the clock has passed ``moment`` (the server receiving the POST late)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pending: list[tuple[float, object]] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        for moment, action in [entry for entry in self.pending if entry[0] <= self.now]:
            self.pending.remove((moment, action))
            action()

    def at(self, moment: float, action) -> None:
        self.pending.append((moment, action))


def _looking(monkeypatch, fake) -> tuple[Clock, SimpleNamespace]:
    clock = Clock()
    monkeypatch.setattr(submission, "time", clock)
    client = ComfyClient(Backend(make_server("fake", {"url": fake.url})))
    return clock, SimpleNamespace(client=client)


def _looks(fake, prompt_id: str) -> int:
    return sum(1 for request in fake.requests if request.method == "GET" and request.path == f"/api/jobs/{prompt_id}")


def _post(fake, prompt_id: str) -> None:
    body = json.dumps({"prompt": load_workflow("W1"), "prompt_id": prompt_id}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{fake.url}/prompt", data=body,
                                                  headers={"Content-Type": "application/json"}), timeout=30)


def test_a_submission_arriving_late_in_the_grace_is_found(monkeypatch, fake_comfy):
    """The looks back off, yet the last is at the end of the grace: a POST the server handles 2.5 s into
    a 3 s grace is found, not sent a second time."""
    prompt_id = str(uuid.uuid4())
    clock, ctx = _looking(monkeypatch, fake_comfy)
    clock.at(2.5, lambda: _post(fake_comfy, prompt_id))
    assert submission._arrives(ctx, prompt_id, 3.0)
    assert clock.now == pytest.approx(3.0)  # found by the look at the end


def test_a_submission_that_never_arrives_is_looked_for_the_whole_grace(monkeypatch, fake_comfy):
    prompt_id = str(uuid.uuid4())
    clock, ctx = _looking(monkeypatch, fake_comfy)
    assert not submission._arrives(ctx, prompt_id, 3.0)
    assert clock.now == pytest.approx(3.0)
    assert _looks(fake_comfy, prompt_id) == 7  # at 0, 0.05, 0.15, 0.35, 0.75, 1.55 and 3 s
