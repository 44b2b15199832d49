"""Live previews become ``preview`` events only when they are our prompt's."""

from __future__ import annotations

from typing import Any

from comfyui_skill import Message
from comfyui_skill.transport.ws import decode_binary

from comfyui_skill_run.follow import Follower

OURS, THEIRS = "our-prompt", "their-prompt"
JPEG = b"\xff\xd8\xff\xe0 jpeg"


def legacy(image: bytes) -> bytes:
    return (1).to_bytes(4, "big") + (1).to_bytes(4, "big") + image  # type 1, image type 1 (JPEG)


def with_metadata(prompt_id: str, node: str, image: bytes) -> bytes:
    meta = ('{"node_id": "%s", "display_node_id": "%s", "prompt_id": "%s", "image_type": "image/jpeg"}'
            % (node, node, prompt_id)).encode()
    return (4).to_bytes(4, "big") + len(meta).to_bytes(4, "big") + meta + image


def previews_after(frames: list[Any]) -> list[dict[str, Any]]:
    """Hand the follower decoded frames (bytes) and JSON messages (tuples); the preview events it emits."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def emit(kind: str, **data: Any) -> None:
        seen.append((kind, data))

    follower = Follower(None, OURS, "client", emit, deadline=None)  # type: ignore[arg-type]  # no server asked
    for frame in frames:
        follower._handle(decode_binary(frame) if isinstance(frame, bytes) else Message(*frame))
    return [data for kind, data in seen if kind == "preview"]


def test_only_our_prompts_previews_are_reported() -> None:
    events = previews_after([
        legacy(JPEG),  # before any node of ours ran: another prompt's, broadcast
        with_metadata(THEIRS, "3", JPEG),
        ("executing", {"node": "5", "prompt_id": OURS}),
        legacy(JPEG + b"1"),
        with_metadata(OURS, "5", JPEG + b"2"),
        with_metadata(THEIRS, "5", JPEG + b"3"),
        legacy(b""),  # empty: nothing to show
    ])
    assert events == [
        {"node": "5", "image_type": "image/jpeg", "size": len(JPEG) + 1, "image": JPEG + b"1"},
        {"node": "5", "image_type": "image/jpeg", "size": len(JPEG) + 1, "image": JPEG + b"2"},
    ]
