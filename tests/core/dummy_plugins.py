"""Helpers that make throwaway plugin distributions: real entry points, no pip needed.

A ``*.dist-info`` folder with an ``entry_points.txt`` on ``sys.path`` is exactly what an installed
distribution looks like to ``importlib.metadata``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def make_distribution(root: Path, dist: str, modules: dict[str, str], entry_points: dict[str, str],
                      version: str = "1.0") -> Path:
    """Write modules and a dist-info declaring ``entry_points`` (name -> module) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = "\n".join(f"{name} = {module}" for name, module in entry_points.items())
    (info / "entry_points.txt").write_text(f"[comfyui_skill]\n{lines}\n")
    return root


def run_subprocess(args: list[str], *, path: Path | None, env: dict[str, str],
                   stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``python -m comfyui_skill ARGS`` with ``path`` prepended to PYTHONPATH."""
    full_env = {**os.environ, **env}
    if path is not None:
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), full_env.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "comfyui_skill", *args], capture_output=True, text=True,
                          env=full_env, input=stdin, timeout=60)


HELLO_PLUGIN = '''
import argparse
from comfyui_skill import Command, Result, hookimpl

def configure(parser):
    parser.add_argument("--name", default="world")

def run(ctx, args):
    return Result(data={"greeting": f"hello {args.name}"}, text=f"hello {args.name}")

@hookimpl
def comfyui_skill_commands():
    return [Command("hello", "say hello", configure=configure, run=run)]
'''
