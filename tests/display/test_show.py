"""``comfyui-skill show FILE``: each terminal gets its protocol, and the wrong places get nothing."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from .terminal import environment, jpeg, png, run_in_terminal, write_file

RED, BLUE = (255, 0, 0), (0, 0, 255)
#: A 2x2 picture: a red row above a blue one, i.e. one cell row of two red-over-blue half-blocks.
RED_OVER_BLUE = png(2, 2, [[RED, RED], [BLUE, BLUE]])
HALF = "\u2580"
NO_QUERY = {"COMFYUI_SKILL_DISPLAY_QUERY_TIMEOUT": "0"}


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    return write_file(tmp_path, "red-over-blue.png", RED_OVER_BLUE)


def show(path: Path, cli_env: dict[str, str], *extra: str, **terminal: str):
    return run_in_terminal(["show", str(path), *extra], environment(cli_env, **terminal))


def kitty_payload(text: str) -> bytes:
    """The image data of every kitty graphics command in ``text``, chunks joined."""
    chunks = re.findall(r"\x1b_G([^;]*);([^\x1b]*)\x1b\\", text)
    assert chunks, text
    return base64.b64decode("".join(data for _, data in chunks))


def test_truecolor_half_blocks_draw_the_known_pixels(picture: Path, cli_env: dict[str, str]) -> None:
    result = show(picture, cli_env, TERM="xterm-256color", COLORTERM="truecolor", **NO_QUERY)
    assert result.exit_code == 0
    assert f"\x1b[38;2;255;0;0m\x1b[48;2;0;0;255m{HALF}{HALF}\x1b[0m\n" in result.text
    assert f"{picture}  (2x2, 74 B)\n" in result.text
    assert result.text.index(HALF) < result.text.index(str(picture))  # the path under the picture


def test_256_colour_half_blocks_without_truecolor(picture: Path, cli_env: dict[str, str]) -> None:
    result = show(picture, cli_env, TERM="xterm-256color", **NO_QUERY)
    assert f"\x1b[38;5;196m\x1b[48;5;21m{HALF}{HALF}\x1b[0m\n" in result.text
    assert "38;2;" not in result.text


def test_kitty_gets_the_png_as_is_in_chunks(tmp_path: Path, cli_env: dict[str, str]) -> None:
    noisy = png(64, 64, [[(x * 4, y * 4, (x * y) % 256) for x in range(64)] for y in range(64)])
    assert len(base64.b64encode(noisy)) > 4096  # more than one chunk
    path = write_file(tmp_path, "noisy.png", noisy)
    result = show(path, cli_env, "--size", "8", TERM="xterm-kitty", KITTY_WINDOW_ID="1")
    assert result.exit_code == 0
    controls = re.findall(r"\x1b_G([^;]*);", result.text)
    assert controls[0].startswith("a=T,f=100,t=d,") and "c=8," in controls[0] and controls[0].endswith("m=1")
    assert controls[-1] == "m=0"
    assert kitty_payload(result.text) == noisy
    assert "\x1b[38;" not in result.text  # no half-blocks


def test_iterm2_and_wezterm_get_an_inline_image_of_the_file_bytes(tmp_path: Path, cli_env: dict[str, str]) -> None:
    photo = write_file(tmp_path, "photo.jpg", jpeg(40, 20))
    for terminal in ({"TERM_PROGRAM": "iTerm.app"}, {"TERM_PROGRAM": "WezTerm"}):
        result = show(photo, cli_env, "--size", "10", TERM="xterm-256color", **terminal)
        match = re.search(r"\x1b\]1337;File=inline=1;size=(\d+);width=10;height=(\d+);preserveAspectRatio=1:"
                          r"([A-Za-z0-9+/=]+)\x07", result.text)
        assert match, result.text
        assert base64.b64decode(match.group(3)) == photo.read_bytes()
        assert int(match.group(1)) == photo.stat().st_size
        assert match.group(2) == "3"  # 40x20 px on 10 columns of 1:2 cells


def test_sixel_on_foot_draws_the_colours(picture: Path, cli_env: dict[str, str]) -> None:
    result = show(picture, cli_env, "--size", "1", TERM="foot")
    match = re.search(r"\x1bP0;1;0q\"1;1;(\d+);(\d+)(.*?)\x1b\\", result.text, re.S)
    assert match, result.text
    assert match.group(1) == "10"  # one cell of 10 px (the terminal does not report pixels)
    registers = re.findall(r"#\d+;2;(\d+);(\d+);(\d+)", match.group(3))
    assert ("100", "0", "0") in registers and ("0", "0", "100") in registers


def test_no_color_rules_out_half_blocks_but_not_graphics(picture: Path, cli_env: dict[str, str]) -> None:
    blocks = show(picture, cli_env, TERM="xterm-256color", COLORTERM="truecolor", NO_COLOR="1", **NO_QUERY)
    assert "\x1b" not in blocks.text.replace("\x1b[?25l", "").replace("\x1b[?25h", "")
    assert str(picture) in blocks.text
    kitty = show(picture, cli_env, TERM="xterm-kitty", NO_COLOR="1")
    assert kitty_payload(kitty.text) == RED_OVER_BLUE


@pytest.mark.parametrize("case", ["dumb", "pipe", "json", "ndjson", "quiet"])
def test_nothing_is_drawn_in_the_wrong_place(case: str, picture: Path, cli_env: dict[str, str]) -> None:
    env = environment(cli_env, TERM="dumb" if case == "dumb" else "xterm-kitty", KITTY_WINDOW_ID="1")
    extra = {"json": ["--json"], "ndjson": ["--output", "ndjson"], "quiet": ["-q"]}.get(case, [])
    result = run_in_terminal(["show", str(picture), *extra], env, stdout_to_pipe=case == "pipe")
    assert result.exit_code == 0
    assert "\x1b" not in result.text
    if case in ("json", "ndjson"):
        assert json.loads(result.text.strip().splitlines()[-1] if case == "ndjson" else result.text)["data"][
            "files"][0] == {"path": str(picture), "kind": "image", "bytes": 74, "format": "png", "width": 2,
                            "height": 2}
    else:
        assert result.text.strip().endswith(f"{picture}  (2x2, 74 B)")


def test_the_terminal_is_asked_when_the_environment_does_not_tell(picture: Path, cli_env: dict[str, str]) -> None:
    env = environment(cli_env, TERM="xterm-256color", COMFYUI_SKILL_DISPLAY_QUERY_TIMEOUT="60")
    sixel = run_in_terminal(["show", str(picture)], env, replies={b"\x1b[c": b"\x1b[?62;4;22c"})
    assert "\x1b_Gi=31,s=1,v=1,a=q" in sixel.text  # kitty's query went first
    assert "\x1bP0;1;0q" in sixel.text
    kitty = run_in_terminal(["show", str(picture)], env,
                            replies={b"\x1b[c": b"\x1b_Gi=31;OK\x1b\\\x1b[?62;22c"})
    assert kitty_payload(kitty.text.split("\x1b[c", 1)[1]) == RED_OVER_BLUE
    plain = run_in_terminal(["show", str(picture)], env, replies={b"\x1b[c": b"\x1b[?62;22c"})
    assert f"\x1b[38;5;196m\x1b[48;5;21m{HALF}{HALF}" in plain.text


def test_an_unanswered_query_falls_back_to_half_blocks(picture: Path, cli_env: dict[str, str]) -> None:
    result = show(picture, cli_env, TERM="xterm-256color", COMFYUI_SKILL_DISPLAY_QUERY_TIMEOUT="0.05")
    assert "\x1b[c" in result.text
    assert f"\x1b[38;5;196m\x1b[48;5;21m{HALF}{HALF}" in result.text


def test_screen_and_tmux_get_what_passes_through(picture: Path, tmp_path: Path, cli_env: dict[str, str]) -> None:
    screen = show(picture, cli_env, TERM="screen-256color", STY="1.pts-0", KITTY_WINDOW_ID="1", **NO_QUERY)
    assert "\x1b_G" not in screen.text and f"{HALF}{HALF}" in screen.text
    tmux = run_in_terminal(["show", str(picture)], environment(
        cli_env, TERM="tmux-256color", TMUX="/tmp/tmux-0/default,1,0", COMFYUI_SKILL_DISPLAY_QUERY_TIMEOUT="60"),
        replies={b"\x1b[c": b"\x1b[?1;2;4c"})
    assert "\x1b_G" not in tmux.text and "\x1bP0;1;0q" in tmux.text  # tmux itself draws sixel
    tool = write_file(tmp_path, "tmux", b"#!/bin/sh\necho on\n")
    tool.chmod(0o755)
    wrapped = show(picture, cli_env, TERM="tmux-256color", TMUX="/tmp/tmux-0/default,1,0", LC_TERMINAL="iTerm2",
                   PATH=f"{tmp_path}:/usr/bin:/bin")
    assert "\x1bPtmux;\x1b\x1b]1337;File=inline=1;" in wrapped.text


def test_a_setting_forces_the_protocol(picture: Path, cli_env: dict[str, str]) -> None:
    result = show(picture, cli_env, TERM="xterm-256color", COMFYUI_SKILL_DISPLAY_PROTOCOL="kitty")
    assert kitty_payload(result.text) == RED_OVER_BLUE
    bad = show(picture, cli_env, TERM="xterm-256color", COMFYUI_SKILL_DISPLAY_PROTOCOL="vt100")
    assert bad.exit_code == 10
    assert "display.protocol must be one of auto, kitty" in bad.text


def test_without_pillow_kitty_shows_pngs_and_the_rest_gets_one_hint(tmp_path: Path, cli_env: dict[str, str]) -> None:
    blocker = tmp_path / "no-pillow" / "PIL"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('Pillow is not installed in this test')\n")
    first = write_file(tmp_path, "a.png", RED_OVER_BLUE)
    second = write_file(tmp_path, "b.png", RED_OVER_BLUE)
    photo = write_file(tmp_path, "c.jpg", jpeg(8, 8))
    no_pillow = {"PYTHONPATH": str(blocker.parent), **NO_QUERY}
    kitty = run_in_terminal(["show", str(first), str(photo)], environment(
        cli_env, TERM="xterm-kitty", KITTY_WINDOW_ID="1", **no_pillow))
    assert kitty.exit_code == 0
    assert kitty_payload(kitty.text) == RED_OVER_BLUE  # the PNG; the JPEG would need Pillow
    assert kitty.text.count("hint: install Pillow") == 1
    blocks = run_in_terminal(["show", str(first), str(second)], environment(
        cli_env, TERM="xterm-256color", COLORTERM="truecolor", **no_pillow))
    assert HALF not in blocks.text
    assert f"{first}  (2x2, 74 B)" in blocks.text and f"{second}  (2x2, 74 B)" in blocks.text
    assert blocks.text.count("hint: install Pillow") == 1


def test_other_files_undecodable_images_and_missing_ones(tmp_path: Path, cli_env: dict[str, str]) -> None:
    good = write_file(tmp_path, "good.png", RED_OVER_BLUE)
    sound = write_file(tmp_path, "sound.wav", b"RIFF" + bytes(2044))
    broken = write_file(tmp_path, "broken.png", RED_OVER_BLUE[:40])
    result = run_in_terminal(["show", str(good), str(sound), str(broken), str(tmp_path / "gone.png")],
                             environment(cli_env, TERM="xterm-256color", COLORTERM="truecolor", **NO_QUERY))
    assert result.exit_code == 7
    assert result.text.count(HALF) == 2  # only the good picture
    assert f"{sound}  (2.0 KiB)" in result.text
    assert f"{broken}  (2x2, 40 B)" in result.text
    assert f"error: no such file: {tmp_path / 'gone.png'}" in result.text
    assert "Traceback" not in result.text


def test_a_video_shows_its_first_frame_when_ffmpeg_is_there(tmp_path: Path, cli_env: dict[str, str]) -> None:
    frame = write_file(tmp_path, "frame.png", RED_OVER_BLUE)
    video = write_file(tmp_path, "clip.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(100))
    tools = tmp_path / "bin"
    tools.mkdir()
    ffmpeg = write_file(tools, "ffmpeg", f"#!/bin/sh\ncat '{frame}'\n".encode())
    ffmpeg.chmod(0o755)
    env = dict(TERM="xterm-256color", COLORTERM="truecolor", **NO_QUERY)
    with_ffmpeg = show(video, cli_env, PATH=f"{tools}:/usr/bin:/bin", **env)
    assert f"\x1b[38;2;255;0;0m\x1b[48;2;0;0;255m{HALF}{HALF}" in with_ffmpeg.text
    assert f"{video}  (112 B)" in with_ffmpeg.text
    without = show(video, cli_env, PATH="/usr/bin:/bin", **env)
    assert HALF not in without.text and f"{video}  (112 B)" in without.text


def test_never_wider_than_the_window(tmp_path: Path, cli_env: dict[str, str]) -> None:
    wide = write_file(tmp_path, "wide.png", png(200, 2))
    env = environment(cli_env, TERM="xterm-256color", COLORTERM="truecolor", **NO_QUERY)
    for extra in ([], ["--size", "500"]):
        result = run_in_terminal(["show", str(wide), *extra], env, columns=40)
        [row] = [line for line in result.text.splitlines() if HALF in line]
        assert row.count(HALF) == 39, extra  # a column spare: no wrap at the window's edge
    sized = run_in_terminal(["show", str(wide), "--size", "12"], env, columns=40)
    [row] = [line for line in sized.text.splitlines() if HALF in line]
    assert row.count(HALF) == 12
