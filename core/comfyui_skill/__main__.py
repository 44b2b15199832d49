"""``python -m comfyui_skill``: the same as the ``comfyui-skill`` command."""

import sys

from .cli import main

sys.exit(main())
