"""Showing one message: headers, body (quotes coloured by depth), attachments and links.

Loading, parsing and rendering run in a thread worker (a big HTML message costs about half a
second of CPU): a body that is not cached yet is asked of the mail service, which fetches it
at once while the view says "Loading…" with its size. The widget draws only sanitized text
wrapped in `Content`, never markup. The same widget is the preview pane of the mailbox and the
body of the message screen.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content, Span
from textual.message import Message as TextualMessage
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from tui_mail.errors import CacheError, ConnectError, TuiMailError
from tui_mail.mail.formats import HEADER_DATE
from tui_mail.mail.headers import cut_line
from tui_mail.mail.security import (
    BAD_SIGNATURE,
    NOT_DECRYPTED,
    OTHER_SENDER,
    SIGNED,
    SIGNED_WARNING,
    UNPROTECTED,
)
from tui_mail.model import (
    Attachment,
    CryptoKind,
    Encryption,
    Message,
    MessageSummary,
    SecurityLayer,
)
from tui_mail.ui.keys import Scope, bindings
from tui_mail.ui.widgets.chord import TopChord
from tui_mail.ui.widgets.invite_box import invite_content
from tui_mail.ui.widgets.text import format_size, sanitize_line, sanitize_text, wrap_cells

if TYPE_CHECKING:
    from tui_mail.mail.invite import Invite
    from tui_mail.mail.lists import MailingList

RESIZE_REDRAW_DELAY = 0.1  # seconds
SEARCH_MATCH = "$search-match-foreground on $search-match-background"
MAX_LINE = 2000  # cells drawn of one body line; the rest is cut with a marker
FIRST_PAINT_LINES = 120  # a long body's first step: more than a screen shows
MORE_LINES = 150  # each later step of a long body: laid out in about 50 ms

class Mode:
    TEXT = "text"
    HTML = "html"
    RAW = "raw"


log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Shown:
    """A parsed and rendered message, ready to draw."""

    summary: MessageSummary
    message: Message | None
    body: str  # sanitized text of the current mode
    links: tuple[str, ...] = ()
    mode: str = Mode.TEXT
    source: str = ""  # which part the body came from: "text" or "html"
    quote_depths: tuple[int, ...] = ()  # one per line of `body`, empty for raw source
    headers: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    cut: str = ""  # the body is rendered only in part: what was left out (mail.render)
    # {url: "text shows paypal.com"}: links of the HTML shown whose text shows another host
    link_notes: dict[str, str] = field(default_factory=dict)
    invite: Invite | None = None  # the calendar invitation it carries, shown above the body
    mailing_list: MailingList | None = None  # its List- headers (o lists archive, help...)
    # The signatures and encryption it was opened through (crypto.opening), outermost first,
    # and the message they gave: the plaintext, kept in memory for this view only.
    security: tuple[SecurityLayer, ...] = ()
    opened: bytes | None = field(default=None, repr=False)
    gossip: tuple[str, ...] = ()  # Autocrypt-Gossip found when it was decrypted

    @property
    def needs_passphrase(self) -> Encryption | None:
        last = self.security[-1] if self.security else None
        return last if isinstance(last, Encryption) and last.needs_passphrase else None


def render_shown(summary: MessageSummary, raw: bytes, mode: str, *,
                 previous: Shown | None = None, whole: bool = False,
                 authserv_id: str | None = None, passphrase: str | None = None,
                 keeps_decrypted: bool = False) -> Shown:
    """Parse and render `raw` (the server's bytes): blocking (a signed or encrypted message
    runs GnuPG: see crypto.opening), call it from a thread. `previous`: the same message
    shown already, whose parse and opened layers are used again (a change of mode parses and
    decrypts nothing again, and keeps the security lines). `whole`: all of a body too long to
    render at once. `authserv_id`: the account's own server, whose Authentication-Results the
    header block reports (None: discovered from the message; see mail.authresults).
    `passphrase`: for the key an encrypted message needs (it opens the message again).
    `keeps_decrypted`: the account keeps decrypted text for search (the header says so)."""
    from tui_mail import mail
    from tui_mail.mail.invite import invite_of_message
    from tui_mail.mail.lists import list_of_message
    from tui_mail.mail.protected import protection_of

    reuse = previous is not None and previous.message is not None and passphrase is None
    message = previous.message if previous is not None and reuse else None
    security = previous.security if previous is not None and reuse else ()
    opened = previous.opened if previous is not None and reuse else None
    gossip: tuple[str, ...] = ()
    if mode == Mode.RAW:  # the bytes as the server has them, never the decrypted ones
        return Shown(summary, message, sanitize_text(mail.render_raw(raw)), mode=mode,
                     security=security, opened=opened)
    if not reuse and protection_of(raw) is not None:
        from tui_mail.crypto.opening import open_message

        unwrapped = open_message(raw, passphrase=passphrase)
        security, gossip = unwrapped.layers, unwrapped.gossip
        opened = unwrapped.raw if unwrapped.raw != raw else None
        if keeps_decrypted:
            security = tuple(replace(layer, kept_for_search=True)
                             if isinstance(layer, Encryption) and layer.decrypted else layer
                             for layer in security)
    shown_raw = opened if opened is not None else raw
    if message is None:
        message = mail.parse_message(shown_raw)
    rendered = mail.render_message(message, prefer_html=mode == Mode.HTML, mark_links=True,
                                   whole=whole)
    links = tuple(sanitize_line(link) for link in rendered.links)
    headers = mail.render_headers(message, raw=shown_raw, authserv_id=authserv_id, whole=whole,
                                  security=security)
    return Shown(summary, message, sanitize_text(rendered.text), links, mode, rendered.source,
                 rendered.quote_depths, tuple(headers), rendered.cut, rendered.link_notes,
                 invite_of_message(shown_raw), list_of_message(shown_raw), security, opened,
                 gossip)


def remember_opened(app: object, shown: Shown) -> None:
    """What the cache keeps of a message the reader decrypted; from a worker thread. The keys
    it gossiped (Autocrypt), those of its recipients only; and, when the account allows it
    (`cache_decrypted`), its decrypted text for search and its real Subject for the list.
    Reading the message never fails for this."""
    service = getattr(app, "service", None)
    if service is None or not any(isinstance(layer, Encryption) and layer.decrypted
                                  for layer in shown.security):
        return
    summary = shown.summary
    try:
        openpgp = any(isinstance(layer, Encryption) and layer.decrypted
                      and layer.kind is CryptoKind.OPENPGP for layer in shown.security)
        keys = _gossiped_keys(shown) if openpgp else {}
        if keys:
            when = summary.date
            service.learn_gossip(summary.account, int(when.timestamp()) if when else 0, keys)
        if shown.opened is not None:
            service.index_decrypted(summary.account, summary.folder, summary.id, shown.opened)
    except Exception:  # noqa: BLE001 - reading the message must not fail for this
        log.warning("could not keep what message %s gave when decrypted", summary.id,
                    exc_info=True)


def _gossiped_keys(shown: Shown) -> dict[str, bytes]:
    if not shown.gossip or shown.message is None:
        return {}
    from tui_mail.mail.autocrypt import gossip_of

    recipients = {a.email.lower() for a in (*shown.message.to, *shown.message.cc)}
    return gossip_of(list(shown.gossip), recipients)


RENDERED_KEPT = 4  # bodies rendered ahead (see RenderedBodies)


class RenderedBodies:
    """The last few messages rendered in the default way (parsed, rendered, sanitized), by
    (message id, mode): the list renders the one under a resting cursor ahead of Enter, so
    the message screen draws its body in the key's first frame, with no "Loading…" frame
    and no worker between. One per app; used on the UI thread only."""

    def __init__(self) -> None:
        self._kept: dict[tuple[int, str], tuple[Shown, bytes]] = {}

    def get(self, message_id: int, mode: str) -> tuple[Shown, bytes] | None:
        return self._kept.get((message_id, mode))

    def put(self, shown: Shown, raw: bytes) -> None:
        key = (shown.summary.id, shown.mode)
        self._kept.pop(key, None)
        self._kept[key] = (shown, raw)
        while len(self._kept) > RENDERED_KEPT:
            del self._kept[next(iter(self._kept))]

    def forget(self, message_id: int) -> None:
        for key in [k for k in self._kept if k[0] == message_id]:
            del self._kept[key]


def rendered_bodies(app: object) -> RenderedBodies:
    """The app's RenderedBodies (made on first use)."""
    kept = getattr(app, "_rendered_bodies", None)
    if kept is None:
        kept = RenderedBodies()
        app._rendered_bodies = kept  # type: ignore[attr-defined]
    return kept


_QUOTE_PREFIX = re.compile(r"[ \t]*(?:>[ \t]?)+")
MIN_WRAP = 20  # cells left after the quote marks below which a quoted line is not re-wrapped


def wrap_quoted(lines: Sequence[str], depths: Sequence[int], width: int
                ) -> tuple[list[str], list[int]]:
    """Quoted lines longer than `width` wrapped by us, each piece behind the line's own quote
    marks ("> > "), so a long quoted paragraph stays visibly quoted (the terminal's wrap would
    start its continuations at the margin). Other lines are left to the widget's wrap."""
    out: list[str] = []
    out_depths: list[int] = []
    for line, depth in zip(lines, depths, strict=True):
        prefix = _QUOTE_PREFIX.match(line) if depth else None
        if prefix is None or cell_len(line) <= width:
            out.append(line)
            out_depths.append(depth)
            continue
        marks = prefix.group().rstrip() + " "
        room = width - cell_len(marks)
        pieces = wrap_cells(line[prefix.end():].strip(), room) if room >= MIN_WRAP else []
        if len(pieces) < 2:
            out.append(line)
            out_depths.append(depth)
            continue
        out.extend(marks + piece for piece in pieces)
        out_depths.extend([depth] * len(pieces))
    return out, out_depths


def body_content(text: str, depths: Sequence[int] = (), width: int = 0,
                 highlight: re.Pattern[str] | None = None) -> Content:
    """The body as literal Content: quoted lines coloured by depth (and wrapped behind their
    quote marks at `width`, when given), the signature (after the last "-- " line) muted,
    very long lines cut; the words `highlight` finds marked."""
    lines = [line if len(line) <= MAX_LINE else
             line[:MAX_LINE] + f" … [{len(line) - MAX_LINE} more characters]"
             for line in text.split("\n")]
    depth_of = [depths[i] if i < len(depths) else 0 for i in range(len(lines))]
    if width > 0:
        lines, depth_of = wrap_quoted(lines, depth_of, width)
    signature = next((i for i in range(len(lines) - 1, -1, -1)
                      if lines[i] == "-- " and not depth_of[i]), len(lines))
    shown = []
    spans: list[Span] = []
    offset = 0
    for i, line in enumerate(lines):
        if depth_of[i]:
            spans.append(Span(offset, offset + len(line), f"$quote-{(depth_of[i] - 1) % 3 + 1}"))
        elif i >= signature:
            spans.append(Span(offset, offset + len(line), "$signature-foreground"))
        shown.append(line)
        offset += len(line) + 1
    return mark_words(Content("\n".join(shown)).add_spans(spans), highlight)


def mark_words(content: Content, pattern: re.Pattern[str] | None) -> Content:
    """`content` with what `pattern` finds marked as a search match (over quote colours)."""
    if pattern is None:
        return content
    return content.add_spans([Span(m.start(), m.end(), SEARCH_MATCH)
                              for m in pattern.finditer(content.plain) if m.end() > m.start()])


def header_content(label: str, value: str, width: int = 0) -> Content:
    """"Label: value", the value wrapped (at `width`, when given) under its own start, so a
    long Cc list reads as one block beside its label."""
    value = cut_line(sanitize_line(value))  # a 1 MB subject cached before it was cut
    indent = len(label) + 2
    if width - indent >= MIN_WRAP and cell_len(value) > width - indent:
        pieces = wrap_cells(value, width - indent)
        value = ("\n" + " " * indent).join(pieces)
    text = f"{label}: {value}"
    if label in WARNING_LABELS or label in ERROR_LABELS:  # the whole line
        colour = "$text-error" if label in ERROR_LABELS else "$text-warning"
        return Content(text).add_spans([Span(0, len(text), colour),
                                        Span(0, len(label) + 1, "bold")])
    label_style = "bold $text-success" if label in SUCCESS_LABELS else "bold $header-label"
    return Content(text).add_spans([Span(0, len(label) + 1, label_style),
                                    Span(indent, len(text), "$header-value")])


# See mail.render (spoofing, links, the sender's domain) and mail.security (signatures).
WARNING_LABELS = frozenset({"⚠ Warning", "⚠ Link", "Not verified", SIGNED_WARNING,
                            NOT_DECRYPTED, OTHER_SENDER, UNPROTECTED})
ERROR_LABELS = frozenset({BAD_SIGNATURE})
SUCCESS_LABELS = frozenset({"Verified", SIGNED})


def _configured(app: object, account: str) -> object | None:
    config = getattr(app, "config", None)
    for candidate in getattr(config, "accounts", None) or ():
        if candidate.name == account:
            return candidate
    return None


def authserv_id_of(app: object, account: str) -> str | None:
    """The account's configured `authserv_id` (None: discover it from the message)."""
    return getattr(_configured(app, account), "authserv_id", None)


def keeps_decrypted_of(app: object, account: str) -> bool:
    """Whether the account keeps decrypted text for search (`cache_decrypted`)."""
    return bool(getattr(_configured(app, account), "cache_decrypted", False))


class MessageView(VerticalScroll, can_focus=True):
    """Headers, body, attachments and links of one message."""

    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = bindings(
        Scope.VIEW)

    DEFAULT_CSS = """
    MessageView {
        background: $surface;
        padding: 0 1;
        scrollbar-gutter: stable;  /* the body's width, which quotes are wrapped to, stays put */
        & > #headers { padding-bottom: 1; border-bottom: solid $primary-muted; }
        & > #attachments { color: $text-secondary; }
        & > #invite { border: round $accent; padding: 0 1; margin-bottom: 1; }
        & > #body { padding-top: 1; }
        & > #links { color: $text-muted; padding-top: 1; }
        & > #notes { color: $text-muted; padding-top: 1; }
    }
    """

    class Loaded(TextualMessage):
        def __init__(self, view: MessageView, shown: Shown, raw: bytes) -> None:
            super().__init__()
            self.view = view
            self.shown = shown
            self.raw = raw

    class Failed(TextualMessage):
        """The body could not be had (`text` says why and what happens next) or shown."""

        def __init__(self, view: MessageView, summary: MessageSummary, text: str,
                     unavailable: bool = False) -> None:
            super().__init__()
            self.view = view
            self.summary = summary
            self.text = text
            self.unavailable = unavailable  # not downloaded: worth trying again later

    class Fetching(TextualMessage):
        """The body is being downloaded (the view says so with its size)."""

        def __init__(self, view: MessageView, summary: MessageSummary) -> None:
            super().__init__()
            self.view = view
            self.summary = summary

    class TooLarge(TextualMessage):
        """The body is larger than the account's `body_ask_above`: asked before downloading."""

        def __init__(self, view: MessageView, summary: MessageSummary, size: int) -> None:
            super().__init__()
            self.view = view
            self.summary = summary
            self.size = size

    def __init__(self, *, prefer_html: bool = False, ask_large: bool = False,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.ask_large = ask_large  # the message screen asks; the preview only says
        self.default_mode = Mode.HTML if prefer_html else Mode.TEXT
        self.mode = self.default_mode
        self._mode_before_raw = self.mode
        self.summary: MessageSummary | None = None
        self.raw: bytes | None = None
        self.shown: Shown | None = None
        self.unavailable = False  # the body could not be downloaded (offline)
        self._wrap_width = 0
        self._highlight: re.Pattern[str] | None = None
        self._body_cache: tuple[Shown, int, Content] | None = None  # the body laid out
        self.laid_out = False  # every slice of the shown body is mounted (see _draw_more)
        self._drawing = 0  # which _draw the slices being mounted belong to
        self._keep_y: float | None = None  # where a redraw goes back to once laid out
        self._resize_timer: Timer | None = None
        self._whole = False  # the body being shown was asked for whole (see show)
        # A lone `g` is the group reply of the screen the view is on.
        self._chord = TopChord(self, "message.top_chord", self.action_scroll_body_top, lambda: (
            "message.reply_all" if self.id == "message" else "mailbox.reply_all"))

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="headers")
        yield Static(Content(""), id="invite")
        yield Static(Content(""), id="attachments")
        yield Static(Content(""), id="body")
        yield Static(Content(""), id="links")
        yield Static(Content(""), id="notes")

    def reset_mode(self) -> None:
        """Back to the default mode (text, or HTML when preferred), as a new view starts."""
        self.mode = self._mode_before_raw = self.default_mode

    # ---- loading ----------------------------------------------------------------------------

    def show(self, summary: MessageSummary | None, raw: bytes | None = None, *,
             allow_large: bool = False, previous: Shown | None = None,
             whole: bool = False) -> None:
        """Show a message: its raw bytes when the caller has them, else the cached body, else
        the body fetched from the server (`allow_large`: even above `body_ask_above`).
        `previous`: `raw` as shown already (a change of mode parses and decrypts nothing
        again); `whole` renders all of a body otherwise cut for length. `raw` is always the
        server's bytes; a decrypted message's plaintext is only ever in `shown.opened`."""
        self.summary = summary
        self.raw = raw
        self.shown = None
        self._keep_y = None
        self.unavailable = False
        if summary is None:
            self._draw_empty()
            return
        self._whole = whole
        ready = rendered_bodies(self.app).get(summary.id, self.mode) \
            if raw is None and previous is None and not whole else None
        if ready is not None:  # rendered ahead: drawn in this frame, no worker
            shown, self.raw = replace(ready[0], summary=summary), ready[1]
            self.shown = shown
            self._draw(shown, first=True)
            self.post_message(self.Loaded(self, shown, self.raw))
            self._ask_passphrase(shown)
            return
        self._draw_headers_from_summary(summary)
        self.query(".more").remove()
        self.query_one("#body", Static).update(Content("Loading…"))
        self._load_body(summary, raw, self.mode, allow_large, previous, whole,
                        authserv_id_of(self.app, summary.account))

    def _ask_passphrase(self, shown: Shown) -> None:
        """On the message screen (which asks, as for a large body), an encrypted message whose
        key needs its passphrase asks for it; the preview's header line says so instead."""
        wanted = shown.needs_passphrase
        if wanted is None or not self.ask_large or shown.mode == Mode.RAW:
            return
        from tui_mail.ui.screens.ask_text import AskText

        summary = shown.summary
        key = f" for {wanted.key_hint}" if wanted.key_hint else ""
        title = ("Wrong passphrase; try again" if wanted.error == "the passphrase was wrong"
                 else "Passphrase") + key

        def answered(passphrase: str | None) -> None:
            if passphrase and self.summary is not None and self.summary.id == summary.id:
                self.open_with_passphrase(passphrase)

        self.app.push_screen(AskText(title, secret=True, hint="Enter: decrypt · Esc: leave it"),
                             answered)

    def open_with_passphrase(self, passphrase: str) -> None:
        """Render the shown message again, its key opened with `passphrase`."""
        if self.summary is None or self.raw is None:
            return
        self.query_one("#body", Static).update(Content("Decrypting…"))
        self._load_body(self.summary, self.raw, self.mode, False, None, self._whole,
                        authserv_id_of(self.app, self.summary.account), passphrase)

    @work(thread=True, exclusive=True, exit_on_error=False, group="render",
          description="render message")
    def _load_body(self, summary: MessageSummary, raw: bytes | None, mode: str,
                   allow_large: bool, previous: Shown | None = None,
                   whole: bool = False, authserv_id: str | None = None,
                   passphrase: str | None = None) -> None:
        from tui_mail.sync.bodies import NeedsConfirmation

        if raw is None:
            try:
                future = self.app.service.fetch_body(summary, allow_large=allow_large)  # type: ignore[attr-defined]
                if not future.done():
                    self.post_message(self.Fetching(self, summary))
                raw = wait_for_body(future)
            except NeedsConfirmation as exc:
                self.post_message(self.TooLarge(self, summary, exc.size))
                return
            except CacheError as exc:  # damaged, or gone: no server can help with that
                self.post_message(self.Failed(self, summary,
                                              f"This message cannot be shown: {exc}"))
                return
            except TuiMailError as exc:
                self.post_message(self.Failed(self, summary, unavailable_text(summary, exc),
                                              unavailable=isinstance(exc, ConnectError)))
                return
            except CancelledError:
                return
        try:
            shown = render_shown(summary, raw, mode, previous=previous, whole=whole,
                                 authserv_id=authserv_id, passphrase=passphrase,
                                 keeps_decrypted=keeps_decrypted_of(self.app, summary.account))
        except Exception as exc:  # a broken message must not take the app down
            self.post_message(self.Failed(
                self, summary, f"This message could not be shown: {type(exc).__name__}: {exc}"))
            return
        remember_opened(self.app, shown)
        # A decrypted message's plaintext stays in shown.opened (in memory only): replies quote
        # it and its attachments are saved from it; the raw view shows the server's bytes.
        self.post_message(self.Loaded(self, shown, raw))

    def _current(self, event: Fetching | Failed | TooLarge | Loaded) -> bool:
        summary = event.shown.summary if isinstance(event, self.Loaded) else event.summary
        return event.view is self and self.summary is not None and \
            summary.id == self.summary.id

    def on_message_view_loaded(self, event: Loaded) -> None:
        if not self._current(event) or event.shown is self.shown:  # drawn already (show)
            return
        if not self._whole and event.shown.mode == self.default_mode:
            rendered_bodies(self.app).put(event.shown, event.raw)
        self.raw = event.raw
        self.shown = event.shown
        self._draw(event.shown, first=True)
        self._ask_passphrase(event.shown)

    def on_message_view_fetching(self, event: Fetching) -> None:
        if self._current(event) and self.shown is None:
            size = f" ({format_size(event.summary.size)})" if event.summary.size else ""
            self.query_one("#body", Static).update(
                Content(f"Loading… downloading the message{size} from the server."))

    def on_message_view_failed(self, event: Failed) -> None:
        if self._current(event):
            self.unavailable = event.unavailable
            self.query_one("#body", Static).update(Content(sanitize_text(event.text)))

    def on_message_view_too_large(self, event: TooLarge) -> None:
        if not self._current(event):
            return
        size = format_size(event.size)
        self.query_one("#body", Static).update(Content(
            f"This message is {size}, more than the account's body_ask_above: it is not "
            "downloaded without asking." + ("" if self.ask_large else
                                            " Open it (Enter) to download it.")))
        if self.ask_large:
            from tui_mail.ui.widgets.confirm_download import ConfirmDownload

            summary = event.summary

            def answered(yes: bool | None) -> None:
                if yes and self.summary is not None and self.summary.id == summary.id:
                    self.show(summary, allow_large=True)

            self.app.push_screen(ConfirmDownload(
                f"Download this message of {size}? (It is larger than body_ask_above.)"),
                answered)

    def retry_unavailable(self) -> None:
        """The server answers again: try a body that could not be downloaded once more."""
        if self.unavailable and self.summary is not None:
            self.show(self.summary)

    # ---- drawing ----------------------------------------------------------------------------

    def _draw_empty(self) -> None:
        self.query_one("#headers", Static).update(Content(""))
        self._set_part("#invite", Content(""))
        self._set_part("#attachments", Content(""))
        self._set_part("#links", Content(""))
        self._set_part("#notes", Content(""))
        self.query_one("#body", Static).update(Content("No message selected."))

    def _draw_headers_from_summary(self, summary: MessageSummary) -> None:
        width = self.scrollable_content_region.width
        rows = [header_content("From", str(summary.sender), width),
                header_content("Date", summary.date.strftime(HEADER_DATE), width),  # UTC
                header_content("Subject", summary.subject, width)]
        self.query_one("#headers", Static).update(Content("\n").join(rows))
        self._set_part("#invite", Content(""))
        self._set_part("#attachments", Content(""))
        self._set_part("#links", Content(""))
        self._set_part("#notes", Content(""))

    def _set_part(self, selector: str, content: Content) -> None:
        part = self.query_one(selector, Static)
        part.update(content)
        part.display = bool(content.plain)

    def _draw(self, shown: Shown, first: bool = False) -> None:
        """Draw `shown`. The `first` time, a long body is drawn in two steps: the lines a
        screen shows at once, then (after that frame) the rest. Laying out a long body costs
        Textual about a quarter of a second per thousand lines, which the reader need not
        wait for to start reading."""
        message = shown.message
        self._wrap_width = self.scrollable_content_region.width
        if shown.headers:
            rows = [header_content(label, value, self._wrap_width)
                    for label, value in shown.headers]
            self.query_one("#headers", Static).update(
                mark_words(Content("\n").join(rows), self._highlight))
        # The raw source has every header itself: the summary above it would only repeat them.
        self.query_one("#headers").display = shown.mode != Mode.RAW
        self._set_part("#invite", invite_content(shown.invite, self._key(
            "message.answer_invite" if self.id == "message" else "mailbox.answer_invite")))
        self._set_part("#attachments", mark_words(
            attachments_content(message.attachments if message else ()), self._highlight))
        self._set_part("#notes", notes_content(message.defects if message else ()))
        cache = self._body_cache
        if cache is None or cache[0] is not shown or cache[1] != self._wrap_width:
            cache = (shown, self._wrap_width,
                     body_content(shown.body, shown.quote_depths, self._wrap_width))
            self._body_cache = cache
        body = mark_words(cache[2], self._highlight)
        note = {Mode.RAW: "raw source", Mode.HTML: f"{shown.source} part"}.get(shown.mode)
        if shown.mode == Mode.TEXT and shown.source == "html":
            note = "html part (no plain text part)"
        if note:
            body = Content(f"[{note}]\n").stylize("$text-muted").append(body)
        if shown.cut:
            body = Content(f"[{shown.cut} Press {self._key('message.whole')} to show the rest.]"
                           "\n\n").stylize("$text-warning").append(body)
        self.query(".more").remove()
        self._drawing += 1  # slices a previous draw is still mounting stop there
        head = first_screens(body, FIRST_PAINT_LINES) if first or \
            first_screens(body, 8 * FIRST_PAINT_LINES) is not None else None
        self.query_one("#body", Static).update(head if head is not None else body)
        self._set_part("#links", links_content(shown.links, link_notes(shown))
                       if head is None else Content(""))
        self.scroll_home(animate=False)
        self.laid_out = head is None
        if head is not None:
            self.call_after_refresh(self._draw_rest, shown, body, self._drawing)

    def _draw_rest(self, shown: Shown, body: Content, drawing: int) -> None:
        """The second step of a long body (unless another draw began meanwhile)."""
        if drawing != self._drawing:
            return
        self._draw_more(shown, body, len(first_screens(body, FIRST_PAINT_LINES) or "") + 1,
                        drawing)
        self._set_part("#links", links_content(shown.links, link_notes(shown)))

    def _draw_more(self, shown: Shown, body: Content, start: int, drawing: int) -> None:
        """From `start` on, MORE_LINES lines of the body a frame, each slice in a Static of
        its own after #body: Textual lays out a Static whole (about 0.3 s a thousand lines),
        so a long body laid out at once held up every key (90 s for 500,000 lines). A draw
        that began since (another message, a redraw) ends this one."""
        if drawing != self._drawing:
            return
        if start >= len(body.plain):
            self.laid_out = True
            if self._keep_y is not None:
                self.scroll_to(y=self._keep_y, animate=False)
                self._keep_y = None
            return
        end = start - 1
        for _ in range(MORE_LINES):
            end = body.plain.find("\n", end + 1)
            if end < 0:
                end = len(body.plain)
                break
        self.mount(Static(body[start:end], classes="more"), before="#links")
        self.call_after_refresh(self._draw_more, shown, body, end + 1, drawing)

    def _key(self, action_id: str) -> str:
        """The key that runs `action_id` now (the user's [keys] table may have changed it)."""
        from tui_mail.ui.keys import key_display

        return key_display(self.app, action_id)

    def set_highlight(self, pattern: re.Pattern[str] | None) -> None:
        """Mark these words (a search's) in the body; redraws a message already shown (its
        body is kept laid out: only the marks are added)."""
        if pattern == self._highlight:
            return
        self._highlight = pattern
        self._redraw()

    def _redraw(self) -> None:
        """Draw the message again where the reader is: at once for a body laid out in one
        step, else once its slices are all mounted (the place does not exist before)."""
        if self.shown is not None:
            offset = self.scroll_y
            self._keep_y = None
            self._draw(self.shown)
            if self.laid_out:
                self.scroll_to(y=offset, animate=False)
            else:
                self._keep_y = offset

    def on_resize(self, event: events.Resize) -> None:
        """Quoted lines and headers are wrapped to the width: draw them again when it changes,
        once a drag of the window's edge pauses (a long body takes a while to lay out)."""
        if self.shown is None or self.scrollable_content_region.width == self._wrap_width:
            return
        if self._resize_timer is not None:
            self._resize_timer.stop()
        self._resize_timer = self.set_timer(RESIZE_REDRAW_DELAY, self._redraw)

    # ---- actions ----------------------------------------------------------------------------

    def _set_mode(self, mode: str) -> None:
        """Switch to `mode`, or back from it: leaving the raw source returns to the text or
        HTML view it was entered from."""
        if self.mode == mode:
            self.mode = self._mode_before_raw if mode == Mode.RAW else Mode.TEXT
        else:
            if mode == Mode.RAW:
                self._mode_before_raw = self.mode
            self.mode = mode
        if self.summary is not None:
            self.show(self.summary, self.raw, previous=self.shown)

    def action_render_whole(self) -> None:
        """Render all of a body cut for length (parsed already: only rendered again)."""
        if self.shown is None or not self.shown.cut or self.summary is None:
            self.notify("This message is shown whole already.")
            return
        self.show(self.summary, self.raw, previous=self.shown, whole=True)

    def action_toggle_html(self) -> None:
        self._set_mode(Mode.HTML)

    def action_toggle_raw(self) -> None:
        self._set_mode(Mode.RAW)

    def on_key(self, event: events.Key) -> None:
        self._chord.key_pressed(event.key)

    def action_chord_g(self) -> None:
        self._chord.press()

    def action_scroll_body_top(self) -> None:
        self._chord.cancel()
        self.scroll_home(animate=False)

    def action_scroll_body_bottom(self) -> None:
        self.scroll_end(animate=False)

    def action_scroll_body_down(self) -> None:
        self.scroll_down(animate=False)

    def action_scroll_body_up(self) -> None:
        self.scroll_up(animate=False)

    def action_page_body_down(self) -> None:
        self.scroll_page_down(animate=False)

    def action_page_body_up(self) -> None:
        self.scroll_page_up(animate=False)

    def action_links(self) -> None:
        from tui_mail.ui.screens.picker import LinkPicker

        listed = self.shown.mailing_list.links() if self.shown and self.shown.mailing_list \
            else []
        if self.shown and (self.shown.links or listed):
            self.app.push_screen(LinkPicker(self.shown.links, link_notes(self.shown), listed))
        else:
            self.notify("This message has no links.")

    def action_attachments(self) -> None:
        from tui_mail.ui.screens.picker import AttachmentPicker

        shown = self.shown
        message = shown.message if shown else None
        if shown is None or message is None or not message.attachments or self.raw is None:
            self.notify("This message has no attachments.")
            return
        # a decrypted message's attachments are in its plaintext
        self.app.push_screen(AttachmentPicker(message.attachments, shown.opened or self.raw))


def wait_for_body(future: Future[bytes]) -> bytes:
    """The future's bytes, waited for in a worker thread that may be cancelled meanwhile
    (another message shown, the app closing): then CancelledError at once, not a thread
    that keeps waiting (Textual's exit waits for its worker threads)."""
    worker = get_current_worker()
    while True:
        try:
            return future.result(timeout=0.2)
        except FutureTimeout:
            if worker.is_cancelled:
                raise CancelledError() from None


def first_screens(body: Content, lines: int) -> Content | None:
    """The first `lines` lines of a longer body (None when it is not longer)."""
    end = -1
    for _ in range(lines):
        end = body.plain.find("\n", end + 1)
        if end < 0:
            return None
    return body[:end]


def unavailable_text(summary: MessageSummary, error: Exception) -> str:
    """Why the body is not shown, and (when the server is only out of reach) what happens
    next."""
    size = f" ({format_size(summary.size)})" if summary.size else ""
    text = f"This message{size} is not downloaded yet, and it could not be fetched: {error}"
    if isinstance(error, ConnectError):
        text += "\n\nIt is shown as soon as the server answers again."
    return text


MAX_LISTED = 100  # attachments or links listed under a body; the pickers (a, o) list them all


def _listing(title: str, rows: Sequence[tuple[str, str]], total: int, rest: str) -> Content:
    """`title`, then a line per (text, warning) row, the warning in the warning colour; when
    `total` is more than the rows, a last line says how many more `rest` shows."""
    parts = [title]
    spans: list[Span] = []
    end = len(title)
    for text, warning in rows:
        line = f"\n{text}  {warning}" if warning else f"\n{text}"
        end += len(line)
        if warning:
            spans.append(Span(end - len(warning), end, "bold $text-warning"))
        parts.append(line)
    if total > len(rows):
        parts.append(f"\n  … and {total - len(rows)} more ({rest})")
    return Content("".join(parts)).add_spans(spans)


def attachments_content(attachments: Sequence[Attachment]) -> Content:
    if not attachments:
        return Content("")
    from tui_mail.mail.trust import attachment_label

    rows = [(f"  {i}. {sanitize_line(a.filename)}  ({sanitize_line(a.content_type)}, "
             f"{format_size(a.size)})", attachment_label(a))
            for i, a in enumerate(attachments[:MAX_LISTED], 1)]
    title = f"📎 {len(attachments)} attachment{'s' if len(attachments) != 1 else ''} (a):"
    return _listing(title, rows, len(attachments), "a lists them all")


MAX_NOTES = 10


def notes_content(defects: Sequence[str]) -> Content:
    """What parsing noticed (broken MIME, parts left out), after everything else: the reader
    is told why a message looks incomplete."""
    if not defects:
        return Content("")
    rows = [(f"  - {sanitize_line(d)}", "") for d in defects[:MAX_NOTES]]
    return _listing("Notes on this message:", rows, len(defects), "tui-mail show lists them all")


def links_content(links: Sequence[str], notes: dict[str, str] | None = None) -> Content:
    """The numbered links; one whose text shows another host is marked "⚠ text shows …"."""
    if not links:
        return Content("")
    notes = notes or {}
    rows = [(f"  [{i}] {link}", f"⚠ {notes[link]}" if link in notes else "")
            for i, link in enumerate(links[:MAX_LISTED], 1)]
    return _listing("Links (o):", rows, len(links), "o lists them all")


def link_notes(shown: Shown) -> dict[str, str]:
    """{url: "text shows paypal.com"} for the links of an HTML body that show one host in
    their text and lead to another (found by the worker: mail.links.deceptive_links)."""
    return shown.link_notes if shown.source == "html" else {}
