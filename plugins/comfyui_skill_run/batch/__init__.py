"""Batches: one workflow run many times (``--count``, ``--sweep``, ``--batch``) over one or more servers.

Only the ``run`` options live here (cheap to import); the engine loads when a batch actually runs.
"""

from __future__ import annotations

import argparse

from comfyui_skill import positive_count

PKG = "comfyui_skill_run.batch"


def add_options(parser: argparse.ArgumentParser) -> None:
    """The batch options of ``run`` (see docs/batch.md)."""
    group = parser.add_argument_group("batches (docs/batch.md)")
    group.add_argument("--count", dest="batch_count", type=positive_count(), metavar="N",
                       help="run N times, each with a random seed (the 'seed' parameter)")
    group.add_argument("--sweep", dest="batch_sweep", action="append", metavar="PARAM=VALUES",
                       help="one item per value: a list (cfg=5,6.5,8) or a range START..END[:STEP] (steps=10..30:5);"
                            " several --sweep make the cartesian product")
    group.add_argument("--batch", dest="batch_file", metavar="FILE.jsonl",
                       help="one item per line: a JSON object of parameters ('-': standard input)")
    group.add_argument("--servers", dest="batch_servers", metavar="A,B,...",
                       help="spread the items over these servers (configured names or URLs)")
    group.add_argument("--pool", dest="batch_pool", metavar="NAME",
                       help="spread the items over the servers of [pools.NAME] servers = [...] in the config")
    group.add_argument("--no-failover", dest="batch_no_failover", action="store_true",
                       help="items on a server that becomes unreachable fail instead of moving to another server")
    group.add_argument("--manifest", dest="batch_manifest", metavar="FILE",
                       help="the batch's JSON-lines record (default: OUTDIR/batch-TIME.jsonl)")
    group.add_argument("--resume", dest="batch_resume", metavar="MANIFEST",
                       help="finish the batch of MANIFEST: skip what succeeded, re-attach to what still runs")
    group.add_argument("--name-template", dest="batch_name_template", metavar="TEMPLATE",
                       help="each item's output folder under OUTDIR (default '{item}'; fields: item, index and "
                            "the item's parameters, e.g. 'cfg{cfg}/{seed}')")


#: Options that shape a batch without making one (given alone, they would be ignored).
SHAPING = {"batch_manifest": "--manifest", "batch_name_template": "--name-template",
           "batch_no_failover": "--no-failover"}


def stray_options(args: argparse.Namespace) -> list[str]:
    """The batch-shaping options given to a ``run`` that is not a batch."""
    return [] if requested(args) else [flag for dest, flag in SHAPING.items() if getattr(args, dest, None)]


def requested(args: argparse.Namespace) -> bool:
    """Whether ``run`` was asked for a batch rather than a single prompt."""
    return any(getattr(args, name, None) for name in (
        "batch_count", "batch_sweep", "batch_file", "batch_servers", "batch_pool", "batch_resume"))
