"""``POST /prompt`` validation against the catalog, reproducing ComfyUI 0.33's ``validate_prompt``.

Error types, messages, details and the quirks of error attribution follow the recorded 400 responses.
Failures while following links are real Python exceptions (``KeyError``, ``IndexError``...) whose
reports carry the traceback frames the real server prints for the same failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .catalog import DYNAMIC_COMBO, Catalog, InputSpec, types_match
from .files import Dirs, annotated_path

CUSTOM_VALIDATED = {"LoadImage": "image", "LoadImageMask": "image", "LoadImageOutput": "image"}
"""Inputs checked by a node's own ``VALIDATE_INPUTS`` (they skip the combo check)."""
CONVERTERS = {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}
MAX_LISTED_OPTIONS = 20

Reasons = list[dict[str, Any]]


def error(type_: str, message: str, details: str = "", extra_info: dict | None = None) -> dict[str, Any]:
    return {"type": type_, "message": message, "details": details, "extra_info": extra_info or {}}


def exception_type(ex: BaseException) -> str:
    module = type(ex).__module__
    return type(ex).__qualname__ if module == "builtins" else f"{module}.{type(ex).__qualname__}"


@contextmanager
def _site(name: str) -> Iterator[None]:
    """Tag exceptions with the line of ComfyUI's ``execution.py`` that raises them there."""
    try:
        yield
    except Exception as ex:
        if not hasattr(ex, "comfy_site"):
            ex.comfy_site = name  # type: ignore[attr-defined]
        raise


@dataclass
class ValidationResult:
    ok: bool
    error: dict[str, Any] | None
    outputs: list[str]
    node_errors: dict[str, Any] = field(default_factory=dict)


class _Validator:
    def __init__(self, prompt: dict, catalog: Catalog, dirs: Dirs, frames: dict[str, str]) -> None:
        self.prompt = prompt
        self.catalog = catalog
        self.dirs = dirs
        self.frames = frames
        self.validated: dict[Any, tuple[bool, Reasons]] = {}

    def traceback(self, head: str, ex: BaseException) -> list[str]:
        return [self.frames[head], self.frames[getattr(ex, "comfy_site", "class_type")]]

    def validate(self, node_id: Any, visiting: list) -> tuple[bool, Reasons]:
        if node_id in self.validated:
            return self.validated[node_id]
        if node_id in visiting:
            return self._cycle(visiting[visiting.index(node_id):] + [node_id])
        visiting.append(node_id)
        try:
            with _site("inputs"):
                inputs = self.prompt[node_id]["inputs"]
            class_type = self.prompt[node_id]["class_type"]
            errors, valid = self._check_inputs(class_type, inputs, visiting)
        finally:
            visiting.pop()
        result = (not errors and valid, errors)
        return self.validated.setdefault(node_id, result)

    def _cycle(self, path: list) -> tuple[bool, Reasons]:
        nodes = list(dict.fromkeys(path))
        details = " -> ".join(f"{node} ({self.prompt[node]['class_type']})" for node in path)
        for node in nodes:
            self.validated[node] = (False, [error("dependency_cycle", "Dependency cycle detected", details,
                                                  {"node_id": node, "cycle_nodes": nodes})])
        return self.validated[path[0]]

    def _check_inputs(self, class_type: str, inputs: dict, visiting: list) -> tuple[Reasons, bool]:
        errors: Reasons = []
        valid = True
        custom = CUSTOM_VALIDATED.get(class_type)
        for name, spec in self.catalog.input_specs(class_type, inputs).items():
            if name not in inputs:
                if spec.category == "required":
                    errors.append(error("required_input_missing", "Required input is missing", name,
                                        {"input_name": name}))
                continue
            if isinstance(inputs[name], list):
                reason, linked_ok = self._check_link(name, spec, inputs[name], visiting)
                errors += reason
                valid = valid and linked_ok
            else:
                errors += self._check_value(name, spec, inputs, checked_by_node=name == custom)
        if custom in inputs and not isinstance(inputs[custom], list):
            image = inputs[custom]
            if not annotated_path(self.dirs, str(image)).exists():
                errors.append(error("custom_validation_failed", "Custom validation failed for node",
                                    f"{custom} - Invalid image file: {image}", {"input_name": custom}))
        return errors, valid

    def _check_link(self, name: str, spec: InputSpec, link: list, visiting: list) -> tuple[Reasons, bool]:
        if len(link) != 2:
            return [error("bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                          name, {"input_name": name, "input_config": spec.config, "received_value": link})], True
        source = link[0]
        with _site("class_type"):
            source_class = self.prompt[source]["class_type"]
        with _site("output_index"):
            received = self.catalog.output_types(source_class)[link[1]]
        if not types_match(received, spec.type):
            return [error("return_type_mismatch", "Return type mismatch between linked nodes",
                          f"{name}, received_type({received}) mismatch input_type({spec.type})",
                          {"input_name": name, "input_config": spec.config, "received_type": received,
                           "linked_node": link})], True
        try:
            return [], self.validate(source, visiting)[0]
        except Exception as ex:
            self.validated[source] = (False, [error(
                "exception_during_inner_validation", "Exception when validating inner node", str(ex),
                {"input_name": name, "input_config": spec.config, "exception_message": str(ex),
                 "exception_type": exception_type(ex),
                 "traceback": self.traceback("validate_inputs_recurse", ex), "linked_node": link})])
            return [], False

    def _check_value(self, name: str, spec: InputSpec, inputs: dict, checked_by_node: bool) -> Reasons:
        value = inputs[name]
        try:
            if isinstance(value, dict) and "__value__" in value:
                value = inputs[name] = value["__value__"]
            convert = CONVERTERS.get(spec.type) if isinstance(spec.type, str) else None
            if convert is not None:
                value = inputs[name] = convert(value)
        except Exception as ex:
            return [error("invalid_input_type", f"Failed to convert an input value to a {spec.type} value",
                          f"{name}, {value}, {ex}", {"input_name": name, "input_config": spec.config,
                                                     "received_value": value, "exception_message": str(ex)})]
        if checked_by_node:
            return []
        extra = {"input_name": name, "input_config": spec.config, "received_value": value}
        if "min" in spec.extra and value < spec.extra["min"]:
            return [error("value_smaller_than_min", f"Value {value} smaller than min of {spec.extra['min']}",
                          name, extra)]
        if "max" in spec.extra and value > spec.extra["max"]:
            return [error("value_bigger_than_max", f"Value {value} bigger than max of {spec.extra['max']}",
                          name, extra)]
        options = _options(spec)
        if options is not None and value not in options:
            listed = str(options)
            if len(options) > MAX_LISTED_OPTIONS:
                listed, extra["input_config"] = f"(list of length {len(options)})", None
            return [error("value_not_in_list", "Value not in list", f"{name}: '{value}' not in {listed}", extra)]
        return []


def _options(spec: InputSpec) -> list | None:
    if isinstance(spec.type, list):
        return spec.type
    if spec.type == "COMBO":
        return spec.extra.get("options", [])
    if spec.type == DYNAMIC_COMBO:
        return [option.get("key") for option in spec.extra.get("options", [])]
    return None


def _missing_node_type(node_id: Any, node: dict) -> ValidationResult:
    """The early ``missing_node_type`` rejection (empty ``node_errors``)."""
    if "class_type" not in node:
        class_type = title = None
        message = f"Node 'ID #{node_id}' has no class_type. The workflow may be corrupted or a custom node is missing."
    else:
        class_type = node["class_type"]
        title = node.get("_meta", {}).get("title", class_type)
        message = f"Node '{class_type}' not found. The custom node may not be installed."
    return ValidationResult(False, error("missing_node_type", message, f"Node ID '#{node_id}'",
                                         {"node_id": node_id, "class_type": class_type, "node_title": title}), [])


def validate_prompt(prompt: dict, partial_targets: Any, catalog: Catalog, dirs: Dirs,
                    frames: dict[str, str]) -> ValidationResult:
    """Validate (and coerce, in place) an API-format prompt; raises on malformed shapes (-> HTTP 500)."""
    outputs = []
    for node_id, node in prompt.items():
        if "class_type" not in node or catalog.get(node["class_type"]) is None:
            return _missing_node_type(node_id, node)
        if catalog.is_output(node["class_type"]) and (partial_targets is None or node_id in partial_targets):
            outputs.append(node_id)
    if not outputs:
        return ValidationResult(False, error("prompt_no_outputs", "Prompt has no outputs"), [])

    validator = _Validator(prompt, catalog, dirs, frames)
    good: list[str] = []
    failures: list[tuple[str, Reasons]] = []
    node_errors: dict[str, Any] = {}
    for output in outputs:
        try:
            valid, reasons = validator.validate(output, [])
        except Exception as ex:
            valid, reasons = False, [error("exception_during_validation", "Exception when validating node", str(ex),
                                           {"exception_type": exception_type(ex),
                                            "traceback": validator.traceback("validate_prompt", ex)})]
            validator.validated[output] = (valid, reasons)
        if valid:
            good.append(output)
            continue
        failures.append((output, reasons))
        for node_id, (node_valid, node_reasons) in validator.validated.items():
            if not node_valid and node_reasons:
                entry = node_errors.setdefault(node_id, {"errors": node_reasons, "dependent_outputs": [],
                                                         "class_type": prompt[node_id]["class_type"]})
                entry["dependent_outputs"].append(output)
    if not good:
        details = "\n".join(f"{reason['message']}: {reason['details']}"
                            for _, reasons in failures for reason in reasons)
        return ValidationResult(False, error("prompt_outputs_failed_validation", "Prompt outputs failed validation",
                                             details), [], node_errors)
    return ValidationResult(True, None, good, node_errors)


def apply_node_replacements(prompt: dict, replacements: dict[str, list], catalog: Catalog) -> None:
    """Rewrite unknown classes listed in ``/node_replacements`` (inputs and output slots remapped)."""
    moved: dict[Any, dict[int, int]] = {}
    for node_id, node in prompt.items():
        class_type = node.get("class_type") if isinstance(node, dict) else None
        if not isinstance(class_type, str) or catalog.get(class_type) is not None or class_type not in replacements:
            continue
        rule = replacements[class_type][0]
        old = node.get("inputs", {})
        if rule.get("input_mapping") is not None:
            node["inputs"] = {m["new_id"]: m["set_value"] if "set_value" in m else old[m["old_id"]]
                              for m in rule["input_mapping"] if "set_value" in m or m.get("old_id") in old}
        node["class_type"] = rule["new_node_id"]
        moved[node_id] = {m["old_idx"]: m["new_idx"] for m in rule.get("output_mapping") or []}
    for node in prompt.values():
        for name, value in (node.get("inputs", {}) if isinstance(node, dict) else {}).items():
            if isinstance(value, list) and len(value) == 2 and value[0] in moved:
                node["inputs"][name] = [value[0], moved[value[0]].get(value[1], value[1])]
