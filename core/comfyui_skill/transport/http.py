"""HTTP on one urllib3 pool: timeouts, careful retries, size caps, credential-safe redirects.

Rules this module enforces for every caller:

* idempotent requests are retried with exponential backoff and jitter on connection errors and on
  429/502/503/504 (honouring ``Retry-After``; one longer than ``retry_after_cap`` ends the retries at
  once); a POST is retried only when it provably never reached the server (the connection was
  refused or never established) or was refused with 429; a final 429 is reported with the message
  of its body and its ``Retry-After``;
* redirects are never followed on a request that carries credentials; downloads follow them only
  after dropping every credential header, and only to http(s) URLs;
* bodies read into memory are capped; a read never outlives its deadline;
* every message is passed through :func:`comfyui_skill.redact.redact`.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import random
import re
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError as Urllib3Error,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from .._version import __version__
from ..errors import HttpError, ServerError, TimeoutExpired, UnreachableError
from ..redaction import redact

USER_AGENT = f"comfyui-skill/{__version__}"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_REDIRECTS = 5
CHUNK = 64 * 1024


@dataclass
class TransportOptions:
    """Per-server transport settings."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 3
    refused_retries: int = 1
    backoff_base: float = 0.5
    backoff_cap: float = 10.0
    retry_after_cap: float = 60.0
    max_body_bytes: int = 64 * 1024 * 1024
    ca_bundle: str | None = None
    insecure: bool = False
    secrets: tuple[str, ...] = ()


@dataclass
class Response:
    """A fully read response (bodies are capped at ``max_body_bytes``)."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    url: str
    _secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; an HTML page or other non-JSON answer is a clear ServerError."""
        try:
            return jsonlib.loads(self.content)
        except (ValueError, UnicodeDecodeError):
            kind = "an HTML page" if self.content.lstrip()[:1] == b"<" else "something that is not JSON"
            snippet = redact(self.text[:120].strip(), self._secrets)
            raise ServerError(
                f"{redact(self.url, self._secrets)} answered {kind} where JSON was expected"
                + (f": {snippet!r}" if snippet else " (an empty body)"),
                hint="is this URL a ComfyUI server (and not a web page or proxy login)?",
                details={"status": self.status},
            ) from None


class HttpTransport:
    """One connection pool for one server, with the rules above."""

    def __init__(self, options: TransportOptions | None = None, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.options = options or TransportOptions()
        self._sleep = sleep
        #: Told before each pause the server asked for (429/503 with ``Retry-After``, a second or more),
        #: so that a person sees why nothing happens for a while: ``on_wait(message)``.
        self.on_wait: Callable[[str], None] | None = None
        pool_args: dict[str, Any] = {"retries": False, "maxsize": 8}
        if self.options.insecure:
            pool_args["cert_reqs"] = "CERT_NONE"
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        else:
            pool_args["cert_reqs"] = "CERT_REQUIRED"
            if self.options.ca_bundle:
                pool_args["ca_certs"] = self.options.ca_bundle
        self._pool = urllib3.PoolManager(**pool_args)

    def close(self) -> None:
        self._pool.clear()

    # ----------------------------------------------------------------- requests
    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        credentials: Mapping[str, str] | None = None,
        json: Any = None,
        body: bytes | None = None,
        idempotent: bool | None = None,
        read_timeout: float | None = None,
        deadline: float | None = None,
        max_bytes: int | None = None,
    ) -> Response:
        """Send a request and read the whole (capped) body; raise on transport failure or 3xx.

        ``credentials`` are headers that may only go to ``url`` itself; they are kept apart from
        ``headers`` so that nothing else ever receives them. Non-2xx statuses are returned, not
        raised: callers decide what a 404 means. Use :meth:`checked` for "2xx or raise".
        """
        all_headers = {**(headers or {}), **(credentials or {})}
        if json is not None:
            body = jsonlib.dumps(json).encode("utf-8")
            all_headers.setdefault("Content-Type", "application/json")
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        limit = max_bytes or self.options.max_body_bytes
        with self._open(method, url, all_headers, body, idempotent, read_timeout, deadline) as resp:
            if 300 <= resp.status < 400:
                self._refuse_redirect(url, resp, bool(credentials))
            content = self._read_capped(resp, url, limit, deadline)
            return Response(resp.status, dict(resp.headers), content, url, self.options.secrets)

    def checked(self, method: str, url: str, **kwargs: Any) -> Response:
        """Like :meth:`request`, but any non-2xx status raises :class:`HttpError`."""
        response = self.request(method, url, **kwargs)
        if not 200 <= response.status < 300:
            raise self.http_error(response)
        return response

    def http_error(self, response: Response) -> HttpError:
        snippet = redact(response.text.strip()[:300], self.options.secrets)
        url = redact(response.url, self.options.secrets)
        if response.status != 429:
            message = f"HTTP {response.status} from {url}" + (f": {snippet}" if snippet else "")
            return HttpError(response.status, url, snippet, message=message)
        said = _message_of(snippet)
        wait = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        message = (f"{url} is limiting requests (HTTP 429)" + (f": {said}" if said else "")
                   + (f"; it asks to retry after {wait} s" if wait else ""))
        error = HttpError(429, url, snippet, message=message)
        error.details.update(server_message=said, retry_after=wait)
        return error

    @contextmanager
    def stream(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
               credentials: Mapping[str, str] | None = None, deadline: float | None = None,
               read_timeout: float | None = None) -> Iterator[Any]:
        """Open a GET for streaming, following redirects only after dropping every credential.

        Yields the urllib3 response positioned at the body of the final hop (2xx or an error
        status the caller inspects).
        """
        current = url
        send_credentials = dict(credentials or {})
        for _hop in range(MAX_REDIRECTS + 1):
            all_headers = {**(headers or {}), **send_credentials}
            with self._open(method, current, all_headers, None, True, read_timeout, deadline) as resp:
                if not 300 <= resp.status < 400:
                    yield resp
                    return
                current = self._redirect_target(current, resp)
                send_credentials = {}  # never replay credentials to a redirect target
        raise ServerError(f"too many redirects fetching {redact(url, self.options.secrets)}")

    # ----------------------------------------------------------------- internals
    @contextmanager
    def _open(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
              idempotent: bool, read_timeout: float | None, deadline: float | None) -> Iterator[Any]:
        attempt = 0
        limit = self.options.retries
        while True:
            retry_in: float | None = None
            try:
                resp = self._pool.request(
                    method, url, headers={"User-Agent": USER_AGENT, **headers}, body=body, redirect=False,
                    preload_content=False, retries=False,
                    timeout=urllib3.Timeout(connect=self.options.connect_timeout,
                                            read=self._read_timeout(read_timeout, deadline)),
                )
            except (NewConnectionError, ConnectTimeoutError) as exc:
                # The request never reached the server: safe to retry, even a POST. A name that
                # does not resolve will not resolve a second later.
                error = self._unreachable(url, exc)
                if isinstance(exc, NameResolutionError):
                    raise error from None
                if error.details.get("reason") == "refused":
                    # Nothing listens there. One quick retry covers a server restarting; more
                    # would only keep a user (or `server status`) waiting for the same answer.
                    limit = min(limit, self.options.refused_retries)
                    retry_in = self.options.backoff_base * random.uniform(0.25, 0.5)
                else:
                    retry_in = self._backoff(attempt)
            except (ReadTimeoutError, ProtocolError, SSLError, Urllib3Error) as exc:
                error = self._unreachable(url, exc)
                if not idempotent or isinstance(exc, SSLError):
                    raise error from None
                retry_in = self._backoff(attempt)
            else:
                if resp.status in RETRY_STATUSES and (idempotent or resp.status == 429) and attempt < limit:
                    retry_in = self._retry_after(resp, attempt)
                if retry_in is not None:
                    resp.close()  # never drain: the body of an error may be endless
                else:  # a final answer, or a Retry-After longer than we wait: the caller reports it
                    try:
                        yield resp
                    finally:
                        if not resp.closed:  # a body left unread: the connection cannot carry another request
                            resp.close()
                        resp.release_conn()
                    return
                error = None
            attempt += 1
            if attempt > limit or (deadline is not None and time.monotonic() + retry_in > deadline):
                if error is not None:
                    raise error from None
                raise ServerError(f"{redact(url, self.options.secrets)} kept answering {resp.status} "
                                  f"after {attempt} attempts", code="rate_limited" if resp.status == 429
                                  else "server_error", details={"status": resp.status})
            if error is None and self.on_wait is not None and retry_in >= 1:
                self.on_wait(f"{urlsplit(url).netloc} answered {resp.status}: waiting {retry_in:.0f} s as it asks")
            self._sleep(retry_in)

    def _read_timeout(self, read_timeout: float | None, deadline: float | None) -> float:
        timeout = read_timeout if read_timeout is not None else self.options.read_timeout
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutExpired("the deadline passed before the request could be sent")
            timeout = min(timeout, remaining)
        return timeout

    def _read_capped(self, resp: Any, url: str, limit: int, deadline: float | None) -> bytes:
        chunks: list[bytes] = []
        size = 0
        give_up_at = time.monotonic() + 2 * self.options.read_timeout
        if deadline is not None:
            give_up_at = min(give_up_at, deadline)
        try:
            for chunk in resp.stream(CHUNK, decode_content=True):
                size += len(chunk)
                if size > limit:
                    resp.close()
                    raise ServerError(f"{redact(url, self.options.secrets)} sent more than "
                                      f"{limit // (1024 * 1024)} MiB; refusing to read further")
                if time.monotonic() > give_up_at:
                    resp.close()
                    raise TimeoutExpired(f"{redact(url, self.options.secrets)} kept sending past the deadline")
                chunks.append(chunk)
        except (ReadTimeoutError, ProtocolError, Urllib3Error) as exc:
            raise self._unreachable(url, exc) from None
        return b"".join(chunks)

    def _refuse_redirect(self, url: str, resp: Any, has_credentials: bool) -> None:
        location = redact(resp.headers.get("Location", "?"), self.options.secrets)
        resp.close()
        reason = "with credentials " if has_credentials else ""
        raise ServerError(
            f"{redact(url, self.options.secrets)} redirected to {location}; comfyui-skill does not "
            f"follow redirects {reason}on API requests",
            hint="configure the server's final URL (scheme, host and path) instead",
            details={"status": resp.status},
        )

    def _redirect_target(self, current: str, resp: Any) -> str:
        location = resp.headers.get("Location")
        resp.drain_conn()
        if not location:
            raise ServerError(f"{redact(current, self.options.secrets)} answered {resp.status} without a Location")
        target = urljoin(current, location)
        if urlsplit(target).scheme not in ("http", "https"):
            raise ServerError(f"refusing to follow a redirect to a non-HTTP URL "
                              f"({redact(target, self.options.secrets)})")
        return target

    def _backoff(self, attempt: int) -> float:
        delay = min(self.options.backoff_cap, self.options.backoff_base * (2 ** attempt))
        return delay * random.uniform(0.5, 1.0)

    def _retry_after(self, resp: Any, attempt: int) -> float | None:
        """Seconds to wait before the next attempt: the server's ``Retry-After``, else a backoff.
        None when the server asks for longer than ``retry_after_cap``: better said at once than waited."""
        header = resp.headers.get("Retry-After")
        if header:
            seconds: float | None
            try:
                seconds = float(header)
            except ValueError:
                seconds = _date_from_now(header)
            if seconds is not None:
                return max(0.0, seconds) if seconds <= self.options.retry_after_cap else None
        return self._backoff(attempt)

    def _unreachable(self, url: str, exc: BaseException) -> UnreachableError:
        reason, text = _describe(exc)
        safe_url = redact(url, self.options.secrets)
        return UnreachableError(f"cannot reach {safe_url}: {text}", details={"reason": reason, "url": safe_url})


def _describe(exc: BaseException) -> tuple[str, str]:
    """A short machine reason and a plain-words description of a transport failure."""
    if isinstance(exc, NameResolutionError):
        return "dns", "the host name does not resolve"
    if isinstance(exc, SSLError):
        return "tls", f"TLS error ({_tls_detail(exc)})"
    if isinstance(exc, NewConnectionError):  # a subclass of ConnectTimeoutError in urllib3 2
        if "refused" in str(exc).lower():
            return "refused", "connection refused (is ComfyUI running there?)"
        if "timed out" in str(exc).lower():
            return "timeout", "timed out while connecting"
        return "connect", "cannot connect"
    if isinstance(exc, ConnectTimeoutError):
        return "timeout", "timed out while connecting"
    if isinstance(exc, ReadTimeoutError):
        return "read_timeout", "timed out waiting for an answer"
    if isinstance(exc, ProtocolError):
        return "dropped", "the connection was dropped"
    return "transport", type(exc).__name__


def _tls_detail(exc: SSLError) -> str:
    """What the TLS layer objected to, e.g. ``certificate verify failed: self-signed certificate``."""
    inner = next((a for a in exc.args if isinstance(a, BaseException)), exc.__context__)
    if isinstance(inner, ssl.SSLCertVerificationError) and inner.verify_message:
        return f"certificate verify failed: {inner.verify_message}"
    if isinstance(inner, ssl.SSLError) and inner.reason:
        return inner.reason.lower().replace("_", " ")
    return re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(inner or exc)).strip(" )") or "handshake failed"


def _date_from_now(header: str) -> float | None:
    """Seconds until an HTTP-date ``Retry-After``; None for a header that is no date (a backoff applies)."""
    try:
        parsed = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return parsed.timestamp() - time.time() if parsed else None


def _message_of(body: str) -> str | None:
    """What an error body says: the ``message`` (or ``error``, ``detail``) of a JSON object, else the
    text itself; None when empty. Comfy Cloud answers ``{"code", "message"}``, ComfyUI ``{"error"}``."""
    try:
        decoded = jsonlib.loads(body)
    except ValueError:
        return body or None
    if isinstance(decoded, dict):
        for key in ("message", "error", "detail"):
            if isinstance(decoded.get(key), str) and decoded[key].strip():
                return decoded[key].strip()
    return body or None
