"""What can be checked before anything is submitted is checked first: the output folder, local files."""

from __future__ import annotations

from comfyui_skill import ExitCode

from .helpers import sent


def _posted(fake) -> list:
    return sent(fake, "POST", "/prompt")


def test_output_folder_that_is_a_file_is_refused_before_submitting(run_cli, fake_comfy, workflow_file, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    result = run_cli("run", workflow_file("W1"), "-o", str(afile), server=fake_comfy)
    assert result.exit_code == ExitCode.USAGE, result.stderr
    assert f"the output folder {afile} is a file, not a folder" in result.stderr
    assert "unexpected" not in result.stderr and not _posted(fake_comfy)
    assert afile.read_text() == "mine"


def test_output_folder_that_cannot_be_created_is_an_io_error(run_cli, fake_comfy, workflow_file, tmp_path):
    (tmp_path / "afile").write_text("mine")
    inside_a_file = tmp_path / "afile" / "out"
    document = run_cli("run", workflow_file("W1"), "-o", str(inside_a_file), "--json", server=fake_comfy).json()
    assert document["error"]["code"] == "io"
    assert document["error"]["message"].startswith(f"cannot save files in the output folder {inside_a_file}: ")
    assert not _posted(fake_comfy)


def test_no_download_needs_no_output_folder(run_cli, fake_comfy, workflow_file, tmp_path):
    (tmp_path / "afile").write_text("mine")
    result = run_cli("run", workflow_file("W1"), "--no-download", "-o", str(tmp_path / "afile"), server=fake_comfy)
    assert result.exit_code == 0, result.stderr


def test_wait_download_checks_the_folder_before_waiting(run_cli, fake_comfy, workflow_file, tmp_path):
    submitted = run_cli("submit", workflow_file("W1"), server=fake_comfy)
    prompt_id = submitted.stdout.strip()
    (tmp_path / "afile").write_text("mine")
    result = run_cli("wait", prompt_id, "--download", "-o", str(tmp_path / "afile"), server=fake_comfy)
    assert result.exit_code == ExitCode.USAGE and "is a file, not a folder" in result.stderr
    assert not sent(fake_comfy, "GET", "/view")


def test_batch_checks_the_folder_before_submitting(run_cli, fake_comfy, workflow_file, tmp_path):
    (tmp_path / "afile").write_text("mine")
    result = run_cli("run", workflow_file("W1"), "--count", "2", "-o", str(tmp_path / "afile"), server=fake_comfy)
    assert result.exit_code == ExitCode.USAGE and "is a file, not a folder" in result.stderr
    assert not _posted(fake_comfy)


def test_a_file_in_the_way_of_a_server_subfolder_is_an_io_error(run_cli, fake_comfy, workflow_file, tmp_path):
    # the output folder is fine, but the server saves into subfolder 'probe', which is a file here
    (tmp_path / "probe").write_text("mine")
    result = run_cli("run", workflow_file("W1"), "-o", str(tmp_path), "--json", server=fake_comfy)
    error = result.json()["error"]
    assert result.exit_code == ExitCode.ERROR and error["code"] == "io", error
    assert error["message"].startswith(f"cannot write {tmp_path / 'probe' / 'empty_00001_.png'}")
    assert (tmp_path / "probe").read_text() == "mine"


def test_an_unwritable_manifest_is_an_io_error_not_a_plugin_bug(run_cli, fake_comfy, workflow_file, tmp_path):
    (tmp_path / "afile").write_text("mine")
    manifest = tmp_path / "afile" / "batch.jsonl"
    result = run_cli("run", workflow_file("W1"), "--sweep", "1.width=8,9", "-o", str(tmp_path / "out"),
                     "--manifest", str(manifest), "--json", server=fake_comfy)
    error = result.json()["error"]
    assert result.exit_code == ExitCode.ERROR and error["code"] == "io", error
    assert str(tmp_path / "afile") in error["message"] and "report it" not in (error["hint"] or "")
    assert not _posted(fake_comfy)
