"""What ``run``, ``submit`` and ``wait`` are asked to do, as typed values.

The command handlers turn argparse's Namespace into these records; everything below them (and the MCP
tools, which call the same functions) takes the records, never ``args``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .workflow import collect_overrides


@dataclass(frozen=True)
class WorkflowInputs:
    """The workflow to submit and the values to bind into it.

    ``reference``: a file path, ``-`` (standard input), a stored workflow name, ``template:NAME``...;
    ``document``: an inline workflow (API or editor format) instead of loading ``reference`` (which then
    only names it); ``parameters``: ``NODE.INPUT`` overrides and named parameters, by name;
    ``options``: undeclared ``--NAME VALUE`` command-line words, for the workflow preparer.
    """

    reference: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    options: tuple[str, ...] = ()
    document: Any = None


@dataclass(frozen=True)
class SubmitOptions:
    """How the prompt is queued: at the ``front``, ``only`` some output nodes, paid nodes allowed."""

    front: bool = False
    only: tuple[str, ...] = ()
    allow_paid_nodes: bool = False


@dataclass(frozen=True)
class OutputOptions:
    """What happens to a finished prompt's outputs."""

    download: bool = True
    output_dir: str | None = None
    include_temp: bool = False
    save_text: bool = False


@dataclass(frozen=True)
class RunRequest:
    """One ``run``: submit, follow (until ``timeout`` seconds), save the outputs."""

    inputs: WorkflowInputs
    submit: SubmitOptions = SubmitOptions()
    outputs: OutputOptions = OutputOptions()
    timeout: float | None = None
    detach: bool = False
    resubmit_on_loss: bool = False


@dataclass(frozen=True)
class BatchRequest:
    """A batch (docs/batch.md): one workflow run once per item, items made from ``count`` random seeds,
    ``sweep`` values (``PARAM=VALUES``) and/or the JSON lines of ``items_file``, spread over ``servers``
    (names or URLs, comma-separated) or a ``pool``; or the batch of the manifest ``resume`` finished."""

    inputs: WorkflowInputs | None
    submit: SubmitOptions = SubmitOptions()
    outputs: OutputOptions = OutputOptions()
    timeout: float | None = None
    detach: bool = False
    count: int | None = None
    sweep: tuple[str, ...] = ()
    items_file: str | None = None
    servers: str | None = None
    pool: str | None = None
    failover: bool = True
    manifest: str | None = None
    resume: str | None = None
    name_template: str | None = None


# ----------------------------------------------------------------- from the command line
def inputs_from_args(args: argparse.Namespace) -> WorkflowInputs:
    """WORKFLOW, ``--args``, ``--set`` and the undeclared ``--NAME VALUE`` words."""
    return WorkflowInputs(args.workflow, collect_overrides(args.run_args, args.run_set or []),
                          tuple(getattr(args, "extra_args", None) or ()))


def submit_options_from_args(args: argparse.Namespace) -> SubmitOptions:
    return SubmitOptions(front=args.run_front, only=tuple(args.run_only or ()),
                         allow_paid_nodes=args.run_allow_paid_nodes)


def output_options_from_args(args: argparse.Namespace) -> OutputOptions:
    return OutputOptions(download=not args.run_no_download, output_dir=args.run_output_dir,
                         include_temp=args.run_include_temp, save_text=args.run_save_text)


def run_request_from_args(args: argparse.Namespace) -> RunRequest:
    return RunRequest(inputs_from_args(args), submit_options_from_args(args), output_options_from_args(args),
                      timeout=args.run_timeout, detach=args.run_detach, resubmit_on_loss=args.run_resubmit_on_loss)


def batch_request_from_args(args: argparse.Namespace) -> BatchRequest:
    inputs = inputs_from_args(args) if args.workflow is not None else None
    return BatchRequest(inputs, submit_options_from_args(args), output_options_from_args(args),
                        timeout=args.run_timeout, detach=args.run_detach, count=args.batch_count,
                        sweep=tuple(args.batch_sweep or ()), items_file=args.batch_file, servers=args.batch_servers,
                        pool=args.batch_pool, failover=not args.batch_no_failover, manifest=args.batch_manifest,
                        resume=args.batch_resume, name_template=args.batch_name_template)
