"""A batch on Comfy Cloud: one prompt in flight unless max_concurrent says more; the key stays put."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from comfyui_skill.testing.fake_cloud import FakeCloud

from ..waiting import held_until
from .conftest import manifest_of, read_manifest


@pytest.fixture
def cloud() -> Iterator[FakeCloud]:
    with FakeCloud() as fake:
        yield fake
        fake.comfy.faults.clear()  # a prompt held by a test that failed runs out
        fake.comfy.wait_idle(15)


def test_a_cloud_batch_keeps_one_prompt_in_flight_by_default(run_cli, cloud, workflow, outdir):
    cloud.comfy.exec_delay = 0.05
    result = run_cli("--url", cloud.url, "--kind", "cloud", "run", workflow("W1"), "--sweep", "1.width=1..4",
                     "-o", str(outdir), "--json", env={"COMFY_API_KEY": cloud.api_key})
    assert result.exit_code == 0, result.stderr
    assert cloud.comfy.peak_queued() == 1
    assert result.json()["data"]["servers"][0]["limit"] == 1
    assert all(item["outputs"][0]["path"].startswith(str(outdir)) for item in result.json()["data"]["items"])
    assert cloud.api_key not in manifest_of(outdir).read_text() + result.stdout + result.stderr
    assert all("x-api-key" not in {k.lower() for k in r.headers} for r in cloud.storage_requests)


def test_max_concurrent_raises_the_cloud_limit(run_cli, cli_env, cloud, workflow, outdir):
    env = {"COMFY_API_KEY": cloud.api_key, "COMFYUI_SKILL_SERVER_CLOUD_MAX_CONCURRENT": "3"}
    assert run_cli("server", "add", "cloud", cloud.url, "--kind", "cloud", env=env).exit_code == 0
    with held_until(lambda: cloud.comfy.peak_queued() == 3, cloud.comfy):  # every slot taken before one frees
        result = run_cli("-s", "cloud", "run", workflow("W1"), "--sweep", "1.width=1..6", "-o", str(outdir),
                         "--json", env=env)
    assert result.exit_code == 0, result.stderr
    assert cloud.comfy.peak_queued() == 3
    _header, _records, latest = read_manifest(manifest_of(outdir))
    assert {item["status"] for item in latest.values()} == {"success"}
