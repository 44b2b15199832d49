"""Validating documents against the shipped JSON Schemas (jsonschema is a test-only dependency)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from comfyui_skill import json_schema

_SCHEMAS = {name: json_schema(name) for name in ("result", "event")}
_REGISTRY = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema)) for schema in _SCHEMAS.values())
VALIDATORS = {name: Draft202012Validator(schema, registry=_REGISTRY) for name, schema in _SCHEMAS.items()}


def problems(name: str, document: Any) -> list[str]:
    """Every way ``document`` breaks schema ``name`` (empty: it conforms)."""
    return [f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
            for error in VALIDATORS[name].iter_errors(document)]


def assert_result(document: Any) -> Any:
    """``document`` is a valid comfyui-skill/1 result; returns it for chaining."""
    assert not problems("result", document), problems("result", document)
    return document


def assert_ndjson(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every line but the last is a valid event, the last a valid result; returns the events."""
    assert lines, "no output"
    *events, last = lines
    for event in events:
        assert not problems("event", event), (event, problems("event", event))
    assert_result(last)
    return events


def field(document: dict[str, Any], definition: str, key: str) -> Any:
    """``document[key]``, after checking the result schema documents ``key`` in ``$defs/definition``."""
    assert key in _SCHEMAS["result"]["$defs"][definition]["properties"], f"{definition}.{key} is not documented"
    return document[key]
