"""The shortcut of ``nodes list`` and ``nodes search``: the same answer as the handlers, or none.

Each invocation runs twice in-process: through the ordinary path (``app.run``, which also
remembers the shortcut) and through :func:`comfyui_skill.shortcuts.answer`. The shortcut must print
exactly what the ordinary path printed, with the same exit code, or give way without printing.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from comfyui_skill import shortcuts
from comfyui_skill.app import run
from comfyui_skill.testing import TerminalCapture

from .helpers import requested


@pytest.fixture
def env(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The isolated environment with shortcuts allowed, in ``os.environ`` too (the shortcut reads it)."""
    for name in [name for name in os.environ if name.startswith("COMFYUI_SKILL_")]:
        monkeypatch.delenv(name)
    environ = {**{k: v for k, v in cli_env.items() if k != "COMFYUI_SKILL_NO_CACHE"}, "COLUMNS": "80"}
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return environ


def ordinary(argv: list[str], terminal: bool = False) -> tuple[int, str, str]:
    out, err = TerminalCapture() if terminal else io.StringIO(), io.StringIO()
    code = run(argv, stdout=out, stderr=err, environ=dict(os.environ))
    return code, out.getvalue(), err.getvalue()


def short(argv: list[str], terminal: bool = False) -> tuple[int, str, str] | None:
    out, err = TerminalCapture() if terminal else io.StringIO(), io.StringIO()
    code = shortcuts.answer(argv, stdout=out, stderr=err)
    if code is None:
        assert out.getvalue() == err.getvalue() == "", "a shortcut that gives way prints nothing"
        return None
    return code, out.getvalue(), err.getvalue()


ANSWERED = [
    ["nodes", "list"],
    ["nodes", "list", "--search", "latent"],
    ["nodes", "list", "--search=save image", "--json"],
    ["nodes", "list", "--category", "image", "--pack", "core", "-q"],
    ["nodes", "list", "--deprecated", "--output", "ndjson"],
    ["nodes", "list", "--api-nodes", "--search", "video"],
    ["nodes", "list", "--search", "no-such-node-anywhere"],
    ["nodes", "search", "load", "image"],
    ["nodes", "search", "-n", "3", "image", "--json"],
    ["nodes", "search", "latent", "--limit=0"],
    ["nodes", "search", "ksampler", "--output=json"],
    ["nodes", "search", "upscle", "modle"],  # the fuzzy fallback
    ["nodes", "search", "ksamplr", "--json"],
    ["--json", "nodes", "search", "upscale", "model"],
    ["-q", "--output", "text", "nodes", "list", "--search", "mask"],
]


@pytest.mark.parametrize("argv", ANSWERED, ids=" ".join)
def test_the_shortcut_prints_what_the_handler_prints(fake_comfy, env, argv):
    argv = ["--url", fake_comfy.url, *argv]
    first = ordinary(argv)  # builds the index and remembers the shortcut
    assert first[0] == 0, first
    served = requested(fake_comfy, "GET", "/object_info")
    assert short(argv) == ordinary(argv) == first
    assert requested(fake_comfy, "GET", "/object_info") == served


@pytest.mark.parametrize("argv", [["nodes", "search", "upscale"], ["nodes", "list", "--search", "image"]],
                         ids=" ".join)
def test_on_a_terminal_the_shortcut_fits_the_width_as_the_handler_does(fake_comfy, env, argv):
    argv = ["--url", fake_comfy.url, *argv]
    first = ordinary(argv, terminal=True)
    assert first[0] == 0 and all(len(line) <= 80 for line in first[1].splitlines())
    assert first != ordinary(argv)  # in a pipe, nothing is cut
    assert short(argv, terminal=True) == first


GIVE_WAY = [
    ["nodes", "list", "--refresh"],  # the handler's job: ask the server
    ["nodes", "list", "--sea", "latent"],  # argparse would expand the abbreviation
    ["nodes", "list", "--search"],  # missing value: argparse's message
    ["nodes", "list", "--search", "-x"],
    ["nodes", "list", "--search", "a", "--search", "b"],
    ["nodes", "list", "stray"],
    ["nodes", "list", "-h"],
    ["nodes", "list", "--", "--search"],
    ["nodes", "list", "--output", "yaml"],
    ["nodes", "search"],
    ["nodes", "search", "a", "-n", "2", "b"],  # argparse: unrecognized 'b'
    ["nodes", "search", "-n", "-1", "latent"],  # the handler's usage error
    ["nodes", "search", "-n", "many", "latent"],
    ["-v", "nodes", "list"],
    ["nodes", "list", "-v"],
    ["nodes", "list", "--url", "http://127.0.0.1:9"],
]


@pytest.mark.parametrize("argv", GIVE_WAY, ids=" ".join)
def test_the_shortcut_gives_way_to_what_it_cannot_be_sure_of(fake_comfy, env, argv):
    ordinary(["--url", fake_comfy.url, "nodes", "list"])
    ordinary(["--url", fake_comfy.url, "nodes", "search", "x"])
    assert short(["--url", fake_comfy.url, *argv]) is None


def test_a_stale_missing_or_damaged_index_gives_way(fake_comfy, env):
    argv = ["--url", fake_comfy.url, "nodes", "list", "--search", "latent"]
    ordinary(argv)
    assert short(argv) is not None
    (index,) = (Path(env["COMFYUI_SKILL_CACHE_DIR"]) / "nodes").iterdir()
    checked = index.stat().st_mtime
    os.utime(index, (checked - 61, checked - 61))  # checked against the server more than the TTL ago
    assert short(argv) is None
    ordinary(argv)  # asks the server, marks the index checked
    assert short(argv) is not None
    index.write_bytes(b"\x00 not marshal")
    assert short(argv) is None
    index.unlink()
    assert short(argv) is None


def test_settings_and_servers_key_the_shortcut(fake_comfy, env, monkeypatch):
    argv = ["--url", fake_comfy.url, "nodes", "search", "latent"]
    ordinary(argv)
    assert short(argv) is not None
    monkeypatch.setenv("COMFYUI_SKILL_NODES_CACHE_TTL", "0")  # every call must ask the server now
    assert short(argv) is None
    ordinary(argv)
    assert short(argv) is None  # the state holds a TTL of 0: never fresh
    monkeypatch.delenv("COMFYUI_SKILL_NODES_CACHE_TTL")
    assert short(argv) is not None
    other = ["--url", fake_comfy.url + "/", "nodes", "search", "latent"]  # another server, as far as we know
    assert short(other) is None
    config = Path(env["COMFYUI_SKILL_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[nodes]\ncache_ttl = 0\n")  # the config file changed: so may every setting
    assert short(argv) is None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["--search", "latent", "image", "--category", "--pack", "core", "--deprecated",
                                 "--api-nodes", "--json", "-q", "--output", "ndjson", "-n", "2", "--limit=0", "--",
                                 "-h", "--sea", "--refresh", "=x", "-", "--json=1", "--output=json"]), max_size=6),
       st.sampled_from(["list", "search"]))
def test_any_command_line_gets_the_handlers_answer_or_none(fake_comfy, env, args, subcommand):
    argv = ["--url", fake_comfy.url, "nodes", subcommand]
    ordinary(argv + ["x"] * (subcommand == "search"))
    expected = ordinary(argv + args)
    answered = short(argv + args)
    assert answered is None or answered == expected
