"""The server log behind ``/internal/logs`` and the ``logs`` WebSocket messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .hub import Hub

INFO = "\x1b[32m[INFO]\x1b[0m "
TERMINAL_SIZE = {"cols": 80, "rows": 24}


class LogBuffer:
    def __init__(self, hub: Hub, entries: list[dict[str, str]]) -> None:
        self._hub = hub
        self.entries = entries
        self.subscribers: set[str] = set()
        self._size_sent = False

    def add(self, text: str) -> None:
        """Append one line and push it to subscribed sockets (the first push also carries the terminal size)."""
        entry = {"t": datetime.now().isoformat(), "m": text if text.endswith("\n") else text + "\n"}
        self.entries.append(entry)
        if not self.subscribers:
            return
        size, self._size_sent = (None if self._size_sent else TERMINAL_SIZE), True
        for sid in self.subscribers:
            self._hub.send("logs", {"entries": [entry], "size": size}, sid)

    def info(self, text: str) -> None:
        self.add(INFO + text)

    def text(self) -> str:
        return "".join(f"{entry['t']} - {entry['m']}" for entry in self.entries)

    def raw(self) -> dict[str, Any]:
        return {"entries": self.entries, "size": TERMINAL_SIZE}
