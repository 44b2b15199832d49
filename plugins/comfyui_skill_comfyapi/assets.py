"""Uploading a local file as a v2 asset, without sending bytes the server already holds.

Assets are records over blobs keyed by their ``blake3:<hex>`` hash. With the ``blake3`` package
(``comfyui-skill[comfy-api]``) the file is hashed here first: when ``HEAD /assets/by-hash`` finds the
blob, ``POST /assets/from-hash`` makes the asset without an upload; otherwise the upload carries the
hash as ``expected_hash``, so a file corrupted on the way is refused (409) rather than used.
Without the package every file is uploaded and the server hashes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from comfyui_skill import CliError

if TYPE_CHECKING:
    from .client import ComfyApiClient

CHUNK = 1024 * 1024


def blake3_of(path: Path) -> str | None:
    """``blake3:<hex>`` of the file, or None when the blake3 package is not installed."""
    try:
        from blake3 import blake3
    except ImportError:
        return None
    hasher = blake3()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
    return "blake3:" + hasher.hexdigest()


def create(client: ComfyApiClient, path: Path, *, file_path: str, content_type: str) -> dict[str, Any]:
    """The asset record of ``path`` (``deduplicated``: no bytes were sent)."""
    try:
        digest = blake3_of(path)
        placement = f"input/{file_path}"
        if digest is not None and _server_has(client, digest):
            asset = client.api("POST", "/assets/from-hash", json={"hash": digest, "file_path": placement})
            return {**asset, "deduplicated": True}
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}", code="io") from None
    from urllib3 import encode_multipart_formdata

    fields: list[tuple[str, Any]] = [("content_type", content_type), ("file_path", placement), ("tags", "input")]
    if digest is not None:
        fields.append(("expected_hash", digest))
    fields.append(("file", (path.name, data, content_type)))
    body, multipart_type = encode_multipart_formdata(fields)
    asset = client.api("POST", "/assets", body=body, headers={"Content-Type": multipart_type}, idempotent=True)
    return {**asset, "deduplicated": asset.get("created_new") is False}


def _server_has(client: ComfyApiClient, digest: str) -> bool:
    response = client.request("HEAD", f"/assets/by-hash/{quote(digest, safe=':')}")
    return response.status == 200
