"""Reading the input and output specs of one ``/object_info`` class, whatever their style.

An input spec is ``[TYPE]`` or ``[TYPE, options]``. TYPE is a type name (``"INT"``), a list of
choices (the old combo style), or one of the V3 markers: ``"COMBO"`` (choices in
``options["options"]``), ``COMFY_DYNAMICCOMBO_V3`` (each choice is ``{"key", "inputs"}`` and brings
its own inputs), ``COMFY_AUTOGROW_V3`` (a template input repeated under ``names`` or a ``prefix``,
between ``min`` and ``max`` times) and ``COMFY_MATCHTYPE_V3`` (any of ``allowed_types``).
"""

from __future__ import annotations

from typing import Any

DYNAMIC_COMBO = "COMFY_DYNAMICCOMBO_V3"
AUTOGROW = "COMFY_AUTOGROW_V3"
MATCHTYPE = "COMFY_MATCHTYPE_V3"
SECTIONS = ("required", "optional", "hidden")
#: option keys shown as values; other options that are simply ``true`` are shown as flags
VALUE_KEYS = ("default", "min", "max", "step", "tooltip")

Input = dict[str, Any]


def describe_inputs(inputs: dict[str, Any] | None, order: dict[str, Any] | None = None) -> list[Input]:
    """Every input of a class (or of a dynamic choice), in the server's order, section by section."""
    described = []
    for section in SECTIONS:
        specs = (inputs or {}).get(section) or {}
        names = [n for n in (order or {}).get(section) or [] if n in specs]
        names += [n for n in specs if n not in names]
        described.extend(describe_input(name, specs[name], section) for name in names)
    return described


def describe_input(name: str, spec: Any, section: str) -> Input:
    kind, options = _split(spec)
    described: Input = {"name": name, "section": section}
    if isinstance(kind, list):
        described.update(type="COMBO", choices=kind)
    elif kind == "COMBO":
        described.update(type="COMBO", choices=list(options.get("options") or []))
        if options.get("multiselect"):
            described["multiselect"] = True
    elif kind == DYNAMIC_COMBO:
        choices = [c for c in options.get("options") or [] if isinstance(c, dict)]
        described.update(type="COMBO", choices=[c.get("key") for c in choices],
                         choice_inputs={c.get("key"): describe_inputs(c.get("inputs")) for c in choices})
    elif kind == AUTOGROW:
        described.update(_autogrow(options.get("template") or {}))
    elif kind == MATCHTYPE:
        template = options.get("template") or {}
        described.update(type=template.get("allowed_types") or "*", match_group=template.get("template_id"))
    else:
        described["type"] = str(kind)
    described.update({k: options[k] for k in VALUE_KEYS if k in options})
    flags = sorted(k for k, v in options.items() if v is True and k != "multiselect")
    if flags:
        described["flags"] = flags
    return described


def describe_outputs(info: dict[str, Any]) -> list[dict[str, Any]]:
    types = info.get("output") or []
    names = info.get("output_name") or []
    lists = info.get("output_is_list") or []
    tips = info.get("output_tooltips") or []
    return [{"index": i, "name": names[i] if i < len(names) else str(kind), "type": kind,
             "is_list": bool(lists[i]) if i < len(lists) else False, "tooltip": tips[i] if i < len(tips) else None}
            for i, kind in enumerate(types)]


def _autogrow(template: dict[str, Any]) -> Input:
    inner = describe_inputs(template.get("input"))
    grow: dict[str, Any] = {"min": template.get("min"), "max": template.get("max"), "inputs": inner}
    if template.get("names"):
        grow["names"] = list(template["names"])
        grow["max"] = grow["max"] or len(grow["names"])
    if template.get("prefix"):
        grow["prefix"] = template["prefix"]
    return {"type": ",".join(str(i["type"]) for i in inner) or "*", "autogrow": grow}


def _split(spec: Any) -> tuple[Any, dict[str, Any]]:
    if isinstance(spec, (list, tuple)) and spec:
        options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
        return spec[0], options
    return spec, {}  # hidden inputs are often a bare type name such as "PROMPT"
