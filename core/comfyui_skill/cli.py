"""The ``comfyui-skill`` entry point.

Kept tiny: ``comfyui-skill --help`` is answered from a cache of the assembled help text when
nothing it depends on changed, without importing argparse, pluggy or any plugin (see
:mod:`comfyui_skill.helpcache`); a command a plugin offered a shortcut for is answered by that
shortcut alone (see :mod:`comfyui_skill.shortcuts`). Everything else goes through
:func:`comfyui_skill.app.run`.

As the process's entry point (``main()`` without arguments, as the console script and
``python -m comfyui_skill`` call it) two costs of a short-lived process are cut: the garbage
collector is paused while modules and plugins load (they make no garbage worth a scan; the command
itself runs with it on), and the interpreter's teardown (freeing every module object by object) is
skipped: once the command is done, output is flushed, exit handlers run and the process ends.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``, and then end the process)."""
    if argv is None:
        import gc

        gc.disable()
        code = _run(sys.argv[1:])
        _end_process(code)
        return code  # only when other threads are still running: the normal exit waits for them
    return _run(list(argv))


def _run(args: list[str]) -> int:
    try:
        from . import helpcache

        cached = helpcache.lookup(args)
        if cached is not None:
            sys.stdout.write(cached)
            return 0
        from . import shortcuts

        code = shortcuts.answer(args, stdout=sys.stdout, stderr=sys.stderr)
        if code is not None:
            return code
        from .app import run
    except KeyboardInterrupt:  # Ctrl-C while the first modules load or a shortcut runs, before run() can catch it
        sys.stderr.write("comfyui-skill: error: interrupted\n")
        return 130  # ExitCode.INTERRUPTED, without importing it
    return run(args)


def _end_process(code: int) -> None:
    """Exit now, skipping the interpreter's teardown, unless a non-daemon thread is still running."""
    threading = sys.modules.get("threading")
    if threading is not None and any(t.is_alive() and not t.daemon and t is not threading.main_thread()
                                     for t in threading.enumerate()):
        return
    import atexit
    import os

    atexit._run_exitfuncs()  # noqa: SLF001 - what a normal exit runs (temporary folders, logging)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # what Python itself answers when it cannot flush stdout at exit
    os._exit(code)
