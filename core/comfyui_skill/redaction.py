"""Keep secrets out of everything we print, log or raise."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

MASK = "***"

_PATTERNS = (
    # query-string credentials (the Comfy Cloud WebSocket URL carries ``token=``)
    r"(?i)([?&](?:token|api_key|apikey|key|access_token|auth)=)[^&#\s'\"]+",
    r"(?i)(\bBearer\s+)[A-Za-z0-9._~+/=-]+",
    r"(?i)(\bBasic\s+)[A-Za-z0-9+/=]+",
    r"(?i)(\"(?:api_key_comfy_org|auth_token_comfy_org|x-api-key|authorization)\"\s*:\s*\")[^\"]*",
    r"(?i)(//[^/@\s:]+:)[^/@\s]+(@)",  # user:password@host in URLs
)


@functools.cache
def _compiled() -> tuple[re.Pattern[str], ...]:
    """The patterns, compiled on first use (most commands never print anything to redact)."""
    return tuple(re.compile(pattern) for pattern in _PATTERNS)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace every known secret value and credential-looking fragment in ``text``."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern in _compiled():
        text = pattern.sub(lambda m: m.group(1) + MASK + (m.group(2) if pattern.groups > 1 else ""), text)
    return text


def mask(secret: str | None) -> str:
    """A listing-safe form of a secret: enough to recognise it, never enough to use it."""
    if not secret:
        return ""
    if len(secret) >= 16:
        return f"{MASK}{secret[-4:]}"
    return MASK


def public_url(url: str) -> str:
    """``url`` without user info, query or fragment (where tokens hide)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
