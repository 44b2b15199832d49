"""docs/mcp.md stays true: its table names exactly the built-in tools."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "mcp.md"


def test_the_tool_table_lists_exactly_the_builtin_tools(run_cli) -> None:
    tools = run_cli("mcp", "tools", "--json").json()["data"]
    builtin = {tool["name"] for tool in tools if tool["plugin"] == "mcp"}
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", DOC.read_text(), flags=re.MULTILINE))
    assert documented == builtin
