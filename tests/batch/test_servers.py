"""Spreading a batch over several servers: limits, a slow server, a server that dies, pools."""

from __future__ import annotations

import threading

from comfyui_skill import ExitCode

from ..agent.contract import assert_ndjson
from ..waiting import held_until, wait_for
from .conftest import manifest_of, posted_prompts, read_manifest, write_config


def _servers(*fakes):
    return ",".join(fake.url for fake in fakes)


def test_items_are_spread_over_two_servers(run_cli, fakes, workflow, outdir):
    a, b = fakes(2)
    a.exec_delay = b.exec_delay = 0.05
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..8", "--servers", _servers(a, b), "-o",
                     str(outdir), "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert len(posted_prompts(a)) + len(posted_prompts(b)) == 8
    assert posted_prompts(a) and posted_prompts(b)
    names = {s["name"]: s for s in data["servers"]}
    assert {item["server"] for item in data["items"]} == set(names)
    assert sum(s["done"] for s in names.values()) == 8
    # one WebSocket per server, with that server's client id on every prompt sent to it
    for fake in (a, b):
        client_ids = {p["client_id"] for p in posted_prompts(fake)}
        assert len(client_ids) == 1
        assert len([r for r in fake.requests if r.path == "/ws"]) == 1


def test_a_servers_entry_without_a_scheme_is_an_http_url(run_cli, fakes, workflow, outdir):
    a, b = fakes(2)
    bare = ",".join(fake.url.removeprefix("http://") for fake in (a, b))
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..4", "--servers", bare, "-o", str(outdir), "--json")
    assert result.exit_code == 0, result.stderr
    assert {s["name"] for s in result.json()["data"]["servers"]} == {a.url, b.url}
    assert posted_prompts(a) and posted_prompts(b)


def test_max_concurrent_of_each_server_is_respected(run_cli, cli_env, fakes, workflow, outdir):
    a, b = fakes(2)
    write_config(cli_env, f'[servers.a]\nurl = "{a.url}"\nmax_concurrent = 1\n'
                          f'[servers.b]\nurl = "{b.url}"\nmax_concurrent = 3\n'
                          '[pools.gpus]\nservers = ["a", "b"]\n')
    # nothing runs until every slot is taken (else a prompt could finish before the last slot fills)
    with held_until(lambda: (a.peak_queued(), b.peak_queued()) == (1, 3), a, b):
        result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..12", "--pool", "gpus", "-o", str(outdir),
                         "--json")
    assert result.exit_code == 0, result.stderr
    assert a.peak_queued() == 1
    assert b.peak_queued() == 3
    assert {s["name"]: s["limit"] for s in result.json()["data"]["servers"]} == {"a": 1, "b": 3}


def test_a_local_server_gets_two_in_flight_by_default(run_cli, fakes, workflow, outdir):
    (a,) = fakes(1)
    with held_until(lambda: a.peak_queued() == 2, a):
        result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..6", "--servers", a.url, "-o", str(outdir))
    assert result.exit_code == 0, result.stderr
    assert a.peak_queued() == 2


def test_unknown_pool_is_reported(run_cli, workflow):
    result = run_cli("run", workflow("W1"), "--count", "2", "--pool", "nope")
    assert result.exit_code == ExitCode.NOT_FOUND and "no pool 'nope'" in result.stderr


def test_a_slow_server_gets_fewer_items(run_cli, fakes, workflow, outdir):
    slow, fast = fakes(2)
    # the slow server finishes nothing before the fast one has run every item it was not given
    with held_until(lambda: len(posted_prompts(slow)) + len(fast.history_ids()) == 16, slow):
        result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..16", "--servers", _servers(slow, fast),
                         "-o", str(outdir))
    assert result.exit_code == 0, result.stderr
    assert len(posted_prompts(fast)) > len(posted_prompts(slow)) >= 1


def _stop_when_full(fake) -> threading.Thread:
    """``fake`` runs nothing, and stops once both its slots hold a prompt of ours (in flight there)."""
    fake.faults.hold_execution = True

    def watch() -> None:
        try:
            wait_for(lambda: len(posted_prompts(fake)) == 2)
        finally:  # stopped even if the state never comes: the test then fails instead of hanging
            fake.stop()
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_server_that_dies_is_drained_and_its_items_move_once(run_cli, fakes, workflow, outdir):
    a, dying = fakes(2)
    dying_name = dying.url  # a server given by URL is named by it
    watcher = _stop_when_full(dying)
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..10", "--servers", _servers(a, dying), "-o",
                     str(outdir), "--output", "ndjson")
    watcher.join(10)
    assert result.exit_code == 0, result.stderr
    events = assert_ndjson(result.ndjson())
    (down,) = [e for e in events if e.get("event") == "server_down"]
    assert down["server"] == dying_name
    assert down["items"], "items were in flight on the dying server"
    _header, records, latest = read_manifest(manifest_of(outdir))
    moved = {r["item"] for r in records if r.get("moved_from")}
    assert moved and all(latest[i]["status"] == "success" and latest[i]["moved"] == 1 for i in moved)
    assert all(item["status"] == "success" for item in latest.values())
    assert result.ndjson()[-1]["data"]["counts"]["done"] == 10


def test_without_failover_the_items_of_a_dead_server_fail(run_cli, fakes, workflow, outdir):
    a, dying = fakes(2)
    watcher = _stop_when_full(dying)
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..10", "--servers", _servers(a, dying), "-o",
                     str(outdir), "--no-failover", "--json")
    watcher.join(10)
    assert result.exit_code == ExitCode.EXECUTION_FAILED
    items = result.json()["data"]["items"]
    lost = [item for item in items if item["status"] == "lost"]
    assert lost and all("unreachable" in item["error"] for item in lost)
    assert all(item["status"] == "success" for item in items if item not in lost)
    assert len(items) == 10


def test_a_server_down_at_the_start_is_left_out(run_cli, fakes, workflow, outdir, refused_port):
    (up,) = fakes(1)
    down_url = f"http://127.0.0.1:{refused_port}"
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..4", "--servers", f"{down_url},{up.url}", "-o",
                     str(outdir), "--json")
    assert result.exit_code == 0, result.stderr
    assert "the batch runs without server" in result.stderr
    assert len(posted_prompts(up)) == 4


def test_no_server_reachable_at_the_start_submits_nothing(run_cli, workflow, outdir, refused_port):
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1,2", "--servers", f"http://127.0.0.1:{refused_port}",
                     "-o", str(outdir))
    assert result.exit_code == ExitCode.UNREACHABLE
    assert not outdir.exists()


def test_a_socket_that_keeps_closing_is_given_up_for_polling(run_cli, fakes, workflow, outdir):
    (a,) = fakes(1)
    a.exec_delay = 0.3
    a.faults.send_oversized_websocket_frame(200 * 1024 * 1024)  # on every socket: each one closes at once
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..4", "--servers", a.url, "-o", str(outdir),
                     "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["counts"]["done"] == 4
    # a few tries, then polling: no reconnection storm (it was hundreds of sockets a second)
    assert len([r for r in a.requests if r.path == "/ws"]) <= 6


def test_credentials_in_a_server_url_never_name_the_server(run_cli, fakes, workflow, outdir):
    (a,) = fakes(1)
    url = a.url.replace("://", "://someone:s3cret-pass@")
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1,2", "--servers", url, "-o", str(outdir),
                     "--output", "ndjson")
    assert result.exit_code == 0, result.stderr
    assert "s3cret-pass" not in result.stdout + result.stderr
    assert "s3cret-pass" not in manifest_of(outdir).read_text()
    assert {e["server"] for e in result.ndjson() if e.get("event") == "done"} == {a.url}


def test_a_servers_list_with_no_server_is_a_usage_error(run_cli, fakes, workflow, outdir):
    (a,) = fakes(1)
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1,2", "--servers", " , ", "-o", str(outdir),
                     server=a)
    assert result.exit_code == ExitCode.USAGE, result.stderr
    assert "--servers names no server" in result.stderr
    assert not posted_prompts(a)


def test_a_manifest_whose_servers_are_garbled_is_a_usage_error(run_cli, tmp_path):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"type": "batch", "format": "comfyui-skill/batch/1", "servers": ["x"], '
                        f'"workflow": {{"document": {{}}}}, "output_dir": "{tmp_path}"}}\n'
                        '{"type": "item", "item": 0, "params": {}}\n')
    result = run_cli("run", "--resume", str(manifest))
    assert result.exit_code == ExitCode.USAGE, result.stderr
    assert "servers are not a list of server records" in result.stderr
