"""Self-hosted servers behind TLS and a token, through the real CLI (issue #12)."""

from __future__ import annotations

import json

import pytest

from comfyui_skill.testing.fake_comfyui import FakeComfyUI

from .conftest import TOKEN



def test_run_over_https_and_wss_sends_the_token_everywhere_and_prints_it_nowhere(
        tls_comfy, configure, run_cli, certificate, w1, tmp_path, journal_text) -> None:
    configure("gpu", url=tls_comfy.url, token=TOKEN, ca_bundle=str(certificate[0]))
    result = run_cli("run", w1, "--output", "ndjson", "-v", "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    events = [line["event"] for line in result.ndjson() if "event" in line]
    assert "node" in events and "retry" not in events, events  # progress came over the socket
    assert (tmp_path / "out" / "probe" / "empty_00001_.png").stat().st_size > 0
    paths = [request.path for request in tls_comfy.requests]
    assert "/ws" in paths and "/prompt" in paths and "/view" in paths
    assert {request.headers.get("Authorization") for request in tls_comfy.requests} == {f"Bearer {TOKEN}"}
    for text in (result.stdout, result.stderr, journal_text()):
        assert TOKEN not in text
    assert "https://127.0.0.1" in journal_text()


def test_token_from_the_environment(tls_comfy, configure, run_cli, certificate) -> None:
    configure("gpu", url=tls_comfy.url, ca_bundle=str(certificate[0]))
    result = run_cli("queue", "list", "--json", env={"COMFYUI_SKILL_SERVER_GPU_TOKEN": TOKEN})
    assert result.exit_code == 0, result.stderr
    assert tls_comfy.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"


def test_an_untrusted_certificate_is_refused_with_a_ca_bundle_hint(tls_comfy, configure, run_cli) -> None:
    configure("gpu", url=tls_comfy.url, token=TOKEN)
    result = run_cli("queue", "list", "--json")
    assert result.exit_code == 3
    error = result.json()["error"]
    assert error["details"]["reason"] == "tls"
    assert "certificate verify failed: self-signed certificate" in error["message"]
    assert "servers.gpu.ca_bundle" in error["hint"]
    assert tls_comfy.requests == []  # nothing, the token least of all, went over the unverified channel


def test_insecure_works_with_a_warning_on_every_use(tls_comfy, configure, run_cli, w1, tmp_path) -> None:
    configure("gpu", url=tls_comfy.url, token=TOKEN, insecure=True)
    for argv in (("queue", "list", "--json"), ("run", w1, "-o", str(tmp_path / "out"))):
        result = run_cli(*argv)
        assert result.exit_code == 0, result.stderr
        assert "TLS certificate checks are OFF for server 'gpu'" in result.stderr
    assert "/ws" in [request.path for request in tls_comfy.requests]  # wss with CERT_NONE too


@pytest.mark.parametrize(("table", "secret", "tried", "hint"), [
    ({"token": "wrong-token-0123456789"}, "wrong-token-0123456789", "bearer token ***6789",
     "servers.gpu.token --stdin"),
    ({"username": "bob", "password": "hunter2-wrong"}, "hunter2-wrong", "basic auth as 'bob'",
     "servers.gpu.password --stdin"),
    ({"headers": {"X-Proxy-Key": "proxy-secret-value"}}, "proxy-secret-value", "custom headers X-Proxy-Key",
     "servers.gpu.headers"),
])
def test_refused_credentials_name_the_server_the_masked_credential_and_the_fix(
        tls_comfy, configure, run_cli, certificate, w1, table, secret, tried, hint) -> None:
    configure("gpu", url=tls_comfy.url, ca_bundle=str(certificate[0]), **table)
    result = run_cli("queue", "list", "--json")
    assert result.exit_code == 8
    error = result.json()["error"]
    assert error["code"] == "auth"
    assert "server 'gpu' refused the request (HTTP 401)" in error["message"] and tried in error["message"]
    assert hint in error["hint"]
    assert [request.path for request in tls_comfy.requests] == ["/queue"]  # no retry loop
    run = run_cli("run", w1)
    assert run.exit_code == 8 and "refused" in run.stderr
    for text in (result.stdout, result.stderr, run.stdout, run.stderr):
        assert secret not in text


@pytest.fixture
def other_host() -> FakeComfyUI:
    """A second server, addressed as ``localhost`` (another host name, another port)."""
    with FakeComfyUI() as server:
        yield server


def test_an_api_redirect_to_another_host_is_refused_and_gets_no_token(
        tls_comfy, other_host, configure, run_cli, certificate) -> None:
    configure("gpu", url=tls_comfy.url, token=TOKEN, ca_bundle=str(certificate[0]))
    tls_comfy.faults.redirect(r"^/queue$", f"http://localhost:{other_host.port}/queue")
    result = run_cli("queue", "list", "--json")
    assert result.exit_code == 9
    assert "does not follow redirects with credentials" in result.json()["error"]["message"]
    assert other_host.requests == []


def test_a_download_redirected_to_another_host_is_fetched_without_the_token(
        tls_comfy, other_host, configure, run_cli, certificate, w1, tmp_path) -> None:
    configure("gpu", url=tls_comfy.url, token=TOKEN, ca_bundle=str(certificate[0]))
    stored = other_host.output_dir / "probe" / "empty_00001_.png"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(b"\x89PNG from storage")
    tls_comfy.faults.redirect(r"^/view$", f"http://localhost:{other_host.port}/view?filename=empty_00001_.png"
                                          "&subfolder=probe&type=output")
    result = run_cli("run", w1, "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "probe" / "empty_00001_.png").read_bytes() == b"\x89PNG from storage"
    [fetch] = other_host.requests
    assert fetch.path == "/view" and "Authorization" not in fetch.headers
    assert TOKEN not in json.dumps(fetch.headers) + json.dumps(fetch.query)


def test_listings_mask_the_token(tls_comfy, configure, run_cli, certificate) -> None:
    configure("gpu", url=tls_comfy.url, token=TOKEN, ca_bundle=str(certificate[0]))
    for argv in (("config", "list"), ("config", "list", "--json"), ("server", "show", "gpu", "--json"),
                 ("server", "status", "--json")):
        result = run_cli(*argv)
        assert result.exit_code == 0, (argv, result.stderr)
        assert TOKEN not in result.stdout + result.stderr, argv
