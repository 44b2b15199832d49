"""Every inspecting command reports a server nobody listens on as unreachable (exit 3), no traceback."""

from __future__ import annotations

import pytest

from .helpers import UNRESOLVABLE_URL

COMMANDS = [
    ("server", "stats"), ("queue", "list"), ("queue", "clear", "--yes"), ("queue", "delete", "x"),
    ("queue", "move-to-front", "x"), ("nodes", "list"), ("nodes", "search", "image"), ("nodes", "info", "KSampler"),
    ("models", "list"), ("models", "list", "checkpoints"), ("logs", "show"), ("logs", "show", "--follow"),
    ("templates", "list"), ("templates", "show", "x"), ("templates", "get", "x", "-o", "-"),
    ("templates", "subgraphs"), ("templates", "subgraph", "x", "-o", "-"),
]


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_unreachable_server(run_cli, argv):
    result = run_cli("--url", UNRESOLVABLE_URL, *argv, "--json")
    assert result.exit_code == 3, result.stderr
    assert result.json()["error"]["code"] == "unreachable"
    assert "Traceback" not in result.stderr
