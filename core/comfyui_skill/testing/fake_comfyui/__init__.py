"""A fake ComfyUI 0.33 server for tests, faithful to recordings of the real one.

``FakeComfyUI`` listens on an ephemeral loopback port in a background thread, validates prompts
against the real node catalog, runs a simulated queue and speaks ComfyUI's WebSocket protocol.
``Faults`` injects HTTP and WebSocket trouble.
"""

from .faults import Faults
from .recording import RecordedRequest
from .server import FakeComfyUI

__all__ = ["FakeComfyUI", "Faults", "RecordedRequest"]
