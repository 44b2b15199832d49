"""templates list / show / get and the global subgraphs, against the fake server.

The fake serves the core template index but not the template files themselves (nor custom-node
templates), so those answers are injected with ``faults.respond_raw``: the CLI still makes real
requests over the loopback connection."""

from __future__ import annotations

import json

WORKFLOW = {"last_node_id": 1, "nodes": [{"id": 1, "type": "SaveImage"}]}


def test_list_and_search(fake_comfy, run_cli):
    data = run_cli("templates", "list", "--json", server=fake_comfy).json()["data"]
    assert len(data) == 6 and {t["source"] for t in data} == {"core"}
    assert {t["category"] for t in data} == {"Video", "Image"}
    found = run_cli("templates", "list", "--search", "minimax video", "--json", server=fake_comfy).json()["data"]
    assert [t["name"] for t in found] == ["video_minimax_h3_i2v", "video_minimax_h3_r2v", "video_minimax_h3_t2v"]
    none = run_cli("templates", "list", "--search", "no-such-template", server=fake_comfy)
    assert none.exit_code == 0 and "no templates match" in none.stdout
    text = run_cli("templates", "list", server=fake_comfy, env={"COLUMNS": "80"}, terminal=True).stdout.splitlines()
    assert text[0].split()[:2] == ["NAME", "TITLE"] and all(len(line) <= 80 for line in text)


def test_custom_node_templates_are_listed(fake_comfy, run_cli):
    fake_comfy.faults.respond_raw(r"^/workflow_templates$", 200, json.dumps({"my-pack": ["demo"]}),
                                  "application/json")
    fake_comfy.faults.respond_raw(r"^/api/workflow_templates/my-pack/demo\.json$", 200, json.dumps(WORKFLOW),
                                  "application/json")
    data = run_cli("templates", "list", "--json", server=fake_comfy).json()["data"]
    assert {"name": "demo", "source": "custom", "pack": "my-pack"} in data
    result = run_cli("templates", "get", "demo", "-o", "-", "--json", server=fake_comfy)
    assert result.exit_code == 0 and result.json()["data"]["workflow"] == WORKFLOW


def test_show_and_unknown_name(fake_comfy, run_cli):
    shown = run_cli("templates", "show", "image_z_image_turbo", server=fake_comfy, env={"COLUMNS": "80"}, terminal=True)
    assert shown.exit_code == 0 and "title:" in shown.stdout and "Z-Image-Turbo" in shown.stdout
    assert all(len(line) <= 80 for line in shown.stdout.splitlines())
    labels = [line.split(":")[0] for line in shown.stdout.splitlines() if not line.startswith(" ")]
    assert labels == ["name", "title", "description", "source", "category", "tags", "models", "model size",
                      "open source", "date", "author", "uses", "tutorial", "output"]  # no camelCase key
    assert "open source:  yes" in shown.stdout and "model size:   19.4 GiB" in shown.stdout
    raw = run_cli("templates", "show", "image_z_image_turbo", "--json", server=fake_comfy).json()["data"]
    assert raw["openSource"] is True and raw["tutorialUrl"].startswith("https://")  # --json: the server's keys
    unknown = run_cli("templates", "show", "image_z_image_turb", "--json", server=fake_comfy)
    assert unknown.exit_code == 7
    assert unknown.json()["error"]["details"]["suggestions"][0] == "image_z_image_turbo"
    assert unknown.json()["error"]["hint"].startswith("did you mean one of 'image_z_image_turbo', ")
    nothing = run_cli("templates", "show", "zzqqxxyy", server=fake_comfy)
    assert nothing.exit_code == 7 and "see 'comfyui-skill templates list'" in nothing.stderr


def test_get_writes_a_file_and_never_overwrites_without_force(fake_comfy, run_cli, tmp_path):
    fake_comfy.faults.respond_raw(r"^/templates/image_z_image_turbo\.json$", 200, json.dumps(WORKFLOW),
                                  "application/json")
    target = tmp_path / "wf.json"
    result = run_cli("templates", "get", "image_z_image_turbo", "-o", str(target), server=fake_comfy)
    assert result.exit_code == 0 and json.loads(target.read_text()) == WORKFLOW
    target.write_text("mine")
    again = run_cli("templates", "get", "image_z_image_turbo", "-o", str(target), server=fake_comfy)
    assert again.exit_code == 2 and "--force" in again.stderr and target.read_text() == "mine"
    forced = run_cli("templates", "get", "image_z_image_turbo", "-o", str(target), "--force", server=fake_comfy)
    assert forced.exit_code == 0 and json.loads(target.read_text()) == WORKFLOW


def test_get_a_template_the_server_does_not_serve(fake_comfy, run_cli, tmp_path):
    result = run_cli("templates", "get", "image_z_image_turbo", "-o", str(tmp_path / "x.json"), server=fake_comfy)
    assert result.exit_code == 7 and not (tmp_path / "x.json").exists()


def test_subgraphs_list_and_save_by_prefix_or_name(fake_comfy, run_cli, tmp_path):
    listing = run_cli("templates", "subgraphs", "--json", server=fake_comfy).json()["data"]
    assert listing and all(len(s["id"]) == 64 and s["name"] for s in listing)
    chosen = listing[0]
    target = tmp_path / "sg.json"
    saved = run_cli("templates", "subgraph", chosen["id"][:10], "-o", str(target), server=fake_comfy)
    assert saved.exit_code == 0, saved.stderr
    assert isinstance(json.loads(target.read_text()), dict)
    by_name = run_cli("templates", "subgraph", chosen["name"], "-o", str(tmp_path / "b.json"), server=fake_comfy)
    assert by_name.exit_code == 0 and (tmp_path / "b.json").read_text() == target.read_text()
    unknown = run_cli("templates", "subgraph", "ffffffffff", "-o", str(tmp_path / "c.json"), server=fake_comfy)
    assert unknown.exit_code == 7 and not (tmp_path / "c.json").exists()
    text = run_cli("templates", "subgraphs", server=fake_comfy, env={"COLUMNS": "80"}, terminal=True).stdout.splitlines()
    assert text[0].split() == ["ID", "NAME", "SOURCE", "PACK"] and all(len(line) <= 80 for line in text)


def test_show_words_keys_it_does_not_know_and_names_providers(fake_comfy, run_cli):
    index = [{"moduleName": "default", "title": "Image", "templates": [
        {"name": "new", "title": "New", "requiresCustomNodes": ["comfyui-kjnodes"], "logos": [{"provider": "Google"}],
         "vramEstimateBytes": 2048, "openSource": False, "size": 0, "searchRank": 5, "mediaType": "image"}]}]
    fake_comfy.faults.respond_raw(r"^/templates/index\.json$", 200, json.dumps(index), "application/json")
    shown = run_cli("templates", "show", "new", server=fake_comfy).stdout
    assert "custom nodes: comfyui-kjnodes" in shown and "providers:    Google" in shown
    assert "open source:  no" in shown and "vram estimate bytes: 2048" in shown
    assert "model size" not in shown and "search" not in shown and "media" not in shown


def test_get_saves_NAME_json_here_by_default_and_never_over_a_file(fake_comfy, run_cli, tmp_path, monkeypatch):
    fake_comfy.faults.respond_raw(r"^/templates/image_z_image_turbo\.json$", 200, json.dumps(WORKFLOW),
                                  "application/json")
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "image_z_image_turbo.json"
    saved = run_cli("templates", "get", "image_z_image_turbo", server=fake_comfy)
    assert saved.exit_code == 0, saved.stderr
    assert json.loads(target.read_text()) == WORKFLOW and "image_z_image_turbo.json" in saved.stdout
    target.write_text("mine")
    again = run_cli("templates", "get", "image_z_image_turbo", server=fake_comfy)
    assert again.exit_code == 2 and "image_z_image_turbo.json already exists" in again.stderr
    assert "--force" in again.stderr and target.read_text() == "mine"
    piped = run_cli("templates", "get", "image_z_image_turbo", "-o", "-", server=fake_comfy)
    assert piped.exit_code == 0 and json.loads(piped.stdout) == WORKFLOW
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image_z_image_turbo.json"]


def test_a_default_file_name_from_the_server_stays_in_the_current_folder(fake_comfy, run_cli, tmp_path,
                                                                         monkeypatch):
    fake_comfy.faults.respond_raw(r"^/workflow_templates$", 200, json.dumps({"my-pack": ["sub/demo"]}),
                                  "application/json")
    fake_comfy.faults.respond_raw(r"^/api/workflow_templates/my-pack/sub/demo\.json$", 200, json.dumps(WORKFLOW),
                                  "application/json")
    monkeypatch.chdir(tmp_path)
    saved = run_cli("templates", "get", "sub/demo", server=fake_comfy)
    assert saved.exit_code == 0, saved.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["demo.json"]


def test_subgraph_saves_under_its_name_by_default(fake_comfy, run_cli, tmp_path, monkeypatch):
    chosen = run_cli("templates", "subgraphs", "--json", server=fake_comfy).json()["data"][0]
    monkeypatch.chdir(tmp_path)
    saved = run_cli("templates", "subgraph", chosen["id"][:10], server=fake_comfy)
    assert saved.exit_code == 0, saved.stderr
    assert isinstance(json.loads((tmp_path / f"{chosen['name']}.json").read_text()), dict)


def test_run_a_template_by_name(fake_comfy, run_cli, tmp_path):
    from tests.workflows.conftest import chain

    fake_comfy.faults.respond_raw(r"^/templates/image_z_image_turbo\.json$", 200, json.dumps(chain(middle_mode=0)),
                                  "application/json")
    result = run_cli("run", "template:image_z_image_turbo", "--width", "32", "-o", str(tmp_path), "--json",
                     server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    [prompt] = [json.loads(r.body)["prompt"] for r in fake_comfy.requests if r.method == "POST" and r.path == "/prompt"]
    assert prompt["1"]["inputs"]["width"] == 32 and prompt["2"]["class_type"] == "ImageInvert"
    unknown = run_cli("run", "template:image_z_image_turb", "--json", server=fake_comfy).json()["error"]
    assert unknown["code"] == "not_found" and unknown["details"] == {"workflow": "template:image_z_image_turb"}
    assert unknown["hint"].startswith(f"server '{fake_comfy.url}' has no template 'image_z_image_turb'; did you mean one of "
                                      "'image_z_image_turbo',")
