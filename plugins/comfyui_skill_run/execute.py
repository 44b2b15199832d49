"""The steps of a run, shared by ``run``, ``submit`` and ``wait``: prepare, post, conclude, interrupt."""

from __future__ import annotations

import time
from typing import Any

from comfyui_skill import (CliError, ComfyClient, Context, Event, ExecutionFailed, NotFoundError, Output,
                           PromptCancelled, PromptLost, RejectedError, UnreachableError, plural, public_url)

from . import journal, paid
from .cancel import await_cancellation, cancel_prompt
from .follow import Follower
from .outputs import collect, download_all, output_dir
from .progress import ProgressLine
from .state import JobState, removed_from_queue
from .submission import partial_rejections, submit_once
from .workflow import Workflow, load_prepared, upload_local_inputs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .request import SubmitOptions, WorkflowInputs

#: Seconds ``run`` waits for the server to confirm a cancellation after Ctrl-C.
CANCEL_WAIT = 5.0


class Reporter:
    """Emits the events of one prompt (observers, NDJSON) and draws them on a terminal."""

    def __init__(self, ctx: Context, client: ComfyClient, prompt_id: str) -> None:
        self.ctx = ctx
        self.server = client.server_name
        self.prompt_id = prompt_id
        out = ctx.output
        self.display = ProgressLine(out.stderr, width=out.width) if out.decorated and not out.quiet else None

    def __call__(self, event_type: str, /, **data: Any) -> None:
        event = Event(event_type, prompt_id=self.prompt_id, server=self.server, data=data)
        if self.display is None:
            self.ctx.emit(event)
            return
        with self.display.paused():  # an observer may draw on the terminal (a preview): the clock waits
            self.ctx.emit(event)
        self.display(event)

    def close(self) -> None:
        if self.display is not None:
            self.display.close()


def deadline_of(timeout: float | None) -> float | None:
    return time.monotonic() + timeout if timeout else None


# ----------------------------------------------------------------- before and at the POST
def prepare(ctx: Context, inputs: WorkflowInputs) -> tuple[Workflow, list[dict[str, Any]]]:
    """The workflow with its overrides applied and its local input files uploaded."""
    workflow = load_prepared(ctx, inputs)
    return workflow, upload_local_inputs(ctx, workflow)


def post(ctx: Context, workflow: Workflow, options: SubmitOptions, prompt_id: str, client_id: str | None,
         report: Reporter) -> dict[str, Any]:
    """Journal the submission, POST it exactly once, journal the answer and report it.

    The answer's ``prompt_id`` is the one to follow: a server that names its jobs itself takes
    ours as the submission's idempotency key, and the journal record moves to its id."""
    extra_data = paid.extra_data(ctx, workflow, allowed=options.allow_paid_nodes)  # refuses before the POST
    journal.record(prompt_id, server=ctx.client.server_name, url=public_url(ctx.server.url),
                   kind=ctx.server.kind, workflow=workflow.source, args=workflow.overrides, status="submitting",
                   submitted_at=time.time())
    try:
        answer = submit_once(ctx, workflow, prompt_id=prompt_id, client_id=client_id, front=options.front,
                             only=options.only, extra_data=extra_data, on_retry=lambda reason, attempt: report(
                                 "retry", reason=reason, attempt=attempt))
    except RejectedError as exc:
        journal.record(prompt_id, status="rejected", error=exc.message, finished_at=time.time())
        raise
    except CliError as exc:
        journal.record(prompt_id, status="submit_failed", error=exc.message, finished_at=time.time())
        raise
    if answer["prompt_id"] != prompt_id:  # the server names its jobs itself (Comfy API v2): ours was the key
        journal.rename(prompt_id, answer["prompt_id"], idempotency_key=prompt_id)
        prompt_id = report.prompt_id = answer["prompt_id"]
    problems = partial_rejections(workflow, answer)
    for line in problems:
        ctx.output.warn(f"accepted, but this part will not run: {line}")
    journal.record(prompt_id, status="queued", number=answer.get("number"), node_errors=problems or None)
    report("queued", number=answer.get("number"))
    answer["problems"] = problems
    return answer


def follow_journaled(follower: Follower) -> JobState:
    """``follower.follow()``, journaling what it learns of a journaled prompt: one the server forgot is
    journaled as lost before the error goes up, unless we cancelled it ourselves (a prompt removed from
    the queue leaves no trace on the server) or, queued and never seen running, it was removed from the
    queue by someone else (the server still knows a prompt that ran there before it: it did not restart). An id
    never journaled that the server never knew is not found (exit 7), and is not journaled either."""
    try:
        state = follower.follow()
    except PromptLost as exc:
        known = journal.latest(follower.prompt_id)
        if known is None:
            if follower.seen is None:
                raise NotFoundError(f"server {follower.client.server_name!r} does not know prompt "
                                    f"{follower.prompt_id}", details={"prompt_id": follower.prompt_id},
                                    hint="see 'comfyui-skill history list' for the prompts sent from here") from None
            raise
        if known.get("status") == "cancelled":
            return JobState("cancelled")
        if known.get("status") == "queued" and follower.seen in (None, "accepted", "pending") \
                and _removed_by_someone(follower.client, known):  # accepted, never seen running
            return JobState("removed")
        journal.record(follower.prompt_id, status="lost", error=exc.message, finished_at=time.time())
        raise
    if state.status == "removed" and (journal.latest(follower.prompt_id) or {}).get("status") == "cancelled":
        return JobState("cancelled")  # our own 'cancel' removed it
    return state


def _removed_by_someone(client: ComfyClient, record: dict[str, Any]) -> bool:
    try:
        return removed_from_queue(client, journal.ran_before(record))
    except UnreachableError:
        return False


# ----------------------------------------------------------------- after the end
def conclude(ctx: Context, client: ComfyClient, prompt_id: str, state: JobState, report: Reporter, *,
             download: bool, outdir: str | None = None, include_temp: bool = False, save_text: bool = False,
             deadline: float | None = None, started: float | None = None,
             titles: Any = None) -> dict[str, Any]:
    """Save the outputs of a finished prompt and journal it; raise if it failed or was cancelled."""
    elapsed = round(time.monotonic() - started, 3) if started is not None else None
    report.close()
    if state.status == "error":
        failure = describe_failure(state.error or {}, titles)
        journal.finish(prompt_id, "error", error=failure["message"], elapsed=elapsed)
        report("failed", **failure)
        if ctx.output.verbose and failure.get("traceback"):
            ctx.output.note("server traceback:\n" + "".join(failure["traceback"]).rstrip())
        raise ExecutionFailed(failure["message"], details={"prompt_id": prompt_id, **failure})
    if state.status == "removed":
        message = (f"prompt {prompt_id} was removed from the queue of server {client.server_name!r} before it ran "
                   "('queue clear', or another client deleted it)")
        journal.finish(prompt_id, "removed", error=message, elapsed=elapsed)
        report("cancelled", node=None, by="queue")
        raise PromptCancelled(message, details={"prompt_id": prompt_id, "removed": True})
    if state.status == "cancelled":
        node = (state.error or {}).get("node_id")
        journal.finish(prompt_id, "cancelled", elapsed=elapsed)
        report("cancelled", node=node, by="server")
        raise PromptCancelled(f"prompt {prompt_id} was cancelled on the server" +
                              (f" while node #{node} ran" if node else ""), details={"prompt_id": prompt_id})
    items = collect(state.outputs, include_temp=include_temp)
    skipped_previews = len(collect(state.outputs, include_temp=True)) - len(items)
    items += state.streamed
    root = output_dir(ctx, outdir)
    if download:
        ctx.confine(root, "write")
        download_all(client, items, root, deadline=deadline, save_text=save_text,
                     on_saved=lambda item: report("output", **item.to_json()))
    else:
        for item in items:
            report("output", **item.to_json())
    outputs = [item.to_json() for item in items]
    journal.finish(prompt_id, "success", outputs=outputs, elapsed=elapsed)
    report("done", outputs=outputs, elapsed=elapsed)
    return {"prompt_id": prompt_id, "server": client.server_name, "status": "success", "elapsed": elapsed,
            "output_dir": str(root) if download else None, "outputs": outputs,
            "skipped_previews": skipped_previews}


def describe_failure(error: dict[str, Any], titles: Any = None) -> dict[str, Any]:
    node = error.get("node_id")
    class_type = error.get("node_type")
    where = titles(str(node)) if titles and node is not None else f"{class_type or 'node'} (#{node})"
    exception = error.get("exception_type") or "error"
    text = str(error.get("exception_message") or "").strip()
    message = f"{where} failed: {exception}: {text}" if node is not None else f"the prompt failed: {text or exception}"
    return {"node": node, "class_type": class_type, "exception_type": error.get("exception_type"),
            "message": message, "traceback": error.get("traceback") or []}


def render_outputs(data: dict[str, Any]) -> Any:
    """Text output of a successful run: where each file went, and the texts."""
    def render(out: Output) -> None:
        for item in data["outputs"]:
            if "text" in item:
                out.line(item["text"])
                if item.get("path"):
                    out.note(f"  (saved as {item['path']})")
            elif item.get("path"):
                if item["path"] not in out.shown:  # else a display plugin printed it under its picture
                    out.line(item["path"])
                if item.get("already_present"):
                    out.note("  (already there with the same content; not saved again)")
                elif item.get("renamed"):
                    out.note(f"  (a file of that name existed; saved as {item['path']})")
            else:
                out.line("/".join(p for p in (item.get("subfolder"), item.get("filename")) if p) +
                         f"  ({item.get('type')})")
        skipped = data.get("skipped_previews") or 0
        if skipped:
            out.note(f"{plural(skipped, 'temporary preview')} not downloaded (add --include-temp to get them)")
        elif not data["outputs"]:
            out.note("the prompt finished without outputs")
    return render


def interrupted(ctx: Context, prompt_id: str, report: Reporter, *, detach: bool) -> CliError:
    """Ctrl-C while following: cancel this prompt (only it) and wait briefly, or leave it running."""
    report.close()
    hint = f"follow it with 'comfyui-skill wait {prompt_id}'"
    if detach:
        journal.record(prompt_id, status="detached")
        return CliError(f"interrupted; prompt {prompt_id} is left running on the server", code="interrupted",
                        hint=hint, details={"prompt_id": prompt_id, "cancel": None})
    ctx.output.note(f"cancelling prompt {prompt_id} ...")
    try:
        how = cancel_prompt(ctx.client, prompt_id)
        state = await_cancellation(ctx.client, prompt_id, CANCEL_WAIT)
    except UnreachableError as exc:
        return CliError(f"interrupted; could not cancel prompt {prompt_id}: {exc.message}", code="interrupted",
                        hint=hint, details={"prompt_id": prompt_id, "cancel": None})
    if how == "not_active" and state is not None and state.status == "unknown":  # Ctrl-C during the POST
        journal.record(prompt_id, status="submit_failed", error="interrupted while submitting",
                       finished_at=time.time())
        return CliError(f"interrupted while submitting; server {ctx.client.server_name!r} does not know prompt "
                        f"{prompt_id}", code="interrupted", details={"prompt_id": prompt_id, "cancel": how},
                        hint=f"should it arrive late, 'comfyui-skill status {prompt_id}' shows it and "
                             f"'comfyui-skill cancel {prompt_id}' stops it")
    confirmed = state is not None and state.status in ("cancelled", "unknown")
    status = state.status if state is not None and state.terminal else ("cancelled" if confirmed else "cancelling")
    journal.record(prompt_id, status="cancelled" if confirmed else status, finished_at=time.time())
    report("cancelled", by="user", how=how, confirmed=confirmed)
    verdict = "was cancelled" if confirmed else (f"had already ended ({status})" if state else
                                                  "was asked to cancel (not confirmed yet)")
    return CliError(f"interrupted; prompt {prompt_id} {verdict}", code="interrupted",
                    details={"prompt_id": prompt_id, "cancel": how, "confirmed": confirmed})
