"""The plugin's commands, run through the real CLI against a fake ComfyUI on a loopback port."""

from __future__ import annotations


def test_the_plugin_is_loaded(run_cli) -> None:
    listed = run_cli("plugins", "list", "--json").json()["data"]
    plugin = next(p for p in listed if p["name"] == "hello")
    assert plugin["status"] == "active"
    assert plugin["module"] == "comfyui_skill_hello"


def test_info_reports_the_server(run_cli, fake_comfy) -> None:
    result = run_cli("hello", "info", "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["url"] == fake_comfy.url
    assert data["comfyui_version"]
    assert data["queue_running"] == 0


def test_info_without_a_server_is_a_clean_error(run_cli) -> None:
    result = run_cli("hello", "info", "--json", "--url", "http://127.0.0.1:9")
    assert result.exit_code == 3  # unreachable
    assert result.json()["error"]["code"] == "unreachable"


def test_greet_uses_the_setting(run_cli) -> None:
    assert run_cli("hello", "greet").stdout.strip() == "hi, world"
    assert run_cli("hello", "greet", "you").stdout.strip() == "hi, you"
    configured = run_cli("hello", "greet", env={"COMFYUI_SKILL_HELLO_GREETING": "team"})
    assert configured.stdout.strip() == "hi, team"


def test_a_blank_greeting_is_refused_when_set_and_when_read(run_cli) -> None:
    refused = run_cli("config", "set", "hello.greeting", " ")
    assert refused.exit_code == 2 and "hello.greeting must name someone" in refused.stderr
    from_environment = run_cli("hello", "greet", env={"COMFYUI_SKILL_HELLO_GREETING": " "})
    assert from_environment.exit_code == 10 and "hello.greeting must name someone" in from_environment.stderr


def test_the_mcp_tool_is_offered(run_cli) -> None:
    tools = {tool["name"]: tool for tool in run_cli("mcp", "tools", "--json").json()["data"]}
    assert tools["hello_greet"]["plugin"] == "hello"
    assert tools["hello_greet"]["input_schema"]["properties"]["who"]["type"] == "string"
