"""run, submit, wait, status and cancel on a real comfy-api-proxy in front of the fake ComfyUI."""

from __future__ import annotations

from pathlib import Path


def test_run_saves_the_output_through_the_proxy(run_v2, w1, tmp_path: Path) -> None:
    result = run_v2("--json", "run", w1("v2/first"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["status"] == "success"
    [output] = data["outputs"]
    saved = Path(output["path"])
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert saved.parent == (tmp_path / "out")
