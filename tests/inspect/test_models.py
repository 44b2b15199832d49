"""models list against the fake server's model folders."""

from __future__ import annotations


def test_folders_with_counts(fake_comfy, run_cli):
    fake_comfy.models["checkpoints"] = ["tiny.safetensors", "sub/other.ckpt"]
    data = run_cli("models", "list", "--json", server=fake_comfy).json()["data"]["folders"]
    assert data["checkpoints"] == 2 and data["loras"] == 0 and len(data) > 10
    text = run_cli("models", "list", server=fake_comfy).stdout.splitlines()
    assert text[0].split() == ["FOLDER", "FILES"] and ["checkpoints", "2"] in [line.split() for line in text]


def test_files_of_one_folder_and_empty_folder(fake_comfy, run_cli):
    fake_comfy.models["loras"] = ["style.safetensors"]
    result = run_cli("models", "list", "loras", "--json", server=fake_comfy)
    assert result.json()["data"] == {"folder": "loras", "files": ["style.safetensors"]}
    assert run_cli("models", "list", "loras", server=fake_comfy).stdout.strip() == "style.safetensors"
    empty = run_cli("models", "list", "vae", server=fake_comfy)
    assert empty.exit_code == 0 and "no files in vae" in empty.stdout


def test_unknown_folder_lists_the_valid_ones(fake_comfy, run_cli):
    result = run_cli("models", "list", "nosuch", server=fake_comfy)
    assert result.exit_code == 7
    assert "nosuch" in result.stderr and "checkpoints" in result.stderr and "loras" in result.stderr


def test_a_mistyped_folder_suggests_the_close_one(fake_comfy, run_cli):
    result = run_cli("models", "list", "checkpoint", server=fake_comfy)
    assert result.exit_code == 7
    assert "did you mean 'checkpoints'?" in result.stderr and "loras" not in result.stderr


def test_folders_that_hold_no_models_are_named_but_not_counted(fake_comfy, run_cli):
    assert {"configs", "custom_nodes"} <= set(fake_comfy.models)  # as a real ComfyUI 0.33 serves them
    fake_comfy.models["custom_nodes"] = ["pack/__init__.py", "pack/nodes.py"]
    data = run_cli("models", "list", "--json", server=fake_comfy).json()["data"]
    assert not {"configs", "custom_nodes", "datasets"} & set(data["folders"])
    assert set(data["other_folders"]) == {"configs", "custom_nodes", "datasets"} & set(fake_comfy.models)
    assert not [r for r in fake_comfy.requests if r.path in ("/models/custom_nodes", "/models/configs")]
    text = run_cli("models", "list", server=fake_comfy)
    assert "custom_nodes" not in text.stdout and "configs" not in text.stdout
    assert "holding no models (not counted): configs, custom_nodes" in text.stderr
    files = run_cli("models", "list", "custom_nodes", "--json", server=fake_comfy).json()["data"]
    assert files["files"] == ["pack/__init__.py", "pack/nodes.py"]  # asked by name, still shown
