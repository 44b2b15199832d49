"""Partner (paid API) nodes: refused unless allowed; when allowed the Comfy API key rides in extra_data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from comfyui_skill.testing.fake_cloud import FakeCloud
from comfyui_skill.testing.fake_comfyui import FakeComfyUI
from comfyui_skill.testing.fake_comfyui.server import recorded_catalog

KEY = "comfyui-key-0123456789abcdef-paid"


def _paid_catalog() -> dict[str, Any]:
    """The recorded catalog with EmptyImage flagged as an API node, so W1 is a paid workflow that runs."""
    catalog = recorded_catalog()
    return {**catalog, "EmptyImage": {**catalog["EmptyImage"], "api_node": True}}


@pytest.fixture
def paid_comfy() -> Iterator[FakeComfyUI]:
    with FakeComfyUI(_paid_catalog()) as server:
        yield server
        server.wait_idle(15)


def _posts(server: FakeComfyUI) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in server.requests if r.method == "POST" and r.path.endswith("/prompt")]



def test_a_real_partner_node_is_refused_before_submission(fake_comfy, run_cli, tmp_path, journal_text) -> None:
    workflow = tmp_path / "dalle.json"
    workflow.write_text(json.dumps({"5": {"class_type": "OpenAIDalle2", "inputs": {"prompt": "a cat"},
                                          "_meta": {"title": "Cat picture"}}}))
    result = run_cli("run", str(workflow), "--json", server=fake_comfy, env={"COMFY_API_KEY": KEY})
    assert result.exit_code == 13
    error = result.json()["error"]
    assert error["code"] == "payment_required"
    assert "paid API nodes" in error["message"] and "Cat picture (#5)" in error["message"]
    assert error["details"]["paid_nodes"] == {"5": "OpenAIDalle2"}
    assert "--allow-paid-nodes" in error["hint"] and "allow_paid_nodes true" in error["hint"]
    assert _posts(fake_comfy) == [] and journal_text() == ""


def test_allowed_with_the_flag_the_key_goes_in_extra_data_and_nowhere_else(
        paid_comfy, run_cli, w1, tmp_path, journal_text) -> None:
    result = run_cli("run", w1, "--allow-paid-nodes", "--json", "-v", "-o", str(tmp_path / "out"),
                     server=paid_comfy, env={"COMFY_API_KEY": KEY})
    assert result.exit_code == 0, result.stderr
    [posted] = _posts(paid_comfy)
    assert posted["extra_data"]["api_key_comfy_org"] == KEY
    assert all(KEY not in json.dumps(r.headers) for r in paid_comfy.requests)  # never a header
    for text in (result.stdout, result.stderr, journal_text()):
        assert KEY not in text


def test_the_server_setting_allows_them_with_its_own_key(paid_comfy, run_cli, w1, configure) -> None:
    configure("gpu", url=paid_comfy.url, allow_paid_nodes=True, comfy_api_key=KEY)
    result = run_cli("submit", w1, "--json")
    assert result.exit_code == 0, result.stderr
    assert _posts(paid_comfy)[0]["extra_data"]["api_key_comfy_org"] == KEY
    listing = run_cli("config", "list")
    assert "comfy_api_key" in listing.stdout and KEY not in listing.stdout


def test_the_setting_and_the_key_from_the_environment(paid_comfy, run_cli, w1, configure) -> None:
    configure("gpu", url=paid_comfy.url)
    env = {"COMFYUI_SKILL_SERVER_GPU_ALLOW_PAID_NODES": "true", "COMFYUI_SKILL_SERVER_GPU_COMFY_API_KEY": KEY}
    result = run_cli("submit", w1, env=env)
    assert result.exit_code == 0, result.stderr
    assert _posts(paid_comfy)[0]["extra_data"]["api_key_comfy_org"] == KEY


def test_allowed_without_a_key_is_refused_before_submission(paid_comfy, run_cli, w1) -> None:
    result = run_cli("submit", w1, "--allow-paid-nodes", server=paid_comfy)
    assert result.exit_code == 8
    assert "no Comfy API key" in result.stderr and "COMFY_API_KEY" in result.stderr
    assert _posts(paid_comfy) == []


def test_a_workflow_without_paid_nodes_never_carries_the_key(fake_comfy, run_cli, w1) -> None:
    for _ in range(2):
        result = run_cli("submit", w1, "--allow-paid-nodes", server=fake_comfy, env={"COMFY_API_KEY": KEY})
        assert result.exit_code == 0, result.stderr
    assert all("api_key_comfy_org" not in post.get("extra_data", {}) for post in _posts(fake_comfy))
    catalog_fetches = [r for r in fake_comfy.requests if r.path == "/object_info"]
    assert len(catalog_fetches) == 1  # the second run used the cached list of paid classes


def test_cloud_servers_send_their_api_key_as_the_comfy_key(run_cli, w1) -> None:
    with FakeCloud(object_info=_paid_catalog()) as cloud:
        refused = run_cli("--url", cloud.url, "--kind", "cloud", "submit", w1,
                          env={"COMFY_API_KEY": cloud.api_key})
        assert refused.exit_code == 13 and "EmptyImage" in refused.stderr
        result = run_cli("--url", cloud.url, "--kind", "cloud", "submit", w1, "--allow-paid-nodes", "--json",
                         env={"COMFY_API_KEY": cloud.api_key})
        assert result.exit_code == 0, result.stderr
        [posted] = _posts(cloud.comfy)
        assert posted["extra_data"]["api_key_comfy_org"] == cloud.api_key
        assert cloud.api_key not in result.stdout + result.stderr
        cloud.comfy.wait_idle(15)


def test_a_server_error_echoing_the_key_is_masked(paid_comfy, run_cli, w1) -> None:
    paid_comfy.faults.fail_http(r"/prompt$", 500, body=json.dumps({"extra_data": {"api_key_comfy_org": KEY}}),
                                content_type="application/json", method="POST")
    result = run_cli("submit", w1, "--allow-paid-nodes", "--json", server=paid_comfy, env={"COMFY_API_KEY": KEY})
    assert result.exit_code == 9
    assert "api_key_comfy_org" in result.stdout and KEY not in result.stdout + result.stderr
