"""Shell completion: commands, options, choices, servers, stored workflows and cached node classes,
from local files only; the bash script works end to end."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from comfyui_skill.testing import CliRunner

BIN = Path(sys.executable).parent


def complete(run_cli: CliRunner, *words: str, **kwargs: object) -> list[str]:
    result = run_cli("completion", "--complete", *(f"+{w}" for w in words), **kwargs)
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


def test_commands_subcommands_options_and_choices(run_cli: CliRunner) -> None:
    assert complete(run_cli, "serv") == ["server"]
    assert {"list", "new", "install", "uninstall", "upgrade", "enable", "disable"} <= set(complete(run_cli, "plugins", ""))
    assert complete(run_cli, "plugins", "new", "--b") == ["--backend"]
    assert complete(run_cli, "--output", "") == ["json", "ndjson", "text"]
    assert complete(run_cli, "completion", "") == ["bash", "fish", "zsh"]
    assert complete(run_cli, "--json", "plugins", "new", "x", "-o", "") == []  # a path: left to the shell


def test_server_names_come_from_the_config(run_cli: CliRunner) -> None:
    for name in ("gpu1", "gpu2", "laptop"):
        assert run_cli("server", "add", name, "http://127.0.0.1:9").exit_code == 0
    assert complete(run_cli, "-s", "gpu") == ["gpu1", "gpu2"]
    assert complete(run_cli, "queue", "list", "--server", "") == ["gpu1", "gpu2", "laptop", "local"]  # local: the built-in default
    assert complete(run_cli, "server", "show", "la") == ["laptop"]
    assert complete(run_cli, "server", "add", "") == []  # a new name


def test_stored_workflows_and_cached_node_classes(run_cli: CliRunner, cli_env: dict[str, str], fake_comfy) -> None:
    workflows = Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "workflows"
    workflows.mkdir(parents=True)
    for name in ("portrait", "poster", "upscale"):
        (workflows / f"{name}.json").write_text("{}")
    assert complete(run_cli, "run", "po") == ["portrait", "poster"]
    assert complete(run_cli, "nodes", "info", "KS") == []  # nothing cached yet, and no server asked
    assert run_cli("--url", fake_comfy.url, "nodes", "list", "--search", "vae").exit_code == 0  # fills the cache
    (Path(cli_env["COMFYUI_SKILL_CACHE_DIR"]) / "nodes" / "damaged.marshal").write_bytes(b"\x00 not marshal")
    asked = len(fake_comfy.requests)
    assert complete(run_cli, "--url", fake_comfy.url, "nodes", "info", "KSampler") == [
        "KSampler", "KSamplerAdvanced", "KSamplerSelect"]
    assert len(fake_comfy.requests) == asked  # TAB never touches the network


def test_scripts_and_a_missing_shell(run_cli: CliRunner) -> None:
    for shell in ("bash", "zsh", "fish"):
        script = run_cli("completion", shell).stdout
        assert "comfyui-skill completion --complete" in script, shell
    missing = run_cli("completion", "--json")
    assert missing.exit_code == 2 and missing.json()["error"]["code"] == "usage"


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completes_through_the_script(cli_env: dict[str, str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMFYUI_SKILL_")}
    env.update(cli_env, PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    code = ('source <(comfyui-skill completion bash)\n'
            'COMP_WORDS=(comfyui-skill plugins n); COMP_CWORD=2; _comfyui_skill; printf "%s\\n" "${COMPREPLY[@]}"\n'
            'COMP_WORDS=(comfyui-skill plugins new x --); COMP_CWORD=4; _comfyui_skill; printf "%s\\n" "${COMPREPLY[@]}"\n')
    done = subprocess.run(["bash", "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["new", "--backend", "--help", "--output-dir"]
