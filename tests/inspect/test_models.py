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
