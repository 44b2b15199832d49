"""``describe --json`` is the real parser, as data: every command, every visible option, plugins too."""

from __future__ import annotations

import argparse
import re

from comfyui_skill import ERROR_CODES, EVENT_TYPES, ExitCode, build_parser, json_schema
from comfyui_skill.app import PROG, walk_parsers
from comfyui_skill.plugins import PluginHost

from .contract import assert_result


def visible_options(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions if action.help != argparse.SUPPRESS  # noqa: SLF001
            for flag in action.option_strings} - {"-h", "--help"}


def test_describe_matches_the_parser(run_cli) -> None:
    data = assert_result(run_cli("describe", "--json").json())["data"]
    parser = build_parser(PluginHost().load(), configure=True)
    expected = {p.prog[len(PROG):].strip(): visible_options(p) for p in walk_parsers(parser)}
    described = {c["command"]: {f for a in c["arguments"] for f in a["flags"]} for c in data["commands"]}
    assert described == expected
    assert {f for a in data["global_options"] for f in a["flags"]} == visible_options(parser)
    assert {"run", "submit", "status", "wait", "describe", "skill install", "queue list"} <= set(described)


def test_arguments_carry_types_choices_and_defaults(run_cli) -> None:
    commands = {c["command"]: c for c in run_cli("describe", "--json").json()["data"]["commands"]}
    wait = {a["name"]: a for a in commands["wait"]["arguments"]}
    assert wait["prompt_ids"] == {**wait["prompt_ids"], "positional": True, "nargs": "+", "required": True}
    assert wait["wait_timeout"]["type"] == "number" and wait["wait_download"]["type"] == "boolean"
    upload = {a["name"]: a for a in commands["upload"]["arguments"]}
    assert upload["upload_type"]["choices"] == ["input", "temp"] and upload["upload_type"]["default"] == "input"
    history = {a["name"]: a for a in commands["history list"]["arguments"]}
    assert history["history_limit"]["type"] == "integer" and history["history_limit"]["default"] == 20
    assert commands["run"]["plugin"] == "run" and commands["run"]["runnable"]
    assert not commands["history"]["runnable"] and commands["history list"]["runnable"]


def test_codes_events_and_schemas(run_cli) -> None:
    data = run_cli("describe", "--json").json()["data"]
    assert data["exit_codes"] == {code.name.lower(): int(code) for code in ExitCode}
    assert {k: v["exit_code"] for k, v in data["error_codes"].items()} == {
        k: int(v[0]) for k, v in ERROR_CODES.items()}
    assert data["event_types"] == EVENT_TYPES
    assert data["schemas"] == {"result": json_schema("result"), "event": json_schema("event")}


def test_third_party_commands_are_described(run_cli, extra_plugin: str) -> None:
    commands = {c["command"]: c for c in run_cli("-p", extra_plugin, "describe", "--json").json()["data"]["commands"]}
    frob = {a["name"]: a for a in commands["frob"]["arguments"]}
    assert commands["frob"]["plugin"] == extra_plugin
    assert frob["frob_level"]["type"] == "integer" and frob["frob_level"]["choices"] == [1, 2, 3]
    assert frob["frob_mode"]["default"] == "soft"
    assert "frob" not in {c["command"] for c in run_cli("describe", "--json").json()["data"]["commands"]}


def test_text_lists_runnable_commands(run_cli) -> None:
    text = run_cli("describe").stdout
    assert "queue list" in text and "describe --json" in text
    assert re.search(r"^history list +past runs", text, re.M)
    assert not re.search(r"^history {2,}", text, re.M)  # a bare group is not runnable
