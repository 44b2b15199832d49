"""A fake ComfyUI behind TLS (a self-signed certificate made here) that wants a bearer token."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from comfyui_skill.testing.fake_comfyui import FakeComfyUI

TOKEN = "tok-0123456789abcdef-right"
WORKFLOWS = Path(__file__).resolve().parent.parent / "fixtures" / "workflows"


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(cert.pem, key.pem): a self-signed certificate for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_comfy(certificate: tuple[Path, Path]) -> Iterator[FakeComfyUI]:
    """The fake ComfyUI on https:// and wss://, requiring ``Authorization: Bearer TOKEN``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    with FakeComfyUI(require_token=TOKEN, ssl_context=context) as server:
        yield server
        server.wait_idle(15)


@pytest.fixture
def configure(cli_env: dict[str, str]) -> Callable[..., Path]:
    """``configure(name, url=..., token=...)``: write one server table into the isolated config file."""

    def write(name: str, **table: Any) -> Path:
        path = Path(cli_env["COMFYUI_SKILL_CONFIG"])
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"default_server = {json.dumps(name)}", f"[servers.{name}]"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items() if not isinstance(value, dict)]
        for key, value in table.items():
            if isinstance(value, dict):
                lines.append(f"[servers.{name}.{key}]")
                lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in value.items()]
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)
        return path

    return write


@pytest.fixture
def w1(tmp_path: Path) -> str:
    """The path of workflow W1 (EmptyImage -> SaveImage)."""
    path = tmp_path / "w1.json"
    path.write_text((WORKFLOWS / "W1_empty_image_save.json").read_text())
    return str(path)


@pytest.fixture
def journal_text(cli_env: dict[str, str]) -> Callable[[], str]:
    """The run journal as text ('' before the first run)."""

    def read() -> str:
        path = Path(cli_env["COMFYUI_SKILL_DATA_DIR"]) / "journal.jsonl"
        return path.read_text() if path.exists() else ""

    return read
