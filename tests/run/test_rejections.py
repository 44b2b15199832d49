"""A refused value says what is valid, the same way whether our own checks or the server's 400 refuse
it: the combo's choices (a long list cut short in text, whole in --json), or a model file missing
from a named folder with the 'deps' commands in the hint; one problem per line."""

from __future__ import annotations

from pathlib import Path

import pytest

from comfyui_skill import ExitCode

from .helpers import sent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"
SD35 = str(FIXTURES / "ui_txt2img_sd3.5_simple_example.json")
SD35_MODEL = "sd3.5_large_fp8_scaled.safetensors"
MISSING = f"model file {SD35_MODEL!r} is missing from the server's 'checkpoints' folder"
DEPS_HINT = "'comfyui-skill deps check sd' lists the files the workflow lacks; 'deps install sd' fetches them"


@pytest.fixture
def stored_sd(run_cli, fake_comfy):
    """The SD 3.5 editor workflow stored as 'sd'; the server has checkpoints, but not the one it names."""
    fake_comfy.models["checkpoints"] = [f"other_{n:02d}.safetensors" for n in range(25)]  # > 20: left out of a 400
    assert run_cli("workflow", "import", SD35, "--name", "sd").exit_code == 0
    return "sd"


def test_the_servers_refusal_of_a_combo_lists_its_choices(run_cli, fake_comfy, workflow_file):
    path = workflow_file("W3", {"3": {"method": "bogus"}})  # sent as is: the server refuses it
    result = run_cli("run", path, server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    assert result.stderr.splitlines()[:2] == [
        "comfyui-skill: error: the server rejected the workflow (1 problem):",
        "  ColorTransfer (#3): input 'method': 'bogus' is not offered by the server "
        "(one of: reinhard_lab, mkl_lab, histogram)"]
    [problem] = run_cli("run", path, "--json", server=fake_comfy).json()["error"]["details"]["problems"]
    assert problem["choices"] == ["reinhard_lab", "mkl_lab", "histogram"] and problem["type"] == "value_not_in_list"


def test_the_servers_refusal_of_a_missing_model_names_its_folder(run_cli, fake_comfy, stored_sd):
    result = run_cli("run", stored_sd, server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    assert f"Load Checkpoint (#4): input 'ckpt_name': {MISSING}" in result.stderr
    assert f"hint: {DEPS_HINT}" in result.stderr and "allowed values" not in result.stderr
    error = run_cli("run", stored_sd, "--json", server=fake_comfy).json()["error"]
    [problem] = error["details"]["problems"]
    assert problem["missing_model"] is True and problem["folder"] == "checkpoints"
    assert len(problem["choices"]) == 25  # asked from /object_info: the 400 leaves a long list out
    assert error["hint"] == DEPS_HINT


def test_our_own_check_of_a_missing_model_reads_the_same(run_cli, fake_comfy, stored_sd):
    result = run_cli("run", stored_sd, "--checkpoint", "nope.safetensors", server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    assert result.stderr.splitlines()[1:3] == [
        "  checkpoint: model file 'nope.safetensors' is missing from the server's 'checkpoints' folder",
        f"  hint: {DEPS_HINT}"]
    assert not sent(fake_comfy, "POST", "/prompt")


def test_validate_names_the_missing_model_and_the_deps_commands(run_cli, fake_comfy, stored_sd):
    result = run_cli("workflow", "validate", stored_sd, server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    assert f"  - node 4 (CheckpointLoaderSimple): ckpt_name: {MISSING}" in result.stderr
    assert f"hint: {DEPS_HINT}" in result.stderr


def test_a_long_list_of_choices_is_cut_short_in_text_only(run_cli, fake_comfy, stored_sd):
    result = run_cli("run", stored_sd, "--sampler", "nope", server=fake_comfy)
    line = result.stderr.splitlines()[1]
    assert line.startswith("  sampler: 'nope' is not offered by the server (one of: euler, euler_cfg_pp, ")
    assert line.endswith(", ... (32 more; --json lists them all))") and line.count(", ") == 12
    [problem] = run_cli("run", stored_sd, "--sampler", "nope", "--json", server=fake_comfy).json()[
        "error"]["details"]["problems"]
    assert len(problem["choices"]) == 44 and "missing_model" not in problem


def test_a_value_that_is_no_model_file_asks_no_model_folders(run_cli, fake_comfy, stored_sd):
    run_cli("run", stored_sd, "--sampler", "nope", server=fake_comfy)
    assert not [r for r in sent(fake_comfy, "GET") if r.path.startswith("/models")]


def test_a_batch_says_the_missing_model_once_with_its_hint(run_cli, fake_comfy, stored_sd, tmp_path):
    result = run_cli("run", stored_sd, "--checkpoint", "nope.safetensors", "--sweep", "cfg=5,6", "-o", str(tmp_path),
                     server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    assert result.stderr.splitlines()[:3] == [
        "comfyui-skill: error: 2 of 2 items invalid; nothing was submitted:",
        "  every item: 1 invalid workflow parameter:",
        "    checkpoint: model file 'nope.safetensors' is missing from the server's 'checkpoints' folder"]
    assert f"hint: {DEPS_HINT}" in result.stderr and not sent(fake_comfy, "POST", "/prompt")


def test_a_loaders_empty_folder_is_still_named(run_cli, fake_comfy):
    fake_comfy.models["checkpoints"] = []  # no file to compare the choices with: the loader's input tells
    assert run_cli("workflow", "import", SD35, "--name", "sd").exit_code == 0
    result = run_cli("run", "sd", "--json", server=fake_comfy)
    [problem] = result.json()["error"]["details"]["problems"]
    assert problem["folder"] == "checkpoints" and problem["missing_model"] is True
    assert MISSING in problem["message"]
