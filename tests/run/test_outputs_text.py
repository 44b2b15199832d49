"""What a finished run prints: texts always, and why nothing was downloaded."""

from __future__ import annotations

from pathlib import Path

from comfyui_skill.testing import CliRunner
from comfyui_skill.testing.fake_comfyui import FakeComfyUI

WORKFLOWS = Path(__file__).resolve().parents[1] / "fixtures" / "workflows"


def test_saved_texts_are_still_printed(run_cli: CliRunner, fake_comfy: FakeComfyUI, tmp_path: Path) -> None:
    result = run_cli("run", str(WORKFLOWS / "W7_text_output.json"), "--save-text", "-o", str(tmp_path),
                     server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["hello world"]
    assert (tmp_path / "text_2.txt").read_text() == "hello world"
    assert "saved as" in result.stderr


def test_skipped_previews_are_explained(run_cli: CliRunner, fake_comfy: FakeComfyUI, tmp_path: Path) -> None:
    result = run_cli("run", str(WORKFLOWS / "W3_colortransfer_progress.json"), "-o", str(tmp_path),
                     server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert "24 temporary previews not downloaded (add --include-temp" in result.stderr  # a batch of 24
    assert "finished without outputs" not in result.stderr
    assert run_cli("run", str(WORKFLOWS / "W3_colortransfer_progress.json"), "-o", str(tmp_path), "--json",
                   server=fake_comfy).json()["data"]["skipped_previews"] > 0


def test_images_streamed_over_the_websocket_are_saved(run_cli: CliRunner, fake_comfy: FakeComfyUI,
                                                      tmp_path: Path) -> None:
    result = run_cli("run", str(WORKFLOWS / "W5_save_image_websocket.json"), "-o", str(tmp_path), "--json",
                     server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    outputs = result.json()["data"]["outputs"]
    assert [o["filename"] for o in outputs] == ["websocket_2_00000.png", "websocket_2_00001.png"]
    for output in outputs:
        assert Path(output["path"]).read_bytes().startswith(b"\x89PNG")
    assert "data" not in outputs[0]


def test_wait_on_a_prompt_we_cancelled_says_cancelled(run_cli: CliRunner, fake_comfy: FakeComfyUI) -> None:
    fake_comfy.faults.hold_execution = True  # the second is still queued when it is cancelled
    first = run_cli("submit", str(WORKFLOWS / "W1_empty_image_save.json"), server=fake_comfy).stdout.strip()
    second = run_cli("submit", str(WORKFLOWS / "W7_text_output.json"), server=fake_comfy).stdout.strip()
    assert run_cli("cancel", second, server=fake_comfy).exit_code == 0  # removed from the queue
    waited = run_cli("wait", second, "--json", server=fake_comfy)
    assert waited.exit_code == 11, waited.stderr
    assert waited.json()["error"]["code"] == "cancelled"
    shown = run_cli("history", "show", second, "--json").json()["data"]
    assert shown["status"] == "cancelled"
    assert run_cli("cancel", first, server=fake_comfy).exit_code == 0


def test_waiting_again_keeps_the_timing_of_the_run(run_cli: CliRunner, fake_comfy: FakeComfyUI) -> None:
    prompt_id = run_cli("submit", str(WORKFLOWS / "W7_text_output.json"), server=fake_comfy).stdout.strip()
    first = run_cli("wait", prompt_id, "--json", server=fake_comfy)
    assert first.exit_code == 0, first.stderr
    recorded = run_cli("history", "show", prompt_id, "--json").json()["data"]
    assert run_cli("wait", prompt_id, server=fake_comfy).exit_code == 0
    again = run_cli("history", "show", prompt_id, "--json").json()["data"]
    assert (again["finished_at"], again.get("elapsed")) == (recorded["finished_at"], recorded.get("elapsed"))
