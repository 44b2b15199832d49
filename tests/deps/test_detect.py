"""Which Manager a server runs: the three dialects, and 'none' however the server says it."""

from __future__ import annotations

import pytest

from comfyui_skill import ExitCode
from comfyui_skill.testing.fake_comfyui import FakeComfyUI

from .helpers import requests_to

HTML = "<!doctype html><html><body>ComfyUI</body></html>"


@pytest.mark.parametrize("dialect, version", [("4", "V4.2.2"), ("4-legacy", "V4.2.2"), ("3", "V3.41"),
                                              ("3.39", "V3.39.2")])
def test_each_dialect_is_recognised(run_cli, dialect, version):
    with FakeComfyUI(manager=dialect) as server:
        result = run_cli("deps", "nodes", "list", "--json", server=server)
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["manager"] == {"dialect": dialect.split(".")[0], "version": version}


def test_no_manager_404s_and_405s_is_absent_with_how_to_enable_it(run_cli, fake_comfy):
    result = run_cli("deps", "nodes", "list", server=fake_comfy)
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "has no ComfyUI-Manager" in result.stderr and "--enable-manager" in result.stderr
    assert not [r for r in fake_comfy.requests if r.method == "POST"]  # a 405 is never used as a probe


def test_a_frontend_that_answers_every_get_with_a_200_html_page_has_no_manager(run_cli, fake_comfy):
    fake_comfy.faults.respond_raw(r"manager", 200, HTML, "text/html")
    result = run_cli("deps", "install", "x.json", "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.NOT_FOUND
    assert result.json()["error"]["details"] == {"manager": None}
    assert requests_to(fake_comfy, "/manager/version")  # both route families were probed


def test_json_of_the_wrong_shape_or_a_text_that_is_no_version_is_no_manager(run_cli, fake_comfy):
    fake_comfy.faults.respond_raw(r"is_legacy_manager_ui", 200, '{"ok": true}', "application/json")
    fake_comfy.faults.respond_raw(r"^/manager/version", 200, "Not Found", "text/plain")
    assert run_cli("deps", "restart", server=fake_comfy).exit_code == ExitCode.NOT_FOUND


def test_a_manager_3_reached_through_an_html_proxy_for_v2_is_still_found(run_cli):
    with FakeComfyUI(manager="3") as server:
        server.faults.respond_raw(r"^/v2/", 200, HTML, "text/html")
        result = run_cli("deps", "nodes", "list", "--json", server=server)
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["manager"]["dialect"] == "3"
