"""A server that is not ComfyUI (a plain web server, a single-page app answering its page everywhere)
is recognised by the client, and every command says so in one line."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from comfyui_skill.errors import ExitCode
from comfyui_skill.testing import CliRunner

from .scripted_server import ScriptedServer, send

W1 = str(Path(__file__).resolve().parents[1] / "fixtures" / "workflows" / "W1_empty_image_save.json")
NOT_COMFYUI = "does not look like a ComfyUI server"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # no request log on stderr
        pass


@pytest.fixture
def web_server(tmp_path: Path) -> Iterator[str]:
    """Python's own static file server on loopback: HTML 404 pages, 501 for a POST."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html><body>my blog</body></html>")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tmp_path / "site")))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _one_line_error(stderr: str) -> str:
    lines = stderr.splitlines()
    assert "<" not in stderr and len(lines) == 2 and lines[1].startswith("  hint: check the URL and port"), stderr
    return lines[0]


@pytest.mark.parametrize("argv, route", [
    (["run", W1], "/object_info"),  # the node catalog is read first, to check the workflow
    (["queue", "list"], "/queue"),
    (["queue", "clear", "--yes"], "/queue"),
    (["server", "stats"], "/system_stats"),
])
def test_a_plain_web_server_is_named_for_what_it_is(run_cli: CliRunner, web_server: str, argv: list[str],
                                                    route: str) -> None:
    result = run_cli("--url", web_server, *argv)
    assert result.exit_code == ExitCode.SERVER_ERROR, result.stderr
    line = _one_line_error(result.stderr)
    assert line.startswith(f"comfyui-skill: error: server '{web_server}' {NOT_COMFYUI}: {route} answered HTTP "), line


def test_server_status_says_it_is_not_comfyui(run_cli: CliRunner, web_server: str) -> None:
    result = run_cli("--url", web_server, "server", "status")
    assert result.exit_code == ExitCode.UNREACHABLE
    assert "status:  not a ComfyUI server" in result.stdout
    assert f"{NOT_COMFYUI}: /system_stats answered HTTP 404 with a web page" in result.stdout
    assert "<" not in result.stdout + result.stderr
    assert result.stderr.startswith(f"comfyui-skill: error: not a ComfyUI server: {web_server}\n"), result.stderr
    (report,) = run_cli("--url", web_server, "server", "status", "--json").json()["data"]
    assert (report["reachable"], report["reason"]) == (False, "not_comfyui")


def test_a_page_answered_on_every_route_is_not_comfyui(run_cli: CliRunner) -> None:
    page = send(200, b"\n<!doctype html><html><body>sign in</body></html>", content_type="text/html")
    with ScriptedServer() as spa:
        for route in ("/queue", "/system_stats", "/object_info", "/prompt"):
            spa.on(route, page)
        for argv in (["queue", "list"], ["nodes", "list"], ["run", W1]):
            result = run_cli("--url", spa.url(), *argv, "--json")
            assert result.exit_code == ExitCode.SERVER_ERROR, argv
            error = result.json()["error"]
            assert NOT_COMFYUI in error["message"] and "a web page (HTML) where ComfyUI answers JSON" in error["message"]
            assert error["details"]["reason"] == "not_comfyui"


def test_a_missing_route_of_a_real_comfyui_is_still_just_missing(run_cli: CliRunner, fake_comfy: object) -> None:
    """Routes not every ComfyUI has (the jobs API, a model folder) answer 404 on a real one."""
    result = run_cli("models", "list", "no_such_folder", server=fake_comfy)
    assert result.exit_code == ExitCode.NOT_FOUND and NOT_COMFYUI not in result.stderr
