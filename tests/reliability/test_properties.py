"""Property-based bad input (hypothesis): workflow files, --args/--set values, config files and server
responses. Whatever comes in, the CLI answers with a JSON envelope, a documented error code and its exit
code: never a traceback, never an 'internal' error (that would be a bug)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from comfyui_skill import ERROR_CODES, ExitCode
from comfyui_skill.testing import CliResult, CliRunner
from comfyui_skill.testing.fake_comfyui import FakeComfyUI

from tests.run.conftest import load_workflow

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeComfyUI]:
    with FakeComfyUI() as fake:
        yield fake


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> CliRunner:
    root = tmp_path_factory.mktemp("home")
    return CliRunner({"COMFYUI_SKILL_CONFIG": str(root / "config.toml"), "COMFYUI_SKILL_DATA_DIR": str(root / "data"),
                      "COMFYUI_SKILL_CACHE_DIR": str(root / "cache"), "COMFYUI_SKILL_NO_CACHE": "1"})


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scratch")


def assert_clean(result: CliResult, *allowed: ExitCode) -> dict[str, Any]:
    """A JSON envelope, no traceback, a documented code matching the exit code, and an allowed exit."""
    assert "Traceback" not in result.stderr, result.stderr
    envelope = result.json()
    assert envelope["schema"] == "comfyui-skill/1"
    if envelope["ok"]:
        assert result.exit_code == ExitCode.OK
    else:
        code = envelope["error"]["code"]
        assert code in ERROR_CODES and code != "internal", envelope["error"]
        assert result.exit_code == ERROR_CODES[code][0]
        assert envelope["error"]["message"].strip()
    assert result.exit_code in {ExitCode.OK, *allowed}, (result.exit_code, result.stdout)
    return envelope


def _no_downloads(scratch: Path) -> list[str]:
    return ["--no-download", "--timeout", "10", "-o", str(scratch / "out")]


#: What a run of a fuzzed workflow may end in. SERVER_ERROR: the fake's validation, like ComfyUI's, answers
#: 500 to some malformed links (e.g. ``"images": [[], null]``); the CLI reports that cleanly.
RUN_EXITS = (ExitCode.USAGE, ExitCode.REJECTED, ExitCode.EXECUTION_FAILED, ExitCode.SERVER_ERROR)


@SETTINGS
@given(content=st.one_of(json_values.map(json.dumps), st.text(max_size=200),
                         st.builds(lambda g: json.dumps({"1": g}), json_values)))
def test_any_workflow_file(cli, server, scratch, content):
    path = scratch / "workflow.json"
    path.write_text(content, encoding="utf-8")
    result = cli("--url", server.url, "run", str(path), "--json", *_no_downloads(scratch))
    assert_clean(result, *RUN_EXITS)


@SETTINGS
@given(raw=st.binary(max_size=200))
def test_any_workflow_bytes(cli, server, scratch, raw):
    path = scratch / "workflow.bin"
    path.write_bytes(raw)
    result = cli("--url", server.url, "run", str(path), "--json", *_no_downloads(scratch))
    assert_clean(result, *RUN_EXITS)


@SETTINGS
@given(sets=st.lists(st.text(max_size=30).filter(lambda s: not s.startswith("-")), min_size=1, max_size=3),
       args=st.none() | st.text(max_size=40) | json_values.map(json.dumps))
def test_any_set_and_args_values(cli, server, scratch, sets, args):
    path = scratch / "w1.json"
    path.write_text(json.dumps(load_workflow("W1")))
    argv = ["--url", server.url, "run", str(path), "--json", *_no_downloads(scratch)]
    for value in sets:
        argv += ["--set", value]
    if args is not None:
        argv += ["--args", args]
    assert_clean(cli(*argv), *RUN_EXITS)


@SETTINGS
@example(node_input="2.filename_prefix", value="~0")  # once 'Could not determine home directory'
@example(node_input="2.filename_prefix", value="./" + "a" * 300)  # once 'File name too long'
@given(node_input=st.sampled_from(["1.width", "1.height", "1.color", "1.batch_size", "2.filename_prefix",
                                   "2.images", "1.nope"]),
       value=json_values.map(json.dumps) | st.text(max_size=30))
def test_any_value_for_a_real_input(cli, server, scratch, node_input, value):
    path = scratch / "w1.json"
    path.write_text(json.dumps(load_workflow("W1")))
    result = cli("--url", server.url, "run", str(path), "--set", f"{node_input}={value}", "--json",
                 *_no_downloads(scratch))
    assert_clean(result, *RUN_EXITS)


toml_like = st.lists(st.sampled_from(["[servers.a]", "[servers]", "url = ", "kind = ", "token = ", "\"x\"", "1",
                                      "[[servers.b]]", "=", "output_dir = ", "read_timeout = ", "-5", "\"http://h:1\"",
                                      "true", "[", "]", "{", "}", "\n", " ", "'", "servers.c.url = "]),
                     max_size=12).map("".join)


@SETTINGS
@given(text=toml_like | st.text(max_size=120))
def test_any_config_file(cli, scratch, text):
    config = scratch / "config.toml"
    config.write_text(text, encoding="utf-8")
    for command in (["server", "list"], ["config", "list"], ["queue", "list"]):
        result = cli(*command, "--json", env={"COMFYUI_SKILL_CONFIG": str(config)})
        assert_clean(result, ExitCode.CONFIG, ExitCode.UNREACHABLE, ExitCode.NOT_FOUND, ExitCode.USAGE)


ROUTES = {  # a route of the fake, and a command that reads it
    r"^/queue$": ["queue", "list"],
    r"^/system_stats$": ["server", "status"],
    r"^/object_info$": ["nodes", "list"],
    r"^/models$": ["models", "list"],
    r"^/api/jobs$": ["jobs", "list"],
    r"^/history$": ["history", "list", "--remote"],
}


@SETTINGS
@given(route=st.sampled_from(sorted(ROUTES)), body=json_values.map(json.dumps) | st.binary(max_size=100),
       status=st.sampled_from([200, 200, 200, 400, 404, 500, 502]))
@example(route=r"^/models$", body="null", status=200)  # once a TypeError in 'models list'
@example(route=r"^/models$", body="[false]", status=200)  # once a TypeError in 'models list'
@example(route=r"^/queue$", body="[]", status=200)
@example(route=r"^/object_info$", body='{"A": [1], "B": {"python_module": 3}}', status=200)  # once 'nodes list' broke
def test_any_server_answer(cli, server, route, body, status):
    server.faults.clear()
    server.faults.respond_raw(route, status, body, "application/json")
    try:
        result = cli("--url", server.url, *ROUTES[route], "--json")
    finally:
        server.faults.clear()
    assert_clean(result, ExitCode.SERVER_ERROR, ExitCode.NOT_FOUND, ExitCode.REJECTED, ExitCode.UNREACHABLE)


@pytest.fixture(scope="module")
def finished_prompt(cli, server, scratch) -> str:
    path = scratch / "w1-finished.json"
    path.write_text(json.dumps(load_workflow("W1")))
    prompt_id = cli("--url", server.url, "submit", str(path), "--json").json()["data"]["prompt_id"]
    server.wait_idle(20)
    return prompt_id


entries = st.fixed_dictionaries({}, optional={
    "outputs": json_values | st.dictionaries(st.sampled_from(["2", "9"]), st.dictionaries(
        st.sampled_from(["images", "text", "gifs"]), json_values | st.lists(st.fixed_dictionaries(
            {"filename": json_values | st.text(max_size=10)}, optional={"subfolder": json_values, "type": json_values}),
            max_size=2))),
    "status": json_values | st.fixed_dictionaries({}, optional={
        "status_str": st.sampled_from(["success", "error"]) | json_values,
        "messages": json_values | st.lists(st.lists(json_values, max_size=3) | st.tuples(
            st.sampled_from(["execution_start", "execution_error", "execution_interrupted", "execution_success"]),
            json_values), max_size=3)}),
})


@SETTINGS
@given(entry=entries | json_values, job=st.none() | json_values)
@example(entry={"outputs": 1}, job=None)  # once an AttributeError in the run plugin
@example(entry={"status": {"messages": [["execution_error"], 7, ["execution_start", None, 1]]}}, job={"outputs": []})
def test_any_record_of_a_finished_prompt(cli, server, scratch, finished_prompt, entry, job):
    """What the server says about a prompt (its history entry, its job) is read defensively."""
    server.faults.clear()
    server.faults.respond_raw(rf"^/history/{finished_prompt}$", 200, json.dumps({finished_prompt: entry}),
                              "application/json")
    if job is None:
        server.faults.fail_http(rf"^/api/jobs/{finished_prompt}$", 404, times=None)
    else:
        server.faults.respond_raw(rf"^/api/jobs/{finished_prompt}$", 200, json.dumps(job), "application/json")
    try:
        for command in (["status", finished_prompt], ["wait", finished_prompt, "--timeout", "3", "--download",
                                                      "-o", str(scratch / "out")]):
            result = cli("--url", server.url, *command, "--json")
            assert_clean(result, ExitCode.SERVER_ERROR, ExitCode.NOT_FOUND, ExitCode.EXECUTION_FAILED,
                         ExitCode.CANCELLED, ExitCode.TIMEOUT, ExitCode.LOST, ExitCode.UNREACHABLE,
                         ExitCode.REJECTED)  # REJECTED: /view answers 400 to a nonsense file name
    finally:
        server.faults.clear()
