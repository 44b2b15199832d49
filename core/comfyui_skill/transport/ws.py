"""The ComfyUI WebSocket: connect with a client id, receive decoded messages, with deadlines.

Credentials in the URL (Comfy Cloud's ``token=``) or headers never appear in an error message: every
text that leaves this module is redacted.

Memory stays bounded whatever the server sends: websocket-client reads a whole frame (and a whole
fragmented message) into memory, so the declared length of each frame is checked as soon as its header
arrives, before any of the payload is read; a frame or message over :data:`MAX_MESSAGE_BYTES` closes
the socket with a clear reason (the caller then reconnects or polls).
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import websocket
from websocket._abnf import frame_buffer

from ..errors import AuthError, UnreachableError
from ..output import human_bytes
from ..redaction import redact

#: Binary frame types (first big-endian uint32 of the frame).
PREVIEW_IMAGE = 1
UNENCODED_PREVIEW = 2
TEXT = 3
PREVIEW_IMAGE_WITH_METADATA = 4
IMAGE_TYPES = {1: "image/jpeg", 2: "image/png"}
#: The largest message we accept: SaveImageWebsocket sends whole images (a 4K PNG is tens of MiB).
MAX_MESSAGE_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True)
class Message:
    """One server message: ``type`` and ``data`` for JSON frames, plus ``payload`` for binary ones.

    Binary frames are decoded to ``type`` ``"preview_image"`` (data: image_type, and the metadata of
    type-4 frames) or ``"progress_text"`` (data: node_id, text).
    """

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    payload: bytes | None = None


class ConnectionClosed(Exception):
    """The socket closed; the caller decides whether to reconnect and reconcile."""


class MessageTooLarge(websocket.WebSocketException):
    """A frame header announced more than we accept; its payload was not read."""


class CappedFrames(frame_buffer):
    """websocket-client's frame reader, refusing a frame or fragmented message over ``limit`` bytes
    from its header (the payload is never read)."""

    def __init__(self, original: frame_buffer, limit: int) -> None:
        super().__init__(original.recv, original.skip_utf8_validation)
        self.limit = limit
        self.fragments = 0  # bytes of the data message being reassembled

    def recv_length(self) -> None:
        super().recv_length()
        fin, opcode, length = self.header[0], self.header[4], self.length
        if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY, websocket.ABNF.OPCODE_CONT):
            length += self.fragments if opcode == websocket.ABNF.OPCODE_CONT else 0
            self.fragments = 0 if fin else length
        if length > self.limit:
            raise MessageTooLarge(f"the server sent a WebSocket message of {human_bytes(length)}, "
                                  f"more than the {human_bytes(self.limit)} accepted")


def decode_binary(frame: bytes) -> Message:
    if len(frame) < 4:
        return Message("binary", {"length": len(frame)})
    (event_type,) = struct.unpack(">I", frame[:4])
    if event_type in (PREVIEW_IMAGE, UNENCODED_PREVIEW) and len(frame) >= 8:
        (image_type,) = struct.unpack(">I", frame[4:8])
        return Message("preview_image", {"image_type": IMAGE_TYPES.get(image_type, "image/png")}, frame[8:])
    if event_type == PREVIEW_IMAGE_WITH_METADATA and len(frame) >= 8:
        (meta_len,) = struct.unpack(">I", frame[4:8])
        try:
            metadata = json.loads(frame[8:8 + meta_len])
        except ValueError:
            metadata = {}
        data = metadata if isinstance(metadata, dict) else {}
        return Message("preview_image", data, frame[8 + meta_len:])
    if event_type == TEXT and len(frame) >= 8:
        (id_len,) = struct.unpack(">I", frame[4:8])
        node_id = frame[8:8 + id_len].decode("utf-8", "replace")
        return Message("progress_text", {"node_id": node_id, "text": frame[8 + id_len:].decode("utf-8", "replace")})
    return Message("binary", {"event_type": event_type, "length": len(frame)})


def decode_text(text: str) -> Message | None:
    try:
        decoded = json.loads(text)
    except ValueError:
        return None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("type"), str):
        return None
    data = decoded.get("data")
    return Message(decoded["type"], data if isinstance(data, dict) else {})


class WebSocketStream:
    """A connected socket. ``receive(timeout)`` returns a Message, or None when the time is up."""

    def __init__(self, url: str, *, headers: Mapping[str, str] | None = None,
                 connect_timeout: float = 10.0, secrets: tuple[str, ...] = (),
                 sslopt: dict[str, Any] | None = None, max_message_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.url = url
        self._max_message_bytes = max_message_bytes
        self._secrets = secrets
        self._headers = [f"{k}: {v}" for k, v in (headers or {}).items()]
        self._connect_timeout = connect_timeout
        self._sslopt = sslopt
        self._ws: websocket.WebSocket | None = None

    @property
    def safe_url(self) -> str:
        return redact(self.url, self._secrets)

    def connect(self) -> WebSocketStream:
        ws = websocket.WebSocket(sslopt=self._sslopt or {}, skip_utf8_validation=True)
        ws.frame_buffer = CappedFrames(ws.frame_buffer, self._max_message_bytes)
        try:
            # redirect_limit=0: websocket-client would replay our headers (credentials) to any redirect target
            ws.connect(self.url, header=self._headers, timeout=self._connect_timeout,
                       suppress_origin=True, redirect_limit=0)
        except websocket.WebSocketBadStatusException as exc:
            ws.close()
            status = getattr(exc, "status_code", 0)
            if status in (401, 403):
                raise AuthError(f"the WebSocket at {self.safe_url} refused our credentials (HTTP {status})",
                                details={"status": status}) from None
            raise UnreachableError(f"the WebSocket at {self.safe_url} answered HTTP {status}",
                                   details={"reason": "ws_status", "status": status}) from None
        except (OSError, websocket.WebSocketException, ssl.SSLError) as exc:
            ws.close()
            reason = redact(str(exc), self._secrets) or type(exc).__name__
            raise UnreachableError(f"cannot open the WebSocket at {self.safe_url}: {reason}",
                                   details={"reason": "ws_connect"}) from None
        self._ws = ws
        return self

    def send_json(self, message: dict[str, Any]) -> None:
        if self._ws is None:
            raise ConnectionClosed("not connected")
        try:
            self._ws.send(json.dumps(message))
        except (OSError, websocket.WebSocketException) as exc:
            raise ConnectionClosed(redact(str(exc), self._secrets)) from None

    def receive(self, timeout: float) -> Message | None:
        """The next decodable message, or None if none arrives within ``timeout`` seconds."""
        if self._ws is None:
            raise ConnectionClosed("not connected")
        end = time.monotonic() + max(timeout, 0.0)
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                return None
            self._ws.settimeout(remaining)
            try:
                opcode, payload = self._ws.recv_data()
            except (websocket.WebSocketTimeoutException, socket.timeout, TimeoutError):
                return None
            except MessageTooLarge as exc:
                self._ws.shutdown()  # no closing handshake: it would read the payload we refused
                self._ws = None
                raise ConnectionClosed(str(exc)) from None
            except (OSError, websocket.WebSocketException) as exc:
                self.close()
                raise ConnectionClosed(redact(str(exc), self._secrets) or "closed") from None
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                self.close()
                raise ConnectionClosed("closed by the server")
            if opcode == websocket.ABNF.OPCODE_BINARY:
                return decode_binary(payload)
            if opcode == websocket.ABNF.OPCODE_TEXT:
                message = decode_text(payload.decode("utf-8", "replace"))
                if message is not None:
                    return message

    def close(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close(timeout=1)
            except (OSError, websocket.WebSocketException):
                pass
            self._ws = None

    def __enter__(self) -> WebSocketStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
