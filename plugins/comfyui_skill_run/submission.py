"""POST /prompt exactly once, and turn a rejection into per-node messages."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from comfyui_skill import Context, HttpError, RejectedError, UnreachableError, deps_hint

from .rejection import ServerFacts, explain, node_messages
from .state import probe
from .workflow import Workflow

#: Transport failures after which the request provably never reached the server.
NEVER_SENT = ("refused", "connect", "timeout", "dns", "tls")
ATTEMPTS = 3
#: How long a possibly delivered submission is looked for on the server before it is sent again.
GRACE = 3.0
#: Statuses of a gateway in front of ComfyUI that failed to pass the POST on, and their shorter grace.
GATEWAY_STATUSES = (502, 503, 504)
GATEWAY_GRACE = 0.5


def submit_once(ctx: Context, workflow: Workflow, *, prompt_id: str, client_id: str | None,
                front: bool = False, only: Sequence[str] = (), extra_data: Mapping[str, Any] | None = None,
                on_retry: Any = None) -> dict[str, Any]:
    """Submit with our own ``prompt_id``; after a failure that may have reached the server, look the
    id up there before ever posting again. Returns the server's answer (``recovered`` when found)."""
    last: UnreachableError | HttpError | None = None
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return ctx.client.submit(workflow.graph, prompt_id=prompt_id, client_id=client_id, front=front,
                                     extra_data=extra_data, partial_execution_targets=list(only) or None)
        except RejectedError as exc:
            raise rejected(workflow, exc, ServerFacts(ctx.client)) from None
        except UnreachableError as exc:
            if exc.details.get("reason") in NEVER_SENT:
                raise
            last, grace = exc, GRACE
        except HttpError as exc:  # a proxy's 502/503/504: ComfyUI most likely never saw the prompt
            if exc.status not in GATEWAY_STATUSES:
                raise
            last, grace = exc, GATEWAY_GRACE
        if _arrives(ctx, prompt_id, grace):
            return {"prompt_id": prompt_id, "number": None, "node_errors": {}, "recovered": True}
        if on_retry is not None:
            on_retry(f"the server did not answer the submission ({last.message}); it does not have "
                     f"prompt {prompt_id}, submitting again", attempt)
    assert last is not None
    raise last


def _arrives(ctx: Context, prompt_id: str, grace: float) -> bool:
    """Whether the server knows ``prompt_id`` within ``grace`` seconds (a POST may still be in flight).
    The looks come closer together at first, and the last one is at the end of the grace."""
    end = time.monotonic() + grace
    delay = 0.05
    while True:
        if probe(ctx.client, prompt_id).status != "unknown":
            return True
        left = end - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(delay, left))
        delay *= 2


def rejected(workflow: Workflow, exc: RejectedError, facts: ServerFacts | None = None) -> RejectedError:
    """The server's 400 as a RejectedError that names each node and what is wrong with it."""
    node_errors = exc.details.get("node_errors") or {}
    headline, lines = explain(workflow, exc.details.get("error"), node_errors, facts)
    message = headline + ":\n" + "\n".join(f"  {line}" for line in lines) if lines else headline
    problems = node_messages(workflow, node_errors, facts)
    return RejectedError(message, hint=deps_hint(workflow.source, problems),
                         details={"error": exc.details.get("error"), "problems": problems,
                                  "node_errors": node_errors})


def partial_rejections(workflow: Workflow, answer: dict[str, Any]) -> list[str]:
    """Lines for the ``node_errors`` of an accepted prompt (only the valid outputs will run)."""
    node_errors = answer.get("node_errors") or {}
    return explain(workflow, None, node_errors)[1] if node_errors else []
