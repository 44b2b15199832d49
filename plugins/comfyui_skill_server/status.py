"""``server status`` and ``server stats``: what a server runs and whether it can be reached.

``status`` probes each server asked for concurrently (``/system_stats`` and ``/queue``). An
unreachable server is a row, not an abort: every server is shown, then the exit code says whether
all of them answered (3 when one is unreachable, 8 when one refused our credentials).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from comfyui_skill import (AuthError, CliError, ComfyClient, Context, Output, Result, ServerConfig,
                           UnreachableError, UnsupportedError, human_bytes, redact)


def status(ctx: Context, args: argparse.Namespace) -> Result:
    return status_of(ctx, _servers_asked_for(ctx, args))


def status_of(ctx: Context, servers: Sequence[ServerConfig]) -> Result:
    """Probe each server concurrently; every one is a row, the exit code says whether all answered."""
    clients = [(server, ctx.client_for(server)) for server in servers]  # built here: Context is not thread-safe
    with ThreadPoolExecutor(max_workers=min(len(clients), 16)) as pool:
        reports = list(pool.map(lambda pair: probe(*pair), clients))
    failed = [r for r in reports if not r["reachable"]]
    render = _render_one if len(reports) == 1 else _render_many
    result = Result(data=reports, text=lambda out: render(out, reports))
    if failed:
        result.error = _failure(failed)
        result.exit_code = result.error.exit_code
    return result


def stats(ctx: Context, args: argparse.Namespace) -> Result:
    data = {"server": ctx.server.name, "system_stats": ctx.client.system_stats(), "features": ctx.client.features()}

    def render(out: Output) -> None:
        system = data["system_stats"].get("system", {})
        scalars = {k: human_bytes(v) if k.startswith("ram_") else v for k, v in system.items()
                   if not isinstance(v, (list, dict))}
        _key_values(out, {**scalars, "argv": " ".join(system.get("argv") or [])})
        packages = system.get("comfy_package_versions") or []
        if packages:
            out.line()
            out.table([(p.get("name"), p.get("installed"), p.get("required")) for p in packages],
                      ("PACKAGE", "INSTALLED", "REQUIRED"), shrink=(0,))
        out.line()
        _devices_table(out, data["system_stats"].get("devices") or [])
        out.line()
        _key_values(out, {f"feature {k}": v for k, v in _flatten(data["features"]).items()})

    return Result(data=data, text=render)


def probe(server: ServerConfig, client: ComfyClient) -> dict[str, Any]:
    """One server's state; failures become ``reachable: False`` with a machine ``reason``."""
    report: dict[str, Any] = {"name": server.name, "url": redact(server.url), "kind": server.kind}
    try:
        stats_ = client.system_stats()
        queue = _queue_if_listed(client)
    except UnreachableError as exc:
        return {**report, "reachable": False, "reason": exc.details.get("reason", "unreachable"),
                "message": exc.message}
    except CliError as exc:
        reason = "auth" if isinstance(exc, AuthError) else exc.details.get("reason", exc.code)
        return {**report, "reachable": False, "reason": reason, "message": exc.message}
    system = stats_.get("system", {})
    return {
        **report, "reachable": True, "reason": None,
        "comfyui_version": system.get("comfyui_version"),
        "python_version": (system.get("python_version") or "").split(" ")[0] or None,
        "pytorch_version": system.get("pytorch_version"),
        "os": system.get("os"),
        "ram_free": system.get("ram_free"), "ram_total": system.get("ram_total"),
        "devices": stats_.get("devices") or [],
        "queue_running": len(queue["queue_running"] or []) if queue else None,
        "queue_pending": len(queue["queue_pending"] or []) if queue else None,
        # which deployment of its kind answers (a Comfy API v2 server: Cloud, a Serverless
        # deployment or a self-hosted proxy), where the server's kind can tell
        **({"surface": stats_["surface"]} if stats_.get("surface") else {}),
    }


def _queue_if_listed(client: ComfyClient) -> dict[str, Any] | None:
    """The server's queue, or None where its API lists none (Comfy API v2 on Cloud)."""
    try:
        queue = client.queue()
    except UnsupportedError:
        return None
    return {"queue_running": queue.get("queue_running"), "queue_pending": queue.get("queue_pending")}


def _servers_asked_for(ctx: Context, args: argparse.Namespace) -> list[ServerConfig]:
    if args.status_all:
        return [ctx.get_server(name) for name in sorted(ctx.config.server_tables())]
    if args.status_names:
        return [ctx.get_server(name) for name in dict.fromkeys(args.status_names)]
    return [ctx.server]


def _failure(failed: Sequence[dict[str, Any]]) -> CliError:
    def listed(reports: Sequence[dict[str, Any]]) -> str:
        return ", ".join(f"{r['name']} ({r['reason']})" for r in reports)

    details = {"servers": [r["name"] for r in failed]}
    if all(r["reason"] == "auth" for r in failed):
        return AuthError(f"credentials refused: {listed(failed)}", details=details,
                         hint="check the server's token or password: 'comfyui-skill server show NAME'")
    not_comfyui = [r["name"] for r in failed if r["reason"] == "not_comfyui"]
    others = [r for r in failed if r["reason"] != "not_comfyui"]
    parts = ([f"not reachable: {listed(others)}"] if others else []) + \
            ([f"not a ComfyUI server: {', '.join(not_comfyui)}"] if not_comfyui else [])
    return UnreachableError("; ".join(parts), details=details)


def _memory(free: Any, total: Any) -> str:
    return f"{human_bytes(free)} / {human_bytes(total)}" if total else "-"


def _main_device(report: dict[str, Any]) -> dict[str, Any]:
    devices = report.get("devices") or []
    return next((d for d in devices if d.get("type") != "cpu"), devices[0] if devices else {})


def _render_one(out: Output, reports: Sequence[dict[str, Any]]) -> None:
    report = reports[0]
    if not report["reachable"]:
        state = "not a ComfyUI server" if report["reason"] == "not_comfyui" else f"unreachable: {report['reason']}"
        _key_values(out, {"server": _label(report), "status": state,
                          "detail": report["message"]})
        return
    about_the_machine = {
        "comfyui": report["comfyui_version"], "python": report["python_version"],
        "pytorch": report["pytorch_version"], "os": report["os"],
        "ram free/total": _memory(report["ram_free"], report["ram_total"]),
    }
    if report.get("surface"):  # a Comfy API v2 server tells nothing of the machine behind it
        about_the_machine = {"surface": report["surface"]}
    _key_values(out, {
        "server": _label(report), "status": "ok", **about_the_machine,
        "queue": (f"{report['queue_running']} running, {report['queue_pending']} pending"
                  if report["queue_running"] is not None else "not listed by this server"),
    })
    if report["devices"]:
        out.line()
        _devices_table(out, report["devices"])


def _label(report: dict[str, Any]) -> str:
    """The server's name and URL (a one-off server's name is its URL: once)."""
    return report["name"] if report["name"] == report["url"] else f"{report['name']} ({report['url']})"


def _render_many(out: Output, reports: Sequence[dict[str, Any]]) -> None:
    rows = []
    for r in reports:
        if not r["reachable"]:
            rows.append((r["name"], r["reason"], None, None, None, None, r["url"]))
            continue
        device = _main_device(r)
        queue = f"{r['queue_running']}+{r['queue_pending']}" if r["queue_running"] is not None else None
        rows.append((r["name"], "ok", r["comfyui_version"] or r.get("surface"), queue,
                     device.get("name"), _memory(device.get("vram_free"), device.get("vram_total")), r["url"]))
    out.table(rows, ("SERVER", "STATUS", "COMFYUI", "QUEUE", "DEVICE", "VRAM FREE/TOTAL", "URL"), shrink=(6, 4))


def _devices_table(out: Output, devices: Sequence[dict[str, Any]]) -> None:
    rows = [(d.get("name"), d.get("type"), _memory(d.get("vram_free"), d.get("vram_total")),
             _memory(d.get("torch_vram_free"), d.get("torch_vram_total"))) for d in devices]
    out.table(rows, ("DEVICE", "TYPE", "VRAM FREE/TOTAL", "TORCH FREE/TOTAL"), shrink=(0,))


def _key_values(out: Output, values: dict[str, Any]) -> None:
    width = max((len(k) for k in values), default=0)
    for key, value in values.items():
        out.line(f"{key + ':':<{width + 1}}  {'-' if value is None else value}")


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
