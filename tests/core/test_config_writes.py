"""Nothing invalid is ever written to the config file, and a setting is checked alike on writing and reading."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from comfyui_skill import Setting
from comfyui_skill.testing import CliRunner


@pytest.fixture
def config_path(cli_env: dict[str, str]) -> Path:
    return Path(cli_env["COMFYUI_SKILL_CONFIG"])


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


LOCAL = '[servers.local]\nurl = "http://127.0.0.1:8188"\n'


def test_a_server_name_with_a_dot_is_refused_before_anything_is_written(run_cli: CliRunner,
                                                                        config_path: Path) -> None:
    result = run_cli("server", "add", "Bad.Name", "http://127.0.0.1:8189")
    assert result.exit_code == 10, result.stderr
    assert "server name 'Bad.Name' is not valid" in result.stderr and "letters, digits, '-' and '_'" in result.stderr
    assert not config_path.exists()
    assert run_cli("server", "list").exit_code == 0
    assert run_cli("server", "add", "Good_name-2", "http://127.0.0.1:8189").exit_code == 0
    assert "[servers.Good_name-2]" in config_path.read_text()


@pytest.mark.parametrize("command", [("cloud", "login", "my.cloud"), ("deployment", "add", "my.cloud", "abc123",
                                                                      "--key-stdin")])
def test_every_command_adding_a_server_checks_its_name(run_cli: CliRunner, config_path: Path,
                                                       command: tuple[str, ...]) -> None:
    result = run_cli(*command, input="key-0123456789\n")
    assert result.exit_code == 10 and "server name 'my.cloud' is not valid" in result.stderr
    assert "key-0123456789" not in result.stderr + result.stdout
    assert not config_path.exists()


def test_default_server_must_name_a_configured_server(run_cli: CliRunner, config_path: Path) -> None:
    write(config_path, LOCAL)
    result = run_cli("config", "set", "default_server", "nosuch")
    assert result.exit_code == 10
    assert "default_server 'nosuch' is not a configured server (configured: local)" in result.stderr
    assert "did you mean" not in result.stderr
    assert config_path.read_text() == LOCAL
    typo = run_cli("config", "set", "default_server", "locl")
    assert typo.exit_code == 10 and "(configured: local); did you mean 'local'?" in typo.stderr
    assert run_cli("server", "show", "--json").json()["data"]["name"] == "local"


@pytest.mark.parametrize("key", ["url", "comfyui_url"])
def test_a_url_a_reader_refuses_is_refused_by_config_set(run_cli: CliRunner, config_path: Path, key: str) -> None:
    write(config_path, LOCAL)
    result = run_cli("config", "set", f"servers.local.{key}", "ftp://x")
    assert result.exit_code == 2
    assert f"servers.local.{key} must start with http:// or https://" in result.stderr
    assert config_path.read_text() == LOCAL
    assert run_cli("server", "list").exit_code == 0


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("nodes.cache_ttl", "-5", "nodes.cache_ttl must be at least 0, not -5.0"),
    ("servers.local.read_timeout", "0", "servers.local.read_timeout must be greater than 0, not 0.0"),
    ("servers.local.stall_timeout", "-1", "servers.local.stall_timeout must be greater than 0"),
    ("servers.local.max_concurrent", "0", "servers.local.max_concurrent must be at least 1, not 0"),
    ("servers.local.connect_timeout", "nan", "servers.local.connect_timeout takes a finite number"),
])
def test_ranges_are_checked_by_config_set(run_cli: CliRunner, config_path: Path, key: str, value: str,
                                          expected: str) -> None:
    write(config_path, LOCAL)
    result = run_cli("config", "set", key, value)
    assert result.exit_code == 2 and expected in result.stderr, result.stderr
    assert config_path.read_text() == LOCAL


def test_an_unknown_server_kind_is_refused(run_cli: CliRunner, config_path: Path) -> None:
    write(config_path, LOCAL)
    result = run_cli("config", "set", "servers.local.kind", "martian")
    assert result.exit_code == 10 and "servers.local.kind 'martian' is not a known server kind" in result.stderr
    assert "known: " in result.stderr and "local" in result.stderr.split("known: ")[1]
    assert config_path.read_text() == LOCAL


def test_unset_cannot_leave_a_server_without_its_url(run_cli: CliRunner, config_path: Path) -> None:
    write(config_path, LOCAL)
    result = run_cli("config", "unset", "servers.local.url")
    assert result.exit_code == 10 and "servers.local.url is missing" in result.stderr
    assert config_path.read_text() == LOCAL


def test_removing_every_server_is_refused(run_cli: CliRunner, config_path: Path) -> None:
    text = '[servers]\n[servers.local]\nurl = "http://127.0.0.1:8188"\n'
    write(config_path, text)
    result = run_cli("server", "remove", "local")
    assert result.exit_code == 10 and "no server is left" in result.stderr
    assert config_path.read_text() == text


def test_removing_the_default_server_is_one_valid_write(run_cli: CliRunner, config_path: Path) -> None:
    assert run_cli("server", "add", "gpu", "http://10.1.2.3:8188", "--default").exit_code == 0
    result = run_cli("server", "remove", "gpu")
    assert result.exit_code == 0, result.stderr
    assert "default_server" not in config_path.read_text()
    assert run_cli("server", "show", "--json").json()["data"]["name"] == "local"


def test_a_problem_the_file_already_had_blocks_neither_other_writes_nor_its_repair(
        run_cli: CliRunner, config_path: Path) -> None:
    write(config_path, 'default_server = "gone"\n' + LOCAL)
    broken = run_cli("server", "show")
    assert broken.exit_code == 10 and "default_server 'gone' is not a configured server" in broken.stderr
    assert "server use NAME" in broken.stderr
    write(config_path, 'default_server = "locl"\n' + LOCAL)
    assert "did you mean 'local'?" in run_cli("server", "show").stderr
    write(config_path, 'default_server = "gone"\n' + LOCAL)
    assert run_cli("config", "set", "servers.local.read_timeout", "30").exit_code == 0
    assert run_cli("server", "add", "gone", "http://10.0.0.9:8188").exit_code == 0
    assert run_cli("server", "show", "--json").json()["data"]["name"] == "gone"


@pytest.mark.parametrize(("text", "expected"), [
    (LOCAL + "[nodes]\ncache_ttl = -5\n", "nodes.cache_ttl must be at least 0"),
    (LOCAL.replace("url", "read_timeout = 0\nurl"), "servers.local.read_timeout must be greater than 0"),
])
def test_readers_apply_the_same_checks_to_a_hand_written_file(run_cli: CliRunner, config_path: Path,
                                                              fake_comfy, text: str, expected: str) -> None:
    write(config_path, text.replace("http://127.0.0.1:8188", fake_comfy.url))
    result = run_cli("nodes", "list", "--json")
    assert result.exit_code == 10, result.stdout
    assert expected in result.json()["error"]["message"]


def test_setting_checks() -> None:
    ttl = Setting("x.ttl", float, 1.0, check=Setting.at_least(0))
    assert ttl.coerce("0") == 0.0 and ttl.coerce(3) == 3
    for bad in ("-1", "inf", math.nan, True):
        with pytest.raises(ValueError):
            ttl.coerce(bad)
    count = Setting("count", int, None, check=Setting.above(1))
    assert count.coerce("2") == 2
    with pytest.raises(ValueError, match="count must be greater than 1, not 1"):
        count.coerce(1)
    odd = Setting("odd", int, check=lambda value: None if value % 2 else "must be odd")
    with pytest.raises(ValueError, match="odd must be odd, not 4"):
        odd.coerce("4")
    secret = Setting("pin", str, secret=True, check=lambda value: None if value.isdigit() else "must be digits")
    with pytest.raises(ValueError) as raised:
        secret.coerce("hunter2x")
    assert "hunter2x" not in str(raised.value) and "pin must be digits" in str(raised.value)
    assert Setting("plain", str) == Setting("plain", str, check=None)  # the constructor stays compatible


def test_server_settings_from_the_environment_are_read_through_their_setting(run_cli: CliRunner, config_path: Path,
                                                                             fake_comfy) -> None:
    write(config_path, LOCAL.replace("http://127.0.0.1:8188", fake_comfy.url))
    headers = {"COMFYUI_SKILL_SERVER_LOCAL_HEADERS": '{"X-Proxy-Token": "pt-12345678"}'}
    assert run_cli("server", "stats", "--json", env=headers).exit_code == 0
    assert fake_comfy.requests[-1].headers.get("X-Proxy-Token") == "pt-12345678"
    broken = run_cli("server", "stats", "--json", env={"COMFYUI_SKILL_SERVER_LOCAL_HEADERS": "pt-12345678"})
    assert broken.exit_code == 10 and "servers.local.headers takes a JSON dict" in broken.stdout
    assert "pt-12345678" not in broken.stdout + broken.stderr
    insecure = run_cli("server", "stats", "--json", env={"COMFYUI_SKILL_SERVER_LOCAL_INSECURE": "false"})
    assert insecure.exit_code == 0 and "TLS certificate checks are OFF" not in insecure.stderr


def test_a_plugin_providing_the_kind_of_a_configured_server_cannot_be_disabled(run_cli: CliRunner,
                                                                               config_path: Path) -> None:
    assert run_cli("cloud", "login", "cl", input="key-0123456789\n").exit_code == 0
    before = config_path.read_text()
    for plugin, server in (("cloud", "cl"), ("local", "local")):
        refused = run_cli("plugins", "disable", plugin)
        assert refused.exit_code == 10, refused.stderr
        assert f"server {server!r} is of kind {plugin!r}, which only plugin {plugin!r} provides" in refused.stderr
    assert config_path.read_text() == before
    assert run_cli("plugins", "disable", "comfy-api").exit_code == 0  # no comfy-api server here
    assert run_cli("server", "remove", "cl").exit_code == 0
    assert run_cli("plugins", "disable", "cloud").exit_code == 0
    assert run_cli("server", "list").exit_code == 0
