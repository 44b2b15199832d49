"""Secrets: a token goes to its own server only, and never shows up in output, logs, the journal, files
we write, or the command line of a child process."""

from __future__ import annotations

import json
from pathlib import Path

from comfyui_skill import ExitCode

from tests.core.scripted_server import ScriptedServer, send

from .conftest import TOKEN, wait_for

def _everything_written(*roots: Path) -> str:
    return "".join(p.read_text(errors="replace") for root in roots for p in root.rglob("*") if p.is_file())


def test_a_whole_run_never_prints_or_stores_the_token(run_cli, fake_comfy, workflow_file, tmp_path, cli_env,
                                                      guarded):
    home = Path(cli_env["COMFYUI_SKILL_DATA_DIR"]).parent
    out = tmp_path / "out"
    for output in ("--json", "--output=ndjson"):
        result = run_cli("-s", "guarded", "-v", "run", workflow_file("W1"), "-o", str(out), output, env=guarded)
        assert result.exit_code == 0, result.stderr
        assert TOKEN not in result.stdout + result.stderr
    for command in (["history", "list", "--json"], ["queue", "list", "--json"], ["server", "show", "guarded"],
                    ["server", "status", "--json"], ["config", "list", "--json"]):
        result = run_cli("-s", "guarded", "-v", *command, env=guarded)
        assert TOKEN not in result.stdout + result.stderr, command
    assert TOKEN not in _everything_written(home, out)  # journal, caches, outputs
    # ... yet it did go, on every request and on the WebSocket upgrade, to the server itself
    assert all(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in fake_comfy.requests)
    assert any(r.path == "/ws" for r in fake_comfy.requests)


def test_a_refused_token_is_named_only_masked(run_cli, fake_comfy, workflow_file, guarded):
    fake_comfy.config.require_token = "another-token"
    for command in (["run", workflow_file("W1")], ["queue", "list"], ["server", "status"]):
        result = run_cli("-s", "guarded", "-v", *command, "--json", env=guarded)
        assert result.exit_code in (ExitCode.AUTH, ExitCode.UNREACHABLE), (command, result.stderr)
        assert TOKEN not in result.stdout + result.stderr, command
    assert any(TOKEN in r.headers.get("Authorization", "") for r in fake_comfy.requests)  # it was sent


def test_a_download_redirect_never_carries_the_token(run_cli, fake_comfy, workflow_file, tmp_path, guarded):
    with ScriptedServer() as storage:
        storage.on("/file", send(200, b"\x89PNG....", content_type="image/png"))
        fake_comfy.faults.redirect(r"^/view$", storage.url("/file") + "?signature=abc")
        result = run_cli("-s", "guarded", "run", workflow_file("W1"), "-o", str(tmp_path / "out"), "--json",
                         env=guarded)
        assert result.exit_code == 0, result.stderr
        assert storage.seen and all(TOKEN not in json.dumps(seen.headers) + seen.path for seen in storage.seen)


def test_an_index_url_with_credentials_never_reaches_a_child_argv(run_cli, tmp_path):
    """A stand-in ``pip`` (first on the child's PYTHONPATH) records the argv and environment it gets."""
    shim = tmp_path / "shim" / "pip"
    shim.mkdir(parents=True)
    record = tmp_path / "child.json"
    (shim / "__init__.py").write_text("")
    (shim / "__main__.py").write_text(
        "import json, os, sys\n"
        f"json.dump({{'argv': sys.argv, 'index': os.environ.get('PIP_INDEX_URL')}}, open({str(record)!r}, 'w'))\n"
        "sys.exit(1)\n")
    secret_url = "https://me:hunter2-9f8e@127.0.0.1:9/simple"
    result = run_cli("plugins", "install", "some-plugin", "--index-url", secret_url, "--json", "-v",
                     env={"PYTHONPATH": str(shim.parent)})
    assert result.exit_code == ExitCode.ERROR
    child = json.loads(record.read_text())
    assert "some-plugin" in child["argv"]
    assert not any("hunter2" in arg for arg in child["argv"])
    assert child["index"] == secret_url  # it travelled in the environment instead
    assert "hunter2" not in result.stdout + result.stderr


def test_a_websocket_redirect_is_not_followed_with_the_token(run_cli, fake_comfy, workflow_file, tmp_path, guarded):
    with ScriptedServer() as elsewhere:
        elsewhere.on("/ws", send(400, b""))
        fake_comfy.faults.redirect(r"/ws$", elsewhere.url("/ws").replace("http", "ws", 1))
        result = run_cli("-s", "guarded", "run", workflow_file("W1"), "-o", str(tmp_path / "out"), "--json",
                         env=guarded)
        assert result.exit_code == 0, result.stderr  # the run polls instead
        assert elsewhere.seen == []


def test_a_server_log_line_holding_the_token_is_redacted_in_logs_show(run_cli, fake_comfy, guarded, in_background):
    fake_comfy.add_log(f"proxy: forwarded Authorization {TOKEN} to upstream")
    for output in ([], ["--json"], ["--raw"]):
        result = run_cli("-s", "guarded", "logs", "show", "-n", "2", *output, env=guarded)
        assert result.exit_code == 0, result.stderr
        assert TOKEN not in result.stdout + result.stderr, output
        assert "forwarded Authorization *** to upstream" in result.stdout, output

    def log_once_subscribed() -> None:
        wait_for(lambda: any(r.path == "/internal/logs/subscribe" for r in fake_comfy.requests), "the subscription")
        fake_comfy.add_log(f"echo token={TOKEN}&x=1")
    in_background(log_once_subscribed)
    followed = run_cli("-s", "guarded", "logs", "show", "-n", "1", "--follow", "--timeout", "4", "--output",
                       "ndjson", env=guarded)
    assert followed.exit_code == 0, followed.stderr
    assert TOKEN not in followed.stdout + followed.stderr
    assert any("echo token=***" in event.get("message", "") for event in followed.ndjson())
