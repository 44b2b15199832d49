"""A tiny stand-in for a ComfyUI checkout: a git repository whose ``main.py`` starts the project's
fake ComfyUI and accepts ComfyUI's own flags, so launching, stopping and installing run for real
without a network, a GPU or PyTorch."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

MAIN = '''\
"""Stand-in ComfyUI: ComfyUI's flags, the fake server, and a few ways to fail on purpose."""
import argparse
import importlib
import json
import signal
import sys
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--listen", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8188)
parser.add_argument("--cpu", action="store_true")
parser.add_argument("--enable-manager", action="store_true")
parser.add_argument("--base-directory")
parser.add_argument("--standin-import", help="import this module first (a missing dependency)")
parser.add_argument("--standin-hang", action="store_true", help="never start listening")
parser.add_argument("--standin-ignore-sigterm", action="store_true", help="only SIGKILL ends it")
args = parser.parse_args()
with open("standin-argv.json", "w") as handle:
    json.dump(sys.argv[1:], handle)
print("Starting stand-in ComfyUI", flush=True)
if args.standin_ignore_sigterm:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if args.standin_import:
    importlib.import_module(args.standin_import)
stop = threading.Event()
if not args.standin_ignore_sigterm:
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
if args.standin_hang:
    stop.wait()
    sys.exit(0)
from comfyui_skill.testing.fake_comfyui import FakeComfyUI

server = FakeComfyUI(port=args.port, manager="4" if args.enable_manager else None).start()
print(f"To see the GUI go to: http://{args.listen}:{args.port}", flush=True)
try:
    stop.wait()
except KeyboardInterrupt:
    pass
server.stop()
print("Stopped server", flush=True)
'''


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True).stdout


def build_wheel(folder: Path, name: str) -> Path:
    """A minimal pure-Python wheel (installable offline, no build step)."""
    wheel = folder / f"{name}-1.0-py3-none-any.whl"
    info = f"{name}-1.0.dist-info"
    files = {
        f"{name}/__init__.py": "VERSION = '1.0'\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: standin\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    files[f"{info}/RECORD"] = "".join(f"{path},,\n" for path in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def make_checkout(folder: Path) -> Path:
    """A git repository shaped like ComfyUI: main.py, requirements.txt (PyTorch plus a local wheel
    that needs no network), manager_requirements.txt."""
    folder.mkdir(parents=True)
    (folder / "main.py").write_text(MAIN)
    wheels = folder / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "standin_dep")
    build_wheel(wheels, "standin_manager")
    (folder / "requirements.txt").write_text(
        "torch\ntorchsde\ntorchvision\ntorchaudio\n./wheels/standin_dep-1.0-py3-none-any.whl\n")
    (folder / "manager_requirements.txt").write_text("./wheels/standin_manager-1.0-py3-none-any.whl\n")
    (folder / ".gitignore").write_text("standin-argv.json\n.venv/\n")
    git(folder, "init", "-q", "-b", "master")
    git(folder, "add", "-A")
    commit(folder, "stand-in ComfyUI")
    return folder


def commit(folder: Path, message: str) -> None:
    git(folder, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message)
