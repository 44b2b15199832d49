"""The server settings the run plugin reads, declared once: the hook offers them to ``config set``
(which checks a value as they say) and the readers take their values through them."""

from __future__ import annotations

from comfyui_skill import Setting

ALLOW_PAID_NODES = Setting("allow_paid_nodes", bool, False, "Run workflows with partner (paid API) nodes on this "
                           "server without --allow-paid-nodes.", scope="server")
STALL_TIMEOUT = Setting("stall_timeout", float, 600.0, "Seconds a prompt may keep a job status comfyui-skill does "
                        "not know (e.g. a cloud's wait for a GPU) with no change and no progress before following it "
                        "fails (exit 6; the prompt is left alone).", scope="server", check=Setting.above(0))
BATCH_READ_TIMEOUT = Setting("batch_read_timeout", float, 15.0, "Seconds a batch waits for this server to answer a "
                             "status check, submission, upload or cancel (downloads keep read_timeout); a request "
                             "that times out drains the server from the batch.", scope="server",
                             check=Setting.above(0))
MAX_CONCURRENT = Setting("max_concurrent", int, None, "Most prompts run at once on this server by multi-workflow "
                         "runs and batches (Comfy Cloud: 1, 3 or 5 by account tier; unset: 1 on Comfy Cloud, 2 on a "
                         "local server).", scope="server", check=Setting.at_least(1))
COMFY_API_KEY = Setting("comfy_api_key", str, None, "Comfy API key (platform.comfy.org) sent with prompts that use "
                        "paid API nodes, when they are allowed (else COMFY_API_KEY).", secret=True, scope="server")

ALL = (ALLOW_PAID_NODES, STALL_TIMEOUT, BATCH_READ_TIMEOUT, MAX_CONCURRENT, COMFY_API_KEY)
