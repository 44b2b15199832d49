"""Model files a workflow names, and the model folder each belongs in.

An input's folder is, first, the one its class reads: ComfyUI's loaders fill a combo with
``folder_paths.get_filename_list(FOLDER)``, which ``/object_info`` does not name, so the folders of
ComfyUI's own loaders come from ``comfyui_skill.loader_folder`` (used when the server has that
folder), also while the folder is empty. Otherwise an input is a model input when the server's
choices for it contain every file of a model folder (``/models/FOLDER``): that covers custom loaders
without any list. When neither tells (a custom loader whose folder is empty), a value with a model
file extension still counts, and its folder comes from the editor document's own ``models`` metadata
when it has one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from comfyui_skill import MODEL_EXTENSIONS, combo_choices, loader_folder, model_folder_of


def declared_folder(class_type: str, name: str, folders: Mapping[str, list[str]]) -> str | None:
    """The folder ComfyUI's loader ``class_type`` reads input ``name`` from, when the server has that folder."""
    folder = loader_folder(class_type, name.rpartition(".")[2])  # ``model.ckpt_name``: a dynamic combo's option
    return folder if folder in folders else None


def metadata(document: Any) -> dict[str, dict[str, Any]]:
    """File name -> ``{directory, url}`` from an editor document's ``models`` lists (top level, nodes)."""
    found: dict[str, dict[str, Any]] = {}
    if not isinstance(document, dict):
        return found
    entries = list(document.get("models") or [])
    for graph in (document, *((document.get("definitions") or {}).get("subgraphs") or [])):
        for node in graph.get("nodes") or [] if isinstance(graph, dict) else []:
            entries += ((node.get("properties") or {}).get("models") or []) if isinstance(node, dict) else []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            found.setdefault(entry["name"], {"directory": entry.get("directory"), "url": entry.get("url")})
    return found


def model_inputs(graph: Mapping[str, Any], object_info: Mapping[str, Any], folders: Mapping[str, list[str]],
                 known: Mapping[str, dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every literal input of ``graph`` that names a model file, with its folder and whether the server has it."""
    for node_id, node in graph.items():
        info = object_info.get(node.get("class_type"))
        if not info:
            continue
        for name, value in (node.get("inputs") or {}).items():
            choices = combo_choices(info, name) if isinstance(value, str) else None
            if choices is None:
                continue
            folder = declared_folder(str(node.get("class_type")), name, folders) or model_folder_of(choices, folders)
            hint = known.get(value) or {}
            if folder is None and not (value.lower().endswith(MODEL_EXTENSIONS) and value not in choices):
                continue
            yield {"name": value, "folder": folder or hint.get("directory"), "node": node_id, "input": name,
                   "present": value in choices, "url": hint.get("url")}
