# The fake ComfyUI server (fixture ``fake_comfy``) and the in-process CLI runner (``run_cli``).
pytest_plugins = ["comfyui_skill.testing"]
