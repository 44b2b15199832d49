"""The config file: defaults without a file, edits that keep comments, secrets, broken files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from comfyui_skill.testing import CliRunner


@pytest.fixture
def config_path(cli_env: dict[str, str]) -> Path:
    return Path(cli_env["COMFYUI_SKILL_CONFIG"])


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def test_no_file_means_one_local_server(run_cli: CliRunner, config_path: Path) -> None:
    result = run_cli("server", "list", "--json")
    assert result.exit_code == 0
    assert result.json()["data"] == [{"url": "http://127.0.0.1:8188", "kind": "local", "name": "local",
                                      "default": True}]
    assert not config_path.exists()  # reading never creates the file


def test_config_path_and_get_work_without_a_file(run_cli: CliRunner, config_path: Path) -> None:
    assert run_cli("config", "path").stdout.strip() == str(config_path)
    assert run_cli("config", "get", "default_server").stdout.strip() == "local"


def test_edits_keep_comments_and_layout(run_cli: CliRunner, config_path: Path) -> None:
    original = ('# my servers\ndefault_server = "local"  # the box under the desk\n\n'
                '[servers.local]\nurl = "http://127.0.0.1:8188" # keep this\n')
    write(config_path, original)
    assert run_cli("server", "add", "gpu", "http://10.1.2.3:8188", "--output-dir", "/data/out").exit_code == 0
    assert run_cli("config", "set", "servers.gpu.read_timeout", "120").exit_code == 0
    text = config_path.read_text()
    assert text.startswith(original)
    assert "read_timeout = 120.0" in text
    assert run_cli("server", "use", "gpu").exit_code == 0
    assert 'default_server = "gpu"  # the box under the desk' in config_path.read_text()
    assert run_cli("config", "get", "servers.gpu.output_dir").stdout.strip() == "/data/out"


def test_first_added_server_keeps_the_implicit_local_one(run_cli: CliRunner) -> None:
    assert run_cli("server", "add", "gpu", "http://10.1.2.3:8188").exit_code == 0
    names = [s["name"] for s in run_cli("server", "list", "--json").json()["data"]]
    assert names == ["gpu", "local"]


def test_adding_an_existing_name_needs_force(run_cli: CliRunner) -> None:
    run_cli("server", "add", "gpu", "http://10.1.2.3:8188")
    again = run_cli("server", "add", "gpu", "http://10.9.9.9:8188")
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    assert run_cli("config", "get", "servers.gpu.url").stdout.strip() == "http://10.1.2.3:8188"
    assert run_cli("server", "add", "gpu", "http://10.9.9.9:8188", "--force").exit_code == 0
    assert run_cli("config", "get", "servers.gpu.url").stdout.strip() == "http://10.9.9.9:8188"


def test_bad_url_and_unknown_kind_are_refused_before_writing(run_cli: CliRunner, config_path: Path) -> None:
    bad_url = run_cli("server", "add", "x", "ftp://nope")
    assert bad_url.exit_code == 10 and "http:// or https://" in bad_url.stderr
    unknown = run_cli("server", "add", "x", "http://h:1", "--kind", "martian")
    assert unknown.exit_code == 10 and "unknown server kind 'martian'" in unknown.stderr
    assert not config_path.exists()


def test_secrets_come_from_stdin_are_masked_and_make_the_file_private(
        run_cli: CliRunner, config_path: Path) -> None:
    token = "tok-0123456789abcdef"
    refused = run_cli("config", "set", "servers.local.token", token)
    assert refused.exit_code == 2 and "--stdin" in refused.stderr
    assert token not in refused.stderr + refused.stdout
    assert not config_path.exists()
    stored = run_cli("config", "set", "servers.local.token", "--stdin", input=token + "\n")
    assert stored.exit_code == 0, stored.stderr
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
    for args in (("config", "list"), ("config", "list", "--json"), ("server", "show", "local", "--json"),
                 ("server", "list", "--json"), ("config", "get", "servers.local.token")):
        result = run_cli(*args)
        assert result.exit_code == 0
        assert token not in result.stdout + result.stderr, args
    assert "***cdef" in run_cli("config", "get", "servers.local.token").stdout
    assert run_cli("config", "get", "servers.local.token", "--show-secret").stdout.strip() == token


def test_server_add_token_stdin(run_cli: CliRunner, config_path: Path) -> None:
    result = run_cli("server", "add", "proxy", "https://gpu.example:443", "--token-stdin", input="abc123\n")
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600
    assert "abc123" not in result.stdout


def test_a_world_readable_file_with_secrets_is_warned_about(run_cli: CliRunner, config_path: Path) -> None:
    write(config_path, '[servers.local]\nurl = "http://127.0.0.1:8188"\ntoken = "abcdef"\n', mode=0o644)
    result = run_cli("server", "list")
    assert result.exit_code == 0
    assert "holds secrets but others can read it" in result.stderr
    assert "abcdef" not in result.stderr + result.stdout


def test_environment_overrides_a_server_key(run_cli: CliRunner) -> None:
    result = run_cli("server", "show", "local", "--json",
                     env={"COMFYUI_SKILL_SERVER_LOCAL_URL": "http://10.0.0.7:9000"})
    assert result.json()["data"]["url"] == "http://10.0.0.7:9000"


def test_environment_selects_the_server(run_cli: CliRunner) -> None:
    run_cli("server", "add", "gpu", "http://10.1.2.3:8188")
    shown = run_cli("server", "show", "--json", env={"COMFYUI_SKILL_SERVER": "gpu"}).json()["data"]
    assert shown["name"] == "gpu"
    missing = run_cli("server", "show", "--json", env={"COMFYUI_SKILL_SERVER": "nope"})
    assert missing.exit_code == 7
    assert missing.json()["error"]["code"] == "not_found"


def test_malformed_file_names_file_and_line_and_repair_commands_still_run(
        run_cli: CliRunner, config_path: Path) -> None:
    write(config_path, '[servers.local]\nurl = "http://127.0.0.1:8188"\nkind = local\n')
    broken = run_cli("server", "list")
    assert broken.exit_code == 10
    assert f"{config_path}: line 3" in broken.stderr
    assert "Traceback" not in broken.stderr
    assert run_cli("config", "path").exit_code == 0
    assert run_cli("--help").exit_code == 0
    assert run_cli("plugins", "list").exit_code == 0
    refused = run_cli("config", "set", "default_server", "x")
    assert refused.exit_code == 10 and "line 3" in refused.stderr
    assert config_path.read_text().endswith("kind = local\n")  # untouched
    reset = run_cli("config", "reset", "--yes")
    assert reset.exit_code == 0
    backup = Path(reset.json()["data"]["backup"]) if reset.stdout.startswith("{") else next(
        config_path.parent.glob("config.toml.bak-*"))
    assert backup.read_text().endswith("kind = local\n")
    assert run_cli("server", "list").exit_code == 0


def test_reset_without_a_terminal_needs_yes(run_cli: CliRunner, config_path: Path) -> None:
    write(config_path, 'default_server = "local"\n')
    result = run_cli("config", "reset")
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert config_path.exists()


def test_unknown_setting_lists_the_known_ones(run_cli: CliRunner) -> None:
    result = run_cli("config", "set", "servers.local.colour", "blue")
    assert result.exit_code == 2
    assert "servers.NAME.read_timeout" in result.stderr


def test_a_mistyped_setting_key_suggests_the_close_ones(run_cli: CliRunner) -> None:
    bare = run_cli("config", "set", "read_timout", "5")
    assert bare.exit_code == 2
    assert "did you mean 'servers.NAME.read_timeout'?" in bare.stderr
    assert "known settings" not in bare.stderr  # only the close ones, not the whole list
    under = run_cli("config", "set", "servers.local.read_timout", "5", "--json").json()["error"]
    assert under["details"]["suggestions"][0] == "servers.local.read_timeout"
    assert "did you mean 'default_server'?" in run_cli("config", "set", "defualt_server", "x").stderr
    unset = run_cli("config", "get", "nodes.cache_tl")
    assert unset.exit_code == 7 and "did you mean 'nodes.cache_ttl'?" in unset.stderr


def test_typed_values_are_checked(run_cli: CliRunner) -> None:
    result = run_cli("config", "set", "servers.local.insecure", "perhaps")
    assert result.exit_code == 2 and "true or false" in result.stderr
    assert run_cli("config", "set", "servers.local.insecure", "yes").exit_code == 0
    assert run_cli("config", "get", "servers.local.insecure").stdout.strip() == "True"


def test_remove_and_unset(run_cli: CliRunner) -> None:
    run_cli("server", "add", "gpu", "http://10.1.2.3:8188", "--default")
    assert run_cli("server", "remove", "gpu").exit_code == 0
    assert run_cli("config", "get", "default_server").stdout.strip() == "local"
    assert run_cli("server", "remove", "gpu").exit_code == 7
    assert run_cli("config", "unset", "default_server").exit_code == 7
