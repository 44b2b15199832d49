"""Execution order: ComfyUI's ``ExecutionList`` (a topological sort with its "UX friendly" node picking)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def is_link(value: Any) -> bool:
    """ComfyUI's ``is_link``: ``[node_id: str, slot: int|float]``."""
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], (int, float)) and not isinstance(value[1], bool))


class ExecutionPlan:
    def __init__(self, prompt: dict[str, Any], is_output: Callable[[str], bool],
                 is_cached: Callable[[str], bool]) -> None:
        self._prompt = prompt
        self._is_output = is_output
        self._is_cached = is_cached
        self._pending: dict[str, None] = {}
        self._block_count: dict[str, int] = {}
        self._blocking: dict[str, dict[str, None]] = {}

    def add(self, node_id: str) -> None:
        """Add a node and every uncached node it depends on (strong links only)."""
        stack, links = [node_id], []
        while stack:
            current = stack.pop()
            if current in self._pending:
                continue
            self._pending[current] = None
            self._block_count[current] = 0
            self._blocking[current] = {}
            for value in self._prompt[current]["inputs"].values():
                if is_link(value) and value[0] in self._prompt:
                    if not self._is_cached(value[0]):
                        stack.append(value[0])
                    links.append((value[0], current))
        for source, target in links:
            if not self._is_cached(source) and target not in self._blocking[source]:
                self._blocking[source][target] = None
                self._block_count[target] += 1

    def next(self) -> str | None:
        """The node to run next, or None when everything ran."""
        ready = [node for node in self._pending if self._block_count[node] == 0]
        if not ready:
            return None
        for depth in range(3):
            for node in ready:
                if self._leads_to_output(node, depth):
                    return node
        return ready[0]

    def _leads_to_output(self, node: str, depth: int) -> bool:
        """Is ``node`` an output (depth 0), or does it block one ``depth`` links downstream?"""
        if depth == 0:
            return self._is_output(self._prompt[node]["class_type"])
        return any(self._leads_to_output(blocked, depth - 1) for blocked in self._blocking.get(node, ()))

    def done(self, node_id: str) -> None:
        del self._pending[node_id]
        for blocked in self._blocking.pop(node_id):
            self._block_count[blocked] -= 1
