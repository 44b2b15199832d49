"""``deps check``: node classes and model files a workflow needs that the (fake) server lacks."""

from __future__ import annotations

import json
from pathlib import Path

from comfyui_skill import ExitCode
from comfyui_skill.testing.fake_comfyui import FakeComfyUI
from comfyui_skill.testing.fake_comfyui.server import recorded_catalog

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


def test_a_loader_names_its_folder_even_when_the_server_has_no_file_in_it(run_cli, fake_comfy, tmp_path):
    """The folder comes from the class's input (CheckpointLoaderSimple.ckpt_name reads checkpoints), not
    from files already there: every folder of the fake server starts empty."""
    result = run_cli("deps", "check", write(tmp_path, API), "--json", server=fake_comfy)
    assert {(m["name"], m["folder"]) for m in result.json()["data"]["missing_models"]} == \
        {("wanted.safetensors", "checkpoints"), ("style.safetensors", "loras")}
    text = run_cli("deps", "check", write(tmp_path, API), server=fake_comfy, env={"COLUMNS": "200"})
    rows = {line.split()[1]: line.split()[2] for line in text.stdout.splitlines()[1:]}
    assert rows == {"wanted.safetensors": "checkpoints", "style.safetensors": "loras"}
    sd35 = run_cli("deps", "check", SD35, server=fake_comfy)
    assert sd35.exit_code == ExitCode.NOT_FOUND
    assert SD35_MODEL in sd35.stdout and "checkpoints" in sd35.stdout and "missing" in sd35.stdout
    fake_comfy.models["checkpoints"].append(SD35_MODEL)
    ok = run_cli("deps", "check", SD35, server=fake_comfy)
    assert ok.exit_code == 0, ok.stderr
    assert "the server has every node class and the 1 model file it names" in ok.stdout


def test_a_custom_loaders_folder_is_unknown_while_no_folder_matches_its_choices(run_cli, tmp_path):
    loader = {"input": {"required": {"weights": [[]]}}, "output": ["MODEL"], "output_is_list": [False],
              "output_name": ["MODEL"], "name": "PackLoader", "display_name": "Pack Loader", "category": "loaders",
              "output_node": False, "description": ""}
    graph = {"1": {"class_type": "PackLoader", "inputs": {"weights": "pack.safetensors"}}}
    with FakeComfyUI(object_info={**recorded_catalog(), "PackLoader": loader}) as server:
        unknown = run_cli("deps", "check", write(tmp_path, graph), server=server, env={"COLUMNS": "200"})
        assert unknown.exit_code == ExitCode.NOT_FOUND
        assert unknown.stdout.splitlines()[1].split()[:3] == ["missing", "pack.safetensors", "?"]
        assert "deps models install --url URL --folder FOLDER" in unknown.stderr
        server.models["upscale_models"] = ["other.pth"]  # the loader does not offer it: still not its folder
        still = run_cli("deps", "check", write(tmp_path, graph), "--json", server=server).json()["data"]
        assert still["missing_models"][0]["folder"] is None


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


def test_the_message_names_only_what_is_missing_and_the_hint_says_how_to_install_it(run_cli, fake_comfy, tmp_path):
    models_only = run_cli("deps", "check", write(tmp_path, API), server=fake_comfy)
    error = models_only.stderr
    assert "2 model files missing on the server" in error and "node class" not in error
    assert "install them through ComfyUI-Manager: comfyui-skill deps install " in error
    assert "--model-url NAME=URL for a model file without a URL" in error and "--repo" not in error
    assert error.rstrip().endswith("without a URL)")  # a whole sentence, not cut off after "the folder named"

    fake_comfy.models["checkpoints"] = ["wanted.safetensors"]
    fake_comfy.models["loras"] = ["style.safetensors"]
    api = {**API, "4": {"class_type": "NoSuchNode", "inputs": {}}}
    nodes_only = run_cli("deps", "check", write(tmp_path, api, "my flow.json"), "--json", server=fake_comfy).json()
    assert nodes_only["error"]["message"] == "1 node class missing on the server"
    assert nodes_only["error"]["hint"] == ("install them through ComfyUI-Manager: comfyui-skill deps install "
                                           f"'{tmp_path / 'my flow.json'}' (add --repo URL for a node pack the "
                                           "Manager does not know)")


def test_a_workflow_without_model_files_is_not_said_to_name_0_of_them(run_cli, fake_comfy, tmp_path):
    sampler = {"3": API["3"]}
    result = run_cli("deps", "check", write(tmp_path, sampler), server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith(": the server has every node class")
    fake_comfy.models["checkpoints"] = ["wanted.safetensors"]
    one = run_cli("deps", "check", write(tmp_path, {"1": API["1"]}), server=fake_comfy)
    assert one.exit_code == 0, one.stderr
    assert one.stdout.strip().endswith(": the server has every node class and the 1 model file it names")
