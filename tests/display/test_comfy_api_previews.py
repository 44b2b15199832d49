"""``run --show`` on a Comfy API v2 server: the SSE ``preview`` events (base64 JPEG/PNG) of the real
comfy-api-proxy in front of the fake ComfyUI are drawn like a ComfyUI's WebSocket previews."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..comfy_api.conftest import Proxy, start_proxy
from .terminal import environment, png, run_in_terminal
from .test_run_show import EVERY_PREVIEW, KITTY, kitty_images, sampler_workflow, saved

WAIT = 60.0  # seconds: only a hung proxy gets near it


@pytest.fixture
def proxy(fake_comfy: Any, tmp_path: Path) -> Iterator[Proxy]:
    fake_comfy.models["checkpoints"] = ["model.safetensors"]
    fake_comfy.progress_steps_delay = 0
    started = start_proxy(fake_comfy.url, tmp_path)
    yield started
    started.stop()
    fake_comfy.wait_idle(15)


def release_once_the_proxy_listens(fake: Any) -> None:
    """Hold the prompt at its first node until the proxy's WebSocket for it (client id = job id) is
    connected, so the sampler's previews reach it; then let it run."""
    prompt_id = fake.wait_running(timeout=WAIT)
    end = time.monotonic() + WAIT
    while prompt_id not in fake.ws_clients and time.monotonic() < end:
        time.sleep(0.01)  # polling a condition (the proxy connected), bounded by WAIT
    fake.faults.hold_execution = False


def test_sse_previews_are_drawn_then_replaced_by_the_output(fake_comfy: Any, proxy: Proxy, tmp_path: Path,
                                                             cli_env: dict[str, str]) -> None:
    previews = [png(2, 2, colour=colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    fake_comfy.sampler_previews = previews
    fake_comfy.faults.hold_execution = True
    releaser = threading.Thread(target=release_once_the_proxy_listens, args=(fake_comfy,))
    releaser.start()
    try:
        result = run_in_terminal(["--url", proxy.url, "--kind", "comfy-api", "run",
                                  str(sampler_workflow(tmp_path, 3)), "--show", "-o", str(tmp_path / "out")],
                                 environment(cli_env, **KITTY, **EVERY_PREVIEW))
    finally:
        releaser.join()
        fake_comfy.faults.hold_execution = False
    assert result.exit_code == 0, result.text
    [path] = saved(tmp_path / "out")
    drawn = kitty_images(result.text)
    # the proxy passes about two previews a second: the first one at least, then the output over it
    assert drawn[0] == previews[0] and drawn[-1] == path.read_bytes(), result.text
    assert all(image in previews for image in drawn[:-1])
    assert result.text.count("\x1b_Ga=d,d=I,") >= 1  # the preview deleted for the output
    assert result.text.count(str(path)) == 1


def test_an_sse_preview_that_is_not_base64_is_skipped_and_a_good_one_names_the_running_node() -> None:
    from comfyui_skill_comfyapi.events import translate

    running: list[str | None] = ["5"]
    assert translate("job", "preview", {"node_id": "5", "content_type": "image/png", "data_base64": "no!"},
                     running) == []
    [message] = translate("job", "preview", {"content_type": "image/jpeg", "data_base64": "/9j/AA=="}, running)
    assert (message.type, message.payload) == ("preview_image", b"\xff\xd8\xff\x00")
    assert message.data == {"prompt_id": "job", "node_id": "5", "display_node_id": "5", "image_type": "image/jpeg"}
