"""Getting messages out, and the thread marked read: the keys of the list and the viewer that
mutt and aerc users reach for every day.

- `|` pipes the raw message (several tagged: one after another) to a command the user types,
  run by `/bin/sh -c` (the user's own command line, so `grep x | less` works as in mutt; no
  message text is ever in the command line, only on its stdin), with the terminal handed over.
- `w` saves a message as an .eml file (tagged: one file each in a folder); nothing is
  overwritten without asking.
- `W` appends the messages to an mbox file, written by the exporter (`tui-mail export`).
- `P` prints: the text the reader shows (header block and body) on the stdin of
  `[ui] print_command` (no shell), run in a thread.
- ctrl+r marks every message of the thread read, through the same action path as `U`.

A body not in the cache is fetched first (as opening the message does); one that cannot be
fetched stops the action, with the reason said. Files are written and commands run off the
interface, in thread workers, except the piped command, which has the terminal to itself.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tui_mail.errors import TuiMailError
from tui_mail.model import MessageSummary
from tui_mail.ui.app_part import ScreenPart
from tui_mail.ui.message_bytes import Fetched, with_message_bytes
from tui_mail.words import plural

PRINT_TIMEOUT = 60.0  # seconds a print command may take to take the job


def eml_name(summary: MessageSummary) -> str:
    """A file name for a message: its subject (a "/" in it is not a folder), ".eml"."""
    from tui_mail.mail.sanitize import sanitize_filename

    subject = summary.subject.replace("/", "-").replace("\\", "-").strip()
    return sanitize_filename(f"{subject or 'message'}.eml", fallback="message.eml")


def write_file(path: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write `data` to `path`, readable by its owner only (mail is private). Without
    `overwrite`, a file already there is an error, never replaced."""
    mode = os.O_TRUNC if overwrite else os.O_EXCL
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | mode, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def save_each(folder: Path, fetched: Fetched) -> list[Path]:
    """One .eml file per message in `folder` (made if need be), named by subject, numbered
    when the name is taken."""
    from tui_mail.ui.screens.picker import unique_path

    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for summary, raw in fetched:
        while True:
            path = unique_path(folder, eml_name(summary))
            try:
                write_file(path, raw)
                break
            except FileExistsError:  # appeared meanwhile: the next number
                continue
        paths.append(path)
    return paths


def printable_text(fetched: Fetched, authserv_id: Callable[[str], str | None]) -> bytes:
    """The messages as the reader shows them in plain text, a form feed between two."""
    from tui_mail.mail.parse import parse_message
    from tui_mail.mail.textview import message_as_text

    texts = [message_as_text(parse_message(raw), raw=raw,
                             authserv_id=authserv_id(summary.account))
             for summary, raw in fetched]
    return "\f".join(texts).encode("utf-8")


class MessageOutput(ScreenPart):
    """Mixin for `ActingScreen`: pipe, save, append to mbox, print, mark the thread read."""

    def _targets(self) -> list[MessageSummary]:
        raise NotImplementedError

    def action_done(self, outcome: Any) -> None:
        raise NotImplementedError

    # ---- the bytes of the selection ---------------------------------------------------------

    def _with_bytes(self, summaries: Sequence[MessageSummary], what: str,
                    then: Callable[[Fetched], None], *, in_thread: bool) -> None:
        """The messages' bytes, then `then(fetched)` (`with_message_bytes`)."""
        with_message_bytes(self._app, summaries, what, then, in_thread=in_thread,
                           group="message-output")

    def _say_from_thread(self, text: str, *, error: bool = False) -> None:
        app = self._app
        app.call_from_thread(app.notify, text, severity="error" if error else "information",
                             markup=False, timeout=12 if error else 5)

    # ---- | pipe -------------------------------------------------------------------------------

    def action_pipe(self) -> None:
        self._ask_pipe(decoded=False)

    def action_pipe_text(self) -> None:
        self._ask_pipe(decoded=True)

    def _ask_pipe(self, *, decoded: bool) -> None:
        from tui_mail.ui.screens.ask_text import AskText

        summaries = self._targets()
        if not summaries:
            return
        what = "the text of" if decoded else ""
        title = (f"Pipe {what} {plural(len(summaries))} to the command (run by sh, on its"
                 " stdin)").replace("  ", " ")

        def typed(command: str | None) -> None:
            if command:
                self._app.remember_typed("pipe", command)
                self._with_bytes(summaries, "Nothing piped",
                                 lambda fetched: self._pipe(command, fetched, decoded=decoded),
                                 in_thread=False)

        self._app.push_screen(AskText(title, self._app.last_typed("pipe"),
                                      placeholder="e.g. grep -i invoice | less"), typed)

    def _pipe(self, command: str, fetched: Fetched, *, decoded: bool = False) -> None:
        """Several messages go one after another, each ending with a newline (mutt's way
        with pipe_split off); lines end in LF, as the command's tools expect (mail on the
        wire ends them in CRLF). `decoded`: the text the reader shows (headers block and
        body, the HTML rendered, transfer encodings undone) instead of the source."""
        from tui_mail.mail.sanitize import sanitize_line
        from tui_mail.ui.widgets.message_view import authserv_id_of

        app = self._app
        if decoded:
            data = printable_text(fetched, lambda account: authserv_id_of(app, account)
                                  ).replace(b"\f", b"\n")
        else:
            data = b"".join(raw if raw.endswith(b"\n") else raw + b"\n" for _s, raw in fetched)
        data = data.replace(b"\r\n", b"\n")
        shown = sanitize_line(command)
        try:
            code = app.run_in_terminal(["/bin/sh", "-c", command], data)
        except TuiMailError as exc:
            app.notify(f"Nothing piped: {exc}.", severity="error", markup=False, timeout=12)
            return
        if code != 0:
            app.notify(f"The command ({shown}) exited with status {code}.",
                       severity="warning", markup=False, timeout=10)
            return
        app.notify(f"Piped {plural(len(fetched))} to {shown}.", markup=False)

    # ---- w save as .eml -----------------------------------------------------------------------

    def _attachments_dir(self) -> Path:
        return Path(self._app.ui_settings.attachments_dir).expanduser()

    def _typed_path(self, typed: str) -> Path:
        """A path as typed: ~ expanded, a relative one under the attachments folder."""
        path = Path(typed).expanduser()
        return path if path.is_absolute() else self._attachments_dir() / path

    def action_save_eml(self) -> None:
        from tui_mail.ui.screens.ask_text import AskText

        summaries = self._targets()
        if not summaries:
            return
        folder = self._attachments_dir()
        if len(summaries) == 1:
            title = "Save the message as (.eml)"
            default = str(folder / eml_name(summaries[0]))
        else:
            title = f"Save {plural(len(summaries))} as .eml files, one each, in the folder"
            default = str(folder)

        def typed(answer: str | None) -> None:
            if answer:
                self._save_to(summaries, self._typed_path(answer))

        self._app.push_screen(AskText(title, default, placeholder="Path…"), typed)

    def _save_to(self, summaries: Sequence[MessageSummary], path: Path) -> None:
        """One message to a file (into it when it names a folder), asking before a file is
        replaced; several into a folder."""
        from tui_mail.ui.screens.ask_text import YesNo

        if len(summaries) > 1:
            self._with_bytes(summaries, "Nothing saved",
                             lambda fetched: self._save_several(path, fetched), in_thread=True)
            return
        if path.is_dir():
            path = path / eml_name(summaries[0])
        if not path.exists():
            self._with_bytes(summaries, "Nothing saved",
                             lambda fetched: self._save_one(path, fetched, False), in_thread=True)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._with_bytes(summaries, "Nothing saved",
                                 lambda fetched: self._save_one(path, fetched, True),
                                 in_thread=True)
            else:
                self._app.notify("Nothing saved.", markup=False)

        self._app.push_screen(YesNo(f"{path} exists. Replace it?"), answered)

    def _save_one(self, path: Path, fetched: Fetched, overwrite: bool) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_file(path, fetched[0][1], overwrite=overwrite)
        except FileExistsError:
            self._say_from_thread(f"Nothing saved: {path} appeared meanwhile; save again to"
                                  " choose.", error=True)
            return
        except OSError as exc:
            self._say_from_thread(f"Nothing saved: {path}: {exc.strerror or exc}.", error=True)
            return
        self._say_from_thread(f"Saved {path}")

    def _save_several(self, folder: Path, fetched: Fetched) -> None:
        try:
            paths = save_each(folder, fetched)
        except OSError as exc:
            self._say_from_thread(f"Not all saved: {folder}: {exc.strerror or exc}.",
                                  error=True)
            return
        self._say_from_thread(f"Saved {plural(len(paths))} in {folder}")

    # ---- W append to an mbox ------------------------------------------------------------------

    def action_append_mbox(self) -> None:
        from tui_mail.ui.screens.ask_text import AskText

        summaries = self._targets()
        if not summaries:
            return
        default = self._app.last_typed("mbox") or str(self._attachments_dir() / "saved.mbox")

        def typed(answer: str | None) -> None:
            if not answer:
                return
            self._app.remember_typed("mbox", answer)
            path = self._typed_path(answer)
            self._with_bytes(summaries, "Nothing appended",
                             lambda fetched: self._append(path, fetched), in_thread=True)

        self._app.push_screen(AskText(f"Append {plural(len(summaries))} to the mbox file",
                                      default, placeholder="Path…"), typed)

    def _append(self, path: Path, fetched: Fetched) -> None:
        from tui_mail.store.exporter import MboxWriter

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with MboxWriter(path) as writer:
                writer.write(fetched)
        except OSError as exc:
            self._say_from_thread(f"Nothing appended: {path}: {exc.strerror or exc}.",
                                  error=True)
            return
        except TuiMailError as exc:
            self._say_from_thread(f"Nothing appended: {exc}.", error=True)
            return
        self._say_from_thread(f"Appended {plural(len(fetched))} to {path}")

    # ---- P print ------------------------------------------------------------------------------

    def action_print_message(self) -> None:
        from tui_mail.mail.sanitize import sanitize_line

        summaries = self._targets()
        if not summaries:
            return
        command = self._app.ui_settings.print_command
        try:
            argv = shlex.split(command)
        except ValueError as exc:  # the config is checked at load; a test may set anything
            self._app.notify(f"print_command ({sanitize_line(command)}) cannot be split into"
                             f" words: {exc}.", severity="error", markup=False)
            return
        self._with_bytes(summaries, "Nothing printed",
                         lambda fetched: self._print(argv, fetched), in_thread=True)

    def _config_path(self) -> Path:
        from tui_mail.config import default_config_path

        config = self._app.config
        return config.path if config is not None else default_config_path()

    def _print(self, argv: list[str], fetched: Fetched) -> None:
        from tui_mail.mail.sanitize import sanitize_line
        from tui_mail.ui.widgets.message_view import authserv_id_of

        app = self._app
        shown = sanitize_line(shlex.join(argv))
        try:
            text = printable_text(fetched, lambda account: authserv_id_of(app, account))
            done = subprocess.run(argv, input=text, capture_output=True, check=False,
                                  timeout=PRINT_TIMEOUT)
        except FileNotFoundError:
            self._say_from_thread(f"print_command {argv[0]!r} not found: set [ui] print_command"
                                  f" in {self._config_path()}", error=True)
            return
        except subprocess.TimeoutExpired:
            self._say_from_thread(f"Not printed: {shown} did not finish within"
                                  f" {PRINT_TIMEOUT:.0f} s.", error=True)
            return
        except OSError as exc:
            self._say_from_thread(f"Not printed: {shown}: {exc.strerror or exc}.", error=True)
            return
        if done.returncode != 0:
            said = sanitize_line(done.stderr.decode("utf-8", "replace"))[:200]
            self._say_from_thread(f"Not printed: {shown} exited with status {done.returncode}"
                                  f"{': ' + said if said else '.'}", error=True)
            return
        self._say_from_thread(f"Sent {plural(len(fetched))} to the printer ({shown}).")

    # ---- ctrl+r mark the thread read ----------------------------------------------------------

    def action_mark_thread_read(self) -> None:
        summaries = self._targets()
        if not summaries:
            return
        app = self._app

        def work() -> None:
            try:
                with app.open_reader() as store:
                    ids: dict[int, None] = {}
                    for summary in summaries:
                        ids.update(dict.fromkeys(store.listing.thread_members(summary.id)))
                    unread = sorted(store.listing.unread_among(list(ids)))
                    rows = store.listing.summaries(unread)
            except TuiMailError as exc:
                self._say_from_thread(f"Nothing marked read: {exc}", error=True)
                return
            app.call_from_thread(self._mark_read, [rows[i] for i in unread if i in rows])

        app.run_worker(work, thread=True, exit_on_error=False, group="message-output",
                       description="read the thread")

    def _mark_read(self, summaries: list[MessageSummary]) -> None:
        if not summaries:
            self._app.notify("The whole thread is read already.", markup=False)
            return
        self._app.act_in_background("read", summaries, then=self.action_done)
