"""The `tui-mail` command's entry point: start-up with the garbage collector paused.

Start-up imports Textual and builds the first screen: tens of thousands of long-lived objects
and no garbage cycles worth finding, yet the cyclic collector would run dozens of times over
them (about a fifth of the time to the first frame on a slow machine). So collection is paused
here and resumed by `resume_gc`, which the interface calls once its first frame is drawn and
which this module calls in any case when the command ends.
"""

from __future__ import annotations

import gc

_paused = False


def pause_gc() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_gc() -> None:
    """Resume collection if `pause_gc` paused it. The objects alive at this point (modules,
    the first screen) are frozen out of later collections: they live as long as the program."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def main() -> int:
    pause_gc()
    try:
        from tui_mail.cli import main as cli_main

        return cli_main()
    finally:
        resume_gc()
