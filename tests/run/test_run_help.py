"""``run WORKFLOW --help``: run's help, then that workflow's named parameters (as ``workflow show``)."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import WORKFLOWS

W1 = str(WORKFLOWS / "W1_empty_image_save.json")
SD35 = str(WORKFLOWS / "ui_txt2img_sd3.5_simple_example.json")


def test_help_after_a_workflow_lists_its_parameters(run_cli, fake_comfy):
    result = run_cli("run", W1, "--help", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("usage:") and "--timeout S" in result.stdout
    lines = result.stdout.splitlines()
    header = lines.index(f"parameters of {W1} (--NAME VALUE, or --set NODE.INPUT=VALUE):")
    assert lines[header + 1].split() == ["NAME", "NODE.INPUT", "TYPE", "DEFAULT", "RANGE/CHOICES"]
    assert lines[header + 2].split() == ["width", "1.width", "INT", "64", "1..16384", "step", "1"]
    data = run_cli("run", W1, "-h", "--json", server=fake_comfy).json()["data"]
    assert data["workflow"] == W1 and data["error"] is None
    assert [p["name"] for p in data["parameters"]] == ["width", "height", "batch", "prefix"]


def test_help_of_a_stored_editor_workflow_matches_workflow_show(run_cli, fake_comfy):
    run_cli("workflow", "import", SD35, "--name", "sd")
    shown = run_cli("workflow", "show", "sd", server=fake_comfy).stdout
    helped = run_cli("run", "sd", "--help", server=fake_comfy).stdout
    assert helped.endswith("\n" + shown) and "seed" in shown


def test_without_a_server_the_help_says_why_no_parameters_are_listed(run_cli):
    result = run_cli("--url", "http://127.0.0.1:9", "run", W1, "--help")
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("usage:") and "Traceback" not in result.stdout
    assert f"the named parameters of {W1} cannot be listed: server" in result.stdout
    assert "cannot reach http://127.0.0.1:9" in result.stdout
    missing = run_cli("run", "no-such-workflow", "--help")
    assert missing.exit_code == 0 and "'no-such-workflow' is neither" in missing.stdout


def test_plain_run_help_is_argparse_help_without_plugins_doing_anything(run_cli, fake_comfy, cli_env):
    result = run_cli("run", "--help", server=fake_comfy)
    assert result.exit_code == 0 and result.stdout.startswith("usage:") and "parameters of" not in result.stdout
    assert not fake_comfy.requests  # nothing asked of the server
    child = subprocess.run([sys.executable, "-X", "importtime", "-m", "comfyui_skill", "run", "--help"],
                           capture_output=True, text=True, check=True, env={**os.environ, **cli_env})
    imported = {line.split("|")[-1].strip() for line in child.stderr.splitlines() if "|" in line}
    assert "comfyui_skill_run.help" not in imported and "comfyui_skill_workflows.commands" not in imported
