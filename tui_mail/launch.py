"""The `tui-mail` command's entry point: start-up with the garbage collector paused (see
`tui_mail.gc_pause`: the interface resumes it after its first frame, and this module in any
case when the command ends)."""

from __future__ import annotations

from tui_mail.gc_pause import pause_gc, resume_gc


def main() -> int:
    pause_gc()
    try:
        from tui_mail.cli import main as cli_main

        return cli_main()
    finally:
        resume_gc()
