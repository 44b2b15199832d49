"""The argparse tree: the hidden copies of the global options are shared between subparsers (one
action per spelling, made once per process), yet every subparser parses its own arguments; help is
laid out for the terminal's width, found without shutil."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from comfyui_skill.app import build_parser, load_plugins, pre_parse
from comfyui_skill.config import Config
from comfyui_skill.terminal import terminal_columns
from comfyui_skill.testing import CliRunner


def whole_parser(tmp_path: Path):  # noqa: ANN201 - an ArgumentParser
    host = load_plugins(pre_parse([]), config=Config(tmp_path / "config.toml"), stderr=io.StringIO(), environ={})
    return build_parser(host, configure=True)


def test_global_options_after_any_subcommand_in_parsers_built_one_after_another(tmp_path: Path) -> None:
    for _ in range(2):  # the second tree reuses the hidden options the first one made
        parser = whole_parser(tmp_path)
        shown = parser.parse_args(["server", "show", "--server", "gpu", "--json", "-v", "-v"])
        assert (shown.server, shown.json, shown.verbose) == ("gpu", True, 2)
        listed = parser.parse_args(["queue", "list", "--output", "ndjson", "-q"])
        assert (listed.output, listed.quiet) == ("ndjson", True)
        assert parser.parse_args(["--server", "a", "queue", "list"]).server == "a"  # hidden ones set no default
        assert parser.parse_args(["server", "list"]).json is False  # the top-level default stays


def test_a_spelling_a_subcommand_uses_itself_stays_its_own(tmp_path: Path) -> None:
    parser = whole_parser(tmp_path)
    added = parser.parse_args(["server", "add", "gpu", "http://10.1.2.3:8188", "--kind", "cloud"])
    assert added.server_kind == "cloud" and getattr(added, "kind", None) is None
    shown = parser.parse_args(["server", "show", "--kind", "cloud"])  # here it is the global option
    assert shown.kind == "cloud"


def test_help_is_wrapped_to_the_width_in_columns(run_cli: CliRunner) -> None:
    def widest(columns: int) -> int:
        helped = run_cli("server", "status", "--help", env={"COLUMNS": str(columns)})
        return max(map(len, helped.stdout.splitlines()))

    assert widest(50) <= 48  # argparse keeps a margin of two
    assert 80 < widest(120) <= 118


def test_terminal_columns_follows_the_shutil_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    for value in ("42", "0", "-3", "wide"):
        monkeypatch.setenv("COLUMNS", value)
        assert terminal_columns(100) == shutil.get_terminal_size((100, 24)).columns
