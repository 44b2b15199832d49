"""Simulated node classes. Classes without a simulation run as no-ops returning opaque placeholders."""

from __future__ import annotations

import ast
import json
import math
import operator
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .files import Dirs, annotated_path, save_image_path
from .images import Frame, Images, Opaque, color_from_int
from .png import PngError, decode_png, looks_like_image, png_size

Progress = Callable[[int, int, "bytes | None"], Awaitable[None]]
DECODE_LIMIT = 256 * 256
"""Larger PNGs keep their size but load as a solid grey frame (pure-Python decoding is slow)."""
GREY = (128, 128, 128)
TEMP_LETTERS = "abcdefghijklmnopqrstupvxyz"


@dataclass
class NodeCall:
    node_id: str
    class_type: str
    inputs: dict[str, Any]
    output_types: tuple
    prompt: dict[str, Any]
    extra_pnginfo: dict[str, Any] | None
    dirs: Dirs
    progress: Progress
    """``await progress(value, max, preview_png_or_None)``: one ProgressBar tick (may raise on interrupt)."""
    previews: tuple[bytes, ...] = ()
    """The live previews samplers send (``FakeComfyUI.sampler_previews``); empty: their own."""


@dataclass
class NodeResult:
    outputs: tuple = ()
    ui: dict[str, Any] | None = None


NodeImpl = Callable[[NodeCall], Awaitable[NodeResult]]
NODES: dict[str, NodeImpl] = {}


def simulates(*class_types: str) -> Callable[[NodeImpl], NodeImpl]:
    def register(impl: NodeImpl) -> NodeImpl:
        for class_type in class_types:
            NODES[class_type] = impl
        return impl
    return register


async def run_node(call: NodeCall) -> NodeResult:
    return await NODES.get(call.class_type, _no_op)(call)


async def _no_op(call: NodeCall) -> NodeResult:
    return NodeResult(tuple(Opaque(str(kind), call.node_id, slot) for slot, kind in enumerate(call.output_types)))


def as_images(value: Any) -> Images:
    """IMAGE inputs produced by an unsimulated node become one grey 64x64 frame."""
    return value if isinstance(value, Images) else Images((Frame(64, 64, color=GREY),))


def _map_frames(value: Any, change: Callable[[Frame], Frame]) -> NodeResult:
    return NodeResult((Images(tuple(change(frame) for frame in as_images(value).frames)),))


@simulates("EmptyImage")
async def _empty_image(call: NodeCall) -> NodeResult:
    i = call.inputs
    frame = Frame(i["width"], i["height"], color=color_from_int(i["color"]))
    return NodeResult((Images((frame,) * i["batch_size"]),))


def _read_frame(data: bytes, name: str) -> Frame:
    try:
        width, height = png_size(data)
        if width * height > DECODE_LIMIT:
            return Frame(width, height, color=GREY)
        width, height, pixels = decode_png(data)
        return Frame(width, height, pixels=pixels)
    except PngError:
        if looks_like_image(data):
            return Frame(64, 64, color=GREY)
        raise OSError(f"cannot identify image file '{name}'") from None


@simulates("LoadImage", "LoadImageOutput")
async def _load_image(call: NodeCall) -> NodeResult:
    path = annotated_path(call.dirs, call.inputs["image"])
    frame = _read_frame(path.read_bytes(), str(path))
    return NodeResult((Images((frame,)), Opaque("MASK", call.node_id, 1)))


@simulates("ImageInvert")
async def _image_invert(call: NodeCall) -> NodeResult:
    return _map_frames(call.inputs["image"], Frame.inverted)


@simulates("ImageScale")
async def _image_scale(call: NodeCall) -> NodeResult:
    width, height = call.inputs["width"], call.inputs["height"]

    def scale(frame: Frame) -> Frame:
        if not width and not height:
            return frame
        if not width:
            return frame.resized(max(1, round(frame.width * height / frame.height)), height)
        if not height:
            return frame.resized(width, max(1, round(frame.height * width / frame.width)))
        return frame.resized(width, height)
    return _map_frames(call.inputs["image"], scale)


@simulates("ColorTransfer")
async def _color_transfer(call: NodeCall) -> NodeResult:
    images = as_images(call.inputs["image_target"])
    for done in range(1, len(images.frames) + 1):
        await call.progress(done, len(images.frames), None)
    return NodeResult((images,))


def _save(call: NodeCall, kind: str, prefix: str, level: int) -> NodeResult:
    images = as_images(call.inputs["images"])
    first = images.frames[0] if images.frames else Frame(0, 0)
    root = call.dirs.by_type(kind)
    folder, stem, counter, subfolder = save_image_path(root, prefix, first.width, first.height)
    text = {"prompt": json.dumps(call.prompt)}
    text.update({key: json.dumps(value) for key, value in (call.extra_pnginfo or {}).items()})
    results = []
    for batch_number, frame in enumerate(images.frames):
        name = f"{stem.replace('%batch_num%', str(batch_number))}_{counter + batch_number:05}_.png"
        (folder / name).write_bytes(frame.png(text, level))
        results.append({"filename": name, "subfolder": subfolder, "type": kind})
    return NodeResult((images,), {"images": results})


@simulates("SaveImage")
async def _save_image(call: NodeCall) -> NodeResult:
    return _save(call, "output", call.inputs["filename_prefix"], 4)


@simulates("PreviewImage")
async def _preview_image(call: NodeCall) -> NodeResult:
    return _save(call, "temp", "ComfyUI_temp_" + "".join(random.choices(TEMP_LETTERS, k=5)), 1)


@simulates("SaveImageWebsocket")
async def _save_image_websocket(call: NodeCall) -> NodeResult:
    frames = as_images(call.inputs["images"]).frames
    for step, frame in enumerate(frames):
        await call.progress(step, len(frames), frame.png(level=1))
    return NodeResult()


@simulates("KSampler", "KSamplerAdvanced")
async def _sampler(call: NodeCall) -> NodeResult:
    """Steps with a live preview each (ComfyUI started with ``--preview-method``); the latent is opaque."""
    steps = max(1, int(call.inputs.get("steps") or 1))
    for step in range(1, steps + 1):
        if call.previews:
            preview = call.previews[min(step, len(call.previews)) - 1]
        else:
            preview = Frame(8, 8, color=(step * 37 % 256, 128, 255 - step * 37 % 256)).png(level=1)
        await call.progress(step, steps, preview)
    return NodeResult((Opaque("LATENT", call.node_id, 0),))


@simulates("StringConcatenate")
async def _string_concatenate(call: NodeCall) -> NodeResult:
    i = call.inputs
    return NodeResult((f"{i['string_a']}{i['delimiter']}{i['string_b']}",))


@simulates("PrimitiveString", "PrimitiveStringMultiline", "PrimitiveInt", "PrimitiveFloat", "PrimitiveBoolean")
async def _primitive(call: NodeCall) -> NodeResult:
    return NodeResult((call.inputs["value"],))


def preview_text(value: Any) -> str:
    """How PreviewAny renders a value."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    try:
        return json.dumps(value)
    except TypeError:
        return str(value)


@simulates("PreviewAny")
async def _preview_any(call: NodeCall) -> NodeResult:
    text = preview_text(call.inputs.get("source"))
    return NodeResult((text,), {"text": [text]})


_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_,
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs, "min": min, "max": max, "round": round, "sqrt": math.sqrt, "floor": math.floor,
    "ceil": math.ceil, "sin": math.sin, "cos": math.cos, "tan": math.tan, "log": math.log, "exp": math.exp,
}


def evaluate(expression: str, names: dict[str, Any]) -> Any:
    """A small safe arithmetic evaluator standing in for ``simpleeval``."""
    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, bool)):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise NameError(f"'{node.id}' is not defined for expression '{expression}'")
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](ev(node.operand))
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _OPERATORS:
            return _OPERATORS[type(node.ops[0])](ev(node.left), ev(node.comparators[0]))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
            return _FUNCTIONS[node.func.id](*(ev(arg) for arg in node.args))
        raise SyntaxError(f"unsupported expression: {expression}")
    return ev(ast.parse(expression.strip(), mode="eval"))


@simulates("ComfyMathExpression")
async def _math_expression(call: NodeCall) -> NodeResult:
    names = {key.split(".", 1)[1]: value for key, value in call.inputs.items() if key.startswith("values.")}
    result = evaluate(call.inputs["expression"], names)
    return NodeResult((float(result), int(result), bool(result)))
