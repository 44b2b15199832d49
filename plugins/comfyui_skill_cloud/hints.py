"""Plain-words hints for the errors Comfy Cloud answers with (402, 429).

A 429 from Comfy Cloud is ambiguous: a rate or queue limit ("Rate limit exceeded. Please try again
later."), or a key on an inactive subscription ("Payment required - User has not paid"). The
body's message (``details.server_message`` of the error, also in its message) tells them apart.
"""

from __future__ import annotations

import re

from comfyui_skill import CliError, Context

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
    said = error.details.get("server_message")
    meaning = INACTIVE if said and UNPAID.search(said) else RATE_LIMITED
    return f"Comfy Cloud kept answering 429: {meaning}"

