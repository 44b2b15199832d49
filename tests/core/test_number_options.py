"""Options that take numbers refuse what cannot be meant (a negative limit, a NaN or negative timeout)
with a usage error that says what is expected, before anything is sent."""

from __future__ import annotations

import pytest

from comfyui_skill import ExitCode

W1 = "tests/fixtures/workflows/W1_empty_image_save.json"


@pytest.mark.parametrize(("argv", "said"), [
    (["history", "list", "--limit", "-3"], "argument --limit: '-3' is not a positive whole number"),
    (["nodes", "search", "x", "-n", "-1"], "--limit must be 0 (all) or more"),
    (["jobs", "list", "--limit", "2.5"], "argument --limit: '2.5' is not a positive whole number"),
    (["run", W1, "--count", "0"], "argument --count: '0' is not a positive whole number"),
    (["run", W1, "--timeout", "nan"], "argument --timeout: 'nan' is not a positive number of seconds"),
    (["wait", "x", "--timeout", "-1"], "argument --timeout: '-1' is not a positive number of seconds"),
    (["logs", "show", "--timeout", "inf"], "argument --timeout: 'inf' is not a positive number of seconds"),
    (["deps", "install", W1, "--timeout", "0"], "argument --timeout: '0' is not a positive number of seconds"),
    (["local", "launch", "--timeout", "soon"], "argument --timeout: 'soon' is not a positive number of seconds"),
    (["show", "x.png", "--size", "wide"], "argument --size: 'wide' is not a positive number of columns"),
])
def test_a_number_that_cannot_be_meant_is_a_usage_error(run_cli, argv, said):
    result = run_cli(*argv)
    assert result.exit_code == ExitCode.USAGE, (result.stdout, result.stderr)
    assert said in result.stderr
    assert "Traceback" not in result.stderr


def test_a_plain_number_is_taken(run_cli):
    assert run_cli("history", "list", "--limit", "2", "--json").exit_code == 0
