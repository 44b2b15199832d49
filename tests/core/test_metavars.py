"""Every value an option or argument takes is shown with a real name in --help, never the internal
``dest`` argparse falls back to (``--url DEPS_URL``), in every command of every plugin."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from comfyui_skill import build_parser
from comfyui_skill.app import load_plugins, pre_parse, walk_parsers
from comfyui_skill.config import Config
from comfyui_skill.testing import CliRunner


def dest_like_metavars(parser: argparse.ArgumentParser) -> list[str]:
    """``PROG OPTION`` for each shown argument whose metavar argparse derives from its dest (none given and
    no choices), or is written like an internal dest (``DEPS_FOLDER``)."""
    found = []
    for command in (parser, *walk_parsers(parser)):
        for action in command._actions:  # noqa: SLF001 - argparse keeps them nowhere else
            if action.nargs == 0 or action.help == argparse.SUPPRESS or isinstance(
                    action, argparse._SubParsersAction):  # noqa: SLF001
                continue
            internal = "_" in action.dest and action.metavar in (action.dest, action.dest.upper())  # DEPS_URL
            if (action.metavar is None and action.choices is None) or internal:
                found.append(f"{command.prog} {'/'.join(action.option_strings) or action.dest}")
    return found


def test_no_metavar_is_derived_from_a_dest(tmp_path: Path) -> None:
    host = load_plugins(pre_parse([]), config=Config(tmp_path / "config.toml"), stderr=io.StringIO(), environ={})
    assert dest_like_metavars(build_parser(host, configure=True)) == []


def test_the_check_finds_a_dest_metavar() -> None:
    parser = argparse.ArgumentParser(prog="tool")
    parser.add_argument("--url", dest="deps_url")
    parser.add_argument("--folder", dest="deps_folder", metavar="DEPS_FOLDER")
    parser.add_argument("--name", dest="deps_name", metavar="NAME")
    parser.add_argument("--kind", dest="deps_kind", choices=["a", "b"])
    assert dest_like_metavars(parser) == ["tool --url", "tool --folder"]


def test_deps_models_install_help_names_its_values(run_cli: CliRunner) -> None:
    shown = run_cli("deps", "models", "install", "--help", env={"COLUMNS": "200"}).stdout
    assert "--url URL --folder FOLDER [--name FILE]" in shown and "DEPS_" not in shown
