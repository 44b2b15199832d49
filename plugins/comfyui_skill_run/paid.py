"""Partner (paid API) nodes: refuse them unless allowed, and then send the Comfy API key with the prompt.

A node class whose ``/object_info`` entry has ``api_node: true`` calls a paid service through
comfy.org and charges the account of the API key the prompt carries in ``extra_data.api_key_comfy_org``.
That key goes out only when the workflow has such nodes *and* the user allowed them
(``--allow-paid-nodes`` or the server's ``allow_paid_nodes = true``); it is never journaled or printed.

Which classes are paid is cached per server URL (``<cache>/api_nodes/``); the catalog is fetched
again when a workflow uses a class the cache has not seen.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from comfyui_skill import AuthError, Context, PaymentRequired, UnsupportedError, atomic_write, cache_dir

from .settings import ALLOW_PAID_NODES
from .workflow import Workflow

#: Where the key for ``extra_data`` is looked up after the server's own ``comfy_api_key`` setting.
KEY_VARIABLE = "COMFY_API_KEY"
EXTRA_DATA_KEY = "api_key_comfy_org"


def extra_data(ctx: Context, workflow: Workflow, *, allowed: bool) -> dict[str, str]:
    """``{"api_key_comfy_org": KEY}`` for a workflow with paid nodes that may run, ``{}`` without any.

    Raises PaymentRequired (exit 13) naming the paid nodes when they are not allowed, and AuthError
    when they are allowed but no key is configured: both before anything is submitted.
    """
    paid = paid_nodes(ctx, workflow)
    if not paid:
        return {}
    server = ctx.server
    names = ", ".join(workflow.title(node_id) for node_id in paid)
    if not (allowed or ALLOW_PAID_NODES.value_of(server)):
        raise PaymentRequired(
            f"the workflow uses paid API nodes, which charge your Comfy account: {names}; not submitted",
            hint=f"allow them with --allow-paid-nodes, or for this server with "
                 f"'comfyui-skill config set servers.{server.name}.allow_paid_nodes true'",
            details={"paid_nodes": {node_id: workflow.class_type(node_id) for node_id in paid}})
    key = api_key(ctx)
    if not key:
        raise AuthError(f"the workflow uses paid API nodes ({names}) but no Comfy API key is configured",
                        hint=f"set {KEY_VARIABLE}, or store one with 'comfyui-skill config set "
                             f"servers.{server.name}.comfy_api_key --stdin' (keys: https://platform.comfy.org)")
    return {EXTRA_DATA_KEY: key}


def api_key(ctx: Context) -> str | None:
    """The server's ``comfy_api_key``, else a Comfy-hosted server's ``api_key``, else ``$COMFY_API_KEY``."""
    server = ctx.server
    key = server.get("comfy_api_key") or (server.get("api_key") if server.kind in ("cloud", "comfy-api") else None)
    return str(key) if key else ctx.environ.get(KEY_VARIABLE) or None


def paid_nodes(ctx: Context, workflow: Workflow) -> list[str]:
    """Ids of the workflow's nodes whose class is flagged ``api_node``, in workflow order."""
    used = {node.get("class_type") for node in workflow.graph.values() if isinstance(node, dict)}
    catalog = _load(ctx)
    if catalog is None or not used <= set(catalog["classes"]):
        catalog = _refresh(ctx)
    paid = set(catalog["api"])
    return [node_id for node_id, node in workflow.graph.items()
            if isinstance(node, dict) and node.get("class_type") in paid]


def _cache_file(ctx: Context) -> Any:
    digest = hashlib.sha256(ctx.server.url.encode()).hexdigest()[:16]
    return cache_dir() / "api_nodes" / f"{digest}.json"


def _load(ctx: Context) -> dict[str, list[str]] | None:
    try:
        cached = json.loads(_cache_file(ctx).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(cached, dict) and all(isinstance(cached.get(k), list) for k in ("classes", "api"))
    return cached if ok else None


def _refresh(ctx: Context) -> dict[str, list[str]]:
    try:
        info = ctx.client.object_info()
    except UnsupportedError as exc:  # a server without a node catalog: no node can be known as paid
        ctx.output.debug(f"cannot check for paid nodes: {exc.message}")
        return {"classes": [], "api": []}
    catalog = {"classes": sorted(info),
               "api": sorted(name for name, entry in info.items() if isinstance(entry, dict) and entry.get("api_node"))}
    try:
        atomic_write(_cache_file(ctx), json.dumps(catalog))
    except OSError as exc:
        ctx.output.debug(f"cannot cache the paid node classes: {exc}")
    return catalog
