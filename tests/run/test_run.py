"""``run`` end to end against the fake ComfyUI: outputs on disk, failures, rejections, events."""

from __future__ import annotations

import json
from pathlib import Path

from comfyui_skill import ExitCode, existing_copies, safe_relative_path, save_stream

from .helpers import sent, write_png


def test_run_saves_outputs_and_prints_their_paths(run_cli, fake_comfy, workflow_file, tmp_path):
    out = tmp_path / "out"
    result = run_cli("run", workflow_file("W1"), "-o", str(out), server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    saved = out / "probe" / "empty_00001_.png"
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.stdout.strip() == str(saved.resolve())
    assert list(out.rglob("*.part")) == [] and not [p for p in out.rglob(".comfyui-skill-*")]


def test_json_document_lists_outputs(run_cli, fake_comfy, workflow_file, tmp_path):
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--json", server=fake_comfy)
    document = result.json()
    assert document["ok"] and document["command"] == "run"
    data = document["data"]
    assert data["status"] == "success"
    assert data["prompt_id"] == data["prompt_id"].lower() and len(data["prompt_id"]) == 36
    [item] = data["outputs"]
    assert item["filename"] == "empty_00001_.png" and item["subfolder"] == "probe" and not item["renamed"]
    assert Path(item["path"]).is_file()


def test_existing_file_is_never_overwritten(run_cli, fake_comfy, workflow_file, tmp_path):
    existing = tmp_path / "probe" / "empty_00001_.png"
    existing.parent.mkdir()
    existing.write_bytes(b"mine")
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--json", server=fake_comfy)
    [item] = result.json()["data"]["outputs"]
    assert existing.read_bytes() == b"mine"
    assert item["renamed"] and Path(item["path"]).name == "empty_00001_ (1).png"


def test_an_identical_rerun_is_not_saved_twice(run_cli, fake_comfy, workflow_file, tmp_path):
    path = workflow_file("W1")
    first = run_cli("run", path, "-o", str(tmp_path), "--json", server=fake_comfy)
    again = run_cli("run", path, "-o", str(tmp_path), server=fake_comfy)  # answered from the server's cache
    [saved] = first.json()["data"]["outputs"]
    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip() == saved["path"] and "already there with the same content" in again.stderr
    third = run_cli("run", path, "-o", str(tmp_path), "--json", server=fake_comfy).json()["data"]["outputs"]
    assert third[0]["path"] == saved["path"] and third[0]["already_present"] and not third[0]["renamed"]
    assert not saved["already_present"]
    assert sorted(p.name for p in (tmp_path / "probe").iterdir()) == ["empty_00001_.png"]


def test_an_identical_copy_under_a_free_name_is_found_too(tmp_path):
    folder = tmp_path / "probe"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"other")
    (folder / "a (1).png").write_bytes(b"same")
    (folder / "a (2).png").write_bytes(b"samf")  # same size, other bytes
    relative = safe_relative_path("probe", "a.png")
    assert existing_copies(tmp_path, relative) == [folder / "a.png", folder / "a (1).png", folder / "a (2).png"]
    assert save_stream([b"sa", b"me"], tmp_path, relative) == (folder / "a (1).png").resolve()
    assert save_stream([b"new!"], tmp_path, relative) == (folder / "a (3).png").resolve()
    assert sorted(p.name for p in folder.iterdir()) == ["a (1).png", "a (2).png", "a (3).png", "a.png"]


def test_wait_download_twice_keeps_one_copy(run_cli, fake_comfy, workflow_file, tmp_path):
    prompt_id = run_cli("submit", workflow_file("W1"), server=fake_comfy).stdout.strip()
    runs = [run_cli("wait", prompt_id, "--download", "-o", str(tmp_path), "--json", "--timeout", "10",
                    server=fake_comfy).json()["data"]["outputs"][0] for _ in range(2)]
    assert runs[0]["path"] == runs[1]["path"] and [r["already_present"] for r in runs] == [False, True]
    assert len(list((tmp_path / "probe").iterdir())) == 1


def test_cached_rerun_still_ends_and_downloads(run_cli, fake_comfy, workflow_file, tmp_path):
    path = workflow_file("W1")
    first = run_cli("run", path, "-o", str(tmp_path / "a"), "--json", server=fake_comfy)
    second = run_cli("run", path, "-o", str(tmp_path / "b"), "--json", "--timeout", "10", server=fake_comfy)
    assert first.exit_code == second.exit_code == 0, second.stderr
    assert [o["filename"] for o in second.json()["data"]["outputs"]] == ["empty_00001_.png"]


def test_overrides_with_set_and_args(run_cli, fake_comfy, workflow_file, tmp_path):
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--set", "1.width=8",
                     "--set", "SaveImage.filename_prefix=custom/x", "--args", '{"1": {"height": 4}}',
                     "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    [item] = result.json()["data"]["outputs"]
    assert item["subfolder"] == "custom"
    posted = [r for r in sent(fake_comfy) if r.method == "POST" and r.path == "/prompt"][-1]
    inputs = posted.json["prompt"]["1"]["inputs"]
    assert (inputs["width"], inputs["height"]) == (8, 4)


def test_unknown_override_node_is_a_usage_error(run_cli, fake_comfy, workflow_file):
    result = run_cli("run", workflow_file("W1"), "--set", "Nope.width=8", server=fake_comfy)
    assert result.exit_code == ExitCode.USAGE
    assert "no node 'Nope'" in result.stderr


def test_text_outputs_are_printed_and_can_be_saved(run_cli, fake_comfy, workflow_file, tmp_path):
    result = run_cli("run", workflow_file("W7"), "-o", str(tmp_path), server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert "hello world" in result.stdout
    saved = run_cli("run", workflow_file("W7", {"1": {"string_a": "bye"}}), "-o", str(tmp_path), "--save-text",
                    "--json", server=fake_comfy)
    [item] = saved.json()["data"]["outputs"]
    assert item["kind"] == "text" and Path(item["path"]).read_text() == item["text"]


def test_temp_previews_only_with_include_temp(run_cli, fake_comfy, workflow_file, tmp_path):
    fake_comfy.progress_steps_delay = 0
    graph = workflow_file("W3", {"1": {"batch_size": 2}})
    plain = run_cli("run", graph, "-o", str(tmp_path / "a"), "--json", server=fake_comfy)
    assert plain.exit_code == 0, plain.stderr
    assert plain.json()["data"]["outputs"] == []
    with_temp = run_cli("run", workflow_file("W3", {"1": {"batch_size": 3}}), "-o", str(tmp_path / "b"),
                        "--include-temp", "--json", server=fake_comfy)
    outputs = with_temp.json()["data"]["outputs"]
    assert outputs and all(o["type"] == "temp" and Path(o["path"]).is_file() for o in outputs)


def test_no_download_lists_server_files(run_cli, fake_comfy, workflow_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("run", workflow_file("W1"), "--no-download", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert "probe/empty_00001_.png" in result.stdout
    assert not (tmp_path / "comfyui-output").exists()
    assert not [r for r in sent(fake_comfy) if r.path == "/view"]


def test_runtime_error_reports_node_and_exception(run_cli, fake_comfy, workflow_file):
    result = run_cli("run", workflow_file("W6"), server=fake_comfy)
    assert result.exit_code == ExitCode.EXECUTION_FAILED
    assert "ComfyMathExpression (#1) failed: ZeroDivisionError: division by zero" in result.stderr
    assert "Traceback" not in result.stderr and "File " not in result.stderr
    verbose = run_cli("run", workflow_file("W6"), "-v", server=fake_comfy)
    assert "server traceback" in verbose.stderr and "File " in verbose.stderr
    document = run_cli("run", workflow_file("W6"), "--json", server=fake_comfy).json()
    assert document["error"]["code"] == "execution_failed"
    assert document["error"]["details"]["exception_type"] == "ZeroDivisionError"


def test_rejection_is_explained_per_node(run_cli, fake_comfy, workflow_file):
    graph = workflow_file("W1", {"1": {"width": 999999}})
    result = run_cli("run", graph, server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    assert "EmptyImage (#1): input 'width' is 999999, above the maximum 16384" in result.stderr
    assert "the server rejected the workflow (1 problem):" in result.stderr
    missing = json.loads(Path(graph).read_text())
    del missing["1"]["inputs"]["height"]
    missing["1"]["_meta"] = {"title": "Red canvas"}
    document = run_cli("run", workflow_file(missing), "--json", server=fake_comfy).json()
    assert document["error"]["code"] == "rejected"
    messages = [p["message"] for p in document["error"]["details"]["problems"]]
    assert "the required input 'height' is missing" in messages
    assert "Red canvas (#1)" in document["error"]["message"]


def test_unknown_class_is_explained(run_cli, fake_comfy, workflow_file):
    graph = load = json.loads(Path(workflow_file("W1")).read_text())
    load["1"]["class_type"] = "NoSuchNode"
    result = run_cli("run", workflow_file(graph), server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    assert "no node class 'NoSuchNode'" in result.stderr


def test_partly_rejected_prompt_reports_node_errors(run_cli, fake_comfy, workflow_file, tmp_path):
    graph = json.loads(Path(workflow_file("W1")).read_text())
    graph["3"] = {"class_type": "SaveImage", "inputs": {"filename_prefix": "broken"}}
    result = run_cli("run", workflow_file(graph), "-o", str(tmp_path), "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert "SaveImage (#3)" in result.stderr and "'images' is missing" in result.stderr
    assert result.json()["data"]["node_errors"]


def test_editor_format_says_conversion_is_not_available(run_cli, fake_comfy, tmp_path):
    path = tmp_path / "ui.json"
    path.write_text(json.dumps({"nodes": [], "links": [], "version": 0.4}))
    result = run_cli("run", str(path), server=fake_comfy)
    assert result.exit_code == ExitCode.USAGE
    assert "editor (UI) format" in result.stderr and not sent(fake_comfy)


def test_unknown_workflow_name_is_not_found(run_cli, fake_comfy):
    result = run_cli("run", "no-such-workflow", server=fake_comfy)
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "neither a file nor a known workflow" in result.stderr


def test_workflow_from_stdin(run_cli, fake_comfy, workflow_file, tmp_path):
    text = Path(workflow_file("W1")).read_text()
    result = run_cli("run", "-", "-o", str(tmp_path), input=text, server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "probe" / "empty_00001_.png").is_file()


def test_local_image_inputs_are_uploaded_first(run_cli, fake_comfy, workflow_file, tmp_path):
    image = write_png(tmp_path / "mine.png", (10, 20, 30))
    result = run_cli("run", workflow_file("W2", {"10": {"image": str(image)}}), "-o", str(tmp_path / "out"),
                     "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["uploaded"] == [{"node": "10", "input": "image", "path": str(image), "name": "mine.png"}]
    assert Path(data["outputs"][0]["path"]).is_file()


def test_output_dir_falls_back_to_settings(run_cli, fake_comfy, workflow_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("run", workflow_file("W1"), "--json", server=fake_comfy, env={"COMFYUI_SKILL_OUTPUT_DIR": ""})
    assert (tmp_path / "comfyui-output" / "probe" / "empty_00001_.png").is_file(), result.stderr
    assert result.json()["data"]["output_dir"] == str(tmp_path / "comfyui-output")  # absolute
    configured = tmp_path / "configured"
    result = run_cli("run", workflow_file("W1", {"1": {"width": 9}}), server=fake_comfy,
                     env={"COMFYUI_SKILL_OUTPUT_DIR": str(configured)})
    assert result.exit_code == 0 and list(configured.rglob("*.png"))


def test_ndjson_streams_events_then_the_result(run_cli, fake_comfy, workflow_file, tmp_path):
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--output", "ndjson", server=fake_comfy)
    lines = result.ndjson()
    events = [line["event"] for line in lines[:-1]]
    assert events[0] == "queued" and events[-1] == "done"
    assert {"started", "node", "output"} <= set(events)
    node = next(line for line in lines if line.get("event") == "node" and line["node"] == "1")
    assert node["class_type"] == "EmptyImage" and node["schema"] == "comfyui-skill/event/1"
    assert lines[-1]["schema"] == "comfyui-skill/1" and lines[-1]["ok"]
    assert result.stderr == ""


def test_progress_events_carry_steps(run_cli, fake_comfy, workflow_file, tmp_path):
    fake_comfy.progress_steps_delay = 0
    result = run_cli("run", workflow_file("W3", {"1": {"batch_size": 4}}), "--output", "ndjson", server=fake_comfy)
    progress = [line for line in result.ndjson() if line.get("event") == "progress"]
    assert progress and progress[-1]["value"] == progress[-1]["max"] == 4


def test_nothing_decorative_when_not_a_terminal(run_cli, fake_comfy, workflow_file, tmp_path):
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), server=fake_comfy)
    assert "\r" not in result.stderr and "\x1b" not in result.stderr and "[#" not in result.stderr
