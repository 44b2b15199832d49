"""``workflow convert``: editor format to API format, checked against the frontend's rules."""

from __future__ import annotations

import json
import urllib.request

from comfyui_skill import ExitCode

from .conftest import chain, fixture_path, node


def convert(run_cli, fake_comfy, path):
    result = run_cli("workflow", "convert", path, "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    return result.json()["data"]


def test_simple_template_widgets_links_titles(run_cli, fake_comfy):
    api = convert(run_cli, fake_comfy, fixture_path("ui_txt2img_sd3.5_simple_example.json"))
    assert set(api) == {"3", "4", "8", "9", "16", "40", "53"}  # the MarkdownNote is not sent
    assert api["3"] == {"class_type": "KSampler", "_meta": {"title": "KSampler"}, "inputs": {
        "seed": 585483408983215, "steps": 20, "cfg": 4.01, "sampler_name": "euler", "scheduler": "sgm_uniform",
        "denoise": 1, "model": ["4", 0], "positive": ["16", 0], "negative": ["40", 0], "latent_image": ["53", 0]}}
    assert "control_after_generate" not in api["3"]["inputs"]
    assert api["16"]["_meta"]["title"] == "Positive Prompt"  # the node's own title
    assert api["4"]["_meta"]["title"] == "Load Checkpoint"  # else the server's display name
    assert api["8"]["inputs"] == {"samples": ["3", 0], "vae": ["4", 2]}


def test_reroutes_and_primitives_are_resolved(run_cli, fake_comfy):
    api = convert(run_cli, fake_comfy, fixture_path("ui_groups_reroute_primitive_hidream_e1_1.json"))
    assert not {n["class_type"] for n in api.values()} & {"Reroute", "PrimitiveNode"}
    # Reroute 48 stands between CFGNorm 55 and its consumers
    assert api["49"]["inputs"]["model"] == ["55", 0] and api["53"]["inputs"]["model"] == ["55", 0]
    # the PrimitiveNodes' values land in the targets' widgets, as plain values
    assert api["53"]["inputs"]["cfg_conds"] == 3 and api["53"]["inputs"]["cfg_cond2_negative"] == 1.5
    assert api["13"]["inputs"] == {"image": "hidream_e1_1_input_image.jpg"}  # no upload button value


def test_subgraph_is_expanded_with_host_ids(run_cli, fake_comfy):
    api = convert(run_cli, fake_comfy, fixture_path("ui_subgraph_flux_dev_checkpoint_example.json"))
    assert set(api) == {"9", "56:47", "56:48", "56:49", "56:50", "56:51", "56:52", "56:53", "56:54"}
    assert api["9"]["inputs"]["images"] == ["56:53", 0]
    assert api["56:52"]["inputs"]["positive"] == ["56:51", 0]
    # promoted but unconnected host inputs keep the inner widgets' values
    assert api["56:51"]["inputs"]["text"].startswith("Beautiful photography")
    assert api["56:50"]["inputs"] == {"width": 1024, "height": 1024, "batch_size": 1}


def test_bypassed_node_is_rewired_by_type(run_cli, fake_comfy, write_json):
    api = convert(run_cli, fake_comfy, write_json(chain(middle_mode=4)))
    assert set(api) == {"1", "3"}
    assert api["3"]["inputs"]["images"] == ["1", 0]
    assert api["1"]["inputs"] == {"width": 64, "height": 48, "batch_size": 1, "color": 16711680}
    assert api["1"]["_meta"]["title"] == "Red"


def test_muted_node_is_dropped_with_its_links(run_cli, fake_comfy, write_json):
    api = convert(run_cli, fake_comfy, write_json(chain(middle_mode=2)))
    assert set(api) == {"1", "3"}
    assert api["3"]["inputs"] == {"filename_prefix": "probe/ui"}


def test_bypass_with_no_input_of_the_wanted_type_omits_the_input(run_cli, fake_comfy, write_json):
    doc = chain(middle_mode=0)
    doc["nodes"][1] = node(2, "ImageToMask", mode=4, inputs=[{"name": "image", "type": "IMAGE", "link": 1}],
                           outputs=[{"name": "MASK", "type": "MASK", "links": [2]}], widgets=["red"])
    doc["nodes"][2]["inputs"][0]["type"] = "MASK"
    api = convert(run_cli, fake_comfy, write_json(doc))
    assert "images" not in api["3"]["inputs"]


def test_missing_widget_values_take_the_schema_default(run_cli, fake_comfy, write_json):
    doc = chain(middle_mode=0)
    doc["nodes"][0]["widgets_values"] = [32]
    api = convert(run_cli, fake_comfy, write_json(doc))
    assert api["1"]["inputs"] == {"width": 32, "height": 512, "batch_size": 1, "color": 0}


def test_unknown_node_class_is_an_error_naming_it(run_cli, fake_comfy, write_json):
    doc = chain(middle_mode=0)
    doc["nodes"][1]["type"] = "NoSuchNode"
    result = run_cli("workflow", "convert", write_json(doc), "--json", server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    error = result.json()["error"]
    assert "NoSuchNode" in error["message"] and error["details"]["unknown_classes"] == {"NoSuchNode": ["2"]}


def test_convert_offline_with_a_saved_catalog_to_a_file(run_cli, fake_comfy, tmp_path):
    catalog = tmp_path / "object_info.json"
    online = convert(run_cli, fake_comfy, fixture_path("ui_txt2img_sd3.5_simple_example.json"))
    with urllib.request.urlopen(f"{fake_comfy.url}/object_info") as answer:
        catalog.write_bytes(answer.read())
    out = tmp_path / "api.json"
    result = run_cli("workflow", "convert", fixture_path("ui_txt2img_sd3.5_simple_example.json"),
                     "--object-info", str(catalog), "-o", str(out), "--url", "http://127.0.0.1:9")
    assert result.exit_code == 0, result.stderr
    assert json.loads(out.read_text()) == online


def test_api_format_input_is_refused(run_cli, fake_comfy):
    result = run_cli("workflow", "convert", fixture_path("W1_empty_image_save.json"), server=fake_comfy)
    assert result.exit_code == ExitCode.USAGE and "not an editor-format" in result.stderr
