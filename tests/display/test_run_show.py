"""``run --show`` / ``wait --download --show``: each saved output drawn with its path under it, and the
live sampling previews above the progress line, replaced in place; nothing in the wrong place."""

from __future__ import annotations

import base64
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ..agent.contract import assert_ndjson, problems
from .terminal import environment, interrupt, png, run_in_terminal

HALF = "\u2580"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workflows"
KITTY = {"TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"}
TRUECOLOR = {"TERM": "xterm-256color", "COLORTERM": "truecolor", "COMFYUI_SKILL_DISPLAY_QUERY_TIMEOUT": "0"}
EVERY_PREVIEW = {"COMFYUI_SKILL_DISPLAY_PREVIEW_INTERVAL": "0"}


def small_w1(tmp_path: Path) -> Path:
    graph = json.loads((FIXTURES / "W1_empty_image_save.json").read_text())
    graph["1"]["inputs"].update(width=4, height=2)
    path = tmp_path / "w1.json"
    path.write_text(json.dumps(graph))
    return path


def sampler_workflow(tmp_path: Path, steps: int, seed: int = 1) -> Path:
    """Checkpoint, prompts, KSampler (a preview per step), VAEDecode, SaveImage (another ``seed``:
    another graph, which the server's cache does not answer)."""
    graph = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "model.safetensors"}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "a cat", "clip": ["1", 1]}},
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["1", 1]}},
        "4": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
        "5": {"class_type": "KSampler", "inputs": {
            "model": ["1", 0], "positive": ["2", 0], "negative": ["3", 0], "latent_image": ["4", 0], "seed": seed,
            "steps": steps, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0}},
        "6": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["1", 2]}},
        "7": {"class_type": "SaveImage", "inputs": {"images": ["6", 0], "filename_prefix": "sampled"}},
    }
    path = tmp_path / f"sampler-{steps}-{seed}.json"
    path.write_text(json.dumps(graph))
    return path


@pytest.fixture
def fake(fake_comfy: Any) -> Any:
    fake_comfy.models["checkpoints"] = ["model.safetensors"]
    fake_comfy.progress_steps_delay = 0
    return fake_comfy


def run(fake: Any, cli_env: dict[str, str], outdir: Path, *argv: str, **terminal: str):
    return run_in_terminal(["--url", fake.url, *argv, "-o", str(outdir)], environment(cli_env, **terminal))


def saved(outdir: Path) -> list[Path]:
    return sorted(path for path in outdir.rglob("*.png"))


def kitty_images(text: str) -> list[bytes]:
    """The PNGs of the kitty transmissions in ``text`` (chunks joined), in order."""
    images, current = [], ""
    for control, data in re.findall(r"\x1b_G([^;\x1b]*);?([^\x1b]*)\x1b\\", text):
        if "a=d" in control:
            continue
        current += data
        if control.endswith("m=0"):
            images.append(base64.b64decode(current))
            current = ""
    return images


def test_run_show_draws_the_saved_image_with_its_path_once(fake: Any, tmp_path: Path, cli_env: dict[str, str]) -> None:
    result = run(fake, cli_env, tmp_path / "out", "run", str(small_w1(tmp_path)), "--show", **KITTY)
    assert result.exit_code == 0, result.text
    [path] = saved(tmp_path / "out")
    assert kitty_images(result.text) == [path.read_bytes()]
    assert result.text.count(str(path)) == 1  # under the picture, not listed again
    assert result.text.index("\x1b_G") < result.text.index(f"{path}  (4x2, ")


@pytest.mark.parametrize(("setting", "flag", "terminal", "drawn"), [
    (None, None, KITTY, False),
    ("always", None, TRUECOLOR, True),
    ("auto", None, KITTY, True),
    ("auto", None, TRUECOLOR, False),  # auto: only where a graphics protocol is found
    ("always", "--no-show", KITTY, False),
])
def test_the_display_show_setting_and_the_flags(setting: str | None, flag: str | None, terminal: dict[str, str],
                                                drawn: bool, fake: Any, tmp_path: Path,
                                                cli_env: dict[str, str]) -> None:
    env = dict(terminal, **({"COMFYUI_SKILL_SHOW": setting} if setting else {}))
    result = run(fake, cli_env, tmp_path / "out", "run", str(small_w1(tmp_path)), *([flag] if flag else []), **env)
    assert result.exit_code == 0, result.text
    [path] = saved(tmp_path / "out")
    assert (("\x1b_G" in result.text or HALF in result.text) == drawn)
    assert f"{path}  (4x2, " in result.text if drawn else f"{path}\n" in result.text


def test_wait_download_show(fake: Any, tmp_path: Path, cli_env: dict[str, str]) -> None:
    env = environment(cli_env, **KITTY)
    submitted = run_in_terminal(["--url", fake.url, "submit", str(small_w1(tmp_path)), "--json"], env)
    prompt_id = json.loads(submitted.text)["data"]["prompt_id"]
    waited = run_in_terminal(["--url", fake.url, "wait", prompt_id, "--download", "--show",
                              "-o", str(tmp_path / "out")], env)
    assert waited.exit_code == 0, waited.text
    [path] = saved(tmp_path / "out")
    assert kitty_images(waited.text) == [path.read_bytes()]
    refused = run_in_terminal(["--url", fake.url, "wait", prompt_id, "--show"], env)
    assert refused.exit_code == 2
    assert "--show draws the saved outputs: it cannot be used without --download" in refused.text
    batch = run_in_terminal(["--url", fake.url, "run", str(small_w1(tmp_path)), "--count", "2", "--show"], env)
    assert batch.exit_code == 2 and "not a batch" in batch.text


def test_machine_modes_get_no_pictures_and_previews_stay_out_of_ndjson(fake: Any, tmp_path: Path,
                                                                       cli_env: dict[str, str]) -> None:
    as_json = run(fake, cli_env, tmp_path / "a", "run", str(sampler_workflow(tmp_path, 3)), "--show", "--json", **KITTY)
    assert as_json.exit_code == 0 and "\x1b" not in as_json.text
    assert json.loads(as_json.text)["ok"] is True
    lines = run(fake, cli_env, tmp_path / "b", "run", str(sampler_workflow(tmp_path, 3, seed=2)), "--show", "--output",
                "ndjson", **KITTY)
    assert "\x1b" not in lines.text
    events = assert_ndjson([json.loads(line) for line in lines.text.splitlines() if line.strip()])
    previews = [event for event in events if event["event"] == "preview"]
    assert [event["node"] for event in previews] == ["5", "5", "5"]
    assert all(event["image_type"] == "image/png" and event["size"] > 0 and "image" not in event
               for event in previews)
    assert problems("event", {**previews[0], "image": "aGVsbG8="})  # the schema keeps images out


def test_live_previews_are_replaced_in_place_then_by_the_output(fake: Any, tmp_path: Path,
                                                                 cli_env: dict[str, str]) -> None:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    fake.sampler_previews = [png(2, 2, colour=colour) for colour in colours]
    result = run(fake, cli_env, tmp_path / "out", "run", str(sampler_workflow(tmp_path, 3)), "--show",
                 **TRUECOLOR, **EVERY_PREVIEW)
    assert result.exit_code == 0, result.text
    text = result.text
    cells = [f"\x1b[38;2;{r};{g};{b}m\x1b[48;2;{r};{g};{b}m{HALF}{HALF}" for r, g, b in colours]
    at = [text.index(cell) for cell in cells]
    assert at == sorted(at)  # each preview drawn, in order
    assert text[:at[0]].endswith("\x1b[?25l\r\x1b[J")  # the first over the progress line
    for before in at[1:]:
        assert text[:before].endswith("\x1b[?25l\r\x1b[1A\x1b[J")  # the next ones over the last
    [path] = saved(tmp_path / "out")
    grey = f"\x1b[38;2;128;128;128m\x1b[48;2;128;128;128m{HALF}"  # the output: the fake decodes to grey
    final = text.index(grey, at[-1])
    assert "\r\x1b[1A\x1b[J" in text[at[-1]:final]  # the output replaced the last preview
    assert text.index(f"{path}  (64x64, ", final) > final
    assert text.count(str(path)) == 1
    assert text.endswith(f"{path}  (64x64, {human(path)})\n\x1b[?25h")  # the last thing: the cursor shown


def human(path: Path) -> str:
    from comfyui_skill import human_bytes

    return human_bytes(path.stat().st_size)


def test_legacy_frames_undecodable_ones_and_kitty(fake: Any, tmp_path: Path, cli_env: dict[str, str]) -> None:
    first, last = png(2, 2, colour=(255, 0, 0)), png(2, 2, colour=(0, 0, 255))
    fake.sampler_previews = [first, b"\x89PNG\r\n\x1a\n but not really", last]
    fake.preview_metadata = False  # an older ComfyUI: type-1 frames, no prompt id
    result = run(fake, cli_env, tmp_path / "out", "run", str(sampler_workflow(tmp_path, 3)), "--show",
                 **KITTY, **EVERY_PREVIEW)
    assert result.exit_code == 0, result.text
    [path] = saved(tmp_path / "out")
    assert kitty_images(result.text) == [first, last, path.read_bytes()]
    assert result.text.count("\x1b_Ga=d,d=I,") >= 2  # each replaced picture deleted
    assert "Traceback" not in result.text and "warning" not in result.text


def test_a_flood_of_previews_ends_in_the_output(fake: Any, tmp_path: Path, cli_env: dict[str, str]) -> None:
    fake.sampler_previews = [png(2, 2, colour=(step, 0, 0)) for step in range(200)]
    result = run(fake, cli_env, tmp_path / "out", "run", str(sampler_workflow(tmp_path, 200)), "--show",
                 **KITTY)
    assert result.exit_code == 0, result.text
    [path] = saved(tmp_path / "out")
    drawn = kitty_images(result.text)
    assert 1 <= len(drawn) - 1 <= 200 and drawn[-1] == path.read_bytes()
    assert all(image in fake.sampler_previews for image in drawn[:-1])
    assert result.text.count("\x1b[?25l") == result.text.count("\x1b[?25h")


def test_ctrl_c_while_a_preview_is_up_leaves_the_terminal_clean(fake: Any, tmp_path: Path,
                                                                 cli_env: dict[str, str]) -> None:
    fake.progress_steps_delay = 0.05  # 10000 steps: far longer than the test
    fake.sampler_previews = [png(2, 2, colour=(255, 0, 0))]
    pressed = []

    def press_ctrl_c(seen: bytes, child: Any) -> None:
        if not pressed and HALF.encode() in seen and b"/10000" in seen.rsplit(HALF.encode(), 1)[1]:
            pressed.append(True)
            interrupt(child)

    result = run_in_terminal(["--url", fake.url, "run", str(sampler_workflow(tmp_path, 10000)), "--show",
                              "-o", str(tmp_path / "out")],
                             environment(cli_env, **TRUECOLOR, **EVERY_PREVIEW), on_output=press_ctrl_c)
    assert pressed and result.exit_code == 130, result.text
    text = result.text
    assert text.count("\x1b[?25l") == text.count("\x1b[?25h")
    assert text.rindex("\x1b[?25h") > text.rindex(HALF)  # the cursor shown after the last picture
    after = text[text.rindex(HALF):]
    assert "\r\x1b[K" in after  # the progress line cleared
    assert "interrupted; prompt" in after and "was cancelled" in after
    assert "Traceback" not in text
    with urllib.request.urlopen(f"{fake.url}/queue", timeout=10) as answer:
        assert json.load(answer)["queue_running"] == []


def test_previews_without_show_are_not_drawn(fake: Any, tmp_path: Path, cli_env: dict[str, str]) -> None:
    fake.sampler_previews = [png(2, 2, colour=(255, 0, 0))]
    plain = run(fake, cli_env, tmp_path / "a", "run", str(sampler_workflow(tmp_path, 2)), **TRUECOLOR)
    assert HALF not in plain.text
    only_previews = run(fake, cli_env, tmp_path / "b", "run", str(sampler_workflow(tmp_path, 2, seed=2)), "--preview",
                        **TRUECOLOR, **EVERY_PREVIEW)
    [path] = saved(tmp_path / "b")
    assert "\x1b[38;2;255;0;0m\x1b[48;2;255;0;0m" in only_previews.text
    assert "128;128;128" not in only_previews.text  # the output is listed, not drawn
    assert only_previews.text.rstrip().endswith(str(path))


def test_wait_show_draws_the_previews_of_a_submitted_prompt(fake: Any, tmp_path: Path,
                                                            cli_env: dict[str, str]) -> None:
    fake.sampler_previews = [png(2, 2, colour=(255, 0, 0))]
    env = environment(cli_env, **TRUECOLOR, **EVERY_PREVIEW)
    fake.faults.hold_execution = True  # in the queue until wait listens
    submitted = run_in_terminal(["--url", fake.url, "submit", str(sampler_workflow(tmp_path, 2)), "--json"], env)
    prompt_id = json.loads(submitted.text)["data"]["prompt_id"]

    def release(seen: bytes, child: Any) -> None:
        if b"running" in seen:  # wait is following it on its socket
            fake.faults.hold_execution = False

    waited = run_in_terminal(["--url", fake.url, "wait", prompt_id, "--download", "--show", "-o",
                              str(tmp_path / "out")], env, on_output=release)
    assert waited.exit_code == 0, waited.text
    [path] = saved(tmp_path / "out")
    red = waited.text.index(f"\x1b[38;2;255;0;0m\x1b[48;2;255;0;0m{HALF}{HALF}")
    assert waited.text.index(f"{path}  (64x64, ") > red


def test_show_size_sets_the_width_of_the_output(fake: Any, tmp_path: Path, cli_env: dict[str, str]) -> None:
    result = run(fake, cli_env, tmp_path / "out", "run", str(small_w1(tmp_path)), "--show", "--show-size", "8",
                 **TRUECOLOR)
    assert result.exit_code == 0, result.text
    rows = [line for line in result.text.splitlines() if HALF in line]
    assert [row.count(HALF) for row in rows] == [8, 8]  # 4x2 pixels on 8 columns of 1:2 cells
    for bad in ("0", "wide"):
        refused = run(fake, cli_env, tmp_path / "out", "run", str(small_w1(tmp_path)), "--show", "--show-size", bad,
                      **TRUECOLOR)
        assert refused.exit_code == 2 and f"--show-size: '{bad}' is not a positive number of columns" in refused.text


def test_a_failure_after_the_previews_leaves_the_terminal_clean(fake: Any, tmp_path: Path,
                                                                 cli_env: dict[str, str]) -> None:
    fake.sampler_previews = [png(2, 2, colour=(255, 0, 0))]
    graph = json.loads(sampler_workflow(tmp_path, 2).read_text())
    graph["7"]["inputs"]["filename_prefix"] = "../outside"  # the server refuses to save it, after sampling
    failing = tmp_path / "failing.json"
    failing.write_text(json.dumps(graph))
    result = run(fake, cli_env, tmp_path / "out", "run", str(failing), "--show", **TRUECOLOR, **EVERY_PREVIEW)
    assert result.exit_code == 5, result.text
    text = result.text
    assert "\x1b[38;2;255;0;0m\x1b[48;2;255;0;0m" in text  # the preview was up
    assert text.count("\x1b[?25l") == text.count("\x1b[?25h")
    assert text.rindex("\x1b[?25h") > text.rindex(HALF)
    after = text[text.rindex(HALF):]
    assert "\r\x1b[K" in after and "error:" in after  # the progress line cleared, then the failure
    assert "Traceback" not in text
