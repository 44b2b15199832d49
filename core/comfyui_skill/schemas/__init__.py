"""The JSON Schema (draft 2020-12) files of the machine-readable contract, shipped with the package.

``result``: the ``comfyui-skill/1`` document every command prints with ``--json``.
``event``: one ``comfyui-skill/event/1`` line of ``--output ndjson``; it refers to ``result``'s
``$defs/output`` by ``$id``, so validators need both (``referencing.Registry`` in ``jsonschema``).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

#: schema name -> file in this package
SCHEMA_FILES = {"result": "result.schema.json", "event": "event.schema.json"}


def json_schema(name: str) -> dict[str, Any]:
    """The parsed JSON Schema ``name`` (``"result"`` or ``"event"``)."""
    if name not in SCHEMA_FILES:
        raise KeyError(f"no JSON schema {name!r} (known: {', '.join(SCHEMA_FILES)})")
    text = resources.files(__name__).joinpath(SCHEMA_FILES[name]).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
