"""Handler of ``comfyui-skill logs show``."""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Sequence
from typing import Any

from comfyui_skill import (CliError, ConnectionClosed, Context, Event, Output, is_terminal, Result, UnreachableError, UsageError,
                           new_client_id, redact)

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
POLL = 1.0  #: seconds between checks of the deadline while following

Entry = dict[str, str]


def show_logs(ctx: Context, args: argparse.Namespace) -> Result:
    if args.logs_lines < 0:
        raise UsageError("-n must be 0 (all) or more")
    if args.logs_timeout is not None and not args.logs_follow:
        raise UsageError("--timeout only applies with --follow")
    colour = args.logs_raw or is_terminal(ctx.output.stdout)
    if args.logs_follow:
        return _follow(ctx, args, colour)
    raw = ctx.client.logs_raw()
    entries = _redacted(ctx, _last(_readable(raw.get("entries")), args.logs_lines))
    return Result(data={"entries": _for_json(entries, args.logs_raw), "size": raw.get("size")},
                  text=lambda out: _print_entries(out, entries, colour))


def _readable(entries: Any) -> list[Entry]:
    """The server's log entries as ``{"t": text, "m": text, ...}``; anything else it sends is skipped."""
    if not isinstance(entries, list):
        return []
    return [{**entry, "t": str(entry.get("t") or ""), "m": str(entry.get("m") or "")}
            for entry in entries if isinstance(entry, dict)]


def _redacted(ctx: Context, entries: Sequence[Entry]) -> list[Entry]:
    """Entries with our credentials masked: a server or proxy may log what we sent it."""
    secrets = ctx.server.secrets()
    return [{**entry, "m": redact(entry.get("m", ""), secrets)} for entry in entries]


def _for_json(entries: Sequence[Entry], raw: bool) -> list[Entry]:
    """Entries for JSON output: no ANSI colour codes unless --raw asks for them."""
    return list(entries) if raw else [{**entry, "m": ANSI.sub("", entry.get("m", ""))} for entry in entries]


def _follow(ctx: Context, args: argparse.Namespace, colour: bool) -> Result:
    client, client_id = ctx.client, new_client_id()
    shown: list[Entry] = []

    def show(entries: Sequence[Entry]) -> None:
        entries = _redacted(ctx, entries)
        shown.extend(entries)
        for entry in entries:
            ctx.emit(Event("log", server=ctx.server.name,
                           data={"time": entry.get("t"), "message": ANSI.sub("", entry.get("m", "")).rstrip("\n")}))
        _print_entries(ctx.output, entries, colour)

    deadline = None if args.logs_timeout is None else time.monotonic() + args.logs_timeout
    with client.open_events(client_id) as stream:
        client.subscribe_logs(client_id)  # before reading the backlog, so nothing falls in between
        try:
            backlog = _readable(client.logs_raw().get("entries"))
            already = {_key(e) for e in backlog}
            show(_last(backlog, args.logs_lines))
            while deadline is None or time.monotonic() < deadline:
                wait = POLL if deadline is None else min(POLL, max(deadline - time.monotonic(), 0))
                message = stream.receive(wait)
                if message is not None and message.type == "logs":
                    show([e for e in _readable(message.data.get("entries")) if _key(e) not in already])
        except ConnectionClosed as exc:
            raise UnreachableError(f"the log stream of server {ctx.server.name!r} closed: {exc}") from None
        finally:
            _unsubscribe(ctx, client_id)
    return Result(data={"entries": _for_json(shown, args.logs_raw)}, text="")


def _unsubscribe(ctx: Context, client_id: str) -> None:
    try:
        ctx.client.subscribe_logs(client_id, enabled=False)
    except CliError as exc:  # the socket is closing anyway; the server drops the subscription with it
        ctx.output.debug(f"could not unsubscribe from the log: {exc.message}")


def _print_entries(out: Output, entries: Sequence[Entry], colour: bool) -> None:
    if not out.is_text:
        return
    for entry in entries:
        message = entry.get("m", "").rstrip("\n")
        stamp = entry.get("t", "")[:19].replace("T", " ")
        out.line(f"{stamp}  {message if colour else ANSI.sub('', message)}")
    out.stdout.flush()


def _last(entries: list[Entry], count: int) -> list[Entry]:
    return entries[-count:] if count else entries


def _key(entry: Entry) -> tuple[Any, Any]:
    return entry.get("t"), entry.get("m")
