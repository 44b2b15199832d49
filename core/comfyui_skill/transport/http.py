"""HTTP on a small keep-alive pool over :mod:`http.client`: timeouts, careful retries, size caps,
credential-safe redirects.

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

The standard library's ``http.client`` is all a CLI talking to one server needs (and urllib3 alone
took longer to import than a whole run on a local server).
"""

from __future__ import annotations

import email.utils
import http.client
import json as jsonlib
import os
import random
import re
import select
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from .._version import __version__
from ..errors import HttpError, ServerError, TimeoutExpired, UnreachableError
from ..redaction import redact

USER_AGENT = f"comfyui-skill/{__version__}"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
#: Idle keep-alive connections kept per host.
POOL_SIZE = 8
#: Bytes of a redirect's body read to keep its connection; a longer body closes it instead.
DRAIN_LIMIT = 64 * 1024


class TransportFailure(Exception):
    """A request or a body that failed below HTTP. ``reason`` is a short machine word (``refused``,
    ``dns``, ``timeout``, ``connect``, ``tls``, ``read_timeout``, ``dropped``); the message is plain
    words. ``connecting``: it failed before the request could reach the server."""

    def __init__(self, reason: str, text: str, *, connecting: bool = False) -> None:
        super().__init__(text)
        self.reason = reason
        self.text = text
        self.connecting = connecting


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
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

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

        Yields the :class:`Reply` positioned at the body of the final hop (2xx or an error
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
              idempotent: bool, read_timeout: float | None, deadline: float | None) -> Iterator[Reply]:
        attempt = 0
        limit = self.options.retries
        while True:
            retry_in: float | None = None
            try:
                resp = self._send(method, url, {"User-Agent": USER_AGENT, **headers}, body,
                                  self._read_timeout(read_timeout, deadline))
            except TransportFailure as exc:
                error = self._unreachable(url, exc)
                if exc.connecting:
                    # The request never reached the server: safe to retry, even a POST. A name that
                    # does not resolve will not resolve a second later.
                    if exc.reason == "dns":
                        raise error from None
                    if exc.reason == "refused":
                        # Nothing listens there. One quick retry covers a server restarting; more
                        # would only keep a user (or `server status`) waiting for the same answer.
                        limit = min(limit, self.options.refused_retries)
                        retry_in = self.options.backoff_base * random.uniform(0.25, 0.5)
                    elif exc.reason == "tls":
                        raise error from None
                    else:
                        retry_in = self._backoff(attempt)
                else:
                    if not idempotent or exc.reason == "tls":
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
                        resp.release()
                    return
                error = None
            attempt += 1
            if attempt > limit or (deadline is not None and time.monotonic() + retry_in > deadline):
                if error is not None:
                    raise error from None
                raise ServerError(f"{redact(url, self.options.secrets)} kept answering {resp.status} "
                                  f"after {attempt} attempts", code="rate_limited" if resp.status == 429
                                  else "server_error", details={"status": resp.status})
            self._sleep(retry_in)

    def _send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
              read_timeout: float) -> Reply:
        """One request on a pooled (or new) connection; the reply is positioned at its body."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise TransportFailure("connect", f"not an http(s) URL: {scheme or '?'}://", connecting=True)
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise TransportFailure("connect", "the URL's port is not a number", connecting=True) from None
        key = (scheme, parts.hostname, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = self._checkout(key)
        try:
            connection.sock.settimeout(read_timeout)
            connection.request(method, target, body=body, headers=dict(headers))
            return Reply(self, key, connection, connection.getresponse(), url)
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise _failure(exc, connecting=False) from None
        except BaseException:
            connection.close()
            raise

    def _checkout(self, key: tuple[str, str, int]) -> http.client.HTTPConnection:
        """An idle connection to ``key`` that is still open, or a new one (connected)."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                connection = idle.pop() if idle else None
            if connection is None:
                break
            if connection.sock is not None and not _dropped(connection.sock):
                return connection
            connection.close()
        scheme, host, port = key
        if scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=self.options.connect_timeout,
                                                     context=self._tls_context())
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.options.connect_timeout)
        try:
            connection.connect()
        except OSError as exc:  # refused, DNS, timeout, TLS (ssl.SSLError is an OSError)
            connection.close()
            raise _failure(exc, connecting=True) from None
        return connection

    def _checkin(self, key: tuple[str, str, int], connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < POOL_SIZE:
                idle.append(connection)
                return
        connection.close()

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            context = ssl.create_default_context(cafile=self.options.ca_bundle or None)
            if self.options.insecure:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._tls = context
        return self._tls

    def _read_timeout(self, read_timeout: float | None, deadline: float | None) -> float:
        timeout = read_timeout if read_timeout is not None else self.options.read_timeout
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutExpired("the deadline passed before the request could be sent")
            timeout = min(timeout, remaining)
        return timeout

    def _read_capped(self, resp: Reply, url: str, limit: int, deadline: float | None) -> bytes:
        chunks: list[bytes] = []
        size = 0
        give_up_at = time.monotonic() + 2 * self.options.read_timeout
        if deadline is not None:
            give_up_at = min(give_up_at, deadline)
        try:
            for chunk in resp.stream(CHUNK):
                size += len(chunk)
                if size > limit:
                    resp.close()
                    raise ServerError(f"{redact(url, self.options.secrets)} sent more than "
                                      f"{limit // (1024 * 1024)} MiB; refusing to read further")
                if time.monotonic() > give_up_at:
                    resp.close()
                    raise TimeoutExpired(f"{redact(url, self.options.secrets)} kept sending past the deadline")
                chunks.append(chunk)
        except TransportFailure as exc:
            raise self._unreachable(url, exc) from None
        return b"".join(chunks)

    def _refuse_redirect(self, url: str, resp: Reply, has_credentials: bool) -> None:
        location = redact(resp.headers.get("Location", "?"), self.options.secrets)
        resp.close()
        reason = "with credentials " if has_credentials else ""
        raise ServerError(
            f"{redact(url, self.options.secrets)} redirected to {location}; comfyui-skill does not "
            f"follow redirects {reason}on API requests",
            hint="configure the server's final URL (scheme, host and path) instead",
            details={"status": resp.status},
        )

    def _redirect_target(self, current: str, resp: Reply) -> str:
        location = resp.headers.get("Location")
        resp.drain()
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

    def _retry_after(self, resp: Reply, attempt: int) -> float | None:
        """Seconds to wait before the next attempt: the server's ``Retry-After``, else a backoff.
        None when the server asks for longer than ``retry_after_cap``: better said at once than waited."""
        header = resp.headers.get("Retry-After")
        if header:
            seconds: float | None
            try:
                seconds = float(header)
            except ValueError:
                parsed = email.utils.parsedate_to_datetime(header) if header else None
                seconds = parsed.timestamp() - time.time() if parsed else None
            if seconds is not None:
                return max(0.0, seconds) if seconds <= self.options.retry_after_cap else None
        return self._backoff(attempt)

    def _unreachable(self, url: str, exc: TransportFailure) -> UnreachableError:
        safe_url = redact(url, self.options.secrets)
        return UnreachableError(f"cannot reach {safe_url}: {exc.text}", details={"reason": exc.reason, "url": safe_url})


class Reply:
    """A response being read: ``status``, ``headers`` (case-insensitive) and the body as a stream.

    :meth:`release` gives a fully read connection back to the pool; anything else closes it.
    """

    def __init__(self, transport: HttpTransport, key: tuple[str, str, int], connection: http.client.HTTPConnection,
                 response: http.client.HTTPResponse, url: str) -> None:
        self._transport = transport
        self._key = key
        self._connection: http.client.HTTPConnection | None = connection
        self._response = response
        self._url = url
        self._finished = False
        self.status = response.status
        self.headers = response.headers

    def geturl(self) -> str:
        """The URL this response answered (the last hop of a followed redirect)."""
        return self._url

    def stream(self, amount: int = CHUNK, decode_content: bool = True) -> Iterator[bytes]:
        """The body in pieces of at most ``amount`` bytes (gzip/deflate decoded unless told not to);
        a body cut short or a silent server raises :class:`TransportFailure`."""
        encoding = (self.headers.get("Content-Encoding") or "").strip().lower()
        decoder = zlib.decompressobj(32 + zlib.MAX_WBITS) if decode_content and encoding in ("gzip", "deflate") \
            else None
        while True:
            chunk = self._read(amount)
            if not chunk:
                break
            if decoder is None:
                yield chunk
                continue
            try:
                chunk = decoder.decompress(chunk)
            except zlib.error as exc:
                raise TransportFailure("transport", f"a {encoding} body that does not decode ({exc})") from None
            if chunk:
                yield chunk
        tail = decoder.flush() if decoder is not None else b""
        if tail:
            yield tail
        self._finished = True

    def _read(self, amount: int) -> bytes:
        try:
            chunk = self._response.read1(amount)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise _failure(exc, connecting=False) from None
        if not chunk and self._response.length:  # fewer bytes than Content-Length announced
            self.close()
            raise TransportFailure("dropped", "the connection was dropped")
        return chunk

    def drain(self) -> None:
        """Read a short body to its end, so the connection can be used again; else close it."""
        size = 0
        try:
            for chunk in self.stream(CHUNK, decode_content=False):
                size += len(chunk)
                if size > DRAIN_LIMIT:
                    break
        except TransportFailure:
            pass
        self.release()

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        reusable = self._finished and not self._response.will_close
        self._response.close()
        if reusable:
            self._transport._checkin(self._key, connection)  # noqa: SLF001 - the pool of our transport
        else:
            connection.close()

    def close(self) -> None:
        """Give up on the body: the connection is closed, never reused."""
        connection, self._connection = self._connection, None
        self._response.close()
        if connection is not None:
            connection.close()


def multipart_body(fields: Mapping[str, Any]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its Content-Type. A field is a string, or a
    ``(filename, data, content_type)`` tuple for a file."""
    boundary = os.urandom(16).hex()
    parts: list[bytes] = []
    for name, value in fields.items():
        disposition = f'form-data; name="{_quoted(name)}"'
        header = ""
        if isinstance(value, tuple):
            filename, value, content_type = value
            disposition += f'; filename="{_quoted(filename)}"'
            header = f"Content-Type: {content_type}\r\n"
        data = value if isinstance(value, bytes) else str(value).encode("utf-8")
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n{header}\r\n".encode("utf-8")
        parts.append(head + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _quoted(value: str) -> str:
    """A header parameter value as browsers write it (HTML5): quotes, backslashes and control
    characters escaped, so a file name cannot end the header or start another one."""
    return "".join("%22" if c == '"' else "\\\\" if c == "\\" else
                   f"%{ord(c):02X}" if ord(c) < 0x20 and c != "\x1b" else c for c in value)


def _dropped(sock: socket.socket) -> bool:
    """An idle keep-alive connection the server closed (or sent something unasked on)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _failure(exc: BaseException, *, connecting: bool) -> TransportFailure:
    """What a low-level exception means, in a short machine reason and plain words."""
    if isinstance(exc, TransportFailure):
        return exc
    if isinstance(exc, socket.gaierror):
        return TransportFailure("dns", "the host name does not resolve", connecting=True)
    if isinstance(exc, ssl.SSLError):
        return TransportFailure("tls", f"TLS error ({_tls_detail(exc)})", connecting=connecting)
    if isinstance(exc, ConnectionRefusedError):
        return TransportFailure("refused", "connection refused (is ComfyUI running there?)", connecting=True)
    if isinstance(exc, TimeoutError):  # socket.timeout
        if connecting:
            return TransportFailure("timeout", "timed out while connecting", connecting=True)
        return TransportFailure("read_timeout", "timed out waiting for an answer")
    if connecting:
        return TransportFailure("connect", "cannot connect", connecting=True)
    if isinstance(exc, (http.client.HTTPException, OSError)):
        return TransportFailure("dropped", "the connection was dropped")
    return TransportFailure("transport", type(exc).__name__)


def _tls_detail(exc: ssl.SSLError) -> str:
    """What the TLS layer objected to, e.g. ``certificate verify failed: self-signed certificate``."""
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return f"certificate verify failed: {exc.verify_message}"
    if exc.reason:
        return exc.reason.lower().replace("_", " ")
    return re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(exc)).strip(" )") or "handshake failed"


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
