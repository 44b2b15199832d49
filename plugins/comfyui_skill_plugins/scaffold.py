"""``plugins new``: render the plugin template shipped inside this package into a new project.

The template (``template/``, also at the top of the source tree as ``plugin-template/``) is itself a
working plugin called ``hello`` with the ``--backend`` example included. Rendering replaces the
name tokens and keeps or drops the blocks marked ``>>> only:backend`` / ``>>> only:plain`` ...
``<<<`` (in any comment syntax); the marker lines themselves never reach the new project.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from comfyui_skill import Context, Output, Result, UsageError, plural

if TYPE_CHECKING:
    import argparse
    from importlib.resources.abc import Traversable

TEMPLATE = "template"
#: Files only a ``--backend`` project gets (relative to the template root, POSIX separators).
BACKEND_FILES = frozenset({"comfyui_skill_hello/backend.py", "tests/test_backend.py"})
SKIPPED = frozenset({"__pycache__", ".pytest_cache"})
#: the template's name in each spelling; "hello_" starts identifiers (hello_command)
TOKENS = re.compile(r"(?<![A-Za-z0-9_])(?:(hello_)|(comfyui_skill_hello|comfyui-skill-hello|COMFYUI_SKILL_HELLO"
                    r"|Hello|hello)(?![A-Za-z0-9]))")
BLOCK_START = re.compile(r">>> only:(\w+)")
BLOCK_END = "<<<"
NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Names:
    """The spellings of a plugin's name: ``my-thing`` -> comfyui-skill-my-thing, comfyui_skill_my_thing."""

    name: str

    @property
    def distribution(self) -> str:
        return f"comfyui-skill-{self.name}"

    @property
    def package(self) -> str:
        return f"comfyui_skill_{self.name.replace('-', '_')}"

    @property
    def title(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("-"))

    def substitute(self, text: str) -> str:
        ident = self.name.replace("-", "_")
        replacements = {"hello_": f"{ident}_", "comfyui_skill_hello": self.package,
                        "comfyui-skill-hello": self.distribution, "COMFYUI_SKILL_HELLO": self.package.upper(),
                        "Hello": self.title, "hello": self.name}
        return TOKENS.sub(lambda match: replacements[match.group(0)], text)


def template_root() -> Traversable:
    """The template as installed (a wheel, an editable install or a zip all work)."""
    return files(__package__ or "comfyui_skill_plugins").joinpath(TEMPLATE)


def template_files(root: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    """(relative POSIX path, file) for every file of the template, sorted."""
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name in SKIPPED or entry.name.endswith(".pyc"):
            continue
        relative = f"{prefix}{entry.name}"
        if entry.is_dir():
            yield from template_files(entry, relative + "/")
        else:
            yield relative, entry


def select_blocks(text: str, variant: str) -> str:
    """Keep the lines of ``only:<variant>`` blocks, drop other variants' blocks and all markers."""
    kept: list[str] = []
    block: str | None = None
    for line in text.splitlines(keepends=True):
        start = BLOCK_START.search(line)
        if start:
            block = start.group(1)
        elif BLOCK_END in line and block is not None:
            block = None
        elif block is None or block == variant:
            kept.append(line)
    return "".join(kept)


def render(names: Names, target: Path, *, backend: bool) -> list[str]:
    """Write the project into ``target`` (which must not exist or be empty); return the files written."""
    variant = "backend" if backend else "plain"
    written = []
    for relative, source in template_files(template_root()):
        if relative in BACKEND_FILES and not backend:
            continue
        path = target / names.substitute(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(names.substitute(select_blocks(source.read_text(encoding="utf-8"), variant)),
                        encoding="utf-8")
        written.append(path.relative_to(target).as_posix())
    return written


def new_plugin(ctx: Context, args: argparse.Namespace) -> Result:
    """``plugins new NAME [--backend] [-o DIR]``."""
    name = args.plugins_name.removeprefix("comfyui-skill-")
    if not NAME.match(name):
        raise UsageError(f"plugin name {args.plugins_name!r} is not valid: use lowercase letters, digits and '-', "
                         "starting with a letter", hint="e.g. 'comfyui-skill plugins new my-nodes'")
    names = Names(name)
    target = Path(args.plugins_output_dir or names.distribution)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} already exists and is not an empty directory",
                         hint="choose another place with -o DIR")
    written = render(names, target, backend=args.plugins_backend)
    data = {"name": name, "distribution": names.distribution, "package": names.package,
            "directory": str(target), "backend": args.plugins_backend, "files": written}

    def show(out: Output) -> None:
        out.line(f"created {names.distribution} in {target}/ ({plural(len(written), 'file')})")
        out.line("next:")
        for step in (f"cd {target}", "python -m pip install -e '.[test]'   # or: comfyui-skill plugins install -e .",
                     "python -m pytest", f"comfyui-skill {name} --help"):
            out.line(f"  {step}")

    return Result(data=data, text=show)
