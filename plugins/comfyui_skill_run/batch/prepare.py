"""Each item's graph, bound through the same workflow preparer as a single ``run``."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from comfyui_skill import CliError, Context, RejectedError, UsageError, plural

from ..workflow import Workflow, apply_overrides, load
from .items import SEED


def load_document(ctx: Context, reference: str) -> Any:
    """WORKFLOW as loaded (a file, stdin or a stored name), before any parameter is bound."""
    has_preparer = ctx.plugins.first_result("comfyui_skill_workflow_preparer", ctx=ctx) is not None
    return load(ctx, reference, prepare=(lambda document: document) if has_preparer else None).graph


def option_names(extra_args: Sequence[str]) -> set[str]:
    """The names of ``--NAME VALUE`` workflow parameters given on the command line."""
    return {arg[2:].partition("=")[0] for arg in extra_args if arg.startswith("--") and len(arg) > 2}


class ItemGraphs:
    """Turns an item's parameters into the Workflow to submit (base parameters apply to every item)."""

    def __init__(self, ctx: Context, reference: str, document: Any, base: Mapping[str, Any],
                 extra_args: Sequence[str]) -> None:
        self.ctx = ctx
        self.reference = reference
        self.document = document
        self.base = dict(base)
        self.extra_args = list(extra_args)
        self.preparer = ctx.plugins.first_result("comfyui_skill_workflow_preparer", ctx=ctx)
        if self.preparer is None and self.extra_args:
            raise UsageError(f"unrecognized arguments: {' '.join(self.extra_args)}")

    def build(self, params: Mapping[str, Any]) -> Workflow:
        values = {**self.base, **params}
        if self.preparer is None:
            workflow = Workflow(copy.deepcopy(self.document), self.reference)
            apply_overrides(workflow, values)
            return workflow
        graph = self.preparer(copy.deepcopy(self.document), self.reference, values, self.extra_args)
        return Workflow(graph, self.reference, overrides=values)

    def validate(self, items: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> None:
        """Bind every item once; all problems are reported together, before anything is submitted."""
        clash = option_names(self.extra_args) & {name for params in items for name in params}
        if clash:
            raise UsageError(f"--{', --'.join(sorted(clash))} is given on the command line and per item; "
                             "give each parameter in one place")
        problems, hints = [], set()
        for key, params in zip(keys, items):
            try:
                self.build(params)
            except CliError as exc:
                problems.append({"item": key, "parameters": dict(params), "problem": exc.message})
                hints.add(exc.hint)
        if problems:
            lines = _grouped(problems, len(items))
            raise RejectedError(f"{len(problems)} of {plural(len(items), 'item')} invalid; nothing was submitted:\n  "
                                + "\n  ".join(lines[:20]) + ("\n  ..." if len(lines) > 20 else ""),
                                hint=hints.pop() if len(hints) == 1 else None,  # one every item shares
                                details={"problems": problems})

    def require_seed(self) -> None:
        """``--count`` gives every item a random ``seed``: a workflow without one is said once, not per item."""
        try:
            self.build({SEED: 0})
        except CliError as exc:
            unknown = [p for p in exc.details.get("problems") or []
                       if p.get("parameter") == SEED and str(p.get("problem")).startswith("unknown parameter")]
            if unknown:
                raise UsageError(f"--count gives each item a random '{SEED}', but workflow {self.reference!r} has "
                                 "no seed input", hint="vary other parameters with --sweep or --batch "
                                 "('workflow show' lists the parameters; docs/batch.md)") from None


def _grouped(problems: Sequence[Mapping[str, Any]], total: int) -> list[str]:
    """One line per distinct problem, naming the items it concerns (or "every item"); a problem
    several lines long is indented under its items."""
    by_text: dict[str, list[str]] = {}
    for problem in problems:
        by_text.setdefault(problem["problem"], []).append(problem["item"])
    lines = []
    for text, keys in by_text.items():
        who = "every item" if len(keys) == total > 1 else \
            f"item {keys[0]}" if len(keys) == 1 else f"items {', '.join(keys[:5])}" + (" ..." if len(keys) > 5 else "")
        lines.append(f"{who}: " + text.replace("\n", "\n  "))
    return lines
