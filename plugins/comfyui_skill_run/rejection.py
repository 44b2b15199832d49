"""Plain-words explanations of the validation errors ComfyUI returns from POST /prompt."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from comfyui_skill import ComfyClient, CliError, combo_choices, model_folders, not_offered, plural

from .workflow import PATH_PREFIXES, Workflow


class ServerFacts:
    """What explaining a refused value may ask the server: a class's combo choices (a rejection leaves
    them out past 20) and the model folders. Each is asked once, only when needed; a server that
    cannot answer leaves the explanation shorter, never failing it."""

    def __init__(self, client: ComfyClient) -> None:
        self.client = client
        self._classes: dict[str, dict[str, Any] | None] = {}
        self._folders: dict[str, list[str]] | None = None

    def choices(self, class_type: str | None, name: str) -> list[Any] | None:
        if not class_type:
            return None
        if class_type not in self._classes:
            try:
                self._classes[class_type] = self.client.object_info(class_type).get(class_type)
            except CliError:
                self._classes[class_type] = None
        info = self._classes[class_type]
        return combo_choices(info, name) if isinstance(info, dict) else None

    def folders(self) -> dict[str, list[str]]:
        if self._folders is None:
            try:
                self._folders = model_folders(self.client)
            except CliError:
                self._folders = {}
        return self._folders


def describe_error(error: Mapping[str, Any]) -> str:
    """One node error (``{type, message, details, extra_info}``) as a sentence."""
    kind = error.get("type")
    info = error.get("extra_info") or {}
    name = info.get("input_name") or error.get("details") or "?"
    received = info.get("received_value")
    config = info.get("input_config")
    limits = config[1] if isinstance(config, list) and len(config) > 1 and isinstance(config[1], dict) else {}
    if kind == "required_input_missing":
        return f"the required input '{name}' is missing"
    if kind == "value_bigger_than_max":
        return f"input '{name}' is {received}, above the maximum {limits.get('max', '?')}"
    if kind == "value_smaller_than_min":
        return f"input '{name}' is {received}, below the minimum {limits.get('min', '?')}"
    if kind == "invalid_input_type":
        return f"input '{name}' has a value of the wrong type ({received!r}): {error.get('message')}"
    if kind == "value_not_in_list":
        return refused_value(error)[0]
    if kind == "return_type_mismatch":
        linked = info.get("linked_node") or ["?"]
        return (f"input '{name}' is linked to node #{linked[0]}, which gives {info.get('received_type')} "
                f"where {config[0] if isinstance(config, list) and config else 'another type'} is expected")
    if kind == "exception_during_validation":
        return f"a link is broken (it points at a missing node or output: {error.get('details')})"
    if kind == "dependency_cycle":
        return f"the links form a cycle: {error.get('details')}"
    if kind == "custom_validation_failed":
        return f"input {error.get('details') or name}"
    details = error.get("details")
    return f"{error.get('message') or kind}" + (f": {details}" if details else "")


def refused_value(error: Mapping[str, Any], class_type: str | None = None,
                  facts: ServerFacts | None = None) -> tuple[str, dict[str, Any]]:
    """A ``value_not_in_list`` error as a sentence with the choices (or the missing model file's
    folder), and those facts for ``--json``; ``facts`` asks the server what the error leaves out."""
    info = error.get("extra_info") or {}
    name = str(info.get("input_name") or error.get("details") or "?")
    received = info.get("received_value")
    config = info.get("input_config")
    choices = config[0] if isinstance(config, list) and config and isinstance(config[0], list) else \
        facts.choices(class_type, name) if facts is not None else None
    text, details = not_offered(received, choices, facts.folders if facts else None, loader=(class_type, name))
    return f"input '{name}': {text}", details


def node_messages(workflow: Workflow, node_errors: Mapping[str, Any],
                  facts: ServerFacts | None = None) -> list[dict[str, Any]]:
    """Per-node problems: ``{node, class_type, title, message}`` for each error, in node order."""
    found = []
    for node_id, entry in sorted((node_errors or {}).items(), key=lambda item: str(item[0])):
        entry = entry if isinstance(entry, dict) else {}
        class_type = entry.get("class_type") or workflow.class_type(node_id)
        for error in entry.get("errors") or []:
            name = (error.get("extra_info") or {}).get("input_name")
            sent = ((workflow.graph.get(node_id) or {}).get("inputs") or {}).get(name) if name else None
            if isinstance(sent, str) and sent.startswith(PATH_PREFIXES):  # an existing local file is uploaded
                message, extra = f"input '{name}': local file {sent!r} not found", {"missing_file": True}
            elif error.get("type") == "value_not_in_list":
                message, extra = refused_value(error, class_type, facts)
            else:
                message, extra = describe_error(error), {}
            found.append({"node": node_id, "class_type": class_type, "title": workflow.title(node_id),
                          "type": error.get("type"), "message": message, **extra})
    return found


def explain(workflow: Workflow, error: Mapping[str, Any] | None, node_errors: Mapping[str, Any],
            facts: ServerFacts | None = None) -> tuple[str, list[str]]:
    """The headline and the per-node lines of a rejected (or partly rejected) workflow."""
    lines = [f"{item['title']}: {item['message']}" for item in node_messages(workflow, node_errors, facts)]
    error = error or {}
    info = error.get("extra_info") or {}
    kind = error.get("type")
    if kind == "missing_node_type":
        node_id = str(info.get("node_id") or "?")
        if info.get("class_type"):
            lines.append(f"{workflow.title(node_id)}: the server has no node class {info['class_type']!r} "
                         "(the custom node may not be installed)")
        else:
            lines.append(f"node #{node_id} has no class_type (the workflow may be corrupted)")
    elif kind == "prompt_no_outputs":
        lines.append("the workflow has no output node (SaveImage, PreviewImage, ...)")
    elif not lines and error.get("message"):
        lines.append(str(error["message"]) + (f": {error['details']}" if error.get("details") else ""))
    headline = f"the server rejected the workflow ({plural(len(lines), 'problem')})"
    return headline, lines
