"""The command line itself: help everywhere, the JSON envelope, exit codes, no tracebacks."""

from __future__ import annotations

import marshal
import subprocess
import sys
from pathlib import Path

import pytest

from comfyui_skill.errors import ERROR_CODES, ExitCode
from comfyui_skill.testing import CliRunner

from .dummy_plugins import run_subprocess

FAILING_PLUGIN = '''
from comfyui_skill import Command, NotFoundError, hookimpl

def configure(parser):
    parser.add_argument("how", choices=["bug", "missing", "interrupt"])

def run(ctx, args):
    if args.how == "bug":
        return {}["no such key"]
    if args.how == "interrupt":
        raise KeyboardInterrupt
    raise NotFoundError("there is no such thing", hint="try another thing")

@hookimpl
def comfyui_skill_commands():
    return [Command("explode", "fail on purpose", configure=configure, run=run)]

@hookimpl
def comfyui_skill_error_hint(ctx, error):
    return "a hint from the plugin" if "plugin hint" in str(error) else None
'''


@pytest.fixture
def failing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    (tmp_path / "explode_plugin.py").write_text(FAILING_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    return ["-p", "explode_plugin"]


def test_help_at_every_level(run_cli: CliRunner) -> None:
    for args in (["--help"], ["server", "--help"], ["server", "add", "--help"], ["config", "set", "--help"],
                 ["plugins", "list", "--help"]):
        result = run_cli(*args)
        assert result.exit_code == 0, args
        assert result.stdout.startswith("usage: comfyui-skill"), args


def test_bare_group_prints_its_subcommands(run_cli: CliRunner) -> None:
    result = run_cli("server")
    assert result.exit_code == ExitCode.USAGE
    assert "add" in result.stdout and "remove" in result.stdout


def test_no_command_prints_help_with_usage_code(run_cli: CliRunner) -> None:
    result = run_cli()
    assert result.exit_code == ExitCode.USAGE
    assert "COMMAND" in result.stdout


def test_python_dash_m_shows_the_real_prog(cli_env: dict[str, str]) -> None:
    result = run_subprocess(["--help"], path=None, env=cli_env)
    assert result.stdout.startswith("usage: comfyui-skill ")


def test_usage_error_in_json_mode_is_an_envelope(run_cli: CliRunner) -> None:
    result = run_cli("server", "add", "--json")
    assert result.exit_code == ExitCode.USAGE
    document = result.json()
    assert document["schema"] == "comfyui-skill/1"
    assert document["ok"] is False
    assert document["error"]["code"] == "usage"
    assert "required" in document["error"]["message"]


def test_output_mode_from_environment(run_cli: CliRunner) -> None:
    result = run_cli("server", "list", env={"COMFYUI_SKILL_OUTPUT": "json"})
    assert result.json()["command"] == "server list"
    bad = run_cli("server", "list", env={"COMFYUI_SKILL_OUTPUT": "yaml"})
    assert bad.exit_code == ExitCode.USAGE and "COMFYUI_SKILL_OUTPUT" in bad.stderr


def test_global_options_after_the_command(run_cli: CliRunner) -> None:
    run_cli("server", "add", "gpu", "http://10.1.2.3:8188")
    result = run_cli("server", "show", "--server", "gpu", "--json")
    assert result.json()["data"]["name"] == "gpu"


def test_a_run_builds_only_the_invoked_command(run_cli: CliRunner) -> None:
    from comfyui_skill.app import build_parser, pre_parse
    from comfyui_skill.plugins import PluginHost

    host = PluginHost().load()
    parser = build_parser(host, configure="queue", alone=True)
    assert set(parser._subparsers._group_actions[0].choices) == {"queue"}  # noqa: SLF001
    assert pre_parse(["--json", "-vv", "--url", "http://h:1", "queue", "list"]).certain
    for unsure in (["--ser", "gpu", "queue"], ["-h", "queue"], ["--version", "queue"], ["-sgpu", "queue"]):
        assert not pre_parse(unsure).certain, unsure


def test_an_abbreviated_option_whose_value_is_a_command_name(run_cli: CliRunner) -> None:
    run_cli("server", "add", "queue", "http://10.1.2.3:8188")  # a server named like a command
    result = run_cli("--ser", "queue", "server", "show", "--json")  # argparse expands --ser to --server
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["name"] == "queue"
    assert "COMMAND" in run_cli("-h", "queue").stdout and "nodes" in run_cli("-h", "queue").stdout


def test_a_plugin_bug_gives_a_message_not_a_traceback(run_cli: CliRunner, failing: list[str]) -> None:
    result = run_cli(*failing, "explode", "bug")
    assert result.exit_code == ExitCode.ERROR
    assert "Traceback" not in result.stderr
    assert "unexpected error in plugin 'explode_plugin': KeyError" in result.stderr
    assert "plugins disable explode_plugin" in result.stderr
    verbose = run_cli(*failing, "explode", "bug", "-v")
    assert "Traceback" in verbose.stderr


def test_cli_error_maps_to_its_exit_code_and_hint(run_cli: CliRunner, failing: list[str]) -> None:
    result = run_cli(*failing, "explode", "missing", "--json")
    assert result.exit_code == ExitCode.NOT_FOUND
    assert result.json()["error"] == {"code": "not_found", "message": "there is no such thing",
                                      "hint": "try another thing", "details": {}}
    text = run_cli(*failing, "explode", "missing")
    assert text.stderr == "comfyui-skill: error: there is no such thing\n  hint: try another thing\n"


def test_ctrl_c_exits_130(run_cli: CliRunner, failing: list[str]) -> None:
    result = run_cli(*failing, "explode", "interrupt", "--json")
    assert result.exit_code == 130
    assert result.json()["error"]["code"] == "interrupted"


def test_every_error_code_has_a_distinct_documented_exit_code() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for code, (exit_code, _meaning) in ERROR_CODES.items():
        assert f"`{code}`" in readme, code
        assert f"| {int(exit_code)} |" in readme, exit_code
    assert len({int(c) for c in ExitCode}) == len(ExitCode)


def test_version_lists_core_and_plugins(run_cli: CliRunner) -> None:
    lines = run_cli("--version").stdout.splitlines()
    assert lines[0].startswith("comfyui-skill 0.")
    assert any(line.strip().startswith("server: built-in") for line in lines)


def test_cached_help_is_identical_and_invalidated_by_changes(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in cli_env.items() if k != "COMFYUI_SKILL_NO_CACHE"}
    env["COLUMNS"] = "100"
    first = run_subprocess(["--help"], path=None, env=env)
    cache = Path(env["COMFYUI_SKILL_CACHE_DIR"]) / "startup-cache.marshal"
    assert cache.exists()
    second = run_subprocess(["--help"], path=None, env=env)
    assert first.stdout == second.stdout
    # the fast path really answers from the cache: tamper with it and see the tampered text
    document = marshal.loads(cache.read_bytes())
    document["help"]["text"] = "from the cache\n"
    cache.write_bytes(marshal.dumps(document))
    assert run_subprocess(["--help"], path=None, env=env).stdout == "from the cache\n"
    # ... and a different terminal width, or a disabled plugin, rebuilds it
    assert run_subprocess(["--help"], path=None, env={**env, "COLUMNS": "81"}).stdout.startswith("usage:")
    assert run_subprocess(["--help"], path=None, env={**env, "COMFYUI_SKILL_DISABLE_PLUGINS": "server"}
                          ).stdout.startswith("usage:")


def test_help_does_not_import_heavy_modules(cli_env: dict[str, str]) -> None:
    for env in ({**cli_env}, {k: v for k, v in cli_env.items() if k != "COMFYUI_SKILL_NO_CACHE"}):
        # a plugin's entry-point module registers it (loaded for the cold --help); its other modules are its code
        code = ("import sys; from comfyui_skill.cli import main; rc = main(['--help']);"
                "from importlib.metadata import entry_points;"
                "registering = {ep.value.partition(':')[0] for ep in entry_points(group='comfyui_skill')};"
                "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
                "('urllib3', 'websocket', 'tomlkit', 'aiohttp') or "
                "(m.startswith('comfyui_skill_') and '.' in m and m not in registering));"
                "print(heavy, file=sys.stderr)")
        for _ in range(2):  # cold, then from the cache
            result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                    env={**__import__("os").environ, **env}, timeout=60)
            assert result.stderr.strip().splitlines()[-1] == "[]", result.stderr


LINGERING_PLUGIN = '''
import atexit, gc, os, sys, threading, time
from comfyui_skill import Command, hookimpl

def run(ctx, args):
    folder = os.environ["LINGER_DIR"]
    atexit.register(lambda: open(os.path.join(folder, "atexit"), "w").close())
    def late():
        time.sleep(0.3)
        open(os.path.join(folder, "thread"), "w").close()
    threading.Thread(target=late).start()  # not a daemon: the process must wait for it
    print("x" * 100000, end="")  # buffered output must not be lost
    return {"collector_on": gc.isenabled()}

@hookimpl
def comfyui_skill_commands():
    return [Command("linger", "leave work for the end of the process", run=run)]
'''


def test_the_process_ends_cleanly_without_the_interpreter_teardown(cli_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "linger_plugin.py").write_text(LINGERING_PLUGIN)
    env = {**cli_env, "LINGER_DIR": str(tmp_path)}
    result = run_subprocess(["-p", "linger_plugin", "linger", "--json"], path=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("x" * 100000) and '"collector_on": true' in result.stdout
    assert (tmp_path / "atexit").exists() and (tmp_path / "thread").exists()
    failed = run_subprocess(["server", "show", "nosuch"], path=None, env=cli_env)
    assert failed.returncode == ExitCode.NOT_FOUND and "nosuch" in failed.stderr


EXTRA_ARGS_PLUGIN = '''
from comfyui_skill import Command, hookimpl

def configure(parser):
    parser.add_argument("--known")
    parser.set_defaults(accepts_extra_args=True)

def run(ctx, args):
    return {"known": args.known, "extra": args.extra_args}

@hookimpl
def comfyui_skill_commands():
    return [Command("loose", "takes options it does not declare", configure=configure, run=run)]
'''


def test_a_command_may_accept_undeclared_options(run_cli: CliRunner, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "loose_plugin.py").write_text(EXTRA_ARGS_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = run_cli("-p", "loose_plugin", "loose", "--known", "k", "--prompt", "a cat", "--json")
    assert result.json()["data"] == {"known": "k", "extra": ["--prompt", "a cat"]}
    strict = run_cli("server", "list", "--prompt", "x")
    assert strict.exit_code == 2 and "unknown option --prompt" in strict.stderr


def test_hints_for_a_url_server_name_it_by_url(run_cli: CliRunner, refused_port: int) -> None:
    result = run_cli("--url", f"http://127.0.0.1:{refused_port}", "server", "stats")
    assert result.exit_code == ExitCode.UNREACHABLE
    assert f"check it with 'comfyui-skill --url http://127.0.0.1:{refused_port} server status'" in result.stderr
