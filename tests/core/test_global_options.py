"""Every option means what it says: global options before and after the command, the server a
command talks to (-s, --url, --kind), and the options of 'server add' that share a global's name."""

from __future__ import annotations

from typing import Any

from comfyui_skill.app import build_parser
from comfyui_skill.errors import ExitCode
from comfyui_skill.plugins import PluginHost
from comfyui_skill.testing import CliRunner

REPEAT_HINT = "a global option may come before or after the command"


def test_a_global_option_given_twice_with_two_values_is_an_error(run_cli: CliRunner) -> None:
    run_cli("server", "add", "gpu", "http://10.1.2.3:8188")
    for argv in (["--url", "http://a:1", "queue", "list", "--url", "http://b:2"],  # before and after
                 ["queue", "list", "--url", "http://a:1", "--url", "http://b:2"],  # twice after
                 ["-s", "local", "server", "show", "--server", "gpu"]):
        result = run_cli(*argv)
        assert result.exit_code == ExitCode.USAGE, argv
        assert "is given twice, as" in result.stderr and REPEAT_HINT in result.stderr, argv
        assert "Traceback" not in result.stderr
    nested = run_cli("server", "--output", "json", "show", "--output", "text")  # between two subcommands
    assert nested.exit_code == ExitCode.USAGE and "--output is given twice, as 'json' and 'text'" in nested.stderr
    same = run_cli("-s", "gpu", "server", "show", "-s", "gpu", "--json")
    assert same.exit_code == 0 and same.json()["data"]["name"] == "gpu"


def test_a_commands_own_option_given_twice_with_two_values_is_an_error(run_cli: CliRunner) -> None:
    for argv, message in (
            (["deps", "models", "install", "--url", "http://a/x.safetensors", "--folder", "loras",
              "--url", "http://b/y.safetensors"],
             "--url is given twice, as 'http://a/x.safetensors' and 'http://b/y.safetensors': give it once"),
            (["server", "add", "gpu", "http://a:1", "--kind", "local", "--kind", "cloud"],
             "--kind is given twice, as 'local' and 'cloud': give it once"),
            (["history", "list", "--limit", "3", "--limit=4"], "--limit is given twice, as '3' and '4'")):
        result = run_cli(*argv)
        assert result.exit_code == ExitCode.USAGE, argv
        assert message in result.stderr, result.stderr
    assert "gpu" not in run_cli("server", "list").stdout  # nothing was added
    assert run_cli("history", "list", "--limit", "3", "--limit", "3").exit_code == 0  # the same value twice


def test_a_password_in_a_repeated_url_is_not_shown(run_cli: CliRunner) -> None:
    result = run_cli("--url", "http://me:hunter2@a:1", "queue", "list", "--url", "http://b:2")
    assert result.exit_code == ExitCode.USAGE
    assert "hunter2" not in result.stderr and "http://me:***@a:1" in result.stderr


def test_verbose_counts_add_up_before_and_after_the_command() -> None:
    parser = build_parser(PluginHost().load(), configure=True)
    assert parser.parse_known_args(["-v", "server", "list", "-vv"])[0].verbose == 3
    assert parser.parse_known_args(["server", "-v", "list"])[0].verbose == 1
    assert parser.parse_known_args(["server", "list"])[0].verbose == 0


def test_url_and_server_together_is_an_error(run_cli: CliRunner) -> None:
    for argv in (["--url", "http://a:1", "-s", "local", "queue", "list"],
                 ["--url", "http://a:1", "queue", "list", "-s", "local"]):
        result = run_cli(*argv)
        assert result.exit_code == ExitCode.USAGE, argv
        assert "--url names a one-off server and -s/--server the configured server 'local'" in result.stderr


def test_a_url_given_as_a_server_name_says_to_use_url(run_cli: CliRunner) -> None:
    for argv, env in ((["-s", "http://me:hunter2@a:1", "queue", "list"], {}),
                      (["queue", "list"], {"COMFYUI_SKILL_SERVER": "http://me:hunter2@a:1"})):
        result = run_cli(*argv, env=env)
        assert result.exit_code == ExitCode.USAGE, argv
        assert "'http://me:***@a:1' is a URL, not the name of a configured server" in result.stderr, argv
        assert "--url http://me:***@a:1" in result.stderr and "hunter2" not in result.stderr


def test_json_and_another_output_mode_is_an_error(run_cli: CliRunner) -> None:
    result = run_cli("--json", "server", "list", "--output", "text")
    assert result.exit_code == ExitCode.USAGE
    assert result.json()["error"]["message"] == "--json means --output json: it contradicts --output text"
    assert run_cli("--json", "server", "list", "--output", "json").exit_code == 0


def test_kind_without_url_is_an_error_where_a_server_is_used(run_cli: CliRunner, fake_comfy: Any) -> None:
    run_cli("server", "add", "gpu", fake_comfy.url)
    for argv in (["--kind", "cloud", "queue", "list"], ["-s", "gpu", "queue", "list", "--kind", "cloud"]):
        result = run_cli(*argv)
        assert result.exit_code == ExitCode.USAGE, argv
        assert "--kind cloud applies only to a server given by its URL (--url)" in result.stderr
        assert "server add NAME URL --kind KIND" in result.stderr


def test_server_options_a_command_does_not_use_are_reported(run_cli: CliRunner) -> None:
    run_cli("server", "add", "gpu", "http://10.1.2.3:8188")
    listing = run_cli("server", "list", "-s", "gpu")
    assert listing.exit_code == 0
    assert "warning: -s/--server not used: 'server list' talks to no selected server" in listing.stderr
    shown = run_cli("server", "show", "gpu", "--url", "http://a:1", "--kind", "cloud", "--json")
    assert shown.exit_code == 0 and shown.json()["data"]["name"] == "gpu"
    assert "warning: --url and --kind not used: 'server show'" in shown.stderr
    used = run_cli("server", "show", "--url", "http://a:1", "--kind", "cloud", "--json")
    assert used.json()["data"]["kind"] == "cloud" and "warning" not in used.stderr


def test_server_add_url_and_kind_after_the_command_are_the_new_servers(run_cli: CliRunner) -> None:
    added = run_cli("server", "add", "c2", "--kind", "cloud", "--url", "https://other.example.com")
    assert added.exit_code == 0, added.stderr
    assert added.stdout.strip() == "added server 'c2' (cloud) at https://other.example.com"
    shown = run_cli("server", "show", "c2", "--json").json()["data"]
    assert (shown["url"], shown["kind"]) == ("https://other.example.com", "cloud")

    both = run_cli("server", "add", "c3", "http://a:1", "--url", "http://b:2")
    assert both.exit_code == ExitCode.USAGE
    assert "two URLs for server 'c3': http://a:1 and --url http://b:2" in both.stderr
    assert run_cli("server", "add", "c3", "http://a:1", "--url", "http://a:1/").exit_code == 0  # the same URL

    before = run_cli("--url", "http://x:1", "server", "add", "c4")
    assert before.exit_code == ExitCode.USAGE
    assert "give the new server's URL after its name: 'comfyui-skill server add c4 http://x:1'" in before.stderr
    names = {s["name"] for s in run_cli("server", "list", "--json").json()["data"]}
    assert names == {"local", "c2", "c3"}  # nothing written for c4


def test_a_url_without_scheme_means_http(run_cli: CliRunner, fake_comfy: Any) -> None:
    host_port = fake_comfy.url.removeprefix("http://")
    added = run_cli("server", "add", "gpu", host_port)
    assert added.stdout.strip() == f"added server 'gpu' (local) at {fake_comfy.url}"
    result = run_cli("--url", host_port, "queue", "list")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"the queue of server '{fake_comfy.url}' is empty"
    bad = run_cli("--url", "ftp://a:1", "queue", "list")
    assert bad.exit_code == ExitCode.USAGE and "'ftp://a:1' is not a server URL" in bad.stderr


def test_a_one_off_server_is_named_by_its_url_without_credentials(run_cli: CliRunner, fake_comfy: Any) -> None:
    with_password = fake_comfy.url.replace("http://", "http://me:hunter2@") + "/"
    status = run_cli("--url", with_password, "server", "status", "--json")
    assert status.exit_code == 0, status.stderr
    (report,) = status.json()["data"]
    assert report["name"] == fake_comfy.url
    assert "hunter2" not in status.stdout + status.stderr
    text = run_cli("--url", fake_comfy.url, "server", "status")
    assert text.stdout.splitlines()[0].split() == ["server:", fake_comfy.url]
    assert run_cli("server", "add", "gpu", with_password).stdout.strip() == (
        f"added server 'gpu' (local) at {with_password.replace('hunter2', '***').rstrip('/')}")
    shown = run_cli("server", "show", "gpu")
    assert "hunter2" not in shown.stdout and "me:***@" in shown.stdout
