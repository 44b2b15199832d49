"""The argparse tree: the hidden copies of the global options are shared between subparsers (one
action per spelling, made once per process), yet every subparser parses its own arguments."""

from __future__ import annotations

import io
from pathlib import Path

from comfyui_skill.app import build_parser, load_plugins, pre_parse
from comfyui_skill.config import Config


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
