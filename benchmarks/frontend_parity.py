"""Compare ``workflow convert`` with the ComfyUI frontend's own "Export (API)" on every official template.

Needs a real ComfyUI server (its page serves the frontend, and its ``/object_info`` is the catalog
both sides use), Node.js with the npm package playwright-core installed outside the repo, and a
Chromium (Debian package ``chromium``). Nothing runs without a server URL:

    cd /tmp/pw && npm install playwright-core
    NODE_PATH=/tmp/pw/node_modules COMFYUI_SKILL_TEST_SERVER=http://127.0.0.1:8188 \\
        .venv/bin/python benchmarks/frontend_parity.py [--captured DIR] [--templates DIR] [--examples N]

The templates come from the pip package comfyui-workflow-templates-json. Every template our converter
converts is loaded, one after another in one headless page, with the app's own ``loadGraphData`` and
exported with ``graphToPrompt`` (benchmarks/frontend_parity.js); the frontend's prompts are kept in
``--captured`` (captured once, reused on later runs). Then each is compared with ours for exact
equality (ids, class_type, inputs and links, ``_meta.title``) and every difference is put in a
category. It prints the counts; it asserts nothing.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from comfyui_skill import CliError
from comfyui_skill_workflows.convert import convert
from comfyui_skill_workflows.nodeinfo import all_input_specs
from workflow_templates import templates  # benchmarks/workflow_templates.py

DRIVER = Path(__file__).with_name("frontend_parity.js")

#: Why a template's prompt differs, by category; the first that explains a difference wins.
RUNTIME_3D = "3D viewport captured at run time (Load3D.image, *3DAdvanced.viewport_state)"
TITLE = "_meta.title: the frontend's bundled display name differs from the server's"
OTHER = "other (see docs/workflows.md, Parity with the frontend)"


def capture(url: str, documents: Mapping[str, dict[str, Any]], captured: Path) -> None:
    """Run the browser driver over the templates not yet captured."""
    missing = {name: doc for name, doc in documents.items() if not (captured / name).exists()}
    if not missing:
        return
    with tempfile.TemporaryDirectory() as folder:
        for name, document in missing.items():
            (Path(folder) / name).write_text(json.dumps(document))
        subprocess.run(["node", str(DRIVER), url, folder, str(captured)], check=True)


def difference_categories(ours: Mapping[str, Any], theirs: Mapping[str, Any],
                          object_info: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(category, where)`` for every node or input on which the two prompts disagree."""
    for node_id in sorted(set(ours) | set(theirs)):
        a, b = ours.get(node_id), theirs.get(node_id)
        if a == b:
            continue
        if a is None or b is None or a["class_type"] != b["class_type"]:
            yield OTHER, f"{node_id} only in {'theirs' if a is None else 'ours'}"
            continue
        if a["_meta"] != b["_meta"]:
            yield TITLE, f"{a['class_type']} {b['_meta'].get('title')!r}"
        specs = all_input_specs(object_info.get(a["class_type"]) or {}, a["inputs"])
        for name in sorted(set(a["inputs"]) | set(b["inputs"])):
            if a["inputs"].get(name, KeyError) == b["inputs"].get(name, KeyError):
                continue
            spec = specs.get(name)
            category = RUNTIME_3D if spec is not None and spec.type == "LOAD_3D" else OTHER
            yield category, f"{node_id} {a['class_type']}.{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("COMFYUI_SKILL_TEST_SERVER"))
    parser.add_argument("--captured", type=Path, default=Path(tempfile.gettempdir()) / "frontend-parity")
    parser.add_argument("--templates", type=Path, help="a folder of templates (default: the installed "
                        "comfyui-workflow-templates-json, e.g. the server's own copy instead)")
    parser.add_argument("--examples", type=int, default=3, help="template names shown per category")
    args = parser.parse_args()
    if not args.url:
        sys.exit("needs a real ComfyUI server: --url or COMFYUI_SKILL_TEST_SERVER (see the module docstring)")
    with urllib.request.urlopen(f"{args.url.rstrip('/')}/object_info") as answer:
        object_info = json.load(answer)

    documents = dict(templates(args.templates))
    converted: dict[str, dict[str, Any]] = {}
    failures: collections.Counter[str] = collections.Counter()
    for name, document in documents.items():
        try:
            converted[name] = convert(document, object_info)
        except CliError as exc:
            failures["unknown node classes" if exc.details.get("unknown_classes") else exc.message] += 1
    args.captured.mkdir(parents=True, exist_ok=True)
    capture(args.url, {name: documents[name] for name in converted}, args.captured)

    exact, frontend_errors = 0, 0
    templates_by_category: dict[str, list[str]] = collections.defaultdict(list)
    where_by_category: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for name, ours in converted.items():
        result = json.loads((args.captured / name).read_text())
        if "output" not in result:
            frontend_errors += 1
            continue
        if ours == result["output"]:
            exact += 1
            continue
        found = list(difference_categories(ours, result["output"], object_info))
        for category in dict.fromkeys(category for category, _ in found):
            templates_by_category[category].append(name.removesuffix(".json"))
        for category, where in found:
            where_by_category[category][where] += 1

    print(f"{len(documents)} editor-format templates, {len(converted)} convert against {args.url}/object_info")
    for reason, count in failures.most_common():
        print(f"  {count:4d} do not convert: {reason}")
    print(f"{exact} of {len(converted)} converted templates match the frontend's Export (API) exactly")
    if frontend_errors:
        print(f"  {frontend_errors:4d} could not be exported by the frontend")
    print(f"{len(converted) - exact - frontend_errors} differ; templates per category (one may be in several):")
    for category, names in sorted(templates_by_category.items(), key=lambda item: -len(item[1])):
        print(f"  {len(names):4d}  {category}: {', '.join(names[:args.examples])}")
        for where, count in where_by_category[category].most_common(args.examples):
            print(f"          {count:3d}x {where}")


if __name__ == "__main__":
    main()
