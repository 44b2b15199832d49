"""The hello-proxy server kind, against a fake ComfyUI that serves its routes only under /api."""

from __future__ import annotations

import pytest
from comfyui_skill.testing.fake_comfyui import FakeComfyUI


@pytest.fixture
def proxied(run_cli):
    """A fake ComfyUI reachable only at /api/... (like the proxy), configured as server 'proxied'."""
    with FakeComfyUI(api_prefix_only=True) as server:
        added = run_cli("server", "add", "proxied", server.url, "--kind", "hello-proxy")
        assert added.exit_code == 0, added.stderr
        stored = run_cli("config", "set", "servers.proxied.proxy_token", "--stdin", input="s3cret-token\n")
        assert stored.exit_code == 0, stored.stderr
        yield server


def test_the_kind_is_offered(run_cli) -> None:
    kinds = run_cli("server", "kinds", "--json").json()["data"]
    assert "hello-proxy" in {kind["name"] for kind in kinds}


def test_commands_run_through_the_proxy_kind(run_cli, proxied) -> None:
    result = run_cli("hello", "info", "--server", "proxied", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["comfyui_version"]
    requests = proxied.requests
    assert requests and all(r.path.startswith("/api/") for r in requests)
    assert all(r.headers.get("X-Proxy-Token") == "s3cret-token" for r in requests)


def test_the_local_kind_cannot_pass_the_proxy(run_cli, proxied) -> None:
    result = run_cli("hello", "info", "--url", proxied.url, "--json")
    assert result.exit_code != 0


def test_the_token_is_masked(run_cli, proxied) -> None:
    shown = run_cli("server", "show", "proxied")
    assert "s3cret-token" not in shown.stdout + shown.stderr
