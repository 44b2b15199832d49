"""The run journal on a long history: each update merges over the prompt's latest record, read from
the end of the file (long lines and other prompts' records in between included)."""

from __future__ import annotations

import json
from pathlib import Path


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
