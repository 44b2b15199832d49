"""Tables: nothing is cut when stdout is not a terminal; on a terminal the widest columns give up space first."""

from __future__ import annotations

from pathlib import Path

from comfyui_skill import ExitCode, render_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "workflows"
SD35 = str(FIXTURES / "ui_txt2img_sd3.5_simple_example.json")
SD35_URL = ("https://huggingface.co/Comfy-Org/stable-diffusion-3.5-fp8/resolve/main/"
            "sd3.5_large_fp8_scaled.safetensors?download=true")


def test_without_a_width_nothing_is_cut():
    rows = [("a" * 150, "b" * 90)]
    assert render_table(rows, ("A", "B"), width=None) == ["A" + " " * 151 + "B", "a" * 150 + "  " + "b" * 90]


def test_the_widest_column_gives_up_space_first():
    rows = [("Load Upscale Model", "model/loaders/with/a/very/long/category/path", "core")]
    header, line = render_table(rows, ("NAME", "CATEGORY", "PACK"), width=60)
    assert len(line) <= 60 and line.startswith("Load Upscale Model  model/loaders/")  # the short one is whole
    assert "…" in line and line.endswith("  core")


def test_columns_cut_to_the_same_size_once_both_must_give():
    rows = [("n" * 50, "c" * 40, "x")]
    _, line = render_table(rows, ("NAME", "CATEGORY", "P"), width=50)
    name, category, pack = line.split("  ")
    assert len(line) == 50 and (len(name), len(category)) in ((22, 23), (23, 22)) and pack == "x"
    assert name.endswith("…") and category.endswith("…")


def test_only_the_shrink_columns_are_cut():
    prompt_id = "0d1f6a43-8c5e-4a6b-9b0e-3f1c2a5d7e90"
    _, line = render_table([(prompt_id, "o" * 80)], ("PROMPT ID", "OUTPUT"), width=60, shrink=(1,))
    assert line.startswith(prompt_id + "  ") and len(line) == 60


def test_deps_check_in_a_pipe_keeps_the_whole_url(run_cli, fake_comfy):
    piped = run_cli("deps", "check", SD35, server=fake_comfy, env={"COLUMNS": "40"})
    assert piped.exit_code == ExitCode.NOT_FOUND and SD35_URL in piped.stdout
    on_terminal = run_cli("deps", "check", SD35, server=fake_comfy, env={"COLUMNS": "60"}, terminal=True)
    assert SD35_URL not in on_terminal.stdout and all(len(line) <= 60 for line in on_terminal.stdout.splitlines())


def test_workflow_show_keeps_whole_defaults_and_choices_in_a_pipe(run_cli, fake_comfy):
    run_cli("workflow", "import", SD35, "--name", "sd")
    shown = run_cli("workflow", "show", "sd", "--json", server=fake_comfy).json()["data"]["parameters"]
    by_name = {p["name"]: p for p in shown}
    prompt, choices = by_name["prompt"]["default"], ", ".join(by_name["sampler"]["choices"])
    assert len(prompt) > 100 and len(choices) > 100
    piped = run_cli("workflow", "show", "sd", server=fake_comfy, env={"COLUMNS": "80"}).stdout.splitlines()
    assert next(line for line in piped if line.startswith("prompt ")).endswith(prompt)
    assert next(line for line in piped if line.startswith("sampler ")).endswith(choices)
    on_terminal = run_cli("workflow", "show", "sd", server=fake_comfy, env={"COLUMNS": "80"}, terminal=True).stdout
    assert all(len(line) <= 80 for line in on_terminal.splitlines())
    assert "585483408983215" in on_terminal  # a short default is not cut while the prompt has room to give


def test_nodes_search_keeps_short_display_names_on_a_terminal(run_cli, fake_comfy):
    lines = run_cli("nodes", "search", "upscale", server=fake_comfy, env={"COLUMNS": "80"},
                    terminal=True).stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert any(line.startswith("UpscaleModelLoader") and "Load Upscale Model  " in line for line in lines)
