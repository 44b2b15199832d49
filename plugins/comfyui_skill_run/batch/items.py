"""The items of a batch: parameter sets from ``--batch`` lines, ``--sweep`` products and ``--count`` seeds."""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

from comfyui_skill import UsageError, plural

from ..workflow import parse_value

#: The parameter ``--count`` fills with a random seed per item.
SEED = "seed"
SEED_MAX = 2**32 - 1
#: More items than this is almost certainly a typo in a range.
MAX_ITEMS = 1_000_000
_RANGE = re.compile(r"^\s*(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s*(?::\s*(-?[\d.]+)\s*)?$")


def parse_sweep(spec: str) -> tuple[str, list[Any]]:
    """``PARAM=5,6.5,8`` or ``PARAM=START..END[:STEP]`` (inclusive) as (name, values)."""
    name, sep, values = spec.partition("=")
    if not sep or not name.strip() or not values.strip():
        raise UsageError(f"--sweep {spec!r} is not of the form PARAM=VALUES",
                         hint="e.g. --sweep cfg=5,6.5,8 or --sweep steps=10..30:5")
    match = _RANGE.match(values)
    return name.strip(), _range(spec, *match.groups()) if match else [parse_value(v.strip()) for v in values.split(",")]


def _range(spec: str, start: str, end: str, step: str | None) -> list[Any]:
    try:
        numbers = [json.loads(text) for text in (start, end, step or "1")]
    except ValueError:
        raise UsageError(f"--sweep {spec!r}: a range takes numbers, START..END[:STEP]") from None
    first, last, stride = numbers
    if stride == 0 or (last - first) * stride < 0:
        raise UsageError(f"--sweep {spec!r}: the step {stride} never gets from {first} to {last}")
    count = int(round((last - first) / stride, 9)) + 1
    if count > MAX_ITEMS:
        raise UsageError(f"--sweep {spec!r} makes {count} values")
    whole = all(isinstance(n, int) for n in numbers)
    return [first + i * stride if whole else round(first + i * stride, 10) for i in range(count)]


def read_lines(stream: IO[str], where: str) -> list[dict[str, Any]]:
    """Parameter sets of a JSON-lines file; every bad line is reported (with its number) at once."""
    sets, problems = [], []
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(value, dict):
            problems.append(f"line {number}: not a JSON object of parameters")
            continue
        sets.append(value)
    if problems:
        raise UsageError(f"{where} has {plural(len(problems), 'bad line')}; nothing was submitted:\n  " +
                         "\n  ".join(problems[:20]) + ("\n  ..." if len(problems) > 20 else ""),
                         details={"problems": problems})
    if not sets:
        raise UsageError(f"{where} holds no parameter set")
    return sets


def expand(base: Iterable[dict[str, Any]] | None, sweeps: Sequence[str], count: int | None,
           rng: random.Random | None = None) -> list[dict[str, Any]]:
    """Every item: each base set (a batch line, or one empty set) x the sweep product x ``count``."""
    rng = rng or random.Random()
    axes = [parse_sweep(spec) for spec in sweeps]
    names = [name for name, _ in axes]
    if len(set(names)) != len(names):
        raise UsageError("a parameter is swept twice: " + ", ".join(sorted({n for n in names if names.count(n) > 1})))
    total = 1
    for _, values in axes:
        total *= len(values)
    if total * (count or 1) > MAX_ITEMS:
        raise UsageError(f"the batch would have more than {MAX_ITEMS} items")
    items = []
    for given in base if base is not None else [{}]:
        for combination in itertools.product(*(values for _, values in axes)):
            for _ in range(count or 1):
                item = {**given, **dict(zip(names, combination))}
                if count:
                    item[SEED] = rng.randint(0, SEED_MAX)
                items.append(item)
    return items
