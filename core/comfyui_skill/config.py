"""The configuration file: named servers, defaults and plugin settings, in TOML.

Reading uses the standard library's ``tomllib`` where there is one (fast, start-up friendly);
editing uses tomlkit so that the user's comments and layout survive ``config set`` and
``server add``. No file is needed: the embedded default is one server ``local`` of kind ``local``
at http://127.0.0.1:8188.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping

from .errors import ConfigError, NotFoundError, UsageError
from .extension import Setting
from .records import Record
from .wording import did_you_mean

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

DEFAULT_SERVER_NAME = "local"
DEFAULT_SERVER_URL = "http://127.0.0.1:8188"

#: What a server name may hold: a dot would split ``servers.NAME.KEY`` (and the TOML table) in two.
SERVER_NAME_RULE = "letters, digits, '-' and '_' (no dots or spaces)"
_SERVER_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _http_url(url: str) -> str | None:
    return None if re.match(r"^https?://[^/\s]+", url) else "must start with http:// or https:// and name a host"


def url_problem(url: Any) -> str | None:
    """What is wrong with a server's ``url`` (None: nothing), checked on reading and before writing."""
    if not isinstance(url, str) or not url:
        return "is missing: every server needs one, starting with http:// or https://"
    reason = _http_url(url)
    return f"{reason}, not {re.sub(r'//[^/@]*@', '//***@', url)!r}" if reason else None  # no user:password


def server_name_problem(name: str) -> str | None:
    """What is wrong with a server's name (None: nothing); the rule is :data:`SERVER_NAME_RULE`."""
    return None if _SERVER_NAME.fullmatch(name) else f"server name {name!r} is not valid"


def default_server_problem(name: Any, tables: Mapping[str, Any]) -> str | None:
    """What is wrong with ``default_server = name`` given the configured servers (None: nothing), with
    the configured name it may have meant."""
    if isinstance(name, str) and name in tables:
        return None
    meant = did_you_mean(str(name), tables)
    return (f"default_server {name!r} is not a configured server (configured: {', '.join(sorted(tables)) or 'none'})"
            + (f"; {meant}" if meant else ""))


#: Keys every server table understands, whatever its kind.
SERVER_SETTINGS: tuple[Setting, ...] = (
    Setting("url", str, None, "Base URL of the server (http:// or https://).", scope="server", check=_http_url),
    Setting("kind", str, "local", "Server kind: which backend talks to it (see 'server kinds').", scope="server"),
    Setting("token", str, None, "Bearer token sent as 'Authorization: Bearer' (HTTP and WebSocket).",
            secret=True, scope="server"),
    Setting("username", str, None, "User name for HTTP basic auth.", scope="server"),
    Setting("password", str, None, "Password for HTTP basic auth.", secret=True, scope="server"),
    Setting("headers", dict, None, "Extra headers sent to this server only (a table).", secret=True,
            scope="server"),
    Setting("api_key", str, None, "Comfy API key (platform.comfy.org), sent to this server only: as X-API-Key "
            "to a 'cloud' server (set it with 'comfyui-skill cloud login NAME'), as a Bearer token to a 'comfy-api' "
            "one. Read from standard input with 'config set servers.NAME.api_key --stdin'.", secret=True,
            scope="server"),
    Setting("ca_bundle", str, None, "PEM file of the CA that signed the server's certificate.", scope="server"),
    Setting("insecure", bool, False, "Skip TLS certificate checks (warned about on every use).", scope="server"),
    Setting("output_dir", str, None, "Where outputs of this server's runs are saved.", scope="server"),
    Setting("connect_timeout", float, 10.0, "Seconds to wait for a connection.", scope="server", check=Setting.above(0)),
    Setting("read_timeout", float, 60.0, "Seconds to wait for a response to a request.", scope="server",
            check=Setting.above(0)),
    Setting("max_download_gib", float, 4.0, "Largest output file a download accepts, in GiB (a server "
            "sending more is stopped there, and nothing is left on disk).", scope="server", check=Setting.above(0)),
)
CORE_SERVER_SETTINGS = {setting.key: setting for setting in SERVER_SETTINGS}

GLOBAL_SETTINGS: tuple[Setting, ...] = (
    Setting("default_server", str, DEFAULT_SERVER_NAME, "Server used when no --server is given.",
            env="COMFYUI_SKILL_SERVER"),
    Setting("output_dir", str, None, "Where run outputs are saved when the server sets no output_dir.",
            env="COMFYUI_SKILL_OUTPUT_DIR"),
    Setting("plugins.disabled", list, [], "Plugins not to load (names or distributions)."),
)


def server_env_var(server: str, key: str) -> str:
    """``COMFYUI_SKILL_SERVER_<NAME>_<KEY>``: an environment override for one server's key."""
    return "COMFYUI_SKILL_SERVER_" + re.sub(r"[^A-Za-z0-9]", "_", f"{server}_{key}").upper()


class ServerConfig(Record):
    """One server as configured: its name, URL, kind and every other key of its table.

    ``one_off``: a server given with ``--url`` only (it has no table in the config file).
    """

    _fields = ("name", "url", "kind", "options", "secret_keys", "one_off")
    #: The keys whose values are secrets, whatever plugins declare.
    SECRET_KEYS = frozenset({"token", "password", "headers", "api_key"})
    name: str
    url: str
    kind: str
    options: dict[str, Any]
    secret_keys: frozenset[str]
    one_off: bool

    def __init__(self, name: str, url: str, kind: str = "local", options: dict[str, Any] | None = None,
                 secret_keys: frozenset[str] = SECRET_KEYS, one_off: bool = False) -> None:
        self._set(name, url, kind, {} if options is None else options, secret_keys, one_off)

    @property
    def cli_selector(self) -> str:
        """How to name this server on the command line (``-s NAME`` or ``--url URL``)."""
        return f"--url {self.url}" if self.one_off else f"-s {self.name}"

    def get(self, key: str, default: Any = None) -> Any:
        value = self.options.get(key)
        return default if value is None else value

    def secrets(self) -> list[str]:
        """Every secret value of this server, for redaction."""
        values: list[str] = []
        for key in self.secret_keys:
            value = self.options.get(key)
            if isinstance(value, str):
                values.append(value)
            elif isinstance(value, Mapping):
                values.extend(str(v) for v in value.values())
        return [v for v in values if v]


class Config:
    """The config file, loaded on first use so a broken file only stops what needs it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.file = os.fspath(path)
        self._data: dict[str, Any] | None = None
        self._settings: Callable[[], Iterable[Setting]] = lambda: (*GLOBAL_SETTINGS, *SERVER_SETTINGS)
        self._kinds: Callable[[], Mapping[str, Collection[str]] | None] = lambda: None

    def check_against(self, settings: Callable[[], Iterable[Setting]],
                      kinds: Callable[[], Mapping[str, Collection[str]]]) -> None:
        """Check edits against the settings and server kinds the loaded plugins declare (asked for
        only when a command writes the file); until this is called, against the core's own settings.
        ``kinds`` maps each server kind to the names its plugin can be disabled by (``plugins.disabled``)."""
        self._settings, self._kinds = settings, kinds

    @property
    def path(self) -> Path:
        """The file as a :class:`~pathlib.Path` (pathlib loads on first use: start-up needs none)."""
        from pathlib import Path

        return Path(self.file)

    @property
    def exists(self) -> bool:
        return os.path.isfile(self.file)

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._read()
        return self._data

    def _read(self) -> dict[str, Any]:
        try:
            with open(self.file, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {self.file}: {exc}") from None
        return parse(text, self.file)

    def get(self, dotted: str | tuple[str, ...], default: Any = None) -> Any:
        node: Any = self.data
        for part in _parts(dotted):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    # ----------------------------------------------------------------- servers
    def server_tables(self) -> dict[str, dict[str, Any]]:
        servers = self.data.get("servers")
        if servers is None:
            return {DEFAULT_SERVER_NAME: {"url": DEFAULT_SERVER_URL, "kind": "local"}}
        if not isinstance(servers, Mapping) or not all(isinstance(v, Mapping) for v in servers.values()):
            raise ConfigError(f"{self.path}: [servers] must hold one table per server, "
                              "e.g. [servers.local] url = \"http://127.0.0.1:8188\"")
        return {name: dict(table) for name, table in servers.items()}

    def default_server_name(self, environ: Mapping[str, str] | None = None) -> str:
        env = os.environ if environ is None else environ
        return env.get("COMFYUI_SKILL_SERVER") or self.data.get("default_server") or (
            DEFAULT_SERVER_NAME if DEFAULT_SERVER_NAME in self.server_tables()
            else next(iter(self.server_tables()), DEFAULT_SERVER_NAME))

    def server(self, name: str | None = None, *, environ: Mapping[str, str] | None = None,
               secret_keys: frozenset[str] | None = None, keys: frozenset[str] = frozenset()) -> ServerConfig:
        """The named (or default) server, with environment overrides applied (also for ``keys``, the
        server settings plugins declare)."""
        env = os.environ if environ is None else environ
        tables = self.server_tables()
        if not name and not env.get("COMFYUI_SKILL_SERVER") and self.data.get("default_server") is not None:
            problem = default_server_problem(self.data["default_server"], tables)
            if problem:
                raise ConfigError(f"{self.path}: {problem}",
                                  hint="choose one with 'comfyui-skill server use NAME', or give --server NAME")
        name = name or self.default_server_name(env)
        if name not in tables and ":" in name:  # no server name holds ':' - a URL (maybe with credentials)
            from .redaction import redact

            raise UsageError(f"{redact(name)!r} is a URL, not the name of a configured server",
                             hint=f"give a one-off server with --url: 'comfyui-skill --url {redact(name)} ...'")
        if name not in tables:
            known = ", ".join(sorted(tables)) or "none"
            raise NotFoundError(f"no server named {name!r} in {self.path} (configured: {known})",
                                hint=did_you_mean(name, tables) or "add one with 'comfyui-skill server add NAME URL'")
        options = dict(tables[name])
        for key in {s.key for s in SERVER_SETTINGS} | set(options) | {"api_key"} | keys:
            override = env.get(server_env_var(name, key))
            if override is not None:
                options[key] = override
        return make_server(name, options, path=self.file, secret_keys=secret_keys)

    # ----------------------------------------------------------------- editing
    @contextlib.contextmanager
    def edit(self, *, private: bool = False) -> Iterator[Any]:
        """Yield the file as a tomlkit document; write it back atomically when the block succeeds.

        ``private`` forces mode 0600 (the document holds a secret). An existing private file stays
        private.
        """
        import tomlkit

        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        try:
            document = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as exc:
            raise ConfigError(f"{self.path}: line {exc.line}, column {exc.col}: cannot edit a malformed "
                              "file", hint="fix the line by hand, or move the file away with "
                              "'comfyui-skill config reset'") from None
        yield document
        new_text = tomlkit.dumps(document)
        self._refuse_new_problems(text, new_text)
        mode = 0o600 if private or _is_private(self.path) else 0o644
        atomic_write(self.path, new_text, mode=mode)
        self._data = None

    def _refuse_new_problems(self, old_text: str, new_text: str) -> None:
        """Raise a ConfigError, before anything is written, when ``new_text`` would make the file
        unusable in a way it was not already (a problem the file had by hand does not block a write
        that leaves it as it was, nor its repair)."""
        from .config_check import problems

        settings, kinds = list(self._settings()), self._kinds()
        new = problems(parse(new_text, self.file), settings, kinds)
        if not new:
            return
        try:
            old = problems(parse(old_text, self.file), settings, kinds)
        except ConfigError as exc:
            old = [exc.message]
        added = [problem for problem in new if problem not in old]
        if added:
            raise ConfigError(f"{self.path} was left unchanged: the change would make it invalid: "
                              + "; ".join(added), details={"problems": added})

    def set_value(self, dotted: str | tuple[str, ...], value: Any, *, private: bool = False) -> None:
        """Set a dotted key (``servers.gpu.url``), creating tables as needed. A key holding a name the
        user typed is given as its parts (``("servers", name)``), so that a dot in the name cannot
        make it another key (the name is then checked like every value, before the write)."""
        import tomlkit

        parts = _parts(dotted)
        with self.edit(private=private) as document:
            if parts[0] == "servers" and "servers" not in document:
                # the embedded default server would vanish once [servers] exists: keep it
                document["servers"] = tomlkit.table(is_super_table=True)
                document["servers"][DEFAULT_SERVER_NAME] = {"url": DEFAULT_SERVER_URL, "kind": "local"}
            node = document
            for depth, part in enumerate(parts[:-1]):
                if part not in node:
                    holds_tables = depth < len(parts) - 2 or isinstance(value, Mapping)
                    node[part] = tomlkit.table(is_super_table=holds_tables)
                node = node[part]
                if not isinstance(node, Mapping):
                    raise ConfigError(f"{'.'.join(parts[:depth + 1])} in {self.path} is a value, not a table")
            node[parts[-1]] = value

    def unset(self, dotted: str | tuple[str, ...]) -> bool:
        """Remove a dotted key (or one given as its parts); False when it was not set."""
        parts = _parts(dotted)
        if self.get(dotted) is None:
            return False
        with self.edit() as document:
            node = document
            for part in parts[:-1]:
                node = node[part]
            del node[parts[-1]]
        return True

    def exposed_secrets_warning(self, secret_keys: frozenset[str]) -> str | None:
        """A warning when the file holds secrets yet others may read it."""
        if os.name != "posix" or not self.exists:
            return None
        try:
            holds_secret = any(secret_keys & set(table) for table in self.server_tables().values())
        except ConfigError:
            return None  # reported by whichever command needs the file
        mode = stat.S_IMODE(os.stat(self.file).st_mode)
        if holds_secret and mode & 0o077:
            return (f"{self.file} holds secrets but others can read it (mode {mode:o}); "
                    f"run 'chmod 600 {self.file}'")
        return None


def _parts(dotted: str | tuple[str, ...]) -> list[str]:
    return dotted.split(".") if isinstance(dotted, str) else list(dotted)


def find_setting(settings: Iterable[Setting], dotted: str) -> Setting | None:
    """The setting a dotted key refers to: ``servers.NAME.KEY`` is a server key, anything else global."""
    parts = dotted.split(".")
    if parts[0] == "servers" and len(parts) == 3:
        scope, key = "server", parts[2]
    else:
        scope, key = "global", dotted
    return next((s for s in settings if s.scope == scope and s.key == key), None)


def make_server(name: str, options: dict[str, Any], *, path: str | Path | None = None,
                secret_keys: frozenset[str] | None = None) -> ServerConfig:
    url = options.get("url")
    problem = url_problem(url)
    if problem:
        where = f" in {path}" if path else ""
        raise ConfigError(f"server {name!r}{where}: url {problem}")
    kind = options.get("kind") or "local"
    extra = {} if secret_keys is None else {"secret_keys": secret_keys | ServerConfig.SECRET_KEYS}
    return ServerConfig(name=name, url=url.rstrip("/"), kind=str(kind), options=options, **extra)


def server_url(text: str) -> str:
    """A server's base URL as a user may type it: ``host:port`` means ``http://host:port``; no
    trailing slash."""
    text = text.strip()
    return ("http://" + text if "://" not in text else text).rstrip("/")


def one_off_server(url: str, kind: str | None = None, *, name: str | None = None) -> ServerConfig:
    """A server given by its URL alone (``--url``), with no table in the config file.

    Its name, in every message and record, is its URL without credentials (or ``name``, the one a
    record gave it). A malformed URL is a usage error: it was typed on the command line.
    """
    from .redaction import public_url, redact

    url = server_url(url)
    if not re.match(r"^https?://[^/\s]+", url):
        raise UsageError(f"{redact(url)!r} is not a server URL", hint="give http://HOST:PORT or https://HOST")
    server = make_server(name or public_url(url), {"url": url, "kind": kind or "local"})
    server.one_off = True
    return server


def parse(text: str, path: str | Path) -> dict[str, Any]:
    """Parse TOML, turning any syntax error into a ConfigError naming the file and line."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomlkit

        try:
            return tomlkit.parse(text).unwrap()
        except tomlkit.exceptions.ParseError as exc:
            raise ConfigError(f"{path}: line {exc.line}, column {exc.col}: malformed TOML",
                              hint=_REPAIR_HINT) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"line {found.group(1)}, column {found.group(2)}" if found else "malformed"
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(f"{path}: {where}: {reason}", hint=_REPAIR_HINT) from None


_REPAIR_HINT = ("fix that line in the file ('comfyui-skill config path' shows where it is), or move the "
                "file away and start afresh with 'comfyui-skill config reset'")


def _is_private(path: Path) -> bool:
    try:
        return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    except FileNotFoundError:
        return False


def atomic_write(path: str | os.PathLike[str], text: str | bytes, *, mode: int = 0o644) -> None:
    """Write ``text`` (or bytes) to ``path`` so that readers see the old or the new file, never a mix.

    The temporary file is created with ``mode`` already set, so a secret is never readable by
    others, not even for a moment.
    """
    import tempfile
    from pathlib import Path

    path = Path(path)

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _naming_target(exc, path) from None
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        binary = isinstance(text, bytes)
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _naming_target(exc, path) from None
        raise


def _naming_target(exc: OSError, path: os.PathLike[str]) -> OSError:
    """``exc`` about ``path``: the temporary file :func:`atomic_write` used is no name the user knows."""
    return OSError(exc.errno, exc.strerror, os.fspath(path)) if exc.errno else exc
