"""The run journal on a long history: each update merges over the prompt's latest record, read from
the end of the file (long lines and other prompts' records in between included)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.reliability.conftest import in_background, running_prompt, wait_for  # noqa: F401 (a fixture)
from tests.run.conftest import load_workflow
from tests.run.helpers import sent


def test_updates_merge_over_the_latest_record_in_a_long_journal(run_cli, fake_comfy, workflow_file, tmp_path,
                                                                  cli_env, journal_lines):
    journal = Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "journal.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)
    earlier = [{"prompt_id": f"earlier-{n}", "status": "success", "note": "x" * (150_000 if n == 7 else 200)}
               for n in range(3000)]  # one line longer than a read block, many lines after it
    journal.write_text("".join(json.dumps(entry) + "\n" for entry in earlier))
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path / "out"), "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    prompt_id = result.json()["data"]["prompt_id"]
    mine = [line for line in journal_lines() if line["prompt_id"] == prompt_id]
    assert [line["status"] for line in mine] == ["submitting", "queued", "success"]
    final = mine[-1]
    assert final["workflow"] == mine[0]["workflow"] and final["submitted_at"] == mine[0]["submitted_at"]
    assert final["number"] == mine[1]["number"] and final["outputs"]
    shown = run_cli("history", "show", prompt_id[:8], "--json").json()["data"]
    assert shown["status"] == "success" and shown["workflow"] == final["workflow"]
    assert run_cli("history", "show", "earlier-7", "--json").json()["data"]["note"] == "x" * 150_000


# ----------------------------------------------------------------- the journal tells the truth


def _post(fake, path: str, body: dict) -> dict:
    """A request from another client than ours."""
    request = urllib.request.Request(fake.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read()
    return json.loads(text) if text else {}


def _queue_polls(fake) -> int:
    return len(sent(fake, "GET", "/queue"))


def test_an_id_never_sent_nor_known_is_not_found_and_never_journaled(run_cli, fake_comfy, journal_lines):
    for command in ("wait", "status", "cancel"):
        result = run_cli(command, "nonsense", "--json", server=fake_comfy)
        assert result.exit_code == 7, (command, result.stdout)
        assert result.json()["error"]["code"] == "not_found"
        assert "does not know prompt nonsense" in result.json()["error"]["message"] or command == "cancel"
    assert journal_lines() == []


def test_a_prompt_sent_by_another_client_is_followed_but_not_journaled(run_cli, fake_comfy, journal_lines):
    prompt_id = _post(fake_comfy, "/prompt", {"prompt": load_workflow("W1")})["prompt_id"]
    result = run_cli("wait", prompt_id, "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert journal_lines() == []


def test_what_status_and_cancel_learn_updates_the_journal(run_cli, fake_comfy, workflow_file, journal_lines):
    fake_comfy.faults.hold_execution = True
    first = run_cli("submit", workflow_file("W1"), "--json", server=fake_comfy).json()["data"]["prompt_id"]
    wait_for(lambda: running_prompt(fake_comfy) == first, "the prompt to run")
    second = run_cli("submit", workflow_file("W1", {"1": {"width": 9}}), "--json",
                     server=fake_comfy).json()["data"]["prompt_id"]
    assert run_cli("status", first, second, "--json", server=fake_comfy).exit_code == 0
    statuses = {row["prompt_id"]: row["status"] for row in run_cli("history", "list", "--json").json()["data"]}
    assert statuses == {first: "running", second: "queued"}
    fake_comfy.faults.hold_execution = False
    fake_comfy.wait_idle(20)
    assert run_cli("status", first, "--json", server=fake_comfy).json()["data"]["status"] == "success"
    assert run_cli("cancel", second, "--json", server=fake_comfy).exit_code == 7  # it had finished
    run_cli("status", first, "--json", server=fake_comfy)  # nothing new to learn: nothing written
    statuses = {row["prompt_id"]: row["status"] for row in run_cli("history", "list", "--json").json()["data"]}
    assert statuses == {first: "success", second: "success"}
    lines = journal_lines()
    assert [line["status"] for line in lines if line["prompt_id"] == first] == [
        "submitting", "queued", "running", "success"]
    assert [line["status"] for line in lines if line["prompt_id"] == second] == ["submitting", "queued", "success"]
    assert all(line["finished_at"] for line in lines if line["status"] == "success")


def _wait_in_background(run_cli, fake, in_background, prompt_id: str) -> dict:
    """Start ``wait PROMPT_ID`` and return (once it has seen the prompt pending) where its result will be."""
    outcome: dict = {}
    polls = _queue_polls(fake)
    in_background(lambda: outcome.update(result=run_cli("wait", prompt_id, "--json", server=fake)))
    # the third look at the queue comes after wait has read the answer to one (it looks one at a time)
    wait_for(lambda: _queue_polls(fake) >= polls + 3, "wait to have seen the prompt in the queue")
    return outcome


def _held_blocker_and_pending_prompt(run_cli, fake, workflow_file) -> tuple[str, str]:
    fake.faults.hold_execution = True
    blocker = run_cli("submit", workflow_file("W1"), "--json", server=fake).json()["data"]["prompt_id"]
    wait_for(lambda: running_prompt(fake) == blocker, "the blocker to run")
    ours = run_cli("submit", workflow_file("W1", {"1": {"width": 9}}), "--json", server=fake).json()["data"]
    return blocker, ours["prompt_id"]


def test_a_prompt_another_client_removes_from_the_queue_is_reported_removed(
        run_cli, fake_comfy, workflow_file, in_background, journal_lines):
    _blocker, ours = _held_blocker_and_pending_prompt(run_cli, fake_comfy, workflow_file)
    outcome = _wait_in_background(run_cli, fake_comfy, in_background, ours)
    _post(fake_comfy, "/queue", {"clear": True})
    wait_for(lambda: "result" in outcome, "wait to end", patience=60)  # three looks, 3 s apart on a socket
    result = outcome["result"]
    assert result.exit_code == 11, result.stdout
    error = result.json()["error"]
    assert error["code"] == "cancelled" and "was removed from the queue" in error["message"]
    assert journal_lines()[-1] == {**journal_lines()[-1], "prompt_id": ours, "status": "removed"}
    status = run_cli("status", ours, "--json", server=fake_comfy)
    assert status.exit_code == 11 and status.json()["data"]["status"] == "removed"
    fake_comfy.faults.hold_execution = False


def test_a_pending_prompt_a_restart_forgets_is_lost_not_removed(
        run_cli, fake_comfy, workflow_file, in_background, journal_lines):
    _blocker, ours = _held_blocker_and_pending_prompt(run_cli, fake_comfy, workflow_file)
    outcome = _wait_in_background(run_cli, fake_comfy, in_background, ours)
    fake_comfy.faults.hold_execution = False
    fake_comfy.restart(lose_queue=True)
    wait_for(lambda: "result" in outcome, "wait to end", patience=60)  # three looks, 3 s apart on a socket
    result = outcome["result"]
    assert result.exit_code == 12, result.stdout
    assert journal_lines()[-1] == {**journal_lines()[-1], "prompt_id": ours, "status": "lost"}


@pytest.mark.parametrize(("gone_by", "exit_code", "status"), [("clear", 11, "removed"), ("restart", 12, "lost")])
def test_wait_tells_a_removal_before_it_looked_from_a_restart_by_what_ran_there_before(
        run_cli, fake_comfy, workflow_file, journal_lines, gone_by: str, exit_code: int, status: str):
    earlier = run_cli("run", workflow_file("W1", {"1": {"width": 7}}), "--no-download", server=fake_comfy)
    assert earlier.exit_code == 0, earlier.stderr  # it ran: the server's history keeps it until a restart
    _blocker, ours = _held_blocker_and_pending_prompt(run_cli, fake_comfy, workflow_file)
    if gone_by == "clear":
        _post(fake_comfy, "/queue", {"clear": True})
        fake_comfy.faults.hold_execution = False
    else:
        fake_comfy.faults.hold_execution = False
        fake_comfy.restart(lose_queue=True)
    result = run_cli("wait", ours, "--json", server=fake_comfy)  # it never sees the prompt pending
    assert result.exit_code == exit_code, result.stdout
    assert ("was removed from the queue" in result.json()["error"]["message"]) == (gone_by == "clear")
    assert journal_lines()[-1] == {**journal_lines()[-1], "prompt_id": ours, "status": status}
