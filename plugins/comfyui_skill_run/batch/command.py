"""``run`` with ``--count``/``--sweep``/``--batch``/``--servers``/``--pool``/``--resume``: a batch."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

from comfyui_skill import (CliError, Context, Event, ExitCode, NotFoundError, Output, Result, TimeoutExpired,
                           UnreachableError, UsageError, plural, writable_folder)

from .. import paid
from ..outputs import checked_output_dir
from ..request import BatchRequest, SubmitOptions
from ..workflow import existing_file, expand as expand_path
from . import manifest as manifests
from . import naming, servers
from .servers import ServerContext
from .display import BatchProgress
from .engine import FAILED, Engine, Options
from .items import expand, read_lines
from .lane import Item, Lane
from .prepare import ItemGraphs, load_document


def run_batch(ctx: Context, request: BatchRequest) -> Result:
    plan = _resumed(ctx, request) if request.resume else _planned(ctx, request)
    engine = Engine(plan.lanes, plan.graphs, plan.manifest, plan.options, ctx.emit, plan.redraw)
    started = time.monotonic()
    ctx.emit(_batch_event("batch_start", items=len(plan.items), manifest=str(plan.manifest.path),
                          servers=[lane.name for lane in plan.lanes],
                          skipped=sum(item.status == "success" for item in plan.items)))
    interrupted: list[dict[str, Any]] | None = None
    timed_out: TimeoutExpired | None = None
    try:
        engine.run(plan.items)
    except KeyboardInterrupt:
        interrupted = engine.cancel_own(detach=request.detach)
    except TimeoutExpired as exc:
        timed_out = exc
    finally:
        plan.close()
    data = _summary(plan, engine, time.monotonic() - started)
    ctx.emit(_batch_event("batch_end", counts=data["counts"], elapsed=data["elapsed"]))
    return _result(plan, data, interrupted, timed_out)


class Plan:
    """Everything a batch needs before its first submission."""

    def __init__(self, ctx: Context, lanes: list[Lane], graphs: ItemGraphs, items: list[Item],
                 manifest: manifests.Manifest, options: Options) -> None:
        self.lanes, self.graphs, self.items, self.manifest, self.options = lanes, graphs, items, manifest, options
        out = ctx.output
        self.display = BatchProgress(out.stderr, len(items), width=out.width) if out.decorated and not out.quiet else None

    def redraw(self, engine: Engine) -> None:
        if self.display is not None and self.display.due():
            self.display(engine.counts())

    def close(self) -> None:
        if self.display is not None:
            self.display.close()
        self.manifest.close()
        for lane in self.lanes:
            lane.close()


# ----------------------------------------------------------------- a new batch
def _planned(ctx: Context, request: BatchRequest) -> Plan:
    inputs = request.inputs
    if inputs is None:
        raise UsageError("run needs a WORKFLOW (or --resume MANIFEST)")
    if inputs.reference == "-" and request.items_file == "-":
        raise UsageError("the workflow and --batch cannot both come from standard input")
    contexts = _reachable(ctx, servers.selected(ctx, request.servers, request.pool, None))
    root = checked_output_dir(ctx, request.outputs.output_dir)  # before any submission; the manifest goes there too
    base = dict(inputs.parameters)
    extra = list(inputs.options)
    sets = _batch_lines(ctx, request.items_file) if request.items_file else None
    params = expand(sets, list(request.sweep), request.count)
    keys = [naming.item_key(index, len(params)) for index in range(len(params))]
    template = request.name_template or naming.DEFAULT_TEMPLATE
    folders = [str(naming.folder(template, key, index, p)) for index, (key, p) in enumerate(zip(keys, params))]
    document = load_document(contexts[0], inputs.reference)
    graphs = ItemGraphs(contexts[0], inputs.reference, document, base, extra)
    if request.count:
        graphs.require_seed()
    graphs.validate(params, keys)
    lanes = _lanes(contexts, graphs, params[0], request.submit, {})
    path = expand_path(request.manifest).absolute() if request.manifest else \
        root / time.strftime("batch-%Y%m%d-%H%M%S.jsonl")
    header = {"workflow": {"reference": inputs.reference, "document": document}, "parameters": base,
              "options": extra, "servers": [lane.describe() for lane in lanes], "output_dir": str(root),
              "name_template": template, "items": len(params)}
    records = [{"item": i, "key": keys[i], "params": params[i], "folder": folders[i], "status": "pending"}
               for i in range(len(params))]
    manifest = manifests.Manifest.create(path, header, records)
    items = [Item(i, keys[i], params[i], folders[i]) for i in range(len(params))]
    return Plan(ctx, lanes, graphs, items, manifest, _options(request, root))


def _batch_lines(ctx: Context, given: str) -> list[dict[str, Any]]:
    if given == "-":
        return read_lines(io.StringIO(ctx.stdin.read()), "standard input")
    path = existing_file(given)
    if path is None and given.isdigit():
        raise UsageError(f"--batch {given}: no such file", hint="--batch takes a JSON-lines file; for the "
                         f"workflow's batch size use --args '{{\"batch\": {given}}}'")
    if path is None:
        raise NotFoundError(f"--batch {given}: no such file")
    try:
        with path.open(encoding="utf-8") as handle:
            return read_lines(handle, str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


# ----------------------------------------------------------------- a resumed batch
def _resumed(ctx: Context, request: BatchRequest) -> Plan:
    if request.inputs is not None or request.count or request.sweep or request.items_file:
        raise UsageError("--resume takes the workflow and the items from the manifest; give only the manifest",
                         hint="--servers/--pool, -o and the download options may still be given")
    path = expand_path(request.resume).absolute()
    header, records = manifests.read(path)
    outdir = request.outputs.output_dir
    _require(header, path, output_given=bool(outdir))
    contexts = _reachable(ctx, servers.selected(ctx, request.servers, request.pool, header.get("servers") or []))
    workflow = header["workflow"]
    graphs = ItemGraphs(contexts[0], workflow.get("reference") or "-", workflow["document"],
                        header.get("parameters") or {}, header.get("options") or [])
    items = [Item(index, r.get("key") or naming.item_key(index, len(records)), r.get("params") or {},
                  r.get("folder") or r.get("key") or str(index), status=r.get("status") or "pending",
                  server=r.get("server"), prompt_id=r.get("prompt_id"), moves=r.get("moved") or 0,
                  submitted_at=r.get("submitted_at"), started_at=r.get("started_at"),
                  finished_at=r.get("finished_at"), outputs=r.get("outputs") or [], error=r.get("error"))
             for index, r in sorted(records.items())]
    if not items:
        raise UsageError(f"manifest {path} lists no items")
    client_ids = {entry.get("name"): entry.get("client_id") for entry in header.get("servers") or []}
    lanes = _lanes(contexts, graphs, items[0].params, request.submit, client_ids)
    root = expand_path(outdir).absolute() if outdir else Path(header["output_dir"])
    if request.outputs.download:
        writable_folder(root)
    return Plan(ctx, lanes, graphs, items, manifests.Manifest.reopen(path), _options(request, root))


def _require(header: dict[str, Any], path: Path, *, output_given: bool) -> None:
    """A usage error naming the first header field a hand-made or cut-short manifest lacks."""
    workflow = header.get("workflow")
    missing = None
    if not isinstance(workflow, dict) or not isinstance(workflow.get("document"), dict):
        missing = "workflow.document"
    elif not output_given and not isinstance(header.get("output_dir"), str):
        missing = "output_dir"
    if missing is not None:
        raise UsageError(f"manifest {path} has no {missing!r} in its header (line 1); it cannot be resumed",
                         hint="give the output folder with -o DIR" if missing == "output_dir" else
                         "resume a manifest written by 'comfyui-skill run', or start the batch again")


# ----------------------------------------------------------------- shared
def _reachable(ctx: Context, contexts: list[ServerContext]) -> list[ServerContext]:
    """The servers that answer now, in order (the first one checks the items); the batch runs without
    the others, which is said once. None at all is an error."""
    up: list[ServerContext] = []
    first: UnreachableError | None = None
    for server_ctx in contexts:
        try:
            server_ctx.client.queue()
        except UnreachableError as exc:
            first = first or exc
            ctx.output.warn(f"{exc.message}; the batch runs without server {server_ctx.server.name!r}")
            continue
        up.append(server_ctx)
    if first is not None and not up:
        raise first
    return up


def _lanes(contexts: list[ServerContext], graphs: ItemGraphs, sample: dict[str, Any], submit: SubmitOptions,
           client_ids: dict[str, str]) -> list[Lane]:
    """A lane per server; paid nodes are refused (or their key found) here, before any submission."""
    workflow = graphs.build(sample)
    lanes = []
    for server_ctx in contexts:
        lane = Lane(server_ctx, servers.limit(server_ctx.server), client_ids.get(server_ctx.server.name))
        lane.extra_data = paid.extra_data(server_ctx, workflow, allowed=submit.allow_paid_nodes)
        lanes.append(lane)
    return lanes


def _options(request: BatchRequest, root: Path) -> Options:
    deadline = time.monotonic() + request.timeout if request.timeout else None
    outputs = request.outputs
    return Options(root=root, download=outputs.download, include_temp=outputs.include_temp,
                   save_text=outputs.save_text, failover=request.failover, front=request.submit.front,
                   only=request.submit.only, deadline=deadline)


def _batch_event(event_type: str, **data: Any) -> Event:
    return Event(event_type, data=data)


def _summary(plan: Plan, engine: Engine, seconds: float) -> dict[str, Any]:
    counts = engine.counts()
    finished = counts["done"] + counts["failed"]
    return {"manifest": str(plan.manifest.path), "output_dir": str(plan.options.root), "total": len(plan.items),
            "counts": counts, "elapsed": round(seconds, 3), "rate": round(finished / seconds, 3) if seconds else None,
            "servers": [{"name": lane.name, "limit": lane.limit, "alive": lane.alive, **lane.counts}
                        for lane in plan.lanes],
            "items": [item.to_json() for item in plan.items]}


def _result(plan: Plan, data: dict[str, Any], interrupted: list[dict[str, Any]] | None,
            timed_out: TimeoutExpired | None) -> Result:
    counts, manifest = data["counts"], data["manifest"]
    hint = f"finish it with 'comfyui-skill run --resume {manifest}'"
    error: CliError | None = None
    if interrupted is not None:
        data["in_flight"] = interrupted
        fate = "left running" if any(c["cancel"] is None for c in interrupted) else "cancelled"
        error = CliError(f"interrupted; {plural(len(interrupted), 'prompt')} of this batch {fate}", code="interrupted",
                         hint=hint, details={"manifest": manifest})
    elif timed_out is not None:
        error = TimeoutExpired(timed_out.message, hint=hint, details={"manifest": manifest})
    elif counts["queued"]:
        error = CliError(f"{plural(counts['queued'], 'item')} not run: no server of the batch is reachable",
                         code="unreachable", hint=hint, details={"manifest": manifest})
    elif counts["failed"]:
        error = CliError(f"{counts['failed']} of {plural(data['total'], 'item')} did not succeed",
                         code="execution_failed", hint=hint, details={"manifest": manifest})
    code = error.exit_code if error is not None else ExitCode.OK
    return Result(data=data, text=lambda out: _render(out, data), exit_code=code, error=error)


def _render(out: Output, data: dict[str, Any]) -> None:
    out.table([[s["name"], s["limit"], s["done"], s["failed"], s["moved"], "yes" if s["alive"] else "no (drained)"]
               for s in data["servers"]], ["SERVER", "LIMIT", "DONE", "FAILED", "MOVED AWAY", "UP"])
    failed = [item for item in data["items"] if item["status"] in FAILED]
    if failed:
        out.line()
        out.table([[i["item"], i["status"], i["server"] or "-", i["error"] or ""] for i in failed],
                  ["ITEM", "STATUS", "SERVER", "ERROR"], shrink=[3])
    counts = data["counts"]
    out.line()
    out.line(f"{plural(data['total'], 'item')}: {counts['done']} done, {counts['failed']} failed, "
             f"{counts['queued'] + counts['running']} not finished, in {data['elapsed']:.1f} s"
             + (f" ({data['rate']:.2f}/s)" if data["rate"] else ""))
    out.line(f"outputs:  {data['output_dir']}")
    out.line(f"manifest: {data['manifest']}")
