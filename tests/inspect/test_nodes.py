"""nodes list / search / info on the real 887-class catalog the fake serves, and its cache."""

from __future__ import annotations

import json

from .helpers import requested


def test_list_everything_and_filters(fake_comfy, run_cli):
    everything = run_cli("nodes", "list", "--json", server=fake_comfy).json()["data"]
    assert len(everything) == 887
    assert [n["name"] for n in everything] == sorted(n["name"] for n in everything)
    image = run_cli("nodes", "list", "--category", "image", "--json", server=fake_comfy).json()["data"]
    assert "SaveImage" in {n["name"] for n in image} and "KSampler" not in {n["name"] for n in image}
    assert all(n["category"] == "image" or n["category"].startswith("image/") for n in image)
    api = run_cli("nodes", "list", "--api-nodes", "--json", server=fake_comfy).json()["data"]
    assert len(api) == 233 and all(n["api_node"] and n["pack"] == "api-nodes" for n in api)
    deprecated = run_cli("nodes", "list", "--deprecated", "--json", server=fake_comfy).json()["data"]
    assert deprecated and all(n["deprecated"] for n in deprecated) and len(deprecated) < 887
    pack = run_cli("nodes", "list", "--pack", "websocket_image_save", "--json", server=fake_comfy).json()["data"]
    assert [n["name"] for n in pack] == ["SaveImageWebsocket"]


def test_list_search_and_empty_result(fake_comfy, run_cli):
    found = run_cli("nodes", "list", "--search", "save image", "--json", server=fake_comfy).json()["data"]
    names = {n["name"] for n in found}
    assert {"SaveImage", "SaveImageWebsocket"} <= names and "KSampler" not in names
    empty = run_cli("nodes", "list", "--search", "no-such-node-anywhere", "--json", server=fake_comfy)
    assert empty.exit_code == 0 and empty.json()["data"] == []
    text = run_cli("nodes", "list", "--search", "no-such-node-anywhere", server=fake_comfy)
    assert text.exit_code == 0 and "no node classes match" in text.stdout


def test_search_ranks_names_first(fake_comfy, run_cli):
    ranked = run_cli("nodes", "search", "load", "image", "--json", server=fake_comfy).json()["data"]
    assert ranked[0]["name"] == "LoadImage"
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)
    assert run_cli("nodes", "search", "ksampler", "--json", server=fake_comfy).json()["data"][0]["name"] == "KSampler"
    limited = run_cli("nodes", "search", "image", "-n", "3", "--json", server=fake_comfy).json()["data"]
    assert len(limited) == 3
    text = run_cli("nodes", "search", "image", server=fake_comfy, env={"COLUMNS": "80"}, terminal=True)
    assert text.stdout.splitlines()[0].split() == ["CLASS", "DISPLAY", "NAME", "CATEGORY", "PACK"]
    assert all(len(line) <= 80 for line in text.stdout.splitlines())


#: the node set is checked on every call: how a changed server is noticed
NO_TTL = {"COMFYUI_SKILL_NODES_CACHE_TTL": "0"}


def test_catalog_is_cached_until_the_node_set_changes(fake_comfy, run_cli):
    run_cli("nodes", "list", "--json", server=fake_comfy, env=NO_TTL)
    run_cli("nodes", "search", "latent", "--json", server=fake_comfy, env=NO_TTL)
    assert requested(fake_comfy, "GET", "/object_info") == 1
    run_cli("nodes", "list", "--refresh", "--json", server=fake_comfy, env=NO_TTL)
    assert requested(fake_comfy, "GET", "/object_info") == 2
    extensions = json.dumps(["/extensions/core/groupNode.js", "/extensions/new-pack/widget.js"])
    fake_comfy.faults.respond_raw(r"^/extensions$", 200, extensions, "application/json")
    run_cli("nodes", "list", "--json", server=fake_comfy, env=NO_TTL)
    assert requested(fake_comfy, "GET", "/object_info") == 3


def test_cache_is_rebuilt_for_a_new_comfyui_version(fake_comfy, run_cli):
    run_cli("nodes", "list", "--json", server=fake_comfy, env=NO_TTL)
    stats = json.dumps({"system": {"comfyui_version": "0.34.0"}, "devices": []})
    fake_comfy.faults.respond_raw(r"^/system_stats$", 200, stats, "application/json")
    run_cli("nodes", "list", "--json", server=fake_comfy, env=NO_TTL)
    assert requested(fake_comfy, "GET", "/object_info") == 2


def test_within_the_ttl_the_cache_answers_without_any_request(fake_comfy, run_cli):
    first = run_cli("nodes", "list", "--search", "latent", "--json", server=fake_comfy).json()["data"]
    before = len(fake_comfy.requests)
    again = run_cli("nodes", "list", "--search", "latent", "--json", server=fake_comfy)
    assert again.exit_code == 0 and {n["name"] for n in again.json()["data"]} == {n["name"] for n in first}
    assert len(fake_comfy.requests) == before  # no /system_stats, /extensions or /object_info
    extensions = json.dumps(["/extensions/new-pack/widget.js"])
    fake_comfy.faults.respond_raw(r"^/extensions$", 200, extensions, "application/json")
    run_cli("nodes", "list", "--json", server=fake_comfy)
    assert requested(fake_comfy, "GET", "/object_info") == 1  # a change is noticed only after the TTL ...
    run_cli("nodes", "list", "--refresh", "--json", server=fake_comfy)
    assert requested(fake_comfy, "GET", "/object_info") == 2  # ... or with --refresh


def test_a_checked_cache_is_trusted_for_the_ttl_again(fake_comfy, run_cli):
    run_cli("nodes", "list", "--json", server=fake_comfy, env=NO_TTL)
    run_cli("nodes", "list", "--json", server=fake_comfy, env={"COMFYUI_SKILL_NODES_CACHE_TTL": "3600"})
    checks = requested(fake_comfy, "GET", "/system_stats")
    run_cli("nodes", "list", "--json", server=fake_comfy, env={"COMFYUI_SKILL_NODES_CACHE_TTL": "3600"})
    assert requested(fake_comfy, "GET", "/system_stats") == checks
    assert requested(fake_comfy, "GET", "/object_info") == 1


def test_a_malformed_ttl_is_a_config_error(fake_comfy, run_cli):
    run_cli("nodes", "list", "--json", server=fake_comfy)
    result = run_cli("nodes", "list", "--json", server=fake_comfy, env={"COMFYUI_SKILL_NODES_CACHE_TTL": "soon"})
    assert result.exit_code == 10 and "nodes.cache_ttl" in result.json()["error"]["message"]


def test_info_old_style_combo_numbers_and_outputs(fake_comfy, run_cli):
    data = run_cli("nodes", "info", "KSampler", "--json", server=fake_comfy).json()["data"]
    inputs = {i["name"]: i for i in data["inputs"]}
    assert [i["name"] for i in data["inputs"]][:4] == ["model", "seed", "steps", "cfg"]
    assert inputs["seed"]["type"] == "INT" and inputs["seed"]["default"] == 0 and inputs["seed"]["min"] == 0
    assert inputs["cfg"]["step"] == 0.1 and inputs["cfg"]["max"] == 100.0
    assert inputs["sampler_name"]["type"] == "COMBO" and "euler" in inputs["sampler_name"]["choices"]
    assert inputs["model"]["tooltip"].startswith("The model used")
    assert data["outputs"] == [{"index": 0, "name": "LATENT", "type": "LATENT", "is_list": False,
                                "tooltip": data["outputs"][0]["tooltip"]}]
    assert data["pack"] == "core" and data["category"]


def test_info_v3_combo_dynamic_combo_and_autogrow(fake_comfy, run_cli):
    resize = run_cli("nodes", "info", "ResizeImageMaskNode", "--json", server=fake_comfy).json()["data"]
    inputs = {i["name"]: i for i in resize["inputs"]}
    assert inputs["input"]["type"] == "IMAGE,MASK"  # match-type input
    dynamic = inputs["resize_type"]
    assert dynamic["type"] == "COMBO" and "scale dimensions" in dynamic["choices"]
    nested = {i["name"]: i for i in dynamic["choice_inputs"]["scale dimensions"]}
    assert nested["crop"]["choices"] == ["disabled", "center"] and nested["crop"]["default"] == "center"
    assert nested["width"]["max"] == 16384
    batch = run_cli("nodes", "info", "BatchImagesNode", "--json", server=fake_comfy).json()["data"]
    grow = batch["inputs"][0]
    assert grow["type"] == "IMAGE" and grow["autogrow"]["prefix"] == "image" and grow["autogrow"]["max"] == 50
    formatted = run_cli("nodes", "info", "StringFormat", "--json", server=fake_comfy).json()["data"]
    assert formatted["inputs"][0]["autogrow"]["names"][:3] == ["a", "b", "c"]
    text = run_cli("nodes", "info", "ResizeImageMaskNode", server=fake_comfy, env={"COLUMNS": "80"}, terminal=True).stdout
    assert "  when resize_type is 'scale dimensions':\n    width " in text
    assert "resize_type=scale dimensions: crop: " in text and "    choices: disabled, center\n" in text
    assert all(len(line) <= 80 for line in text.splitlines())


def test_info_text_is_an_aligned_table_that_fits_the_terminal(fake_comfy, run_cli):
    narrow = run_cli("nodes", "info", "KSampler", server=fake_comfy, env={"COLUMNS": "60"}, terminal=True).stdout
    assert all(len(line) <= 60 for line in narrow.splitlines()), narrow
    for width in (80, 120):
        lines = run_cli("nodes", "info", "KSampler", server=fake_comfy, env={"COLUMNS": str(width)}, terminal=True).stdout.splitlines()
        assert all(len(line) <= width for line in lines)
        header = next(line for line in lines if line.startswith("INPUT"))
        rows = {line.split()[0]: line for line in lines[lines.index(header) + 1:lines.index(header) + 11]}
        assert list(rows)[:4] == ["model", "seed", "steps", "cfg"]
        for column, row, value in (("TYPE", "positive", "CONDITIONING"), ("DEFAULT", "cfg", "8.0"),
                                   ("RANGE", "cfg", "0.0 … 100.0 step 0.1"), ("NOTES", "sampler_name", "44 choices")):
            assert rows[row].index(value) == header.index(column), (column, row)
        assert "sampler_name: The algorithm used when sampling" in "\n".join(lines)
        assert any(line.startswith("    choices: euler, euler_cfg_pp") for line in lines)
        outputs = next(line for line in lines if line.startswith("#"))
        assert outputs.split() == ["#", "OUTPUT", "TYPE", "NOTES"] and lines[lines.index(outputs) + 1].split() == [
            "0", "LATENT", "LATENT"]


def test_info_unknown_class_suggests_close_names(fake_comfy, run_cli):
    result = run_cli("nodes", "info", "KSamplr", "--json", server=fake_comfy)
    assert result.exit_code == 7
    assert result.json()["error"]["details"]["suggestions"][0] == "KSampler"
    assert result.json()["error"]["hint"].startswith("did you mean one of 'KSampler', ")
    nothing = run_cli("nodes", "info", "Zzqqxxyy", server=fake_comfy)
    assert nothing.exit_code == 7 and "nodes search TEXT" in nothing.stderr


def test_info_resolves_a_class_name_typed_in_another_case(fake_comfy, run_cli):
    result = run_cli("nodes", "info", "ksampler", "--json", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert result.json()["data"]["name"] == "KSampler"


def test_search_without_hits_falls_back_to_close_words(fake_comfy, run_cli):
    result = run_cli("nodes", "search", "upscle", "modle", server=fake_comfy)
    assert result.exit_code == 0
    assert "fuzzy fallback, showing matches for 'upscale model'" in result.stderr
    assert result.stdout.splitlines()[1].split()[0] in {"UpscaleModelLoader", "ImageUpscaleWithModel"}
    found = run_cli("nodes", "search", "upscle", "--json", server=fake_comfy).json()["data"]
    assert found and all(entry["fuzzy"] for entry in found)
    assert all("fuzzy" not in entry for entry in run_cli("nodes", "search", "upscale", "--json",
                                                         server=fake_comfy).json()["data"])
    assert run_cli("nodes", "search", "zzqqxx", server=fake_comfy).stdout == "no node classes match\n"
