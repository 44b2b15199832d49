"""Mistyped commands, subcommands, options and choices get the close real ones; an unknown option is
named as such, wherever it stands; a command of a disabled built-in plugin says how to enable it."""

from __future__ import annotations

import pytest

from comfyui_skill.testing import CliRunner


def test_a_mistyped_command_suggests_the_real_one(run_cli: CliRunner) -> None:
    result = run_cli("rnu")
    assert result.exit_code == 2
    assert "unknown command 'rnu'" in result.stderr
    assert "did you mean 'run'?" in result.stderr
    assert "invalid choice" not in result.stderr
    error = run_cli("rnu", "--json").json()["error"]
    assert error["details"]["suggestions"] == ["run"]


def test_a_mistyped_subcommand_suggests_the_real_one(run_cli: CliRunner) -> None:
    result = run_cli("server", "lst")
    assert result.exit_code == 2
    assert "'server' has no subcommand 'lst'" in result.stderr
    assert "did you mean 'list'?" in result.stderr
    nested = run_cli("plugins", "unistall", "x")
    assert "did you mean one of 'uninstall', 'install'?" in nested.stderr


def test_a_mistyped_choice_keeps_the_choices_and_suggests(run_cli: CliRunner) -> None:
    result = run_cli("--output", "txet", "server", "list")
    assert result.exit_code == 2
    assert "invalid choice: 'txet'" in result.stderr
    assert "did you mean 'text'?" in result.stderr


def test_an_unknown_option_of_a_command_suggests_its_close_options(run_cli: CliRunner) -> None:
    typo = run_cli("server", "list", "--jsn")
    assert typo.exit_code == 2
    assert "unknown option --jsn" in typo.stderr
    assert "did you mean '--json'?" in typo.stderr  # a hidden copy of a global option counts
    own = run_cli("jobs", "list", "--limt", "3")
    assert "unknown option --limt" in own.stderr and "did you mean '--limit'?" in own.stderr
    assert "3" not in own.stderr.splitlines()[0]  # the word after an unknown option is its value
    unrelated = run_cli("server", "list", "--zzzzzz")
    assert "unknown option --zzzzzz" in unrelated.stderr and "did you mean" not in unrelated.stderr


def test_an_unexpected_word_is_named_as_such(run_cli: CliRunner) -> None:
    result = run_cli("server", "list", "extra")
    assert result.exit_code == 2
    assert "unexpected argument: extra" in result.stderr


@pytest.mark.parametrize("command", [["run", "W1.json"], ["server", "list"]])
def test_an_unknown_option_before_the_command_is_a_global_option_error(run_cli: CliRunner,
                                                                       command: list[str]) -> None:
    result = run_cli("--bogus", *command)
    assert result.exit_code == 2
    assert "unknown global option --bogus" in result.stderr
    assert "needs a value" not in result.stderr
    typo = run_cli("--jsn", *command)
    assert "did you mean '--json'?" in typo.stderr


def test_known_global_options_before_the_command_are_not_reported(run_cli: CliRunner) -> None:
    """Abbreviations, attached values and grouped flags are what argparse accepts: none is unknown."""
    result = run_cli("--verb", "-sfoo", "--url=http://127.0.0.1:9", "-vq", "server", "list", "--bogus")
    assert "unknown option --bogus" in result.stderr
    assert "global" not in result.stderr


def test_a_command_of_a_disabled_builtin_plugin_says_how_to_enable_it(run_cli: CliRunner) -> None:
    by_option = run_cli("-p", "no:run", "submit", "W1.json")
    assert by_option.exit_code == 2
    assert "command 'submit' belongs to plugin 'run', which is disabled" in by_option.stderr
    assert "drop '-p no:run'" in by_option.stderr
    assert run_cli("plugins", "disable", "nodes").exit_code == 0
    by_config = run_cli("nodes", "list")
    assert "command 'nodes' belongs to plugin 'nodes', which is disabled" in by_config.stderr
    assert "run 'comfyui-skill plugins enable nodes'" in by_config.stderr


def test_a_mistyped_server_name_or_kind_suggests_the_close_one(run_cli: CliRunner, fake_comfy) -> None:
    assert run_cli("server", "add", "studio", fake_comfy.url).exit_code == 0
    for argv in (["-s", "studi", "queue", "list"], ["server", "show", "studi"], ["server", "use", "studi"],
                 ["server", "remove", "studi"], ["config", "set", "servers.studi.read_timeout", "5"]):
        result = run_cli(*argv)
        assert result.exit_code == 7, argv
        assert "did you mean 'studio'?" in result.stderr, argv
    kind = run_cli("--url", fake_comfy.url, "--kind", "lcal", "queue", "list")
    assert kind.exit_code == 10 and "did you mean 'local'?" in kind.stderr


def test_an_unknown_global_option_with_a_value_is_not_taken_for_an_unknown_command(run_cli: CliRunner) -> None:
    result = run_cli("--bogus", "3", "server", "list")
    assert result.exit_code == 2
    assert "unknown global option --bogus" in result.stderr and "unknown command" not in result.stderr
