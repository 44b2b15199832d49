"""server status / server stats against the fake server and a port nobody listens on."""

from __future__ import annotations

from ..waiting import released_when
from .helpers import UNRESOLVABLE_URL, received, write_config


def test_status_of_a_reachable_server(fake_comfy, run_cli):
    result = run_cli("server", "status", "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    [report] = result.json()["data"]
    assert report["reachable"] is True and report["reason"] is None
    assert report["comfyui_version"] == "0.33.0"
    assert report["python_version"].startswith("3.") and report["pytorch_version"]
    assert report["queue_running"] == 0 and report["queue_pending"] == 0
    assert report["devices"][0]["vram_total"] > 0
    text = run_cli("server", "status", server=fake_comfy)
    assert "status:" in text.stdout and "ok" in text.stdout and "0.33.0" in text.stdout
    assert "VRAM FREE/TOTAL" in text.stdout


def test_unreachable_server_exits_3_with_the_reason(run_cli, refused_port):
    result = run_cli("--url", f"http://127.0.0.1:{refused_port}", "server", "status", "--json")
    assert result.exit_code == 3
    document = result.json()
    assert document["ok"] is False and document["error"]["code"] == "unreachable"
    [report] = document["data"]
    assert report["reachable"] is False and report["reason"] == "refused"
    text = run_cli("--url", UNRESOLVABLE_URL, "server", "status")
    assert text.exit_code == 3 and "unreachable: dns" in text.stdout


def test_all_servers_side_by_side_checked_concurrently(fake_comfy, run_cli, cli_env):
    servers = {f"gpu{i}": fake_comfy.url for i in range(4)} | {"down": UNRESOLVABLE_URL}
    write_config(cli_env["COMFYUI_SKILL_CONFIG"], servers, default="gpu0")
    fake_comfy.faults.hold_http(r"/system_stats$")  # answered only once all four are being asked at once
    with released_when(lambda: len(received(fake_comfy, "GET", "/system_stats")) >= 4,
                       lambda: fake_comfy.faults.hold_http(None)):
        result = run_cli("server", "status", "--all", "--json")
    assert result.exit_code == 3  # one server asked for is down
    reports = {r["name"]: r for r in result.json()["data"]}
    assert sorted(reports) == ["down", "gpu0", "gpu1", "gpu2", "gpu3"]
    assert [reports[f"gpu{i}"]["reachable"] for i in range(4)] == [True] * 4
    assert reports["down"]["reason"] == "dns"
    fake_comfy.faults.clear()
    text = run_cli("server", "status", "--all", env={"COLUMNS": "80"}, terminal=True)
    lines = text.stdout.splitlines()
    assert lines[0].split()[:3] == ["SERVER", "STATUS", "COMFYUI"]
    assert any(line.startswith("down") and "dns" in line for line in lines)
    assert all(len(line) <= 80 for line in lines)


def test_status_of_named_servers_only_and_unknown_name(fake_comfy, run_cli, cli_env):
    write_config(cli_env["COMFYUI_SKILL_CONFIG"], {"a": fake_comfy.url, "down": UNRESOLVABLE_URL}, default="a")
    ok = run_cli("server", "status", "a", "--json")
    assert ok.exit_code == 0 and [r["name"] for r in ok.json()["data"]] == ["a"]
    unknown = run_cli("server", "status", "nosuch", "--json")
    assert unknown.exit_code == 7 and "nosuch" in unknown.json()["error"]["message"]


def test_refused_credentials_are_reported_as_auth(fake_comfy, run_cli):
    fake_comfy.faults.fail_http(r"/system_stats$", 401, times=None)
    result = run_cli("server", "status", "--json", server=fake_comfy)
    assert result.exit_code == 8
    assert result.json()["data"][0]["reason"] == "auth"


def test_stats_has_full_system_stats_and_features(fake_comfy, run_cli):
    result = run_cli("server", "stats", "--json", server=fake_comfy)
    assert result.exit_code == 0
    data = result.json()["data"]
    assert data["system_stats"]["system"]["comfyui_version"] == "0.33.0"
    assert "argv" in data["system_stats"]["system"] and data["system_stats"]["devices"]
    assert data["features"]["max_upload_size"] == 104857600
    text = run_cli("server", "stats", server=fake_comfy, env={"COLUMNS": "80"})
    assert "comfyui_version:" in text.stdout and "feature max_upload_size:" in text.stdout
    assert "comfyui-frontend-package" in text.stdout
