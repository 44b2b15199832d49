"""``comfyui-skill nodes``: the node classes a server offers (list, info, search).

The catalog comes from ``/object_info`` (1.6 MB, 887 classes on a stock server), which is too big
to fetch on every call. ``list`` and ``search`` answer from a compact index of it cached per server
in ``cache_dir()/nodes/``. The cache rule: the index is keyed by the server's ``comfyui_version``
(``/system_stats``) and a hash of its ``/extensions`` list, two small requests made when the index
was last checked more than ``nodes.cache_ttl`` seconds ago (default 60; 0 checks on every call);
it is rebuilt when that key changes (a ComfyUI update, a node pack with web extensions installed or
removed), when it is older than a day (node packs without web extensions), or with ``--refresh``.
``info`` always asks the server for the one class (``/object_info/CLASS``).

Both input-spec styles are understood: old combos (``[["a", "b"], {...}]``) and V3 ones
(``["COMBO", {"options": [...]}]``), dynamic combos (``COMFY_DYNAMICCOMBO_V3``: each choice brings
its own inputs), autogrow inputs (``COMFY_AUTOGROW_V3``) and match-type inputs.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from comfyui_skill import Command, Setting, hookimpl

HANDLERS = "comfyui_skill_nodes.commands"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="nodes_command", metavar="SUBCOMMAND")
    listing = sub.add_parser("list", help="node classes, filtered", description="Node classes of the server, "
                             "sorted by name. Filters combine; --search matches every word of TEXT against "
                             "name, display name, category, description and aliases.")
    listing.add_argument("--category", dest="nodes_category", metavar="C",
                         help="only this category and its subcategories (e.g. 'image' or 'sampling/custom')")
    listing.add_argument("--search", dest="nodes_search", metavar="TEXT", help="only classes matching TEXT")
    listing.add_argument("--pack", dest="nodes_pack", metavar="P",
                         help="only this node pack ('core', 'api-nodes' or a custom node pack)")
    listing.add_argument("--deprecated", dest="nodes_deprecated", action="store_true",
                         help="only deprecated classes")
    listing.add_argument("--api-nodes", dest="nodes_api", action="store_true",
                         help="only API nodes (paid, run on comfy.org)")
    _refresh_option(listing)
    listing.set_defaults(handler=f"{HANDLERS}:list_nodes")

    info = sub.add_parser("info", help="one class: inputs (type, default, range, choices), outputs, pack")
    info.add_argument("nodes_class", metavar="CLASS", help="the class name, e.g. KSampler")
    info.set_defaults(handler=f"{HANDLERS}:node_info")

    search = sub.add_parser("search", help="classes matching TEXT, best first",
                            description="Classes matching every word of TEXT, ranked: a match in the class "
                                        "name counts most, then display name, aliases, category, description.")
    search.add_argument("nodes_text", metavar="TEXT", nargs="+")
    search.add_argument("-n", "--limit", dest="nodes_limit", type=int, default=25, metavar="N",
                        help="at most N results (default 25; 0 = all)")
    _refresh_option(search)
    search.set_defaults(handler=f"{HANDLERS}:search_nodes")


def _refresh_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--refresh", dest="nodes_refresh", action="store_true",
                        help="fetch /object_info again instead of using the cache")


@hookimpl
def comfyui_skill_settings() -> Iterable[Setting]:
    return [Setting("nodes.cache_ttl", float, 60.0, "Seconds the node-catalog cache of 'nodes list/search' is "
                    "trusted without asking the server whether its node set changed (0: ask every time).",
                    env="COMFYUI_SKILL_NODES_CACHE_TTL")]


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("nodes", "the node classes a server offers", configure=configure)]
