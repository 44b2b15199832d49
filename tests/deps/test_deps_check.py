"""``deps check``: node classes and model files a workflow needs that the (fake) server lacks."""

from __future__ import annotations

import json
from pathlib import Path

from comfyui_skill import ExitCode

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"
SD35 = str(FIXTURES / "ui_txt2img_sd3.5_simple_example.json")
SD35_MODEL = "sd3.5_large_fp8_scaled.safetensors"

API = {
    "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "wanted.safetensors"}},
    "2": {"class_type": "LoraLoader", "inputs": {"model": ["1", 0], "clip": ["1", 1], "lora_name": "style.safetensors",
                                                 "strength_model": 1.0, "strength_clip": 1.0}},
    "3": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
}


def write(tmp_path: Path, document: dict, name: str = "wf.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def test_models_are_matched_to_folders_by_the_servers_choices(run_cli, fake_comfy, tmp_path):
    fake_comfy.models["checkpoints"] = ["other.safetensors"]
    fake_comfy.models["loras"] = ["style.safetensors", "more.safetensors"]
    result = run_cli("deps", "check", write(tmp_path, API), "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.NOT_FOUND
    data = result.json()["data"]
    assert data["missing_nodes"] == []
    assert data["missing_models"] == [{"name": "wanted.safetensors", "folder": "checkpoints", "node": "1",
                                       "input": "ckpt_name", "present": False, "url": None}]
    assert [(m["name"], m["folder"], m["present"]) for m in data["models"]] == [
        ("wanted.safetensors", "checkpoints", False), ("style.safetensors", "loras", True)]  # not sampler_name
    assert result.json()["error"]["code"] == "not_found"

    fake_comfy.models["checkpoints"].append("wanted.safetensors")
    passed = run_cli("deps", "check", write(tmp_path, API), "--json", server=fake_comfy)
    assert passed.exit_code == 0, passed.stderr
    assert passed.json()["data"]["ok"] is True and passed.json()["data"]["missing_models"] == []


def test_an_empty_folder_leaves_the_folder_unknown_unless_the_workflow_says(run_cli, fake_comfy, tmp_path):
    unknown = run_cli("deps", "check", write(tmp_path, API), "--json", server=fake_comfy).json()["data"]
    assert {(m["name"], m["folder"]) for m in unknown["missing_models"]} == \
        {("wanted.safetensors", None), ("style.safetensors", None)}
    text = run_cli("deps", "check", SD35, server=fake_comfy)
    assert text.exit_code == ExitCode.NOT_FOUND
    assert SD35_MODEL in text.stdout and "checkpoints" in text.stdout and "missing" in text.stdout
    assert "1 model file(s) missing" in text.stderr
    fake_comfy.models["checkpoints"].append(SD35_MODEL)
    ok = run_cli("deps", "check", SD35, server=fake_comfy)
    assert ok.exit_code == 0, ok.stderr
    assert "every node class" in ok.stdout


def test_missing_node_classes_and_the_models_of_the_rest(run_cli, fake_comfy, tmp_path, cli_env):
    document = json.loads(Path(SD35).read_text())
    sampler = next(node for node in document["nodes"] if node["type"] == "KSampler")
    sampler["type"] = "FancySampler"
    assert run_cli("workflow", "import", write(tmp_path, document), "--name", "fancy").exit_code == 0
    result = run_cli("deps", "check", "fancy", "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.NOT_FOUND
    data = result.json()["data"]
    assert data["missing_nodes"] == [{"class_type": "FancySampler", "nodes": [str(sampler["id"])]}]
    assert [m["name"] for m in data["missing_models"]] == [SD35_MODEL]
    api = {**API, "4": {"class_type": "NoSuchNode", "inputs": {}}}
    fake_comfy.models["checkpoints"] = ["wanted.safetensors"]
    fake_comfy.models["loras"] = ["style.safetensors"]
    only_node = run_cli("deps", "check", write(tmp_path, api), "--json", server=fake_comfy).json()
    assert only_node["data"]["missing_nodes"] == [{"class_type": "NoSuchNode", "nodes": ["4"]}]
    assert only_node["data"]["missing_models"] == []


def test_unknown_reference(run_cli, fake_comfy):
    result = run_cli("deps", "check", "no-such-workflow", server=fake_comfy)
    assert result.exit_code == ExitCode.NOT_FOUND and "neither a file nor a stored workflow" in result.stderr
