"""``local install`` and ``local update``: a ComfyUI checkout with its own virtual environment.

Every step looks at what is already there first, so running the same command again after it was
cut (Ctrl-C, a lost network, a full disk) finishes the job: the clone goes to a hidden sibling
folder and is renamed into place only when complete; the venv is made only if it has no working
Python; pip installs only what is missing. PyTorch is installed only as asked with ``--torch``:
never a multi-gigabyte build nobody chose.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from comfyui_skill import CliError, Context, NotFoundError, Output, Result, UsageError, human_bytes

from . import installs
from .instances import DEFAULT_NAME, Instance, check_name, command, every, exclusive, load, save, state_dir
from .steps import Steps

OFFICIAL_REPOSITORY = "https://github.com/comfyanonymous/ComfyUI.git"
MANAGER_REPOSITORY = "https://github.com/Comfy-Org/ComfyUI-Manager.git"
#: Where each PyTorch choice comes from (None: PyPI, whose macOS build uses the Apple GPU).
TORCH_INDEXES = {
    "cpu": "https://download.pytorch.org/whl/cpu",
    "cuda": "https://download.pytorch.org/whl/cu130",
    "rocm": "https://download.pytorch.org/whl/rocm6.4",
}
TORCH_PACKAGES = ("torch", "torchvision", "torchaudio")
#: Requirements of ComfyUI that pull PyTorch in themselves: left out with ``--torch skip`` while
#: PyTorch is not installed (pip would otherwise download the default build to satisfy them).
NEEDS_TORCH = frozenset({"torchsde", "kornia", "spandrel"})
#: Free disk space an install needs, roughly, by PyTorch choice (the venv, ComfyUI, its requirements).
NEEDED_BYTES = {"skip": 1 << 30, "cpu": 3 << 30, "cuda": 10 << 30, "rocm": 16 << 30}


@dataclass
class InstallRequest:
    path: str = "ComfyUI"
    name: str = DEFAULT_NAME
    torch: str | None = None  #: cpu, cuda, rocm or skip; required
    torch_index: str | None = None
    source: str = OFFICIAL_REPOSITORY
    ref: str | None = None
    with_manager: bool = False
    python: str | None = None  #: the interpreter the venv is made from


def install(ctx: Context, request: InstallRequest) -> dict:
    """Clone, make the venv, install PyTorch (as chosen), the requirements and optionally the
    Manager; remember the folder under ``request.name``. Returns what was done."""
    name = check_name(request.name)
    with exclusive(name):
        return _install(ctx, name, request)


def _install(ctx: Context, name: str, request: InstallRequest) -> dict:
    torch = _torch_choice(request.torch)
    folder = Path(request.path).expanduser().absolute()
    cloned = (folder / "main.py").is_file()
    if not cloned and folder.exists() and any(folder.iterdir()):
        raise UsageError(f"{folder} is not empty and holds no ComfyUI (no main.py); nothing was changed",
                         hint="give a new or empty folder, or the folder of an existing ComfyUI clone")
    if not cloned and shutil.which("git") is None:
        raise CliError("git is needed to install ComfyUI and was not found",
                       hint="install git (https://git-scm.com/downloads), then run this again", code="io")
    shortfall = space_shortfall(_free_bytes(folder), torch)
    if shortfall:
        raise CliError(f"not enough disk space at {_existing(folder)}: {shortfall}", code="io",
                       hint="free some space, or choose another PATH")
    running = [i.name for i in every() if Path(i.path) == folder and i.is_running()]
    if running:
        raise UsageError(f"ComfyUI {running[0]!r} runs from {folder}; stop it before installing into it",
                         hint=f"'{command(running[0], 'stop')}'")
    steps = Steps(ctx, state_dir() / f"{name}.install.log", total=5 if request.with_manager else 4)
    done: dict = {"name": name, "path": str(folder), "torch": torch, "steps": {}}
    if cloned:
        steps.skip(f"ComfyUI is already cloned in {folder}")
        done["steps"]["clone"] = "already there"
    else:
        steps.begin(f"cloning {request.source}{f' at {request.ref}' if request.ref else ''} into {folder}")
        done["steps"]["clone"] = _clone(steps, folder, request.source, request.ref)
    python = _venv(steps, folder, request.python)
    done["python"] = str(python)
    done["steps"]["torch"] = _torch(steps, python, torch, request.torch_index)
    done["steps"]["requirements"] = _requirements(steps, folder, python, torch)
    if request.with_manager:
        done["steps"]["manager"] = _manager(steps, folder, python)
    done["log"] = str(steps.log)
    done["remembered"] = _remember(name, folder, python, torch, request.with_manager)
    return done


def _torch_choice(torch: str | None) -> str:
    if torch is None:
        raise UsageError("choose the PyTorch to install with --torch: cpu, cuda (NVIDIA), rocm (AMD), or skip",
                         hint="PyTorch builds are several gigabytes, so none is installed unless chosen")
    if sys.platform == "darwin" and torch in ("cuda", "rocm"):
        raise UsageError(f"there is no {torch} PyTorch for macOS: use --torch cpu (it uses the Apple GPU too)")
    return torch


def space_shortfall(free: int, torch: str) -> str | None:
    """What is missing, in words, when ``free`` bytes are not enough for an install with ``torch``."""
    needed = NEEDED_BYTES[torch]
    if free >= needed:
        return None
    return f"an install with --torch {torch} needs about {human_bytes(needed)}, only {human_bytes(free)} is free"


def _existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _free_bytes(folder: Path) -> int:
    return shutil.disk_usage(_existing(folder)).free


def _clone(steps: Steps, folder: Path, source: str, ref: str | None) -> str:
    """Clone into a hidden sibling, then rename it into place: PATH is a whole clone or nothing."""
    partial = folder.parent / f".{folder.name}.partial"
    if partial.exists():
        steps.ctx.output.note(f"removing the unfinished clone {partial} of an earlier run")
        shutil.rmtree(partial)
    folder.parent.mkdir(parents=True, exist_ok=True)
    steps.run(["git", "clone", "--progress", source, str(partial)], what=f"cloning {source}")
    if ref:
        steps.run(["git", "-C", str(partial), "checkout", "--quiet", ref], what=f"checking out {ref}")
    if folder.exists():
        folder.rmdir()  # empty (checked before anything was done)
    partial.replace(folder)
    return "cloned"


def _venv(steps: Steps, folder: Path, python: str | None) -> Path:
    """``PATH/.venv`` (or an existing ``venv``) with a working interpreter."""
    existing = installs.find_python(folder)
    if existing is not None and _works(existing):
        steps.skip(f"the virtual environment is already there ({existing})")
        return existing
    base = installs.given_python(python) if python else Path(sys.executable)
    venv = folder / ".venv"
    steps.begin(f"creating the virtual environment {venv} with {base}")
    steps.run([str(base), "-m", "venv", str(venv)], what="creating the virtual environment")
    return installs.venv_python(venv)


def _works(python: Path) -> bool:
    try:
        return subprocess.run([str(python), "-c", "import pip"], capture_output=True, check=False).returncode == 0
    except OSError:
        return False


def _has_module(python: Path, module: str) -> bool:
    probe = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([str(python), "-c", probe], capture_output=True, check=False).returncode == 0


def _pip(python: Path, *args: str) -> list[str]:
    return [str(python), "-m", "pip", "install", "--disable-pip-version-check", *args]


def _torch(steps: Steps, python: Path, torch: str, index: str | None) -> str:
    if torch == "skip":
        steps.skip("PyTorch: skipped (--torch skip)")
        return "skipped"
    if _has_module(python, "torch"):
        steps.skip("PyTorch is already installed")
        return "already there"
    url = index or (None if sys.platform == "darwin" and torch == "cpu" else TORCH_INDEXES[torch])
    steps.begin(f"installing PyTorch ({torch}{f' from {url}' if url else ''}; several gigabytes)")
    steps.run(_pip(python, *TORCH_PACKAGES, *(["--index-url", url] if url else [])), what="installing PyTorch")
    return "installed"


def _requirement_name(line: str) -> str:
    return re.split(r"[\s<>=!~;\[@]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _requirements(steps: Steps, folder: Path, python: Path, torch: str) -> str:
    """ComfyUI's requirements.txt, without PyTorch itself (installed, or skipped, as chosen)."""
    source = folder / "requirements.txt"
    if not source.is_file():
        steps.skip("no requirements.txt")
        return "none"
    leave_out = set(TORCH_PACKAGES)
    if torch == "skip" and not _has_module(python, "torch"):
        leave_out |= NEEDS_TORCH
    lines = source.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if _requirement_name(line) not in leave_out]
    skipped = sorted({_requirement_name(line) for line in lines} & (leave_out - set(TORCH_PACKAGES)))
    steps.begin("installing ComfyUI's requirements" + (f" (leaving out {', '.join(skipped)}: they need PyTorch)"
                                                         if skipped else ""))
    if not any(line.strip() and not line.lstrip().startswith("#") for line in kept):
        return "nothing to install"
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="requirements-", dir=folder, delete=False,
                                     encoding="utf-8") as handle:
        handle.write("\n".join(kept) + "\n")
    try:
        steps.run(_pip(python, "-r", handle.name), cwd=folder, what="installing ComfyUI's requirements")
    finally:
        Path(handle.name).unlink()
    return "installed" + (f" (left out: {', '.join(skipped)})" if skipped else "")


def _manager(steps: Steps, folder: Path, python: Path) -> str:
    """ComfyUI-Manager: the pip package of manager_requirements.txt (ComfyUI 0.3.6x on, started with
    --enable-manager), else the legacy custom node cloned into custom_nodes."""
    packaged = folder / "manager_requirements.txt"
    if packaged.is_file():
        steps.begin("installing ComfyUI-Manager (manager_requirements.txt)")
        steps.run(_pip(python, "-r", str(packaged)), cwd=folder, what="installing ComfyUI-Manager")
        return "installed"
    node = folder / "custom_nodes" / "comfyui-manager"
    steps.begin(f"installing ComfyUI-Manager into {node}")
    if not (node / "__init__.py").is_file():
        _clone(steps, node, MANAGER_REPOSITORY, None)
    if (node / "requirements.txt").is_file():
        steps.run(_pip(python, "-r", str(node / "requirements.txt")), cwd=folder, what="installing ComfyUI-Manager")
    return "installed"


def _remember(name: str, folder: Path, python: Path, torch: str, manager: bool) -> bool:
    """Remember the install under ``name`` for ``local launch``, with what it needs to start (the
    CPU without a GPU build of PyTorch, the Manager if installed); False when another ComfyUI runs
    under that name."""
    known = load(name)
    if known is not None and Path(known.path) != folder and known.is_running():
        return False
    instance = known if known is not None and Path(known.path) == folder else Instance(name=name, path=str(folder),
                                                                                         python=str(python))
    if known is not None and instance is not known:
        instance.port = known.port
    instance.python, instance.torch = str(python), torch
    instance.cpu = instance.cpu or (torch == "cpu" and sys.platform != "darwin")
    instance.manager = instance.manager or manager
    save(instance)
    return True


def update(ctx: Context, name: str, ref: str | None) -> dict:
    """``git pull`` (or check out ``ref``) and reinstall the requirements, refused while it runs."""
    with exclusive(name):
        return _update(ctx, name, ref)


def _update(ctx: Context, name: str, ref: str | None) -> dict:
    instance = load(name)
    if instance is None:
        raise NotFoundError(f"no local ComfyUI named {name!r}", hint="install one with 'comfyui-skill local install'")
    folder = installs.comfyui_folder(instance.path)
    running = [i.name for i in every() if Path(i.path) == folder and i.is_running()]
    if running:
        raise UsageError(f"ComfyUI {running[0]!r} is running from {folder}; stop it before updating",
                         hint=f"'{command(running[0], 'stop')}', then update, then '{command(running[0], 'launch')}'")
    if not (folder / ".git").exists():
        raise UsageError(f"{folder} is not a git clone, so it cannot be pulled",
                         hint="update it the way it was installed")
    steps = Steps(ctx, state_dir() / f"{name}.update.log", total=2)
    before = _head(folder)
    if ref:
        steps.begin(f"fetching and checking out {ref}")
        steps.run(["git", "-C", str(folder), "fetch", "--tags", "origin"], what="fetching")
        steps.run(["git", "-C", str(folder), "checkout", "--quiet", ref], what=f"checking out {ref}")
    else:
        if subprocess.run(["git", "-C", str(folder), "symbolic-ref", "-q", "HEAD"], capture_output=True,
                          check=False).returncode != 0:
            raise UsageError(f"{folder} is at a fixed commit (a --ref), not on a branch: nothing to pull",
                             hint="give the tag, branch or commit to move to with --ref")
        steps.begin("pulling the latest ComfyUI")
        steps.run(["git", "-C", str(folder), "pull", "--ff-only"], what="pulling")
    python = Path(instance.python)
    requirements = _requirements(steps, folder, python, instance.torch or "skip")
    return {"name": name, "path": str(folder), "before": before, "after": _head(folder),
            "requirements": requirements, "log": str(steps.log)}


def _head(folder: Path) -> str:
    return subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=False).stdout.strip()


# --------------------------------------------------------------------------- handlers (parse at the edge)
def install_command(ctx: Context, args: argparse.Namespace) -> Result:
    request = InstallRequest(path=args.local_path, name=args.local_name, torch=args.local_torch,
                             torch_index=args.local_torch_index, source=args.local_from or OFFICIAL_REPOSITORY,
                             ref=args.local_ref, with_manager=args.local_with_manager, python=args.local_python)
    done = install(ctx, request)

    def render(out: Output) -> None:
        out.line(f"ComfyUI is installed in {done['path']} (Python: {done['python']}, PyTorch: {done['torch']})")
        if done["remembered"]:
            out.line(f"start it with: {command(done['name'], 'launch')}")
        else:
            out.line(f"another ComfyUI runs as {done['name']!r}; start this one with: "
                     f"comfyui-skill local launch {done['path']} --name OTHER")

    return Result(data=done, text=render)


def update_command(ctx: Context, args: argparse.Namespace) -> Result:
    done = update(ctx, args.local_name, args.local_ref)

    def render(out: Output) -> None:
        moved = "already up to date" if done["before"] == done["after"] else \
            f"updated from {done['before'][:10]} to {done['after'][:10]}"
        out.line(f"ComfyUI {done['name']!r} in {done['path']}: {moved}; requirements {done['requirements']}")

    return Result(data=done, text=render)
