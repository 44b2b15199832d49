"""A UI node's ``widgets_values`` mapped onto input names, the way the frontend lays out widgets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .dynprompt import expand_dynamic_prompt
from .nodeinfo import DYNAMIC_COMBO, UPLOAD_OPTIONS, InputSpec, input_specs

#: Frontend load-time migrations of stored widget values: class -> input -> {old: new}.
_LEGACY_VALUES = {cls: {"sampler_name": {"sample_euler": "euler"}} for cls in ("KSampler", "KSamplerAdvanced")}
_TYPE_DEFAULTS = {"INT": 0, "FLOAT": 0.0, "STRING": "", "BOOLEAN": False}


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
        if spec.options.get("control_after_generate"):
            index += 1
        if any(spec.options.get(option) for option in UPLOAD_OPTIONS):
            index += 1
    for name, mapping in _LEGACY_VALUES.get(str(node.get("type")), {}).items():
        if name in values and isinstance(values[name], str):
            values[name] = mapping.get(values[name], values[name])
    return values


def serialise(value: Any, spec: InputSpec | None) -> Any:
    """A widget value as the frontend puts it in the prompt (arrays wrapped, dynamic prompts expanded)."""
    if isinstance(value, list):
        return {"__type__": "CURVE", "__value__": value} if spec is not None and spec.type == "CURVE" \
            else {"__value__": value}
    if isinstance(value, str) and spec is not None and spec.options.get("dynamicPrompts"):
        return expand_dynamic_prompt(value)
    return value
