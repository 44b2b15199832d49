"""NODE.INPUT addresses with dots in input names (autogrow, dynamic combos) and friendly names."""

from __future__ import annotations

import json
from pathlib import Path

from comfyui_skill.testing import CliRunner
from comfyui_skill.testing.fake_comfyui import FakeComfyUI

WORKFLOWS = Path(__file__).resolve().parents[1] / "fixtures" / "workflows"


def sent_prompt(fake: FakeComfyUI) -> dict:
    post = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/prompt")][-1]
    return json.loads(post.body)["prompt"]


def test_dotted_input_names_can_be_set(run_cli: CliRunner, fake_comfy: FakeComfyUI) -> None:
    workflow = str(WORKFLOWS / "W6_runtime_error.json")
    result = run_cli("submit", workflow, "--set", "1.values.a=3", "--set", "1.expression=a*2", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert sent_prompt(fake_comfy)["1"]["inputs"] == {"expression": "a*2", "values.a": 3}
    nested = run_cli("submit", workflow, "--args", '{"1": {"values.a": 7}}', server=fake_comfy)
    assert nested.exit_code == 0, nested.stderr
    assert sent_prompt(fake_comfy)["1"]["inputs"]["values.a"] == 7


def test_set_takes_a_friendly_parameter_name(run_cli: CliRunner, fake_comfy: FakeComfyUI) -> None:
    result = run_cli("submit", str(WORKFLOWS / "W1_empty_image_save.json"), "--set", "width=32", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert sent_prompt(fake_comfy)["1"]["inputs"]["width"] == 32


def test_an_address_naming_no_node_lists_the_ids(run_cli: CliRunner, fake_comfy: FakeComfyUI) -> None:
    result = run_cli("submit", str(WORKFLOWS / "W1_empty_image_save.json"), "--set", "9.width=32", server=fake_comfy)
    assert result.exit_code == 2
    assert "no node '9'" in result.stderr and "node ids: 1, 2" in result.stderr


def test_two_values_for_one_input_are_an_error(run_cli: CliRunner, fake_comfy: FakeComfyUI) -> None:
    w1 = str(WORKFLOWS / "W1_empty_image_save.json")
    for argv, message in (
            (["--set", "1.width=40", "--width", "50"], "1.width and width are the same input (1.width) with two "
                                                       "values, 40 and 50"),
            (["--set", "width=40", "--width", "50"], "width and width are the same input (1.width)"),
            (["--set", "EmptyImage.width=40", "--set", "1.width=48"], "EmptyImage.width and 1.width are the same "
                                                                      "input (1.width) with two values, 40 and 48"),
            (["--set", "1.width=40", "--set", "1.width=50"], "--set 1.width is given twice, as 40 and 50"),
            (["--width", "40", "--width=50"], "--width is given twice, as '40' and '50'")):
        result = run_cli("submit", w1, *argv, server=fake_comfy)
        assert result.exit_code == 2, argv
        assert message in result.stderr, (argv, result.stderr)
    assert not [r for r in fake_comfy.requests if r.method == "POST" and r.path.endswith("/prompt")]
    same = run_cli("submit", w1, "--set", "1.width=40", "--width", "40", server=fake_comfy)
    assert same.exit_code == 0, same.stderr
    assert sent_prompt(fake_comfy)["1"]["inputs"]["width"] == 40
    layered = run_cli("submit", w1, "--args", '{"1.width": 8}', "--set", "1.width=16", server=fake_comfy)
    assert layered.exit_code == 0 and sent_prompt(fake_comfy)["1"]["inputs"]["width"] == 16  # --set over --args
