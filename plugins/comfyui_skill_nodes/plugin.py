"""The hooks of the ``nodes`` plugin: its command, subcommands and the ``nodes.cache_ttl`` setting."""

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
    info.add_argument("nodes_class", metavar="CLASS", help="the class name, e.g. KSampler (any case)")
    info.set_defaults(handler=f"{HANDLERS}:node_info")

    search = sub.add_parser("search", help="classes matching TEXT, best first",
                            description="Classes matching every word of TEXT, ranked: a match in the class "
                                        "name counts most, then display name, aliases, category, description. When "
                                        "none matches, a fuzzy fallback corrects the words' typos ('upscle' "
                                        "-> 'upscale'; said on stderr, and 'fuzzy: true' on each --json entry).")
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
                    env="COMFYUI_SKILL_NODES_CACHE_TTL", check=Setting.at_least(0))]


@hookimpl
def comfyui_skill_commands() -> Iterable[Command]:
    return [Command("nodes", "the node classes a server offers", configure=configure)]
