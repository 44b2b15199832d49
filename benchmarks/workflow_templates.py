"""Convert every official workflow template (pip package comfyui-workflow-templates-json) to the API
format against the recorded ComfyUI 0.33 catalog and count how many convert, and why the rest fail.

    pip install comfyui-workflow-templates-json && python benchmarks/workflow_templates.py

This counts conversions; benchmarks/frontend_parity.py compares them with the frontend's own output.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

from comfyui_skill import CliError
from comfyui_skill.testing.fake_comfyui.server import recorded_catalog
from comfyui_skill_workflows.convert import convert
from comfyui_skill_workflows.uigraph import is_editor_format


def templates(folder: Any = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(file name, document)`` of every editor-format template in ``folder`` (default: the
    installed package's)."""
    folder = folder or resources.files("comfyui_workflow_templates_json") / "templates"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        try:
            document = json.loads(entry.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if is_editor_format(document):
            yield entry.name, document


def main() -> None:
    catalog = recorded_catalog()
    total, converted, failures = 0, 0, collections.Counter()
    for _, document in templates():
        total += 1
        try:
            convert(document, catalog)
            converted += 1
        except CliError as exc:
            failures[exc.code + ": unknown node classes" if exc.details.get("unknown_classes") else exc.message] += 1
    print(f"{converted} of {total} editor-format templates convert")
    for reason, count in failures.most_common():
        print(f"  {count:4d}  {reason}")


if __name__ == "__main__":
    main()
