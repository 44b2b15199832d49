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

The hooks are in :mod:`.plugin`, the entry point. This module stays empty: the shortcuts of ``nodes
list`` and ``nodes search`` (:mod:`.quick`) are answered with it loaded, and argparse or pluggy
with it would cost more than the whole answer.
"""
