"""/view, uploads and the files the simulated nodes write."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from comfyui_skill.testing.fake_comfyui.png import decode_png, encode_png

from .support import BOUNDARY, call, exchange, multipart, post_prompt, replay, workflow

PNG_4X4 = exchange("upload_image_new")["request"]["body"]["multipart_form_data"][0]["data_base64"]


def upload(fake, name="in1.png", data_base64=PNG_4X4, **fields):
    parts = [{"name": key, "value": value} for key, value in fields.items()]
    parts.append({"name": "image", "filename": name, "content_type": "image/png", "data_base64": data_base64})
    return call(fake, "POST", "/upload/image", multipart(parts),
                {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})


def text_chunks(png: bytes) -> dict[str, str]:
    chunks, pos = {}, 8
    while pos < len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        if png[pos + 4:pos + 8] == b"tEXt":
            key, _, value = png[pos + 8:pos + 8 + length].partition(b"\x00")
            chunks[key.decode()] = value.decode("latin-1")
        pos += length + 12
    return chunks


def test_view_of_a_saved_image(fake):
    prompt_id = post_prompt(fake, workflow("W1"), extra_data={"extra_pnginfo": {"workflow": {"id": "w"}}}
                            ).json()["prompt_id"]
    fake.wait_idle()
    image = call(fake, "GET", f"/history/{prompt_id}").json()[prompt_id]["outputs"]["2"]["images"][0]
    assert image == {"filename": "empty_00001_.png", "subfolder": "probe", "type": "output"}
    response = call(fake, "GET", "/view?filename=empty_00001_.png&subfolder=probe&type=output")
    recorded = exchange("view_success")["response"]["headers"]
    assert response.headers["Content-Type"] == recorded["Content-Type"]
    assert response.headers["Content-Disposition"] == recorded["Content-Disposition"]
    for header in ("ETag", "Last-Modified", "X-Content-Type-Options", "Accept-Ranges"):
        assert header in response.headers
    assert "Cache-Control" not in response.headers
    width, height, pixels = decode_png(response.body)
    assert (width, height, pixels[:3]) == (64, 48, b"\xff\x00\x00")
    chunks = text_chunks(response.body)
    assert json.loads(chunks["prompt"]) == workflow("W1") and json.loads(chunks["workflow"]) == {"id": "w"}
    assert call(fake, "GET", "/api/view?filename=empty_00001_.png&subfolder=probe").body == response.body


@pytest.mark.parametrize(("preview", "content_type"), [("webp;50", "image/webp"), ("jpeg;80", "image/jpeg"),
                                                        ("png", "image/webp")])
def test_view_previews(fake, preview, content_type):
    upload(fake)
    response = call(fake, "GET", f"/view?filename=in1.png&type=input&preview={preview}")
    assert response.status == 200 and response.headers["Content-Type"] == content_type
    assert "ETag" not in response.headers
    assert call(fake, "GET", "/view?filename=in1.png&type=input&channel=rgb").headers["Content-Type"] == "image/png"


def test_view_content_types(fake):
    (fake.output_dir / "note.txt").write_text("hi")
    (fake.output_dir / "page.html").write_text("<script></script>")
    assert call(fake, "GET", "/view?filename=note.txt").headers["Content-Type"].startswith("text/plain")
    page = call(fake, "GET", "/view?filename=page.html")
    assert page.headers["Content-Type"] == "application/octet-stream"
    assert page.headers["Content-Disposition"].startswith("attachment")
    assert call(fake, "GET", "/view?filename=note.txt&preview=webp").status == 500


def test_upload_variants(fake):
    assert upload(fake, type="output").json() == {"name": "in1.png", "subfolder": "", "type": "output"}
    assert (fake.output_dir / "in1.png").exists()
    assert upload(fake, type="models").status == 500
    assert call(fake, "POST", "/upload/image", json_body={"image": "x"}).status == 400
    assert upload(fake, "note.txt").json()["name"] == "note.txt"  # content is never checked


def test_upload_mask(fake):
    upload(fake)
    mask = exchange("upload_mask")
    parts = mask["request"]["body"]["multipart_form_data"]
    without_ref = [part for part in parts if part["name"] != "original_ref"]
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    assert call(fake, "POST", "/upload/mask", multipart(without_ref), headers).status == 500
    missing = [{**part, "value": json.dumps({"filename": "gone.png", "subfolder": "", "type": "input"})}
               if part["name"] == "original_ref" else part for part in parts]
    written = call(fake, "POST", "/upload/mask", multipart(missing), headers).json()
    assert not (fake.input_dir / written["subfolder"] / written["name"]).exists()
    assert replay(fake, mask).status == 200
    assert (fake.input_dir / "clipspace" / "clipspace-mask-1795878800000.png").exists()


def test_load_image_invert_save(fake):
    upload(fake)
    prompt_id = post_prompt(fake, workflow("W2")).json()["prompt_id"]
    fake.wait_idle()
    output = call(fake, "GET", f"/history/{prompt_id}").json()[prompt_id]["outputs"]["12"]["images"][0]
    _, _, original = decode_png((fake.input_dir / "in1.png").read_bytes())
    width, height, inverted = decode_png((fake.output_dir / output["subfolder"] / output["filename"]).read_bytes())
    assert (width, height) == (4, 4)
    assert inverted == bytes(255 - value for value in original)


def test_object_info_lists_top_level_input_images(fake):
    upload(fake)
    upload(fake, "in2.png", subfolder="sub/dir")
    upload(fake, "note.txt")
    info = call(fake, "GET", "/object_info").json()
    assert info["LoadImage"]["input"]["required"]["image"][0] == ["in1.png"]


def test_save_counter_and_cache(fake):
    for color in (1, 2, 2):
        w1 = workflow("W1")
        w1["1"]["inputs"]["color"] = color
        post_prompt(fake, w1)
        fake.wait_idle()
    assert sorted(path.name for path in (fake.output_dir / "probe").iterdir()) == \
        ["empty_00001_.png", "empty_00002_.png"]


@pytest.mark.parametrize(("change", "exception_type", "message"), [
    ({"2": {"filename_prefix": "../outside"}}, "Exception",
     "**** ERROR: Saving image outside the output folder is not allowed."),
    ({"image": "bad.png"}, "OSError", "cannot identify image file"),
])
def test_node_failures_become_execution_errors(fake, change, exception_type, message):
    (fake.input_dir / "bad.png").write_bytes(b"not an image")
    if "image" in change:
        prompt = workflow("W2")
        prompt["10"]["inputs"]["image"] = change["image"]
    else:
        prompt = workflow("W1")
        prompt["2"]["inputs"].update(change["2"])
    prompt_id = post_prompt(fake, prompt).json()["prompt_id"]
    fake.wait_idle()
    status = call(fake, "GET", f"/history/{prompt_id}").json()[prompt_id]["status"]
    event, data = status["messages"][-1]
    assert (event, status["status_str"], data["exception_type"]) == ("execution_error", "error", exception_type)
    assert data["exception_message"].startswith(message) and data["exception_message"].endswith("\n")


def test_internal_files_before_the_output_directory_exists(fake):
    fake.output_dir.rmdir()
    response = call(fake, "GET", "/internal/files/output")
    assert (response.status, response.body) == (500, b"500 Internal Server Error\n\nServer got itself in trouble")


def test_png_codec_round_trip():
    rows = [bytes([0, y, 7]) for y in range(3)]
    data = encode_png(1, 3, rows, {"k": "v"})
    assert decode_png(data) == (1, 3, b"".join(rows))
    assert zlib.crc32(data[12:29]) == int.from_bytes(data[29:33], "big")
    recorded = base64.b64decode(exchange("view_success")["response"]["body"])  # PIL's Sub/Up filters
    assert decode_png(recorded) == (64, 48, b"\xff\x00\x00" * 64 * 48)
