"""Servers that push back or go away for a while: 429 and gateway errors, a restart, a stuck cloud status,
a download cut short, a manifest with its header cut short."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from comfyui_skill import ExitCode
from comfyui_skill.testing.fake_cloud import FakeCloud

from ..agent.contract import assert_ndjson
from ..waiting import wait_for
from .conftest import manifest_of, posted_prompts, read_manifest
from .proxy import Relay


@pytest.fixture
def cloud() -> Iterator[FakeCloud]:
    with FakeCloud() as fake:
        yield fake
        fake.comfy.faults.clear()
        fake.comfy.wait_idle(15)


#: A delay that only the relay going away ends.
LONG = 3600


@pytest.fixture
def relays() -> Iterator[Callable[[int], Relay]]:
    """``relays(port)``: a :class:`Relay` in front of that port, closed after the test."""
    made: list[Relay] = []

    def make(port: int) -> Relay:
        made.append(Relay(port))
        return made[-1]
    yield make
    for relay in made:
        relay.close()


def _in_background(action) -> threading.Thread:
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    return thread


def _events(result, name: str) -> list[dict]:
    return [e for e in assert_ndjson(result.ndjson()) if e.get("event") == name]


# ----------------------------------------------------------------- 429 and gateways on submission
def test_a_cloud_answering_429_past_its_plan_keeps_working_at_the_rate_it_accepts(run_cli, cloud, workflow,
                                                                                    outdir):
    cloud.comfy.exec_delay = 0.05
    # more 429s than the transport retries one POST: the engine itself must wait and send again
    cloud.rate_limit(9, retry_after="0", path="/api/prompt")
    env = {"COMFY_API_KEY": cloud.api_key, "COMFYUI_SKILL_SERVER_CLOUD_MAX_CONCURRENT": "3"}
    assert run_cli("server", "add", "cloud", cloud.url, "--kind", "cloud", env=env).exit_code == 0
    result = run_cli("-s", "cloud", "run", workflow("W1"), "--sweep", "1.width=1..4", "-o", str(outdir),
                     "--output", "ndjson", env=env)
    assert result.exit_code == 0, result.stderr
    assert not _events(result, "server_down") and not _events(result, "failed")
    # the server's Retry-After (0) is honoured, not the backoff used without one
    assert any("429" in e["reason"] and "pauses 0.0 s" in e["reason"] for e in _events(result, "retry"))
    _header, records, latest = read_manifest(manifest_of(outdir))
    assert {item["status"] for item in latest.values()} == {"success"}
    assert not any(r.get("moved") for r in records)
    summary = result.ndjson()[-1]["data"]
    assert summary["servers"][0]["alive"] and summary["servers"][0]["failed"] == 0


def test_a_gateway_502_on_submission_keeps_the_item_queued(run_cli, fakes, workflow, outdir):
    (a,) = fakes(1)
    a.faults.fail_http("^/prompt$", 502, times=3, method="POST")  # every attempt of one submission
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1,2", "--servers", a.url, "-o", str(outdir),
                     "--output", "ndjson")
    assert result.exit_code == 0, result.stderr
    assert any("502" in e["reason"] and "waits" in e["reason"] and "pauses 1.0 s" in e["reason"]
               for e in _events(result, "retry"))
    assert not _events(result, "failed") and not _events(result, "server_down")
    _header, _records, latest = read_manifest(manifest_of(outdir))
    assert {item["status"] for item in latest.values()} == {"success"}


# ----------------------------------------------------------------- a server away for a second
def test_a_server_restarting_for_a_second_is_not_drained(run_cli, fakes, workflow, outdir, relays):
    (a,) = fakes(1)
    a.faults.hold_execution = True  # the outage comes while both slots hold items
    relay = relays(a.port)

    def restart() -> None:
        try:
            wait_for(lambda: len(posted_prompts(a)) == 2)
            relay.down()
            time.sleep(1.0)  # the outage itself: well within the 3 s of failures that drain a server
            relay.up()
        finally:
            a.faults.hold_execution = False

    thread = _in_background(restart)
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..6", "--servers", relay.url, "-o", str(outdir),
                     "--output", "ndjson")
    thread.join(10)
    assert result.exit_code == 0, result.stderr
    assert not _events(result, "server_down")
    assert result.ndjson()[-1]["data"]["counts"]["done"] == 6


# ----------------------------------------------------------------- a status we do not know, for too long
def test_a_cloud_job_stuck_in_an_unknown_status_gives_up_its_slot(run_cli, cloud, workflow, outdir):
    env = {"COMFY_API_KEY": cloud.api_key, "COMFYUI_SKILL_SERVER_C_STALL_TIMEOUT": "1"}
    assert run_cli("server", "add", "c", cloud.url, "--kind", "cloud", env=env).exit_code == 0
    cloud.job_statuses = {"pending": "waiting_for_gpu", "in_progress": "waiting_for_gpu"}
    # a cloud whose queue does not list jobs in that status: only the jobs API knows of them
    cloud.comfy.faults.respond_raw("/queue$", 200, '{"queue_running": [], "queue_pending": []}', "application/json")
    cloud.comfy.faults.hold_execution = True  # until the client cancels it
    result = run_cli("-s", "c", "run", workflow("W1"), "--sweep", "1.width=1,2", "-o", str(outdir), "--json",
                     env=env)
    assert result.exit_code == ExitCode.EXECUTION_FAILED, result.stderr
    items = result.json()["data"]["items"]
    assert [item["status"] for item in items] == ["error", "error"]
    assert all("'waiting_for_gpu'" in item["error"] and "stall_timeout" in item["error"] for item in items)
    cloud.comfy.faults.clear()


# ----------------------------------------------------------------- a download cut short
def _cut_during_download(fake, relay: Relay, away: float | None) -> threading.Thread:
    """Take ``relay`` away once ``fake`` is asked for a file (which it holds back until then), for
    ``away`` seconds (None: for good)."""
    fake.faults.delay_http("/view", LONG, times=1)

    def cut() -> None:
        wait_for(lambda: any(r.path == "/view" for r in fake.requests))
        relay.down()
        if away is not None:
            time.sleep(away)  # the outage itself: far shorter than the 3 s of failures that drain a server
            relay.up()
    return _in_background(cut)


def test_a_download_cut_by_the_server_going_away_is_retried_from_it(run_cli, fakes, workflow, outdir, relays):
    (a,) = fakes(1)
    relay = relays(a.port)
    # 0.5 s away: the client's retries (after 0.25, 0.5, 1 and 2 s) reach it back well before 3 s of
    # failures, even if a loaded machine brings it back a second late
    thread = _cut_during_download(a, relay, away=0.5)
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1,2", "--servers", relay.url, "-o", str(outdir),
                     "--json")
    thread.join(10)
    assert result.exit_code == 0, result.stderr
    items = result.json()["data"]["items"]
    assert all(item["status"] == "success" and item["moved"] == 0 for item in items)
    assert len(posted_prompts(a)) == 2
    assert all(item["outputs"] for item in items)


def test_a_download_started_over_saves_each_output_once(run_cli, fakes, workflow, outdir, relays):
    """Two images; the server goes away while the second downloads and comes back: only the second is
    fetched again, and the first is neither saved twice nor reported twice."""
    (a,) = fakes(1)
    relay = relays(a.port)
    a.faults.delay_http("/view", LONG, times=1, after=1)  # the second image is held until the cut

    def cut_during_the_second() -> None:
        wait_for(lambda: sum(r.path == "/view" for r in a.requests) == 2)
        relay.down()
        time.sleep(0.5)  # the outage itself (see the test above)
        relay.up()
    thread = _in_background(cut_during_the_second)
    graph = workflow("W1", {"1": {"class_type": "EmptyImage",
                                  "inputs": {"width": 8, "height": 8, "batch_size": 2, "color": 0}}})
    result = run_cli("run", graph, "--sweep", "1.color=1", "--servers", relay.url, "-o", str(outdir),
                     "--output", "ndjson")
    thread.join(10)
    assert result.exit_code == 0, result.stderr
    assert sum(r.path == "/view" for r in a.requests) == 3  # the first image once, the second twice
    saved = sorted(path.name for path in outdir.rglob("*.png"))
    assert len(saved) == 2 and not any(" (1)." in name for name in saved), saved  # no copy under a new name
    assert len(_events(result, "output")) == 2
    (item,) = result.ndjson()[-1]["data"]["items"]
    assert sorted(Path(output["path"]).name for output in item["outputs"]) == saved


def test_a_finished_item_whose_server_is_drained_before_the_download_runs_again_elsewhere(run_cli, fakes,
                                                                                           workflow, outdir, relays):
    a, b = fakes(2)
    relay = relays(a.port)
    thread = _cut_during_download(a, relay, away=None)
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1,2", "--servers", f"{relay.url},{b.url}",
                     "-o", str(outdir), "--json")
    thread.join(10)
    assert result.exit_code == 0, result.stderr
    _header, records, latest = read_manifest(manifest_of(outdir))
    notes = [r["note"] for r in records if "outputs could not be downloaded" in (r.get("note") or "")]
    assert notes and "prompt finished" in notes[0]
    assert all(item["status"] == "success" for item in latest.values())
    assert any(item["moved"] == 1 for item in latest.values())


# ----------------------------------------------------------------- a manifest cut short
@pytest.mark.parametrize(("header", "missing"), [
    ('"workflow": {"document": {}}', "output_dir"),
    ('"output_dir": "/tmp/x"', "workflow.document"),
])
def test_a_manifest_without_a_required_header_field_is_a_usage_error(run_cli, tmp_path, header, missing):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"type": "batch", "format": "comfyui-skill/batch/1", ' + header + '}\n'
                        '{"type": "item", "item": 0, "params": {}}\n')
    result = run_cli("run", "--resume", str(manifest))
    assert result.exit_code == ExitCode.USAGE, result.stderr
    assert f"no '{missing}'" in result.stderr and "Traceback" not in result.stderr


def test_a_cloud_429_for_an_unpaid_subscription_drains_the_server_instead_of_waiting(run_cli, cloud, workflow,
                                                                                       outdir):
    cloud.rate_limit(100, retry_after="0", message="Payment required - User has not paid", path="/api/prompt")
    result = run_cli("--url", cloud.url, "--kind", "cloud", "run", workflow("W1"), "--sweep", "1.width=1,2",
                     "-o", str(outdir), "--output", "ndjson", env={"COMFY_API_KEY": cloud.api_key})
    assert result.exit_code == ExitCode.UNREACHABLE, result.stderr
    (down,) = _events(result, "server_down")
    assert "Payment required" in down["reason"]
    cloud.rate_limit(0)
