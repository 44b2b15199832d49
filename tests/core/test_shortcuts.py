"""Shortcuts (``Context.offer_shortcut``), as a third-party plugin uses them, in real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from comfyui_skill import Context, Output, Shortcut
from comfyui_skill.config import Config
from comfyui_skill.plugins import PluginHost

from .dummy_plugins import make_distribution, run_subprocess

GREET_PLUGIN = '''
import os
from comfyui_skill import Command, NotFoundError, hookimpl
from greet_text import greeting

def configure(parser):
    parser.add_argument("name")
    parser.add_argument("--shout", action="store_true")

def run(ctx, args):
    with open(os.environ["GREET_LOG"], "a") as log:
        log.write("handler\\n")
    ctx.server  # the selected server, read as a command that talks to one does (no request is made)
    if args.name == "fail":
        raise NotFoundError("no one called fail")
    if args.name == "warn":
        ctx.output.warn("careful")
    ctx.offer_shortcut("greet_quick:answer", {"greeting": "hello"})
    return greeting("hello", args.name, args.shout)

@hookimpl
def comfyui_skill_commands():
    return [Command("greet", "say hello", configure=configure, run=run)]
'''

#: what both the handler and the shortcut answer with: a module light enough for the shortcut
GREET_TEXT = '''
from comfyui_skill import Result

def greeting(word, name, shout):
    text = f"{word} {'x' * 300000 if name == 'big' else name}"
    text = text.upper() if shout else text
    return Result(data={"greeting": text}, text=text)
'''

GREET_SHORTCUT = '''
import os, sys
from greet_text import greeting

def answer(shortcut):
    heavy = sorted(m for m in ("argparse", "pluggy", "urllib3", "websocket", "tomlkit") if m in sys.modules)
    with open(os.environ["GREET_LOG"], "a") as log:
        log.write(f"shortcut {heavy}\\n")
    parsed = shortcut.parse(flags={"--shout": "shout"}, positional=True)
    if parsed is None or parsed[1] == ["giveway"]:
        return None
    if parsed[1] == ["crash"]:
        raise RuntimeError("a bug in the shortcut")
    (name,) = parsed[1]
    return greeting(shortcut.state["greeting"], name, parsed[0].get("shout", False))
'''


@pytest.fixture
def greet(cli_env: dict[str, str], tmp_path: Path):
    """Run ``comfyui-skill ARGS`` with the 'greet' plugin installed; returns (run, log lines)."""
    root = make_distribution(tmp_path / "site", "comfyui-skill-greet",
                             {"greet_plugin": GREET_PLUGIN, "greet_text": GREET_TEXT, "greet_quick": GREET_SHORTCUT}, {"greet": "greet_plugin"})
    log = tmp_path / "greet.log"
    env = {**{k: v for k, v in cli_env.items() if k != "COMFYUI_SKILL_NO_CACHE"}, "GREET_LOG": str(log)}

    def run(*args: str, extra_env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], list[str]]:
        log.write_text("")
        result = run_subprocess(list(args), path=root, env={**env, **(extra_env or {})})
        return result, log.read_text().splitlines()

    run.root = root  # type: ignore[attr-defined]
    run.env = env  # type: ignore[attr-defined]
    return run


def test_the_second_run_is_answered_by_the_shortcut_alone(greet):
    first, calls = greet("greet", "bob")
    assert first.returncode == 0 and first.stdout == "hello bob\n" and calls == ["handler"]
    second, calls = greet("greet", "bob")
    assert (second.returncode, second.stdout, second.stderr) == (0, first.stdout, first.stderr)
    assert calls == ["shortcut []"]  # no argparse, pluggy or HTTP stack was loaded
    # any arguments after the command words: the shortcut reads them
    shouted, calls = greet("--json", "greet", "alice", "--shout")
    assert calls == ["shortcut []"] and '"greeting": "HELLO ALICE"' in shouted.stdout
    assert shouted.stdout == greet("-v", "--json", "greet", "alice", "--shout")[0].stdout  # -v: the handler's


def test_a_shortcut_that_gives_way_or_fails_leaves_the_handler_to_answer(greet):
    greet("greet", "bob")
    for name in ("giveway", "crash"):
        result, calls = greet("greet", name)
        assert calls == ["shortcut []", "handler"]
        assert (result.returncode, result.stdout, result.stderr) == (0, f"hello {name}\n", "")
    unknown, calls = greet("greet", "bob", "--whisper")
    assert calls == ["shortcut []"] and unknown.returncode == 2 and "--whisper" in unknown.stderr


def test_any_change_to_what_chose_the_answer_drops_the_shortcut(greet):
    greet("greet", "bob")
    assert greet("greet", "bob")[1] == ["shortcut []"]
    assert greet("greet", "bob", extra_env={"COMFYUI_SKILL_SERVER": "other"})[1] == ["handler"]
    assert greet("-s", "local", "greet", "bob")[1] == ["handler"]  # another server option: another key
    config = Path(greet.env["COMFYUI_SKILL_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('default_server = "local"\n')
    assert greet("greet", "bob")[1] == ["handler"]
    assert greet("greet", "bob")[1] == ["shortcut []"]
    config.chmod(0o600)  # a chmod changes whether the secrets warning is due
    assert greet("greet", "bob")[1] == ["handler"]
    module = greet.root / "greet_quick.py"
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # the plugin was edited
    assert greet("greet", "bob")[1] == ["handler"]
    assert greet("greet", "bob")[1] == ["shortcut []"]
    for bypass in ("COMFYUI_SKILL_NO_CACHE", "COMFYUI_SKILL_TRACE_PLUGINS"):
        assert greet("greet", "bob", extra_env={bypass: "1"})[1] == ["handler"]


def test_nothing_is_remembered_after_a_failure_or_a_warning(greet):
    for name in ("fail", "warn"):
        first, calls = greet("greet", name)
        assert calls == ["handler"]
        again, calls = greet("greet", name)
        assert calls == ["handler"] and (again.returncode, again.stderr) == (first.returncode, first.stderr)
    assert greet("greet", "fail")[0].returncode == 7


def test_no_secret_of_the_command_line_or_environment_reaches_the_cache(greet):
    secret_url = "http://alice:pw-sec-4417@127.0.0.1:9"
    token = {"COMFYUI_SKILL_SERVER_LOCAL_TOKEN": "tok-sec-9921"}
    greet("--url", secret_url, "greet", "bob", extra_env=token)
    assert greet("--url", secret_url, "greet", "bob", extra_env=token)[1] == ["shortcut []"]
    cache = Path(greet.env["COMFYUI_SKILL_CACHE_DIR"])
    stored = b"".join(path.read_bytes() for path in cache.rglob("*") if path.is_file())
    assert b"pw-sec-4417" not in stored and b"tok-sec-9921" not in stored
    assert b"127.0.0.1:9" not in stored  # the key is a digest: not even the host is kept
    assert (cache / "shortcuts.marshal").stat().st_mode & 0o077 == 0


def test_a_shortcut_file_others_could_have_written_is_ignored(greet):
    """It names modules to import: a file someone else could write would let them run code as us."""
    greet("greet", "bob")
    shortcuts = Path(greet.env["COMFYUI_SKILL_CACHE_DIR"]) / "shortcuts.marshal"
    shortcuts.chmod(0o666)
    assert greet("greet", "bob")[1] == ["handler"]
    assert shortcuts.stat().st_mode & 0o777 == 0o600  # written anew, privately
    assert greet("greet", "bob")[1] == ["shortcut []"]


def test_a_reader_that_goes_away_gets_no_traceback(greet):
    greet("greet", "big")
    Path(greet.env["GREET_LOG"]).write_text("")
    process = subprocess.Popen([sys.executable, "-m", "comfyui_skill", "greet", "big"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ, **greet.env,
                                                            "PYTHONPATH": str(greet.root)})
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(5) == b"hello"
    process.stdout.close()  # like '| head -c 5'
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0 and stderr == ""
    assert Path(greet.env["GREET_LOG"]).read_text().splitlines() == ["shortcut []"]


def test_a_state_the_cache_cannot_hold_is_refused_at_once(tmp_path):
    ctx = Context(config=Config(tmp_path / "config.toml"), output=Output(), plugins=PluginHost())
    with pytest.raises(ValueError):
        ctx.offer_shortcut("some.module:answer", {"handle": object()})
    ctx.offer_shortcut("some.module:answer", {"index": "/a/file", "ttl": 60.0, "flags": [True, None]})
    assert ctx.shortcut == ("some.module:answer", {"index": "/a/file", "ttl": 60.0, "flags": [True, None]})


@pytest.mark.parametrize(("args", "expected"), [
    (["a", "b"], ({}, ["a", "b"])),
    (["--shout", "a", "-q"], ({"shout": True}, ["a"])),
    (["a", "--output", "json", "b"], None),  # two runs of words: argparse rejects the second
    (["-n", "3", "a"], ({"limit": "3"}, ["a"])),
    (["--limit=-3", "a"], ({"limit": "-3"}, ["a"])),  # argparse takes an attached value as it is
    (["--limit", "-3", "a"], None),
    (["-n"], None),
    (["-n", "1", "-n", "2", "a"], None),
    (["--shout=yes", "a"], None),
    (["--json=1", "a"], None),
    (["--sh", "a"], None),
    (["a", "--", "b"], None),
    ([], None),
])
def test_parse_reads_only_what_argparse_would_read_the_same_way(args, expected):
    shortcut = Shortcut(args, None, Output())
    assert shortcut.parse(values={"-n": "limit", "--limit": "limit"}, flags={"--shout": "shout"},
                          positional=True) == expected
