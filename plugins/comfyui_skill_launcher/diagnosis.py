"""Why a ComfyUI stopped during start-up, in one sentence, from the end of its log."""

from __future__ import annotations

import re
from collections.abc import Sequence

_PORT_TAKEN = re.compile(r"address already in use|error while attempting to bind|only one usage of each "
                         r"socket address|errno (?:98|48|10048)\b", re.IGNORECASE)
_MISSING_MODULE = re.compile(r"No module named '([^']+)'")
_NO_GPU = re.compile(r"Torch not compiled with CUDA enabled|Found no NVIDIA driver|no CUDA GPUs are available|"
                     r"CUDA driver initialization failed", re.IGNORECASE)
_TORCH = frozenset({"torch", "torchvision", "torchaudio"})


def explain(lines: Sequence[str], *, port: int, path: str, python: str) -> tuple[str, str | None]:
    """``(cause, hint)`` for a start-up that failed, from the last lines of its log."""
    text = "\n".join(lines)
    if _PORT_TAKEN.search(text):
        return (f"port {port} is already in use by another program",
                "choose another --port, or leave --port out to take the first free one")
    missing = _MISSING_MODULE.findall(text)
    if missing:
        module = missing[-1].split(".")[0]
        if module in _TORCH:
            return (f"PyTorch ({module}) is not installed for {python}",
                    f"install it: 'comfyui-skill local install {path} --torch cpu' (or cuda, rocm)")
        return (f"the Python package {module!r} that ComfyUI needs is not installed for {python}",
                f"install ComfyUI's requirements: 'comfyui-skill local install {path}' "
                f"(or '{python} -m pip install -r requirements.txt' in {path})")
    if _NO_GPU.search(text):
        return ("PyTorch found no usable GPU",
                "start it with --cpu, or install the PyTorch build for this machine's GPU "
                "('comfyui-skill local install PATH --torch cuda' or rocm)")
    return "it stopped before it answered", "the lines above, from its log, say why"
