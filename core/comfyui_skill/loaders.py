"""The model folder each input of ComfyUI's own loader nodes reads.

A loader fills its combo with ``folder_paths.get_filename_list(FOLDER)``, and ``/object_info`` shows
only the files, never the folder: an empty folder gives an empty list that says nothing. These are
the folders of the loaders ComfyUI ships (``nodes.py`` and ``comfy_extras``), by input name, and by
class where a name alone does not tell (``model_name``) or tells another folder (``CLIPVisionLoader``).
"""

from __future__ import annotations

LOADER_INPUTS = {
    "ckpt_name": "checkpoints", "lora_name": "loras", "vae_name": "vae", "unet_name": "diffusion_models",
    "clip_name": "text_encoders", "clip_name1": "text_encoders", "clip_name2": "text_encoders",
    "clip_name3": "text_encoders", "clip_name4": "text_encoders", "text_encoder": "text_encoders",
    "control_net_name": "controlnet", "style_model_name": "style_models", "gligen_name": "gligen",
    "config_name": "configs", "hypernetwork_name": "hypernetworks", "photomaker_model_name": "photomaker",
    "audio_encoder_name": "audio_encoders", "bg_removal_name": "background_removal",
}
"""Input name -> the folder every core loader with an input of that name reads."""
LOADER_CLASS_INPUTS = {
    ("CLIPVisionLoader", "clip_name"): "clip_vision", ("UpscaleModelLoader", "model_name"): "upscale_models",
    ("LatentUpscaleModelLoader", "model_name"): "latent_upscale_models",
    ("FrameInterpolationModelLoader", "model_name"): "frame_interpolation",
    ("OpticalFlowLoader", "model_name"): "optical_flow", ("ModelPatchLoader", "name"): "model_patches",
    ("LoadMediaPipeFaceLandmarker", "model_name"): "detection",
}
"""(class, input) -> folder, for the inputs whose name alone does not tell."""


def loader_folder(class_type: str, input_name: str) -> str | None:
    """The model folder input ``input_name`` of loader ``class_type`` reads (``CheckpointLoaderSimple``,
    ``ckpt_name``: ``checkpoints``), or None when it is not a known loader input."""
    return LOADER_CLASS_INPUTS.get((class_type, input_name)) or LOADER_INPUTS.get(input_name)
