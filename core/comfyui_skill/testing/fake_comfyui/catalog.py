"""The node catalog (``/object_info``) and the input specs validation needs.

The catalog is the recorded ComfyUI 0.33 ``object_info`` (887 classes) unless a test passes its own.
Two kinds of combos are live, as on a real server: LoadImage-style ``image`` lists follow the input
directory, and model loader lists follow ``FakeComfyUI.models``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ...loaders import loader_folder
from .files import Dirs, image_files

AUTOGROW = "COMFY_AUTOGROW_V3"
DYNAMIC_COMBO = "COMFY_DYNAMICCOMBO_V3"
MATCH_TYPE = "COMFY_MATCHTYPE_V3"
INPUT_IMAGE_CLASSES = ("LoadImage", "LoadImageMask")
@dataclass(frozen=True)
class InputSpec:
    category: str
    """``required`` or ``optional``."""
    type: Any
    """A type name (``"INT"``, ``"IMAGE,MASK"``, ``"COMBO"``...) or, for old-style combos, the option list."""
    extra: dict

    @property
    def config(self) -> list:
        """ComfyUI's ``input_config`` in error reports: ``[type, extra]``."""
        return [self.type, self.extra]


def _combo_options(spec: list) -> list | None:
    """The mutable option list of a combo spec, or None when the spec is not a combo."""
    if isinstance(spec[0], list):
        return spec[0]
    if spec[0] == "COMBO" and len(spec) > 1 and isinstance(spec[1].get("options"), list):
        return spec[1]["options"]
    return None


def types_match(received: Any, expected: Any) -> bool:
    """ComfyUI's ``validate_node_input`` (non-strict) plus match-type templates."""
    if received == expected or (isinstance(expected, list) and received == "COMBO"):
        return True
    if not isinstance(received, str) or not isinstance(expected, str):
        return False
    got = {t.strip() for t in received.split(",")}
    want = {t.strip() for t in expected.split(",")}
    return bool({"*", MATCH_TYPE} & (got | want)) or bool(got & want)


class Catalog:
    def __init__(self, classes: dict[str, Any], dirs: Dirs, models: dict[str, list[str]]) -> None:
        self._classes = classes
        self._dirs = dirs
        self._models = models
        self._model_inputs = [
            (class_type, category, name, folder)
            for class_type, info in classes.items()
            for category, inputs in info.get("input", {}).items()
            for name, spec in (inputs or {}).items()
            if (folder := loader_folder(class_type, name))
            and not isinstance(spec, str) and _combo_options(spec) is not None
        ]
        self._cache: tuple[tuple, dict[str, Any], bytes] | None = None

    def _patched(self) -> tuple[dict[str, Any], bytes]:
        images = image_files(self._dirs.input)
        models = {folder: list(files) for folder, files in self._models.items()}
        key = (images, models)
        if self._cache is None or self._cache[0] != key:
            classes = dict(self._classes)

            def options(class_type: str, category: str, name: str) -> list:
                if classes[class_type] is self._classes[class_type]:
                    classes[class_type] = copy.deepcopy(self._classes[class_type])
                return _combo_options(classes[class_type]["input"][category][name])

            for class_type in INPUT_IMAGE_CLASSES:
                if class_type in classes:
                    options(class_type, "required", "image")[:] = images
            for class_type, category, name, folder in self._model_inputs:
                recorded = _combo_options(self._classes[class_type]["input"][category][name])
                options(class_type, category, name)[:] = models.get(folder, []) + recorded
            self._cache = (key, classes, json.dumps(classes).encode())
        return self._cache[1], self._cache[2]

    def all(self) -> dict[str, Any]:
        return self._patched()[0]

    def json_bytes(self) -> bytes:
        """The whole ``/object_info`` body, cached while nothing live changes."""
        return self._patched()[1]

    def get(self, class_type: Any) -> dict[str, Any] | None:
        return self.all().get(class_type) if isinstance(class_type, str) else None

    def output_types(self, class_type: str) -> tuple:
        return tuple(self._classes[class_type]["output"])

    def is_output(self, class_type: str) -> bool:
        return bool(self._classes[class_type].get("output_node"))

    def input_specs(self, class_type: str, inputs: dict[str, Any]) -> dict[str, InputSpec]:
        """Required and optional inputs, with V3 autogrow and dynamic-combo inputs expanded for ``inputs``."""
        specs: dict[str, InputSpec] = {}
        declared = self.all()[class_type]["input"]
        for category in ("required", "optional"):
            for name, spec in (declared.get(category) or {}).items():
                specs.update(_expand(category, name, spec, inputs))
        return specs


def _expand(category: str, name: str, spec: list, inputs: dict[str, Any]) -> Iterable[tuple[str, InputSpec]]:
    kind, extra = spec[0], (spec[1] if len(spec) > 1 else {})
    if kind == AUTOGROW:
        template = extra.get("template", {})
        names = template.get("names") or [f"{template.get('prefix', '')}{i}" for i in range(template.get("max", 0))]
        fields = [(sub_category, sub_name, sub_spec)
                  for sub_category, subs in template.get("input", {}).items()
                  for sub_name, sub_spec in subs.items()]
        for index, item in enumerate(names):
            for sub_category, sub_name, sub_spec in fields:
                key = f"{name}.{item}" if len(fields) == 1 else f"{name}.{item}.{sub_name}"
                required = category == "required" and sub_category == "required" and index < template.get("min", 0)
                yield key, InputSpec("required" if required else "optional", sub_spec[0],
                                     sub_spec[1] if len(sub_spec) > 1 else {})
        return
    yield name, InputSpec(category, kind, extra)
    if kind == DYNAMIC_COMBO:
        for option in extra.get("options", []):
            if option.get("key") == inputs.get(name):
                for sub_category, subs in option.get("inputs", {}).items():
                    for sub_name, sub_spec in subs.items():
                        yield from _expand(sub_category if category == "required" else "optional",
                                           f"{name}.{sub_name}", sub_spec, inputs)
