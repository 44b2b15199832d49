"""Pictures in the terminal: ``comfyui-skill show FILE...``, and for ``run --show`` / ``wait --show``
the live sampling previews and the saved outputs (see docs/display.md).

Protocols: kitty graphics, iTerm2 inline images, sixel, truecolor and 256-colour half-blocks; Pillow
(``comfyui-skill[images]``) decodes pixels where a protocol needs them. This module stays cheap: the
drawing code loads only when a command asked for it.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, Context, Event, Setting, hookimpl, positive_count

PROTOCOLS = ("auto", "kitty", "iterm2", "sixel", "truecolor", "256", "none")
#: The events a display draws on (others return at once).
DRAWN_ON = frozenset({"preview", "progress", "node", "output", "done", "failed", "cancelled"})


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("show_files", metavar="FILE", nargs="+",
                        help="images (PNG, JPEG, WebP, GIF, BMP); videos show their first frame when ffmpeg is "
                             "installed; other files just their path and size")
    parser.add_argument("--size", dest="show_size", type=positive_count("columns"), metavar="COLS",
                        help="width in terminal columns (default: the picture's own size; never wider than the "
                             "window)")
    parser.add_argument("--protocol", dest="show_protocol", choices=PROTOCOLS,
                        help="how to draw (default: the display.protocol setting, else detected)")
    parser.set_defaults(handler="comfyui_skill_display.commands:show")


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("show", "draw local images in the terminal (kitty, iTerm2, sixel, half-blocks)",
                    configure=configure)]


@hookimpl
def comfyui_skill_settings() -> Iterable[Setting]:
    return [
        Setting("display.show", str, "never", "Draw the outputs (and live previews) of 'run' and 'wait --download' "
                "in the terminal: always, never, or auto (only where a graphics protocol is found); --show and "
                "--no-show decide for one run.", env="COMFYUI_SKILL_SHOW", choices=("auto", "always", "never")),
        Setting("display.protocol", str, "auto", "How pictures are drawn: auto (detected), kitty, iterm2, sixel, "
                "truecolor, 256 (half-blocks) or none.", env="COMFYUI_SKILL_DISPLAY_PROTOCOL", choices=PROTOCOLS),
        Setting("display.query_timeout", float, 0.25, "Seconds to wait for the terminal's answer when it is asked "
                "what it can draw (0: never ask, trust the environment).",
                env="COMFYUI_SKILL_DISPLAY_QUERY_TIMEOUT"),
        Setting("display.preview_interval", float, 0.25, "Least seconds between two redraws of the live "
                "preview.", env="COMFYUI_SKILL_DISPLAY_PREVIEW_INTERVAL"),
    ]


@hookimpl
def comfyui_skill_event(ctx: Context, event: Event) -> None:
    if ctx.output.display is None or event.type not in DRAWN_ON:
        return
    from .live import observe

    observe(ctx, event)
