"""What ``deps install`` will ask the Manager for: node packs for the missing classes, and models.

A class is matched to a pack through the Manager's own database (``customnode/getmappings``): a
registry id is installed by id; a pack known only by a git URL is installed only when the user
names that URL with ``--repo`` (nothing is cloned that the user did not ask for). A model needs a
download URL from the user (``--model-url``) or the workflow's model metadata: none is ever guessed,
and a folder the server reads models from (the Manager would create any other, which ComfyUI never reads).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from posixpath import basename
from typing import Any
from urllib.parse import unquote, urlsplit

from comfyui_skill import NotFoundError, UsageError, did_you_mean

from .items import Item

UNSAFE_FILENAME = ("/", "\\", ":")


def is_git_url(key: str) -> bool:
    return urlsplit(key).scheme in ("http", "https", "git", "ssh")


def repo_name(url: str) -> str:
    return url.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]


def repo_item(url: str) -> Item:
    if not is_git_url(url):
        raise UsageError(f"--repo {url!r} is not a git URL (https://...)")
    return Item("install", url, pack={"id": repo_name(url), "repository": url, "cnr": False})


def providers(mappings: Mapping[str, Any]) -> dict[str, str]:
    """Class name -> the pack (registry id or git URL) that provides it."""
    found: dict[str, str] = {}
    for key, entry in mappings.items():
        classes = entry[0] if isinstance(entry, list) and entry and isinstance(entry[0], list) else []
        for name in classes:
            found.setdefault(str(name), key)
    return found


def _installed_entry(installed: Mapping[str, Any], key: str) -> tuple[str, dict[str, Any]] | None:
    for name, entry in installed.items():
        if isinstance(entry, dict) and key in (name, entry.get("cnr_id"), entry.get("aux_id")):
            return name, entry
    return None


def node_items(missing_nodes: Iterable[Mapping[str, Any]], mappings: Mapping[str, Any], repos: Iterable[str],
               installed: Mapping[str, Any]) -> list[Item]:
    """One item per pack to install (or enable), and a skipped one per class nothing known provides."""
    items: dict[str, Item] = {url: repo_item(url) for url in repos}
    by_class = providers(mappings)
    for node in missing_nodes:
        class_type = str(node.get("class_type"))
        key = by_class.get(class_type)
        if key is None:
            items.setdefault(class_type, Item("install", class_type)).skip(
                f"no node pack in the Manager's database provides class {class_type}; "
                "give the pack's git URL with --repo URL")
        elif key not in items:
            items[key] = _pack_item(key, class_type, installed)
    return list(items.values())


def _pack_item(key: str, class_type: str, installed: Mapping[str, Any]) -> Item:
    present = _installed_entry(installed, repo_name(key) if is_git_url(key) else key)
    if present is not None:
        name, entry = present
        if entry.get("enabled") is False:
            return Item("enable", key, pack={"id": entry.get("cnr_id") or name, "cnr": bool(entry.get("cnr_id"))})
        item = Item("install", key)
        item.skip(f"already installed (provides {class_type}); restart ComfyUI to load it")
        return item
    if is_git_url(key):
        item = Item("install", key, pack={"id": repo_name(key), "repository": key, "cnr": False})
        item.skip(f"known to the Manager only by its git URL (provides {class_type}); install it from git "
                  f"with --repo {key}")
        return item
    return Item("install", key, pack={"id": key, "cnr": True})


def model_item(filename: str, url: str, folder: str, name: str | None = None) -> Item:
    return Item("install-model", filename, folder=folder, model={
        "name": name or filename, "type": folder, "base": "", "save_path": folder, "url": url, "filename": filename})


def filename_from_url(url: str) -> str:
    return unquote(basename(urlsplit(url).path))


def check_model_source(url: str, folder: str, filename: str) -> None:
    """A UsageError for what the Manager would refuse or misplace (a bad URL, folder or file name)."""
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise UsageError(f"--url {url!r} is not an http(s) URL")
    if not folder or folder.startswith("/") or ".." in folder or "\\" in folder:
        raise UsageError(f"--folder {folder!r} is not a model folder name (e.g. checkpoints, loras, vae)")
    if not filename or filename in (".", "..") or any(c in filename for c in UNSAFE_FILENAME):
        raise UsageError(f"cannot use {filename!r} as the model's file name", hint="give one with --name FILE")


def check_model_folder(folder: str, folders: Iterable[str], server: str) -> None:
    """A NotFoundError, before anything is queued, for a folder the server does not read models from."""
    folders = [name for name in folders if isinstance(name, str)]  # a broken server may send anything
    if folder not in folders:
        raise NotFoundError(f"server {server!r} has no model folder {folder!r} (the Manager would create it, and "
                            "ComfyUI would never read it)",
                            hint=did_you_mean(folder, folders) or f"the server's model folders: {', '.join(folders)}",
                            details={"folder": folder, "folders": folders})


def model_items(missing_models: Iterable[Mapping[str, Any]], urls: Mapping[str, str],
                folders: Iterable[str]) -> list[Item]:
    """One item per missing model file; skipped when its URL or folder is unknown, or the folder is not
    one of the server's ``folders``."""
    folders = list(folders)
    items: dict[str, Item] = {}
    for model in missing_models:
        name, folder = str(model.get("name")), model.get("folder")
        if name in items:
            continue
        url = urls.get(name) or model.get("url")
        item = items[name] = model_item(name, str(url or ""), str(folder or ""))
        if not url:
            item.skip("no download URL: the workflow names none; give one with --model-url NAME=URL")
        elif not folder:
            item.skip("its model folder is unknown; use deps models install --url URL --folder FOLDER")
        elif folder not in folders:
            suggestion = did_you_mean(str(folder), folders)
            item.skip(f"the workflow names model folder {folder!r}, which the server does not have"
                      + (f" ({suggestion})" if suggestion else "")
                      + "; use deps models install --url URL --folder FOLDER")
        elif any(c in name for c in UNSAFE_FILENAME):
            item.skip("a file in a subfolder; the Manager only installs into the folder itself")
    return list(items.values())


def parse_model_urls(values: Iterable[str]) -> dict[str, str]:
    urls = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name or urlsplit(url).scheme not in ("http", "https"):
            raise UsageError(f"--model-url {value!r}: expected NAME=URL with an http(s) URL")
        urls[name] = url
    return urls


def restrict_to_model_list(items: Iterable[Item], model_list: list[dict[str, Any]]) -> None:
    """3.x and the 4.x legacy UI install only models of their list, sent exactly as listed."""
    for item in items:
        if not item.is_model or item.status != "planned":
            continue
        entry = next((m for m in model_list if m.get("url") == item.model["url"]), None)
        if entry is None:
            item.fail("this Manager installs only models from its own model list (model-list.json) and this URL "
                      "is not in it; download the file into the server's models/"
                      f"{item.folder} folder yourself", denied=False)
        else:
            item.model = {key: entry.get(key) for key in ("name", "type", "base", "save_path", "url", "filename")}
