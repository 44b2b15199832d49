"""The parameter schema of an API-format workflow (from ``/object_info``) and binding values to it."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comfyui_skill import (NotFoundError, RejectedError, UsageError, choices_text, deps_hint, did_you_mean,
                           node_order, not_offered, plural, resolve_address, split_address)

from .nodeinfo import SEED_NAMES, InputSpec, all_input_specs, is_link

#: Friendly name -> input names that carry it (``prompt``/``negative`` are found through the links).
FRIENDLY = {"seed": ("seed", "noise_seed"), "steps": ("steps",), "cfg": ("cfg",), "width": ("width",),
            "height": ("height",), "batch": ("batch_size",), "sampler": ("sampler_name",),
            "scheduler": ("scheduler",), "checkpoint": ("ckpt_name",), "denoise": ("denoise",),
            "unet": ("unet_name",), "vae": ("vae_name",), "lora": ("lora_name",), "guidance": ("guidance",),
            "length": ("length",), "prefix": ("filename_prefix",)}
_TEXT_INPUTS = ("text", "prompt")
_LOCAL_PATH = ("/", "./", "../", "~")
_SEED_MAX = 2**53  # what a JSON consumer can hold exactly
#: The server's model folders and their files, asked for lazily (see :func:`comfyui_skill.model_folders`).
Folders = Callable[[], Mapping[str, Sequence[str]]]


class LocalFileMissing(ValueError):
    """A value written as a local path (``./in.png``) that names no file: nothing to upload."""


class NotOffered(ValueError):
    """A combo value the server does not offer; :func:`describe` says it (and finds a model's folder)."""

    def __init__(self, value: Any, choices: list[Any]) -> None:
        super().__init__(f"{value!r} is not offered by the server")
        self.value, self.choices = value, choices

    def describe(self, folders: Folders | None, class_type: str | None, input_name: str) -> tuple[str, dict[str, Any]]:
        """The phrase and the ``--json`` facts of :func:`comfyui_skill.not_offered`."""
        return not_offered(self.value, self.choices, folders, loader=(class_type, input_name))


class OutOfRange(ValueError):
    """A number outside the input's limits (the message names them)."""


@dataclass
class Param:
    node: str
    input: str
    spec: InputSpec
    default: Any
    title: str
    name: str | None = None

    @property
    def address(self) -> str:
        return f"{self.node}.{self.input}"

    def to_json(self) -> dict[str, Any]:
        opts = self.spec.options
        return {"name": self.name, "address": self.address, "node": self.node, "input": self.input,
                "title": self.title, "type": self.spec.type_name, "default": self.default,
                "min": opts.get("min"), "max": opts.get("max"), "step": opts.get("step"),
                "choices": self.spec.choices}


def schema(graph: Mapping[str, Any], object_info: Mapping[str, Any]) -> list[Param]:
    """Every literal input of every known node, friendly names attached."""
    params = []
    for node_id, node in graph.items():
        info = object_info.get(node.get("class_type"))
        if not info:
            continue
        inputs = node.get("inputs") or {}
        specs = all_input_specs(info, inputs)
        title = (node.get("_meta") or {}).get("title") or node["class_type"]
        for name, value in inputs.items():
            if name in specs and not is_link(value):
                params.append(Param(node_id, name, specs[name], value, title))
    _name_friendly(graph, params)
    return params


def _name_friendly(graph: Mapping[str, Any], params: list[Param]) -> None:
    found: dict[str, list[Param]] = {}
    roles = _text_roles(graph)
    for param in sorted(params, key=lambda p: node_order(p.node)):
        for friendly, inputs in FRIENDLY.items():
            if param.input in inputs:
                found.setdefault(friendly, []).append(param)
        if param.input in _TEXT_INPUTS and param.spec.type_name == "STRING" and param.node in roles:
            found.setdefault(roles[param.node], []).append(param)
        if param.input == "image" and graph[param.node].get("class_type") == "LoadImage":
            found.setdefault("image", []).append(param)
    for friendly, holders in found.items():
        for index, param in enumerate(holders):
            param.name = friendly if index == 0 else f"{friendly}_{index + 1}"


def _text_roles(graph: Mapping[str, Any]) -> dict[str, str]:
    """Text nodes whose output reaches a ``positive`` (prompt) or ``negative`` input, nearest first."""
    consumers: dict[str, list[tuple[str, str]]] = {}
    for node_id, node in graph.items():
        for name, value in (node.get("inputs") or {}).items():
            if is_link(value):
                consumers.setdefault(value[0], []).append((node_id, name))
    roles = {}
    for node_id in graph:
        frontier, seen = [node_id], {node_id}
        while frontier and node_id not in roles:
            following = []
            hits = [name for current in frontier for _target, name in consumers.get(current, [])
                    if name in ("positive", "negative")]
            if hits:
                roles[node_id] = "prompt" if "positive" in hits else "negative"
            for current in frontier:
                following += [t for t, _ in consumers.get(current, []) if t not in seen]
            seen.update(following)
            frontier = following
    return roles


# ----------------------------------------------------------------- binding values
#: The value of an option given without one (``run W --bogus``): :func:`bind` says what is wrong.
NO_VALUE = object()


def parse_options(extra_args: Sequence[str]) -> dict[str, Any]:
    """``--name value`` / ``--name=value`` pairs of the command line, as strings; :data:`NO_VALUE`
    for a name followed by nothing or by the next ``--option`` (give ``--name=--text`` for such a value)."""
    values: dict[str, Any] = {}
    items = list(extra_args)
    while items:
        item = items.pop(0)
        if not item.startswith("--") or len(item) == 2:
            raise UsageError(f"unexpected argument {item!r}", hint="parameters are given as --NAME VALUE")
        name, sep, value = item[2:].partition("=")
        if not sep:
            value = items.pop(0) if items and not _is_option(items[0]) else NO_VALUE
        if name in values and values[name] != value and NO_VALUE not in (values[name], value):
            raise UsageError(f"--{name} is given twice, as {values[name]!r} and {value!r}: give it once")
        values[name] = value
    return values


def _is_option(item: str) -> bool:
    return item.startswith("--") and len(item) > 2


def bind(graph: dict[str, Any], params: list[Param], values: Mapping[str, Any] | Sequence[tuple[str, Any]],
         object_info: Mapping[str, Any], folders: Folders | None = None, workflow: str | None = None) -> None:
    """Validate and coerce every value, then write them all; RejectedError lists every problem.
    ``folders`` (the server's model folders, asked only for a model file it lacks) names its folder,
    and the hint then names the ``deps`` commands for ``workflow``.

    ``values``: a mapping, or ``(key, value)`` pairs where two keys may name one input
    (``--set 1.width=40`` and ``--width 50``): two different values for one input are a UsageError.
    """
    pairs = list(values.items() if isinstance(values, Mapping) else values)
    index = _index(graph, params)
    _check_valueless(graph, params, index, pairs, object_info)
    problems, bound = [], []
    given: dict[str, tuple[str, Any]] = {}  # address -> (key, value) of the first value for it
    for key, raw in pairs:
        param = index.get(key) or _declared(graph, object_info, key)
        if param is None:
            _check_node_ref(graph, key)
            problems.append({"parameter": key, "problem": "unknown parameter"})
            continue
        try:
            value = coerce(param, raw)
        except LocalFileMissing as exc:
            problems.append({"parameter": key, "problem": str(exc), "missing_file": True})
        except OutOfRange as exc:
            problems.append({"parameter": key, "problem": str(exc)})
        except NotOffered as exc:
            text, facts = exc.describe(folders, graph[param.node].get("class_type"), param.input)
            problems.append({"parameter": key, "problem": text, "valid": _valid(param), **facts})
        except ValueError as exc:
            problems.append({"parameter": key, "problem": str(exc), "valid": _valid(param)})
        else:
            first = given.setdefault(param.address, (key, value))
            if first[1] != value:
                raise UsageError(f"{first[0]} and {key} are the same input ({param.address}) with two values, "
                                 f"{first[1]!r} and {value!r}", hint="give it one value")
            bound.append((param, value))
    if problems:
        names = sorted(p.name for p in params if p.name)
        lines = [problem_line(p) for p in problems]
        unknown = [p["parameter"] for p in problems if p["problem"] == "unknown parameter"]
        error = NotFoundError if all(p.get("missing_file") for p in problems) else RejectedError
        raise error(f"{plural(len(problems), 'invalid workflow parameter')}:\n  " + "\n  ".join(lines),
                    hint=deps_hint(workflow, problems) or parameters_hint(unknown, params),
                    details={"problems": problems, "parameters": names,
                             "unknown_options": [f"--{name}" for name in unknown]})
    for param, value in bound:
        graph[param.node].setdefault("inputs", {})[param.input] = value


def _check_valueless(graph: Mapping[str, Any], params: list[Param], index: Mapping[str, Param],
                     values: Sequence[tuple[str, Any]], object_info: Mapping[str, Any]) -> None:
    """An option given without a value is a usage error: a parameter's needs a value; any other is
    an option nobody knows (not a parameter short of its value)."""
    valueless = [key for key, raw in values if raw is NO_VALUE]
    unknown = [key for key in valueless if key not in index and _declared(graph, object_info, key) is None]
    if unknown:
        listed = ", ".join(f"--{key}" for key in unknown)
        raise UsageError(f"unknown option{'s' if len(unknown) > 1 else ''} or parameter{'s' if len(unknown) > 1 else ''} "
                         f"{listed}", hint=parameters_hint(unknown, params),
                         details={"unknown_options": [f"--{key}" for key in unknown]})
    if valueless:
        raise UsageError(f"--{valueless[0]} needs a value",
                         hint=f"give it as --{valueless[0]}=VALUE when the value itself starts with '--'")


#: Up to this many named parameters, a hint lists them all when none is close to what was typed.
LISTED_PARAMETERS = 12


def parameters_hint(typed: Sequence[str], params: list[Param]) -> str:
    """The parameters close to each mistyped name; when none is, all the named ones if they are few."""
    names = sorted({p.name for p in params if p.name})
    addresses = [p.address for p in params]
    close = [(key, hint) for key in typed
             if (hint := did_you_mean(key, addresses if "." in key else names, prefix="--"))]
    if close:
        shown = close[0][1] if len(typed) == 1 else "; ".join(f"--{key}: {hint}" for key, hint in close)
        return f"{shown} ('workflow show' lists every parameter)"
    if names and len(names) <= LISTED_PARAMETERS:
        return f"parameters: {', '.join(names)}; or NODE.INPUT ('workflow show' lists them)"
    return "'workflow show' lists the parameters (named, and every NODE.INPUT)"


def problem_line(problem: Mapping[str, Any]) -> str:
    """One problem of :func:`bind` as a line: the parameter, what is wrong, and what is valid (a refused
    combo value says its choices, or its missing model file, itself)."""
    valid = problem.get("valid") if "choices" not in problem else None
    return f"{problem['parameter']}: {problem['problem']}" + (f" ({valid})" if valid else "")


def _index(graph: Mapping[str, Any], params: list[Param]) -> dict[str, Param]:
    index: dict[str, Param] = {}
    by_label: dict[str, list[Param]] = {}
    for param in params:
        index[param.address] = param
        if param.name:
            index[param.name] = param
        for label in {param.title, graph[param.node].get("class_type")}:
            by_label.setdefault(f"{label}.{param.input}", []).append(param)
    for key, holders in by_label.items():
        if len({p.node for p in holders}) == 1:
            index.setdefault(key, holders[0])
    return index


def _check_node_ref(graph: Mapping[str, Any], key: str) -> None:
    """``NODE.INPUT`` naming no node at all is a usage error (as for plain API-format overrides)."""
    if "." in key:
        resolve_address(graph, key)


def _declared(graph: Mapping[str, Any], object_info: Mapping[str, Any], key: str) -> Param | None:
    """``NODE.INPUT`` for an input the class declares but the workflow links or leaves unset."""
    found = split_address(graph, key)
    if found is None:
        return None
    node_id, name = found
    node = graph[node_id]
    inputs = node.get("inputs") or {}
    spec = all_input_specs(object_info.get(node.get("class_type")) or {}, inputs).get(name)
    if spec is None and name in inputs and not is_link(inputs[name]):
        # an input the schema cannot describe (e.g. one entry of an autogrow group such as
        # "values.a") but the workflow already sets: replace its value as given
        spec = InputSpec(name, "*", {}, False)
    return None if spec is None else Param(node_id, name, spec, None, node["class_type"])


def _valid(param: Param) -> str:
    opts, choices = param.spec.options, param.spec.choices
    if choices is not None:
        return choices_text(choices)
    if "min" in opts or "max" in opts:
        return f"{param.spec.type_name} from {opts.get('min')} to {opts.get('max')}"
    return param.spec.type_name


def coerce(param: Param, raw: Any) -> Any:
    """``raw`` (a command-line string or a JSON value) as the input's type, within its limits."""
    spec, kind = param.spec, param.spec.type_name
    if kind == "INT":
        if raw == "random" and (spec.options.get("control_after_generate") or param.input in SEED_NAMES):
            low = int(spec.options.get("min", 0))
            return random.randint(low, min(int(spec.options.get("max", _SEED_MAX)), _SEED_MAX))
        return _in_range(spec, _number(raw, int))
    if kind == "FLOAT":
        return _in_range(spec, float(_number(raw, float)))
    if kind == "BOOLEAN":
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "1", "yes", "on"):
            return True
        if str(raw).lower() in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"{raw!r} is not a boolean (true/false)")
    if spec.is_combo:
        choices = spec.choices or []
        if isinstance(raw, str) and raw.startswith(_LOCAL_PATH) and _is_local_file(raw):
            return raw  # a local file: run uploads it and uses the server's name
        for choice in choices:
            if choice == raw or str(choice) == str(raw):
                return choice
        if isinstance(raw, str) and raw.startswith(_LOCAL_PATH):
            raise LocalFileMissing(f"local file {raw!r} not found")
        raise NotOffered(raw, choices)
    if kind == "STRING":
        if isinstance(raw, (dict, list)):
            raise ValueError("expects text")
        return raw if isinstance(raw, str) else str(raw).lower() if isinstance(raw, bool) else str(raw)
    return raw


def _is_local_file(raw: str) -> bool:
    """A path-like value naming an existing file; a path no file system can hold (``~nosuchuser``,
    a name too long, a NUL) is just a value."""
    try:
        return Path(raw).expanduser().is_file()
    except (OSError, RuntimeError, ValueError):
        return False


def _number(raw: Any, kind: type) -> Any:
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a number")
    if isinstance(raw, (int, float)):
        value = raw
    else:
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{raw!r} is not a finite number")
    if kind is int:
        if float(value) != int(value):
            raise ValueError(f"{raw!r} is not a whole number")
        return int(value)
    return value


def _in_range(spec: InputSpec, value: Any) -> Any:
    low, high = spec.options.get("min"), spec.options.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        raise OutOfRange(f"{value} is out of range ({low} to {high})")
    return value



