"""Writing server-supplied files to disk safely.

* Names and subfolders come from the server and are not trusted: ``..``, absolute paths, drive
  letters, NUL and control characters are neutralised, and the final path is checked to lie inside
  the output folder (symlinks included).
* Bytes are streamed to a temporary file in the target folder and only then given their final
  name, so a cut-short download never leaves a partial file under the real name.
* An existing file is never overwritten: ``name (1).ext``, ``name (2).ext``... is chosen instead,
  atomically (two downloads racing for one name both survive). A file already there with the same
  bytes is kept instead of a second copy (a re-run answered from the server's cache).
* A body that never ends is bounded: by ``max_bytes`` (announced or written) and by the deadline.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from ..errors import CliError, ServerError, TimeoutExpired, UsageError
from ..output import human_bytes
from ..wording import plural

_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")
_RESERVED_WINDOWS = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
#: The largest file a download may write by default (a server streaming forever must not fill the
#: disk); a server's ``max_download_gib`` setting changes it.
MAX_DOWNLOAD_BYTES = 4 * 1024 ** 3


def sanitize_component(part: str) -> str:
    """One path component, made harmless (may return '' for components to drop)."""
    part = _UNSAFE.sub("_", part.replace("\x00", "")).strip().rstrip(".")
    if part in ("", ".", ".."):
        return ""
    if _RESERVED_WINDOWS.match(part):
        part = f"_{part}"
    return part[:255]


def safe_relative_path(subfolder: str | None, filename: str) -> PurePosixPath:
    """The relative path a server-supplied (subfolder, filename) pair may be saved under."""
    folders = [sanitize_component(p) for p in re.split(r"[\\/]", subfolder or "")]
    name = sanitize_component(re.split(r"[\\/]", filename or "")[-1]) or "output"
    return PurePosixPath(*[p for p in folders if p], name)


def resolve_inside(root: Path, relative: PurePosixPath) -> Path:
    """``root / relative``, refusing anything that would land outside ``root`` (symlinks too)."""
    root_real = root.resolve()
    target = (root_real / relative).resolve()
    if target != root_real and root_real not in target.parents:
        raise ServerError(f"refusing to write {relative} outside the output folder {root}")
    return target


def writable_folder(folder: Path) -> Path:
    """``folder``, checked to take new files: called before anything is submitted, so that a bad output
    folder is said at once rather than after the work ran. A path that is a file is a UsageError; a
    folder that cannot be created or written in is an ``io`` error. The check leaves nothing behind and
    creates nothing another command could be using: a folder still to be created is tried as a
    temporary folder of its own in the nearest one that exists (the first file saved creates it)."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"the output folder {folder} is a file, not a folder",
                         hint="give a folder (a new one is created) with -o DIR")
    import tempfile

    nearest = next((p for p in (folder, *folder.parents) if p.exists()), folder)
    try:
        if nearest == folder:
            fd, probe = tempfile.mkstemp(prefix=".comfyui-skill-", suffix=".probe", dir=folder)
            os.close(fd)
            os.unlink(probe)
        else:
            os.rmdir(tempfile.mkdtemp(prefix=".comfyui-skill-", suffix=".probe", dir=nearest))
    except OSError as exc:
        raise CliError(f"cannot save files in the output folder {folder}: {exc.strerror or exc}", code="io",
                       hint="give another folder with -o DIR") from None
    return folder


def save_stream(chunks: Iterable[bytes], root: Path, relative: PurePosixPath, *,
                expected_size: int | None = None, max_bytes: int = MAX_DOWNLOAD_BYTES,
                deadline: float | None = None) -> Path:
    """Stream ``chunks`` into ``root/relative`` (or a free variant of it) and return the path.

    More than ``max_bytes`` (announced as ``expected_size`` or written) is a ServerError, and a
    ``deadline`` (``time.monotonic()``) passing while chunks still arrive is a TimeoutExpired."""
    if expected_size is not None and expected_size > max_bytes:
        raise _too_large(relative, max_bytes, expected_size)
    target = resolve_inside(root, relative)
    import tempfile

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".comfyui-skill-", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    tmp = Path(tmp_name)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; an output is an ordinary file
        written = 0
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                written += len(chunk)
                if written > max_bytes:
                    raise _too_large(relative, max_bytes)
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutExpired(f"download of {relative} was still going at the deadline "
                                         f"({plural(written, 'byte')} so far); nothing was kept")
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if expected_size is not None and written != expected_size:
            raise ServerError(f"download of {relative} was cut short ({written} of {plural(expected_size, 'byte')})",
                              details={"written": written, "expected": expected_size})
        return claim_free_name(tmp, target)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _cannot_write(target: Path, exc: OSError) -> CliError:
    return CliError(f"cannot write {target}: {exc.strerror or exc}", code="io")


def _too_large(relative: PurePosixPath, limit: int, announced: int | None = None) -> ServerError:
    size = f"announced as {human_bytes(announced)}" if announced is not None else "it kept coming"
    return ServerError(f"download of {relative} is larger than the {human_bytes(limit)} a file may have "
                       f"({size}); refusing to write further", details={"limit": limit, "announced": announced},
                       hint="if such a file is expected, raise the server's max_download_gib setting")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def free_variants(target: Path) -> Iterable[Path]:
    """``target``, then ``stem (1).ext``, ``stem (2).ext``, ..."""
    yield target
    suffix = "".join(target.suffixes[-1:])
    stem = target.name[: len(target.name) - len(suffix)] if suffix else target.name
    for n in range(1, 100_000):
        yield target.with_name(f"{stem} ({n}){suffix}")


def existing_copies(root: Path, relative: PurePosixPath) -> list[Path]:
    """The files a save of ``relative`` under ``root`` finds in its way (``name``, ``name (1)``... up
    to the first free name): a save that returns one of them found it already there, same bytes."""
    found = []
    for candidate in free_variants(resolve_inside(root, relative)):
        if not candidate.is_file():
            return found
        found.append(candidate)
    return found


def claim_free_name(source: Path, target: Path) -> Path:
    """Give ``source`` the first free name among :func:`free_variants` of ``target``, atomically;
    a variant that already holds the same bytes is returned instead (and ``source`` dropped)."""
    for candidate in free_variants(target):
        try:
            os.link(source, candidate)
        except FileExistsError:
            if _same_content(source, candidate):
                source.unlink()
                return candidate
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EMLINK, errno.EOPNOTSUPP):
                raise
            if _same_content(source, candidate):
                source.unlink()
                return candidate
            try:  # filesystems without hard links: reserve the name, then move onto it
                os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                continue
            os.replace(source, candidate)
            return candidate
        source.unlink()
        return candidate
    raise CliError(f"no free file name left for {target}", code="io")


def _same_content(new: Path, existing: Path) -> bool:
    """Whether ``existing`` is a regular file with exactly the bytes of ``new``: sizes first, then hashes."""
    try:
        if not existing.is_file() or existing.stat().st_size != new.stat().st_size:
            return False
        return _digest(new) == _digest(existing)
    except OSError:
        return False


def _digest(path: Path) -> bytes:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.digest()
