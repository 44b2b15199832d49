"""A UI node's ``widgets_values`` mapped onto input names, the way the frontend lays out widgets."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .dynprompt import expand_dynamic_prompt
from .nodeinfo import DYNAMIC_COMBO, InputSpec, input_specs

#: Frontend load-time migrations of stored widget values: class -> input -> {old: new}.
_LEGACY_VALUES = {cls: {"sampler_name": {"sample_euler": "euler"}} for cls in ("KSampler", "KSamplerAdvanced")}
_TYPE_DEFAULTS = {"INT": 0, "FLOAT": 0.0, "STRING": "", "BOOLEAN": False, "IMAGECOMPARE": ["", ""]}
#: Widgets the frontend's own extensions add after an input and serialise: class -> input -> names.
#: They take the place of an upload button (Load3D's three buttons are sent with their labels); a
#: name ending in ``*`` takes every remaining stored value, numbered from 1 (CustomCombo's options).
EXTENSION_WIDGETS = {
    "CustomCombo": {"choice": ("index", "option*")},
    "Load3D": {"model_file": ("upload 3d model", "upload extra resources", "clear")},
    "Preview3D": {"model_file": ("image",)},
    "SaveGLB": {"filename_prefix": ("image",)},
}


def default_of(spec: InputSpec) -> Any:
    if "default" in spec.options:
        return spec.options["default"]
    choices = spec.choices
    if choices:
        return choices[0]
    return _TYPE_DEFAULTS.get(spec.type_name)


@dataclass(frozen=True)
class Slot:
    """One position of a node's widget list: an input's widget, a frontend-added widget that is sent
    (``spec`` None), or a slot that is never sent (a ``control_after_generate`` or upload button)."""

    name: str
    spec: InputSpec | None = None
    sent: bool = True

    @property
    def default(self) -> Any:
        return default_of(self.spec) if self.spec is not None else ""


def layout(class_type: str, info: Mapping[str, Any], value_of: Callable[[str], Any]) -> Iterator[Slot]:
    """The widget list the frontend builds for a node, in order. Widgets follow the class's
    ``input_order``; a dynamic combo's selected option (``value_of(name)``, asked once its slot has
    been consumed) adds its own widgets right after it. A slot named ``prefix*`` stands for every
    remaining value, numbered from 1."""
    pending = input_specs(info)
    extensions = EXTENSION_WIDGETS.get(class_type, {})
    while pending:
        spec = pending.pop(0)
        if not spec.is_widget:
            continue
        yield Slot(spec.name, spec)
        if spec.type == DYNAMIC_COMBO:
            pending[0:0] = spec.option_inputs(value_of(spec.name))
        if spec.has_control_widget:
            yield Slot("control_after_generate", sent=False)
        if spec.name in extensions:
            yield from (Slot(name) for name in extensions[spec.name])
        elif spec.has_upload_button:
            yield Slot("upload", sent=False)


def widget_values(node: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
    """``{input name: value}`` for every widget of ``node``, as the frontend would serialise them
    (stored positionally, or by name); missing trailing values keep the schema default."""
    raw = node.get("widgets_values")
    named = raw if isinstance(raw, dict) else None
    stored = [] if named is not None or raw is None else list(raw)
    values: dict[str, Any] = {}
    position = 0
    for slot in layout(str(node.get("type")), info, values.get):
        if slot.name.endswith("*"):
            prefix = slot.name[:-1]
            rest = [(key, named[key]) for key in named if key.startswith(prefix)] if named is not None else \
                [(f"{prefix}{number}", value) for number, value in enumerate(stored[position:], start=1)]
            values.update(rest)
            position += len(rest)
            continue
        if named is not None:
            value = named.get(slot.name, slot.default)
        else:
            value = stored[position] if position < len(stored) else slot.default
        position += 1
        if slot.sent:
            values[slot.name] = value
    for name, mapping in _LEGACY_VALUES.get(str(node.get("type")), {}).items():
        if name in values and isinstance(values[name], str):
            values[name] = mapping.get(values[name], values[name])
    return values


def stored_widgets(class_type: str, info: Mapping[str, Any], values: Mapping[str, Any]) -> list[Any]:
    """The ``widgets_values`` list a node of ``class_type`` stores for ``values`` (what
    ``widget_values`` reads back): schema defaults where a value is missing, ``fixed`` in
    control_after_generate slots, ``image`` in upload-button slots."""
    stored: list[Any] = []
    for slot in layout(class_type, info, lambda _name: stored[-1]):
        if slot.name.endswith("*"):
            prefix = slot.name[:-1]
            numbered = sorted((int(key[len(prefix):]), value) for key, value in values.items()
                              if key.startswith(prefix) and key[len(prefix):].isdigit())
            stored += [value for _, value in numbered]
        elif slot.sent:
            stored.append(values.get(slot.name, slot.default))
        else:
            stored.append("fixed" if slot.name == "control_after_generate" else "image")
    return stored


def serialise(value: Any, spec: InputSpec | None) -> Any:
    """A widget value as the frontend puts it in the prompt (arrays wrapped, dynamic prompts expanded;
    an ImageCompare keeps only an array: an older stored ``{before, after}`` becomes the default)."""
    if spec is not None and spec.type == "IMAGECOMPARE" and not isinstance(value, list):
        value = default_of(spec)
    if isinstance(value, list):
        return {"__type__": "CURVE", "__value__": value} if spec is not None and spec.type == "CURVE" \
            else {"__value__": value}
    if isinstance(value, str) and spec is not None and spec.options.get("dynamicPrompts"):
        return expand_dynamic_prompt(value)
    return value
