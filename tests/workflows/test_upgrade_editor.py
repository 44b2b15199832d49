"""``workflow upgrade`` of an editor-format workflow: the replacement happens in the editor graph,
so the upgraded copy is still an editor file (layout, notes and links kept)."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import deprecate_load_image

#: The official template utility_interpolation_image_upscale (unmodified): LoadImage 2 ->
#: ImageScaleBy 3 (deprecated in the recorded /node_replacements) -> SaveImage 5 and ImageCompare 7.
TEMPLATE = str(Path(__file__).resolve().parent / "templates" / "utility_interpolation_image_upscale.json")


def nodes_by_id(document: dict) -> dict:
    return {node["id"]: node for node in document["nodes"]}


def test_upgrade_keeps_the_editor_format(run_cli, fake_comfy, stored):
    run_cli("workflow", "import", TEMPLATE, "--name", "upscale", server=fake_comfy)
    original = (stored / "upscale.json").read_text()
    result = run_cli("workflow", "upgrade", "upscale", "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    data = result.json()["data"]
    assert data["format"] == "editor" and data["upgraded"] == "upscale-upgraded"
    assert data["changes"] == [{
        "node": "3", "subgraph": None, "class_type": "ImageScaleBy", "replacement": "ResizeImageMaskNode",
        "inputs": {"image": "input", "scale_by": "resize_type.multiplier", "upscale_method": "scale_method"},
        "set": {"resize_type": "scale by multiplier"}, "dropped": [], "links": []}]
    assert (stored / "upscale.json").read_text() == original

    upgraded = json.loads((stored / "upscale-upgraded.json").read_text())
    node = nodes_by_id(upgraded)[3]
    assert node["type"] == "ResizeImageMaskNode"
    assert node["inputs"] == [{"name": "input", "type": "IMAGE", "link": 2}]
    assert node["widgets_values"] == ["scale by multiplier", 2, "lanczos"]
    assert node["outputs"] == [{"name": "resized", "type": "IMAGE", "links": [4, 6]}]
    assert nodes_by_id(upgraded)[8]["type"] == "MarkdownNote"  # the rest of the editor file is kept

    api = run_cli("workflow", "convert", str(stored / "upscale-upgraded.json"), "--json", server=fake_comfy)
    prompt = api.json()["data"]
    assert prompt["3"]["inputs"] == {"resize_type": "scale by multiplier", "resize_type.multiplier": 2,
                                     "scale_method": "lanczos", "input": ["2", 0]}
    assert prompt["5"]["inputs"]["images"] == ["3", 0] and prompt["7"]["inputs"]["image_b"] == ["3", 0]
    validated = run_cli("workflow", "validate", "upscale-upgraded", "--json", server=fake_comfy)
    # (refused only because the fake server has no pray.png)
    assert validated.json()["error"]["details"]["deprecated"] == []
    text = run_cli("workflow", "upgrade", "upscale", "--as", "again", server=fake_comfy).stdout
    assert "image -> input" in text and "in editor format" in text


def test_upgrade_in_a_subgraph_moves_and_removes_links_per_output_mapping(run_cli, fake_comfy, write_json, stored):
    deprecate_load_image(fake_comfy)
    template = json.loads(Path(TEMPLATE).read_text())
    # the same graph, once as a subgraph definition (dict links) and once at the root (list links)
    definition = {"id": "sub-1", "name": "upscale", "nodes": template["nodes"], "inputs": [], "outputs": [],
                  "links": [dict(zip(("id", "origin_id", "origin_slot", "target_id", "target_slot", "type"), link))
                            for link in template["links"]]}
    document = {**template, "definitions": {"subgraphs": [definition]}}
    run_cli("workflow", "import", write_json(document), "--name", "masks", server=fake_comfy)
    result = run_cli("workflow", "upgrade", "masks", "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    changes = result.json()["data"]["changes"]
    assert [change["subgraph"] for change in changes] == [None, "upscale"]
    for change in changes:
        assert change["links"] == [{"node": "3", "input": "image", "from": 0, "to": None},
                                   {"node": "7", "input": "image_a", "from": 0, "to": None}]
        assert change["dropped"] == [] and change["set"] == {"channel": "alpha"}
    upgraded = json.loads((stored / "masks-upgraded.json").read_text())
    for graph in (upgraded, upgraded["definitions"]["subgraphs"][0]):
        nodes = nodes_by_id(graph)
        assert nodes[2]["type"] == "LoadImageMask" and nodes[2]["widgets_values"] == ["pray.png", "image", "alpha"]
        assert nodes[2]["outputs"] == [{"name": "MASK", "type": "MASK", "links": []}]
        assert nodes[3]["inputs"][0]["link"] is None and nodes[7]["inputs"][0]["link"] is None
        assert len(graph["links"]) == 2  # 3 -> 5 and 3 -> 7 remain
