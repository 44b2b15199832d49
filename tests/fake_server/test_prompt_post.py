"""POST /prompt: validation errors, accepted variants, numbering and extra_data."""

from __future__ import annotations

import json

import pytest

from .support import RECORDINGS, assert_matches, call, exchange, post_prompt, replay, workflow

REJECTED = sorted(path.stem for path in (RECORDINGS / "http").glob("prompt_post_[45]00_*.json"))
ACCEPTED = ["prompt_post_success", "prompt_post_200_client_prompt_id", "prompt_post_200_text_plain_content_type",
            "prompt_post_200_partial_node_errors", "prompt_post_200_partial_execution_targets",
            "prompt_post_with_extra_data", "prompt_post_front_true", "prompt_post_explicit_number"]


def test_every_recorded_rejection_is_covered():
    assert len([name for name in REJECTED if "_400_" in name]) == 19
    assert len([name for name in REJECTED if "_500_" in name]) == 3


@pytest.mark.parametrize("name", REJECTED)
def test_rejected_prompt(fake, name):
    recorded = exchange(name)
    assert_matches(fake, recorded, replay(fake, recorded))
    fake.wait_idle()
    assert fake.history_ids() == []


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_prompt(fake, name):
    recorded = exchange(name)
    response = replay(fake, recorded)
    assert_matches(fake, recorded, response)
    assert set(response.json()) == {"prompt_id", "number", "node_errors"}
    fake.wait_idle()


def test_number_counter(fake):
    w1 = workflow("W1")
    assert post_prompt(fake, w1).json()["number"] == 0
    assert post_prompt(fake, {}).status == 400  # rejected, still counted
    assert call(fake, "POST", "/prompt", json_body={"client_id": "x"}).status == 400
    assert post_prompt(fake, w1, number=42).json()["number"] == 42.0
    assert post_prompt(fake, w1, front=True).json()["number"] == -3
    raw = call(fake, "POST", "/prompt", json_body={"prompt": w1, "number": 7}).body
    assert b'"number": 7.0' in raw
    assert post_prompt(fake, w1).json()["number"] == 4


def test_client_prompt_id_and_reuse(fake):
    prompt_id = "cdfc7267-42be-40d5-b096-c3778f127fa3"
    for _ in range(2):
        assert post_prompt(fake, workflow("W7"), prompt_id=prompt_id).json()["prompt_id"] == prompt_id
        fake.wait_idle()
    assert fake.history_ids() == [prompt_id]


def test_extra_data_is_kept_and_secrets_are_stripped(fake):
    recorded = exchange("prompt_post_with_extra_data")
    prompt_id = replay(fake, recorded).json()["prompt_id"]
    fake.wait_idle()
    expected_history = exchange("history_get_success")  # for the entry shape
    entry = call(fake, "GET", f"/history/{prompt_id}").json()[prompt_id]
    assert entry.keys() == next(iter(expected_history["response"]["body"].values())).keys()
    extra = entry["prompt"][3]
    assert list(extra) == ["extra_pnginfo", "my_custom_key", "client_id", "comfy_usage_source", "create_time"]
    assert extra["comfy_usage_source"] == "my-test-client"
    job = call(fake, "GET", f"/api/jobs/{prompt_id}").json()
    assert job["workflow_id"] == "a3f1c2d4-5b6e-4f70-8a9b-0c1d2e3f4a5b"
    assert job["preview_output"] == {"content": "with extra_data", "nodeId": "2", "mediaType": "text"}
    everything = json.dumps([entry, job, call(fake, "GET", "/queue").json(), call(fake, "GET", "/history").json()])
    assert "api_key_comfy_org" not in everything and "dummy-key" not in everything


def test_partial_graphs_run_only_valid_or_targeted_outputs(fake):
    partial = replay(fake, exchange("prompt_post_200_partial_node_errors")).json()["prompt_id"]
    targeted = replay(fake, exchange("prompt_post_200_partial_execution_targets")).json()["prompt_id"]
    fake.wait_idle()
    history = call(fake, "GET", "/history").json()
    assert history[partial]["prompt"][4] == ["2"] and list(history[partial]["outputs"]) == ["2"]
    assert history[targeted]["prompt"][4] == ["3"]
    assert history[targeted]["outputs"]["3"]["images"][0]["filename"] == "target_b_00001_.png"
    assert not (fake.output_dir / "probe" / "target_a_00001_.png").exists()


def test_numeric_strings_are_coerced_in_the_queued_prompt(fake):
    w1 = workflow("W1")
    w1["1"]["inputs"].update(width="64", height=48.7)
    prompt_id = post_prompt(fake, w1).json()["prompt_id"]
    fake.wait_idle()
    inputs = call(fake, "GET", f"/history/{prompt_id}").json()[prompt_id]["prompt"][2]["1"]["inputs"]
    assert (inputs["width"], inputs["height"]) == (64, 48)


@pytest.mark.parametrize("reference", ["in1.png", "in1.png [input]", "sub/dir/in2.png", "in3.png [temp]",
                                       "ups/in4.png [output]"])
def test_load_image_accepts_uploaded_and_annotated_names(fake, reference):
    name, _, kind = reference.partition(" [")
    folder = {"": fake.input_dir, "input]": fake.input_dir, "temp]": fake.temp_dir, "output]": fake.output_dir}[kind]
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(exchange("upload_image_new")["request"]["body"]["multipart_form_data"][0]
                                ["data_base64"].encode())  # not a PNG: validation only checks existence
    w2 = workflow("W2")
    w2["10"]["inputs"]["image"] = reference
    response = post_prompt(fake, w2)
    assert response.status == 200, response.body
    fake.wait_idle()


def test_node_replacement_rewrites_unknown_classes(fake):
    fake.models["controlnet"] = ["t2i.safetensors"]
    prompt = {"1": {"class_type": "T2IAdapterLoader", "inputs": {"t2i_adapter_name": "t2i.safetensors"}},
              "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}
    prompt_id = post_prompt(fake, prompt).json()["prompt_id"]
    fake.wait_idle()
    queued = call(fake, "GET", f"/history/{prompt_id}").json()[prompt_id]["prompt"][2]
    assert queued["1"] == {"class_type": "ControlNetLoader", "inputs": {"control_net_name": "t2i.safetensors"}}
