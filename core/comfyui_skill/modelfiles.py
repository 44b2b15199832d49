"""Combo inputs and the model files they name: a combo's choices in ``/object_info``, the model folder
those choices come from, and how to say that a value is not among them.

An input names model files when the server's choices for it contain every file of a model folder
(``/models/FOLDER``); no list of loader classes is involved. A refused value that looks like a model
file (by its extension) is "missing on the server", with its folder (and, once per message,
:func:`deps_hint`); any other refused value is shown with the choices the server offers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import NotFoundError
from .loaders import loader_folder

DYNAMIC_COMBO = "COMFY_DYNAMICCOMBO_V3"
MODEL_EXTENSIONS = (".safetensors", ".sft", ".ckpt", ".pt", ".pt2", ".pth", ".bin", ".gguf", ".onnx", ".pkl")
#: Choices shown in text; ``--json`` always carries them all.
SHOWN_CHOICES = 12


def _spec(inputs: Mapping[str, Any], name: str) -> list[Any] | None:
    """The declared spec of input ``name`` (``a.b``: input ``b`` of any option of dynamic combo ``a``)."""
    for section in ("required", "optional"):
        spec = (inputs.get(section) or {}).get(name)
        if isinstance(spec, list) and spec:
            return spec
    head, _, rest = name.partition(".")
    parent = _spec(inputs, head) if rest else None
    if parent and parent[0] == DYNAMIC_COMBO and len(parent) > 1:
        for option in parent[1].get("options") or []:
            found = _spec(option.get("inputs") or {}, rest) if isinstance(option, dict) else None
            if found:
                return found
    return None


def combo_choices(info: Mapping[str, Any], name: str) -> list[Any] | None:
    """The choices one node class (its ``/object_info`` entry) offers for input ``name``, or None."""
    spec = _spec(info.get("input") or {}, name)
    if spec is None:
        return None
    if isinstance(spec[0], list):
        return spec[0]
    if spec[0] == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
        return [o.get("key") if isinstance(o, dict) else o for o in spec[1].get("options") or []]
    return None


def model_folder_of(choices: Sequence[Any], folders: Mapping[str, Sequence[str]]) -> str | None:
    """The model folder whose files are all offered as ``choices`` (the one sharing most of them)."""
    offered = set(map(str, choices))
    matches = [(len(files), name) for name, files in folders.items() if files and set(files) <= offered]
    return max(matches, key=lambda m: m[0])[1] if matches else None


def model_folders(client: Any) -> dict[str, list[str]]:
    """Every model folder of the server (a ComfyClient) with its files; folders it cannot show are skipped."""
    folders = {}
    for name in client.models():
        if isinstance(name, str):
            try:
                folders[name] = [f for f in client.models(name) if isinstance(f, str)]
            except NotFoundError:
                continue
    return folders


def is_model_file(value: Any) -> bool:
    return isinstance(value, str) and value.lower().endswith(MODEL_EXTENSIONS)


def choices_text(choices: Sequence[Any], limit: int = SHOWN_CHOICES) -> str:
    """What a combo accepts, in words: the first ``limit`` choices and how many more."""
    if not choices:
        return "the server offers no choices"
    shown = ", ".join(map(str, choices[:limit]))
    more = len(choices) - limit
    return f"one of: {shown}" + (f", ... ({more} more; --json lists them all)" if more > 0 else "")


def not_offered(value: Any, choices: Sequence[Any] | None,
                folders: Callable[[], Mapping[str, Sequence[str]]] | None = None, *,
                loader: tuple[str | None, str] | None = None) -> tuple[str, dict[str, Any]]:
    """Why a combo refuses ``value``, as a phrase, and the facts for ``--json``.

    A model file is "missing on the server", in its folder: the one ComfyUI's loader reads
    (``loader``: its class and input, see :func:`~comfyui_skill.loader_folder`), else the one whose
    files the choices offer (``folders`` is asked for the server's model folders only then). Any
    other value comes with the choices (``None``: the server did not say them)."""
    details: dict[str, Any] = {"choices": list(choices) if choices is not None else None}
    declared = loader_folder(loader[0] or "", loader[1].rpartition(".")[2]) if loader else None
    if declared or is_model_file(value):
        folder = declared or (model_folder_of(choices, folders()) if choices and folders is not None else None)
        details.update(missing_model=True, folder=folder)
        where = f"from the server's {folder!r} folder" if folder else "on the server"
        return f"model file {value!r} is missing {where}", details
    if choices is None:
        return f"{value!r} is not offered by the server", details
    return f"{value!r} is not offered by the server ({choices_text(choices)})", details


def deps_hint(workflow: str | None, problems: Sequence[Mapping[str, Any]]) -> str | None:
    """The hint of a message whose ``problems`` (each with the facts of :func:`not_offered`) name a
    missing model file: the commands that list and fetch them. None when none does."""
    if not any(problem.get("missing_model") for problem in problems):
        return None
    name = _quoted(workflow) if workflow and workflow != "-" else "WORKFLOW"
    return f"'comfyui-skill deps check {name}' lists the files the workflow lacks; 'deps install {name}' fetches them"


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)
