"""Recorded exchanges replayed against the fake: same status, Content-Type and body (up to ids and times)."""

from __future__ import annotations

import pytest

from .support import assert_matches, call, exchange, replay

STATELESS = [
    # server information
    "assets_503", "embeddings", "experiment_models_checkpoints", "experiment_models_unknown_404", "extensions",
    "features", "global_subgraphs_one", "global_subgraphs_unknown", "i18n", "models_checkpoints_empty",
    "models_list", "models_unknown_404", "node_replacements", "object_info_unknown_class", "workflow_templates",
    "internal_files_bad_type_400", "internal_logs_subscribe", "view_metadata_404",
    # routing, CSRF, methods
    "unknown_get_404", "unknown_post_405", "post_to_get_only_route_405", "internal_no_api_alias_404",
    "jobs_without_api_prefix_404", "options_preflight", "csrf_origin_mismatch_403",
    # queue and actions
    "prompt_get_idle", "queue_get_idle", "queue_delete", "queue_clear", "queue_post_malformed_json_500",
    "interrupt_global_no_body", "interrupt_prompt_id", "interrupt_prompt_id_not_running", "free",
    "free_no_body_500",
    # history
    "history_get_all_empty", "history_get_unknown_id", "history_get_garbage_id", "history_list_max_items_bad_500",
    "history_delete", "history_clear",
    # jobs API
    "jobs_list_empty", "jobs_list_400_bad_status", "jobs_list_400_bad_sort_by", "jobs_list_bad_sort_order",
    "jobs_list_400_limit_not_int", "jobs_list_400_limit_zero", "jobs_get_404_unknown", "jobs_get_404_garbage",
    "jobs_cancel_unknown", "jobs_cancel_garbage_id", "jobs_cancel_batch_400_invalid_ids",
    "jobs_cancel_batch_400_not_list", "jobs_cancel_batch_400_malformed_json", "jobs_cancel_batch_empty_list",
    "jobs_cancel_batch_missing_key", "jobs_cancel_batch_not_running",
    # files
    "view_400_bad_type", "view_400_empty_filename", "view_400_traversal_filename", "view_403_subfolder_traversal",
    "view_404_missing_file", "view_404_no_filename_param", "view_404_subfolder_inside_filename",
    "upload_image_traversal_400", "upload_image_missing_field_400",
    # user data
    "userdata_list_no_dir_400", "userdata_list_workflows_before_404", "v2_userdata_workflows_before_404",
    "v2_userdata_root_empty", "v2_userdata_traversal_400", "userdata_get_file_404",
    "userdata_get_file_traversal_403", "userdata_delete_404", "userdata_post_unencoded_slash_405",
]

SEQUENCES = {
    "uploads": ["upload_image_new", "upload_image_dedupe_same_bytes", "upload_image_rename_on_clash",
                "upload_image_overwrite", "upload_image_overwrite_true", "upload_image_subfolder",
                "upload_image_type_temp", "upload_mask", "view_input_annotated_filename"],
    "userdata": ["userdata_post_ui_workflow", "userdata_post_api_workflow", "userdata_list_workflows",
                 "userdata_list_workflows_full_info", "userdata_list_workflows_split", "v2_userdata_workflows",
                 "v2_userdata_root", "userdata_get_file_api_workflow", "userdata_post_full_info",
                 "userdata_post_409_exists", "userdata_move", "userdata_delete_204", "userdata_delete_404"],
    "settings": ["settings", "settings_get_unset", "settings_post", "settings_get_one", "users"],
}


@pytest.mark.parametrize("name", STATELESS)
def test_recorded_exchange(fake, name):
    recorded = exchange(name)
    assert_matches(fake, recorded, replay(fake, recorded))


@pytest.mark.parametrize("sequence", sorted(SEQUENCES))
def test_recorded_sequence(fake, sequence):
    for name in SEQUENCES[sequence]:
        recorded = exchange(name)
        assert_matches(fake, recorded, replay(fake, recorded))


def test_every_core_route_has_an_api_alias(fake):
    recorded = exchange("system_stats_api_alias")["response"]
    for path in ("/system_stats", "/api/system_stats"):
        response = call(fake, "GET", path)
        assert response.status == 200
        assert response.headers["Content-Type"] == recorded["headers"]["Content-Type"]
        body = response.json()
        assert body.keys() == recorded["body"].keys()
        assert body["system"]["comfyui_version"] == "0.33.0"
        assert body["system"]["argv"][-1] == str(fake.port)
    assert call(fake, "GET", "/api/api/jobs").status == 200
    assert call(fake, "GET", "/api/internal/logs").status == 404


def test_internal_logs(fake):
    text = call(fake, "GET", "/internal/logs").json()
    raw = call(fake, "GET", "/internal/logs/raw").json()
    assert isinstance(text, str) and text.startswith(raw["entries"][0]["t"] + " - ")
    assert raw["size"] == {"cols": 80, "rows": 24}
    fake.add_log("hello from the test")
    assert call(fake, "GET", "/internal/logs/raw").json()["entries"][-1]["m"] == "hello from the test\n"


def test_index_page_and_templates(fake):
    page = call(fake, "GET", "/")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    templates = call(fake, "GET", "/templates/index.json")
    expected = exchange("templates_index_trimmed")["response"]
    assert templates.headers["Content-Type"] == "application/json"
    assert templates.headers["Cache-Control"] == "no-store"
    assert templates.json() == expected["body"]


def test_internal_folders_and_files(fake):
    paths = call(fake, "GET", "/internal/folder_paths").json()
    assert paths["checkpoints"][0] == str(fake.input_dir.parent / "models" / "checkpoints")
    (fake.output_dir / "a.png").write_bytes(b"x")
    (fake.output_dir / "sub").mkdir()
    (fake.output_dir / "sub" / "b.png").write_bytes(b"x")
    assert call(fake, "GET", "/internal/files/output").json() == ["a.png [output]"]


def test_models_follow_the_models_attribute(fake):
    fake.models["checkpoints"].append("tiny.safetensors")
    fake.models["embeddings"] = ["easy.pt"]
    assert call(fake, "GET", "/models/checkpoints").json() == ["tiny.safetensors"]
    assert call(fake, "GET", "/embeddings").json() == ["easy"]
    info = call(fake, "GET", "/object_info/CheckpointLoaderSimple").json()
    assert info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] == ["tiny.safetensors"]
    assert call(fake, "GET", "/view_metadata/checkpoints?filename=tiny.safetensors").json() == {}
