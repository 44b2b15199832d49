"""Reading ``/object_info`` entries: input specs, widgets, combo choices, dynamic inputs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: Input types the frontend draws as widgets (a list type is a combo too).
WIDGET_TYPES = frozenset({"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", "COLOR", "CURVE", "IMAGECOMPARE",
                          "BOUNDING_BOX", "BOUNDING_BOXES", "COLORS", "FLOATS", "COMPOSITOR", "LOAD_3D"})
DYNAMIC_COMBO = "COMFY_DYNAMICCOMBO_V3"
AUTOGROW = "COMFY_AUTOGROW_V3"
MATCH_TYPE = "COMFY_MATCHTYPE_V3"
#: Options that make the frontend add a button widget after a combo (a slot in widgets_values).
UPLOAD_OPTIONS = ("image_upload", "video_upload", "audio_upload", "file_upload")
#: INT inputs that get a control_after_generate widget unless their spec says otherwise.
SEED_NAMES = ("seed", "noise_seed")


@dataclass(frozen=True)
class InputSpec:
    """One input of a node class: ``name`` as the server expects it (``format.codec`` for nested ones)."""

    name: str
    type: Any
    options: Mapping[str, Any]
    required: bool

    @property
    def is_combo(self) -> bool:
        return isinstance(self.type, list) or self.type == "COMBO"

    @property
    def choices(self) -> list[Any] | None:
        if isinstance(self.type, list):
            return list(self.type)
        if self.type in ("COMBO", DYNAMIC_COMBO):
            options = self.options.get("options") or []
            return [o.get("key") if isinstance(o, dict) else o for o in options]
        return None

    @property
    def is_widget(self) -> bool:
        if self.options.get("forceInput"):
            return False
        return self.is_combo or self.type in WIDGET_TYPES or self.type == DYNAMIC_COMBO \
            or bool(self.options.get("widgetType"))

    @property
    def has_control_widget(self) -> bool:
        """The frontend adds a ``control_after_generate`` widget after this one (a slot, not serialised):
        when the spec asks for it, and for an INT named seed/noise_seed unless the spec says no."""
        option = self.options.get("control_after_generate")
        if self.type == "INT" and option is None:
            return self.name in SEED_NAMES
        return bool(option) and (self.type in ("INT", "FLOAT") or self.is_combo)

    @property
    def has_upload_button(self) -> bool:
        return self.is_combo and any(self.options.get(option) for option in UPLOAD_OPTIONS)

    @property
    def type_name(self) -> str:
        return "COMBO" if self.is_combo else str(self.type)

    def option_inputs(self, key: Any) -> list[InputSpec]:
        """The inputs a dynamic combo adds when ``key`` is selected, named ``self.name.child``."""
        for option in self.options.get("options") or []:
            if isinstance(option, dict) and option.get("key") == key:
                return list(_section_specs(option.get("inputs") or {}, prefix=f"{self.name}."))
        return []


def _section_specs(inputs: Mapping[str, Any], *, prefix: str = "",
                   order: Mapping[str, list[str]] | None = None) -> Iterator[InputSpec]:
    for section in ("required", "optional"):
        specs = inputs.get(section) or {}
        names = (order or {}).get(section) or list(specs)
        for name in names:
            spec = specs.get(name)
            if not isinstance(spec, (list, tuple)) or not spec:
                continue
            options = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
            yield InputSpec(prefix + name, spec[0], options, section == "required")


def input_specs(info: Mapping[str, Any]) -> list[InputSpec]:
    """The declared (top-level) inputs of a class in the server's ``input_order``."""
    return list(_section_specs(info.get("input") or {}, order=info.get("input_order")))


def all_input_specs(info: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, InputSpec]:
    """Every input a node of this class takes given its current ``values``: dynamic-combo children of
    the selected options included, by their dotted names."""
    found: dict[str, InputSpec] = {}
    pending = input_specs(info)
    while pending:
        spec = pending.pop(0)
        found[spec.name] = spec
        if spec.type == DYNAMIC_COMBO:
            key = values.get(spec.name, spec.options.get("default", (spec.choices or [None])[0]))
            pending[0:0] = spec.option_inputs(key)
    return found


def display_title(info: Mapping[str, Any] | None, class_type: str) -> str:
    return (info or {}).get("display_name") or class_type


def output_types(info: Mapping[str, Any]) -> list[str]:
    return [str(t) for t in info.get("output") or []]


def types_compatible(a: Any, b: Any) -> bool:
    """The frontend's ``isValidConnection``: ``*`` and empty match anything, else comma lists intersect."""
    a, b = str(a or ""), str(b or "")
    if a in ("", "*") or b in ("", "*"):
        return True
    return bool(set(a.upper().split(",")) & set(b.upper().split(",")))


def is_link(value: Any) -> bool:
    """An API-format input that is a link ``[node id, output index]``."""
    return isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], int)
