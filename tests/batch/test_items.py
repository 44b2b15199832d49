"""Expanding --sweep, --count and --batch into items, and validating them all before any submission."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from comfyui_skill import ExitCode, UsageError

from comfyui_skill_run.batch.items import parse_sweep

from ..agent.contract import assert_ndjson
from ..waiting import held_until
from .conftest import manifest_of, posted_prompts, read_manifest


def test_sweeps_make_the_cartesian_product(run_cli, fakes, workflow, outdir):
    (fake,) = fakes(1)
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=8..16:8", "--sweep", "1.height=4,6", "-o",
                     str(outdir), "--json", server=fake)
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["counts"] == {"done": 4, "failed": 0, "running": 0, "queued": 0}
    assert [item["params"] for item in data["items"]] == [
        {"1.width": 8, "1.height": 4}, {"1.width": 8, "1.height": 6},
        {"1.width": 16, "1.height": 4}, {"1.width": 16, "1.height": 6}]
    sizes = sorted((p["prompt"]["1"]["inputs"]["width"], p["prompt"]["1"]["inputs"]["height"])
                   for p in posted_prompts(fake))
    assert sizes == [(8, 4), (8, 6), (16, 4), (16, 6)]
    for item in data["items"]:
        assert item["outputs"] and all(o["path"].startswith(str(outdir / item["item"])) for o in item["outputs"])


def test_float_ranges_and_lists(run_cli, fakes, workflow, outdir):
    (fake,) = fakes(1)
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=1.0..2.0:0.5", "--no-download", "-o", str(outdir),
                     "--json", server=fake)
    # width is an INT: 1.5 is refused for item 0002 before anything is submitted
    assert result.exit_code == ExitCode.REJECTED
    assert "item 0002" in result.json()["error"]["message"]
    assert posted_prompts(fake) == []


def test_count_gives_each_item_a_random_seed(run_cli, fakes, workflow, outdir):
    (fake,) = fakes(1)
    path = workflow("W1", {"3": {"class_type": "RandomNoise", "inputs": {"noise_seed": 0}}})
    result = run_cli("run", path, "--count", "3", "-o", str(outdir), "--json", server=fake)
    assert result.exit_code == 0, result.stderr
    seeds = [item["params"]["seed"] for item in result.json()["data"]["items"]]
    assert len(set(seeds)) == 3
    assert sorted(p["prompt"]["3"]["inputs"]["noise_seed"] for p in posted_prompts(fake)) == sorted(seeds)


def test_bad_batch_lines_are_all_reported_before_anything_is_submitted(run_cli, fakes, workflow, tmp_path):
    (fake,) = fakes(1)
    batch = tmp_path / "items.jsonl"
    batch.write_text('{"1.width": 8}\n\n{"1.width": \n[1, 2]\n{"1.width": 9}\n')
    result = run_cli("run", workflow("W1"), "--batch", str(batch), server=fake)
    assert result.exit_code == ExitCode.USAGE
    assert "line 3: not valid JSON" in result.stderr and "line 4: not a JSON object" in result.stderr
    assert posted_prompts(fake) == []


def test_a_number_given_to_batch_points_to_the_batch_size_parameter(run_cli, fakes, workflow):
    # the workflow's friendly 'batch' parameter cannot be --batch N: that option takes a file
    (fake,) = fakes(1)
    result = run_cli("run", workflow("W1"), "--batch", "4", "--json", server=fake)
    assert result.exit_code == ExitCode.USAGE
    assert result.json()["error"]["hint"] == (
        "--batch takes a JSON-lines file; for the workflow's batch size use --args '{\"batch\": 4}'")
    assert posted_prompts(fake) == []


def test_invalid_values_of_any_item_stop_the_batch_before_submission(run_cli, fakes, workflow):
    (fake,) = fakes(1)
    result = run_cli("run", workflow("W1"), "--sweep", "1.width=8,0,9,nope", "--json", server=fake)
    assert result.exit_code == ExitCode.REJECTED
    problems = result.json()["error"]["details"]["problems"]
    assert [p["item"] for p in problems] == ["0002", "0004"]
    assert posted_prompts(fake) == []


def test_batch_from_stdin_with_a_name_template(run_cli, fakes, workflow, outdir):
    (fake,) = fakes(1)
    lines = "\n".join(json.dumps({"1.width": w, "label": "../x y"}) for w in (8, 9)) + "\n"
    path = workflow("W1")
    result = run_cli("run", path, "--batch", "-", "--name-template", "w{1.width}/{item}", "-o", str(outdir),
                     "--set", "1.height=5", "--json", input=lines.replace(', "label": "../x y"', ""), server=fake)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.relative_to(outdir).parts[:2] for p in outdir.rglob("*.png")) == [("w8", "0001"), ("w9", "0002")]
    assert {p["prompt"]["1"]["inputs"]["height"] for p in posted_prompts(fake)} == {5}


def test_template_values_never_leave_the_output_folder(run_cli, fakes, workflow, outdir, tmp_path):
    (fake,) = fakes(1)
    batch = tmp_path / "items.jsonl"
    batch.write_text(json.dumps({"2.filename_prefix": "../../escape"}) + "\n")
    result = run_cli("run", workflow("W1"), "--batch", str(batch), "--name-template", "{2.filename_prefix}",
                     "-o", str(outdir), "--json", server=fake)
    (item,) = result.json()["data"]["items"]  # the fake refuses to save there; the folder name is what counts
    assert item["folder"] == "escape"
    assert all(path.is_relative_to(outdir) for path in tmp_path.rglob("*") if path.suffix == ".png")


def test_unknown_template_field_is_a_usage_error(run_cli, fakes, workflow):
    (fake,) = fakes(1)
    result = run_cli("run", workflow("W1"), "--count", "2", "--name-template", "{nope}", server=fake)
    assert result.exit_code == ExitCode.USAGE
    assert "no field 'nope'" in result.stderr and posted_prompts(fake) == []


def _statuses_so_far(outdir: Path, item: int) -> list[str]:
    """The statuses the manifest has recorded for ``item`` while the batch runs."""
    try:
        return [r["status"] for r in read_manifest(manifest_of(outdir))[1] if r["item"] == item]
    except (AssertionError, ValueError):  # not created yet, or a line being written
        return []


def test_manifest_records_each_item(run_cli, fakes, workflow, outdir):
    (fake,) = fakes(1)
    # the first item runs until its 'running' is recorded (a fast run may end before the engine sees it run)
    with held_until(lambda: "running" in _statuses_so_far(outdir, 0), fake):
        result = run_cli("run", workflow("W1"), "--sweep", "1.width=8,9", "-o", str(outdir), server=fake)
    assert result.exit_code == 0, result.stderr
    header, records, latest = read_manifest(manifest_of(outdir))
    assert header["format"] == "comfyui-skill/batch/1" and header["items"] == 2
    assert header["workflow"]["document"]["1"]["class_type"] == "EmptyImage"
    assert [r["status"] for r in records if r["item"] == 0] == ["pending", "submitting", "queued", "running",
                                                                   "success"]
    for index, item in latest.items():
        assert item["status"] == "success" and item["server"] == header["servers"][0]["name"]
        assert item["prompt_id"] in fake.history_ids()
        assert item["submitted_at"] <= item["started_at"] <= item["finished_at"]
        assert item["outputs"][0]["path"].startswith(str(outdir / item["key"]))
    assert "2 items: 2 done, 0 failed" in result.stdout


def test_a_failed_item_makes_the_exit_code_non_zero(run_cli, fakes, workflow, tmp_path):
    (fake,) = fakes(1)
    batch = tmp_path / "items.jsonl"
    batch.write_text('{"1.expression": "1+1"}\n{"1.expression": "1/0"}\n')
    result = run_cli("run", workflow("W6"), "--batch", str(batch), "--output", "ndjson", server=fake)
    assert result.exit_code == ExitCode.EXECUTION_FAILED
    events = [*assert_ndjson(result.ndjson()), result.ndjson()[-1]]
    failed = [e for e in events if e.get("event") == "failed"]
    assert [e["item"] for e in failed] == ["0002"] and "ZeroDivisionError" in failed[0]["message"]
    assert [e["item"] for e in events if e.get("event") == "done"] == ["0001"]
    assert events[0]["event"] == "batch_start" and events[-2]["event"] == "batch_end"
    assert events[-1]["error"]["code"] == "execution_failed"


@pytest.mark.parametrize(("spec", "values"), [
    ("steps=10..30:10", [10, 20, 30]),
    ("denoise=0.5..1:0.25", [0.5, 0.75, 1.0]),
    ("x=0..0.3:0.1", [0.0, 0.1, 0.2, 0.3]),
    ("x=3..1:-1", [3, 2, 1]),
    ("cfg=5,6.5,8", [5, 6.5, 8]),
    ("sampler=euler,dpmpp_2m", ["euler", "dpmpp_2m"]),
    ("prompt=a..b", ["a..b"]),
])
def test_sweep_values(spec, values):
    assert parse_sweep(spec)[1] == values


@pytest.mark.parametrize("spec", ["cfg", "=1,2", "x=", "x=1..5:0", "x=5..1", "x=1..2:-1"])
def test_bad_sweeps_are_usage_errors(spec):
    with pytest.raises(UsageError):
        parse_sweep(spec)
