"""Plain-words hints for the errors Comfy Cloud answers with (402, 429).

A 429 from Comfy Cloud is ambiguous: a rate or queue limit ("Rate limit exceeded. Please try again
later."), or a key on an inactive subscription ("Payment required - User has not paid"). The body
tells them apart, and its message is quoted in the hint.
"""

from __future__ import annotations

import json
import re
from typing import Any

from comfyui_skill import CliError, Context, HttpError

PAYMENT_REQUIRED = ("Comfy Cloud says the account is out of credits (HTTP 402): add credits at "
                    "https://platform.comfy.org; nothing was retried")
RATE_LIMITED = ("too many requests at once: wait a minute, or lower max_concurrent (Comfy Cloud allows 1, 3 or 5 "
                "running jobs by tier)")
INACTIVE = ("the API key's subscription is inactive (the Free tier has no API access): check the plan at "
            "https://platform.comfy.org; retrying will not help")
UNPAID = re.compile(r"paid|payment|subscription|inactive", re.IGNORECASE)


def hint(ctx: Context, error: BaseException) -> str | None:
    if not isinstance(error, CliError) or error.code not in ("payment_required", "rate_limited"):
        return None
    try:
        kind = ctx.server.kind
    except CliError:
        return None
    if kind != "cloud":
        return None
    if error.code == "payment_required":
        return PAYMENT_REQUIRED
    said = server_message(error.body if isinstance(error, HttpError) else None)
    meaning = INACTIVE if said and UNPAID.search(said) else RATE_LIMITED
    return "Comfy Cloud kept answering 429" + (f" ({said!r})" if said else "") + f": {meaning}"


def server_message(body: Any) -> str | None:
    """The ``message`` (or ``error``) of a Comfy Cloud error body, else its text; None when empty."""
    if not isinstance(body, str) or not body.strip():
        return None
    try:
        decoded = json.loads(body)
    except ValueError:
        return body.strip()[:200]
    if isinstance(decoded, dict):
        for key in ("message", "error", "detail"):
            if isinstance(decoded.get(key), str) and decoded[key].strip():
                return decoded[key].strip()[:200]
    return body.strip()[:200]
