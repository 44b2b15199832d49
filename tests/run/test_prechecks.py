"""What can be checked before anything is submitted is checked first: the output folder, local files."""

from __future__ import annotations

import threading

from comfyui_skill import CliError, ExitCode, safe_relative_path, save_stream, writable_folder

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


def test_the_check_leaves_no_folder_behind(run_cli, fake_comfy, workflow_file, tmp_path):
    out = tmp_path / "new" / "deeper"
    refused = run_cli("run", workflow_file("W1", {"1": {"width": 999999}}), "-o", str(out), server=fake_comfy)
    assert refused.exit_code == ExitCode.REJECTED and not (tmp_path / "new").exists()
    saved = run_cli("run", workflow_file("W1"), "-o", str(out), server=fake_comfy)
    assert saved.exit_code == 0 and (out / "probe" / "empty_00001_.png").is_file()
    assert not list(out.rglob(".comfyui-skill-*"))


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


def test_a_local_path_that_does_not_exist_is_not_found(run_cli, fake_comfy, workflow_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("run", workflow_file("W2"), "--set", "10.image=./nonexist.png", server=fake_comfy)
    assert result.exit_code == ExitCode.NOT_FOUND, result.stderr
    assert "10.image: local file './nonexist.png' not found" in result.stderr
    assert "not offered" not in result.stderr and not _posted(fake_comfy)


def test_a_rejected_combo_lists_the_choices_one_problem_per_line(run_cli, fake_comfy, workflow_file):
    result = run_cli("run", workflow_file("W3"), "--set", "3.method=bogus", "--set", "1.width=0", server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    lines = result.stderr.splitlines()
    assert lines[0] == "comfyui-skill: error: 2 invalid workflow parameters:"
    assert lines[1] == "  3.method: 'bogus' is not offered by the server (one of: reinhard_lab, mkl_lab, histogram)"
    assert lines[2] == "  1.width: 0 is out of range (1 to 16384)"
    [combo, _] = run_cli("run", workflow_file("W3"), "--set", "3.method=bogus", "--set", "1.width=0", "--json",
                         server=fake_comfy).json()["error"]["details"]["problems"]
    assert combo["choices"] == ["reinhard_lab", "mkl_lab", "histogram"]
    assert not _posted(fake_comfy)


def test_count_on_a_workflow_without_seed_says_so_once(run_cli, fake_comfy, workflow_file, tmp_path):
    result = run_cli("run", workflow_file("W1"), "--count", "3", "-o", str(tmp_path), server=fake_comfy)
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.count("has no seed input") == 1 and "unknown parameter" not in result.stderr
    assert "item 0001" not in result.stderr
    assert not _posted(fake_comfy)


def test_a_problem_every_batch_item_shares_is_said_once(run_cli, fake_comfy, workflow_file, tmp_path):
    result = run_cli("run", workflow_file("W1"), "--sweep", "1.width=8,9,99999", "--set", "1.height=99999",
                     "-o", str(tmp_path), server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    assert result.stderr.splitlines()[:5] == [
        "comfyui-skill: error: 3 of 3 items invalid; nothing was submitted:",
        "  items 0001, 0002: 1 invalid workflow parameter:",
        "    1.height: 99999 is out of range (1 to 16384)",
        "  item 0003: 2 invalid workflow parameters:",
        "    1.height: 99999 is out of range (1 to 16384)"]
    assert not _posted(fake_comfy)


def test_a_local_path_in_the_workflow_file_is_explained_as_a_local_file(run_cli, fake_comfy, workflow_file):
    # no parameter given: the workflow goes as it is, and the server's refusal is read back
    result = run_cli("run", workflow_file("W2", {"10": {"image": "./nonexist.png"}}), server=fake_comfy)
    assert result.exit_code == ExitCode.REJECTED
    assert "LoadImage (#10): input 'image': local file './nonexist.png' not found" in result.stderr
    assert "not offered" not in result.stderr


def test_a_batch_file_that_does_not_exist_is_not_found(run_cli, fake_comfy, workflow_file, tmp_path):
    missing = run_cli("run", workflow_file("W1"), "--batch", str(tmp_path / "nope.jsonl"), server=fake_comfy)
    assert missing.exit_code == ExitCode.NOT_FOUND and "no such file" in missing.stderr
    number = run_cli("run", workflow_file("W1"), "--batch", "4", server=fake_comfy)
    assert number.exit_code == ExitCode.USAGE and "--args '{\"batch\": 4}'" in number.stderr
    assert not _posted(fake_comfy)


def test_checks_side_by_side_never_take_a_folder_from_another_save(tmp_path):
    """Commands saving into one new folder at once (tool calls an agent sends together): one's check
    never removes a folder another's save is writing into."""
    workers, rounds = 4, 40
    barrier = threading.Barrier(workers)
    failures: list[str] = []

    def work(worker: int) -> None:
        for round_ in range(rounds):
            out = tmp_path / f"round{round_}" / "out"
            barrier.wait()  # every worker starts each round together
            try:
                writable_folder(out)
                save_stream([b"x" * worker], out, safe_relative_path("", f"{worker}.png"))
            except CliError as exc:
                failures.append(exc.message)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]
    assert all(len(list((tmp_path / f"round{r}" / "out").iterdir())) == workers for r in range(rounds))
