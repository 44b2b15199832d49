"""Rendering the manual page from the real argparse tree with argparse-manpage."""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from comfyui_skill import CliError, Context, Result, __version__, atomic_write, build_parser

WIDTH = "80"  #: the page is wrapped the same on every terminal, so it is reproducible
MANUAL = "comfyui-skill manual"
SHORT = "a command-line client for ComfyUI servers"


def man(ctx: Context, args: argparse.Namespace) -> Result:
    page = render(ctx)
    if args.man_output:
        path = Path(args.man_output)
        try:
            atomic_write(path, page)
        except OSError as exc:
            raise CliError(f"cannot write {path}: {exc.strerror or exc}", code="io") from None
        return Result(data={"path": str(path), "bytes": len(page.encode())}, text=f"wrote {path}")
    return Result(data={"page": page}, text=page.rstrip("\n"))


def render(ctx: Context) -> str:
    """The page for the plugins loaded now. Dated by ``SOURCE_DATE_EPOCH`` if set, else by version."""
    try:
        from argparse_manpage.manpage import Manpage
    except ImportError:
        raise CliError("the man page needs argparse-manpage, which is not installed", code="internal",
                       hint="reinstall comfyui-skill, or: comfyui-skill plugins install argparse-manpage"
                       ) from None
    epoch = ctx.environ.get("SOURCE_DATE_EPOCH")
    date = time.strftime("%Y-%m-%d", time.gmtime(int(epoch))) if epoch else __version__
    with fixed_width():
        parser = build_parser(ctx.plugins, configure=True)
        page = Manpage(parser)
        page.date, page.source, page.manual, page.description = date, f"comfyui-skill {__version__}", MANUAL, SHORT
        return str(page)


@contextlib.contextmanager
def fixed_width() -> Iterator[None]:
    """argparse wraps help text to $COLUMNS; pin it while the page is formatted."""
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        yield
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
