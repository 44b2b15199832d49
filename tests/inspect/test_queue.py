"""queue list / clear / delete / move-to-front against the fake server's real queue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import call, sent_prompts, submit


@pytest.fixture
def busy(fake_comfy) -> Iterator[dict[str, Any]]:
    """One prompt running (held by the fake for as long as the test takes) and three pending, in
    submission order."""
    fake_comfy.faults.hold_execution = True
    ids = [submit(fake_comfy, color) for color in (1, 2, 3, 4)]
    fake_comfy.wait_running(ids[0])
    yield {"running": ids[0], "pending": ids[1:]}
    call(fake_comfy, "POST", "/queue", {"clear": True})
    fake_comfy.faults.hold_execution = False
    fake_comfy.wait_idle()


def _queue_ids(fake) -> tuple[list[str], list[str]]:
    queue = call(fake, "GET", "/queue")
    pending = sorted(queue["queue_pending"], key=lambda item: item[0])
    return [i[1] for i in queue["queue_running"]], [i[1] for i in pending]


def test_empty_queue(fake_comfy, run_cli):
    result = run_cli("queue", "list", "--json", server=fake_comfy)
    assert result.exit_code == 0
    assert result.json()["data"] == {"queue_running": [], "queue_pending": []}
    assert "is empty" in run_cli("queue", "list", server=fake_comfy).stdout


def test_list_shows_running_then_pending_in_run_order(fake_comfy, run_cli, busy):
    data = run_cli("queue", "list", "--json", server=fake_comfy).json()["data"]
    assert [item[1] for item in data["queue_running"]] == [busy["running"]]
    assert [item[1] for item in data["queue_pending"]] == busy["pending"]
    assert data["queue_pending"][0][3]["client_id"] == "test-client"  # raw items, extra_data included
    text = run_cli("queue", "list", server=fake_comfy, env={"COLUMNS": "80"}, terminal=True).stdout.splitlines()
    assert text[0].split() == ["POS", "PROMPT", "ID", "CLIENT", "ID", "AGE", "OUTPUT", "NODES"]
    assert text[1].startswith("running") and busy["running"][:8] in text[1]
    assert [line.split()[0] for line in text[2:]] == ["1", "2", "3"]
    assert all("2:SaveImage" in line for line in text[1:])
    assert all(len(line) <= 80 for line in text)


def test_delete_pending_unknown_and_running(fake_comfy, run_cli, busy):
    first = busy["pending"][0]
    result = run_cli("queue", "delete", first, "--json", server=fake_comfy)
    assert result.exit_code == 0 and result.json()["data"]["deleted"] == [first]
    assert _queue_ids(fake_comfy)[1] == busy["pending"][1:]
    one_left = run_cli("queue", "delete", busy["pending"][1], server=fake_comfy)
    assert one_left.exit_code == 0
    cleared = run_cli("queue", "clear", "--yes", server=fake_comfy)
    assert cleared.stdout.strip() == "removed 1 pending prompt (the running one continues)"
    unknown = run_cli("queue", "delete", "00000000-0000-0000-0000-000000000000", "--json", server=fake_comfy)
    assert unknown.exit_code == 7 and unknown.json()["data"]["not_found"] == ["00000000-0000-0000-0000-000000000000"]
    assert unknown.json()["error"]["message"].startswith("1 of 1 prompt was not pending: ")
    running = run_cli("queue", "delete", busy["running"], server=fake_comfy)
    assert running.exit_code == 4 and "interrupt" in running.stdout
    assert _queue_ids(fake_comfy)[0] == [busy["running"]]


def test_clear_needs_confirmation_without_a_terminal(fake_comfy, run_cli, busy):
    refused = run_cli("queue", "clear", server=fake_comfy)
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert _queue_ids(fake_comfy)[1] == busy["pending"]
    cleared = run_cli("queue", "clear", "--yes", "--json", server=fake_comfy)
    assert cleared.exit_code == 0 and cleared.json()["data"]["cleared"] == busy["pending"]
    assert _queue_ids(fake_comfy) == ([busy["running"]], [])
    again = run_cli("queue", "clear", "--yes", server=fake_comfy)
    assert again.exit_code == 0 and "nothing to clear" in again.stdout


def test_move_to_front_resubmits_the_same_prompt_at_the_head(fake_comfy, run_cli, busy):
    last = busy["pending"][-1]
    before = call(fake_comfy, "GET", "/queue")
    original = next(item for item in before["queue_pending"] if item[1] == last)
    result = run_cli("queue", "move-to-front", last, "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["moved"] is True
    running, pending = _queue_ids(fake_comfy)
    assert running == [busy["running"]] and pending == [last, *busy["pending"][:-1]]
    moved = next(item for item in call(fake_comfy, "GET", "/queue")["queue_pending"] if item[1] == last)
    assert moved[2] == original[2] and moved[4] == original[4]
    assert moved[3]["client_id"] == "test-client"
    [resubmission] = sent_prompts(fake_comfy)[-1:]
    assert resubmission["front"] is True and resubmission["prompt_id"] == last


def test_move_to_front_refuses_running_unknown_and_keeps_first(fake_comfy, run_cli, busy):
    running = run_cli("queue", "move-to-front", busy["running"], "--json", server=fake_comfy)
    assert running.exit_code == 4
    unknown = run_cli("queue", "move-to-front", "00000000-0000-0000-0000-000000000000", server=fake_comfy)
    assert unknown.exit_code == 7
    first = run_cli("queue", "move-to-front", busy["pending"][0], "--json", server=fake_comfy)
    assert first.exit_code == 0 and first.json()["data"]["moved"] is False
    assert len(sent_prompts(fake_comfy)) == 4  # nothing was resubmitted
    assert _queue_ids(fake_comfy)[1] == busy["pending"]
