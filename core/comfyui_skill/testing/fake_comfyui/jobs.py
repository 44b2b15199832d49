"""The ``/api/jobs`` view of the queue and history (ComfyUI 0.33's ``comfy_execution/jobs.py`` behaviour)."""

from __future__ import annotations

import uuid
from typing import Any

STATUSES = ("pending", "in_progress", "completed", "failed", "cancelled")
SORT_KEYS = ("created_at", "execution_duration")
PREVIEWABLE_MEDIA = {"images", "video", "audio", "3d", "text"}
MODEL_3D_EXTENSIONS = (".obj", ".fbx", ".gltf", ".glb", ".usdz")
TEXT_EXTENSIONS = (".txt", ".md", ".json")
TEXT_PREVIEW_LIMIT = 1024


def is_job_id(value: Any) -> bool:
    """Only canonical lowercase hyphenated UUID strings are job ids."""
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _prune(job: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in job.items() if value is not None}


def _metadata(extra_data: dict) -> tuple[Any, Any]:
    return extra_data.get("create_time"), extra_data.get("extra_pnginfo", {}).get("workflow", {}).get("id")


def queue_job(item: list, status: str) -> dict[str, Any]:
    """A pending or running queue item (``[number, id, prompt, extra_data, outputs]``)."""
    create_time, workflow_id = _metadata(item[3])
    return _prune({"id": item[1], "status": status, "priority": item[0], "create_time": create_time,
                   "outputs_count": 0, "previewable_outputs_count": 0, "workflow_id": workflow_id})


def _previewable(media: str, item: dict) -> bool:
    name = str(item.get("filename", "")).lower()
    fmt = str(item.get("format", ""))
    return (media in PREVIEWABLE_MEDIA or fmt.startswith(("video/", "audio/"))
            or name.endswith(MODEL_3D_EXTENSIONS + TEXT_EXTENSIONS))


def summarize_outputs(outputs: dict) -> tuple[int, int, dict | None]:
    """``(outputs_count, previewable_outputs_count, preview_output)`` with the frontend's preview priority:
    saved visual media, other visual media, saved text files, then raw text (text is never counted)."""
    count = previewable = 0
    slots: dict[str, dict | None] = {"output": None, "visual": None, "text_file": None, "text": None}
    for node_id, node_outputs in outputs.items():
        for media, items in (node_outputs.items() if isinstance(node_outputs, dict) else ()):
            if media == "animated" or not isinstance(items, list):
                continue
            for item in items:
                if not isinstance(item, dict):
                    if media == "text" and slots["text"] is None:
                        text = str(item)
                        preview = {"content": text[:TEXT_PREVIEW_LIMIT]}
                        if len(text) > TEXT_PREVIEW_LIMIT:
                            preview["truncated"] = True
                        slots["text"] = {**preview, "nodeId": node_id, "mediaType": media}
                    continue
                count += 1
                if not _previewable(media, item):
                    continue
                previewable += 1
                is_text = media == "text" or str(item.get("filename", "")).lower().endswith(TEXT_EXTENSIONS)
                slot = "text_file" if is_text else ("output" if item.get("type") == "output" else "visual")
                if slots[slot] is None:
                    slots[slot] = {**item, "nodeId": node_id, "mediaType": item.get("mediaType", media)}
    preview = next((value for value in slots.values() if value is not None), None)
    return count, previewable, preview


def history_job(prompt_id: str, entry: dict, detailed: bool = False) -> dict[str, Any]:
    """A finished prompt; ``detailed`` adds outputs, execution_status and workflow (``GET /api/jobs/{id}``)."""
    number, _, prompt, extra_data, _ = entry["prompt"]
    create_time, workflow_id = _metadata(extra_data)
    status_info = entry.get("status") or {}
    started = ended = failure = None
    interrupted = False
    for name, data in status_info.get("messages", []):
        if name == "execution_start":
            started = data.get("timestamp")
        elif name in ("execution_success", "execution_error", "execution_interrupted"):
            ended = data.get("timestamp")
            failure = data if name == "execution_error" else failure
            interrupted = interrupted or name == "execution_interrupted"
    status = "completed"
    if status_info.get("status_str") == "error":
        status = "cancelled" if interrupted else "failed"
    count, previewable, preview = summarize_outputs(entry.get("outputs", {}))
    job = _prune({"id": prompt_id, "status": status, "priority": number, "create_time": create_time,
                  "execution_start_time": started, "execution_end_time": ended, "execution_error": failure,
                  "outputs_count": count, "previewable_outputs_count": previewable, "preview_output": preview,
                  "workflow_id": workflow_id})
    if detailed:
        job.update(outputs=entry.get("outputs", {}), execution_status=status_info,
                   workflow={"prompt": prompt, "extra_data": extra_data})
    return job


def all_jobs(running: list[list], pending: list[list], history: dict[str, dict], statuses: list[str],
             workflow_id: str | None) -> list[dict[str, Any]]:
    jobs = [queue_job(item, "in_progress") for item in running] if "in_progress" in statuses else []
    if "pending" in statuses:
        jobs += [queue_job(item, "pending") for item in pending]
    jobs += [job for prompt_id, entry in history.items()
             if (job := history_job(prompt_id, entry))["status"] in statuses]
    return [job for job in jobs if not workflow_id or job.get("workflow_id") == workflow_id]


def sort_jobs(jobs: list[dict[str, Any]], sort_by: str, sort_order: str) -> list[dict[str, Any]]:
    def duration(job: dict[str, Any]) -> int:
        start, end = job.get("execution_start_time", 0), job.get("execution_end_time", 0)
        return end - start if start and end else 0

    key = duration if sort_by == "execution_duration" else (lambda job: job.get("create_time", 0))
    return sorted(jobs, key=key, reverse=sort_order == "desc")


def find_job(prompt_id: str, running: list[list], pending: list[list], history: dict[str, dict]) -> dict | None:
    if prompt_id in history:
        return history_job(prompt_id, history[prompt_id], detailed=True)
    for items, status in ((running, "in_progress"), (pending, "pending")):
        for item in items:
            if item[1] == prompt_id:
                return queue_job(item, status)
    return None
