"""MCP tools (``comfyui-skill mcp serve``): start, stop and check a local ComfyUI, through the same
functions as ``local launch``, ``local stop`` and ``local status``.

An agent may launch only what the user set up: an install remembered under the name (by ``local
install`` or a ``local launch`` on the command line) or a folder inside the server's roots; it
cannot choose the Python interpreter or pass further ComfyUI arguments (both would let it run
programs of its choosing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from comfyui_skill import Context, McpTool, Result

from . import control
from .instances import DEFAULT_NAME, load
from .launch import DEFAULT_TIMEOUT, LaunchRequest, launch

TOOLS_MODULE = "comfyui_skill_launcher.tools"
NAME = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
        "description": f"which local ComfyUI (default: {DEFAULT_NAME}); also the server name it is configured as"}


def _schema(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False}


TOOLS = [
    McpTool("launch_comfyui",
            "Start the ComfyUI installed on this machine in the background, wait until it answers, and make it the "
            "default server, so the other tools reach it. Use it when server_status says the local server is "
            "unreachable and the user wants ComfyUI started. Without 'path' it starts the install remembered under "
            "'name' (see comfyui_status). A failed start returns the cause and the end of its log.",
            _schema({"name": NAME,
                     "path": {"type": "string", "description": "the ComfyUI folder (with main.py); default: the "
                                                               "one remembered under the name"},
                     "port": {"type": "integer", "minimum": 1, "maximum": 65535,
                              "description": "default: the port of last time if free, else the first free from 8188"},
                     "cpu": {"type": "boolean", "description": "run on the CPU (default: as remembered)"},
                     "enable_manager": {"type": "boolean", "description": "start ComfyUI-Manager too"},
                     "timeout": {"type": "number", "exclusiveMinimum": 0,
                                 "description": f"seconds to wait for it to answer (default {DEFAULT_TIMEOUT:g})"},
                     "make_default": {"type": "boolean", "description": "make it the default server (default true)"}}),
            f"{TOOLS_MODULE}:launch_comfyui"),
    McpTool("stop_comfyui",
            "Stop a ComfyUI that launch_comfyui or 'comfyui-skill local launch' started (never any other process): "
            "asked to stop first, killed after the grace period. Prompts running on it are lost.",
            _schema({"name": NAME, "all": {"type": "boolean", "description": "stop every one started this way"},
                     "grace": {"type": "number", "exclusiveMinimum": 0,
                               "description": f"seconds it has to end before it is killed (default "
                                              f"{control.DEFAULT_GRACE:g})"}}),
            f"{TOOLS_MODULE}:stop_comfyui"),
    McpTool("comfyui_status",
            "The local ComfyUIs this tool knows (installed or launched on this machine): running or not, PID, port, "
            "URL, uptime, ComfyUI version, whether it answers, its folder and log file.",
            _schema({"name": NAME}), f"{TOOLS_MODULE}:comfyui_status", read_only=True),
]


def launch_comfyui(ctx: Context, arguments: dict[str, Any]) -> Result:
    name = arguments.get("name", DEFAULT_NAME)
    path = arguments.get("path")
    known = load(name)
    if path is not None and not (known is not None and Path(known.path) == Path(path).expanduser().resolve()):
        path = str(ctx.confine(Path(path), "launch ComfyUI from"))
    request = LaunchRequest(name=name, path=path, port=arguments.get("port"), cpu=arguments.get("cpu"),
                            manager=arguments.get("enable_manager"), timeout=arguments.get("timeout", DEFAULT_TIMEOUT),
                            make_default=arguments.get("make_default", True))
    return Result(data=launch(ctx, request).to_json())


def stop_comfyui(ctx: Context, arguments: dict[str, Any]) -> Result:
    grace = arguments.get("grace", control.DEFAULT_GRACE)
    if arguments.get("all"):
        return Result(data=[stopped.to_json() for stopped in control.stop_all(grace=grace)])
    return Result(data=control.stop(arguments.get("name", DEFAULT_NAME), grace=grace).to_json())


def comfyui_status(ctx: Context, arguments: dict[str, Any]) -> Result:
    names = [arguments["name"]] if "name" in arguments else None
    return Result(data=[state.to_json() for state in control.status(ctx, names)])
