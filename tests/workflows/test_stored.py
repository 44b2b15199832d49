"""Stored workflows (import/list/show/export/rename/delete) and ``run NAME`` with named parameters."""

from __future__ import annotations

import json
import urllib.request

from comfyui_skill import ExitCode

from .conftest import chain, fixture_path


def posted_prompts(fake):
    return [json.loads(r.body)["prompt"] for r in fake.requests if r.method == "POST" and r.path == "/prompt"]


def test_import_list_export_rename_delete(run_cli, fake_comfy, stored):
    assert run_cli("workflow", "import", fixture_path("ui_txt2img_sd3.5_simple_example.json")).exit_code == 0
    assert (stored / "ui_txt2img_sd3.5_simple_example.json").is_file()
    assert run_cli("workflow", "import", fixture_path("W1_empty_image_save.json"), "--name", "w1").exit_code == 0
    listing = run_cli("workflow", "list", "--json").json()["data"]
    assert listing == [{"name": "ui_txt2img_sd3.5_simple_example", "format": "editor", "nodes": 8},
                       {"name": "w1", "format": "api", "nodes": 2}]
    again = run_cli("workflow", "import", fixture_path("W1_empty_image_save.json"), "--name", "w1")
    assert again.exit_code == ExitCode.USAGE and "--force" in again.stderr
    exported = run_cli("workflow", "export", "w1", "--json").json()["data"]
    assert exported == json.loads(open(fixture_path("W1_empty_image_save.json")).read())
    assert run_cli("workflow", "rename", "w1", "first").exit_code == 0
    assert run_cli("workflow", "export", "w1").exit_code == ExitCode.NOT_FOUND
    refused = run_cli("workflow", "delete", "first")  # no terminal: --yes is required
    assert refused.exit_code == ExitCode.USAGE and "--yes" in refused.stderr
    assert run_cli("workflow", "delete", "first", "--yes").exit_code == 0
    assert [w["name"] for w in run_cli("workflow", "list", "--json").json()["data"]] == \
        ["ui_txt2img_sd3.5_simple_example"]


def test_export_api_converts_with_the_server_catalog(run_cli, fake_comfy):
    run_cli("workflow", "import", fixture_path("ui_subgraph_flux_dev_checkpoint_example.json"), "--name", "flux")
    api = run_cli("workflow", "export", "flux", "--api", "--json", server=fake_comfy).json()["data"]
    assert api["9"]["inputs"]["images"] == ["56:53", 0]


def test_invalid_documents_and_names_are_refused(run_cli, write_json):
    assert run_cli("workflow", "import", write_json({"a": 1})).exit_code == ExitCode.USAGE
    bad = run_cli("workflow", "import", fixture_path("W1_empty_image_save.json"), "--name", "../evil")
    assert bad.exit_code == ExitCode.USAGE and "invalid workflow name" in bad.stderr


def test_import_counts_nodes_in_words(run_cli, fake_comfy, stored, write_json):
    one = write_json({"1": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}})
    imported = run_cli("workflow", "import", one, "--name", "one")
    assert imported.exit_code == 0 and imported.stdout.strip() == "imported one (api format, 1 node)"


def test_import_from_server_userdata(run_cli, fake_comfy):
    body = json.dumps(chain(middle_mode=0)).encode()
    request = urllib.request.Request(f"{fake_comfy.url}/userdata/workflows%2Fred%20chain.json", data=body,
                                     method="POST")
    urllib.request.urlopen(request).close()
    result = run_cli("workflow", "import", "--from-server", "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["imported"] == [{"name": "red chain", "format": "editor", "nodes": 4, "deprecated": []}]
    by_url = run_cli("workflow", "import", f"{fake_comfy.url}/api/userdata/workflows%2Fred%20chain.json",
                     "--name", "by-url", server=fake_comfy)
    assert by_url.exit_code == 0, by_url.stderr
    assert {"/userdata/workflows%2Fred%20chain.json"} <= {r.path for r in fake_comfy.requests}


def test_show_lists_friendly_parameters_with_server_limits(run_cli, fake_comfy):
    run_cli("workflow", "import", fixture_path("ui_txt2img_sd3.5_simple_example.json"), "--name", "sd")
    data = run_cli("workflow", "show", "sd", "--json", server=fake_comfy).json()["data"]
    by_name = {p["name"]: p for p in data["parameters"]}
    assert {"prompt", "negative", "seed", "steps", "cfg", "width", "height", "batch", "sampler", "scheduler",
            "checkpoint", "denoise"} <= set(by_name)
    assert by_name["prompt"]["address"] == "16.text" and by_name["negative"]["address"] == "40.text"
    steps = by_name["steps"]
    assert (steps["type"], steps["default"], steps["min"], steps["max"]) == ("INT", 20, 1, 10000)
    assert "euler" in by_name["sampler"]["choices"]
    text = run_cli("workflow", "show", "sd", server=fake_comfy, terminal=True)
    assert text.exit_code == 0 and all(len(line) <= 100 for line in text.stdout.splitlines())


def test_run_stored_editor_workflow_with_named_parameters(run_cli, fake_comfy, write_json, tmp_path):
    run_cli("workflow", "import", write_json(chain(middle_mode=0)), "--name", "red")
    result = run_cli("run", "red", "--width", "32", "--set", "Red.height=16", "--args", '{"prefix": "probe/x"}',
                     "-o", str(tmp_path / "out"), "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    [prompt] = posted_prompts(fake_comfy)
    assert prompt["1"]["inputs"] == {"width": 32, "height": 16, "batch_size": 1, "color": 16711680}
    assert prompt["3"]["inputs"]["filename_prefix"] == "probe/x"
    assert prompt["2"]["inputs"]["image"] == ["1", 0]


def test_bad_parameters_are_rejected_before_submission(run_cli, fake_comfy):
    run_cli("workflow", "import", fixture_path("W1_empty_image_save.json"), "--name", "w1")
    # (--batch is run's own option since batch runs exist: the batch parameter goes through --args)
    result = run_cli("run", "w1", "--width", "99999", "--height", "tall", "--colour", "1",
                     "--args", '{"batch": "inf"}', "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    problems = {p["parameter"]: p["problem"] for p in result.json()["error"]["details"]["problems"]}
    assert problems == {"width": "99999 is out of range (1 to 16384)", "height": "'tall' is not a number",
                        "colour": "unknown parameter", "batch": "'inf' is not a finite number"}
    assert posted_prompts(fake_comfy) == []


def test_combo_value_not_offered_lists_the_choices(run_cli, fake_comfy):
    run_cli("workflow", "import", fixture_path("ui_txt2img_sd3.5_simple_example.json"), "--name", "sd")
    bad = run_cli("submit", "sd", "--sampler", "nope", "--json", server=fake_comfy)
    assert bad.exit_code == ExitCode.REJECTED
    [problem] = bad.json()["error"]["details"]["problems"]
    assert problem["parameter"] == "sampler" and "euler" in problem["valid"]
    assert posted_prompts(fake_comfy) == []


def test_unknown_option_without_parameters_is_usage(run_cli, fake_comfy):
    run_cli("workflow", "import", fixture_path("W1_empty_image_save.json"), "--name", "w1")
    result = run_cli("run", "w1", "stray", server=fake_comfy)
    assert result.exit_code == ExitCode.USAGE and "stray" in result.stderr


def test_an_unknown_option_without_a_value_is_named_not_short_of_a_value(run_cli, fake_comfy):
    run_cli("workflow", "import", fixture_path("W1_empty_image_save.json"), "--name", "w1")
    for command in ("run", "submit"):
        for tail in (["--bogus"], ["--bogus", "--width", "8"]):
            result = run_cli(command, "w1", *tail, server=fake_comfy)
            assert result.exit_code == ExitCode.USAGE
            assert "unknown option or parameter --bogus" in result.stderr
            assert "needs a value" not in result.stderr
            assert "parameters: batch, height, prefix, width" in result.stderr  # few: all listed
    short = run_cli("run", "w1", "--width", "--height", "8", server=fake_comfy)
    assert short.exit_code == ExitCode.USAGE and "--width needs a value" in short.stderr
    assert posted_prompts(fake_comfy) == []


def test_a_mistyped_parameter_or_option_hints_only_the_close_names(run_cli, fake_comfy):
    run_cli("workflow", "import", fixture_path("W1_empty_image_save.json"), "--name", "w1")
    typo = run_cli("run", "w1", "--widht", "8", "--json", server=fake_comfy)
    assert typo.exit_code == ExitCode.REJECTED
    hint = typo.json()["error"]["hint"]
    assert "did you mean '--width'?" in hint and "height" not in hint and "prefix" not in hint
    address = run_cli("run", "w1", "--1.widht", "8", server=fake_comfy)
    assert "'--1.width'" in address.stderr
    option = run_cli("run", "w1", "--timout", "30", server=fake_comfy)
    assert "did you mean '--timeout'? (an option of 'comfyui-skill run')" in option.stderr
    assert posted_prompts(fake_comfy) == []


def test_a_mistyped_stored_workflow_name_suggests_the_stored_one(run_cli, fake_comfy):
    run_cli("workflow", "import", fixture_path("W1_empty_image_save.json"), "--name", "empty-image")
    for argv in (["workflow", "show", "empty-imag"], ["workflow", "delete", "empty-imag", "-y"],
                 ["run", "empty-imge"], ["submit", "Empty-Image"]):
        result = run_cli(*argv, server=fake_comfy)
        assert result.exit_code == ExitCode.NOT_FOUND, argv
        assert "did you mean 'empty-image'?" in result.stderr, argv
    unrelated = run_cli("run", "zzqqxx", server=fake_comfy)
    assert "did you mean" not in unrelated.stderr and "API-format JSON file" in unrelated.stderr
    assert posted_prompts(fake_comfy) == []


def test_export_to_a_file_that_cannot_be_written_names_that_file(run_cli, tmp_path):
    """An io error, about the file asked for (not the temporary file it is written through first)."""
    assert run_cli("workflow", "import", fixture_path("W1_empty_image_save.json"), "--name", "w1").exit_code == 0
    target = tmp_path / "out" / ("x" * 245 + ".json")  # a valid name, but its temporary sibling's is too long
    document = run_cli("workflow", "export", "w1", "-o", str(target), "--json").json()
    assert document["error"]["code"] == "io", document
    assert document["error"]["message"].startswith(f"cannot access {target}: ")
    assert document["error"]["details"]["path"] == str(target) and not list((tmp_path / "out").iterdir())
