"""The server restarts mid-run and forgets the prompt: exit 'lost' (12), or resubmit once on request."""

from __future__ import annotations

from comfyui_skill import ExitCode

from tests.run.helpers import sent

from .conftest import running_prompt, wait_for


def _restart_once_running(fake):
    """The prompt runs (held there, however slow the machine) until the fake restarts and forgets it;
    what is submitted after that runs freely."""
    fake.faults.hold_execution = True

    def restart() -> None:
        wait_for(lambda: running_prompt(fake), "the prompt to run")
        fake.restart(lose_queue=True)
        fake.faults.hold_execution = False
    return restart


def test_a_forgotten_prompt_is_reported_lost(run_cli, fake_comfy, workflow_file, tmp_path, in_background,
                                             journal_lines):
    in_background(_restart_once_running(fake_comfy))
    out = tmp_path / "out"
    result = run_cli("run", workflow_file("W1"), "-o", str(out), "--json", "--timeout", "20", server=fake_comfy)
    assert result.exit_code == ExitCode.LOST, result.stderr
    error = result.json()["error"]
    assert error["code"] == "lost" and "no longer knows prompt" in error["message"]
    assert len(sent(fake_comfy, "POST", "/prompt")) == 1
    assert journal_lines()[-1]["status"] == "lost"
    assert not out.exists()


def test_resubmit_on_loss_submits_once_more_and_succeeds(run_cli, fake_comfy, workflow_file, tmp_path,
                                                         in_background):
    in_background(_restart_once_running(fake_comfy))
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--output", "ndjson", "--timeout", "20",
                     "--resubmit-on-loss", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    lines = result.ndjson()
    posts = sent(fake_comfy, "POST", "/prompt")
    assert len(posts) == 2 and posts[0].json["prompt_id"] != posts[1].json["prompt_id"]
    assert lines[-1]["data"]["prompt_id"] == posts[1].json["prompt_id"]
    assert any(line.get("event") == "retry" and "resubmit" in line["reason"] for line in lines)
    assert (tmp_path / "probe" / "empty_00001_.png").is_file()


def test_resubmit_on_loss_gives_up_after_the_second_loss(run_cli, fake_comfy, workflow_file, tmp_path,
                                                         in_background):
    fake_comfy.faults.hold_execution = True  # each prompt runs until the restart forgets it

    def restart_twice() -> None:
        lost = None
        for _ in range(2):
            lost = wait_for(lambda: running_prompt(fake_comfy) not in (None, lost) and running_prompt(fake_comfy),
                            "a new prompt to run")
            fake_comfy.restart(lose_queue=True)
    in_background(restart_twice)
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--json", "--timeout", "30",
                     "--resubmit-on-loss", server=fake_comfy)
    assert result.exit_code == ExitCode.LOST, result.stderr
    assert len(sent(fake_comfy, "POST", "/prompt")) == 2


def test_wait_on_a_forgotten_prompt_says_lost(run_cli, fake_comfy, workflow_file, in_background, journal_lines):
    in_background(_restart_once_running(fake_comfy))
    prompt_id = run_cli("submit", workflow_file("W1"), "--json", server=fake_comfy).json()["data"]["prompt_id"]
    result = run_cli("wait", prompt_id, "--json", "--timeout", "20", server=fake_comfy)
    assert result.exit_code == ExitCode.LOST, result.stderr
    assert journal_lines()[-1] == {**journal_lines()[-1], "prompt_id": prompt_id, "status": "lost"}
