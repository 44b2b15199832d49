"""Handlers of ``run``, ``submit`` and ``wait``."""

from __future__ import annotations

import argparse
import time
from typing import Any

from comfyui_skill import (AuthError, CliError, Context, ExitCode, Output, PromptLost, Result, UnreachableError,
                           UsageError, new_client_id, new_prompt_id)

from .batch import requested as batch_requested, stray_options
from .execute import Reporter, conclude, deadline_of, follow_journaled, interrupted, post, prepare, render_outputs
from .follow import Follower, stall_timeout_of
from .lookup import lookup, server_for
from .workflow import Workflow


def run(ctx: Context, args: argparse.Namespace) -> Result:
    if batch_requested(args):
        from .batch.command import run_batch

        return run_batch(ctx, args)
    if args.workflow is None:
        raise UsageError("run needs a WORKFLOW (a file, '-' or a stored name)")
    stray = stray_options(args)
    if stray:
        raise UsageError(f"{', '.join(stray)} only apply to a batch",
                         hint="make it one with --count, --sweep, --batch, --servers or --pool (docs/batch.md)")
    workflow, uploaded = prepare(ctx, args)
    deadline = deadline_of(args.run_timeout)
    started = time.monotonic()
    resubmits = 1 if args.run_resubmit_on_loss else 0
    while True:
        prompt_id = new_prompt_id()
        try:
            data, answer = _run_once(ctx, args, workflow, prompt_id, deadline, started)
            break
        except PromptLost as exc:
            if not resubmits:
                raise
            resubmits -= 1
            Reporter(ctx, ctx.client, prompt_id)("retry", reason=f"{exc.message}; resubmitting it as a new prompt",
                                                 attempt=1)
    data.update(uploaded=uploaded, node_errors=answer["problems"], workflow=workflow.source)
    return Result(data=data, text=render_outputs(data))


def _run_once(ctx: Context, args: argparse.Namespace, workflow: Workflow, prompt_id: str, deadline: float | None,
              started: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """Submit the workflow as ``prompt_id``, follow it and save its outputs: (result data, POST answer)."""
    client_id = new_client_id()
    report = Reporter(ctx, ctx.client, prompt_id)
    stream = _open_socket(ctx, client_id)  # before the POST: no message of ours can be missed
    try:
        try:  # Ctrl-C during the POST too: the server may already have taken (and started) the prompt
            answer = post(ctx, workflow, args, prompt_id, client_id, report)
            follower = Follower(ctx.client, prompt_id, client_id, report, deadline=deadline, stream=stream,
                                titles=workflow.title, class_types=workflow.class_type,
                                stall_timeout=stall_timeout_of(ctx.server))
            stream = None  # the follower owns (and closes) it now
            state = follow_journaled(follower)
        except KeyboardInterrupt:
            raise interrupted(ctx, prompt_id, report, detach=args.run_detach) from None
        data = conclude(ctx, ctx.client, prompt_id, state, report, download=not args.run_no_download,
                        outdir=args.run_output_dir, include_temp=args.run_include_temp,
                        save_text=args.run_save_text, deadline=deadline, started=started, titles=workflow.title)
    finally:
        report.close()
        if stream is not None:
            stream.close()
    return data, answer


def _open_socket(ctx: Context, client_id: str) -> Any:
    """The event socket, or None (then the run polls): a missing socket never stops a run."""
    try:
        return ctx.client.open_events(client_id)
    except (UnreachableError, AuthError) as exc:
        ctx.output.debug(f"no WebSocket ({exc.message}); following the prompt by polling")
        return None


def submit(ctx: Context, args: argparse.Namespace) -> Result:
    workflow, uploaded = prepare(ctx, args)
    prompt_id = new_prompt_id()
    report = Reporter(ctx, ctx.client, prompt_id)
    answer = post(ctx, workflow, args, prompt_id, None, report)
    data = {"prompt_id": prompt_id, "server": ctx.client.server_name, "number": answer.get("number"),
            "node_errors": answer["problems"], "uploaded": uploaded, "workflow": workflow.source}

    def render(out: Output) -> None:
        out.line(prompt_id)
        out.note(f"submitted; follow it with 'comfyui-skill wait {prompt_id}'")

    return Result(data=data, text=render)


def wait(ctx: Context, args: argparse.Namespace) -> Result:
    deadline = deadline_of(args.wait_timeout)
    results: list[dict[str, Any]] = []
    failures: list[CliError] = []
    for given in args.prompt_ids:
        prompt_id, record, client = lookup(ctx, given)
        report = Reporter(ctx, client, prompt_id)
        started = time.monotonic()
        try:
            state = follow_journaled(Follower(client, prompt_id, None, report, deadline=deadline,
                                              stall_timeout=stall_timeout_of(server_for(ctx, record))))
            results.append(conclude(ctx, client, prompt_id, state, report, download=args.wait_download,
                                    outdir=args.wait_output_dir, include_temp=args.wait_include_temp,
                                    deadline=deadline, started=started))
        except CliError as exc:
            if len(args.prompt_ids) == 1 or exc.code in ("timeout", "unreachable", "auth"):
                raise
            failures.append(exc)
            results.append({"prompt_id": prompt_id, "status": exc.code, "error": exc.to_json()})
        finally:
            report.close()
    data: Any = results[0] if len(args.prompt_ids) == 1 else results

    def render(out: Output) -> None:
        for result in results:
            if result.get("error"):
                out.line(f"{result['prompt_id']}  {result['status']}: {result['error']['message']}")
            else:
                render_outputs(result)(out)

    if failures:
        error = CliError(f"{len(failures)} of {len(results)} prompts did not succeed", code="execution_failed")
        return Result(data=data, text=render, exit_code=ExitCode.EXECUTION_FAILED, error=error)
    return Result(data=data, text=render)
