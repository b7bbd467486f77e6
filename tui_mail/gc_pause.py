"""The cyclic garbage collector paused for the first paint, and resumed after it.

Start-up imports Textual and builds the first screen: tens of thousands of long-lived objects
and no garbage cycles worth finding, yet the cyclic collector would run dozens of times over
them (about a fifth of the time to the first frame on a slow machine). So `tui_mail.launch`
pauses collection, and the interface calls `resume_gc` once its first frame is drawn (the
command calls it in any case when it ends). Every other command resumes it before its work:
the `email` parser makes reference cycles, and a 100k import with collection off took 2.8 GB.
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
