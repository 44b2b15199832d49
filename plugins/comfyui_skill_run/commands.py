"""Handlers of ``run``, ``submit`` and ``wait``."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from comfyui_skill import (AuthError, CliError, ComfyClient, Context, ExitCode, Output, PromptLost, Result,
                           UnreachableError, UsageError, new_client_id, new_prompt_id, plural)

from .batch import requested as batch_requested, stray_options
from .execute import Reporter, conclude, deadline_of, follow_journaled, interrupted, post, prepare, render_outputs
from .follow import Follower, announce_previews, stall_timeout_of
from .live import queued_graphs
from .lookup import lookup, server_for
from .outputs import checked_output_dir
from .request import (OutputOptions, RunRequest, SubmitOptions, WorkflowInputs, batch_request_from_args,
                      inputs_from_args, run_request_from_args, submit_options_from_args)
from .workflow import Workflow


def run(ctx: Context, args: argparse.Namespace) -> Result:
    if batch_requested(args):
        if args.run_show or args.run_preview:
            raise UsageError("--show and --preview draw one prompt at a time, not a batch")
        from .batch.command import run_batch

        return run_batch(ctx, batch_request_from_args(args))
    if args.workflow is None:
        raise UsageError("run needs a WORKFLOW (a file, '-' or a stored name)")
    stray = stray_options(args)
    if stray:
        raise UsageError(f"{', '.join(stray)} only apply to a batch",
                         hint="make it one with --count, --sweep, --batch, --servers or --pool (docs/batch.md)")
    request_display(ctx, args.run_show, args.run_preview, args.run_show_size, downloads=not args.run_no_download,
                    download_flag="with --no-download")
    return run_workflow(ctx, run_request_from_args(args))


def run_workflow(ctx: Context, request: RunRequest) -> Result:
    """Submit one prompt, follow it to its end and save its outputs (``run`` without a batch)."""
    if request.outputs.download:
        checked_output_dir(ctx, request.outputs.output_dir)
    workflow, uploaded = prepare(ctx, request.inputs)
    deadline = deadline_of(request.timeout)
    started = time.monotonic()
    resubmits = 1 if request.resubmit_on_loss else 0
    while True:
        prompt_id = new_prompt_id()
        try:
            data, answer = _run_once(ctx, request, workflow, prompt_id, deadline, started)
            break
        except PromptLost as exc:
            if not resubmits:
                raise
            resubmits -= 1
            notice = Reporter(ctx, ctx.client, prompt_id)  # closed at once: the new prompt's line follows
            notice("retry", reason=f"{exc.message}; resubmitting it as a new prompt", attempt=1)
            notice.close()
    data.update(uploaded=uploaded, node_errors=answer["problems"], workflow=workflow.source)
    return Result(data=data, text=render_outputs(data))


def _run_once(ctx: Context, request: RunRequest, workflow: Workflow, prompt_id: str, deadline: float | None,
              started: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """Submit the workflow as ``prompt_id``, follow it and save its outputs: (result data, POST answer)."""
    client_id = new_client_id()
    report = Reporter(ctx, ctx.client, prompt_id)
    stream = _open_socket(ctx, ctx.client, client_id)  # before the POST: no message of ours can be missed
    outputs = request.outputs
    try:
        try:  # Ctrl-C during the POST too: the server may already have taken (and started) the prompt
            answer = post(ctx, workflow, request.submit, prompt_id, client_id, report)
            prompt_id = answer["prompt_id"]
            follower = Follower(ctx.client, prompt_id, client_id, report, deadline=deadline, stream=stream,
                                titles=workflow.title, class_types=workflow.class_type,
                                stall_timeout=stall_timeout_of(ctx.server), accepted=True)
            stream = None  # the follower owns (and closes) it now
            state = follow_journaled(follower)
        except KeyboardInterrupt:
            raise interrupted(ctx, prompt_id, report, detach=request.detach) from None
        data = conclude(ctx, ctx.client, prompt_id, state, report, download=outputs.download,
                        outdir=outputs.output_dir, include_temp=outputs.include_temp,
                        save_text=outputs.save_text, deadline=deadline, started=started, titles=workflow.title)
    finally:
        report.close()
        if stream is not None:
            stream.close()
    return data, answer


def request_display(ctx: Context, show: bool | None, preview: bool, size: int | None, *, downloads: bool,
                    download_flag: str) -> None:
    """Ask a display plugin to draw (``Output.display``): ``show`` True/False for ``--show``/``--no-show``
    (None: the display.show setting decides), ``preview`` for ``--preview``, ``size`` in columns."""
    if show and not downloads:
        raise UsageError(f"--show draws the saved outputs: it cannot be used {download_flag}")
    ctx.output.display = {"outputs": show, "previews": True if preview else show, "size": size}


def _open_socket(ctx: Context, client: ComfyClient, client_id: str) -> Any:
    """The event socket, or None (then the run polls): a missing socket never stops a run."""
    try:
        return announce_previews(client.open_events(client_id))
    except (UnreachableError, AuthError) as exc:
        ctx.output.debug(f"no WebSocket ({exc.message}); following the prompt by polling")
        return None


def submit(ctx: Context, args: argparse.Namespace) -> Result:
    return submit_workflow(ctx, inputs_from_args(args), submit_options_from_args(args))


def submit_workflow(ctx: Context, inputs: WorkflowInputs, options: SubmitOptions) -> Result:
    """Submit one prompt and answer at once with its id (``submit``)."""
    workflow, uploaded = prepare(ctx, inputs)
    prompt_id = new_prompt_id()
    report = Reporter(ctx, ctx.client, prompt_id)
    try:
        answer = post(ctx, workflow, options, prompt_id, None, report)
    finally:
        report.close()  # the 'queued' line it drew goes before the note says how to follow
    prompt_id = answer["prompt_id"]
    data = {"prompt_id": prompt_id, "server": ctx.client.server_name, "number": answer.get("number"),
            "node_errors": answer["problems"], "uploaded": uploaded, "workflow": workflow.source}

    def render(out: Output) -> None:
        out.line(prompt_id)
        out.note(f"submitted; follow it with 'comfyui-skill wait {prompt_id}'")

    return Result(data=data, text=render)


def _overhearing_follower(ctx: Context, client: ComfyClient, prompt_id: str, report: Reporter,
                          deadline: float | None, stall_timeout: float) -> Follower:
    """A follower of a prompt submitted elsewhere. While the prompt is in the queue it listens on a
    fresh socket, and so hears the node and steps where the server sends them to every socket (see
    :mod:`.live`); a prompt that left the queue is asked about by polling, as it always was."""
    graph = queued_graphs(client, [prompt_id]).get(prompt_id)
    client_id = new_client_id() if graph is not None else None
    stream = _open_socket(ctx, client, client_id) if client_id is not None else None
    workflow = Workflow(graph or {}, prompt_id)
    return Follower(client, prompt_id, client_id, report, deadline=deadline, stream=stream, titles=workflow.title,
                    class_types=workflow.class_type, stall_timeout=stall_timeout, first_check=0)


def wait(ctx: Context, args: argparse.Namespace) -> Result:
    request_display(ctx, args.wait_show, args.wait_preview, args.wait_show_size, downloads=args.wait_download,
                    download_flag="without --download")
    outputs = OutputOptions(download=args.wait_download, output_dir=args.wait_output_dir,
                            include_temp=args.wait_include_temp)
    return wait_for(ctx, args.prompt_ids, outputs, timeout=args.wait_timeout)


def wait_for(ctx: Context, prompt_ids: Sequence[str], outputs: OutputOptions, *, timeout: float | None = None) -> Result:
    """Follow each prompt to its end (and download its outputs): one result, or a list for several."""
    deadline = deadline_of(timeout)
    if outputs.download:
        checked_output_dir(ctx, outputs.output_dir)
    results: list[dict[str, Any]] = []
    failures: list[CliError] = []
    for given in prompt_ids:
        prompt_id, record, client = lookup(ctx, given)
        report = Reporter(ctx, client, prompt_id)
        started = time.monotonic()
        try:
            state = follow_journaled(_overhearing_follower(ctx, client, prompt_id, report, deadline,
                                                           stall_timeout_of(server_for(ctx, record))))
            results.append(conclude(ctx, client, prompt_id, state, report, download=outputs.download,
                                    outdir=outputs.output_dir, include_temp=outputs.include_temp,
                                    deadline=deadline, started=started))
        except CliError as exc:
            if len(prompt_ids) == 1 or exc.code in ("timeout", "unreachable", "auth"):
                raise
            failures.append(exc)
            results.append({"prompt_id": prompt_id, "status": exc.code, "error": exc.to_json()})
        finally:
            report.close()
    data: Any = results[0] if len(prompt_ids) == 1 else results

    def render(out: Output) -> None:
        for result in results:
            if result.get("error"):
                out.line(f"{result['prompt_id']}  {result['status']}: {result['error']['message']}")
            else:
                render_outputs(result)(out)

    if failures:
        error = CliError(f"{len(failures)} of {plural(len(results), 'prompt')} did not succeed",
                         code="execution_failed")
        return Result(data=data, text=render, exit_code=ExitCode.EXECUTION_FAILED, error=error)
    return Result(data=data, text=render)
