"""A UI node's ``widgets_values`` mapped onto input names, the way the frontend lays out widgets."""

from __future__ import annotations

from collections.abc import Mapping
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


def widget_values(node: Mapping[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
    """``{input name: value}`` for every widget of ``node``, as the frontend would serialise them.

    Widgets follow the class's ``input_order``; a dynamic combo's selected option adds its own
    widgets right after it; ``control_after_generate`` and upload buttons take a slot each but are
    not serialised. Missing trailing values keep the schema default.
    """
    raw = node.get("widgets_values")
    named = raw if isinstance(raw, dict) else None
    stored = [] if named is not None or raw is None else list(raw)
    values: dict[str, Any] = {}
    index = 0
    pending = input_specs(info)
    extensions = EXTENSION_WIDGETS.get(str(node.get("type")), {})
    while pending:
        spec = pending.pop(0)
        if not spec.is_widget:
            continue
        if named is not None:
            value = named.get(spec.name, default_of(spec))
        elif index < len(stored):
            value = stored[index]
        else:
            value = default_of(spec)
        index += 1
        values[spec.name] = value
        if spec.type == DYNAMIC_COMBO:
            pending[0:0] = spec.option_inputs(value)
        if spec.has_control_widget:
            index += 1
        if spec.name in extensions:
            added = _extension_values(extensions[spec.name], named, stored[index:])
            values.update(added)
            index += len(added)
        elif spec.has_upload_button:
            index += 1
    for name, mapping in _LEGACY_VALUES.get(str(node.get("type")), {}).items():
        if name in values and isinstance(values[name], str):
            values[name] = mapping.get(values[name], values[name])
    return values


def _extension_values(names: tuple[str, ...], named: Mapping[str, Any] | None, rest: list[Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in names:
        if name.endswith("*"):
            count = len(rest) if named is None else sum(1 for key in named if key.startswith(name[:-1]))
            for number in range(1, count + 1):
                key = f"{name[:-1]}{number}"
                values[key] = named.get(key, "") if named is not None else rest.pop(0)
        elif named is not None:
            values[name] = named.get(name, "")
        else:
            values[name] = rest.pop(0) if rest else ""
    return values


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
