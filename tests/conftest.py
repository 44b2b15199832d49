pytest_plugins = ["comfyui_skill.testing"]
