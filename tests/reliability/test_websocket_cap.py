"""The WebSocket size cap counts a fragmented message as a whole, and control frames not at all."""

from __future__ import annotations

import struct

import pytest
from websocket._abnf import frame_buffer

from comfyui_skill.transport.ws import CappedFrames, MessageTooLarge


def _frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    return bytes([(0x80 if fin else 0) | opcode, len(payload)]) + payload


def _reader(data: bytes, limit: int) -> CappedFrames:
    stream = iter([data])
    buffer = [b""]

    def recv(n: int) -> bytes:
        if not buffer[0]:
            buffer[0] = next(stream)
        chunk, buffer[0] = buffer[0][:n], buffer[0][n:]
        return chunk
    return CappedFrames(frame_buffer(recv, True), limit)


def test_fragments_add_up_to_the_cap():
    data = _frame(0x1, b"a" * 20, fin=False) + _frame(0x9, b"p" * 20) + _frame(0x0, b"b" * 20, fin=False) \
        + _frame(0x0, b"c" * 20)
    reader = _reader(data, limit=50)
    assert [reader.recv_frame().opcode for _ in range(3)] == [0x1, 0x9, 0x0]  # 20 + (ping) + 20: fine
    with pytest.raises(MessageTooLarge, match="60 B, more than the 50 B accepted"):
        reader.recv_frame()


def test_a_finished_message_resets_the_count():
    data = _frame(0x2, b"x" * 40) + _frame(0x1, b"y" * 40, fin=False) + _frame(0x0, b"z" * 10)
    reader = _reader(data, limit=50)
    assert [len(reader.recv_frame().data) for _ in range(3)] == [40, 40, 10]


def test_the_payload_of_a_refused_frame_is_not_read():
    header = bytes([0x82, 127]) + struct.pack(">Q", 2 ** 40)
    with pytest.raises(MessageTooLarge, match="1.0 TiB"):
        _reader(header, limit=50).recv_frame()  # the reader holds the header only: reading more would fail
