"""logs show, with and without --follow, against the fake server's log."""

from __future__ import annotations

import threading

from .helpers import received, requested, submit, wait_until


def test_last_entries_without_colours(fake_comfy, run_cli):
    result = run_cli("logs", "show", "-n", "3", server=fake_comfy)
    lines = result.stdout.splitlines()
    assert result.exit_code == 0 and len(lines) == 3
    assert "\x1b[" not in result.stdout and "[INFO]" in result.stdout
    raw = run_cli("logs", "show", "-n", "3", "--raw", server=fake_comfy)
    assert "\x1b[32m[INFO]\x1b[0m" in raw.stdout
    data = run_cli("logs", "show", "-n", "0", "--json", server=fake_comfy).json()["data"]
    assert len(data["entries"]) > 3 and data["entries"][-3:][0]["m"].endswith("\n")
    assert not any("\x1b[" in entry["m"] for entry in data["entries"])
    coloured = run_cli("logs", "show", "-n", "0", "--json", "--raw", server=fake_comfy).json()["data"]
    assert any("\x1b[32m" in entry["m"] for entry in coloured["entries"])


def test_entries_the_server_garbles_are_skipped_or_shown_empty(fake_comfy, run_cli):
    body = '{"entries": [{"t": null, "m": null}, "junk", 7, {"t": "2026-01-01T10:00:00.000", "m": "ok\\n"}]}'
    fake_comfy.faults.respond_raw(r"^/internal/logs/raw$", 200, body, "application/json")
    result = run_cli("logs", "show", "-n", "0", server=fake_comfy)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "2026-01-01 10:00:00  ok"
    data = run_cli("logs", "show", "-n", "0", "--json", server=fake_comfy).json()["data"]
    assert [entry["m"] for entry in data["entries"]] == ["", "ok\n"]


def test_timeout_needs_follow_and_n_must_not_be_negative(fake_comfy, run_cli):
    assert run_cli("logs", "show", "--timeout", "1", server=fake_comfy).exit_code == 2
    assert run_cli("logs", "show", "-n", "-1", server=fake_comfy).exit_code == 2


def test_follow_streams_new_entries_until_the_timeout(fake_comfy, run_cli):
    def make_a_log_line() -> None:
        wait_until(lambda: requested(fake_comfy, "PATCH", "/internal/logs/subscribe"))
        submit(fake_comfy, 7)  # the server logs "got prompt"

    thread = threading.Thread(target=make_a_log_line)
    thread.start()
    result = run_cli("logs", "show", "-n", "1", "--follow", "--timeout", "4", "--output", "ndjson",
                     server=fake_comfy)
    thread.join()
    assert result.exit_code == 0, result.stderr
    lines = result.ndjson()
    events = [line for line in lines if line.get("event") == "log"]
    assert len(events) >= 2  # the last backlog entry, then the new one(s)
    assert any("got prompt" in e["message"] for e in events[1:])
    assert all("\x1b" not in e["message"] for e in events)
    assert lines[-1]["ok"] is True and len(lines[-1]["data"]["entries"]) == len(events)
    unsubscribed = received(fake_comfy, "PATCH", "/internal/logs/subscribe")
    assert b'"enabled": false' in unsubscribed[-1].body
