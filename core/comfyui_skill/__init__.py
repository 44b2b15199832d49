"""comfyui-skill: a command-line client for ComfyUI servers, extensible with plugins.

This package is the public API for plugins: import only the names listed in ``__all__``. Heavy
names (the HTTP client, the backend base class) load on first access, so importing
``comfyui_skill`` stays cheap for ``--help``.
"""

from __future__ import annotations

import sys

from ._version import __version__

TYPE_CHECKING = False  # ``typing`` itself costs start-up time

_LAZY = {
    # the marker for hook implementations: ``@comfyui_skill.hookimpl``
    "hookimpl": "markers",
    # records plugins return
    "Command": "extension", "ServerKind": "extension", "Setting": "extension", "McpTool": "extension",
    # what handlers receive and return
    "Context": "context", "Result": "output", "Output": "output", "render_table": "output", "envelope": "output",
    "human_bytes": "output", "is_terminal": "output", "Event": "events", "EVENT_TYPES": "events",
    "Shortcut": "shortcuts",
    # talking to servers
    "Backend": "backend", "ServerConfig": "config", "ComfyClient": "client",
    "new_prompt_id": "client", "new_client_id": "client", "Message": "transport.ws",
    "ConnectionClosed": "transport.ws", "safe_relative_path": "transport.files",
    "save_stream": "transport.files", "writable_folder": "transport.files",
    "existing_copies": "transport.files", "redact": "redaction", "mask": "redaction", "public_url": "redaction",
    "plural": "wording", "close_matches": "wording", "did_you_mean": "wording",
    "positive_count": "argtypes", "positive_seconds": "argtypes",
    "MODEL_EXTENSIONS": "modelfiles", "combo_choices": "modelfiles", "model_folder_of": "modelfiles",
    "model_folders": "modelfiles", "choices_text": "modelfiles", "not_offered": "modelfiles",
    "deps_hint": "modelfiles",
    "data_dir": "paths", "cache_dir": "paths", "cache_path": "paths", "atomic_write": "config",
    # the whole command line, every command configured (man pages, completion)
    "build_parser": "app",
    # the JSON Schema files of the --json / --output ndjson contract
    "json_schema": "schemas",
    # the model folder a ComfyUI loader input reads (``/object_info`` does not say)
    "loader_folder": "loaders",
    "node_order": "graph", "find_node": "graph", "split_address": "graph", "resolve_address": "graph",
    "Config": "config", "find_setting": "config", "server_env_var": "config", "make_server": "config",
    "one_off_server": "config", "server_url": "config",
    # errors
    "ExitCode": "errors", "ERROR_CODES": "errors", "CliError": "errors", "UsageError": "errors",
    "UnsupportedError": "errors",
    "ConfigError": "errors", "NotFoundError": "errors", "RejectedError": "errors",
    "UnreachableError": "errors", "AuthError": "errors", "ServerError": "errors", "HttpError": "errors",
    "TimeoutExpired": "errors", "ExecutionFailed": "errors", "PromptCancelled": "errors",
    "PromptLost": "errors", "PaymentRequired": "errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'comfyui_skill' has no attribute {name!r}")
    qualified = f"{__name__}.{module}"
    __import__(qualified)  # importlib.import_module's work, without importing importlib (start-up time)
    value = getattr(sys.modules[qualified], name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .app import build_parser
    from .backend import Backend
    from .client import ComfyClient, new_client_id, new_prompt_id
    from .config import (Config, ServerConfig, atomic_write, find_setting, make_server, one_off_server, server_env_var,
                         server_url)
    from .context import Context
    from .errors import (ERROR_CODES, AuthError, CliError, ConfigError, ExecutionFailed, ExitCode, HttpError,
                         NotFoundError, PaymentRequired, PromptCancelled, PromptLost, RejectedError, ServerError,
                         TimeoutExpired, UnreachableError, UnsupportedError, UsageError)
    from .events import EVENT_TYPES, Event
    from .extension import Command, McpTool, ServerKind, Setting
    from .graph import find_node, node_order, resolve_address, split_address
    from .loaders import loader_folder
    from .markers import hookimpl
    from .modelfiles import (MODEL_EXTENSIONS, choices_text, combo_choices, deps_hint, model_folder_of,
                             model_folders, not_offered)
    from .output import Output, Result, envelope, human_bytes, is_terminal, render_table
    from .paths import cache_dir, cache_path, data_dir
    from .redaction import mask, public_url, redact
    from .schemas import json_schema
    from .shortcuts import Shortcut
    from .transport.files import existing_copies, safe_relative_path, save_stream, writable_folder
    from .argtypes import positive_count, positive_seconds
    from .wording import close_matches, did_you_mean, plural
    from .transport.ws import ConnectionClosed, Message
