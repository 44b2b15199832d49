"""Deadlines, lost servers, no WebSocket, limits and misuse."""

from __future__ import annotations

import threading

import pytest

from comfyui_skill import ConfigError, ExitCode, make_server

from comfyui_skill_run.batch.manifest import Manifest, read
from comfyui_skill_run.batch.servers import limit

from ..waiting import wait_for
from .conftest import manifest_of, posted_prompts, read_manifest, successes


def test_timeout_leaves_prompts_running_and_resume_follows_them(run_cli, fakes, workflow, outdir):
    (fake,) = fakes(1)
    fake.faults.hold_execution = True  # nothing finishes before the deadline
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..5", "--timeout", "0.5", "-o", str(outdir),
                     "--json", server=fake)
    assert result.exit_code == ExitCode.TIMEOUT
    assert "--resume" in result.json()["error"]["hint"]
    _header, _records, before = read_manifest(manifest_of(outdir))
    on_server = {i: item["prompt_id"] for i, item in before.items() if item["status"] in ("queued", "running")}
    assert len(on_server) == 2
    fake.faults.hold_execution = False
    resumed = run_cli("run", "--resume", str(manifest_of(outdir)), "--json")
    assert resumed.exit_code == 0, resumed.stderr
    _header, _records, after = read_manifest(manifest_of(outdir))
    assert all(after[i]["prompt_id"] == prompt_id for i, prompt_id in on_server.items())
    posted = [p["prompt_id"] for p in posted_prompts(fake)]
    assert len(posted) == len(set(posted)) == 5


def test_when_no_server_is_left_the_rest_stays_pending(run_cli, fakes, workflow, outdir):
    (fake,) = fakes(1)
    fake.faults.hold_execution = True  # the first two items wait on the server until the stage is set

    def stop_after_one() -> None:
        # once both slots are taken, any further submission hangs: the client stops at the third item,
        # after it has recorded at least one success, and the server goes away only then
        try:
            wait_for(lambda: len(posted_prompts(fake)) == 2)
            fake.faults.delay_http(r"^/prompt$", 3600)
            fake.faults.hold_execution = False
            wait_for(lambda: successes(outdir) >= 1)
        finally:  # stopped even if a state never comes: the test then fails instead of hanging
            fake.stop()
    watcher = threading.Thread(target=stop_after_one, daemon=True)
    watcher.start()
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..8", "--servers", fake.url, "--no-failover",
                     "-o", str(outdir), "--json", "--timeout", "120")  # a safety net: the watcher ends it
    watcher.join(30)
    assert not watcher.is_alive()
    assert result.exit_code == ExitCode.UNREACHABLE
    counts = result.json()["data"]["counts"]
    assert counts["done"] >= 1 and counts["queued"] >= 1 and counts["running"] == 0
    _header, _records, latest = read_manifest(manifest_of(outdir))
    assert {item["status"] for item in latest.values()} <= {"success", "lost", "pending"}


def test_without_a_websocket_the_batch_polls(run_cli, fakes, workflow, outdir):
    (fake,) = fakes(1)
    fake.faults.refuse_websocket = True
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1..4", "-o", str(outdir), "--json", server=fake)
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["counts"]["done"] == 4


def test_resume_takes_everything_from_the_manifest(run_cli, fakes, workflow, outdir):
    (fake,) = fakes(1)
    assert run_cli("run", workflow("W1"), "--sweep", "1.width=5", "-o", str(outdir),
                   server=fake).exit_code == 0
    refused = run_cli("run", workflow("W1"), "--resume", str(manifest_of(outdir)))
    assert refused.exit_code == ExitCode.USAGE and "from the manifest" in refused.stderr
    again = run_cli("run", "--resume", str(manifest_of(outdir)), "--json")
    assert again.exit_code == 0 and again.json()["data"]["counts"]["done"] == 1
    assert len(posted_prompts(fake)) == 1  # nothing left to do


def test_an_existing_manifest_is_never_overwritten(run_cli, fakes, workflow, tmp_path):
    (fake,) = fakes(1)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("keep me\n")
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=5", "--manifest", str(manifest), server=fake)
    assert result.exit_code == ExitCode.USAGE and "already exists" in result.stderr
    assert manifest.read_text() == "keep me\n" and posted_prompts(fake) == []


def test_a_manifest_appears_only_once_it_is_complete(tmp_path):
    # a resume or a reader must never find a manifest without its header and items
    path = tmp_path / "m.jsonl"

    class Probe:
        seen: list[bool] = []

        def __str__(self) -> str:  # serialized while the manifest is being written
            self.seen.append(path.exists())
            return "probe"

    manifest = Manifest.create(path, {"probe": Probe()}, [{"item": 0, "key": "0001", "status": "pending"}])
    manifest.close()
    assert Probe.seen == [False]
    header, items = read(path)
    assert header["probe"] == "probe" and items[0]["key"] == "0001"
    assert [p.name for p in tmp_path.iterdir()] == ["m.jsonl"]  # no staging file left


def test_a_parameter_given_twice_is_refused(run_cli, fakes, workflow):
    (fake,) = fakes(1)
    path = workflow("W1", {"3": {"class_type": "RandomNoise", "inputs": {"noise_seed": 0}}})
    result = run_cli("run", path, "--count", "2", "--seed", "5", server=fake)
    assert result.exit_code == ExitCode.USAGE and "--seed" in result.stderr
    assert posted_prompts(fake) == []


def test_in_flight_limits_by_kind_and_setting():
    assert limit(make_server("c", {"url": "https://cloud.example", "kind": "cloud"})) == 1
    assert limit(make_server("l", {"url": "http://127.0.0.1:1"})) == 2
    assert limit(make_server("l", {"url": "http://127.0.0.1:1", "max_concurrent": "4"})) == 4
    with pytest.raises(ConfigError):
        limit(make_server("l", {"url": "http://127.0.0.1:1", "max_concurrent": 0}))


@pytest.mark.parametrize("option", [["--manifest", "m.jsonl"], ["--name-template", "{seed}"], ["--no-failover"]])
def test_batch_options_without_a_batch_are_refused(run_cli, fakes, workflow, outdir, option):
    (fake,) = fakes(1)
    result = run_cli("run", workflow("W1"), *option, "-o", str(outdir), server=fake)
    assert result.exit_code == ExitCode.USAGE
    assert f"{option[0]} only apply to a batch" in result.stderr
    assert not posted_prompts(fake)
