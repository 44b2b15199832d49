"""Whether this command may draw at all, and with what: the settings and the terminal.

Never in the wrong place: nothing is drawn unless the output mode is text, ``-q`` is off and stdout
is a terminal whose ``TERM`` is not ``dumb`` (and ``NO_COLOR`` rules out the coloured half-blocks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from comfyui_skill import ConfigError, Context, is_terminal

from . import detect
from .canvas import Canvas, Screen

HINT = "install Pillow ('pip install \"comfyui-skill[images]\"') to draw images in this terminal"


@dataclass(frozen=True)
class DisplaySettings:
    show: str
    protocol: str
    query_timeout: float
    preview_interval: float


def settings(ctx: Context) -> DisplaySettings:
    """The ``display.*`` settings, checked (a malformed value is a config error, exit 10)."""
    from . import comfyui_skill_settings

    values: dict[str, Any] = {}
    for setting in comfyui_skill_settings():
        try:
            value = setting.coerce(ctx.setting(setting.key, setting.default))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if isinstance(value, float) and not value >= 0:
            raise ConfigError(f"{setting.key} must be a number of seconds, not {value!r}")
        values[setting.key.split(".", 1)[1]] = value
    return DisplaySettings(**values)


def may_draw(ctx: Context) -> bool:
    out = ctx.output
    return out.mode == "text" and not out.quiet and is_terminal(out.stdout) and ctx.environ.get("TERM") != "dumb"


def canvas_for(ctx: Context, chosen: DisplaySettings, *, protocol: str | None = None) -> Canvas | None:
    """A canvas on stdout, or None when nothing may or can be drawn here."""
    if not may_draw(ctx):
        return None
    stdout = ctx.output.stdout
    choice = detect.choose(ctx.environ, _asker(ctx, chosen.query_timeout), forced=protocol or chosen.protocol,
                           tmux_passthrough=detect.tmux_allows_passthrough)
    if choice.protocol == "none":
        return None
    return Canvas(stdout, choice.protocol, Screen.of(stdout, ctx.output.width), tmux=choice.tmux)


def _asker(ctx: Context, timeout: float) -> detect.Ask | None:
    try:
        in_fd, out_fd = ctx.stdin.fileno(), ctx.output.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    ctx.output.stdout.flush()
    return detect.terminal_asker(in_fd, out_fd, timeout)
