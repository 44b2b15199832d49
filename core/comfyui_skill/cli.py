"""The ``comfyui-skill`` entry point.

Kept tiny: ``comfyui-skill --help`` is answered from a cache of the assembled help text when
nothing it depends on changed, without importing argparse, pluggy or any plugin (see
:mod:`comfyui_skill.helpcache`). Everything else goes through :func:`comfyui_skill.app.run`.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from . import helpcache

    cached = helpcache.lookup(args)
    if cached is not None:
        sys.stdout.write(cached)
        return 0
    from .app import run

    return run(args)
