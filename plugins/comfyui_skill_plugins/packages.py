"""``plugins install|uninstall|upgrade``: pip, run in the CLI's own environment.

pip runs as a child process (``sys.executable -m pip``), so a plugin lands where this very
``comfyui-skill`` will find it. Nothing secret ever goes on pip's command line, where ``ps`` and
shell history would see it: an ``--index-url`` travels in the child's environment
(``PIP_INDEX_URL``), and package specs with credentials embedded in a URL are refused.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from typing import TYPE_CHECKING

from comfyui_skill import CliError, Context, Result, UsageError, mask

if TYPE_CHECKING:
    import argparse

CORE = "comfyui-skill"
GROUP = "comfyui_skill"
#: user:password@ or token@ in a URL
CREDENTIALS = re.compile(r"://[^/@\s]+@")
TAIL = 15  #: lines of pip's output quoted when it fails


def plugin_entry_points() -> dict[str, str]:
    """Entry-point name -> distribution of every installed comfyui-skill plugin (not the core's)."""
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"] or ""
        if normalize(name) == CORE:
            continue
        for ep in dist.entry_points:
            if ep.group == GROUP:
                found[ep.name] = name
    return found


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def refuse_credentials(specs: list[str]) -> None:
    for spec in specs:
        if CREDENTIALS.search(spec):
            raise UsageError(f"{CREDENTIALS.sub('://***@', spec)}: credentials in a URL would be visible "
                             "in the process list", hint="put them in ~/.netrc or a keyring, or use "
                             "--index-url (passed to pip through its environment, not its command line)")


def run_pip(ctx: Context, verb: str, pip_args: list[str], *, index_url: str | None = None) -> list[str]:
    """Run pip; return its output lines, or raise a CliError quoting its last lines."""
    env = dict(os.environ)
    if index_url:
        env["PIP_INDEX_URL"] = index_url
    command = [sys.executable, "-m", "pip", verb, "--disable-pip-version-check", "--no-input", *pip_args]
    ctx.output.debug("running " + " ".join(command))
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env, check=False)
    except OSError as exc:
        raise CliError(f"could not run pip: {exc}", code="io") from None
    lines = done.stdout.splitlines()
    if index_url:
        lines = [line.replace(index_url, mask(index_url)) for line in lines]
    if done.returncode != 0:
        quoted = "\n".join(f"  {line}" for line in lines[-TAIL:])
        raise CliError(f"pip {verb} failed (exit {done.returncode}):\n{quoted}", code="internal",
                       hint="run the same with -v to see the pip command line",
                       details={"pip_exit_code": done.returncode, "pip_output": lines[-TAIL:]})
    return lines


def change(ctx: Context, verb: str, pip_args: list[str], specs: list[str], *,
           index_url: str | None = None) -> Result:
    """Run pip and report which plugins appeared or disappeared."""
    before = plugin_entry_points()
    lines = run_pip(ctx, verb, pip_args, index_url=index_url)
    after = plugin_entry_points()
    summary = [line for line in lines if line.startswith("Successfully")] or lines[-1:]
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    data = {"action": ctx.command.split()[-1], "packages": specs, "plugins_added": added,
            "plugins_removed": removed, "pip": summary}
    text = "\n".join([*summary, *(f"plugin {n!r} added ({after[n]})" for n in added),
                      *(f"plugin {n!r} removed ({before[n]})" for n in removed)])
    return Result(data=data, text=text)


def install(ctx: Context, args: argparse.Namespace) -> Result:
    specs = list(args.plugins_packages)
    refuse_credentials(specs + list(args.plugins_editable or []))
    if not specs and not args.plugins_editable:
        raise UsageError("name at least one package (or -e PATH)")
    pip_args = [*(["--pre"] if args.plugins_pre else []), *specs]
    for path in args.plugins_editable or []:
        pip_args += ["-e", path]
    return change(ctx, "install", pip_args, specs + list(args.plugins_editable or []),
                  index_url=args.plugins_index_url)


def upgrade(ctx: Context, args: argparse.Namespace) -> Result:
    specs = list(args.plugins_packages)
    if args.plugins_all:
        specs += sorted({d for d in plugin_entry_points().values()} - set(specs))
    if not specs:
        raise UsageError("name the packages to upgrade, or give --all", hint="see 'comfyui-skill plugins list'")
    refuse_credentials(specs)
    pip_args = ["--upgrade", *(["--pre"] if args.plugins_pre else []), *specs]
    return change(ctx, "install", pip_args, specs, index_url=args.plugins_index_url)


def uninstall(ctx: Context, args: argparse.Namespace) -> Result:
    installed = plugin_entry_points()
    specs = [installed.get(spec, spec) for spec in args.plugins_packages]  # a plugin name means its distribution
    if CORE in {normalize(spec) for spec in specs}:
        raise UsageError("refusing to uninstall comfyui-skill itself from its own command",
                         hint=f"run '{sys.executable} -m pip uninstall comfyui-skill'")
    ctx.confirm(f"Uninstall {', '.join(specs)} from {sys.prefix}?", assume_yes=args.yes)
    return change(ctx, "uninstall", ["--yes", *specs], specs)
