"""``workflow validate``: parameter and graph checks without submitting; deprecated node classes
(``/node_replacements``) on import and validate; ``workflow upgrade``."""

from __future__ import annotations

import json

from comfyui_skill import ExitCode

from .conftest import chain, deprecate_load_image, fixture_path

BROKEN = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 99999, "batch_size": 1, "color": 0}},
    "2": {"class_type": "ImageInvert", "inputs": {"image": ["9", 0]}},
    "3": {"class_type": "ImageInvert", "inputs": {"image": ["1", 2]}},
    "4": {"class_type": "VAEDecode", "inputs": {"samples": ["1", 0]}},
    "5": {"class_type": "ImageInvert", "inputs": {"image": ["6", 0]}},
    "6": {"class_type": "ImageInvert", "inputs": {"image": ["5", 0]}},
    "7": {"class_type": "NoSuchNode", "inputs": {}},
}

#: ResizeImagesByLongerEdge and ImageScaleBy are deprecated in the recorded /node_replacements.
OLD = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 48, "batch_size": 1, "color": 0}},
    "2": {"class_type": "ResizeImagesByLongerEdge", "inputs": {"images": ["1", 0], "longer_edge": 32}},
    "3": {"class_type": "ImageScaleBy", "inputs": {"image": ["2", 0], "upscale_method": "area", "scale_by": 0.5}},
    "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "old"}},
}


def submitted(fake) -> int:
    return sum(r.method == "POST" and r.path == "/prompt" for r in fake.requests)


def test_every_graph_problem_is_listed_and_nothing_is_submitted(run_cli, fake_comfy, write_json):
    result = run_cli("workflow", "validate", write_json(BROKEN), "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    error = result.json()["error"]
    found = {(p["node"], p["problem"], p["input"]) for p in error["details"]["problems"]}
    assert found == {("1", "invalid_value", "height"), ("2", "dangling_link", "image"),
                     ("3", "bad_output_index", "image"), ("4", "type_mismatch", "samples"),
                     ("4", "missing_input", "vae"), ("7", "unknown_class", None), ("5", "cycle", None),
                     (None, "no_output_node", None)}
    assert error["details"]["valid"] is False
    assert "expects LATENT" in error["message"] and "cycle: 5 -> 6 -> 5" in error["message"]
    assert "image: node 1 has 1 output, no output 2" in error["message"]  # "1 output", not "1 output(s)"
    assert submitted(fake_comfy) == 0


def test_a_valid_workflow_exits_0(run_cli, fake_comfy):
    result = run_cli("workflow", "validate", fixture_path("W1_empty_image_save.json"), "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"] == {"workflow": fixture_path("W1_empty_image_save.json"), "valid": True,
                                     "problems": [], "deprecated": []}
    text = run_cli("workflow", "validate", fixture_path("W1_empty_image_save.json"), server=fake_comfy)
    assert text.exit_code == 0 and "valid (2 nodes)" in text.stdout
    assert submitted(fake_comfy) == 0


def test_parameters_are_checked_as_run_checks_them(run_cli, fake_comfy):
    ok = run_cli("workflow", "validate", fixture_path("W1_empty_image_save.json"), "--width", "128", server=fake_comfy)
    assert ok.exit_code == 0, ok.stderr
    bad = run_cli("workflow", "validate", fixture_path("W1_empty_image_save.json"), "--width", "0",
                  "--bogus", "1", "--json", server=fake_comfy)
    assert bad.exit_code == ExitCode.REJECTED
    problems = bad.json()["error"]["details"]["problems"]
    assert [(p["problem"], p["input"]) for p in problems] == [("invalid_parameter", "width"),
                                                              ("invalid_parameter", "bogus")]


def test_editor_format_unknown_classes_and_stored_names(run_cli, fake_comfy, write_json):
    document = chain(middle_mode=0)
    document["nodes"][1]["type"] = "GoneNode"
    result = run_cli("workflow", "validate", write_json(document), "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    assert [(p["node"], p["class_type"], p["problem"]) for p in result.json()["error"]["details"]["problems"]] == \
        [("2", "GoneNode", "unknown_class")]
    run_cli("workflow", "import", write_json(chain(middle_mode=0)), "--name", "red", server=fake_comfy)
    assert run_cli("workflow", "validate", "red", server=fake_comfy).exit_code == 0


def test_deprecated_nodes_are_reported_on_import_and_validate(run_cli, fake_comfy, write_json):
    imported = run_cli("workflow", "import", write_json(OLD), "--name", "old", "--json", server=fake_comfy)
    assert imported.json()["data"]["imported"][0]["deprecated"] == [
        {"node": "2", "class_type": "ResizeImagesByLongerEdge", "replacement": "ImageScaleToMaxDimension"},
        {"node": "3", "class_type": "ImageScaleBy", "replacement": "ResizeImageMaskNode"}]
    text = run_cli("workflow", "import", write_json(OLD), "--name", "old", "--force", server=fake_comfy)
    assert "ImageScaleBy is deprecated, replaced by ResizeImageMaskNode" in text.stderr + text.stdout
    valid = run_cli("workflow", "validate", "old", "--json", server=fake_comfy)
    assert valid.exit_code == 0  # deprecated classes still run
    assert [d["replacement"] for d in valid.json()["data"]["deprecated"]] == \
        ["ImageScaleToMaxDimension", "ResizeImageMaskNode"]


def test_upgrade_applies_the_mapping_to_a_new_stored_workflow(run_cli, fake_comfy, write_json, stored):
    downstream = {**OLD, "5": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}}}
    run_cli("workflow", "import", write_json(downstream), "--name", "old", server=fake_comfy)
    original = (stored / "old.json").read_text()
    result = run_cli("workflow", "upgrade", "old", "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["upgraded"] == "old-upgraded" and len(data["changes"]) == 2
    assert data["changes"][1]["set"] == {"resize_type": "scale by multiplier"}
    assert (stored / "old.json").read_text() == original
    new = json.loads((stored / "old-upgraded.json").read_text())
    assert new["2"] == {"class_type": "ImageScaleToMaxDimension",
                        "inputs": {"image": ["1", 0], "largest_size": 32, "upscale_method": "lanczos"}}
    assert new["3"] == {"class_type": "ResizeImageMaskNode",
                        "inputs": {"input": ["2", 0], "resize_type": "scale by multiplier",
                                   "resize_type.multiplier": 0.5, "scale_method": "area"}}
    assert new["5"]["inputs"]["images"] == ["2", 0]
    assert run_cli("workflow", "validate", "old-upgraded", "--json", server=fake_comfy).json()["data"]["deprecated"] == []
    again = run_cli("workflow", "upgrade", "old", server=fake_comfy)
    assert again.exit_code == ExitCode.USAGE and "--force" in again.stderr
    text = run_cli("workflow", "upgrade", "old", "--as", "newer", server=fake_comfy)
    assert "ResizeImagesByLongerEdge -> ImageScaleToMaxDimension" in text.stdout
    assert "longer_edge -> largest_size" in text.stdout and "old is unchanged" in text.stdout


def test_upgrade_moves_and_removes_links_per_output_mapping(run_cli, fake_comfy, write_json, stored):
    deprecate_load_image(fake_comfy)
    graph = {"1": {"class_type": "LoadImage", "inputs": {"image": "in1.png"}},
             "2": {"class_type": "MaskToImage", "inputs": {"mask": ["1", 1]}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "a"}},
             "4": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "b"}}}
    run_cli("workflow", "import", write_json(graph), "--name", "masks", server=fake_comfy)
    result = run_cli("workflow", "upgrade", "masks", "--as", "masks2", "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["changes"][0]["links"] == [{"node": "2", "input": "mask", "from": 1, "to": 0},
                                                           {"node": "3", "input": "images", "from": 0, "to": None}]
    new = json.loads((stored / "masks2.json").read_text())
    assert new["1"] == {"class_type": "LoadImageMask", "inputs": {"image": "in1.png", "channel": "alpha"}}
    assert new["2"]["inputs"] == {"mask": ["1", 0]} and "images" not in new["3"]["inputs"]
    nothing = run_cli("workflow", "upgrade", "masks2", "--json", server=fake_comfy)
    assert nothing.json()["data"]["changes"] == [] and not (stored / "masks2-upgraded.json").exists()


def test_path_like_combo_values_no_file_system_can_hold_are_plain_invalid_values(run_cli, fake_comfy, write_json):
    for value in ("~nosuchuser-p5b/x.png", "./" + "a" * 300):
        graph = {"1": {"class_type": "LoadImage", "inputs": {"image": value}},
                 "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}
        result = run_cli("workflow", "validate", write_json(graph), "--json", server=fake_comfy)
        assert result.exit_code == ExitCode.REJECTED, result.stderr
        assert [p["problem"] for p in result.json()["error"]["details"]["problems"]] == ["invalid_value"]
