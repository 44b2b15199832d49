"""The manual page: the shipped one is current, ``man`` adds third-party plugins, and it is reproducible."""

from __future__ import annotations

from pathlib import Path

import pytest

from comfyui_skill.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "man" / "comfyui-skill.1"

EXTRA_PLUGIN = '''
from comfyui_skill import Command, hookimpl

def configure(parser):
    parser.add_argument("--frobnicate-level", type=int, help="how hard to frobnicate")

@hookimpl
def comfyui_skill_commands():
    return [Command("frob", "frobnicate the server", configure=configure, run=lambda ctx, args: None)]
'''


def test_the_shipped_page_is_current(run_cli: CliRunner) -> None:
    page = run_cli("--no-plugins", "man")
    assert page.exit_code == 0, page.stderr
    assert page.stdout == SHIPPED.read_text(), "man/comfyui-skill.1 is out of date: run tools/update-manpage"


def test_page_documents_every_level_of_the_real_parser(run_cli: CliRunner) -> None:
    page = SHIPPED.read_text()
    assert page.startswith('.TH COMFYUI\\-SKILL "1"')
    for text in ("plugins new", "\\-\\-backend", "server add", "\\-\\-token\\-stdin", "queue", "\\-\\-no\\-plugins"):
        assert text in page, text


def test_man_includes_third_party_plugins(run_cli: CliRunner, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "frob_plugin.py").write_text(EXTRA_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    page = run_cli("-p", "frob_plugin", "man").stdout
    assert "frobnicate the server" in page and "frobnicate\\-level" in page
    assert "frobnicate" not in run_cli("--no-plugins", "man").stdout


def test_date_and_output_file(run_cli: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "out" / "comfyui-skill.1"
    written = run_cli("man", "-o", str(target), "--json", env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert written.exit_code == 0, written.stderr
    assert written.json()["data"]["path"] == str(target)
    assert target.read_text().splitlines()[0].split('"')[3] == "2023\\-11\\-14"
    unwritable = run_cli("man", "-o", str(tmp_path / "out" / "comfyui-skill.1" / "x"), "--json")
    assert unwritable.exit_code == 1 and unwritable.json()["error"]["code"] == "io"
