"""Queue manipulation, history paging and the jobs API, compared with the recordings."""

from __future__ import annotations

import pytest

from .support import Socket, assert_matches, call, exchange, new_client_id, post_prompt, workflow


def slow_w4(color):
    w4 = workflow("W4")
    w4["1"]["inputs"]["color"] = color
    return w4


def announces(remaining):
    return lambda f: f["type"] == "status" and f["data"]["status"]["exec_info"]["queue_remaining"] == remaining


def status_after(socket, remaining):
    """Wait for the ``status`` frame announcing ``remaining`` queued prompts."""
    socket.until(announces(remaining))


def test_queue_manipulation(fake):
    fake.progress_steps_delay = 0.05
    client_id = new_client_id()
    socket = Socket(fake, client_id)
    try:
        socket.recv()
        ids = [post_prompt(fake, slow_w4(color), client_id=client_id).json()["prompt_id"] for color in (11, 12, 13)]
        socket.until_all(lambda f: f["type"] == "progress" and f["data"]["prompt_id"] == ids[0], announces(3))
        queue = call(fake, "GET", "/queue").json()
        assert [item[1] for item in queue["queue_running"]] == ids[:1]
        assert [item[1] for item in queue["queue_pending"]] == ids[1:]
        assert all(len(item) == 5 and item[4] == ["5"] for item in queue["queue_running"] + queue["queue_pending"])
        assert queue == fake.queue_snapshot()
        assert call(fake, "GET", "/prompt").json() == {"exec_info": {"queue_remaining": 3}}
        for prompt_id in ids[:2]:
            assert call(fake, "GET", f"/history/{prompt_id}").json() == {}
        for recorded, prompt_id in (("jobs_get_in_progress", ids[0]), ("jobs_get_pending", ids[1])):
            assert_matches(fake, exchange(recorded), call(fake, "GET", f"/api/jobs/{prompt_id}"))
        listed = call(fake, "GET", "/api/jobs?status=pending,in_progress").json()
        assert [(job["id"], job["status"]) for job in listed["jobs"]] == \
            [(ids[2], "pending"), (ids[1], "pending"), (ids[0], "in_progress")]

        front = post_prompt(fake, slow_w4(14), client_id=client_id, front=True).json()
        numbered = post_prompt(fake, slow_w4(15), client_id=client_id, number=42).json()
        assert front["number"] == -3 and numbered["number"] == 42.0
        status_after(socket, 5)
        assert call(fake, "GET", "/queue").json()["queue_pending"][0][1] == front["prompt_id"]

        assert call(fake, "POST", "/queue", json_body={"delete": [ids[1], "00000000-0000-0000-0000-000000000000"]}
                    ).body == b""
        status_after(socket, 4)
        assert call(fake, "GET", f"/api/jobs/{ids[1]}").status == 404
        assert call(fake, "POST", f"/api/jobs/{ids[2]}/cancel").json() == {"cancelled": True}
        status_after(socket, 3)
        assert call(fake, "POST", "/api/jobs/cancel", json_body={"job_ids": [front["prompt_id"]]}).json() == \
            {"cancelled": True}
        status_after(socket, 2)
        call(fake, "POST", "/queue", json_body={"clear": True})
        status_after(socket, 1)
        call(fake, "POST", "/interrupt", json_body={"prompt_id": ids[1]})  # not running: no-op
        assert call(fake, "GET", "/queue").json()["queue_running"][0][1] == ids[0]
        call(fake, "POST", "/interrupt", json_body={"prompt_id": ids[0]})
        frames = socket.until_done(ids[0])
    finally:
        socket.close()
    assert [frame["type"] for frame in frames][-3:] == ["execution_interrupted", "status", "executing"]
    fake.wait_idle()
    assert fake.history_ids() == [ids[0]]


def test_global_interrupt_without_prompt_id(fake):
    post_prompt(fake, workflow("W3"))  # caches node 2, as in the recording
    fake.wait_idle()
    fake.progress_steps_delay = 0.05
    client_id = new_client_id()
    socket = Socket(fake, client_id)
    try:
        socket.recv()
        prompt_id = post_prompt(fake, slow_w4(2), client_id=client_id).json()["prompt_id"]
        socket.until(lambda f: f["type"] == "progress")
        assert call(fake, "POST", "/interrupt", body=b"{not json").status == 200
        frames = socket.until_done(prompt_id)
    finally:
        socket.close()
    assert "execution_interrupted" in [frame["type"] for frame in frames]
    assert_matches(fake, exchange("history_get_interrupted"), call(fake, "GET", f"/history/{prompt_id}"))
    assert_matches(fake, exchange("jobs_get_cancelled_interrupt"), call(fake, "GET", f"/api/jobs/{prompt_id}"))


@pytest.mark.parametrize(("name", "history", "job"), [
    ("W1", "history_get_success", "jobs_get_completed"),
    ("W6", "history_get_error", "jobs_get_failed"),
    ("W7", None, "jobs_get_text_output"),
])
def test_finished_prompt_views(fake, name, history, job):
    prompt_id = post_prompt(fake, workflow(name), client_id=new_client_id()).json()["prompt_id"]
    fake.wait_idle()
    if history:
        assert_matches(fake, exchange(history), call(fake, "GET", f"/history/{prompt_id}"))
    assert_matches(fake, exchange(job), call(fake, "GET", f"/api/jobs/{prompt_id}"))


def run_w7(fake, text):
    prompt = workflow("W7")
    prompt["1"]["inputs"]["string_a"] = text
    prompt_id = post_prompt(fake, prompt).json()["prompt_id"]
    fake.wait_idle()
    return prompt_id


def test_history_paging_and_deletion(fake):
    ids = [run_w7(fake, text) for text in "abc"]
    assert list(call(fake, "GET", "/history").json()) == ids
    assert list(call(fake, "GET", "/history?max_items=2").json()) == ids[1:]
    assert list(call(fake, "GET", "/history?max_items=2&offset=0").json()) == ids[:2]
    assert list(call(fake, "GET", "/history?offset=1").json()) == ids[1:]
    assert call(fake, "GET", "/history?max_items=0").json() == {}
    call(fake, "POST", "/history", json_body={"delete": [ids[0]]})
    assert call(fake, "GET", f"/history/{ids[0]}").json() == {}
    assert call(fake, "GET", f"/api/jobs/{ids[0]}").status == 404
    call(fake, "POST", "/history", json_body={"clear": True})
    assert call(fake, "GET", "/api/jobs").json()["jobs"] == []
    assert call(fake, "POST", "/history", body=b"{").status == 500


def test_jobs_listing(fake):
    ok = [run_w7(fake, text) for text in "ab"]
    failed = post_prompt(fake, workflow("W6")).json()["prompt_id"]
    fake.wait_idle()
    everything = call(fake, "GET", "/api/jobs").json()
    assert [job["id"] for job in everything["jobs"]] == [failed, *reversed(ok)]
    assert everything["pagination"] == {"offset": 0, "limit": None, "total": 3, "has_more": False}
    page = call(fake, "GET", "/api/jobs?limit=1&offset=1").json()
    assert [job["id"] for job in page["jobs"]] == [ok[1]]
    assert page["pagination"] == {"offset": 1, "limit": 1, "total": 3, "has_more": True}
    assert call(fake, "GET", "/api/jobs?offset=-1").json()["pagination"]["offset"] == 0
    assert [job["id"] for job in call(fake, "GET", "/api/jobs?status=failed").json()["jobs"]] == [failed]
    assert [job["id"] for job in call(fake, "GET", "/api/jobs?sort_order=asc").json()["jobs"]] == [*ok, failed]
    by_duration = call(fake, "GET", "/api/jobs?sort_by=execution_duration&sort_order=asc").json()["jobs"]
    assert len(by_duration) == 3
    assert call(fake, "GET", "/api/jobs?workflow_id=nope").json()["jobs"] == []
    assert call(fake, "POST", f"/api/jobs/{ok[0]}/cancel").json() == {"cancelled": False}


def test_action_endpoints_answer_empty_bodies(fake):
    for path, body in (("/queue", {}), ("/free", {}), ("/interrupt", {}), ("/history", {}),
                       ("/settings/x", 1)):
        response = call(fake, "POST", path, json_body=body)
        assert (response.status, response.body, response.headers.get("Content-Type")) == (200, b"", None)
