"""The agent tests reuse the run plugin's fixtures: a drained fake server and workflow files."""

from ..run.conftest import fake_comfy, workflow_file  # noqa: F401 - pytest fixtures
