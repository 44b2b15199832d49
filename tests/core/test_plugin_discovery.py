"""Plugins are found through real entry points, and a broken one never breaks the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .dummy_plugins import HELLO_PLUGIN, make_distribution, run_subprocess


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return {**cli_env, "COMFYUI_SKILL_STRICT_PLUGINS": ""}


def test_third_party_plugin_is_discovered_and_runs(tmp_path: Path, env: dict[str, str]) -> None:
    site = make_distribution(tmp_path / "site", "comfyui-skill-hello", {"comfyui_skill_hello": HELLO_PLUGIN},
                             {"hello": "comfyui_skill_hello"}, version="2.5")
    helped = run_subprocess(["--help"], path=site, env=env)
    assert helped.returncode == 0
    assert "say hello" in helped.stdout
    ran = run_subprocess(["hello", "--name", "there", "--json"], path=site, env=env)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["data"] == {"greeting": "hello there"}
    listed = json.loads(run_subprocess(["plugins", "list", "--json"], path=site, env=env).stdout)["data"]
    hello = next(p for p in listed if p["name"] == "hello")
    assert hello == {"name": "hello", "module": "comfyui_skill_hello", "distribution": "comfyui-skill-hello",
                     "version": "2.5", "builtin": False, "status": "active", "error": None,
                     "hooks": ["comfyui_skill_commands"]}
    assert "comfyui-skill-hello 2.5" in run_subprocess(["--version"], path=site, env=env).stdout
    requirements = run_subprocess(["plugins", "list", "--requirements"], path=site, env=env).stdout
    assert requirements.strip() == "comfyui-skill-hello==2.5"


BROKEN = {
    "import_error": "import no_such_module_anywhere\n",
    "validation_error": (
        "from comfyui_skill import hookimpl\n"
        "@hookimpl\n"
        "def comfyui_skill_commands(unknown_argument):\n"
        "    return []\n"
    ),
    "raises_in_hook": (
        "from comfyui_skill import hookimpl\n"
        "@hookimpl\n"
        "def comfyui_skill_commands():\n"
        "    raise RuntimeError('boom')\n"
    ),
    "unknown_hook_name": (
        "from comfyui_skill import hookimpl\n"
        "@hookimpl\n"
        "def comfyui_skill_comands():\n"
        "    return []\n"
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_plugin_is_skipped_with_one_line_and_shown_failed(
        case: str, tmp_path: Path, env: dict[str, str]) -> None:
    site = make_distribution(tmp_path / "site", "comfyui-skill-broken", {"comfyui_skill_broken": BROKEN[case]},
                             {"broken": "comfyui_skill_broken"})
    result = run_subprocess(["plugins", "list", "--json"], path=site, env=env)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "broken" in line]
    assert len(warnings) == 1, result.stderr
    assert "comfyui-skill-broken 1.0" in warnings[0]
    assert "comfyui-skill plugins disable broken" in warnings[0]
    assert "comfyui-skill plugins uninstall comfyui-skill-broken" in warnings[0]
    record = next(p for p in json.loads(result.stdout)["data"] if p["name"] == "broken")
    assert record["status"] == "failed"
    assert record["error"]
    # the built-in commands still work
    assert run_subprocess(["server", "list"], path=site, env=env).returncode == 0


def test_strict_mode_turns_a_broken_plugin_into_an_error(tmp_path: Path, env: dict[str, str]) -> None:
    site = make_distribution(tmp_path / "site", "comfyui-skill-broken", {"comfyui_skill_broken": BROKEN["import_error"]},
                             {"broken": "comfyui_skill_broken"})
    result = run_subprocess(["plugins", "list"], path=site, env={**env, "COMFYUI_SKILL_STRICT_PLUGINS": "1"})
    assert result.returncode == 1
    assert "no_such_module_anywhere" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_plugins_claiming_one_command_get_a_clear_message(tmp_path: Path, env: dict[str, str]) -> None:
    site = tmp_path / "site"
    make_distribution(site, "comfyui-skill-hello", {"comfyui_skill_hello": HELLO_PLUGIN}, {"hello": "comfyui_skill_hello"})
    make_distribution(site, "comfyui-skill-other", {"comfyui_skill_other": HELLO_PLUGIN.replace("hello {", "other {")},
                      {"other": "comfyui_skill_other"})
    result = run_subprocess(["hello", "--name", "x"], path=site, env=env)
    assert result.returncode == 0
    assert result.stdout.strip() == "hello x"  # the first (alphabetical) provider keeps it
    assert "command 'hello' is provided by both plugin 'hello' and plugin 'other'" in result.stderr
    assert "ArgumentError" not in result.stderr and "Traceback" not in result.stderr


def test_a_plugin_cannot_take_a_builtin_command(tmp_path: Path, env: dict[str, str]) -> None:
    hijack = HELLO_PLUGIN.replace('Command("hello"', 'Command("server"')
    site = make_distribution(tmp_path / "site", "comfyui-skill-hijack", {"comfyui_skill_hijack": hijack},
                             {"hijack": "comfyui_skill_hijack"})
    result = run_subprocess(["server", "list", "--json"], path=site, env=env)
    assert result.returncode == 0
    assert json.loads(result.stdout)["command"] == "server list"
    assert "provided by both plugin 'server' and plugin 'hijack'" in result.stderr


@pytest.mark.parametrize("how", ["--no-plugins", "-p no:hello", "env", "config", "by-distribution"])
def test_disabling_a_plugin(how: str, tmp_path: Path, env: dict[str, str]) -> None:
    site = make_distribution(tmp_path / "site", "comfyui-skill-hello", {"comfyui_skill_hello": HELLO_PLUGIN},
                             {"hello": "comfyui_skill_hello"})
    extra_env = dict(env)
    prefix: list[str] = []
    if how == "--no-plugins":
        prefix = ["--no-plugins"]
    elif how == "-p no:hello":
        prefix = ["-p", "no:hello"]
    elif how == "env":
        extra_env["COMFYUI_SKILL_DISABLE_PLUGINS"] = "other,hello"
    elif how == "config":
        assert run_subprocess(["plugins", "disable", "hello"], path=site, env=env).returncode == 0
    else:
        Path(env["COMFYUI_SKILL_CONFIG"]).parent.mkdir(parents=True)
        Path(env["COMFYUI_SKILL_CONFIG"]).write_text('[plugins]\ndisabled = ["comfyui-skill-hello"]\n')
    result = run_subprocess([*prefix, "plugins", "list", "--json"], path=site, env=extra_env)
    assert result.returncode == 0, result.stderr
    record = next(p for p in json.loads(result.stdout)["data"] if p["name"] == "hello")
    assert record["status"] == "blocked"
    refused = run_subprocess([*prefix, "hello"], path=site, env=extra_env)
    assert refused.returncode == 2
    assert "command 'hello' belongs to plugin 'hello', which is disabled" in refused.stderr
    assert ENABLE_HINTS[how] in refused.stderr


#: how to get a disabled plugin back, by the way it was disabled
ENABLE_HINTS = {"--no-plugins": "drop --no-plugins", "-p no:hello": "drop '-p no:hello'",
                "env": "remove 'hello' from $COMFYUI_SKILL_DISABLE_PLUGINS",
                "config": "run 'comfyui-skill plugins enable hello'",
                "by-distribution": "run 'comfyui-skill plugins enable comfyui-skill-hello'"}


def test_a_command_of_a_disabled_plugin_not_named_after_it(tmp_path: Path, env: dict[str, str]) -> None:
    greeter = HELLO_PLUGIN.replace('Command("hello"', 'Command("greet"')
    site = make_distribution(tmp_path / "site", "comfyui-skill-hello", {"comfyui_skill_hello": greeter},
                             {"hello": "comfyui_skill_hello"})
    refused = run_subprocess(["-p", "no:hello", "greet"], path=site, env=env)
    assert refused.returncode == 2
    assert "command 'greet' belongs to plugin 'hello', which is disabled" in refused.stderr
    assert "drop '-p no:hello'" in refused.stderr


def test_a_command_of_a_broken_plugin_says_it_failed(tmp_path: Path, env: dict[str, str]) -> None:
    site = make_distribution(tmp_path / "site", "comfyui-skill-broken", {"comfyui_skill_broken": BROKEN["import_error"]},
                             {"broken": "comfyui_skill_broken"})
    refused = run_subprocess(["broken"], path=site, env=env)
    assert refused.returncode == 2
    assert "command 'broken' belongs to plugin 'broken', which failed to load: ModuleNotFoundError" in refused.stderr
    assert "comfyui-skill plugins uninstall comfyui-skill-broken" in refused.stderr


def test_enable_reverses_disable(tmp_path: Path, env: dict[str, str]) -> None:
    site = make_distribution(tmp_path / "site", "comfyui-skill-hello", {"comfyui_skill_hello": HELLO_PLUGIN},
                             {"hello": "comfyui_skill_hello"})
    run_subprocess(["plugins", "disable", "hello"], path=site, env=env)
    assert run_subprocess(["hello"], path=site, env=env).returncode == 2
    assert run_subprocess(["plugins", "enable", "hello"], path=site, env=env).returncode == 0
    assert run_subprocess(["hello"], path=site, env=env).stdout.strip() == "hello world"


def test_essential_plugins_cannot_be_blocked(env: dict[str, str]) -> None:
    result = run_subprocess(["-p", "no:plugins", "-p", "no:config", "plugins", "list", "--json"], path=None, env=env)
    assert result.returncode == 0
    statuses = {p["name"]: p["status"] for p in json.loads(result.stdout)["data"]}
    assert statuses["plugins"] == statuses["config"] == "active"


def test_trace_plugins_prints_hook_calls(env: dict[str, str]) -> None:
    result = run_subprocess(["server", "list"], path=None, env={**env, "COMFYUI_SKILL_TRACE_PLUGINS": "1"})
    assert "trace: comfyui_skill_commands" in result.stderr


def test_dash_p_loads_a_module_as_a_plugin(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "devplugin.py").write_text(HELLO_PLUGIN)
    result = run_subprocess(["-p", "devplugin", "hello", "--name", "dev"], path=tmp_path, env=env)
    assert result.stdout.strip() == "hello dev", result.stderr


def test_the_entry_point_cache_is_trusted_only_when_no_one_else_could_write_it(tmp_path: Path,
                                                                                env: dict[str, str]) -> None:
    """The cache names modules to import: one writable by others would let them run code as us."""
    import marshal

    site = make_distribution(tmp_path / "site", "comfyui-skill-hello", {"comfyui_skill_hello": HELLO_PLUGIN},
                             {"hello": "comfyui_skill_hello"})
    cached = {k: v for k, v in env.items() if k != "COMFYUI_SKILL_NO_CACHE"}

    def listed() -> set[str]:
        result = run_subprocess(["plugins", "list", "--json"], path=site, env=cached)
        return {plugin["name"] for plugin in json.loads(result.stdout)["data"]}

    assert "hello" in listed()
    cache = Path(cached["COMFYUI_SKILL_CACHE_DIR"]) / "entry-points-comfyui_skill.marshal"
    assert cache.stat().st_mode & 0o777 == 0o600
    key, rows = marshal.loads(cache.read_bytes())
    cache.write_bytes(marshal.dumps((key, [row for row in rows if row[0] != "hello"])))
    assert "hello" not in listed()  # the cache is what the CLI goes by
    cache.chmod(0o666)
    assert "hello" in listed()  # ... unless others could have written it: then the real entry points
