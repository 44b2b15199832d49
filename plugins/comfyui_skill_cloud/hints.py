"""Plain-words hints for the errors Comfy Cloud answers with (402, 429)."""

from __future__ import annotations

from comfyui_skill import CliError, Context

HINTS = {
    "payment_required": "Comfy Cloud says the account is out of credits (HTTP 402): add credits at "
                        "https://platform.comfy.org; nothing was retried",
    "rate_limited": "Comfy Cloud kept answering 429: too many requests, or the subscription is inactive "
                    "(the Free tier has no API access); wait a minute, lower max_concurrent, or check the plan",
}


def hint(ctx: Context, error: BaseException) -> str | None:
    if not isinstance(error, CliError) or error.code not in HINTS:
        return None
    try:
        kind = ctx.server.kind
    except CliError:
        return None
    return HINTS[error.code] if kind == "cloud" else None
